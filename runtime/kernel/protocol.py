"""JSON-RPC 2.0 over a byte stream: one JSON message per line.

``Framer`` cuts the stream into lines and refuses a line longer than the maximum message size
without ever holding more than that many bytes (it drops the rest of the line, answers with an
error, and carries on with the next line). ``handle`` answers one line: a request, a notification
(no ``id``: no answer) or a batch (an array; answered with an array of the non-notification answers,
or nothing when all were notifications). Errors come from exception types (``errors.py``); a
non-``KernelError`` exception is an internal error whose details go to the log, not to the client.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

from .errors import (
    InternalError,
    InvalidParams,
    InvalidRequest,
    KernelError,
    MessageTooLarge,
    ParseError,
    TooManyRequests,
)

log = logging.getLogger("qmk.kernel")

Call = Callable[[str, dict], Any]  # (method, params) -> result, or an awaitable of it; raises KernelError
TOO_LARGE = object()


class Framer:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._buf = bytearray()
        self._skipping = False  # inside an oversized line, dropping bytes until its newline

    def feed(self, data: bytes) -> list:
        """Complete messages in ``data`` (bytes), with ``TOO_LARGE`` in place of each oversized one."""
        out: list = []
        start = 0
        while True:
            nl = data.find(b"\n", start)
            if nl < 0:
                break
            if self._skipping:
                self._skipping = False
            elif len(self._buf) + nl - start > self.max_bytes:
                out.append(TOO_LARGE)
                self._buf.clear()
            elif self._buf:
                self._buf += data[start:nl]
                out.append(bytes(self._buf))
                self._buf.clear()
            else:
                out.append(data[start:nl])
            start = nl + 1
        rest = len(data) - start
        if rest and not self._skipping:
            if len(self._buf) + rest > self.max_bytes:
                out.append(TOO_LARGE)
                self._buf.clear()
                self._skipping = True
            else:
                self._buf += data[start:]
        return out

    @property
    def pending(self) -> int:
        """Bytes held for an unfinished message."""
        return len(self._buf)

    def drop(self) -> None:
        """Give up the unfinished message: its bytes are freed and the rest of its line skipped."""
        if self._buf:
            self._buf.clear()
            self._skipping = True

    def finish(self) -> list:
        """At end of stream: the unterminated last message, if any."""
        if self._skipping or not self._buf.strip():
            return []
        msg = bytes(self._buf)
        self._buf.clear()
        return [msg]


def error_response(exc: KernelError, rid=None) -> dict:
    return {"jsonrpc": "2.0", "error": exc.to_json(), "id": rid}


def too_large(max_bytes: int) -> bytes:
    return encode(error_response(MessageTooLarge(f"message larger than the {max_bytes}-byte limit")))


def encode(msg) -> bytes:
    return orjson.dumps(msg) + b"\n"


def _valid_id(rid) -> bool:
    return rid is None or isinstance(rid, str) or (isinstance(rid, (int, float)) and not isinstance(rid, bool))


def _one(req, call: Call):
    """Answer one request: a response dict, None (notification), or an awaitable of either."""
    if not isinstance(req, dict):
        return error_response(InvalidRequest("a request is a JSON object"))
    rid = req.get("id")
    notification = "id" not in req
    if not _valid_id(rid):
        return error_response(InvalidRequest("'id' must be a string, a number or null"))
    # An invalid request is answered even without an id (JSON-RPC 2.0 section 5: id null).
    if req.get("jsonrpc") != "2.0":
        return error_response(InvalidRequest("'jsonrpc' must be \"2.0\""), rid)
    method = req.get("method")
    if not isinstance(method, str):
        return error_response(InvalidRequest("'method' must be a string"), rid)
    params = req.get("params", {})
    try:
        if not isinstance(params, dict):
            raise InvalidParams("'params' must be an object (parameters by name)")
        result = call(method, params)
    except KernelError as e:
        return None if notification else error_response(e, rid)
    except Exception:
        log.exception("internal error in %s", method)
        return None if notification else error_response(InternalError(), rid)
    if inspect.isawaitable(result):
        return _later(result, rid, notification, method)
    return None if notification else {"jsonrpc": "2.0", "result": result, "id": rid}


async def _later(aw: Awaitable, rid, notification: bool, method: str):
    try:
        result = await aw
    except KernelError as e:
        return None if notification else error_response(e, rid)
    except Exception:
        log.exception("internal error in %s", method)
        return None if notification else error_response(InternalError(), rid)
    return None if notification else {"jsonrpc": "2.0", "result": result, "id": rid}


def handle(line: bytes, call: Call, max_batch: int):
    """The answer to one line: bytes, None (nothing to send), or an awaitable of either."""
    try:
        msg = orjson.loads(line)
    except orjson.JSONDecodeError:
        return encode(error_response(ParseError("message is not valid JSON")))
    if isinstance(msg, list):
        if not msg:
            return encode(error_response(InvalidRequest("empty batch")))
        if len(msg) > max_batch:
            return encode(error_response(TooManyRequests(f"batch of {len(msg)} requests; the limit is {max_batch}")))
        answers = [_one(r, call) for r in msg]
        if any(inspect.isawaitable(a) for a in answers):
            return _batch_later(answers)
        done = [a for a in answers if a is not None]
        return encode(done) if done else None
    answer = _one(msg, call)
    if inspect.isawaitable(answer):
        return _single_later(answer)
    return None if answer is None else encode(answer)


async def _single_later(aw) -> bytes | None:
    answer = await aw
    return None if answer is None else encode(answer)


async def _batch_later(answers: list) -> bytes | None:
    import asyncio

    pending = [a if inspect.isawaitable(a) else _value(a) for a in answers]
    done = [a for a in await asyncio.gather(*pending) if a is not None]
    return encode(done) if done else None


async def _value(v):
    return v

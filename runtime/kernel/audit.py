"""The audit log: append-only JSON lines, each record chained to the one before it.

Every record carries ``prev`` (the ``hash`` of the record before it; 64 zeros for the first) and its own
``hash`` = HMAC-SHA256(kernel key, canonical JSON of the record without ``hash``). Why an edit is
detected: changing, inserting, reordering or deleting a record breaks either its own hash or the next
record's ``prev``; rewriting every hash after the edit needs the kernel key, which only the kernel has.
Cutting records off the end is detected against a head (a sequence number and its hash) that the
kernel also keeps in its SQLite store, updated whenever it stores a finished job: the log may run past
that head (the kernel may die between the two writes) but must contain it. Records are written with
``write`` on an ``O_APPEND`` descriptor, so a crash can at worst leave one incomplete last line, which
``verify`` reports.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import threading
import time

import orjson

AUDIT_FILE = "audit.jsonl"
GENESIS = "0" * 64


def _digest(key: bytes, record: dict) -> str:
    body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return hmac.new(key, body, hashlib.sha256).hexdigest()


class AuditLog:
    """Appends chained records; thread-safe."""

    def __init__(self, path: str, key: bytes):
        self.path = path
        self._key = key
        self._lock = threading.Lock()
        self.seq, self.head = _last_record(path)
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

        self._pending: list[bytes] = []

    def append(self, event: str, *, defer: bool = False, **fields) -> tuple[int, str]:
        """Chain a record; its (seq, hash). ``defer`` leaves the write to the next ``flush``.

        The job store flushes before every commit, so a record about a stored change is on disk
        before the change is, while a burst of records costs one write instead of one each.
        """
        with self._lock:
            rec = {"seq": self.seq + 1, "ts": round(time.time(), 6), "event": event, "prev": self.head}
            rec.update(fields)
            rec["hash"] = _digest(self._key, rec)
            self._pending.append(orjson.dumps(rec) + b"\n")
            self.seq, self.head = rec["seq"], rec["hash"]
            if not defer:
                self._flush()
            return self.seq, self.head

    def flush(self) -> None:
        with self._lock:
            self._flush()

    def _flush(self) -> None:
        if self._pending and self._fd >= 0:
            data = memoryview(b"".join(self._pending))
            self._pending.clear()
            while data:
                data = data[os.write(self._fd, data):]

    def close(self) -> None:
        with self._lock:
            self._flush()
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def _last_record(path: str) -> tuple[int, str]:
    """Sequence number and hash of the last complete record (0 and the genesis hash for a new log)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 65536))
            tail = fh.read().split(b"\n")
    except FileNotFoundError:
        return 0, GENESIS
    for line in reversed(tail):
        if line.strip():
            try:
                rec = orjson.loads(line)
                return int(rec["seq"]), str(rec["hash"])
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
                break
    return 0, GENESIS


def verify_log(path: str, key: bytes, head: tuple[int, str] | None = None) -> list[str]:
    """Every problem found in the log (an empty list means intact); ``head`` is the stored last record."""
    problems: list[str] = []
    prev, seq, at_head = GENESIS, 0, None
    try:
        fh = open(path, "rb")
    except OSError as e:
        return [f"{path}: {e.strerror or e}"]
    with fh:
        for lineno, line in enumerate(fh, 1):
            if not line.endswith(b"\n"):
                problems.append(f"line {lineno}: incomplete last record")
                break
            try:
                rec = orjson.loads(line)
            except orjson.JSONDecodeError:
                problems.append(f"line {lineno}: not JSON")
                break
            if type(rec) is not dict or "hash" not in rec:
                problems.append(f"line {lineno}: not an audit record")
                break
            claimed = rec.pop("hash")
            if rec.get("seq") != seq + 1:
                problems.append(f"line {lineno}: sequence {rec.get('seq')!r}, expected {seq + 1}")
            if rec.get("prev") != prev:
                problems.append(f"line {lineno}: chain broken (prev does not match the record before)")
            if not isinstance(claimed, str) or not hmac.compare_digest(claimed, _digest(key, rec)):
                problems.append(f"line {lineno}: record was modified (hash mismatch)")
            prev, seq = claimed if isinstance(claimed, str) else "", seq + 1
            if head is not None and seq == head[0]:
                at_head = prev
            if len(problems) > 100:
                break
    if head is not None and not problems and head[0] > 0:
        if seq < head[0]:
            problems.append(f"log ends at record {seq}, but the kernel wrote {head[0]}: records were removed")
        elif at_head != head[1]:
            problems.append(f"record {head[0]} differs from the one the kernel recorded")
    return problems

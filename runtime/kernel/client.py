"""A Python client for the kernel, and ``submit_and_wait`` for ``qmk-run --kernel PATH``.

    with KernelClient("/tmp/qmk.sock", tenant="alice", secret="...") as k:
        job = k.submit(program_bytes, shots=1000, seed=7)
        result = k.wait(job, result=True)["result"]     # the RunResult JSON of qmk-run

Errors come back as ``RemoteError`` (a ``QmkError``, so the CLI's error boundary prints it and exits
with a code that fits the error: 1 failed verification, 3 unreadable program or refused by capability
or quota, 4 cannot reach or log in to the kernel, 130 cancelled or timed out, 70 anything else).
"""

from __future__ import annotations

import base64
import itertools
import os
import socket

import orjson

from ...diagnostics import Diagnostic, QmkError, QmkIOError

FINAL = ("COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT")
ALL_CAPS = ["CAP_ALLOC", "CAP_MEASURE", "CAP_MAGIC", "CAP_TELEPORT", "CAP_LINK", "CAP_CHECKPOINT", "CAP_DEBUG"]


class RemoteError(QmkError):
    """An error answer from the kernel: ``code``, message and ``data`` as sent."""

    def __init__(self, code: int, message: str, data=None):
        diags = []
        if isinstance(data, list) and all(isinstance(d, dict) and "code" in d for d in data):
            diags = [Diagnostic(d["code"], d.get("message", ""), d.get("severity", ""), d.get("node")) for d in data]
        super().__init__(f"kernel error {code}: {message}", diagnostics=diags)
        self.code, self.data = code, data
        self.exit_code = _exit_code(code)


def _exit_code(code: int) -> int:
    """qmk-run's exit code for a kernel error: the same meaning as for a run in-process."""
    if code == -32200:
        return 1  # verification findings
    if code in (-32201, -32202, -32001) or -32699 <= code <= -32610:
        return 3  # unreadable program, or refused by capability or quota
    if -32199 <= code <= -32100:
        return 4  # cannot log in
    return 70


class KernelClient:
    def __init__(self, socket_path: str, tenant: str = "local", secret: str | None = None,
                 caps: list[str] | None = None, *, timeout: float | None = 330.0, ttl: float | None = None):
        self._ids = itertools.count(1)
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(socket_path)
        except OSError as e:
            self._sock.close()
            raise QmkIOError(f"cannot reach the kernel at {socket_path}: {e.strerror or e}") from None
        self._file = self._sock.makefile("rb")
        params = {"tenant": tenant, "caps": ALL_CAPS if caps is None else caps}
        if secret is not None:
            params["secret"] = secret
        if ttl is not None:
            params["ttl"] = ttl
        session = self.call("q_negotiate_caps", **params)
        self.token: str = session["token"]
        self.granted: list[str] = session["granted"]

    # ------------------------------------------------------------------ transport
    def call(self, method: str, **params):
        rid = next(self._ids)
        if method != "q_negotiate_caps" and "token" not in params:
            params["token"] = self.token
        self._send({"jsonrpc": "2.0", "method": method, "params": params, "id": rid})
        reply = self._recv()
        if reply.get("id") != rid:
            raise QmkIOError(f"kernel answered request {reply.get('id')!r}, expected {rid}")
        if "error" in reply:
            err = reply["error"]
            raise RemoteError(err.get("code", -32603), err.get("message", ""), err.get("data"))
        return reply["result"]

    def _send(self, msg) -> None:
        try:
            self._sock.sendall(orjson.dumps(msg) + b"\n")
        except OSError as e:
            raise QmkIOError(f"lost the connection to the kernel: {e.strerror or e}") from None

    def _recv(self) -> dict:
        try:
            line = self._file.readline()
        except OSError as e:
            raise QmkIOError(f"lost the connection to the kernel: {e.strerror or e}") from None
        if not line:
            raise QmkIOError("the kernel closed the connection")
        return orjson.loads(line)

    def close(self) -> None:
        try:
            self._file.close()
        finally:
            self._sock.close()

    def __enter__(self) -> KernelClient:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------------ syscalls
    def submit(self, program: bytes | dict, *, shots: int = 1000, seed: int | None = None, **policy) -> str:
        params = dict(policy, shots=shots)
        if seed is not None:
            params["seed"] = seed
        if isinstance(program, dict):
            params["program"] = program
        else:
            params["program_b64"] = base64.b64encode(program).decode()
        return self.call("q_submit", **params)["job"]

    def status(self, job: str) -> dict:
        return self.call("q_status", job=job)

    def wait(self, job: str, timeout: float | None = None, *, result: bool = False) -> dict:
        """Wait until the job ends (or ``timeout`` seconds pass); its status, with the result if asked."""
        while True:
            params = {"job": job, "result": result}
            if timeout is not None:
                params["timeout"] = timeout
            status = self.call("q_wait", **params)
            if status["state"] in FINAL or timeout is not None:
                return status

    def result(self, job: str) -> dict:
        return self.call("q_result", job=job)["result"]

    def cancel(self, job: str) -> dict:
        return self.call("q_cancel", job=job)

    def list_jobs(self, **params) -> list[dict]:
        return self.call("q_list_jobs", **params)["jobs"]

    def telemetry(self, job: str | None = None) -> dict:
        return self.call("q_get_telemetry", **({"job": job} if job else {}))


def submit_and_wait(socket_path: str, tenant: str | None = None, secret: str | None = None,
                    program_bytes: bytes = b"", *, shots: int = 1000, seed: int | None = None,
                    **policy) -> dict:
    """Submit one program to a kernel and wait for it: the RunResult JSON (as ``RunResult.to_json()``).

    ``tenant`` and ``secret`` default to the environment's ``QMK_KERNEL_TENANT`` (else ``local``, the
    tenant of a kernel started without a configuration) and ``QMK_KERNEL_SECRET`` (else none: log in
    by Unix user id). ``policy`` takes the other ``q_submit`` parameters (priority, timeout, deadline,
    keep_shots, format). A job that ends other than COMPLETED raises ``RemoteError`` with its state
    and reason.
    """
    tenant = tenant or os.environ.get("QMK_KERNEL_TENANT") or "local"
    secret = secret if secret is not None else os.environ.get("QMK_KERNEL_SECRET")
    with KernelClient(socket_path, tenant, secret) as k:
        job = k.submit(program_bytes, shots=shots, seed=seed, **policy)
        status = k.wait(job, result=True)
        if status["state"] != "COMPLETED":
            err = RemoteError(-32302, f"job ended {status['state']}: {status.get('reason')}", status)
            if status["state"] in ("CANCELLED", "TIMED_OUT"):
                err.exit_code = 130
            raise err
        return status["result"]

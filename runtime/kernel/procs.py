"""Job processes: each worker thread runs its jobs in its own child process.

Why processes: a simulation is mostly Python and numpy; in threads it would share one interpreter
lock with the event loop and the other workers, so ``--workers N`` would not use N cores, and a job
that crashed the interpreter (a native library bug, memory exhaustion) would take every tenant's work
down with it. A child runs one job at a time; the worker thread sends it the stored program, waits
for the result, and passes a cancel on as SIGUSR1, which sets the flag the runtime polls at every
node and shot. A child that dies fails only its own job and is replaced.

A child is ``python -m qmk.runtime.kernel.procs`` talking over its stdin and stdout (no
``multiprocessing``: nothing depends on how the kernel process was started). It ignores SIGINT and
SIGTERM (the kernel decides when it stops: when its stdin closes) and, on Linux, is killed by the
operating system if the kernel process dies (``PR_SET_PDEATHSIG``).

Frames in both directions: 8 bytes (header length, payload length; big-endian), a JSON header, then
the payload bytes (the program to the child, the result JSON back).
"""

from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import time

import orjson

from .jobs import CancelFlag

POLL_S = 0.02  # how often a waiting worker checks for a cancel or timeout to pass on
_FRAME = struct.Struct("!II")


class Cancelled(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class Failed(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _write_frame(stream, header: dict, payload: bytes = b"") -> None:
    head = orjson.dumps(header)
    stream.write(_FRAME.pack(len(head), len(payload)) + head + payload)
    stream.flush()


def _read_exact(stream, n: int) -> bytes:
    data = stream.read(n)
    if data is None or len(data) != n:
        raise EOFError("the other side closed the pipe")
    return data


def _read_frame(stream) -> tuple[dict, bytes]:
    hlen, plen = _FRAME.unpack(_read_exact(stream, _FRAME.size))
    return orjson.loads(_read_exact(stream, hlen)), _read_exact(stream, plen) if plen else b""


class JobProcess:
    """A child process that runs one job at a time for one worker thread."""

    def __init__(self) -> None:
        self._start()

    def _start(self) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "qmk.runtime.kernel.procs"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, close_fds=True)
        self._ready = False

    def run(self, program: bytes, *, shots: int, seed: int, keep_shots: bool, cancel: CancelFlag) -> bytes:
        """Run a job in the child; the RunResult JSON, or Cancelled(reason) / Failed(message)."""
        out = self.proc.stdout
        try:
            if not self._ready:
                self._ready = _read_frame(out)[0].get("kind") == "ready"
            _write_frame(self.proc.stdin, {"shots": shots, "seed": seed, "keep_shots": keep_shots,
                                           "expires": cancel.expires}, program)
            signalled = False
            while not select.select([out], [], [], POLL_S)[0]:
                if not signalled and cancel.is_set():
                    self.proc.send_signal(signal.SIGUSR1)
                    signalled = True
            header, payload = _read_frame(out)
        except (EOFError, OSError, ValueError):
            code = self._restart()
            raise Failed(f"the job's process died (exit code {code})") from None
        kind = header.get("kind")
        if kind == "ok":
            return payload
        if kind == "cancelled":
            raise Cancelled(cancel.reason or header.get("reason", "cancelled"))
        raise Failed(str(header.get("message", "the job's process failed")))

    def _restart(self) -> int | None:
        code = self._stop()
        self._start()
        return code

    def _stop(self) -> int | None:
        """Close the child's stdin (it exits on end of input); kill it if it does not within 5 s."""
        for stream in (self.proc.stdin, self.proc.stdout):
            try:
                stream.close()
            except OSError:
                pass
        try:
            return self.proc.wait(5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def close(self) -> None:
        self._stop()


# ---------------------------------------------------------------------------------- the child side

class _ChildCancel:
    """The child's cancel flag: set by SIGUSR1 from the kernel, or by the job's time running out."""

    __slots__ = ("expires", "reason", "signalled")

    def __init__(self) -> None:
        self.signalled, self.expires, self.reason = False, None, None

    def is_set(self) -> bool:
        if self.signalled:
            self.reason = self.reason or "cancelled"
            return True
        if self.expires is not None and time.time() >= self.expires:
            self.reason = "timeout"
            return True
        return False


def _die_with_parent() -> None:
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def child_main() -> None:
    """Serve jobs on stdin/stdout until stdin closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    _die_with_parent()
    flag = _ChildCancel()

    def on_cancel(_sig, _frame) -> None:
        flag.signalled = True

    signal.signal(signal.SIGUSR1, on_cancel)
    from ...diagnostics import QmkError
    from . import executor_bridge as bridge

    cancelled_exc = bridge.cancelled_error()
    inp, out = sys.stdin.buffer, os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout = sys.stderr  # nothing printed by a library may corrupt the frames
    bridge.warm_up()
    _write_frame(out, {"kind": "ready"})
    while True:
        try:
            header, program = _read_frame(inp)
        except (EOFError, OSError, ValueError):
            return
        flag.signalled, flag.reason, flag.expires = False, None, header.get("expires")
        result = b""
        try:
            result = bridge.execute(bridge.load_canonical(program), shots=header["shots"], seed=header["seed"],
                                    cancel=flag, keep_shots=header["keep_shots"])
            reply = {"kind": "ok"}
        except cancelled_exc:
            reply = {"kind": "cancelled", "reason": flag.reason or "cancelled"}
        except QmkError as e:
            reply = {"kind": "error", "message": e.message}
        except MemoryError:
            reply = {"kind": "error", "message": "out of memory"}
        except Exception as e:  # a runtime bug fails the job, not the child
            reply = {"kind": "error", "message": f"internal error: {type(e).__name__}: {e}"}
        try:
            _write_frame(out, reply, result)
        except OSError:
            return


if __name__ == "__main__":
    child_main()

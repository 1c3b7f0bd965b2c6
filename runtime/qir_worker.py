"""Running JIT-compiled QIR in a forked worker process, so that no program can hang or crash the caller.

Native code compiled from a hostile module can do what no check inside it can undo: store through a
wild pointer, jump to an invalid address, exhaust the stack with a huge ``alloca``. The worker contains
all of these. The caller forks; the child compiles and runs the shots and sends one pickled message
back through a pipe, then leaves with ``os._exit`` (no atexit handlers, no flushing of the parent's
buffers). The parent

* waits with a wall-time limit and kills the child (SIGKILL) when it is exceeded, or when ``cancel``
  is set, or when the parent itself is interrupted;
* reports a child that died without a message by its signal (SIGSEGV, SIGILL, SIGBUS, ...) and the shot
  it was in, read from a shared progress counter;
* re-raises the child's errors with their exit codes.

The child ignores SIGINT (the parent decides what an interrupt does) and disables core dumps. Forking
is cheap here (copy-on-write; a few milliseconds), so the worker is started once per run, not per shot.
"""

from __future__ import annotations

import ctypes
import faulthandler
import math
import mmap
import os
import pickle
import select
import signal
import time
import traceback
from collections.abc import Callable

from qmk.diagnostics import InputError, QmkError, QmkIOError, UsageError

from .errors import RunCancelled


class QirRunError(QmkError):
    """A QIR program broke a rule of the runtime or a limit (steps, depth, ids, angles, time, a crash)."""

    exit_code = 3

    def __init__(self, message: str, *, shot: int | None = None, notes=()):
        super().__init__(message, notes=notes)
        self.shot = shot


_BY_CODE = {2: UsageError, 3: InputError, 4: QmkIOError, 130: RunCancelled}


class Progress:
    """A shot counter in shared memory: the child writes it, the parent reads it."""

    def __init__(self) -> None:
        self._mm = mmap.mmap(-1, 8)
        self._cell = ctypes.c_int64.from_buffer(self._mm)

    @property
    def value(self) -> int:
        return self._cell.value

    @value.setter
    def value(self, v: int) -> None:
        self._cell.value = v

    def close(self) -> None:
        del self._cell
        self._mm.close()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def send_and_exit(fd: int, message: tuple) -> None:
    """Child side: send ``message`` and end the process now (called from callbacks too)."""
    try:
        _write_all(fd, pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL))
    finally:
        os._exit(0)


def _is_set(cancel) -> bool:
    if cancel is None:
        return False
    return bool(cancel.is_set() if hasattr(cancel, "is_set") else cancel())


def run_forked(job: Callable[[int, Progress], object], *, timeout: float | None, cancel=None,
               on_progress: Callable[[int], None] | None = None, what: str = "the QIR program",
               limit: float | None = None, cpu_limit: float | None = None):
    """Run ``job(fd, progress)`` in a forked child and return what it sent as ``("ok", payload)``.
    ``timeout`` is the time left; ``limit`` the limit to name in the message (default ``timeout``);
    ``cpu_limit`` (seconds) is set as the child's RLIMIT_CPU, a backstop for when there is no timeout."""
    progress = Progress()
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        try:
            os.close(rfd)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            faulthandler.disable()  # a crash of native code is reported by the parent, not dumped here
            try:
                import resource

                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                if cpu_limit is not None:
                    soft = max(1, math.ceil(cpu_limit))
                    resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 5))
            except (ImportError, ValueError, OSError):
                pass
            msg: tuple = ("ok", job(wfd, progress))
        except QirRunError as e:
            msg = ("fault", e.message, e.shot, list(e.notes))
        except QmkError as e:
            msg = ("error", e.exit_code, e.message, list(e.notes))
        except BaseException:  # noqa: BLE001 - the child must report everything and exit
            msg = ("internal", traceback.format_exc())
        send_and_exit(wfd, msg)
    os.close(wfd)
    start = time.monotonic()
    buf = bytearray()
    killed: str | None = None
    eof = False
    try:
        while True:
            if timeout is not None and time.monotonic() - start > timeout:
                killed = "time"
                break
            if _is_set(cancel):
                killed = "cancel"
                break
            ready, _, _ = select.select([rfd], [], [], 0.05)
            if ready:
                chunk = os.read(rfd, 1 << 20)
                if not chunk:
                    eof = True
                    break
                buf += chunk
            if on_progress is not None:
                on_progress(progress.value)
    finally:
        # Reached on every path, including an exception in the parent (KeyboardInterrupt): the child
        # is killed unless it finished on its own, and always reaped.
        status = _reap(pid, kill=not eof)
        os.close(rfd)
        shot = progress.value
        progress.close()
    if killed == "time":
        raise QirRunError(f"{what}: exceeded the wall-time limit of {limit or timeout:g} s (in shot {shot})",
                          shot=shot,
                          notes=["raise it with --timeout, or lower --shots"])
    if killed == "cancel":
        raise RunCancelled("the run was cancelled")
    try:
        msg = pickle.loads(bytes(buf))
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        msg = None  # the child died before its message was complete
    if msg is None:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        how = f"signal {_signame(sig)}" if sig else f"exit status {os.WEXITSTATUS(status)}"
        if sig == signal.SIGXCPU:
            raise QirRunError(f"{what}: the JIT worker exceeded its CPU-time limit of {cpu_limit:g} s "
                              f"in shot {shot}", shot=shot, notes=["set --timeout for a wall-time limit"])
        raise QirRunError(
            f"{what}: crashed the JIT worker ({how}) in shot {shot}", shot=shot,
            notes=[("native code from the module made an invalid memory access, overflowed the stack, or "
                    "executed a trap; the calling process was not affected")],
        )
    kind = msg[0]
    if kind == "ok":
        return msg[1]
    if kind == "fault":
        raise QirRunError(msg[1], shot=msg[2], notes=msg[3] if len(msg) > 3 else ())
    if kind == "error":
        cls = _BY_CODE.get(msg[1], QmkError)
        err = cls(msg[2], notes=msg[3])
        err.exit_code = msg[1]
        raise err
    raise QmkError(f"internal error in the JIT worker:\n{msg[1]}")


def _reap(pid: int, *, kill: bool) -> int:
    if kill:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    return status


def _signame(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return str(sig)

"""Jobs: their states, policy, and the cancel flag the runtime polls.

States: QUEUED -> VALIDATING -> RUNNING -> COMPLETED | FAILED | CANCELLED | TIMED_OUT. A job is
accepted (and stored) in QUEUED; a worker takes it to VALIDATING (admission checks that depend on the
time it starts: deadline, the tenant's policy now), then RUNNING, then one final state. A queued job
can go straight to CANCELLED or TIMED_OUT.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any

QUEUED, VALIDATING, RUNNING = "QUEUED", "VALIDATING", "RUNNING"
COMPLETED, FAILED, CANCELLED, TIMED_OUT = "COMPLETED", "FAILED", "CANCELLED", "TIMED_OUT"
STATES = (QUEUED, VALIDATING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMED_OUT)
FINAL = frozenset((COMPLETED, FAILED, CANCELLED, TIMED_OUT))


class CancelFlag:
    """A job's cancel flag in the kernel: set by ``q_cancel`` or a shutdown, or by its time running out.

    The worker waiting on the job's process polls it and passes a cancel on to the process, where
    the runtime polls its own flag (``procs._ChildCancel``, also given ``expires``) at every node and
    shot. ``reason`` says why: "cancelled", "timeout" or "shutdown".
    """

    __slots__ = ("_event", "expires", "reason")

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason: str | None = None
        self.expires: float | None = None  # wall-clock time after which the job is timed out

    def set(self, reason: str = "cancelled") -> None:
        if self.reason is None:
            self.reason = reason
        self._event.set()

    def is_set(self) -> bool:
        if self._event.is_set():
            return True
        if self.expires is not None and time.time() >= self.expires:
            self.set("timeout")
            return True
        return False


@dataclass(slots=True, eq=False)
class Job:
    id: str
    tenant: str
    seq: int
    program: bytes  # canonical QVM JSON, as verified at submission
    qubits: int
    shots: int
    seed: int
    priority: int = 0
    timeout: float | None = None  # seconds of running time
    deadline: float | None = None  # wall-clock time by which the job must finish
    on_interrupt: str = "rerun"
    state: str = QUEUED
    submitted: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    reason: str | None = None
    attempts: int = 0
    keep_shots: bool = False  # keep per-shot records in the result (for QIR-style records output)
    result: bytes | None = None  # the stored result JSON, kept while waiters may still ask for it
    cancel: CancelFlag = field(default_factory=CancelFlag)
    parsed: Any = None  # the Program, kept from submission so a worker need not parse it again

    def status(self, handle: str) -> dict:
        out = {"job": handle, "state": self.state, "priority": self.priority, "shots": self.shots,
               "submitted": self.submitted}
        for key in ("started", "finished", "reason"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        return out

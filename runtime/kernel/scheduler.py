"""Fair scheduling across tenants, priority within a tenant, and the worker pool.

Each tenant has its own queue ordered by (higher priority first, then submission order). Workers take
jobs round-robin over the tenants that have work and room under their quotas (running jobs, logical
qubits in use), so one tenant's thousand queued jobs delay another tenant's next job by at most one
job per tenant ahead of it, whatever the priorities: priority orders a tenant's own jobs only.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections import deque
from collections.abc import Callable

from .config import Quota
from .jobs import QUEUED, VALIDATING, Job


class Scheduler:
    def __init__(self, quota_of: Callable[[str], Quota]):
        self._quota_of = quota_of
        self._cond = threading.Condition()
        self._queues: dict[str, list[tuple[int, int, Job]]] = {}
        self._turn: deque[str] = deque()  # tenants with queued jobs, in round-robin order
        self.running: dict[str, int] = {}
        self.qubits: dict[str, int] = {}
        self.pending: dict[str, int] = {}  # queued or running, per tenant (the max_queued quota)
        self._closed = False

    def put(self, job: Job) -> None:
        with self._cond:
            q = self._queues.setdefault(job.tenant, [])
            if not q and job.tenant not in self._turn:
                self._turn.append(job.tenant)
            heapq.heappush(q, (-job.priority, job.seq, job))
            self.pending[job.tenant] = self.pending.get(job.tenant, 0) + 1
            self._cond.notify()

    def _fits(self, tenant: str, job: Job) -> bool:
        quota = self._quota_of(tenant)
        return (
            self.running.get(tenant, 0) < quota.max_running
            and self.qubits.get(tenant, 0) + job.qubits <= quota.max_qubits
        )

    def _pick(self) -> Job | None:
        for _ in range(len(self._turn)):
            tenant = self._turn.popleft()
            q = self._queues.get(tenant)
            while q and q[0][2].state != QUEUED:  # cancelled or timed out while queued
                heapq.heappop(q)
            if not q:
                self._queues.pop(tenant, None)
                continue
            self._turn.append(tenant)
            job = q[0][2]
            if self._fits(tenant, job):
                heapq.heappop(q)
                job.state = VALIDATING
                self.running[tenant] = self.running.get(tenant, 0) + 1
                self.qubits[tenant] = self.qubits.get(tenant, 0) + job.qubits
                return job
        return None

    def take(self) -> Job | None:
        """Block until a job may start (it is counted as running), or return None once closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                job = self._pick()
                if job is not None:
                    return job
                self._cond.wait()

    def done(self, job: Job) -> None:
        """A job taken with ``take`` has ended: free its quota."""
        with self._cond:
            self.running[job.tenant] -= 1
            self.qubits[job.tenant] -= job.qubits
            self.pending[job.tenant] -= 1
            self._cond.notify_all()

    def unqueue(self, job: Job, state: str) -> bool:
        """Move a still-queued job to ``state`` (it will be skipped); False if a worker already has it."""
        with self._cond:
            if job.state != QUEUED:
                return False
            job.state = state
            return True

    def dropped(self, job: Job) -> None:
        """A queued job left the queue without running (cancelled or timed out)."""
        with self._cond:
            self.pending[job.tenant] -= 1
            self._cond.notify_all()

    def queued_jobs(self) -> list[Job]:
        with self._cond:
            return [e[2] for q in self._queues.values() for e in q if e[2].state == QUEUED]

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()


class WorkerPool:
    """``n`` threads that take jobs from the scheduler and run them with ``run``; each thread has its
    own job process (``procs.JobProcess``), started with the thread, reached through ``process()``."""

    def __init__(self, n: int, scheduler: Scheduler, run: Callable[[Job], None]):
        self._scheduler = scheduler
        self._run = run
        self._local = threading.local()
        self._threads = [threading.Thread(target=self._loop, name=f"qmk-worker-{i}", daemon=True) for i in range(n)]
        for t in self._threads:
            t.start()

    def process(self):
        return self._local.proc

    def _loop(self) -> None:
        from .procs import JobProcess

        proc = self._local.proc = JobProcess()
        try:
            while True:
                job = self._scheduler.take()
                if job is None:
                    return
                try:
                    self._run(job)
                finally:
                    self._scheduler.done(job)
        finally:
            proc.close()

    def join(self, timeout: float | None) -> bool:
        """Wait for the workers to finish (after ``Scheduler.close``); True when all have."""
        end = None if timeout is None else time.monotonic() + timeout
        for t in self._threads:
            t.join(None if end is None else max(0.0, end - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

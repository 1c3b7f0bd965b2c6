"""Running jobs: the worker body, cancellation, restart recovery and draining.

Every final state is stored (with the result and the audit head, in one transaction) before anyone is
told, so what a client has seen is always what a restarted kernel reports. A job that was RUNNING
when the kernel died is re-run (with the seed chosen at submission, so a re-run gives the same
result) or failed with the reason, as its ``on_interrupt`` policy says.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from ...diagnostics import QmkError
from . import executor_bridge as bridge
from .jobs import CANCELLED, COMPLETED, FAILED, FINAL, QUEUED, RUNNING, TIMED_OUT, VALIDATING, Job
from .procs import Cancelled, Failed
from .scheduler import WorkerPool

if TYPE_CHECKING:
    from .service import Kernel

INTERRUPTED = "the kernel stopped while the job was running"
MAX_ATTEMPTS = 3
log = logging.getLogger("qmk.kernel")


class JobRunner:
    def __init__(self, kernel: Kernel):
        self.k = kernel
        self.pool: WorkerPool | None = None

    def start(self, workers: int) -> None:
        self.pool = WorkerPool(workers, self.k.scheduler, self.run)

    # ------------------------------------------------------------------ recovery
    def recover(self) -> dict:
        """Requeue stored unfinished jobs; apply each interrupted job's policy."""
        requeued = rerun = failed = 0
        for job in self.k.store.unfinished():
            problem = self._unrunnable(job)
            if problem is None and job.state in (VALIDATING, RUNNING):
                if job.on_interrupt == "fail":
                    problem = INTERRUPTED
                elif job.attempts >= MAX_ATTEMPTS:  # e.g. a job that takes the kernel down with it
                    problem = f"{INTERRUPTED}, {job.attempts} times; not re-run again"
            if problem is not None:
                self._final(job, FAILED, problem)
                failed += 1
                continue
            if job.state == QUEUED:
                requeued += 1
            else:  # stored as queued again, so a second crash before it restarts is not counted twice
                rerun += 1
                self.k.store.write([self.k.store.update_stmt(job, QUEUED)])
            job.state = QUEUED
            self.k.jobs[job.id] = job
            self.k.scheduler.put(job)
        return {"requeued": requeued, "rerun": rerun, "failed": failed}

    def _unrunnable(self, job: Job) -> str | None:
        """Why a stored job can never run under the current configuration, if it cannot."""
        tenant = self.k.config.tenants.get(job.tenant)
        if tenant is None:
            return "the tenant is no longer configured"
        if job.qubits > tenant.quota.max_qubits or job.shots > tenant.quota.max_shots:
            return "the job exceeds the tenant's current quota"
        return None

    # ------------------------------------------------------------------ cancel
    def cancel(self, job: Job, reason: str) -> str | None:
        """Cancel a job: a queued one ends now, a running one at its next node or shot.

        Returns the state to report (CANCELLED, or CANCELLING while a running job stops), or None when
        the job had already ended or was already being cancelled.
        """
        if self.k.scheduler.unqueue(job, VALIDATING):  # no worker will take it now
            self._final(job, CANCELLED, reason, dropped=True)
            return CANCELLED
        if job.state in FINAL or job.cancel.reason is not None:
            return None
        job.cancel.set("cancelled")
        return "CANCELLING"

    # ------------------------------------------------------------------ the worker body
    def run(self, job: Job) -> None:
        """Run one job taken from the scheduler (its state is VALIDATING).

        An exception that is not the job's own outcome (a bug in the kernel, memory exhaustion in this
        process) fails the job with the reason and leaves the worker running: otherwise the worker
        thread would end, and the job and every job queued after it would wait for ever."""
        try:
            self._run(job)
        except Exception as e:
            log.exception("job %s of %s: internal error", job.id, job.tenant)
            if job.state not in FINAL:
                self._final(job, FAILED, f"internal error in the kernel: {type(e).__name__}: {e}")

    def _run(self, job: Job) -> None:
        now = time.time()
        if job.cancel.is_set():
            return self._final(job, CANCELLED, "cancelled by the tenant")
        if job.deadline is not None and now >= job.deadline:
            return self._final(job, TIMED_OUT, "the deadline passed before the job could start")
        tenant = self.k.config.tenants.get(job.tenant)
        try:
            program = job.parsed if job.parsed is not None else bridge.load_canonical(job.program)
        except QmkError as e:
            return self._final(job, FAILED, f"stored program unreadable: {e.message}")
        missing = sorted(set(program.required_caps()) - set(tenant.caps)) if tenant else ["tenant"]
        if missing:
            return self._final(job, FAILED, f"the tenant's policy no longer allows {', '.join(missing)}")
        job.parsed = None  # the program is not needed in memory once the job runs
        job.state, job.started, job.attempts = RUNNING, now, job.attempts + 1
        ends = [t for t in (job.deadline, now + job.timeout if job.timeout else None) if t is not None]
        job.cancel.expires = min(ends) if ends else None
        # not waited for: the writer applies writes in order, so this lands before the final state
        self.k.store.write([self.k.store.update_stmt(job, RUNNING)])
        try:
            result = self.pool.process().run(job.program, shots=job.shots, seed=job.seed,
                                             keep_shots=job.keep_shots, cancel=job.cancel)
        except Cancelled as c:
            if c.reason == "shutdown":
                return  # stays RUNNING in the store: the restart policy decides
            if c.reason == "timeout":
                return self._final(job, TIMED_OUT, "the job ran past its timeout or deadline")
            return self._final(job, CANCELLED, "cancelled by the tenant while running")
        except Failed as e:
            return self._final(job, FAILED, e.message)
        self._final(job, COMPLETED, None, result)

    def _final(self, job: Job, state: str, reason: str | None, result: bytes | None = None,
               dropped: bool = False) -> None:
        """Queue the final state; it is shown (and waiters woken) only once committed with its result."""
        job.reason, job.finished = reason, time.time()
        head = self.k.audit.append("job_end", defer=True, tenant=job.tenant, job=job.id, state=state, reason=reason)
        store = self.k.store

        log.log(logging.DEBUG if state == COMPLETED else logging.INFO, "job %s of %s: %s%s", job.id, job.tenant,
                state, f" ({reason})" if reason else "")

        def committed(error: BaseException | None) -> None:
            if error is not None:  # not stored: leave the job as it was; a restart applies its policy
                log.error("could not store the end of job %s: %s", job.id, error)
            if error is None:
                job.result, job.state = result, state
            if dropped:
                self.k.scheduler.dropped(job)
            self.k.job_finished(job)

        store.write([store.update_stmt(job, state, result), store.audit_head_stmt(head)], committed)

    def shutdown(self, drain_timeout: float) -> bool:
        """Stop taking queued jobs, wait for running ones; past the timeout, stop them (restart re-runs)."""
        self.k.scheduler.close()
        if self.pool is None:
            return True
        if self.pool.join(drain_timeout):
            return True
        for job in list(self.k.jobs.values()):
            if job.state in (VALIDATING, RUNNING):
                job.cancel.set("shutdown")
        return self.pool.join(5.0)

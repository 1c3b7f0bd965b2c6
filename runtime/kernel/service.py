"""The kernel: every qSyscall, over the store, the scheduler, sessions and channels.

Methods run on the server's event-loop thread (``q_submit`` and ``q_wait`` answer later, as coroutines);
worker threads run jobs in their job processes, and a finished job reaches the loop, once stored,
through ``call_soon_threadsafe``. A job's
handle is checked against the caller's tenant before anything else is looked up, so a foreign or
forged handle fails exactly like an unknown one (``JobNotFound``).
"""

from __future__ import annotations

import asyncio
import os

import orjson

from .admission import Admission, number_param
from .audit import AUDIT_FILE, AuditLog
from .channels import Channels
from .config import KernelConfig
from .errors import (
    InsufficientCaps,
    InvalidParams,
    JobNoResult,
    JobNotFinished,
    JobNotFound,
)
from .jobs import FINAL, STATES, Job
from .runner import JobRunner
from .scheduler import Scheduler
from .security import Signer, ensure_state_dir, load_key, lock_state_dir
from .sessions import Session, Sessions
from .store import Store


class Kernel:
    def __init__(self, config: KernelConfig, state_dir: str, *, durable: bool = False):
        self.config = config
        ensure_state_dir(state_dir)
        self._lock_fd = lock_state_dir(state_dir)
        key = load_key(state_dir)
        self.signer = Signer(key)
        self.audit = AuditLog(os.path.join(state_dir, AUDIT_FILE), key)
        self.store = Store(state_dir, durable=durable, before_commit=self.audit.flush)
        self.sessions = Sessions(config, self.signer, self.store, self.audit)
        self.channels = Channels(self.signer)
        self.scheduler = Scheduler(self._quota)
        self.jobs: dict[str, Job] = {}  # accepted and not final
        self._waiters: dict[str, list[asyncio.Future]] = {}
        self.accepting = True
        self.loop: asyncio.AbstractEventLoop | None = None
        self.runner = JobRunner(self)
        self.admission = Admission(self)

    def _quota(self, tenant: str):
        t = self.config.tenants.get(tenant)
        return t.quota if t is not None else _NO_QUOTA

    # ------------------------------------------------------------------ life cycle
    def start(self, loop: asyncio.AbstractEventLoop) -> dict:
        """Recover stored jobs and start the workers; returns what recovery did."""
        self.loop = loop
        summary = self.runner.recover()
        self.runner.start(self.config.worker_count())
        self.audit.append("kernel_start", workers=self.config.worker_count(), **summary)
        return summary

    def close(self) -> None:
        """Commit and close the store and the audit log, then release the state directory."""
        self.store.write([self.store.audit_head_stmt((self.audit.seq, self.audit.head))])
        self.store.close()
        self.audit.close()
        os.close(self._lock_fd)

    def job_finished(self, job: Job) -> None:
        """Called from a worker thread once a job's final state is stored."""
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._wake, job.id)

    def _wake(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)
        for fut in self._waiters.pop(job_id, ()):
            if not fut.done():
                fut.set_result(None)

    # ------------------------------------------------------------------ helpers
    def _job_id(self, sess: Session, params: dict, key: str = "job") -> str:
        ident = self.signer.open_handle("job", sess.tenant.name, params.get(key))
        if ident is None:
            raise JobNotFound()
        return ident

    def _status(self, sess: Session, ident: str) -> dict:
        job = self.jobs.get(ident)
        if job is not None and job.tenant == sess.tenant.name:
            return job.status(self.signer.handle("job", job.tenant, ident))
        row = self.store.job_status(ident, sess.tenant.name)
        if row is None:
            raise JobNotFound()
        return self._public(row)

    def _public(self, row: dict) -> dict:
        row["job"] = self.signer.handle("job", row.pop("tenant"), row.pop("id"))
        row.pop("seq")
        return row

    # ------------------------------------------------------------------ syscalls
    def q_negotiate_caps(self, params: dict, peer_uid: int | None) -> dict:
        return self.sessions.negotiate(params, peer_uid)

    def q_close_session(self, sess: Session, params: dict) -> dict:
        return self.sessions.close(sess)

    def q_submit(self, sess: Session, params: dict):
        return self.admission.submit(sess, params)

    def q_status(self, sess: Session, params: dict) -> dict:
        return self._status(sess, self._job_id(sess, params))

    async def q_wait(self, sess: Session, params: dict) -> dict:
        ident = self._job_id(sess, params)
        timeout = number_param(params, "timeout", self.config.max_wait, lo=0, hi=self.config.max_wait)
        want_result = params.get("result", False) is True
        job = self.jobs.get(ident)
        if job is not None and job.tenant == sess.tenant.name and job.state not in FINAL and timeout > 0:
            fut = asyncio.get_running_loop().create_future()
            self._waiters.setdefault(ident, []).append(fut)
            try:
                await asyncio.wait_for(fut, timeout)
            except TimeoutError:
                pass
            finally:
                waiters = self._waiters.get(ident)
                if waiters and fut in waiters:
                    waiters.remove(fut)
        if job is not None and job.tenant == sess.tenant.name:
            status = job.status(params["job"])  # the job we waited on, final or not
        else:
            status = self._status(sess, ident)
        if want_result and status["state"] == "COMPLETED":
            raw = job.result if job is not None and job.result is not None else self._result(sess, ident)
            status["result"] = orjson.Fragment(raw)  # stored JSON, sent as is
        return status

    def q_cancel(self, sess: Session, params: dict) -> dict:
        ident = self._job_id(sess, params)
        job = self.jobs.get(ident)
        if job is None or job.tenant != sess.tenant.name:
            status = self._status(sess, ident)  # raises JobNotFound for anything not ours
            return dict(status, cancelled=False)
        outcome = self.runner.cancel(job, "cancelled by the tenant")
        self.audit.append("job_cancel", defer=True, tenant=job.tenant, job=job.id, state=outcome or job.state)
        status = job.status(params["job"])
        if outcome is not None:
            status["state"] = outcome
        return dict(status, cancelled=outcome is not None)

    def q_list_jobs(self, sess: Session, params: dict) -> dict:
        state = params.get("state")
        if state is not None and state not in STATES:
            raise InvalidParams(f"'state' must be one of {', '.join(STATES)}")
        limit = number_param(params, "limit", 100, lo=1, hi=1000, integer=True)
        before = None
        if params.get("before") is not None:
            row = self.store.job_status(self._job_id(sess, params, "before"), sess.tenant.name)
            if row is None:
                raise JobNotFound()
            before = row["seq"]
        rows = self.store.list_jobs(sess.tenant.name, state, limit, before)
        jobs = []
        for row in rows:
            live = self.jobs.get(row["id"])
            jobs.append(live.status(self.signer.handle("job", live.tenant, live.id)) if live else self._public(row))
        return {"jobs": jobs}

    def _result(self, sess: Session, ident: str) -> bytes:
        """The stored result JSON of a finished job of this tenant."""
        row = self.store.job_result(ident, sess.tenant.name)
        if row is None:
            raise JobNotFound()
        state, reason, result = row
        if state not in FINAL:
            raise JobNotFinished(data={"state": state})
        if result is None:
            raise JobNoResult(f"job ended {state}: {reason}", data={"state": state, "reason": reason})
        return result

    def q_result(self, sess: Session, params: dict) -> dict:
        ident = self._job_id(sess, params)
        live = self.jobs.get(ident)
        if live is not None and live.tenant == sess.tenant.name and live.state not in FINAL:
            raise JobNotFinished(data={"state": live.state})
        return {"job": params["job"], "state": "COMPLETED", "result": orjson.Fragment(self._result(sess, ident))}

    def q_open_chan(self, sess: Session, params: dict) -> dict:
        if "CAP_LINK" not in sess.caps:
            raise InsufficientCaps("channels need CAP_LINK", data={"missing": ["CAP_LINK"]})
        handles = params.get("jobs")
        peer = params.get("peer")
        opts = params.get("opts", {})
        if not isinstance(handles, list) or (peer is not None and not isinstance(peer, str)) or not isinstance(opts, dict):
            raise InvalidParams("'jobs' is a list of job handles, 'peer' a tenant name, 'opts' an object")
        ids = []
        for h in handles:
            ident = self._job_id(sess, {"job": h})
            self._status(sess, ident)
            ids.append(ident)
        view = self.channels.open(sess.tenant.name, ids, peer, opts)
        self.audit.append("chan_open", tenant=sess.tenant.name, peer=view["peer"], state=view["state"])
        return view

    def q_close_chan(self, sess: Session, params: dict) -> dict:
        view = self.channels.close(sess.tenant.name, params.get("chan"))
        self.audit.append("chan_close", tenant=sess.tenant.name, peer=view["peer"])
        return view

    def q_get_telemetry(self, sess: Session, params: dict) -> dict:
        name = sess.tenant.name
        if params.get("job") is not None:
            ident = self._job_id(sess, params)
            status = self._status(sess, ident)
            out = dict(status)
            if status["state"] == "COMPLETED":
                out["runtime"] = orjson.loads(self._result(sess, ident)).get("telemetry", {})
            if "started" in status:
                out["queued_s"] = round(status["started"] - status["submitted"], 6)
            if "finished" in status and "started" in status:
                out["run_s"] = round(status["finished"] - status["started"], 6)
            return out
        q = sess.tenant.quota
        return {
            "tenant": name,
            "jobs": self.store.state_counts(name),
            "pending": self.scheduler.pending.get(name, 0),
            "running": self.scheduler.running.get(name, 0),
            "qubits_in_use": self.scheduler.qubits.get(name, 0),
            "shots_completed": self.store.shots_done(name),
            "quota": {k: getattr(q, k) for k in q.__dataclass_fields__},
            "session": {"caps": sorted(sess.caps), "expires": sess.expires},
            "channels": self.channels.of_tenant(name),
        }


class _NoQuota:
    max_qubits = max_running = 0


_NO_QUOTA = _NoQuota()

"""Admission: what ``q_submit`` checks, in order, before a job exists.

Parameters and shots, then room in the tenant's queue and rate window (cheap, no program needed),
then the program is read and verified (on a thread when it is large, so the event loop keeps serving
others), then its capabilities against the session's grant and its logical qubits against the quota.
Only then is the job written to the store; the answer is sent when that write is committed, so an
accepted job is never lost. Jobs waiting for their commit count against ``max_queued`` too, so quotas
hold exactly even under a burst of submissions.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import TYPE_CHECKING

from ...ops import CAPABILITIES
from . import executor_bridge as bridge
from .errors import (
    InsufficientCaps,
    InternalError,
    InvalidParams,
    QubitQuota,
    QueueFull,
    RateLimited,
    ShotQuota,
    ShuttingDown,
)
from .jobs import QUEUED, Job
from .security import new_id_and_seed
from .sessions import Session

if TYPE_CHECKING:
    from .service import Kernel

MAX_SEED = 2**63 - 1
OFFLOAD_BYTES = 1 << 20  # programs larger than this are read and verified on a thread


def number_param(params: dict, key: str, default, *, lo=None, hi=None, integer=False):
    v = params.get(key, default)
    if v is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(v, bool) or not isinstance(v, kinds) or (lo is not None and v < lo) or (hi is not None and v > hi):
        rng = f" in [{lo}, {hi}]" if hi is not None else (f" >= {lo}" if lo is not None else "")
        raise InvalidParams(f"'{key}' must be {'an integer' if integer else 'a number'}{rng}")
    return v



class Admission:
    def __init__(self, kernel: Kernel):
        self.k = kernel
        self._seq = kernel.store.max_seq()
        self._rate: dict[str, deque] = {}
        self._accepting: dict[str, int] = {}  # submissions waiting for their commit, per tenant

    def submit(self, sess: Session, params: dict):
        """Check, read, verify and store a job; answers once the job is committed (a coroutine)."""
        policy = self._policy(sess, params)
        data = bridge.program_bytes(params)
        if len(data) > OFFLOAD_BYTES:
            return self._submit_large(sess, policy, data)
        return self._admit(sess, policy, *bridge.prepare(data, policy["format"]))

    async def _submit_large(self, sess: Session, policy: dict, data: bytes) -> dict:
        # reading and verifying a big program takes a while: off the event loop, so others are served
        program, canonical = await asyncio.to_thread(bridge.prepare, data, policy["format"])
        return await self._admit(sess, policy, program, canonical)

    def _policy(self, sess: Session, params: dict) -> dict:
        """The job's policy from the parameters, with the checks that need no program: shots, queue, rate."""
        if not self.k.accepting:
            raise ShuttingDown()
        tenant = sess.tenant
        quota = tenant.quota
        p = {
            "shots": number_param(params, "shots", 1000, lo=1, hi=2**31 - 1, integer=True),
            "seed": number_param(params, "seed", None, lo=0, hi=MAX_SEED, integer=True),
            "priority": number_param(params, "priority", 0, lo=0, hi=tenant.max_priority, integer=True),
            "timeout": number_param(params, "timeout", None, lo=0.001),
            "deadline": number_param(params, "deadline", None, lo=0),
            "format": params.get("format"),
            "on_interrupt": params.get("on_interrupt", self.k.config.on_interrupt),
            "keep_shots": params.get("keep_shots", False),
        }
        if p["on_interrupt"] not in ("rerun", "fail") or not isinstance(p["keep_shots"], bool) \
                or (p["format"] is not None and not isinstance(p["format"], str)):
            raise InvalidParams("'on_interrupt' is \"rerun\" or \"fail\"; 'format' a string; 'keep_shots' a boolean")
        if p["shots"] > quota.max_shots:
            raise ShotQuota(f"{p['shots']} shots exceed the quota of {quota.max_shots} per job")
        self._check_room(tenant)
        return p

    def _check_room(self, tenant) -> None:
        quota = tenant.quota
        if self.k.scheduler.pending.get(tenant.name, 0) + self._accepting.get(tenant.name, 0) >= quota.max_queued:
            raise QueueFull(f"{quota.max_queued} jobs are already queued or running")
        now = time.time()
        window = self._rate.setdefault(tenant.name, deque())
        while window and window[0] <= now - 60.0:
            window.popleft()
        if len(window) >= quota.jobs_per_minute:
            retry = round(window[0] + 60.0 - now, 3)
            raise RateLimited(f"more than {quota.jobs_per_minute} jobs per minute", data={"retry_after": retry})

    def _admit(self, sess: Session, p: dict, program, canonical: bytes):
        """Capabilities and qubits against the program, then store; the answer waits for the commit."""
        tenant = sess.tenant
        if not self.k.accepting:
            raise ShuttingDown()
        self._check_room(tenant)  # again: a large program was read while others were admitted
        missing = [c for c in program.required_caps() + tuple(program.caps) if c not in sess.caps]
        if missing:
            missing = sorted(set(missing), key=lambda c: CAPABILITIES.index(c) if c in CAPABILITIES else 99)
            raise InsufficientCaps(f"the session lacks {', '.join(missing)}", data={"missing": missing})
        qubits = program.num_qubits()
        if qubits > tenant.quota.max_qubits:
            raise QubitQuota(f"the program uses {qubits} logical qubits; the quota is {tenant.quota.max_qubits}")
        self._seq += 1
        ident, random_seed = new_id_and_seed()
        job = Job(ident, tenant.name, self._seq, canonical, qubits, p["shots"],
                  p["seed"] if p["seed"] is not None else random_seed, p["priority"], p["timeout"], p["deadline"],
                  p["on_interrupt"], keep_shots=p["keep_shots"], parsed=program)
        self.k.audit.append("job_submit", defer=True, tenant=tenant.name, job=job.id, qubits=qubits, shots=job.shots,
                          priority=job.priority)
        self._rate[tenant.name].append(time.time())
        self._accepting[tenant.name] = self._accepting.get(tenant.name, 0) + 1
        loop = self.k.loop
        fut = loop.create_future()
        self.k.store.write([self.k.store.insert_stmt(job)],
                         lambda err: loop.call_soon_threadsafe(self._stored, job, fut, err))
        return self._when_stored(job, fut)

    def _stored(self, job: Job, fut: asyncio.Future, error: BaseException | None) -> None:
        """On the loop, once the job's row is committed (or failed to be): queue it, then answer."""
        self._accepting[job.tenant] -= 1
        if error is None:
            self.k.jobs[job.id] = job
            self.k.scheduler.put(job)
        else:
            self.k.audit.append("job_not_stored", tenant=job.tenant, job=job.id, error=str(error))
        if not fut.done():
            fut.set_result(error)

    async def _when_stored(self, job: Job, fut: asyncio.Future) -> dict:
        error = await fut
        if error is not None:
            raise InternalError("the job could not be stored; it was not accepted")
        return {"job": self.k.signer.handle("job", job.tenant, job.id), "state": QUEUED, "seed": job.seed}


"""Kernel channels between jobs: within one tenant, or between two tenants that both consent.

A channel links jobs (``q_open_chan``) and is closed by either side (``q_close_chan``). Between two
tenants it opens only when each has asked for a channel to the other: tenant A's request stays
``pending`` until B asks for a channel to A, and nothing about a pending request is visible to B (B
cannot list, accept or even detect it), so consent cannot be forced and nothing leaks. Each side gets
its own signed handle for the channel, valid for that tenant only.

What a kernel channel is today: an authorised, audited link record. Jobs run in separate simulators,
so no quantum state crosses a kernel channel; entanglement inside a program uses the QVM
``OPEN_CHAN``/``USE_CHAN`` ops. Channels live in memory and end with the kernel process.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .errors import ChannelNotFound, ChannelNotOpen, InvalidParams
from .security import Signer, new_id

PENDING, OPEN, CLOSED = "pending", "open", "closed"


@dataclass(slots=True)
class Channel:
    id: str
    tenants: tuple[str, str]  # (first asker, peer); equal for a channel inside one tenant
    jobs: dict[str, list[str]] = field(default_factory=dict)  # tenant -> its job ids
    state: str = PENDING
    opts: dict = field(default_factory=dict)


class Channels:
    def __init__(self, signer: Signer):
        self._signer = signer
        self._lock = threading.Lock()
        self._by_id: dict[str, Channel] = {}

    def open(self, tenant: str, job_ids: list[str], peer: str | None, opts: dict) -> dict:
        with self._lock:
            if peer is None or peer == tenant:
                if len(job_ids) != 2 or job_ids[0] == job_ids[1]:
                    raise InvalidParams("a channel inside one tenant links two different jobs of it")
                ch = Channel(new_id(), (tenant, tenant), {tenant: list(job_ids)}, OPEN, opts)
            else:
                if len(job_ids) != 1:
                    raise InvalidParams("a channel to another tenant names exactly one of your jobs")
                ch = self._match(tenant, peer)
                if ch is None:
                    ch = Channel(new_id(), (tenant, peer), {tenant: list(job_ids)}, PENDING, opts)
                else:
                    ch.jobs[tenant] = list(job_ids)
                    ch.state = OPEN
            self._by_id[ch.id] = ch
            return self._view(ch, tenant)

    def _match(self, tenant: str, peer: str) -> Channel | None:
        """The oldest pending request from ``peer`` to ``tenant``, if any."""
        for ch in self._by_id.values():
            if ch.state == PENDING and ch.tenants == (peer, tenant):
                return ch
        return None

    def _find(self, tenant: str, handle) -> Channel:
        cid = self._signer.open_handle("chan", tenant, handle)
        ch = self._by_id.get(cid) if cid else None
        if ch is None or tenant not in ch.tenants or (ch.state == PENDING and tenant != ch.tenants[0]):
            raise ChannelNotFound()
        return ch

    def close(self, tenant: str, handle) -> dict:
        with self._lock:
            ch = self._find(tenant, handle)
            if ch.state == CLOSED:
                raise ChannelNotOpen()
            ch.state = CLOSED
            return self._view(ch, tenant)

    def of_tenant(self, tenant: str) -> list[dict]:
        with self._lock:
            return [
                self._view(ch, tenant)
                for ch in self._by_id.values()
                if tenant in ch.tenants and (ch.state != PENDING or ch.tenants[0] == tenant)
            ]

    def _view(self, ch: Channel, tenant: str) -> dict:
        peer = ch.tenants[1] if ch.tenants[0] == tenant else ch.tenants[0]
        return {
            "chan": self._signer.handle("chan", tenant, ch.id),
            "state": ch.state,
            "peer": peer,
            "jobs": [self._signer.handle("job", tenant, j) for j in ch.jobs.get(tenant, [])],
            "opts": ch.opts,
        }

"""Sessions: capability negotiation, login, and checking the token on every call.

``q_negotiate_caps`` grants the intersection of what was asked and what the tenant's policy allows,
never simply what was asked. Sessions are stored (queued for the next group commit, so a session opened
in the last milliseconds before a crash may be lost and must be negotiated again), so a token stays
valid across a kernel restart until it expires or is closed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ...ops import CAPABILITIES
from .audit import AuditLog
from .config import KernelConfig, Tenant
from .errors import AuthError, BadToken, InvalidParams, SessionClosed, TokenExpired
from .security import Signer, check_login, new_id
from .store import Store


@dataclass(slots=True)
class Session:
    id: str
    tenant: Tenant
    caps: frozenset[str]
    expires: float
    closed: bool = False


class Sessions:
    def __init__(self, config: KernelConfig, signer: Signer, store: Store, audit: AuditLog):
        self._config = config
        self._signer = signer
        self._store = store
        self._audit = audit
        self._cache: dict[str, Session] = {}

    def negotiate(self, params: dict, peer_uid: int | None) -> dict:
        name = params.get("tenant")
        secret = params.get("secret")
        asked = params.get("caps", [])
        ttl = params.get("ttl", self._config.token_ttl)
        if not isinstance(name, str) or (secret is not None and not isinstance(secret, str)):
            raise InvalidParams("'tenant' (string) is required; 'secret' must be a string")
        if not isinstance(asked, list) or any(not isinstance(c, str) for c in asked):
            raise InvalidParams("'caps' must be a list of capability names")
        unknown = sorted(set(asked) - set(CAPABILITIES))
        if unknown:
            raise InvalidParams(f"unknown capabilities: {', '.join(unknown)}", data={"unknown": unknown})
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or ttl <= 0:
            raise InvalidParams("'ttl' must be a positive number of seconds")
        tenant = self._config.tenants.get(name)
        try:
            check_login(tenant, secret, peer_uid)
        except AuthError:
            self._audit.append("login_failed", tenant=name[:64], peer_uid=peer_uid)
            raise
        assert tenant is not None
        granted = [c for c in CAPABILITIES if c in asked and c in tenant.caps]
        denied = [c for c in CAPABILITIES if c in asked and c not in tenant.caps]
        now = time.time()
        expires = int(now + min(float(ttl), self._config.token_ttl))
        sid = new_id()
        self._store.write([self._store.session_stmt(sid, tenant.name, " ".join(granted), now, expires)])
        self._cache[sid] = Session(sid, tenant, frozenset(granted), expires)
        self._audit.append("session_open", defer=True, tenant=tenant.name, session=sid, granted=granted, denied=denied)
        return {
            "token": self._signer.token(sid, tenant.name, expires),
            "tenant": tenant.name,
            "granted": granted,
            "denied": denied,
            "expires": expires,
        }

    def check(self, params: dict) -> Session:
        """The session a call's ``token`` names, after checking its signature, expiry and state."""
        token = params.get("token")
        sid, expires = self._signer.token_session(token)
        sess = self._cache.get(sid) or self._load(sid)
        if sess is None:
            raise BadToken()
        self._signer.check_token(token, sess.tenant.name)
        if sess.closed:
            raise SessionClosed()
        if time.time() >= sess.expires or expires != int(sess.expires):
            raise TokenExpired()
        return sess

    def _load(self, sid: str) -> Session | None:
        row = self._store.session(sid)
        if row is None:
            return None
        tenant = self._config.tenants.get(row[0])
        if tenant is None:  # the tenant was removed from the configuration
            return None
        caps = frozenset(row[1].split()) & frozenset(tenant.caps)
        sess = Session(sid, tenant, caps, row[2], bool(row[3]))
        if len(self._cache) > 100_000:
            self._cache.clear()
        self._cache[sid] = sess
        return sess

    def close(self, sess: Session) -> dict:
        sess.closed = True
        self._store.write([self._store.close_session_stmt(sess.id)])
        self._audit.append("session_close", tenant=sess.tenant.name, session=sess.id)
        return {"closed": True}

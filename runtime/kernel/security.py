"""Secrets, the kernel key, and HMAC-signed session tokens and handles.

Why a handle cannot be forged or borrowed: every job and channel id the kernel hands out is
``<kind>_<id>_<mac>`` where ``mac = HMAC-SHA256(key, kind|tenant|id)`` truncated to 128 bits. The tenant
is not in the handle: the kernel recomputes the MAC with the *caller's* tenant, so a handle issued to
another tenant fails exactly like a made-up one (both are "no such job"), and tenant B learns nothing,
not even that the id exists. Session tokens are ``qmk1.<session>.<expiry>.<mac>`` with the MAC over the
session id, tenant and expiry, so the expiry cannot be extended either. The key is 32 random bytes in
``STATE/kernel.key`` (owner-only, refused if anyone else can read it) and never leaves the kernel. All
comparisons of secrets and MACs use ``hmac.compare_digest`` (constant time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import stat

from ...diagnostics import QmkIOError
from .config import Tenant
from .errors import AuthError, BadToken

KEY_FILE = "kernel.key"
_MAC_BYTES = 16


def ensure_state_dir(path: str) -> str:
    """Create the state directory owner-only, or check that an existing one is not open to others."""
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
        st = os.stat(path)
    except OSError as e:
        raise QmkIOError(f"{path}: {e.strerror or e}") from None
    if not stat.S_ISDIR(st.st_mode):
        raise QmkIOError(f"{path}: not a directory")
    if st.st_uid != os.geteuid():
        raise QmkIOError(f"{path}: state directory belongs to another user")
    if st.st_mode & 0o077:
        os.chmod(path, 0o700)
    return path


def lock_state_dir(path: str) -> int:
    """Hold an exclusive lock on the state directory for the life of the process (two kernels on one
    store would run every job twice); returns the lock's descriptor."""
    import fcntl

    fd = os.open(os.path.join(path, "kernel.lock"), os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        raise QmkIOError(f"{path}: another kernel is using this state directory") from None
    return fd


def load_key(state_dir: str) -> bytes:
    """The kernel's HMAC key, created on first start with owner-only permissions."""
    path = os.path.join(state_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        st = os.stat(path)
        if st.st_mode & 0o077 or st.st_uid != os.geteuid():
            raise QmkIOError(
                f"{path}: the kernel key must be owned by this user and readable by it only (chmod 600)"
            ) from None
        with open(path, "rb") as fh:
            key = fh.read()
        if len(key) != 32:
            raise QmkIOError(f"{path}: the kernel key is damaged (expected 32 bytes, found {len(key)})")
        return key
    except OSError as e:
        raise QmkIOError(f"{path}: {e.strerror or e}") from None
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "wb") as fh:
        fh.write(key)
        fh.flush()
        os.fsync(fh.fileno())
    return key


def load_existing_key(state_dir: str) -> bytes:
    """The key of an existing state directory (for tools such as ``audit verify``); never creates one."""
    if not os.path.exists(os.path.join(state_dir, KEY_FILE)):
        raise QmkIOError(f"{state_dir}: no kernel key here (is this a kernel state directory?)")
    return load_key(state_dir)


def check_login(tenant: Tenant | None, secret: str | None, peer_uid: int | None) -> None:
    """Authenticate a tenant by secret (constant time) or by the peer's Unix user id.

    An unknown tenant and a wrong secret give the same error, and an unknown tenant still costs one
    hash and compare, so neither the answer nor its timing says which tenants exist.
    """
    if secret is not None:
        given = hashlib.sha256(secret.encode("utf-8", "surrogatepass")).digest()
        expected = tenant.secret_sha256 if tenant is not None and tenant.secret_sha256 else b"\0" * 32
        ok = hmac.compare_digest(given, expected)
        if ok and tenant is not None and tenant.secret_sha256:
            return
    elif tenant is not None and tenant.allows_peer(peer_uid):
        return
    raise AuthError("authentication failed: unknown tenant or wrong credentials")


class Signer:
    """Makes and checks the kernel's signed tokens and handles with one key."""

    def __init__(self, key: bytes):
        self._key = key

    def _mac(self, *parts: str) -> str:
        msg = "|".join(parts).encode("utf-8", "surrogatepass")
        digest = hmac.new(self._key, msg, hashlib.sha256).digest()[:_MAC_BYTES]
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    # --- handles
    def handle(self, kind: str, tenant: str, ident: str) -> str:
        return f"{kind}_{ident}_{self._mac(kind, tenant, ident)}"

    def open_handle(self, kind: str, tenant: str, handle) -> str | None:
        """The id inside a handle issued to ``tenant``, or None for anything else (forged, foreign, junk)."""
        if not isinstance(handle, str) or len(handle) > 200:
            return None
        parts = handle.split("_", 2)  # the base64url MAC may itself contain "_"
        if len(parts) != 3 or parts[0] != kind:
            return None
        ident, mac = parts[1], parts[2]
        if not hmac.compare_digest(mac.encode(), self._mac(kind, tenant, ident).encode()):
            return None
        return ident

    # --- session tokens
    def token(self, session: str, tenant: str, expires: int) -> str:
        return f"qmk1.{session}.{expires}.{self._mac('tok', session, tenant, str(expires))}"

    @staticmethod
    def token_session(token) -> tuple[str, int]:
        """Session id and expiry named by a token (not yet trusted: see ``check_token``)."""
        if not isinstance(token, str) or len(token) > 200:
            raise BadToken()
        parts = token.split(".")
        if len(parts) != 4 or parts[0] != "qmk1" or not parts[2].isdigit():
            raise BadToken()
        return parts[1], int(parts[2])

    def check_token(self, token: str, tenant: str) -> None:
        session, expires = self.token_session(token)
        mac = token.rsplit(".", 1)[1]
        if not hmac.compare_digest(mac.encode(), self._mac("tok", session, tenant, str(expires)).encode()):
            raise BadToken()


def new_id() -> str:
    """A random 64-bit id in hex: unguessable, and it says nothing about how many jobs exist."""
    return secrets.token_hex(8)


def new_id_and_seed() -> tuple[str, int]:
    """A new id and an independent random 63-bit seed, from one call to the system's random source."""
    raw = secrets.token_bytes(16)
    return raw[:8].hex(), int.from_bytes(raw[8:], "big") >> 1

"""Kernel configuration: kernel settings, tenants, their credentials, capabilities and quotas (TOML).

A configuration file looks like ``examples/kernel/tenants.toml``::

    [kernel]
    workers = 2               # worker threads (default: number of cores)
    token_ttl = 3600          # longest session lifetime in seconds
    on_interrupt = "rerun"    # jobs found RUNNING after a crash: "rerun" or "fail"

    [tenants.alice]
    secret_sha256 = "..."     # or: secret = "..." (plain), or uids = [1000] (Unix peer credentials)
    caps = ["CAP_ALLOC", "CAP_MEASURE"]
    quota = { max_qubits = 20, max_running = 2, max_queued = 100, max_shots = 100000, jobs_per_minute = 600 }

Without a file the kernel has one tenant, ``local``, that authenticates by the Unix user id of the
peer (checked by the operating system through ``SO_PEERCRED``), holds every capability, and has the
default quotas. Every value is type-checked here, so a typo is a clear start-up error, not a
misbehaving kernel.
"""

from __future__ import annotations

import hashlib
import os
import tomllib
from dataclasses import dataclass, field

from ...diagnostics import InputError
from ...ops import CAPABILITIES

DEFAULT_MAX_MESSAGE = 64 * 2**20


@dataclass(frozen=True, slots=True)
class Quota:
    max_qubits: int = 30  # logical qubits in use by the tenant's running jobs at once
    max_running: int = 4  # jobs running at once
    max_queued: int = 1000  # jobs accepted but not finished (queued or running)
    max_shots: int = 1_000_000  # shots per job
    jobs_per_minute: int = 60_000  # submissions in any sliding 60 s window


@dataclass(frozen=True, slots=True)
class Tenant:
    name: str
    secret_sha256: bytes | None = None  # SHA-256 of the secret; None: no secret login
    uids: tuple[int, ...] = ()  # Unix users that may log in without a secret
    caps: tuple[str, ...] = CAPABILITIES
    quota: Quota = field(default_factory=Quota)
    max_priority: int = 9

    def allows_peer(self, uid: int | None) -> bool:
        return uid is not None and uid in self.uids


@dataclass(frozen=True, slots=True)
class KernelConfig:
    tenants: dict[str, Tenant]
    workers: int = 0  # 0: number of cores
    max_message_bytes: int = DEFAULT_MAX_MESSAGE
    max_buffered_bytes: int = 4 * DEFAULT_MAX_MESSAGE  # all connections' unfinished messages together
    max_batch: int = 1000
    idle_timeout: float = 300.0
    token_ttl: float = 3600.0
    max_wait: float = 300.0
    on_interrupt: str = "rerun"
    socket_mode: int = 0o600
    drain_timeout: float = 30.0

    def worker_count(self) -> int:
        return self.workers or os.cpu_count() or 1


_KERNEL_KEYS = {
    "workers": int,
    "max_message_bytes": int,
    "max_buffered_bytes": int,
    "max_batch": int,
    "idle_timeout": (int, float),
    "token_ttl": (int, float),
    "max_wait": (int, float),
    "on_interrupt": str,
    "socket_mode": str,
    "drain_timeout": (int, float),
}
_TENANT_KEYS = {"secret", "secret_sha256", "uids", "caps", "quota", "max_priority"}


def _bad(where: str, msg: str) -> InputError:
    return InputError(f"{where}: {msg}")


def _check_type(where: str, key: str, value, typ) -> None:
    if isinstance(value, bool) or not isinstance(value, typ):
        name = typ.__name__ if isinstance(typ, type) else "number"
        raise _bad(where, f"'{key}' must be a {name}, not {type(value).__name__}")


def default_config() -> KernelConfig:
    return KernelConfig(tenants={"local": Tenant("local", uids=(os.geteuid(),))})


def load_config(path: str | None) -> KernelConfig:
    """Read and check a TOML configuration; ``None`` gives the single-user default."""
    if path is None:
        return default_config()
    try:
        with open(path, "rb") as fh:
            doc = tomllib.load(fh)
    except OSError as e:
        from ...diagnostics import QmkIOError

        raise QmkIOError(f"{path}: {e.strerror or e}") from None
    except tomllib.TOMLDecodeError as e:
        raise _bad(path, f"not valid TOML: {e}") from None
    return parse_config(doc, path)


def parse_config(doc: dict, where: str = "<config>") -> KernelConfig:
    unknown = set(doc) - {"kernel", "tenants"}
    if unknown:
        raise _bad(where, f"unknown section(s) {', '.join(sorted(unknown))}")
    kern = dict(doc.get("kernel", {}))
    for key, value in kern.items():
        if key not in _KERNEL_KEYS:
            raise _bad(where, f"unknown [kernel] setting '{key}'")
        _check_type(where, key, value, _KERNEL_KEYS[key])
    if kern.get("on_interrupt", "rerun") not in ("rerun", "fail"):
        raise _bad(where, "'on_interrupt' must be \"rerun\" or \"fail\"")
    if "socket_mode" in kern:
        try:
            kern["socket_mode"] = int(kern["socket_mode"], 8)
        except ValueError:
            raise _bad(where, "'socket_mode' must be an octal string such as \"0600\"") from None
    for key in ("workers", "max_message_bytes", "max_buffered_bytes", "max_batch", "idle_timeout", "token_ttl",
                "max_wait"):
        if key in kern and kern[key] < (0 if key == "workers" else 1):
            raise _bad(where, f"'{key}' is out of range")
    tenants_doc = doc.get("tenants", {})
    if not isinstance(tenants_doc, dict) or not tenants_doc:
        raise _bad(where, "a configuration needs at least one [tenants.NAME] table")
    tenants = {name: _tenant(name, t, where) for name, t in tenants_doc.items()}
    return KernelConfig(tenants=tenants, **kern)


def _tenant(name: str, t, where: str) -> Tenant:
    w = f"{where}: tenant '{name}'"
    if not isinstance(t, dict):
        raise InputError(f"{w}: must be a table")
    unknown = set(t) - _TENANT_KEYS
    if unknown:
        raise InputError(f"{w}: unknown setting(s) {', '.join(sorted(unknown))}")
    digest = None
    if "secret" in t and "secret_sha256" in t:
        raise InputError(f"{w}: give 'secret' or 'secret_sha256', not both")
    if "secret" in t:
        _check_type(w, "secret", t["secret"], str)
        if len(t["secret"]) < 8:
            raise InputError(f"{w}: 'secret' must have at least 8 characters")
        digest = hashlib.sha256(t["secret"].encode()).digest()
    elif "secret_sha256" in t:
        _check_type(w, "secret_sha256", t["secret_sha256"], str)
        try:
            digest = bytes.fromhex(t["secret_sha256"])
        except ValueError:
            digest = b""
        if len(digest) != 32:
            raise InputError(f"{w}: 'secret_sha256' must be 64 hex digits")
    uids = t.get("uids", [])
    if not isinstance(uids, list) or any(isinstance(u, bool) or not isinstance(u, int) for u in uids):
        raise InputError(f"{w}: 'uids' must be a list of integers")
    if digest is None and not uids:
        raise InputError(f"{w}: needs 'secret', 'secret_sha256' or 'uids' to log in")
    caps = t.get("caps", list(CAPABILITIES))
    if not isinstance(caps, list) or any(c not in CAPABILITIES for c in caps):
        raise InputError(f"{w}: 'caps' must be a list of {', '.join(CAPABILITIES)}")
    quota_doc = t.get("quota", {})
    if not isinstance(quota_doc, dict):
        raise InputError(f"{w}: 'quota' must be a table")
    fields = Quota.__dataclass_fields__
    for key, value in quota_doc.items():
        if key not in fields:
            raise InputError(f"{w}: unknown quota '{key}'")
        _check_type(w, key, value, int)
        if value < 1:
            raise InputError(f"{w}: quota '{key}' must be at least 1")
    max_priority = t.get("max_priority", 9)
    _check_type(w, "max_priority", max_priority, int)
    return Tenant(name, digest, tuple(uids), tuple(caps), Quota(**quota_doc), max_priority)

"""Tokens, handles, the kernel key, login and the audit chain, tested directly."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import orjson
import pytest
from qmk.runtime.kernel.audit import AuditLog, verify_log
from qmk.runtime.kernel.config import Tenant, parse_config
from qmk.runtime.kernel.errors import AuthError, BadToken
from qmk.runtime.kernel.security import Signer, check_login, ensure_state_dir, load_key

from qmk.diagnostics import InputError, QmkIOError


def test_handles_open_only_for_their_tenant():
    s = Signer(b"k" * 32)
    h = s.handle("job", "alice", "00ff")
    assert s.open_handle("job", "alice", h) == "00ff"
    assert s.open_handle("job", "bob", h) is None  # another tenant
    assert s.open_handle("chan", "alice", h) is None  # another kind
    kind, ident, mac = h.split("_", 2)
    assert s.open_handle("job", "alice", f"{kind}_00fe_{mac}") is None  # another id, same MAC
    flipped = mac[:-1] + ("A" if mac[-1] != "A" else "B")
    assert s.open_handle("job", "alice", f"{kind}_{ident}_{flipped}") is None
    assert Signer(b"x" * 32).open_handle("job", "alice", h) is None  # another key
    for junk in (None, 5, "", "job", "job__", "x" * 500, ["job"]):
        assert s.open_handle("job", "alice", junk) is None


def test_tokens_cannot_be_extended_or_moved():
    s = Signer(b"k" * 32)
    t = s.token("abcd", "alice", 1000)
    s.check_token(t, "alice")
    with pytest.raises(BadToken):
        s.check_token(t, "bob")
    with pytest.raises(BadToken):
        s.check_token(t.replace(".1000.", ".9999999999."), "alice")
    with pytest.raises(BadToken):
        s.check_token(t.replace("abcd", "abce"), "alice")
    for junk in (None, 3, "qmk1", "qmk1.a.b.c", "qmk2.abcd.1000.x"):
        with pytest.raises(BadToken):
            s.check_token(junk, "alice")


def test_login_by_secret_or_peer_uid():
    t = Tenant("alice", hashlib.sha256(b"right-secret").digest(), uids=(1234,))
    check_login(t, "right-secret", None)
    check_login(t, None, 1234)
    for tenant, secret, uid in ((t, "wrong-secret", None), (t, None, 999), (t, None, None), (None, "right-secret", 0),
                                (Tenant("u", None, uids=(5,)), "anything", 5)):
        with pytest.raises(AuthError):
            check_login(tenant, secret, uid)


def test_key_is_created_owner_only_and_refused_when_exposed(tmp_path):
    state = ensure_state_dir(str(tmp_path / "st"))
    assert stat.S_IMODE(os.stat(state).st_mode) == 0o700
    key = load_key(state)
    path = os.path.join(state, "kernel.key")
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_key(state) == key
    os.chmod(path, 0o644)
    with pytest.raises(QmkIOError, match="chmod 600"):
        load_key(state)


def _log(tmp_path, n=5):
    path = str(tmp_path / "audit.jsonl")
    log = AuditLog(path, b"k" * 32)
    for i in range(n):
        log.append("job_submit", tenant="alice", job=f"j{i}")
    log.close()
    return path, (log.seq, log.head)


def _rewrite(path, lines):
    with open(path, "wb") as fh:
        fh.write(b"".join(lines))


def test_intact_log_verifies_and_survives_reopening(tmp_path):
    path, head = _log(tmp_path)
    log = AuditLog(path, b"k" * 32)  # continues the chain
    log.append("kernel_stop")
    log.close()
    assert verify_log(path, b"k" * 32, head) == []
    assert verify_log(path, b"k" * 32, (log.seq, log.head)) == []


@pytest.mark.parametrize("tamper", ["edit", "delete", "swap", "truncate", "rehash_without_key", "append_junk"])
def test_any_edit_of_the_audit_log_is_detected(tmp_path, tamper):
    path, head = _log(tmp_path)
    lines = Path(path).read_bytes().splitlines(keepends=True)
    if tamper == "edit":
        lines[2] = lines[2].replace(b'"j2"', b'"j9"')
    elif tamper == "delete":
        del lines[1]
    elif tamper == "swap":
        lines[1], lines[2] = lines[2], lines[1]
    elif tamper == "truncate":
        lines = lines[:3]
    elif tamper == "rehash_without_key":  # recompute the whole chain with a guessed key
        forged = AuditLog(str(tmp_path / "forged.jsonl"), b"guess" * 7)
        for rec in map(orjson.loads, lines):
            forged.append(rec["event"], tenant=rec["tenant"], job=rec["job"].replace("j2", "j9"))
        forged.close()
        lines = (tmp_path / "forged.jsonl").read_bytes().splitlines(keepends=True)
    elif tamper == "append_junk":
        lines.append(b'{"seq": 6, "event": "x"}\n')
    _rewrite(path, lines)
    assert verify_log(path, b"k" * 32, head) != []


@pytest.mark.parametrize(
    "doc, message",
    [
        ({"tenants": {}}, "at least one"),
        ({"tenants": {"a": {"caps": ["CAP_ALLOC"]}}}, "to log in"),
        ({"tenants": {"a": {"secret": "short"}}}, "at least 8"),
        ({"tenants": {"a": {"secret": "longenough", "caps": ["CAP_ROOT"]}}}, "caps"),
        ({"tenants": {"a": {"secret": "longenough", "quota": {"max_qubits": 0}}}}, "at least 1"),
        ({"tenants": {"a": {"secret": "longenough", "quota": {"max_qbits": 3}}}}, "unknown quota"),
        ({"kernel": {"workers": "2"}, "tenants": {"a": {"uids": [0]}}}, "must be a int"),
        ({"kernel": {"on_interrupt": "retry"}, "tenants": {"a": {"uids": [0]}}}, "on_interrupt"),
        ({"kernel": {"socket_mode": "rw"}, "tenants": {"a": {"uids": [0]}}}, "octal"),
        ({"tenant": {}}, "unknown section"),
    ],
)
def test_bad_configurations_are_clear_errors(doc, message):
    with pytest.raises(InputError, match=message):
        parse_config(doc)

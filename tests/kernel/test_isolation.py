"""Tenants cannot see, touch or even detect each other's jobs and channels; tokens cannot be forged."""

from __future__ import annotations

import time

import pytest
from kernelfix import BELL, LONG, SECRETS
from qmk.runtime.kernel.client import KernelClient, RemoteError

JOB_NOT_FOUND = -32300


def code_of(fn, *a, **kw) -> int:
    with pytest.raises(RemoteError) as e:
        fn(*a, **kw)
    return e.value.code


def test_tenant_b_cannot_read_wait_cancel_or_learn_of_a_jobs(shared_kernel):
    a, b = shared_kernel.client("alice"), shared_kernel.client("bob")
    done = a.submit(BELL, shots=10, seed=1)
    a.wait(done)
    running = a.submit(LONG, shots=10_000_000, seed=1)
    made_up = done[:-3] + "xyz"
    for job in (done, running):
        for method in ("q_status", "q_wait", "q_cancel", "q_result", "q_get_telemetry"):
            # exactly the same answer as for a job that never existed
            assert code_of(b.call, method, job=job) == JOB_NOT_FOUND
            with pytest.raises(RemoteError) as e1:
                b.call(method, job=made_up)
            with pytest.raises(RemoteError) as e2:
                b.call(method, job=job)
            assert (e1.value.code, e1.value.args, e1.value.data) == (e2.value.code, e2.value.args, e2.value.data)
    assert code_of(b.call, "q_list_jobs", before=done) == JOB_NOT_FOUND
    assert all(j["job"] not in (done, running) for j in b.list_jobs())
    tel = b.telemetry()
    assert "alice" not in repr(tel) and done not in repr(tel)
    assert a.status(running)["state"] in ("QUEUED", "VALIDATING", "RUNNING")  # b's cancel did nothing
    a.cancel(running)
    assert a.wait(running, timeout=30)["state"] == "CANCELLED"
    a.close()
    b.close()


def test_channels_need_both_tenants_consent_and_stay_private(shared_kernel):
    a, b, c = (shared_kernel.client(t) for t in ("alice", "bob", "carol"))
    ja1, ja2 = a.submit(BELL, shots=1), a.submit(BELL, shots=1)
    jb = b.submit(BELL, shots=1)
    own = a.call("q_open_chan", jobs=[ja1, ja2])
    assert own["state"] == "open" and own["peer"] == "alice"
    # a cannot name b's job in a channel
    assert code_of(a.call, "q_open_chan", jobs=[ja1, jb]) == JOB_NOT_FOUND
    offer = a.call("q_open_chan", jobs=[ja1], peer="bob")
    assert offer["state"] == "pending"
    # b sees nothing of a's pending request, and cannot use or close a's handle
    assert b.telemetry()["channels"] == []
    assert code_of(b.call, "q_close_chan", chan=offer["chan"]) == -32500
    # carol lacks CAP_LINK: refused by capability
    assert code_of(c.call, "q_open_chan", jobs=[], peer="alice") == -32001
    # b consents by asking for a channel to a: both sides now see it open, each with its own handle
    accepted = b.call("q_open_chan", jobs=[jb], peer="alice")
    assert accepted["state"] == "open" and accepted["peer"] == "alice" and accepted["chan"] != offer["chan"]
    a_view = [ch for ch in a.telemetry()["channels"] if ch["chan"] == offer["chan"]]
    assert a_view and a_view[0]["state"] == "open"
    assert jb not in repr(a.telemetry())  # a never sees b's job handle
    assert b.call("q_close_chan", chan=accepted["chan"])["state"] == "closed"
    assert [ch["state"] for ch in a.telemetry()["channels"] if ch["chan"] == offer["chan"]] == ["closed"]
    assert code_of(a.call, "q_close_chan", chan=offer["chan"]) == -32501
    for cl in (a, b, c):
        cl.close()


def test_forged_tampered_and_expired_tokens_fail(shared_kernel):
    a = shared_kernel.client("alice", ttl=1)
    assert a.list_jobs() is not None
    sess, exp, mac = a.token.split(".")[1:]
    forged = [f"qmk1.{sess}.{int(exp) + 3600}.{mac}", f"qmk1.{sess}.{exp}.{mac[:-2]}AA",
              f"qmk1.0000000000000000.{exp}.{mac}", "qmk1.x.1.y", "garbage"]
    for tok in forged:
        assert code_of(a.call, "q_list_jobs", token=tok) == -32101
    time.sleep(1.2)
    assert code_of(a.call, "q_list_jobs") == -32102
    b = shared_kernel.client("bob")
    b.call("q_close_session")
    assert code_of(b.call, "q_list_jobs") == -32103
    a.close()
    b.close()


def test_wrong_secret_and_unknown_tenant_look_the_same(shared_kernel):
    errs = []
    for tenant, secret in (("alice", "not-alices-secret"), ("mallory", SECRETS["alice"]), ("alice", None)):
        with pytest.raises(RemoteError) as e:
            KernelClient(shared_kernel.socket, tenant, secret)
        errs.append((e.value.code, str(e.value)))
    assert errs[0] == errs[1] == errs[2] and errs[0][0] == -32100


def test_granted_caps_are_what_policy_allows_not_what_was_asked(shared_kernel):
    c = shared_kernel.client("carol", caps=["CAP_ALLOC", "CAP_MEASURE", "CAP_DEBUG"])
    assert c.granted == ["CAP_ALLOC"]
    # carol's Bell program needs CAP_MEASURE: refused before anything runs
    with pytest.raises(RemoteError) as e:
        c.submit(BELL, shots=1)
    assert e.value.code == -32001 and e.value.data == {"missing": ["CAP_MEASURE"]}
    assert c.list_jobs() == []
    c.close()
    a = shared_kernel.client("alice", caps=["CAP_ALLOC"])  # asked for less than allowed: gets less
    assert a.granted == ["CAP_ALLOC"]
    assert code_of(a.submit, BELL, shots=1) == -32001
    assert code_of(a.call, "q_negotiate_caps", tenant="alice", secret=SECRETS["alice"], caps=["CAP_ROOT"]) == -32602
    a.close()

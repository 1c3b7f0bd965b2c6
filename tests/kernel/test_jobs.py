"""Jobs through a real kernel: results, states, cancel, timeouts, priorities, quotas, formats."""

from __future__ import annotations

import time

import orjson
import pytest
from kernelfix import BELL, LONG, config_text
from qmk.runtime.api import run
from qmk.runtime.kernel.client import RemoteError

from qmk.qvmjson import from_json


def wait_state(client, job, states, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        st = client.status(job)
        if st["state"] in states:
            return st
        time.sleep(0.02)
    raise AssertionError(f"job never reached {states}: {st}")


def test_results_match_an_in_process_run_with_the_same_seed(shared_kernel):
    a = shared_kernel.client("alice")
    for seed in (1, 2, 3):
        job = a.submit(BELL, shots=500, seed=seed)
        st = a.wait(job, result=True)
        assert st["state"] == "COMPLETED"
        local = run(from_json(BELL), shots=500, seed=seed).to_json()
        assert st["result"]["counts"] == local["counts"]
        assert set(st["result"]["counts"]) <= {"00", "11"} and sum(st["result"]["counts"].values()) == 500
        assert a.result(job) == st["result"]
    a.close()


def test_kernel_chooses_and_reports_a_seed_so_reruns_are_reproducible(shared_kernel):
    a = shared_kernel.client("alice")
    sub = a.call("q_submit", program=BELL, shots=200)
    res = a.wait(sub["job"], result=True)["result"]
    assert res["counts"] == run(from_json(BELL), shots=200, seed=sub["seed"]).to_json()["counts"]
    a.close()


def test_qasm_and_qir_text_are_lowered_then_run(shared_kernel):
    a = shared_kernel.client("alice")
    qasm = 'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n'
    st = a.wait(a.submit(qasm.encode(), shots=300, seed=5), result=True)
    assert st["state"] == "COMPLETED"
    counts = st["result"]["counts"]
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 300 and len(counts) == 2
    a.close()


def test_bad_programs_are_refused_at_submission_with_diagnostics(shared_kernel):
    a = shared_kernel.client("alice")
    with pytest.raises(RemoteError) as e:
        a.submit(b"{not json", shots=1)
    assert e.value.code == -32201 and e.value.data[0]["code"] == "QMK001"
    bad = orjson.loads(orjson.dumps(BELL))
    bad["program"]["nodes"].insert(1, {"id": "early", "op": "APPLY_X", "vqs": ["q9"]})
    with pytest.raises(RemoteError) as e:
        a.submit(bad, shots=1)
    assert e.value.code == -32200 and any(d["code"] == "QMK202" for d in e.value.data)
    with pytest.raises(RemoteError) as e:
        a.call("q_submit", program=5)
    assert e.value.code == -32602
    assert a.list_jobs() == [] or all(j["state"] for j in a.list_jobs())
    a.close()


def test_states_and_result_errors(shared_kernel):
    a = shared_kernel.client("alice")
    job = a.submit(LONG, shots=10_000_000, seed=3)
    with pytest.raises(RemoteError) as e:
        a.result(job)
    assert e.value.code == -32301
    wait_state(a, job, ("RUNNING",))
    st = a.wait(job, timeout=0.2)
    assert st["state"] == "RUNNING"  # q_wait with a timeout returns the current state
    t0 = time.monotonic()
    assert a.cancel(job)["cancelled"] is True
    assert a.wait(job, timeout=30)["state"] == "CANCELLED"
    assert time.monotonic() - t0 < 10  # stopped at its next shot, not after 10^7 shots
    with pytest.raises(RemoteError) as e:
        a.result(job)
    assert e.value.code == -32302 and e.value.data["state"] == "CANCELLED"
    assert a.cancel(job)["cancelled"] is False
    tel = a.telemetry(job)
    assert tel["state"] == "CANCELLED" and tel["run_s"] >= 0
    a.close()


def test_timeout_and_deadline(shared_kernel):
    a = shared_kernel.client("alice")
    job = a.submit(LONG, shots=10_000_000, seed=3, timeout=0.5)
    st = a.wait(job, timeout=60)
    assert st["state"] == "TIMED_OUT" and "timeout" in st["reason"]
    late = a.submit(BELL, shots=10, deadline=time.time() - 1)
    st = a.wait(late, timeout=30)
    assert st["state"] == "TIMED_OUT" and "deadline" in st["reason"]
    a.close()


def test_priority_orders_a_tenants_own_queue(kernel_factory):
    k = kernel_factory(config_text("workers = 1", max_running=1))
    a = k.client("alice")
    blocker = a.submit(LONG, shots=10_000_000, seed=1)
    wait_state(a, blocker, ("RUNNING",))
    low = [a.submit(BELL, shots=10, priority=0) for _ in range(3)]
    high = [a.submit(BELL, shots=10, priority=5) for _ in range(3)]
    a.cancel(blocker)
    for j in low + high:
        a.wait(j)
    started = {j: a.status(j)["started"] for j in low + high}
    assert max(started[j] for j in high) <= min(started[j] for j in low)
    a.close()


def test_quotas_are_enforced_before_anything_runs(kernel_factory):
    k = kernel_factory(config_text(max_qubits=2, max_shots=10**7, max_queued=3, jobs_per_minute=5))
    a = k.client("alice")
    three = orjson.loads(orjson.dumps(BELL))
    three["program"]["nodes"][0] = {"id": "a", "op": "ALLOC_LQ", "vqs": ["q0", "q1", "q2"], "args": {"n": 3}}
    three["program"]["nodes"][-1] = {"id": "f", "op": "FREE_LQ", "vqs": ["q0", "q1", "q2"]}
    three["resources"]["vqs"] = ["q0", "q1", "q2"]
    codes = []
    for prog, shots in ((three, 10), (BELL, 10**7 + 1)):
        with pytest.raises(RemoteError) as e:
            a.submit(prog, shots=shots)
        codes.append(e.value.code)
    assert codes == [-32610, -32613]
    jobs = [a.submit(LONG, shots=10_000_000) for _ in range(3)]  # fills max_queued
    with pytest.raises(RemoteError) as e:
        a.submit(BELL, shots=1)
    assert e.value.code == -32611
    for j in jobs:
        a.cancel(j)
    for j in jobs:
        assert a.wait(j, timeout=30)["state"] == "CANCELLED"
    a.submit(BELL, shots=1)
    a.submit(BELL, shots=1)  # 5 accepted this minute
    with pytest.raises(RemoteError) as e:
        a.submit(BELL, shots=1)
    assert e.value.code == -32612 and 0 < e.value.data["retry_after"] <= 60
    assert k.client("bob").submit(BELL, shots=1)  # quotas are per tenant
    a.close()


def test_fair_scheduling_across_tenants(kernel_factory):
    k = kernel_factory(config_text("workers = 1", max_running=1))
    a, b = k.client("alice"), k.client("bob")
    blocker = a.submit(LONG, shots=10_000_000, seed=1)
    wait_state(a, blocker, ("RUNNING",))
    a_jobs = [a.submit(BELL, shots=10, priority=9) for _ in range(10)]
    b_job = b.submit(BELL, shots=10, priority=0)
    a.cancel(blocker)
    b_started = b.wait(b_job)["started"]
    a_started = sorted(a.wait(j)["started"] for j in a_jobs)
    assert sum(t < b_started for t in a_started) <= 1  # bob waited for at most one of alice's jobs
    a.close()
    b.close()


def test_large_programs_are_read_off_the_event_loop(shared_kernel):
    a, b = shared_kernel.client("alice"), shared_kernel.client("bob")
    big = dict(BELL, metadata={"padding": "x" * (3 << 20)})  # over the 1 MiB in-loop limit
    job = a.submit(big, shots=50, seed=4)
    assert b.list_jobs() is not None  # others are served meanwhile
    st = a.wait(job, result=True)
    assert st["state"] == "COMPLETED"
    assert st["result"]["counts"] == run(from_json(BELL), shots=50, seed=4).to_json()["counts"]
    a.close()
    b.close()

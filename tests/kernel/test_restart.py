"""A kernel killed with SIGKILL and restarted keeps every accepted job; SIGTERM drains."""

from __future__ import annotations

import time

from kernelfix import BELL, LONG, alive, children, config_text
from qmk.runtime.api import run
from qmk.runtime.kernel.audit import verify_log
from qmk.runtime.kernel.client import RemoteError
from qmk.runtime.kernel.security import load_existing_key
from qmk.runtime.kernel.store import Store

from qmk.diagnostics import QmkIOError
from qmk.qvmjson import from_json

LONG_SHOTS = 20_000  # a few seconds of shot-by-shot work


def _running(client, job, timeout=30.0):
    end = time.monotonic() + timeout
    while client.status(job)["state"] != "RUNNING":
        assert time.monotonic() < end, "job never started"
        time.sleep(0.02)


def test_sigkill_mid_run_then_restart_loses_nothing_accepted(kernel_factory):
    k = kernel_factory(config_text("workers = 2", max_running=2))
    a = k.client("alice")
    finished = [a.submit(BELL, shots=100, seed=i) for i in range(3)]
    results = {j: a.wait(j, result=True)["result"] for j in finished}
    rerun = a.submit(LONG, shots=LONG_SHOTS, seed=11, on_interrupt="rerun")
    failed = a.submit(LONG, shots=LONG_SHOTS, seed=12, on_interrupt="fail")
    _running(a, rerun)
    _running(a, failed)
    queued = [a.submit(BELL, shots=100, seed=100 + i) for i in range(10)]
    old_token = a.token
    job_procs = children(k.proc.pid)
    assert len(job_procs) == 2  # one job process per worker
    k.kill()  # SIGKILL: no chance to clean up
    end = time.monotonic() + 10
    while any(alive(p) for p in job_procs) and time.monotonic() < end:
        time.sleep(0.05)
    assert not any(alive(p) for p in job_procs)  # the job processes died with the kernel

    k.start()
    b = k.client("alice")
    # finished results are still there, unchanged
    for j, res in results.items():
        assert b.result(j) == res
    # queued jobs run, with their own seeds
    for i, j in enumerate(queued):
        st = b.wait(j, result=True)
        assert st["state"] == "COMPLETED"
        assert st["result"]["counts"] == run(from_json(BELL), shots=100, seed=100 + i).to_json()["counts"]
    # the interrupted jobs follow their policy
    st = b.wait(rerun, result=True)
    assert st["state"] == "COMPLETED"
    expected = run(from_json(LONG), shots=LONG_SHOTS, seed=11).to_json()["counts"]
    assert st["result"]["counts"] == expected  # same seed: the re-run gives the same result
    st = b.wait(failed)
    assert st["state"] == "FAILED" and "stopped while the job was running" in st["reason"]
    # sessions are stored too: the old token still works after the restart
    assert b.call("q_status", token=old_token, job=rerun)["state"] == "COMPLETED"
    listed = {j["job"] for j in b.list_jobs(limit=1000)}
    assert set(finished) | set(queued) | {rerun, failed} <= listed
    b.close()
    assert k.terminate() == 0
    key = load_existing_key(k.state)
    store = Store(k.state)
    assert verify_log(f"{k.state}/audit.jsonl", key, store.audit_head()) == []
    store.close()


def test_sigterm_stops_accepting_and_drains_running_jobs(kernel_factory):
    k = kernel_factory(config_text("workers = 1", max_running=1))
    a = k.client("alice")
    running = a.submit(LONG, shots=5_000, seed=3)
    _running(a, running)
    queued = a.submit(BELL, shots=10, seed=1)
    k.proc.send_signal(15)
    time.sleep(0.3)
    # still connected: can watch the running job finish, but no new work is accepted
    try:
        a.submit(BELL, shots=1)
        accepted_late = True
    except RemoteError as e:
        accepted_late = False
        assert e.code == -32614
    except QmkIOError:  # the kernel had already closed the connection
        accepted_late = False
    assert not accepted_late
    assert k.proc.wait(60) == 0
    k.start()
    b = k.client("alice")
    assert b.status(running)["state"] == "COMPLETED"  # drained, not interrupted
    assert b.wait(queued)["state"] == "COMPLETED"  # kept queued across the stop
    b.close()

"""Restart policy, tested on the store directly: what recovery does with each kind of stored job."""

from __future__ import annotations

import orjson
import pytest
from kernelfix import BELL
from qmk.runtime.kernel.config import parse_config
from qmk.runtime.kernel.jobs import QUEUED, RUNNING, Job
from qmk.runtime.kernel.service import Kernel
from qmk.runtime.kernel.store import Store

from qmk.diagnostics import QmkIOError


def _config(max_qubits=8):
    return parse_config({"tenants": {
        "alice": {"secret": "alice-secret-1", "quota": {"max_qubits": max_qubits}},
        "bob": {"secret": "bob-secret-22"},
    }})


def _job(ident, tenant, seq, state, attempts=0, on_interrupt="rerun"):
    return Job(ident, tenant, seq, orjson.dumps(BELL), 2, 10, seq, state=state, attempts=attempts,
               on_interrupt=on_interrupt)


def test_recovery_applies_each_policy(tmp_path):
    state = str(tmp_path / "st")
    k = Kernel(_config(), state)
    jobs = [
        _job("a1", "alice", 1, QUEUED),
        _job("a2", "alice", 2, RUNNING, attempts=1),
        _job("a3", "alice", 3, RUNNING, attempts=1, on_interrupt="fail"),
        _job("a4", "alice", 4, RUNNING, attempts=3),  # interrupted three times already
        _job("b1", "bob", 5, QUEUED),
    ]
    k.store.write([Store.insert_stmt(j) for j in jobs])
    k.close()

    # restart with bob removed from the configuration
    cfg = parse_config({"tenants": {"alice": {"secret": "alice-secret-1"}}})
    k2 = Kernel(cfg, state)
    summary = k2.runner.recover()
    k2.store.flush()
    assert summary == {"requeued": 1, "rerun": 1, "failed": 3}
    assert sorted(k2.jobs) == ["a1", "a2"] and all(j.state == QUEUED for j in k2.jobs.values())
    rows = {i: k2.store.job_status(i, t) for i, t in (("a3", "alice"), ("a4", "alice"), ("b1", "bob"))}
    assert rows["a3"]["state"] == "FAILED" and "stopped while the job was running" in rows["a3"]["reason"]
    assert rows["a4"]["state"] == "FAILED" and "3 times" in rows["a4"]["reason"]
    assert rows["b1"]["state"] == "FAILED" and "no longer configured" in rows["b1"]["reason"]
    k2.close()


def test_recovery_fails_jobs_over_a_lowered_quota(tmp_path):
    state = str(tmp_path / "st")
    k = Kernel(_config(), state)
    k.store.write([Store.insert_stmt(_job("a1", "alice", 1, QUEUED))])
    k.close()
    k2 = Kernel(_config(max_qubits=1), state)
    assert k2.runner.recover()["failed"] == 1
    k2.store.flush()
    assert "quota" in k2.store.job_status("a1", "alice")["reason"]
    k2.close()


def test_one_state_directory_one_kernel(tmp_path):
    state = str(tmp_path / "st")
    k = Kernel(_config(), state)
    with pytest.raises(QmkIOError, match="another kernel"):
        Kernel(_config(), state)
    k.close()
    Kernel(_config(), state).close()


def test_an_internal_error_fails_the_job_and_keeps_the_worker(tmp_path, monkeypatch):
    """A bug while running a job (here: reading the stored program raises something unexpected) must
    end that job with the reason, not the worker thread: a dead worker leaves every later job waiting."""
    from qmk.runtime.kernel import runner as runner_mod
    from qmk.runtime.kernel.jobs import VALIDATING

    k = Kernel(_config(), str(tmp_path / "st"))
    job = _job("x1", "alice", 1, VALIDATING)
    k.store.write([Store.insert_stmt(job)])

    def broken(_program):
        raise RuntimeError("a bug")

    monkeypatch.setattr(runner_mod.bridge, "load_canonical", broken)
    k.runner.run(job)  # must not raise
    k.store.flush()
    row = k.store.job_status("x1", "alice")
    assert row["state"] == "FAILED" and "internal error" in row["reason"] and "a bug" in row["reason"]
    k.close()

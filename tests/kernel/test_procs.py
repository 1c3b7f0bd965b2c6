"""Job processes: a job runs in a child; a dead child fails only its job and is replaced."""

from __future__ import annotations

import os
import signal
import threading
import time

import orjson
import pytest
from kernelfix import BELL, LONG
from qmk.runtime.api import run
from qmk.runtime.kernel.jobs import CancelFlag
from qmk.runtime.kernel.procs import Cancelled, Failed, JobProcess

from qmk.qvmjson import from_json


@pytest.fixture(scope="module")
def jp():
    p = JobProcess()
    yield p
    p.close()


def test_result_is_the_runtime_result(jp):
    out = orjson.loads(jp.run(orjson.dumps(BELL), shots=300, seed=8, keep_shots=False, cancel=CancelFlag()))
    assert out["counts"] == run(from_json(BELL), shots=300, seed=8).to_json()["counts"]


def test_cancel_and_timeout_reach_the_child(jp):
    flag = CancelFlag()
    threading.Timer(0.3, flag.set).start()
    t0 = time.monotonic()
    with pytest.raises(Cancelled) as e:
        jp.run(orjson.dumps(LONG), shots=10_000_000, seed=1, keep_shots=False, cancel=flag)
    assert e.value.reason == "cancelled" and time.monotonic() - t0 < 10
    flag = CancelFlag()
    flag.expires = time.time() + 0.3
    with pytest.raises(Cancelled) as e:
        jp.run(orjson.dumps(LONG), shots=10_000_000, seed=1, keep_shots=False, cancel=flag)
    assert e.value.reason == "timeout"


def test_a_dead_child_fails_its_job_and_is_replaced(jp):
    old = jp.proc.pid
    threading.Timer(0.5, os.kill, (old, signal.SIGKILL)).start()
    with pytest.raises(Failed, match="process died"):
        jp.run(orjson.dumps(LONG), shots=10_000_000, seed=1, keep_shots=False, cancel=CancelFlag())
    assert jp.proc.pid != old and jp.proc.poll() is None
    out = orjson.loads(jp.run(orjson.dumps(BELL), shots=10, seed=1, keep_shots=False, cancel=CancelFlag()))
    assert sum(out["counts"].values()) == 10

"""50 concurrent clients x 20 jobs each, all complete with correct results."""

from __future__ import annotations

import threading

from kernelfix import BELL, config_text
from qmk.runtime.api import run

from qmk.qvmjson import from_json

CLIENTS, JOBS, SHOTS = 50, 20, 64


def test_50_clients_x_20_jobs_all_complete_correctly(kernel_factory):
    k = kernel_factory(config_text(max_running=2, max_queued=5000))
    results: dict[tuple[int, int], dict] = {}
    errors: list[BaseException] = []
    lock = threading.Lock()

    def client(c: int) -> None:
        try:
            with k.client("alice" if c % 2 else "bob", timeout=120) as cl:
                jobs = [(i, cl.submit(BELL, shots=SHOTS, seed=c * 1000 + i)) for i in range(JOBS)]
                for i, job in jobs:
                    st = cl.wait(job, result=True)
                    with lock:
                        results[(c, i)] = st
        except BaseException as e:  # reported below, with the client's number
            with lock:
                errors.append(e)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)
    assert not errors, errors[:3]
    assert len(results) == CLIENTS * JOBS
    program = from_json(BELL)
    for (c, i), st in results.items():
        assert st["state"] == "COMPLETED"
        expected = run(program, shots=SHOTS, seed=c * 1000 + i).counts
        assert st["result"]["counts"] == expected, (c, i)
    # and every job is listed for its own tenant only
    with k.client("alice") as a, k.client("bob") as b:
        na = len(a.list_jobs(limit=1000))
        nb = len(b.list_jobs(limit=1000))
    assert (na, nb) == (CLIENTS // 2 * JOBS, CLIENTS // 2 * JOBS)

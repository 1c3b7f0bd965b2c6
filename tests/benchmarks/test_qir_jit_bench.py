"""Benchmark (make bench): adaptive QIR run shot by shot, as a ratio to qir-runner on the same module.

Target (issue 4): shots per second on a repeat-until-success program >= 0.5 x qir-runner (PyPI
``qirrunner``), both called in-process on the same bytes, so each figure includes parsing, JIT
compilation and (for qmk) the forked worker. Each is warmed up once; then the two run alternately
``REPEAT`` times and the ratio is the median of the pairs (the machine's load changes between runs).
``qmk run-only`` is the shot loop alone (telemetry ``run_s``), without compilation and the worker start.
Run: ``pytest -s -m bench tests/benchmarks/test_qir_jit_bench.py``. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.bench

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "runtime"))

SHOTS = int(os.environ.get("QMK_BENCH_QIR_SHOTS", "10000"))
REPEAT = 5


def _paired(ref, ours) -> tuple[float, float, float]:
    """Best time of each and the median of the per-pair ratios t_ref / t_ours, the two run alternately
    (after one warm-up each) so that both see the same machine load."""
    ref()
    ours()
    t_ref, t_ours, ratios = [], [], []
    for _ in range(REPEAT):
        t = time.perf_counter()
        ref()
        t_ref.append(time.perf_counter() - t)
        t = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t)
        ratios.append(t_ref[-1] / t_ours[-1])
    return min(t_ref), min(t_ours), statistics.median(ratios)


def test_adaptive_qir_shots_per_second_vs_qir_runner():
    qirrunner = pytest.importorskip("qirrunner")
    from qmk.runtime.qir_jit import run_qir
    from test_qir_jit_progs import RUS_COIN, RUS_GATE

    rows = []
    for name, data in (("rus-coin (1 qubit)", RUS_COIN), ("rus-gate (2 qubits, 8 gates/round)", RUS_GATE)):
        def ref(data=data):
            h = qirrunner.OutputHandler()
            qirrunner.run_bytes(data, shots=SHOTS, rng_seed=1, output_fn=h.handle)
            assert h.get_output().count("START") == SHOTS

        run_only: list[float] = []

        def ours(data=data, run_only=run_only):
            r = run_qir(data, shots=SHOTS, seed=1)
            assert r.num_shots == SHOTS
            run_only.append(r.telemetry["run_s"])

        t_ref, t_ours, ratio = _paired(ref, ours)
        rows.append((name, SHOTS / t_ref, SHOTS / t_ours, ratio, SHOTS / min(run_only)))
    print(f"\nadaptive QIR, {SHOTS} shots; shots/s best of {REPEAT}; ratio = qmk / qir-runner speed, "
          f"median of {REPEAT} alternating pairs (target >= 0.5)")
    print(f"{'program':38} {'qir-runner':>11} {'qmk':>9} {'ratio':>6} {'qmk run-only':>13}")
    for name, ref_rate, our_rate, ratio, run_rate in rows:
        print(f"{name:38} {ref_rate:11.0f} {our_rate:9.0f} {ratio:6.2f} {run_rate:13.0f}")

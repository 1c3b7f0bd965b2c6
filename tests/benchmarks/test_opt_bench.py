"""Optimizer benchmarks (run with ``pytest -s -m bench tests/benchmarks/test_opt_bench.py``).

- T-count: the Clifford+T suite in ../shared/benchmarks/tcount/ through the OpenQASM reader, -O2 and
  -O3, against the counts in references.csv (PyZX full_reduce, best published).
- Throughput: -O2 on random Clifford+T circuits over 50 qubits (10^5 and 10^6 gates by default,
  ``QMK_BENCH_SIZES=100000,1000000``), in gates per second, as a ratio to Qiskit's
  ``transpile(optimization_level=2)`` on the same circuit in the same run. Both run in-process (no JSON
  or file I/O), after a warm-up run of each on 30,000 gates. Timings on a shared machine are noisy.
"""

from __future__ import annotations

import csv
import os
import random
import time
from pathlib import Path

import pytest
from qmk.passes.counts import counts_of
from qmk.passes.pipeline import PRESETS, parse, run
from qmk.passes.registry import PassContext

from qmk.ir import Node, make_program

pytestmark = pytest.mark.bench

SUITE = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "tcount"
ONE_Q = ["h", "s", "sdg", "t", "tdg", "x", "z"]


def _optimize(program, level: str):
    t0 = time.perf_counter()
    out = run(program, parse(PRESETS[level]), PassContext())
    return out, time.perf_counter() - t0


def test_tcount_suite():
    qasm = pytest.importorskip("qmk.frontends.qasm", reason="the OpenQASM reader is not available")
    if not (SUITE / "references.csv").exists():
        pytest.skip(f"benchmark circuits not found in {SUITE}")
    refs = list(csv.DictReader((SUITE / "references.csv").read_text().splitlines()))
    rows, totals = [], {"orig": 0, "O2": 0, "O3": 0, "pyzx": 0, "best": 0}
    worse = []
    for r in refs:
        name = r["circuit"]
        prog = qasm.read((SUITE / f"{name}.qasm").read_text(), f"{name}.qasm")
        c0 = counts_of(prog)
        o2, t2 = _optimize(prog, "2")
        o3, t3 = _optimize(prog, "3")
        c2, c3 = counts_of(o2), counts_of(o3)
        rows.append((name, c0["t_count"], c2["t_count"], c3["t_count"], int(r["t_pyzx_full_reduce"]),
                     int(r["t_best_published"]), c0["two_qubit"], c2["two_qubit"], c3["two_qubit"], t2, t3))
        totals["orig"] += c0["t_count"]
        totals["O2"] += c2["t_count"]
        totals["O3"] += c3["t_count"]
        totals["pyzx"] += int(r["t_pyzx_full_reduce"])
        totals["best"] += int(r["t_best_published"])
        for c in (c2, c3):
            if c["t_count"] > c0["t_count"] or c["two_qubit"] > c0["two_qubit"]:
                worse.append(name)
    print()
    print(f"{'circuit':16} {'T orig':>6} {'T -O2':>6} {'T -O3':>6} {'PyZX':>6} {'best':>6} "
          f"{'2q orig':>7} {'2q -O2':>7} {'2q -O3':>7} {'s -O2':>7} {'s -O3':>7}")
    for row in rows:
        print(f"{row[0]:16} {row[1]:6} {row[2]:6} {row[3]:6} {row[4]:6} {row[5]:6} {row[6]:7} {row[7]:7} "
              f"{row[8]:7} {row[9]:7.2f} {row[10]:7.2f}")
    print(f"{'total':16} {totals['orig']:6} {totals['O2']:6} {totals['O3']:6} {totals['pyzx']:6} {totals['best']:6}")
    print(f"total T-count -O2 / PyZX full_reduce = {totals['O2'] / totals['pyzx']:.4f}")
    assert not worse, f"circuits made worse: {worse}"


def random_clifford_t(n_gates: int, n_qubits: int = 50, seed: int = 1):
    """The same random circuit as a QMK program and as a list of (gate, qubits) for Qiskit."""
    rng = random.Random(seed)
    gates = []
    for _ in range(n_gates):
        if rng.random() < 0.3:
            gates.append(("cx", tuple(rng.sample(range(n_qubits), 2))))
        else:
            gates.append((rng.choice(ONE_Q), (rng.randrange(n_qubits),)))
    qs = [f"q{i}" for i in range(n_qubits)]
    names = {"cx": "APPLY_CNOT"}
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n_qubits})]
    nodes += [Node(f"g{i}", names.get(g, "APPLY_" + g.upper()), tuple(qs[k] for k in q)) for i, (g, q) in
              enumerate(gates)]
    return make_program(nodes), gates


def _qiskit_seconds(gates, n_qubits: int = 50) -> float:
    from qiskit import QuantumCircuit, transpile

    qc = QuantumCircuit(n_qubits)
    for g, q in gates:
        getattr(qc, g)(*q)
    t0 = time.perf_counter()
    transpile(qc, optimization_level=2, basis_gates=ONE_Q + ["cx"], seed_transpiler=1)
    return time.perf_counter() - t0


def test_throughput_against_qiskit():
    pytest.importorskip("qiskit", reason="qiskit is an optional bench dependency")
    sizes = [int(s) for s in os.environ.get("QMK_BENCH_SIZES", "100000,1000000").split(",")]
    print()
    print(f"{'gates':>9} {'qmk s':>8} {'qmk gates/s':>12} {'qiskit s':>9} {'qiskit gates/s':>15} {'ratio':>6} "
          f"{'T in':>7} {'T qmk':>7}")
    # One-time costs of a process (numba's import and loading the cached kernels; Qiskit's first transpile
    # sets up its pass manager) are paid once here, reported, and kept out of the per-size times.
    warm, wgates = random_clifford_t(30_000, seed=7)
    wq, wt = _optimize(warm, "2")[1], _qiskit_seconds(wgates)
    print(f"warm-up on 30000 gates (one-time process costs included): qmk {wq:.2f} s, qiskit {wt:.2f} s")
    per_gate = []
    for n in sizes:
        prog, gates = random_clifford_t(n)
        out, secs = _optimize(prog, "2")
        qsecs = _qiskit_seconds(gates)
        per_gate.append(secs / n)
        print(f"{n:9} {secs:8.2f} {n / secs:12.0f} {qsecs:9.2f} {n / qsecs:15.0f} {qsecs / secs:6.2f} "
              f"{counts_of(prog)['t_count']:7} {counts_of(out)['t_count']:7}")
    if len(per_gate) > 1:
        print(f"scaling: time per gate at {sizes[-1]} / at {sizes[0]} = {per_gate[-1] / per_gate[0]:.2f} "
              "(1.0 is linear)")

"""qmk-run benchmarks (pytest -s -m bench tests/benchmarks/test_run_bench.py): ratios against references
measured in the same run. Timings on a shared machine are noisy; the table prints the medians of a few runs.

* State vector: QFT-n and random depth-20 circuits, qmk.runtime.run vs qiskit-aer's statevector method,
  one thread each, double precision, the same gate list (H, RZ, CNOT, U), measure all, 1000 shots.
  Also the fraction of the memory-bandwidth limit: bytes moved by the fused blocks (2 x state size each)
  over the time, divided by the measured numpy copy bandwidth.
* Stabilizer: 1000 qubits, 100,000 random Clifford gates, 1000 shots vs stim's compiled sampler on the
  same circuit built directly.
* Memory: peak RSS of a child process running QFT-26 (complex128), as a multiple of the state size.

QMK_BENCH_SIZES (default "16,20,24") picks the state-vector sizes.
"""

from __future__ import annotations

import math
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import pytest

pytestmark = pytest.mark.bench

SIZES = [int(x) for x in os.environ.get("QMK_BENCH_SIZES", "16,20,24").split(",") if x]
FUSE = int(os.environ.get("QMK_BENCH_FUSE", "4"))


def qft_gates(n):
    g = []
    for i in range(n):
        g.append(("h", [i], []))
        for j in range(i + 1, n):
            th = math.pi / 2 ** (j - i)
            # controlled phase(th) on (j, i) as RZ and CNOT
            g += [("rz", [j], [th / 2]), ("cx", [j, i], []), ("rz", [i], [-th / 2]), ("cx", [j, i], []), ("rz", [i], [th / 2])]
    return g


def random_gates(n, depth=20, seed=1):
    rng = np.random.default_rng(seed)
    g = []
    for d in range(depth):
        for q in range(n):
            g.append(("u", [q], [float(x) for x in rng.uniform(0, 2 * math.pi, 3)]))
        perm = rng.permutation(n)
        for a, b in zip(perm[0::2], perm[1::2]):
            g.append(("cx", [int(a), int(b)], []))
    return g


def to_qvm(n, gates):
    from qmk.ir import Node, make_program

    vqs = [f"q{i}" for i in range(n)]
    nodes = [Node("al", "ALLOC_LQ", tuple(vqs), {"n": n})]
    for k, (name, qs, ps) in enumerate(gates):
        op = {"h": "APPLY_H", "rz": "APPLY_RZ", "cx": "APPLY_CNOT", "u": "APPLY_U"}[name]
        args = {"theta": ps[0]} if name == "rz" else ({"theta": ps[0], "phi": ps[1], "lam": ps[2]} if name == "u" else {})
        nodes.append(Node(f"g{k}", op, tuple(vqs[q] for q in qs), args))
    nodes += [Node(f"m{i}", "MEASURE_Z", (vqs[i],), produces=(f"e{i}",)) for i in range(n)]
    return make_program(nodes)


def to_qiskit(n, gates):
    from qiskit import QuantumCircuit

    c = QuantumCircuit(n)
    for name, qs, ps in gates:
        # qiskit is little-endian in qubit index; the same gate on the same named qubit is all that matters
        getattr(c, name)(*ps, *qs)
    c.measure_all()
    return c


def _best(f, reps=3):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return statistics.median(ts)


def copy_bandwidth(nbytes=1 << 28):
    a = np.ones(nbytes // 8)
    b = np.empty_like(a)
    t = _best(lambda: np.copyto(b, a), 3)
    return 2 * nbytes / t  # read + write


def test_statevector_vs_qiskit_aer():
    aer = pytest.importorskip("qiskit_aer")
    from qmk.runtime.api import run

    sim = aer.AerSimulator(method="statevector", precision="double", max_parallel_threads=1,
                           max_parallel_experiments=1, max_parallel_shots=1)
    bw = copy_bandwidth()
    rows = []
    for kind, build in (("qft", qft_gates), ("random-d20", random_gates)):
        for n in SIZES:
            gates = build(n)
            prog = to_qvm(n, gates)
            circ = to_qiskit(n, gates)
            reps = 3 if n <= 20 else 1
            stats = {}

            def ours(prog=prog, stats=stats):
                stats["r"] = run(prog, shots=1000, seed=1, engine="statevector", fuse=FUSE)

            t_q = _best(ours, reps)
            t_a = _best(lambda circ=circ: sim.run(circ, shots=1000, seed_simulator=1).result(), reps)
            blocks = stats["r"].telemetry["fused_blocks"]
            frac = blocks * 2 * 16 * 2 ** n / t_q / bw
            rows.append((kind, n, len(gates), blocks, t_q, t_a, t_q / t_a, frac))
    n = 20 if 20 in SIZES else min(SIZES)
    os.environ["QMK_NUMBA"] = "0"
    try:
        t_np = {}
        for kind, build in (("qft", qft_gates), ("random-d20", random_gates)) if n <= 20 else ():
            p = to_qvm(n, build(n))
            t_np[kind] = _best(lambda p=p: run(p, shots=1000, seed=1, engine="statevector", fuse=FUSE), 1)
    finally:
        del os.environ["QMK_NUMBA"]
    print(f"\nnumpy copy bandwidth {bw / 1e9:.1f} GB/s")
    print(f"{'circuit':12} {'n':>3} {'gates':>6} {'blocks':>6} {'qmk s':>8} {'aer s':>8} {'ratio':>6} {'bw frac':>7}")
    for r in rows:
        print(f"{r[0]:12} {r[1]:>3} {r[2]:>6} {r[3]:>6} {r[4]:>8.3f} {r[5]:>8.3f} {r[6]:>6.2f} {r[7]:>7.2f}")
    for kind, t in t_np.items():
        with_numba = next(r[4] for r in rows if r[0] == kind and r[1] == n)
        print(f"{kind} n={n} without numba (QMK_NUMBA=0): {t:.3f} s, {t / with_numba:.1f}x the compiled kernels")


def _clifford_case(n=1000, gates=100_000, seed=3):
    rng = np.random.default_rng(seed)
    ops1 = ["H", "S", "S_DAG", "X", "Y", "Z", "SQRT_X"]
    qvm_ops = {"H": "APPLY_H", "S": "APPLY_S", "S_DAG": "APPLY_SDG", "X": "APPLY_X", "Y": "APPLY_Y", "Z": "APPLY_Z",
               "SQRT_X": "APPLY_SX", "CX": "APPLY_CNOT", "CZ": "APPLY_CZ"}
    seq = []
    for _ in range(gates):
        if rng.random() < 0.5:
            a, b = rng.choice(n, 2, replace=False)
            seq.append((str(rng.choice(["CX", "CZ"])), [int(a), int(b)]))
        else:
            seq.append((str(rng.choice(ops1)), [int(rng.integers(n))]))
    return seq, qvm_ops


def test_stabilizer_vs_stim():
    stim = pytest.importorskip("stim")
    from qmk.runtime.api import run

    from qmk.ir import Node, make_program

    n = 1000
    seq, qvm_ops = _clifford_case(n)
    vqs = [f"q{i}" for i in range(n)]
    nodes = [Node("al", "ALLOC_LQ", tuple(vqs), {"n": n})]
    nodes += [Node(f"g{k}", qvm_ops[name], tuple(vqs[q] for q in qs)) for k, (name, qs) in enumerate(seq)]
    nodes += [Node(f"m{i}", "MEASURE_Z", (vqs[i],), produces=(f"e{i}",)) for i in range(n)]
    prog = make_program(nodes)

    def direct():
        c = stim.Circuit()
        for name, qs in seq:
            c.append(name, qs)
        c.append("M", range(n))
        return c.compile_sampler(seed=1).sample(1000)

    t_s = _best(direct, 3)
    t_q = _best(lambda: run(prog, shots=1000, seed=1), 3)
    print(f"\nstabilizer 1000q x 100k gates x 1000 shots: qmk {t_q:.3f} s, stim direct {t_s:.3f} s, "
          f"ratio {t_q / t_s:.2f} (target <= 1.3)")


def test_peak_rss_at_26_qubits():
    pytest.importorskip("psutil")
    n = int(os.environ.get("QMK_BENCH_RSS_N", "26"))
    code = f"""
import resource, sys
sys.path.insert(0, {os.path.dirname(__file__)!r})
from test_run_bench import qft_gates, to_qvm
from qmk.runtime.api import run
p = to_qvm({n}, qft_gates({n})[:200])
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
run(p, shots=1000, seed=1, engine="statevector")
print(base * 1024, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=1200, check=False)
    assert out.returncode == 0, out.stderr
    base, peak = map(int, out.stdout.split())
    state = 16 * 2 ** n
    print(f"\npeak RSS at n={n}: {peak / 2**30:.2f} GiB for the whole process = {peak / state:.2f} x the state "
          f"({state / 2**30:.2f} GiB; target <= 1.5); peak before the run {base / 2**30:.2f} GiB")

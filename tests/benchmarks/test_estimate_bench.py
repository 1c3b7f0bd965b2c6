"""qmk-estimate speed (run with `pytest -s -m bench tests/benchmarks/test_estimate_bench.py`).

Prints a table; ratios are against the reference estimator (qsharp) measured in the same run when it is
installed. Per-configuration figures are CPU time of this process (time.process_time), which a shared
machine disturbs less than wall time; the end-to-end figure is wall time. No timing is asserted.
"""

import json
import os
import random
import subprocess
import sys
import time

import pytest

from qmk.estimator import estimate

pytestmark = pytest.mark.bench

CONFIGS = [{"qubitParams": {"name": q}, "qecScheme": {"name": s}}
           for q in ("qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4", "qubit_maj_ns_e4",
                     "qubit_maj_ns_e6") for s in ("surface_code", "floquet_code") if s == "surface_code" or "maj" in q]


def _counts(n: int, seed: int = 5) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        out.append({"numQubits": rng.randint(1, 2000), "tCount": rng.randint(0, 10**7), "rotationCount": rng.randint(0, 10**4),
                    "rotationDepth": 0, "cczCount": rng.randint(0, 10**6), "measurementCount": rng.randint(1, 10**6)})
        out[-1]["rotationDepth"] = out[-1]["rotationCount"] // 3
    return out


def _clock() -> float:
    return time.process_time()


def _clear_caches():
    from qmk.estimator import search, units

    units._ADJUST_CACHE.clear()
    units._QUANTILE_CACHE.clear()
    search._BUILDS.clear()


def _row(name, secs, n, ref=None):
    per = secs / n * 1000
    ratio = f"{per / ref:.2f}x ref" if ref else ""
    print(f"  {name:<42} {per:9.3f} ms/config  {ratio}")
    return per


def test_estimate_from_counts_speed():
    counts = _counts(20)
    print("\nfrom counts (20 random counts x 8 preset/scheme configurations)")
    ref_per = None
    try:
        import warnings

        warnings.filterwarnings("ignore")
        os.environ.setdefault("QSHARP_PYTHON_TELEMETRY", "none")
        from qsharp.estimator import LogicalCounts

        t = _clock()
        for c in counts:
            for p in CONFIGS:
                LogicalCounts(c).estimate(p)
        ref_per = _row("reference (qsharp LogicalCounts.estimate)", _clock() - t, len(counts) * len(CONFIGS))
    except ImportError:
        print("  reference not installed (pip install qsharp) - no ratio")
    t = _clock()
    for c in counts:
        for p in CONFIGS:
            _clear_caches()
            estimate(c, p)
    _row("qmk, cold caches each configuration", _clock() - t, len(counts) * len(CONFIGS), ref_per)
    t = _clock()
    for c in counts:
        estimate(c, CONFIGS)
    _row("qmk, one batch per counts (shared caches)", _clock() - t, len(counts) * len(CONFIGS), ref_per)


def test_frontier_speed():
    c = {"numQubits": 100, "tCount": 10**6, "rotationCount": 10**4, "rotationDepth": 10**3, "cczCount": 10**5,
         "measurementCount": 10**5}
    print("\nfrontier")
    for p in CONFIGS[:2] + CONFIGS[4:5]:
        _clear_caches()
        t = _clock()
        r = estimate(c, {**p, "estimateType": "frontier"})[0]
        print(f"  {p['qubitParams']['name']:<20} {_clock() - t:7.3f} s  {len(r['frontierEntries'])} points")


def write_big_qvm(path: str, n: int, nq: int = 200) -> None:
    """A Clifford+T program of n gates in canonical QVM layout, written directly as bytes."""
    ops = (["APPLY_H"] * 5 + ["APPLY_CNOT"] * 7 + ["APPLY_T"] * 4 + ["APPLY_TDG"] * 2 + ["APPLY_S"] + ["APPLY_RZ"]
           + ["APPLY_CCX"])
    rng = random.Random(3)
    seq = [rng.choice(ops) for _ in range(4096)]
    qs = [f"q{i}" for i in range(nq)]
    with open(path, "w") as fh:
        fh.write('{\n  "version": "0.2",\n  "program": {"nodes": [\n    ')
        fh.write('{"id":"a","op":"ALLOC_LQ","vqs":[%s],"args":{"n":%d}}' % (",".join(f'"{q}"' for q in qs), nq))
        lines = []
        for i in range(n):
            op = seq[i & 4095]
            a = qs[i % nq]
            if op == "APPLY_CNOT":
                v = f'"{a}","{qs[(i * 7 + 1) % nq]}"'
            elif op == "APPLY_CCX":
                v = f'"{a}","{qs[(i + 1) % nq]}","{qs[(i + 2) % nq]}"'
            else:
                v = f'"{a}"'
            args = ',"args":{"theta":0.%d}' % (i % 997 + 1) if op == "APPLY_RZ" else ""
            lines.append(f',\n    {{"id":"n{i}","op":"{op}","vqs":[{v}]{args}}}')
            if len(lines) == 100_000:
                fh.write("".join(lines))
                lines.clear()
        fh.write("".join(lines))
        fh.write('\n  ]},\n  "resources": {"vqs":[%s],"chs":[],"events":[]},\n  "caps": ["CAP_ALLOC"]\n}\n'
                 % ",".join(f'"{q}"' for q in qs))


@pytest.mark.parametrize("n", [int(os.environ.get("QMK_BENCH_GATES", 10_000_000))])
def test_big_qvm_end_to_end(tmp_path, n):
    path = str(tmp_path / "big.qvm.json")
    write_big_qvm(path, n)
    size = os.path.getsize(path)
    t = time.perf_counter()
    p = subprocess.run([sys.executable, "-c", "from qmk.cli.estimate import main; main()", path, "--format", "json",
                        "--max-input-bytes", str(size + 1)],
                       capture_output=True, timeout=600)
    secs = time.perf_counter() - t
    assert p.returncode == 0, p.stderr.decode()[-2000:]
    d = json.loads(p.stdout)
    print(f"\n{n:,} gates ({size / 2**20:.0f} MiB QVM) end to end: {secs:.2f} s wall  "
          f"(T {d['logicalCounts']['tCount']:,}, CCZ {d['logicalCounts']['cczCount']:,})")

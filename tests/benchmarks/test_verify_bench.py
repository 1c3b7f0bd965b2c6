"""Benchmark (make bench): verifying a 1,000,000-node program against plain json.load of the same file.

Targets (issue 2): qmk-verify time <= 3x json.load, peak memory <= 2.5 GB, `qmk-verify --help` < 0.3 s.
Each figure is measured in a fresh subprocess so peak RSS belongs to that step alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.bench

N_NODES = int(os.environ.get("QMK_BENCH_VERIFY_NODES", "1000000"))


def _write_program(path: str, n_nodes: int, n_qubits: int = 200) -> None:
    import random

    rng = random.Random(1)
    qs = [f"q{i}" for i in range(n_qubits)]
    gates1 = ["APPLY_H", "APPLY_T", "APPLY_S", "APPLY_X", "APPLY_TDG"]
    events = []
    with open(path, "w") as f:
        f.write('{"version": "0.2", "program": {"nodes": [\n')
        f.write(json.dumps({"id": "alloc", "op": "ALLOC_LQ", "vqs": qs,
                            "args": {"n": n_qubits, "profile": "logical:surface_code(d=9)"}}))
        for i in range(n_nodes - 2):
            r = rng.random()
            if r < 0.55:
                node = {"id": f"n{i}", "op": rng.choice(gates1), "vqs": [rng.choice(qs)]}
            elif r < 0.85:
                a, b = rng.sample(qs, 2)
                node = {"id": f"n{i}", "op": "APPLY_CNOT", "vqs": [a, b]}
            elif r < 0.95:
                node = {"id": f"n{i}", "op": "APPLY_RZ", "vqs": [rng.choice(qs)], "args": {"theta": rng.uniform(-3, 3)}}
            elif r < 0.98 or not events:
                ev = f"e{len(events)}"
                events.append(ev)
                node = {"id": f"n{i}", "op": "MEASURE_Z", "vqs": [rng.choice(qs)], "produces": [ev]}
            else:
                node = {"id": f"n{i}", "op": "APPLY_X", "vqs": [rng.choice(qs)],
                        "guard": {"event": rng.choice(events), "equals": 1}}
            f.write(",\n" + json.dumps(node))
        f.write(",\n" + json.dumps({"id": "free", "op": "FREE_LQ", "vqs": qs}))
        f.write('\n]}, "resources": ' + json.dumps({"vqs": qs, "chs": [], "events": events}))
        f.write(', "caps": ["CAP_ALLOC", "CAP_MEASURE"]}\n')


_MEASURE = r"""
import resource, sys, time
t = time.perf_counter()
{body}
dt = time.perf_counter() - t
print(dt, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def _measure(body: str) -> tuple[float, int]:
    out = subprocess.run([sys.executable, "-c", _MEASURE.format(body=body)], capture_output=True, text=True,
                         check=True)
    t, rss = out.stdout.split()[-2:]
    return float(t), int(rss)


def test_verify_million_nodes(tmp_path):
    path = str(tmp_path / "big.qvm.json")
    _write_program(path, N_NODES)
    size = os.path.getsize(path)
    t_json, rss_json = min(_measure(f"import json; json.load(open({path!r}))") for _ in range(2))
    verify_body = (
        "from qmk.cli.verify import cli\n"
        f"rc = cli.main(args=[{path!r}, '-o', '/dev/null'], standalone_mode=False)\n"
        "assert rc == 0, rc"
    )
    t_ver, rss_ver = min(_measure(verify_body) for _ in range(2))
    t0 = time.perf_counter()
    for _ in range(3):
        subprocess.run([os.path.join(os.path.dirname(sys.executable), "qmk-verify"), "--help"],
                       capture_output=True, check=True)
    t_help = (time.perf_counter() - t0) / 3
    ratio = t_ver / t_json
    print(
        f"\nverify benchmark: {N_NODES:,} nodes, {size / 2**20:.0f} MiB\n"
        f"  json.load          {t_json:7.2f} s   peak RSS {rss_json / 2**30:5.2f} GiB\n"
        f"  qmk-verify (load+verify+dump) {t_ver:7.2f} s   peak RSS {rss_ver / 2**30:5.2f} GiB\n"
        f"  ratio              {ratio:7.2f} x   (target <= 3.0)\n"
        f"  qmk-verify --help  {t_help:7.3f} s   (target < 0.3 s)"
    )

"""qmk-lower speed on a big base-profile QIR program, as a ratio to LLVM's bare parse in the same run.

Run: pytest -s -m bench tests/benchmarks/test_lower_bench.py   (QMK_BENCH_GATES=N to resize, default 300000)
Target (issue 3): lowering <= 3x the bare parse (llvmlite parse_assembly for text, pyqir from_bitcode
for bitcode). Timings on a shared machine are noisy; each number is the best of 5 repetitions.
"""

from __future__ import annotations

import os
import time

import pytest

pytestmark = pytest.mark.bench

N_GATES = int(os.environ.get("QMK_BENCH_GATES", "300000"))


def _cpu() -> float:
    """CPU time of this process and of its children that have ended (the bitcode reader forks one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def best(fn, reps=5) -> tuple[float, float]:
    """Best wall time and best CPU time, children included (CPU time is less disturbed by other load)."""
    wall, cpu = [], []
    for _ in range(reps):
        t, c = time.perf_counter(), _cpu()
        fn()
        wall.append(time.perf_counter() - t)
        cpu.append(_cpu() - c)
    return min(wall), min(cpu)


def test_lower_big_qir_against_bare_llvm_parse():
    pyqir = pytest.importorskip("pyqir")
    llvm = pytest.importorskip("llvmlite.binding")
    from qmk.frontends import lower_bytes

    from ..frontends import qir_corpus as C

    text = C.big(N_GATES)
    bc = llvm.parse_assembly(text).as_bitcode()  # LLVM 22 bitcode, read by pyqir (LLVM 20) too
    data = text.encode()
    n_nodes = len(lower_bytes(data, "big.ll").nodes)
    assert n_nodes >= N_GATES

    rows = []
    parse_ll = best(lambda: llvm.parse_assembly(text))
    lower_ll = best(lambda: lower_bytes(data, "big.ll"))
    rows.append((".ll", "llvmlite parse_assembly", parse_ll, lower_ll))
    parse_bc = best(lambda: pyqir.Module.from_bitcode(pyqir.Context(), bc))
    lower_bc = best(lambda: lower_bytes(bc, "big.bc"))
    rows.append((".bc", "pyqir from_bitcode", parse_bc, lower_bc))

    print(
        f"\nqmk-lower, {N_GATES} gates ({len(data) / 2**20:.1f} MiB text, {len(bc) / 2**20:.1f} MiB bitcode)"
    )
    print(
        f"{'input':<6} {'reference':<26} {'ref s':>7} {'lower s':>8} {'ratio':>6} "
        f"{'ref cpu':>8} {'lower cpu':>9} {'ratio':>6}  (target <= 3x)"
    )
    for kind, ref, (w_ref, c_ref), (w_low, c_low) in rows:
        print(
            f"{kind:<6} {ref:<26} {w_ref:7.3f} {w_low:8.3f} {w_low / w_ref:6.2f} "
            f"{c_ref:8.3f} {c_low:9.3f} {c_low / c_ref:6.2f}"
        )

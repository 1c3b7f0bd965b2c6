"""QIR that the QDK (Q# compiler) emits for each target profile lowers to the same QVM.

Skipped when the qdk package is not installed.
"""

from __future__ import annotations

import pytest

from qmk.frontends import NotStaticError, lower_bytes
from qmk.passes.verify import verify

SOURCE = """
import Std.Convert.*;
operation Main() : (Result, Result, Bool) {
    use (a, b, c) = (Qubit(), Qubit(), Qubit());
    H(a);
    for i in 0..2 { Rx(0.1 * IntAsDouble(i), b); }
    let r = M(a);
    if r == One { X(b); }
    CNOT(b, c);
    Controlled Z([a, b], c);
    let r2 = MResetZ(b);
    Reset(a); Reset(c);
    (r, r2, r == One)
}
"""


def compile_qsharp(profile: str, source: str = SOURCE) -> str:
    pytest.importorskip("qdk")
    from qdk import qsharp

    qsharp.init(target_profile=getattr(qsharp.TargetProfile, profile))
    qsharp.eval(source)
    return str(qsharp.compile("Main()"))


def lower(text: str):
    prog = lower_bytes(text.encode(), "qdk.ll")
    assert not [d for d in verify(prog) if d.is_error]
    return prog


def shape(prog):
    return [(n.op, n.vqs, dict(n.args), n.produces, n.guard) for n in prog.nodes]


def test_adaptive_ri_and_adaptive_qir_give_the_same_qvm():
    ri = lower(compile_qsharp("Adaptive_RI"))  # typed pointers, forward branches, loops unrolled by qdk
    full = lower(compile_qsharp("Adaptive"))  # QIR 2.1: real loops, alloca, flattened here by LLVM
    assert shape(ri) == shape(full)
    assert ri.outputs == full.outputs
    ops = [(op, vqs, guard) for op, vqs, _a, _p, guard in shape(ri)]
    assert ("APPLY_X", ("q1",), {"event": "r0", "equals": 1}) in ops
    assert [a["theta"] for op, _v, a, _p, _g in shape(ri) if op == "APPLY_RX"] == [0.0, 0.1, 0.2]
    assert ri.outputs[-1] == {"type": "BOOL", "event": "r0", "invert": False, "label": "3_t2b"}
    assert full.metadata["qir"]["flags"]["backwards_branching"] == 3  # i2 -1 read unsigned


def test_integer_output_of_a_measurement_count_is_refused_with_a_pointer_to_qmk_run():
    src = (
        SOURCE.replace("(Result, Result, Bool)", "(Result, Int)")
        .replace("if r == One { X(b); }", "mutable n = 0; if r == One { X(b); set n += 1; }")
        .replace("(r, r2, r == One)", "(r2, n)")
    )
    with pytest.raises(NotStaticError) as e:
        lower_bytes(compile_qsharp("Adaptive_RI", src).encode(), "qdk.ll")
    assert "int_record_output" in e.value.diagnostics[0].message

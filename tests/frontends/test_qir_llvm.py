"""QIR through LLVM: the pyqir-built corpus and hand-written LLVM text lower to the expected QVM."""

from __future__ import annotations

import math

import pytest
from qmk.passes.verify import verify

from qmk import qvmjson
from qmk.frontends import lower_bytes

from . import qir_corpus as C


def lower(text: str | bytes, **kw):
    data = text.encode() if isinstance(text, str) else text
    prog = lower_bytes(data, "t.ll", **kw)
    errors = [d for d in verify(prog) if d.is_error]
    assert not errors, [str(d) for d in errors]
    return prog


def body(prog):
    """(op, vqs, args, produces) of every node except the static ALLOC_LQ/FREE_LQ frame."""
    nodes = prog.nodes
    if nodes and nodes[0].op == "ALLOC_LQ":
        nodes = nodes[1:]
    if nodes and nodes[-1].op == "FREE_LQ":
        nodes = nodes[:-1]
    return [(n.op, list(n.vqs), dict(n.args), list(n.produces)) for n in nodes]


def test_bell_from_pyqir_text_and_bitcode_is_the_same_qvm():
    text = C.bell()
    a = lower(text)
    b = lower_bytes(C.bitcode(text), "t.bc")
    assert qvmjson.dumps(a) == qvmjson.dumps(b)
    assert body(a) == [
        ("APPLY_H", ["q0"], {}, []),
        ("APPLY_CNOT", ["q0", "q1"], {}, []),
        ("MEASURE_Z", ["q0"], {}, ["r0"]),
        ("MEASURE_Z", ["q1"], {}, ["r1"]),
    ]
    assert a.nodes[0].op == "ALLOC_LQ" and a.nodes[0].args == {"n": 2, "profile": "logical:surface_code(d=9)"}
    assert a.nodes[-1].op == "FREE_LQ" and a.nodes[-1].vqs == ("q0", "q1")
    assert [n.id for n in a.nodes] == [f"n{i}" for i in range(len(a.nodes))]
    assert a.outputs == [
        {"type": "TUPLE", "count": 2, "label": "0_t"},
        {"type": "RESULT", "event": "r0", "label": "1_t0r"},
        {"type": "RESULT", "event": "r1", "label": "2_t1r"},
    ]
    assert a.caps == ("CAP_ALLOC", "CAP_MEASURE")
    qir = a.metadata["qir"]
    assert qir["entry"] == "main" and qir["required_num_qubits"] == 2 and qir["required_num_results"] == 2
    assert qir["flags"]["qir_major_version"] == 2
    assert ["entry_point", ""] in qir["attributes"]


def test_every_pyqir_gate_lowers_in_order():
    prog = lower(C.all_gates())
    ops = [(op, vqs) for op, vqs, _a, _p in body(prog)]
    assert ops[:8] == [
        (o, ["q0"])
        for o in ("APPLY_H", "APPLY_X", "APPLY_Y", "APPLY_Z", "APPLY_S", "APPLY_SDG", "APPLY_T", "APPLY_TDG")
    ]
    rest = body(prog)[8:]
    assert rest[:3] == [
        ("APPLY_RX", ["q1"], {"theta": 0.25}, []),
        ("APPLY_RY", ["q1"], {"theta": -1.5}, []),
        ("APPLY_RZ", ["q2"], {"theta": 3.0}, []),
    ]
    assert [(o, v) for o, v, _a, _p in rest[3:9]] == [
        ("APPLY_CNOT", ["q0", "q1"]),
        ("APPLY_CZ", ["q1", "q2"]),
        ("APPLY_SWAP", ["q0", "q2"]),
        ("APPLY_CCX", ["q0", "q1", "q2"]),
        ("RESET", ["q0"]),
        ("FENCE_EPOCH", []),
    ]
    assert [o["type"] for o in prog.outputs] == ["ARRAY", "RESULT", "RESULT", "RESULT"]
    assert "label" not in prog.outputs[1]


def test_typed_and_opaque_pointers_give_the_same_qvm():
    typed = C.module(
        "  call void @__quantum__qis__h__body(%Qubit* null)\n"
        "  call void @__quantum__qis__cnot__body(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*))\n"
        "  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), "
        "%Result* inttoptr (i64 1 to %Result*))\n"
        "  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*), "
        "i8* getelementptr inbounds ([3 x i8], [3 x i8]* @lbl, i64 0, i64 0))\n  ret i64 0",
        "declare void @__quantum__qis__h__body(%Qubit*)\ndeclare void @__quantum__qis__cnot__body(%Qubit*, %Qubit*)\n"
        "declare void @__quantum__qis__mz__body(%Qubit*, %Result*)\n"
        "declare void @__quantum__rt__result_record_output(%Result*, i8*)",
        typed=True,
        nq=2,
        nr=2,
        extra='@lbl = internal constant [3 x i8] c"ab\\00"\n',
    )
    opaque = C.module(
        f"  call void @__quantum__qis__h__body({C.q(0)})\n"
        f"  call void @__quantum__qis__cnot__body({C.q(0)}, {C.q(1)})\n"
        f"  call void @__quantum__qis__mz__body({C.q(1)}, {C.q(1)})\n"
        f"  call void @__quantum__rt__result_record_output({C.q(1)}, ptr @lbl)\n  ret i64 0",
        C.DECLS,
        nq=2,
        nr=2,
        extra='@lbl = internal constant [3 x i8] c"ab\\00"\n',
    )
    a, b = lower(typed), lower(opaque)
    assert body(a) == body(b)
    assert a.outputs == b.outputs == [{"type": "RESULT", "event": "r1", "label": "ab"}]


def test_measurement_forms_and_rewritten_results():
    text = C.module(
        f"  call void @__quantum__rt__initialize(ptr null)\n"
        f"  call void @__quantum__qis__mz__body({C.q(0)}, {C.q(0)})\n"
        f"  call void @__quantum__qis__mresetz__body({C.q(1)}, {C.q(0)})\n"
        f"  %r = call ptr @__quantum__qis__m__body({C.q(2)})\n"
        f"  call void @__quantum__rt__result_record_output({C.q(0)}, ptr null)\n"
        f"  call void @__quantum__rt__result_record_output(ptr %r, ptr null)\n  ret i64 0",
        C.DECLS,
        nq=3,
        nr=1,
    )
    prog = lower(text)
    assert body(prog) == [
        ("MEASURE_Z", ["q0"], {}, ["r0"]),
        ("MEASURE_Z", ["q1"], {}, ["r0.1"]),
        ("RESET", ["q1"], {}, []),
        ("MEASURE_Z", ["q2"], {}, ["r1"]),
    ]
    assert prog.outputs == [{"type": "RESULT", "event": "r0.1"}, {"type": "RESULT", "event": "r1"}]
    assert prog.resources.events == ("r0", "r0.1", "r1")


def test_dynamic_qubits_allocate_and_release_in_place():
    text = C.module(
        "  %a = call ptr @__quantum__rt__qubit_allocate()\n"
        "  call void @__quantum__qis__h__body(ptr %a)\n"
        f"  call void @__quantum__qis__cnot__body(ptr %a, {C.q(0)})\n"
        "  call void @__quantum__rt__qubit_release(ptr %a)\n"
        "  %b = call ptr @__quantum__rt__qubit_allocate()\n"
        "  call void @__quantum__qis__x__body(ptr %b)\n  ret i64 0",
        C.DECLS,
        nq=1,
        nr=0,
    )
    prog = lower(text)
    ops = [(n.op, list(n.vqs)) for n in prog.nodes]
    assert ops == [
        ("ALLOC_LQ", ["q0"]),
        ("ALLOC_LQ", ["q1"]),
        ("APPLY_H", ["q1"]),
        ("APPLY_CNOT", ["q1", "q0"]),
        ("FREE_LQ", ["q1"]),
        ("ALLOC_LQ", ["q2"]),
        ("APPLY_X", ["q2"]),
        ("FREE_LQ", ["q0", "q2"]),
    ]


def test_spec_21_qubit_allocate_with_an_argument():
    text = C.module(
        "  %a = call ptr @__quantum__rt__qubit_allocate(ptr null)\n"
        "  call void @__quantum__qis__h__body(ptr %a)\n  ret i64 0",
        "declare ptr @__quantum__rt__qubit_allocate(ptr)\ndeclare void @__quantum__qis__h__body(ptr)",
        nq=None,
        nr=None,
    )
    prog = lower(text)
    assert [(n.op, list(n.vqs)) for n in prog.nodes] == [
        ("ALLOC_LQ", ["q0"]),
        ("APPLY_H", ["q0"]),
        ("FREE_LQ", ["q0"]),
    ]


def test_output_recording_of_every_kind():
    text = C.module(
        f"  call void @__quantum__qis__mz__body({C.q(0)}, {C.q(0)})\n"
        f"  %b = call i1 @__quantum__rt__read_result({C.q(0)})\n"
        "  %nb = xor i1 %b, true\n"
        "  call void @__quantum__rt__tuple_record_output(i64 5, ptr @t)\n"
        "  call void @__quantum__rt__bool_record_output(i1 %nb, ptr @l)\n"
        "  call void @__quantum__rt__bool_record_output(i1 true, ptr null)\n"
        "  call void @__quantum__rt__int_record_output(i64 -3, ptr null)\n"
        "  call void @__quantum__rt__double_record_output(double 7.500000e-01, ptr null)\n"
        f"  call void @__quantum__rt__result_record_output({C.q(0)}, ptr @bad)\n  ret i64 0",
        C.DECLS,
        nq=1,
        nr=1,
        extra='@t = internal constant [4 x i8] c"0_t\\00"\n@l = internal constant [2 x i8] c"b\\00"\n'
        '@bad = internal constant [3 x i8] c"\\FFx\\00"\n',
    )
    prog = lower(text)
    assert prog.outputs == [
        {"type": "TUPLE", "count": 5, "label": "0_t"},
        {"type": "BOOL", "event": "r0", "invert": True, "label": "b"},
        {"type": "BOOL", "value": True},
        {"type": "INT", "value": -3},
        {"type": "DOUBLE", "value": 0.75},
        {"type": "RESULT", "event": "r0", "label": "\\xffx"},
    ]


def test_decomposed_gates_and_adjoints_from_text():
    decls = (
        "declare void @__quantum__qis__cy__body(ptr, ptr)\ndeclare void @__quantum__qis__rzz__body(double, ptr, ptr)\n"
        "declare void @__quantum__qis__rx__adj(double, ptr)\ndeclare void @__quantum__qis__sx__body(ptr)\n"
        "declare void @__quantum__qis__r__body(i2, double, ptr)"
    )
    text = C.module(
        f"  call void @__quantum__qis__cy__body({C.q(0)}, {C.q(1)})\n"
        f"  call void @__quantum__qis__rzz__body(double 5.000000e-01, {C.q(0)}, {C.q(1)})\n"
        f"  call void @__quantum__qis__rx__adj(double 2.500000e-01, {C.q(0)})\n"
        f"  call void @__quantum__qis__sx__body({C.q(1)})\n"
        f"  call void @__quantum__qis__r__body(i2 -1, double 1.000000e+00, {C.q(1)})\n  ret i64 0",
        decls,
        nq=2,
        nr=0,
    )
    assert body(lower(text)) == [
        ("APPLY_SDG", ["q1"], {}, []),
        ("APPLY_CNOT", ["q0", "q1"], {}, []),
        ("APPLY_S", ["q1"], {}, []),
        ("APPLY_CNOT", ["q0", "q1"], {}, []),
        ("APPLY_RZ", ["q1"], {"theta": 0.5}, []),
        ("APPLY_CNOT", ["q0", "q1"], {}, []),
        ("APPLY_RX", ["q0"], {"theta": -0.25}, []),
        ("APPLY_SX", ["q1"], {}, []),
        ("APPLY_RY", ["q1"], {"theta": 1.0}, []),
    ]


def test_hex_double_angles_are_exact():
    text = C.module(
        f"  call void @__quantum__qis__rx__body(double 0x3FF921FB54442D18, {C.q(0)})\n  ret i64 0",
        C.DECLS,
        nq=1,
        nr=0,
    )
    assert body(lower(text)) == [("APPLY_RX", ["q0"], {"theta": math.pi / 2}, [])]


def test_profile_option_sets_alloc_profile():
    prog = lower(C.bell(), profile="logical:surface_code(d=11)")
    assert prog.nodes[0].args["profile"] == "logical:surface_code(d=11)"


def test_entry_point_chosen_by_name_among_several():
    for entry, op in (("first", "APPLY_H"), ("second", "APPLY_X")):
        prog = lower(C.two_entries(), entry=entry)
        assert prog.metadata["qir"]["entry"] == entry
        assert [n.op for n in prog.nodes] == ["ALLOC_LQ", op, "FREE_LQ"]


def test_without_required_counts_the_ids_used_decide():
    text = C.module(f"  call void @__quantum__qis__h__body({C.q(4)})\n  ret i64 0", C.DECLS, nq=None, nr=None)
    prog = lower(text)
    assert prog.nodes[0].vqs == ("q0", "q1", "q2", "q3", "q4")


def test_lowering_is_deterministic():
    text = C.if_else()
    assert qvmjson.dumps(lower(text)) == qvmjson.dumps(lower(text))


@pytest.mark.parametrize("angle", ["0x7FF8000000000000", "0x7FF0000000000000"])
def test_nan_and_infinite_angles_are_refused(angle):
    from qmk.diagnostics import InputError

    text = C.module(
        f"  call void @__quantum__qis__rx__body(double {angle}, {C.q(0)})\n  ret i64 0", C.DECLS, nq=1, nr=0
    )
    with pytest.raises(InputError) as e:
        lower_bytes(text.encode(), "t.ll")
    assert e.value.diagnostics[0].code == "QMK708"


LEGACY_CTL = """%Qubit = type opaque
%Array = type opaque

define void @main() #0 {
entry:
  %c = call %Qubit* @__quantum__rt__qubit_allocate()
  %t = call %Qubit* @__quantum__rt__qubit_allocate()
  %arr = call %Array* @__quantum__rt__array_create_1d(i32 8, i64 1)
  %e = call i8* @__quantum__rt__array_get_element_ptr_1d(%Array* %arr, i64 0)
  %p = bitcast i8* %e to %Qubit**
  store %Qubit* %c, %Qubit** %p, align 8
  call void @__quantum__qis__x__ctl(%Array* %arr, %Qubit* %t)
  call void @__quantum__qis__t__ctladj(%Array* %arr, %Qubit* %t)
  call void @__quantum__rt__array_update_reference_count(%Array* %arr, i32 -1)
  call void @__quantum__rt__qubit_release(%Qubit* %t)
  call void @__quantum__rt__qubit_release(%Qubit* %c)
  ret void
}

declare %Qubit* @__quantum__rt__qubit_allocate()
declare void @__quantum__rt__qubit_release(%Qubit*)
declare %Array* @__quantum__rt__array_create_1d(i32, i64)
declare i8* @__quantum__rt__array_get_element_ptr_1d(%Array*, i64)
declare void @__quantum__rt__array_update_reference_count(%Array*, i32)
declare void @__quantum__qis__x__ctl(%Array*, %Qubit*)
declare void @__quantum__qis__t__ctladj(%Array*, %Qubit*)

attributes #0 = { "entry_point" }
"""


def test_legacy_controlled_forms_with_a_control_array():
    from qmk.frontends.decompose import decompose

    prog = lower(LEGACY_CTL)
    gates = [(n.op, n.vqs, dict(n.args)) for n in prog.nodes if n.op.startswith("APPLY")]
    want = [("APPLY_CNOT", ("q0", "q1"), {})]
    want += [(op, tuple(("q0", "q1")[i] for i in idx), a) for op, idx, a in decompose("cp", (-math.pi / 4,))]
    assert gates == want
    assert [n.op for n in prog.nodes if not n.op.startswith("APPLY")] == [
        "ALLOC_LQ",
        "ALLOC_LQ",
        "FREE_LQ",
        "FREE_LQ",
    ]


def test_bitcode_in_the_wrapper_header_is_read():
    import struct

    raw = C.bitcode(C.bell())
    wrapped = struct.pack("<5I", 0x0B17C0DE, 0, 20, len(raw), 0) + raw
    assert wrapped[:4] == b"\xde\xc0\x17\x0b"
    assert qvmjson.dumps(lower_bytes(wrapped, "w.bc")) == qvmjson.dumps(lower(C.bell()))

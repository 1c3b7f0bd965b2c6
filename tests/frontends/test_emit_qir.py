"""QVM back to QIR: the output parses in pyqir and llvmlite, and QIR -> QVM -> QIR -> QVM is identical."""

from __future__ import annotations

import llvmlite.binding as llvm
import numpy as np
import pyqir
import pytest

from qmk import qvmjson
from qmk.diagnostics import InputError
from qmk.frontends import lower_bytes
from qmk.frontends.emit_qir import to_bitcode, to_ll
from qmk.ir import Node, make_program

from . import qir_corpus as C
from .test_adaptive import LOOP_SWITCH
from .test_qis import embed, equal_up_to_phase

MEASURE_FORMS = C.module(
    f"  call void @__quantum__qis__mz__body({C.q(0)}, {C.q(0)})\n"
    f"  call void @__quantum__qis__mresetz__body({C.q(1)}, {C.q(0)})\n"
    f"  %r = call ptr @__quantum__qis__m__body({C.q(2)})\n"
    f"  %b = call i1 @__quantum__rt__read_result({C.q(0)})\n"
    f"  call void @__quantum__rt__tuple_record_output(i64 3, ptr @t)\n"
    f"  call void @__quantum__rt__result_record_output({C.q(0)}, ptr @t)\n"
    f"  call void @__quantum__rt__result_record_output(ptr %r, ptr null)\n"
    f"  call void @__quantum__rt__bool_record_output(i1 %b, ptr null)\n"
    f"  call void @__quantum__rt__double_record_output(double 0x3FB999999999999A, ptr null)\n"
    f"  call void @__quantum__rt__int_record_output(i64 -12, ptr @u)\n  ret i64 0",
    C.DECLS,
    nq=3,
    nr=1,
    extra='@t = internal constant [4 x i8] c"0_t\\00"\n@u = internal constant [4 x i8] c"\\E2\\9C\\93\\00"\n',
)
DYNAMIC = C.module(
    "  %a = call ptr @__quantum__rt__qubit_allocate()\n  call void @__quantum__qis__h__body(ptr %a)\n"
    f"  call void @__quantum__qis__cnot__body(ptr %a, {C.q(0)})\n  call void @__quantum__rt__qubit_release(ptr %a)\n"
    "  ret i64 0",
    C.DECLS,
    nq=1,
    nr=0,
)
CORPUS = {
    "bell": C.bell,
    "all_gates": C.all_gates,
    "if_else": C.if_else,
    "loop_switch": lambda: LOOP_SWITCH,
    "measure_forms": lambda: MEASURE_FORMS,
    "dynamic": lambda: DYNAMIC,
}


def lower(data: str | bytes, name="t.ll"):
    return lower_bytes(data.encode() if isinstance(data, str) else data, name)


def same_program(a, b) -> None:
    assert [(n.id, n.op, n.vqs, dict(n.args), n.produces, n.guard) for n in a.nodes] == [
        (n.id, n.op, n.vqs, dict(n.args), n.produces, n.guard) for n in b.nodes
    ]
    assert a.resources == b.resources and a.outputs == b.outputs and a.caps == b.caps


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_round_trip_is_identical_and_parses_in_both_llvm_readers(name):
    q1 = lower(CORPUS[name]())
    text = to_ll(q1)
    mod = pyqir.Module.from_ir(pyqir.Context(), text)
    assert mod.verify() is None
    llvm.parse_assembly(text).verify()
    q2 = lower(text)
    same_program(q1, q2)
    q3 = lower(to_bitcode(q2), "t.bc")
    assert qvmjson.dumps(q3) == qvmjson.dumps(q2)
    assert qvmjson.dumps(lower(to_ll(q3))) == qvmjson.dumps(q3)


def test_profile_attribute_follows_guards():
    base = to_ll(lower(C.bell()))
    adaptive = to_ll(lower(C.if_else()))
    assert '"qir_profiles"="base_profile"' in base and "br i1" not in base
    assert '"qir_profiles"="adaptive_profile"' in adaptive
    for text in (base, adaptive):
        assert '"entry_point"' in text and '!"qir_major_version", i32 2' in text
        assert '"required_num_qubits"' in text and '"required_num_results"' in text


def test_labels_with_any_bytes_round_trip():
    q1 = lower(MEASURE_FORMS)
    assert q1.outputs[-1]["label"] == "\u2713"
    assert lower(to_ll(q1)).outputs == q1.outputs


def _unitary_of(prog, n):
    u = np.eye(2**n, dtype=complex)
    for node in prog.nodes:
        if node.op.startswith("APPLY_"):
            from qmk import ops

            idx = tuple(int(q[1:]) for q in node.vqs)
            u = embed(ops.matrix(node.op, dict(node.args)), idx, n) @ u
    return u


def test_ops_without_a_qis_gate_are_written_as_equivalents():
    nodes = [
        Node("a", "ALLOC_LQ", ("q0", "q1", "q2"), {"n": 3}),
        Node("u", "APPLY_U", ("q0",), {"theta": 0.3, "phi": -1.1, "lam": 2.2}),
        Node("c", "APPLY_CCZ", ("q0", "q1", "q2")),
        Node("i", "APPLY_I", ("q1",)),
        Node("f", "FREE_LQ", ("q0", "q1", "q2")),
    ]
    prog = make_program(nodes)
    back = lower(to_ll(prog))
    assert equal_up_to_phase(_unitary_of(back, 3), _unitary_of(prog, 3))


def test_cond_pauli_becomes_a_branch_on_the_xor_of_its_inputs():
    nodes = [
        Node("a", "ALLOC_LQ", ("q0", "q1", "q2"), {"n": 3}),
        Node("m0", "MEASURE_Z", ("q0",), produces=("r0",)),
        Node("m1", "MEASURE_Z", ("q1",), produces=("r1",)),
        Node("cp", "COND_PAULI", ("q2",), {"mask": "X"}, inputs=("r0", "r1")),
        Node("f", "FREE_LQ", ("q0", "q1", "q2")),
    ]
    back = lower(to_ll(make_program(nodes)))
    x = [n for n in back.nodes if n.op == "APPLY_X"]
    assert len(x) == 1 and x[0].vqs == ("q2",)
    from qmk.ir import eval_guard

    for a in (0, 1):
        for b in (0, 1):
            assert eval_guard(x[0].guard, {"r0": a, "r1": b}) == bool(a ^ b)


def test_channels_have_no_qir_form():
    nodes = [Node("a", "ALLOC_LQ", ("q0", "q1"), {"n": 2}), Node("o", "OPEN_CHAN", ("q0", "q1"), chs=("c0",))]
    with pytest.raises(InputError) as e:
        to_ll(make_program(nodes))
    assert e.value.diagnostics[0].code == "QMK730"


def test_overwritten_results_read_later_get_their_own_ids():
    nodes = [
        Node("a", "ALLOC_LQ", ("q0", "q1"), {"n": 2}),
        Node("m0", "MEASURE_Z", ("q0",), produces=("r0",)),
        Node("m1", "MEASURE_Z", ("q1",), produces=("r0.1",)),
        Node("x", "APPLY_X", ("q1",), guard={"event": "r0", "equals": 1}),
        Node("f", "FREE_LQ", ("q0", "q1")),
    ]
    back = lower(to_ll(make_program(nodes)))
    x = [n for n in back.nodes if n.op == "APPLY_X"][0]
    first = [n for n in back.nodes if n.op == "MEASURE_Z"][0]
    assert x.guard == {"event": first.produces[0], "equals": 1}

"""The compiled block walk (llvm_walk.py) is only an optimization: on every single-block program, from text
and from bitcode, it gives exactly the QVM of the pyqir walk, and it gives up (falls back) on anything it
does not understand."""

from __future__ import annotations

import pytest

from qmk import qvmjson
from qmk.frontends import llvm_walk, lower_bytes, qir_llvm

from . import qir_corpus as C
from .test_emit_qir import MEASURE_FORMS

SIGNED = C.module(
    f"  call void @__quantum__rt__int_record_output(i64 18446744073709551613, ptr null)\n"
    f"  call void @__quantum__qis__r__body(i2 3, double -2.5e-3, {C.q(1)})\n"
    f"  call void @__quantum__rt__bool_record_output(i1 true, ptr null)\n"
    f"  tail call void @__quantum__qis__rx__body(double 0x400921FB54442D18, {C.q(0)}) #1\n  ret i64 0",
    C.DECLS + "\ndeclare void @__quantum__qis__r__body(i2, double, ptr)",
    nq=2,
    nr=0,
)
TYPED = C.module(
    "  call void @__quantum__qis__h__body(%Qubit* null)\n"
    "  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), %Result* inttoptr (i64 1 to %Result*))\n"
    "  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*), "
    "i8* getelementptr inbounds ([4 x i8], [4 x i8]* @lbl, i64 0, i64 0))\n  ret i64 0",
    "declare void @__quantum__qis__h__body(%Qubit*)\ndeclare void @__quantum__qis__mz__body(%Qubit*, %Result*)\n"
    "declare void @__quantum__rt__result_record_output(%Result*, i8*)",
    typed=True,
    nq=2,
    nr=2,
    extra='@lbl = internal constant [4 x i8] c"a\\5C\\00\\00"\n',
)

PROGRAMS = {
    "bell": C.bell(),
    "all_gates": C.all_gates(),
    "signed": SIGNED,
    "typed": TYPED,
    "big": C.big(400, 7),
    "two_entries": C.two_entries(),
}


def _slow(monkeypatch, data, name="t.ll", **kw):
    with monkeypatch.context() as m:
        m.setattr(llvm_walk, "scan", lambda *a: None)  # also in the forked child that reads bitcode
        return lower_bytes(data, name, **kw)


def _bitcode(text: str) -> bytes:
    import llvmlite.binding as llvm

    return llvm.parse_assembly(text).as_bitcode()


@pytest.mark.parametrize("form", ["ll", "bc"])
@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_fast_path_equals_pyqir_walk(monkeypatch, name, form):
    text = PROGRAMS[name]
    data = text.encode() if form == "ll" else _bitcode(text)
    kw = {"entry": "second"} if name == "two_entries" else {}
    used = []
    real = qir_llvm._build
    monkeypatch.setattr(qir_llvm, "_build", lambda *a: used.append(True) or real(*a))
    fast = lower_bytes(data, f"t.{form}", **kw)
    assert used == [True], "the fast path should handle this program"
    slow = _slow(monkeypatch, data, f"t.{form}", **kw)
    assert qvmjson.dumps(fast) == qvmjson.dumps(slow)
    assert fast.outputs == slow.outputs
    assert fast.metadata == slow.metadata


def _scan(text: str):
    import llvmlite.binding as llvm

    mod = llvm.parse_assembly(text)
    return llvm_walk.scan(mod, mod.get_function("main"))


def test_fast_path_gives_up_on_value_returning_calls():
    assert _scan(MEASURE_FORMS) is None


def test_fast_path_gives_up_on_operands_it_does_not_read():
    # a measured value used as an operand (not a constant), and a call to a defined function
    text = C.module(
        "  %r = call i1 @__quantum__qis__read_result__body(ptr null)\n"
        "  call void @__quantum__rt__bool_record_output(i1 %r, ptr null)\n  ret i64 0",
        C.DECLS,
    )
    assert _scan(text) is None


def test_fast_path_gives_up_on_operand_bundles():
    # bundle operands sit between the arguments and the callee: they must not be read as arguments
    text = C.module(f'  call void @__quantum__qis__h__body({C.q(0)}) [ "tag"(i32 7) ]\n  ret i64 0', C.DECLS)
    assert _scan(text) is None


def test_fast_path_replays_repeated_calls_with_fresh_ids():
    body = "".join(f"  call void @__quantum__qis__h__body({C.q(k % 2)})\n" for k in range(6))
    prog = lower_bytes(C.module(body + "  ret i64 0", C.DECLS).encode(), "t.ll")
    gates = [n for n in prog.nodes if n.op == "APPLY_H"]
    assert [n.vqs for n in gates] == [("q0",), ("q1",)] * 3
    assert len({n.id for n in prog.nodes}) == len(prog.nodes)


def test_errors_are_the_same_on_both_paths(monkeypatch):
    from qmk.diagnostics import InputError

    text = C.module(f"  call void @__quantum__qis__cnot__body({C.q(1)}, {C.q(1)})\n  ret i64 0", C.DECLS)
    with pytest.raises(InputError) as fast:
        lower_bytes(text.encode(), "t.ll")
    with pytest.raises(InputError) as slow:
        _slow(monkeypatch, text.encode())
    assert str(fast.value.diagnostics[0]) == str(slow.value.diagnostics[0])


def test_bitcode_is_read_in_a_child_process_and_gives_the_same_qvm(monkeypatch):
    data = _bitcode(PROGRAMS["all_gates"])
    child = qir_llvm._bitcode_read(data, "t.bc", None, None, 100_000)
    assert child is not None, "the forked reader should handle this program"
    assert qvmjson.dumps(child) == qvmjson.dumps(_slow(monkeypatch, data, "t.bc"))


def test_a_child_that_dies_on_corrupt_bitcode_leaves_the_error_to_pyqir(monkeypatch):
    import os

    # the child reads nothing it can use and dies; the parent notices and returns None
    monkeypatch.setattr(qir_llvm, "_plan", lambda *a: os.abort())
    assert qir_llvm._bitcode_read(_bitcode(PROGRAMS["bell"]), "t.bc", None, None, 100_000) is None


def test_a_program_the_walk_does_not_read_is_settled_by_the_child(monkeypatch):
    # branches on a measurement: the child says so, and the parent does not try the walk again
    data = _bitcode(C.if_else())
    assert qir_llvm._bitcode_read(data, "t.bc", None, None, 100_000) == qir_llvm._NOT_SIMPLE
    calls = []
    monkeypatch.setattr(qir_llvm, "_fast", lambda *a: calls.append(a))
    assert any(n.guard for n in lower_bytes(data, "t.bc").nodes)
    assert calls == []

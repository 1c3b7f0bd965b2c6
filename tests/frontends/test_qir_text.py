"""Relaxed QIR text reader: hand-written forms, and the same QVM as the LLVM reader on real modules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qmk.passes.verify import verify

from qmk import qvmjson
from qmk.diagnostics import InputError
from qmk.frontends import lower_bytes, qir_text

from . import qir_corpus as C

ROOT = Path(__file__).resolve().parents[2]


def without_locs(prog) -> dict:
    """The QVM document minus source locations (the LLVM reader has none; everything else must match)."""
    doc = json.loads(qvmjson.dumps(prog))
    for node in doc["program"]["nodes"]:
        node.pop("loc", None)
    return doc


def no_errors(prog):
    errs = [d for d in verify(prog) if d.is_error]
    assert not errs, [str(d) for d in errs]


BASE_BODY = """entry:
  call void @__quantum__rt__initialize(ptr null)
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__cnot__body(ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__rx__body(double 0x3FB999999999999A, ptr inttoptr (i64 2 to ptr))
  call void @__quantum__qis__y__body(ptr inttoptr (i64 3 to ptr))
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 2 to ptr), ptr inttoptr (i64 2 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 3, ptr @lab0)
  call void @__quantum__rt__result_record_output(ptr null, ptr @lab1)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 2 to ptr), ptr null)
  ret i64 0"""
LABELS = '@lab0 = internal constant [4 x i8] c"0_t\\00"\n@lab1 = internal constant [6 x i8] c"1_t0r\\00"\n'
FLAGS = """!llvm.module.flags = !{!0, !1, !2, !3}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
"""
TYPED_BODY = """entry:
  call void @__quantum__qis__h__body(%Qubit* null)
  call void @__quantum__qis__cnot__body(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*))
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* writeonly null)
  call void @__quantum__qis__mz__body(%Qubit* inttoptr (i64 1 to %Qubit*), %Result* inttoptr (i64 1 to %Result*))
  call void @__quantum__rt__result_record_output(%Result* null, i8* getelementptr inbounds ([6 x i8], [6 x i8]* @lab1, i32 0, i32 0))
  ret i64 0"""
TYPED_DECLS = """declare void @__quantum__qis__h__body(%Qubit*)
declare void @__quantum__qis__cnot__body(%Qubit*, %Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result* writeonly) #1
declare void @__quantum__rt__result_record_output(%Result*, i8*)"""

BASE = '"entry_point" "qir_profiles"="base_profile" "output_labeling_schema"'
MODULES = {
    "pyqir_bell": C.bell,
    "pyqir_all_gates": C.all_gates,
    "pyqir_big": lambda: C.big(300),
    "handwritten_opaque": lambda: C.module(BASE_BODY, C.DECLS, attrs=BASE, extra=LABELS) + FLAGS,
    "handwritten_typed": lambda: C.module(TYPED_BODY, TYPED_DECLS, attrs=BASE, typed=True,
                                          extra='@lab1 = internal constant [6 x i8] c"1_t0r\\00"\n')
    + 'attributes #1 = { "irreversible" }\n',
    "pyqir_if_else_adaptive": C.if_else,
}


def checked_in_ll() -> list[Path]:
    return sorted(p for pat in ("examples/**/*.ll", "tests/**/*.ll") for p in ROOT.glob(pat))


@pytest.mark.parametrize("name", sorted(MODULES))
def test_relaxed_reader_and_llvm_reader_give_the_same_qvm(name):
    text = MODULES[name]()
    llvm = lower_bytes(text.encode(), f"{name}.ll", fmt="ll")
    relaxed = qir_text.read(text, f"{name}.ll")
    assert without_locs(relaxed) == without_locs(llvm)
    no_errors(relaxed)
    assert qvmjson.dumps(relaxed) == qvmjson.dumps(qir_text.read(text, f"{name}.ll", fast=False))


@pytest.mark.parametrize("path", checked_in_ll(), ids=lambda p: p.name)
def test_checked_in_ll_files_read_the_same_through_both_readers(path):
    """Every checked-in .ll the relaxed reader accepts gives the LLVM reader's QVM; base-profile ones
    must be accepted (the relaxed reader declines only what needs LLVM: phi, arithmetic, loops)."""
    text = path.read_text(encoding="utf-8")
    llvm = lower_bytes(text.encode(), path.name, fmt="ll")
    try:
        relaxed = qir_text.read(text, path.name)
    except InputError as e:
        if '"base_profile"' in text:
            raise
        assert e.diagnostics[0].code in ("QMK771", "QMK720"), str(e.diagnostics[0])
        pytest.skip(f"beyond relaxed text: {e.diagnostics[0].message}")
    assert without_locs(relaxed) == without_locs(llvm)
    assert qvmjson.dumps(relaxed) == qvmjson.dumps(qir_text.read(text, path.name, fast=False))


BARE = """; hand-written, no define
call void @__quantum__qis__h__body(%Qubit* null)
call void @__quantum__qis__cnot__body(%Qubit* null, %Qubit* inttoptr (i64 1 to %Qubit*))
%q = call %Qubit* @__quantum__rt__qubit_allocate()
call void @__quantum__qis__mz__body(%Qubit* null, %Result* writeonly null)
%b = call i1 @__quantum__rt__read_result(%Result* null)
br i1 %b, label %fix, label %done
fix:
  call void @__quantum__qis__x__body(%Qubit* %q)
done:
  call void @__quantum__qis__h__body(%Qubit* %q)
  call void @__quantum__rt__qubit_release(%Qubit* %q)
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
"""


def test_bare_instruction_lines_with_labels_branches_and_dynamic_qubits():
    prog = qir_text.read(BARE, "bare.qir")
    assert [(n.op, n.vqs, n.produces, n.guard) for n in prog.nodes] == [
        ("ALLOC_LQ", ("q0", "q1"), (), None),
        ("APPLY_H", ("q0",), (), None),
        ("APPLY_CNOT", ("q0", "q1"), (), None),
        ("ALLOC_LQ", ("q2",), (), None),
        ("MEASURE_Z", ("q0",), ("r0",), None),
        ("APPLY_X", ("q2",), (), {"event": "r0", "equals": 1}),
        ("APPLY_H", ("q2",), (), None),
        ("FREE_LQ", ("q2",), (), None),
        ("FREE_LQ", ("q0", "q1"), (), None),
    ]
    assert [(n.loc.line, n.loc.col) for n in prog.nodes[1:8]] == [(2, 1), (3, 1), (4, 1), (5, 1), (9, 3), (11, 3),
                                                                   (12, 3)]
    assert prog.outputs == [{"type": "RESULT", "event": "r0"}]
    assert prog.metadata == {"qir": {}}
    no_errors(prog)


def test_if_else_merges_back_to_unguarded_and_negated_bits_flip_the_guard():
    text = """call void @__quantum__qis__mz__body(ptr null, ptr null)
%b = call i1 @__quantum__qis__read_result__body(ptr null)
%nb = xor i1 %b, true
br i1 %nb, label %zero, label %one
zero:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %join
one:
  call void @__quantum__qis__z__body(ptr inttoptr (i64 1 to ptr))
  br label %join
join:
  call void @__quantum__qis__h__body(ptr inttoptr (i64 1 to ptr))
  ret void
"""
    prog = qir_text.read(text, "ifelse.qir")
    assert [(n.op, n.guard) for n in prog.nodes[2:5]] == [
        ("APPLY_X", {"event": "r0", "equals": 0}), ("APPLY_Z", {"event": "r0", "equals": 1}), ("APPLY_H", None)]
    no_errors(prog)


def test_constant_branches_take_one_side_and_unreachable_blocks_are_skipped():
    text = "br i1 true, label %a, label %b\na:\n call void @__quantum__qis__x__body(ptr null)\n ret void\n" \
           "b:\n call void @__quantum__qis__z__body(ptr null)\n ret void\n"
    assert [n.op for n in qir_text.read(text, "c.qir").nodes] == ["ALLOC_LQ", "APPLY_X", "FREE_LQ"]


def test_typed_and_opaque_pointers_and_legacy_m_give_the_same_program():
    typed = "%r = call %Result* @__quantum__qis__m__body(%Qubit* inttoptr (i64 1 to %Qubit*))\n" \
            "call void @__quantum__rt__result_record_output(%Result* %r, i8* null)\n"
    opaque = "%r = call ptr @__quantum__qis__m__body(ptr inttoptr (i64 1 to ptr))\n" \
             "call void @__quantum__rt__result_record_output(ptr %r, ptr null)\n"
    a, b = qir_text.read(typed, "t.qir"), qir_text.read(opaque, "t.qir")
    assert without_locs(a) == without_locs(b)
    assert a.outputs == [{"type": "RESULT", "event": "r0"}]


def test_entry_point_chosen_by_attribute_or_name():
    prog = qir_text.read(C.two_entries(), "two.ll", entry="second")
    assert [n.op for n in prog.nodes] == ["ALLOC_LQ", "APPLY_X", "FREE_LQ"]
    assert prog.metadata["qir"]["entry"] == "second"


def test_relaxed_text_is_reachable_through_lower_bytes():
    prog = lower_bytes(BARE.encode(), "bare.qir", fmt="qir")
    assert without_locs(prog) == without_locs(qir_text.read(BARE, "bare.qir"))


def test_fast_line_path_and_lark_agree_including_locations():
    for text in (BARE, MODULES["handwritten_typed"](), MODULES["pyqir_if_else_adaptive"]()):
        assert qvmjson.dumps(qir_text.read(text, "x.ll")) == qvmjson.dumps(qir_text.read(text, "x.ll", fast=False))


def test_windows_line_endings_read_the_same():
    a, b = qir_text.read(BARE, "crlf.qir"), qir_text.read(BARE.replace("\n", "\r\n"), "crlf.qir")
    assert qvmjson.dumps(a) == qvmjson.dumps(b)


def test_output_is_deterministic():
    assert qvmjson.dumps(qir_text.read(BARE, "d.qir")) == qvmjson.dumps(qir_text.read(BARE, "d.qir"))


def test_random_base_profile_modules_read_the_same_through_both_readers():
    import random

    rng = random.Random(5)
    one = ("h", "x", "y", "z")
    for _ in range(25):
        nq = rng.randrange(1, 5)
        lines = ["entry:", "  call void @__quantum__rt__initialize(ptr null)"]
        for _ in range(rng.randrange(1, 25)):
            kind = rng.random()
            a = rng.randrange(nq)
            if kind < 0.4:
                lines.append(f"  call void @__quantum__qis__{rng.choice(one)}__body({C.q(a)})")
            elif kind < 0.6 and nq > 1:
                b = rng.choice([k for k in range(nq) if k != a])
                lines.append(f"  call void @__quantum__qis__cnot__body({C.q(a)}, {C.q(b)})")
            else:
                lines.append(f"  call void @__quantum__qis__rx__body(double {rng.uniform(-4, 4)!r}, {C.q(a)})")
        for k in range(nq):
            lines.append(f"  call void @__quantum__qis__mz__body({C.q(k)}, {C.q(k)})")
        lines.append(f"  call void @__quantum__rt__tuple_record_output(i64 {nq}, ptr null)")
        lines += [f"  call void @__quantum__rt__result_record_output({C.q(k)}, ptr null)" for k in range(nq)]
        lines.append("  ret i64 0")
        text = C.module("\n".join(lines), C.DECLS, attrs=BASE, nq=nq, nr=nq)
        llvm = lower_bytes(text.encode(), "r.ll", fmt="ll")
        assert without_locs(qir_text.read(text, "r.ll")) == without_locs(llvm)

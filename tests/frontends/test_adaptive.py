"""Adaptive QIR: LLVM flattens classical control; branches on measurements become guards.

The guards are checked semantically: for every assignment of the measured events, the gates whose
guard holds must be exactly the gates the QIR program executes on that path (written out here).
"""

from __future__ import annotations

import itertools

import pytest
from qmk.passes.verify import verify

from qmk.diagnostics import InputError
from qmk.frontends import NotStaticError, lower_bytes
from qmk.ir import eval_guard

from . import qir_corpus as C


def lower(text: str):
    prog = lower_bytes(text.encode(), "t.ll")
    assert not [d for d in verify(prog) if d.is_error]
    return prog


def executed(prog, events: dict) -> list[tuple[str, tuple]]:
    """The unitary gates that run when the measured events take the given values."""
    return [(n.op, n.vqs) for n in prog.nodes if n.op.startswith("APPLY_") and eval_guard(n.guard, events)]


def paths(prog):
    evs = list(prog.resources.events)
    for bits in itertools.product((0, 1), repeat=len(evs)):
        yield dict(zip(evs, bits))


def test_pyqir_if_result_nested_branches():
    prog = lower(C.if_else())
    for ev in paths(prog):
        want = [("APPLY_H", ("q0",))]
        want.append(("APPLY_X", ("q1",)) if ev["r0"] else ("APPLY_Z", ("q1",)))
        if ev["r0"] and ev["r1"]:
            want.append(("APPLY_H", ("q2",)))
        assert sorted(executed(prog, ev)) == sorted(want), ev
    # the final measurement after the merge is unguarded
    m2 = [n for n in prog.nodes if n.op == "MEASURE_Z" and n.vqs == ("q2",)][0]
    assert m2.guard is None


LOOP_SWITCH = C.module(
    """
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %n, %loop ]
  %q = inttoptr i64 %i to ptr
  call void @rot(ptr %q, i64 %i)
  %n = add i64 %i, 1
  %c = icmp slt i64 %n, 3
  br i1 %c, label %loop, label %done
done:
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %a = call i1 @__quantum__rt__read_result(ptr null)
  %b = call i1 @__quantum__qis__read_result__body(ptr inttoptr (i64 1 to ptr))
  %ka = zext i1 %a to i64
  %kb = zext i1 %b to i64
  %k2 = shl i64 %kb, 1
  %s = or i64 %ka, %k2
  switch i64 %s, label %three [ i64 0, label %zero
                                i64 1, label %one
                                i64 2, label %two ]
zero:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 2 to ptr))
  br label %join
one:
  call void @__quantum__qis__y__body(ptr inttoptr (i64 2 to ptr))
  br label %join
two:
  call void @__quantum__qis__z__body(ptr inttoptr (i64 2 to ptr))
  br label %join
three:
  br label %join
join:
  %p = phi i1 [ true, %zero ], [ false, %one ], [ false, %two ], [ true, %three ]
  %sel = select i1 %a, i64 7, i64 9
  %big = icmp ugt i64 %sel, 8
  br i1 %big, label %h, label %end
h:
  call void @__quantum__qis__h__body(ptr inttoptr (i64 3 to ptr))
  br label %end
end:
  call void @__quantum__rt__bool_record_output(i1 %b, ptr null)
  ret i64 0
}

define internal void @rot(ptr %q, i64 %i) {
  %f = sitofp i64 %i to double
  %a = fmul double %f, 5.000000e-01
  call void @__quantum__qis__rx__body(double %a, ptr %q)
  ret void""".strip("\n"),
    C.DECLS,
)


def test_inlining_unrolling_switch_phi_select():
    prog = lower(LOOP_SWITCH)
    rx = [(n.vqs, n.args["theta"], n.guard) for n in prog.nodes if n.op == "APPLY_RX"]
    assert rx == [(("q0",), 0.0, None), (("q1",), 0.5, None), (("q2",), 1.0, None)]
    for ev in paths(prog):
        s = ev["r0"] | (ev["r1"] << 1)
        want = [("APPLY_RX", (f"q{i}",)) for i in range(3)]
        want += {0: [("APPLY_X", ("q2",))], 1: [("APPLY_Y", ("q2",))], 2: [("APPLY_Z", ("q2",))], 3: []}[s]
        if not ev["r0"]:  # select gives 9 > 8
            want.append(("APPLY_H", ("q3",)))
        assert sorted(executed(prog, ev)) == sorted(want), ev
    assert prog.outputs == [{"type": "BOOL", "event": "r1", "invert": False}]


def test_branches_that_rejoin_leave_later_code_unguarded():
    text = C.module(
        """
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %a = call i1 @__quantum__rt__read_result(ptr null)
  br i1 %a, label %t, label %f
t:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 1 to ptr))
  br label %j
f:
  br label %j
j:
  call void @__quantum__qis__h__body(ptr inttoptr (i64 1 to ptr))
  ret i64 0""",
        C.DECLS,
    )
    prog = lower(text)
    assert [(n.op, n.guard) for n in prog.nodes if n.op.startswith("APPLY")] == [
        ("APPLY_X", {"event": "r0", "equals": 1}),
        ("APPLY_H", None),
    ]


def test_condition_combining_two_results():
    text = C.module(
        """
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__mz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  %a = call i1 @__quantum__rt__read_result(ptr null)
  %b = call i1 @__quantum__rt__read_result(ptr inttoptr (i64 1 to ptr))
  %c = and i1 %a, %b
  %d = xor i1 %a, %b
  br i1 %c, label %t, label %n
t:
  call void @__quantum__qis__x__body(ptr inttoptr (i64 2 to ptr))
  br label %n
n:
  br i1 %d, label %t2, label %e
t2:
  call void @__quantum__qis__z__body(ptr inttoptr (i64 2 to ptr))
  br label %e
e:
  ret i64 0""",
        C.DECLS,
    )
    prog = lower(text)
    for ev in paths(prog):
        want = []
        if ev["r0"] and ev["r1"]:
            want.append(("APPLY_X", ("q2",)))
        if ev["r0"] ^ ev["r1"]:
            want.append(("APPLY_Z", ("q2",)))
        assert executed(prog, ev) == want, ev


def refuse(text: str, cls=InputError):
    with pytest.raises(cls) as e:
        lower_bytes(text.encode(), "t.ll")
    return e.value.diagnostics[0]


def test_loop_exiting_on_a_measurement_is_not_static():
    d = refuse(
        C.module(
            """
  br label %loop
loop:
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__rt__read_result(ptr null)
  br i1 %r, label %loop, label %done
done:
  ret i64 0""",
            C.DECLS,
        ),
        NotStaticError,
    )
    assert d.code == "QMK720" and "%loop" in d.message and any("qmk-run" in n for n in d.notes)


def test_infinite_classical_loop_is_reported_not_hung():
    d = refuse(
        C.module(
            """
  call void @__quantum__qis__h__body(ptr null)
  br label %loop
loop:
  br label %loop""",
            C.DECLS,
        )
    )
    assert d.code == "QMK721" and "loop" in d.message


def test_measured_value_feeding_a_gate_angle_is_not_static():
    d = refuse(
        C.module(
            """
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__rt__read_result(ptr null)
  %k = uitofp i1 %r to double
  call void @__quantum__qis__rx__body(double %k, ptr null)
  ret i64 0""",
            C.DECLS,
        ),
        NotStaticError,
    )
    assert d.code == "QMK720" and "rx" in d.message


def test_integer_output_computed_from_measurements_is_not_static():
    d = refuse(
        C.module(
            """
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  %r = call i1 @__quantum__rt__read_result(ptr null)
  %k = zext i1 %r to i64
  %s = add i64 %k, 5
  call void @__quantum__rt__int_record_output(i64 %s, ptr null)
  ret i64 0""",
            C.DECLS,
        ),
        NotStaticError,
    )
    assert d.code == "QMK720" and "int_record_output" in d.message

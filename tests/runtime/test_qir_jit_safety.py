"""Hostile QIR must not hang or crash the caller: every limit of the JIT is exercised here."""

from __future__ import annotations

import os
import threading
import time

import pytest
from qmk.runtime.errors import RunCancelled
from qmk.runtime.qir_jit import run_qir
from qmk.runtime.qir_worker import QirRunError
from test_qir_jit_progs import RUS_COIN, module, q

CLASSICAL_LOOP = module("""
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %i1 = add i64 %i, 1
  br label %loop
""")


def test_pure_classical_infinite_loop_hits_the_step_budget():
    t = time.monotonic()
    with pytest.raises(QirRunError, match="step budget of 100000 steps") as e:
        run_qir(CLASSICAL_LOOP, shots=5, max_steps=100_000)
    assert e.value.shot == 0 and e.value.exit_code == 3
    assert time.monotonic() - t < 30


def test_irreducible_cycle_between_two_blocks_is_bounded_too():
    # a cycle entered at either block (irreducible control flow): still one backward edge per turn
    text = module("""
entry:
  %c = icmp eq i64 0, 0
  br i1 %c, label %a, label %b
a:
  br label %b
b:
  br label %a
""")
    with pytest.raises(QirRunError, match="step budget"):
        run_qir(text, shots=1, max_steps=10_000)


def test_quantum_loop_hits_the_step_budget_and_steps_are_counted_exactly():
    # entry (1 step) + 3 calls -> 4 steps per shot: a budget of 4 passes, 3 fails
    text = module(f"""
entry:
  call void @__quantum__qis__x__body({q(0)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__rt__result_record_output({q(0)}, ptr null)
  ret i64 0
""", nq=1, nr=1)
    r = run_qir(text, shots=3, max_steps=4)
    assert r.counts == {"1": 3} and r.telemetry["steps"] == 12
    with pytest.raises(QirRunError, match="step budget of 3 steps"):
        run_qir(text, shots=1, max_steps=3)


def test_wall_time_limit_kills_a_slow_program():
    t = time.monotonic()
    with pytest.raises(QirRunError, match="wall-time limit of 0.5 s"):
        run_qir(CLASSICAL_LOOP, shots=1, max_steps=10**15, timeout=0.5)
    assert time.monotonic() - t < 20


def test_cancel_stops_the_worker():
    ev = threading.Event()
    threading.Timer(0.3, ev.set).start()
    with pytest.raises(RunCancelled):
        run_qir(CLASSICAL_LOOP, shots=1, max_steps=10**15, cancel=ev)


def test_unbounded_recursion_hits_the_depth_limit():
    text = module("""
entry:
  call void @rec(i64 0)
  ret i64 0
""", extra="""define void @rec(i64 %d) {
  %d1 = add i64 %d, 1
  call void @rec(i64 %d1)
  ret void
}""")
    with pytest.raises(QirRunError, match="call-depth limit of 50"):
        run_qir(text, shots=1, max_depth=50)


def test_bounded_recursion_within_the_limit_runs():
    text = module(f"""
entry:
  call void @rec(i64 10)
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__rt__result_record_output({q(0)}, ptr null)
  ret i64 0
""", extra=f"""define void @rec(i64 %d) {{
entry:
  %z = icmp eq i64 %d, 0
  br i1 %z, label %done, label %more
more:
  call void @__quantum__qis__x__body({q(0)})
  %d1 = sub i64 %d, 1
  call void @rec(i64 %d1)
  ret void
done:
  ret void
}}""", nq=1, nr=1)
    assert run_qir(text, shots=2, max_depth=12).counts == {"0": 2}  # ten X gates
    with pytest.raises(QirRunError, match="call-depth limit"):
        run_qir(text, shots=1, max_depth=10)


@pytest.mark.parametrize("qubit,msg", [(5, r"qubit id 5 is out of range \(required_num_qubits = 2\)")])
def test_qubit_id_beyond_required_num_qubits(qubit, msg):
    text = module(f"entry:\n  call void @__quantum__qis__h__body({q(qubit)})\n  ret i64 0")
    with pytest.raises(QirRunError, match=msg):
        run_qir(text, shots=1)


def test_qubit_id_beyond_max_qubits_without_declared_count():
    text = module(f"entry:\n  call void @__quantum__qis__h__body({q(1 << 40)})\n  ret i64 0", nq=None)
    with pytest.raises(QirRunError, match="out of range \\(max_qubits = 24\\)"):
        run_qir(text, shots=1)


def test_result_id_beyond_required_num_results():
    text = module(f"entry:\n  call void @__quantum__qis__mz__body({q(0)}, {q(7)})\n  ret i64 0")
    with pytest.raises(QirRunError, match=r"result id 7 is out of range \(required_num_results = 2\)"):
        run_qir(text, shots=1)


def test_reading_an_out_of_range_result_is_refused():
    text = module(f"entry:\n  %b = call i1 @__quantum__rt__read_result({q(100)})\n  ret i64 0")
    with pytest.raises(QirRunError, match="result id 100 is out of range"):
        run_qir(text, shots=1)


def test_too_many_live_dynamic_qubits():
    text = module("""
entry:
  br label %loop
loop:
  %qb = call ptr @__quantum__rt__qubit_allocate(ptr null)
  br label %loop
""", nq=None)
    with pytest.raises(QirRunError, match="more than max_qubits = 10 qubits live"):
        run_qir(text, shots=1, max_qubits=10)


def test_qubit_used_after_release():
    text = module("""
entry:
  %qb = call ptr @__quantum__rt__qubit_allocate(ptr null)
  call void @__quantum__rt__qubit_release(ptr %qb)
  call void @__quantum__qis__h__body(ptr %qb)
  ret i64 0
""", nq=None)
    with pytest.raises(QirRunError, match="not allocated \\(used after release\\?\\)"):
        run_qir(text, shots=1)


def test_same_qubit_twice_in_a_gate():
    text = module(f"entry:\n  call void @__quantum__qis__cnot__body({q(1)}, {q(1)})\n  ret i64 0")
    with pytest.raises(QirRunError, match="the same qubit is passed twice"):
        run_qir(text, shots=1)


def test_nan_angle_computed_at_run_time_is_refused():
    text = module(f"""
entry:
  %z = fsub double 1.0, 1.0
  %nan = fdiv double %z, %z
  call void @__quantum__qis__rx__body(double %nan, {q(0)})
  ret i64 0
""")
    with pytest.raises(QirRunError, match="rotation angle is nan"):
        run_qir(text, shots=1)


def test_infinite_angle_is_refused():
    inf = "0x7FF0000000000000"
    text = module(f"entry:\n  call void @__quantum__qis__rz__body(double {inf}, {q(0)})\n  ret i64 0")
    with pytest.raises(QirRunError, match="rotation angle is inf"):
        run_qir(text, shots=1)


@pytest.mark.parametrize("op,a,b,msg", [
    ("sdiv", "7", "%zero", "integer division by zero"),
    ("urem", "7", "%zero", "integer division by zero"),
    ("udiv", "7", "%zero", "integer division by zero"),
    ("srem", "-9223372036854775808", "%m1", r"signed integer division overflow"),
])
def test_integer_division_faults_are_caught(op, a, b, msg):
    # the divisor comes from a measurement, so LLVM cannot fold it away
    text = module(f"""
entry:
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  %r = call i1 @__quantum__rt__read_result({q(0)})
  %zero = zext i1 %r to i64
  %m1 = sub i64 %zero, 1
  %v = {op} i64 {a}, {b}
  call void @__quantum__rt__int_record_output(i64 %v, ptr null)
  ret i64 0
""")
    with pytest.raises(QirRunError, match=msg):
        run_qir(text, shots=1)


def test_division_by_a_nonzero_value_is_fine():
    text = module("""
entry:
  %v = sdiv i64 -7, 2
  %w = urem i64 7, 4
  call void @__quantum__rt__int_record_output(i64 %v, ptr null)
  call void @__quantum__rt__int_record_output(i64 %w, ptr null)
  ret i64 0
""")
    assert run_qir(text, shots=1).counts == {"-3 3": 1}


def test_wild_store_crashes_only_the_worker():
    text = module("""
entry:
  store i64 1, ptr inttoptr (i64 16 to ptr)
  ret i64 0
""")
    with pytest.raises(QirRunError, match="crashed the JIT worker \\(signal SIGSEGV\\)"):
        run_qir(text, shots=1)
    # the calling process is intact and runs the next program
    assert sum(run_qir(RUS_COIN, shots=20, seed=1).counts.values()) == 20


def test_stack_exhaustion_by_alloca_in_a_loop_is_contained():
    text = module("""
entry:
  br label %loop
loop:
  %p = alloca [4096 x i64]
  store i64 1, ptr %p
  br label %loop
""")
    with pytest.raises(QirRunError, match="crashed the JIT worker|step budget"):
        run_qir(text, shots=1, max_steps=10**9, timeout=60)


def test_fail_ends_the_run_with_its_message():
    text = module("entry:\n  call void @__quantum__rt__fail(ptr @L.boom)\n  ret i64 0")
    with pytest.raises(QirRunError, match="__quantum__rt__fail: 'boom'"):
        run_qir(text, shots=1)


def test_llvm_trap_is_contained():
    text = module("entry:\n  call void @llvm.trap()\n  ret i64 0", extra="declare void @llvm.trap()")
    with pytest.raises(QirRunError, match="crashed the JIT worker \\(signal SIG(ILL|TRAP)\\)"):
        run_qir(text, shots=1)


def test_reserved_instrumentation_names_are_refused():
    from qmk.diagnostics import InputError

    text = module("entry:\n  ret i64 0", extra="@__qmk.steps = global i64 0")
    with pytest.raises(InputError, match="reserved"):
        run_qir(text, shots=1)


def test_no_worker_processes_are_left_behind():
    before = _children()
    with pytest.raises(QirRunError):
        run_qir(CLASSICAL_LOOP, shots=1, max_steps=10**15, timeout=0.3)
    run_qir(RUS_COIN, shots=5, seed=1)
    assert _children() <= before


def _children() -> set[int]:
    me = os.getpid()
    kids = set()
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == me:
                        kids.add(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return kids


def test_max_memory_stops_a_state_that_would_not_fit():
    n = 10
    gates = "".join(f"  call void @__quantum__qis__h__body({q(i)})\n" for i in range(n))
    body = "entry:\n" + gates + "  ret i64 0"
    with pytest.raises(QirRunError, match="over the limit"):
        run_qir(module(body, nq=n), shots=1, max_memory=4096)


def test_cpu_time_backstop_catches_a_program_that_resets_its_step_counter():
    # a program that defeats the step counter (say, a wild store into it) meets the worker's CPU-time
    # limit; here a budget out of reach stands in for the corrupted counter, with a 1 s CPU limit
    from qmk.runtime.qir_abi import accepts
    from qmk.runtime.qir_exec import execute
    from qmk.runtime.qir_module import load
    from qmk.runtime.qir_worker import run_forked

    qm = load(CLASSICAL_LOOP, signatures=accepts)
    opts = {"shots": 1, "seed": 1, "max_steps": 10**18, "max_qubits": 4, "max_results": 4, "max_depth": 10,
            "precision": "complex128", "keep_shots": False, "engine": "small", "max_memory": None}
    with pytest.raises(QirRunError, match="CPU-time limit of 1 s"):
        run_forked(lambda fd, p: execute(qm, opts, fd, p), timeout=None, cpu_limit=1, what="loop")


def test_vector_integer_division_is_refused_by_name():
    from qmk.diagnostics import InputError

    text = module("""
entry:
  %v = sdiv <2 x i64> <i64 4, i64 6>, <i64 2, i64 3>
  ret i64 0
""")
    with pytest.raises(InputError, match="integer division on scalars only, not: %v = sdiv <2 x i64>"):
        run_qir(text, shots=1)


def test_a_foreign_target_triple_is_compiled_for_this_host():
    text = b'target triple = "aarch64-unknown-linux-gnu"\n' + module(f"""
entry:
  call void @__quantum__qis__x__body({q(0)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__rt__result_record_output({q(0)}, ptr null)
  ret i64 0
""")
    assert run_qir(text, shots=2).counts == {"1": 2}

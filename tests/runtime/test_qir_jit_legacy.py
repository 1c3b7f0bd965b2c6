"""Legacy full QIR as Q#'s older code generation wrote it: typed pointers, qubit arrays, control arrays
with ``__ctl``/``__ctladj``, rotations whose angle and target travel in a tuple."""

from __future__ import annotations

import pytest
from qmk.runtime.qir_jit import run_qir
from qmk.runtime.qir_worker import QirRunError

HEAD = """
%Qubit = type opaque
%Result = type opaque
%Array = type opaque
%Tuple = type opaque
"""

DECLS = """
declare %Array* @__quantum__rt__qubit_allocate_array(i64)
declare void @__quantum__rt__qubit_release_array(%Array*)
declare %Array* @__quantum__rt__array_create_1d(i32, i64)
declare i8* @__quantum__rt__array_get_element_ptr_1d(%Array*, i64)
declare i64 @__quantum__rt__array_get_size_1d(%Array*)
declare void @__quantum__rt__array_update_reference_count(%Array*, i32)
declare %Tuple* @__quantum__rt__tuple_create(i64)
declare void @__quantum__rt__tuple_update_reference_count(%Tuple*, i32)
declare void @__quantum__qis__x__body(%Qubit*)
declare void @__quantum__qis__h__body(%Qubit*)
declare void @__quantum__qis__x__ctl(%Array*, %Qubit*)
declare void @__quantum__qis__z__ctl(%Array*, %Qubit*)
declare void @__quantum__qis__t__ctladj(%Array*, %Qubit*)
declare void @__quantum__qis__rx__ctl(%Array*, { double, %Qubit* }*)
declare %Result* @__quantum__qis__m__body(%Qubit*)
declare void @__quantum__rt__result_record_output(%Result*)
declare void @__quantum__rt__int_record_output(i64)
attributes #0 = { "entry_point" }
"""


def qubit(arr: str, i: int, name: str) -> str:
    return (f"  %{name}.p = call i8* @__quantum__rt__array_get_element_ptr_1d(%Array* {arr}, i64 {i})\n"
            f"  %{name}.pp = bitcast i8* %{name}.p to %Qubit**\n"
            f"  %{name} = load %Qubit*, %Qubit** %{name}.pp\n")


def controls(name: str, qubits: list[str]) -> str:
    out = f"  %{name} = call %Array* @__quantum__rt__array_create_1d(i32 8, i64 {len(qubits)})\n"
    for i, q in enumerate(qubits):
        get = "@__quantum__rt__array_get_element_ptr_1d"
        out += (f"  %{name}.{i} = call i8* {get}(%Array* %{name}, i64 {i})\n"
                f"  %{name}.{i}q = bitcast i8* %{name}.{i} to %Qubit**\n"
                f"  store %Qubit* {q}, %Qubit** %{name}.{i}q\n")
    return out


def rotation_tuple(name: str, theta: float, q: str) -> str:
    t = "{ double, %Qubit* }"
    return (f"  %{name}.t = call %Tuple* @__quantum__rt__tuple_create(i64 16)\n"
            f"  %{name} = bitcast %Tuple* %{name}.t to {t}*\n"
            f"  %{name}.a = getelementptr {t}, {t}* %{name}, i32 0, i32 0\n"
            f"  store double {theta!r}, double* %{name}.a\n"
            f"  %{name}.b = getelementptr {t}, {t}* %{name}, i32 0, i32 1\n"
            f"  store %Qubit* {q}, %Qubit** %{name}.b\n")


def program(body: str) -> bytes:
    return (HEAD + "define void @main() #0 {\nentry:\n" + body + "  ret void\n}\n" + DECLS).encode()


def measure_all(qs: list[str]) -> str:
    out = ""
    for i, q in enumerate(qs):
        out += (f"  %m{i} = call %Result* @__quantum__qis__m__body(%Qubit* {q})\n"
                f"  call void @__quantum__rt__result_record_output(%Result* %m{i})\n")
    return out


def test_toffoli_by_control_array_and_controlled_rotation_from_a_tuple():
    body = ("  %qs = call %Array* @__quantum__rt__qubit_allocate_array(i64 3)\n"
            + qubit("%qs", 0, "q0") + qubit("%qs", 1, "q1") + qubit("%qs", 2, "q2")
            + "  %n = call i64 @__quantum__rt__array_get_size_1d(%Array* %qs)\n"
            + "  call void @__quantum__rt__int_record_output(i64 %n)\n"
            + "  call void @__quantum__qis__x__body(%Qubit* %q0)\n"
            + "  call void @__quantum__qis__x__body(%Qubit* %q1)\n"
            + controls("c2", ["%q0", "%q1"])
            + "  call void @__quantum__qis__x__ctl(%Array* %c2, %Qubit* %q2)\n"  # q2 -> 1
            + controls("c1", ["%q0"])
            + rotation_tuple("rt", 3.141592653589793, "%q1")
            + "  call void @__quantum__qis__rx__ctl(%Array* %c1, { double, %Qubit* }* %rt)\n"  # q1 -> 0
            + "  call void @__quantum__rt__array_update_reference_count(%Array* %c1, i32 -1)\n"
            + measure_all(["%q0", "%q1", "%q2"])
            + "  call void @__quantum__rt__qubit_release_array(%Array* %qs)\n")
    r = run_qir(program(body), shots=20, seed=1)
    assert r.counts == {"3 101": 20}


@pytest.mark.parametrize("gate,repeat", [("z__ctl", 1), ("t__ctladj", 4)])
def test_controlled_phase_kicks_back_onto_the_control(gate, repeat):
    # control |+>, target |1>: controlled-Z (or T-dagger four times) turns the control into |->
    body = ("  %qs = call %Array* @__quantum__rt__qubit_allocate_array(i64 2)\n"
            + qubit("%qs", 0, "c") + qubit("%qs", 1, "t")
            + "  call void @__quantum__qis__h__body(%Qubit* %c)\n"
            + "  call void @__quantum__qis__x__body(%Qubit* %t)\n"
            + controls("cs", ["%c"])
            + f"  call void @__quantum__qis__{gate}(%Array* %cs, %Qubit* %t)\n" * repeat
            + "  call void @__quantum__qis__h__body(%Qubit* %c)\n"
            + measure_all(["%c"]))
    assert run_qir(program(body), shots=20, seed=2).counts == {"1": 20}


def test_controlled_rx_two_pi_keeps_its_global_phase_as_a_relative_phase():
    # rx(2 pi) = -I: under control it is a Z on the control, so H |+> ... gives 1 every time
    body = ("  %qs = call %Array* @__quantum__rt__qubit_allocate_array(i64 2)\n"
            + qubit("%qs", 0, "c") + qubit("%qs", 1, "t")
            + "  call void @__quantum__qis__h__body(%Qubit* %c)\n"
            + controls("cs", ["%c"])
            + rotation_tuple("rt", 6.283185307179586, "%t")
            + "  call void @__quantum__qis__rx__ctl(%Array* %cs, { double, %Qubit* }* %rt)\n"
            + "  call void @__quantum__qis__h__body(%Qubit* %c)\n"
            + measure_all(["%c", "%t"]))
    assert run_qir(program(body), shots=20, seed=3).counts == {"10": 20}


def test_many_controls_move_the_run_to_the_numpy_engine():
    body = ("  %qs = call %Array* @__quantum__rt__qubit_allocate_array(i64 4)\n"
            + "".join(qubit("%qs", i, f"q{i}") for i in range(4))
            + "".join(f"  call void @__quantum__qis__x__body(%Qubit* %q{i})\n" for i in range(3))
            + controls("cs", ["%q0", "%q1", "%q2"])
            + "  call void @__quantum__qis__x__ctl(%Array* %cs, %Qubit* %q3)\n"
            + measure_all([f"%q{i}" for i in range(4)]))
    r = run_qir(program(body), shots=10, seed=4)
    assert r.counts == {"1111": 10} and r.telemetry["jit_engine"] == "statevector"


def test_array_index_out_of_range_is_refused():
    body = ("  %qs = call %Array* @__quantum__rt__qubit_allocate_array(i64 2)\n" + qubit("%qs", 5, "q"))
    with pytest.raises(QirRunError, match="array index 5 out of range \\(size 2\\)"):
        run_qir(program(body), shots=1)


def test_a_pointer_that_is_not_an_array_is_refused():
    body = "  %n = call i64 @__quantum__rt__array_get_size_1d(%Array* inttoptr (i64 4096 to %Array*))\n"
    with pytest.raises(QirRunError, match="is not an array made by this shot"):
        run_qir(program(body), shots=1)

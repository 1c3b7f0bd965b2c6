"""Regenerate the QIR examples in this folder (run by `make -C examples regen-qir`; never hand-edit them).

Programs built with pyqir's builder are written as LLVM text (.ll) and bitcode (.bc); a few forms that
pyqir cannot write (typed pointers, loops, internal functions, dynamic qubits) are LLVM text templates.
The output is deterministic, so regenerating changes nothing unless this script changes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pyqir
import pyqir.qis as qis
import pyqir.rt as rt

HERE = Path(__file__).resolve().parent


def _i64(m, v):
    return pyqir.const(pyqir.IntType(m.context, 64), v)


def bell() -> str:
    m = pyqir.SimpleModule("bell", 2, 2)
    b = m.builder
    qis.h(b, m.qubits[0])
    qis.cx(b, m.qubits[0], m.qubits[1])
    qis.mz(b, m.qubits[0], m.results[0])
    qis.mz(b, m.qubits[1], m.results[1])
    rt.array_record_output(b, _i64(m, 2), m.add_byte_string(b"0_a"))
    rt.result_record_output(b, m.results[0], m.add_byte_string(b"1_a0r"))
    rt.result_record_output(b, m.results[1], m.add_byte_string(b"2_a1r"))
    return m.ir()


def ghz(n: int = 5) -> str:
    m = pyqir.SimpleModule(f"ghz{n}", n, n)
    b = m.builder
    qis.h(b, m.qubits[0])
    for i in range(n - 1):
        qis.cx(b, m.qubits[i], m.qubits[i + 1])
    for i in range(n):
        qis.mz(b, m.qubits[i], m.results[i])
    rt.array_record_output(b, _i64(m, n), m.add_byte_string(b"0_a"))
    for i in range(n):
        rt.result_record_output(b, m.results[i], m.add_byte_string(f"{i + 1}_a{i}r".encode()))
    return m.ir()


def teleport() -> str:
    """Teleport q0's state (RY(0.7)|0>) to q2 with measurement feedback (adaptive profile)."""
    m = pyqir.SimpleModule("teleport", 3, 3)
    b = m.builder
    q0, q1, q2 = m.qubits
    qis.ry(b, 0.7, q0)
    qis.h(b, q1)
    qis.cx(b, q1, q2)
    qis.cx(b, q0, q1)
    qis.h(b, q0)
    qis.mz(b, q0, m.results[0])
    qis.mz(b, q1, m.results[1])
    qis.if_result(b, m.results[1], one=lambda: qis.x(b, q2))
    qis.if_result(b, m.results[0], one=lambda: qis.z(b, q2))
    qis.ry(b, -0.7, q2)  # undo the preparation: q2 must now read 0
    qis.mz(b, q2, m.results[2])
    rt.result_record_output(b, m.results[2], m.add_byte_string(b"0_r"))
    return m.ir()


# A classical loop and an internal function, as qdk's adaptive profile emits them: LLVM unrolls and
# inlines them, so the QVM is a plain QFT-like ladder.
LOOP = """; rotations in a loop through an internal function (flattened by LLVM)
%Qubit = type opaque
%Result = type opaque

define internal void @layer(%Qubit* %q, i64 %k) {
  %f = sitofp i64 %k to double
  %a = fdiv double 0x400921FB54442D18, %f
  call void @__quantum__qis__h__body(%Qubit* %q)
  call void @__quantum__qis__rz__body(double %a, %Qubit* %q)
  ret void
}

define i64 @main() #0 {
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %n, %loop ]
  %q = inttoptr i64 %i to %Qubit*
  %k = add i64 %i, 1
  call void @layer(%Qubit* %q, i64 %k)
  %n = add i64 %i, 1
  %more = icmp ult i64 %n, 4
  br i1 %more, label %loop, label %done
done:
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* null)
  call void @__quantum__rt__result_record_output(%Result* null, i8* null)
  ret i64 0
}

declare void @__quantum__qis__h__body(%Qubit*)
declare void @__quantum__qis__rz__body(double, %Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)
declare void @__quantum__rt__result_record_output(%Result*, i8*)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="4" "required_num_results"="1" }

!llvm.module.flags = !{!0, !1, !2, !3, !4}
!0 = !{i32 1, !"qir_major_version", i32 1}
!1 = !{i32 7, !"qir_minor_version", i32 0}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 1, !"backwards_branching", i2 1}
"""

DYNAMIC = """; an ancilla allocated and released at run time (QIR 2.1 dynamic qubit management)
define i64 @main() #0 {
entry:
  %anc = call ptr @__quantum__rt__qubit_allocate(ptr null)
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__cnot__body(ptr null, ptr %anc)
  call void @__quantum__qis__mresetz__body(ptr %anc, ptr null)
  call void @__quantum__rt__qubit_release(ptr %anc)
  call void @__quantum__qis__mz__body(ptr null, ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__result_record_output(ptr null, ptr null)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr null)
  ret i64 0
}

declare ptr @__quantum__rt__qubit_allocate(ptr)
declare void @__quantum__rt__qubit_release(ptr)
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__cnot__body(ptr, ptr)
declare void @__quantum__qis__mresetz__body(ptr, ptr) #1
declare void @__quantum__qis__mz__body(ptr, ptr) #1
declare void @__quantum__rt__result_record_output(ptr, ptr)

attributes #0 = { "entry_point" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="2" }
attributes #1 = { "irreversible" }

!llvm.module.flags = !{!0, !1, !2, !3}
!0 = !{i32 1, !"qir_major_version", i32 2}
!1 = !{i32 7, !"qir_minor_version", i32 1}
!2 = !{i32 1, !"dynamic_qubit_management", i1 true}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
"""

PYQIR = {"bell": bell, "ghz5": ghz, "teleport": teleport}
TEXT = {"loop_unrolled": LOOP, "dynamic_ancilla": DYNAMIC}


def main(out: Path = HERE) -> list[Path]:
    written = []
    for name, build in PYQIR.items():
        text = build()
        (out / f"{name}.ll").write_text(text)
        (out / f"{name}.bc").write_bytes(pyqir.Module.from_ir(pyqir.Context(), text).bitcode)
        written += [out / f"{name}.ll", out / f"{name}.bc"]
    for name, text in TEXT.items():
        (out / f"{name}.ll").write_text(text)
        written.append(out / f"{name}.ll")
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p.name)

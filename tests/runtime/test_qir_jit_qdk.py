"""Real producer output: the repeat-until-success program below was compiled by qdk 1.33.1 (Q#, target
profile Adaptive: QIR 2.1, opaque pointers, internal wrapper functions, alloca/load/store loop state,
``write_result``, ``zeroext i1``). It is the circuit of ``test_qir_jit_progs.RUS_GATE``, so its
histogram is checked against the same dense-matrix reference.

    operation RUS() : (Result, Int) {
        use (a, t) = (Qubit(), Qubit());
        H(t); Ry(0.7, t);
        mutable n = 0; mutable r = One;
        repeat { H(a); T(a); CNOT(a, t); H(a); CNOT(a, t); T(a); H(a); set r = MResetZ(a); set n += 1; }
        until r == Zero;
        (MResetZ(t), n)
    }
"""

from __future__ import annotations

from qmk.runtime.qir_jit import run_qir
from rt_helpers import assert_5sigma
from test_qir_jit import _rus_gate_reference, merge_tail

QDK_RUS = r"""@0 = internal constant [4 x i8] c"0_t\00"
@1 = internal constant [6 x i8] c"1_t0r\00"
@2 = internal constant [6 x i8] c"2_t1i\00"

define i64 @ENTRYPOINT__main() #0 {
block_0:
  %var_3 = alloca i64
  %var_4 = alloca ptr
  %var_5 = alloca i1
  call void @__quantum__rt__initialize(ptr null)
  call void @__quantum__rt__write_result(i1 zeroext true, ptr inttoptr (i64 3 to ptr))
  call void @H(ptr inttoptr (i64 1 to ptr))
  call void @Ry(double 0.7, ptr inttoptr (i64 1 to ptr))
  store i64 0, ptr %var_3
  store ptr inttoptr (i64 3 to ptr), ptr %var_4
  store i1 true, ptr %var_5
  br label %block_1
block_1:
  %var_16 = load i1, ptr %var_5
  br i1 %var_16, label %block_2, label %block_3
block_2:
  call void @H(ptr inttoptr (i64 0 to ptr))
  call void @T(ptr inttoptr (i64 0 to ptr))
  call void @CNOT(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @H(ptr inttoptr (i64 0 to ptr))
  call void @CNOT(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @T(ptr inttoptr (i64 0 to ptr))
  call void @H(ptr inttoptr (i64 0 to ptr))
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 0 to ptr), ptr inttoptr (i64 0 to ptr))
  store ptr inttoptr (i64 0 to ptr), ptr %var_4
  %var_19 = load i64, ptr %var_3
  %var_9 = add i64 %var_19, 1
  store i64 %var_9, ptr %var_3
  %var_21 = load ptr, ptr %var_4
  %var_10 = call zeroext i1 @__quantum__rt__read_result(ptr %var_21)
  %var_11 = icmp eq i1 %var_10, false
  %var_12 = xor i1 %var_11, true
  store i1 %var_12, ptr %var_5
  br label %block_1
block_3:
  call void @__quantum__qis__mresetz__body(ptr inttoptr (i64 1 to ptr), ptr inttoptr (i64 1 to ptr))
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @0)
  call void @__quantum__rt__result_record_output(ptr inttoptr (i64 1 to ptr), ptr @1)
  %var_17 = load i64, ptr %var_3
  call void @__quantum__rt__int_record_output(i64 %var_17, ptr @2)
  ret i64 0
}

declare void @__quantum__rt__initialize(ptr)

define internal void @H(ptr %var_0) {
block_4:
  call void @__quantum__qis__h__body(ptr %var_0)
  ret void
}

declare void @__quantum__qis__h__body(ptr)

define internal void @Ry(double %var_1, ptr %var_2) {
block_5:
  call void @__quantum__qis__ry__body(double %var_1, ptr %var_2)
  ret void
}

declare void @__quantum__qis__ry__body(double, ptr)

define internal void @T(ptr %var_6) {
block_6:
  call void @__quantum__qis__t__body(ptr %var_6)
  ret void
}

declare void @__quantum__qis__t__body(ptr)

define internal void @CNOT(ptr %var_7, ptr %var_8) {
block_7:
  call void @__quantum__qis__cx__body(ptr %var_7, ptr %var_8)
  ret void
}

declare void @__quantum__qis__cx__body(ptr, ptr)

declare void @__quantum__qis__mresetz__body(ptr, ptr) #1

declare zeroext i1 @__quantum__rt__read_result(ptr) #2

declare void @__quantum__rt__tuple_record_output(i64, ptr)

declare void @__quantum__rt__result_record_output(ptr, ptr)

declare void @__quantum__rt__int_record_output(i64, ptr)

declare void @__quantum__rt__write_result(i1 zeroext, ptr)

attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="2" "required_num_results"="4" }
attributes #1 = { "irreversible" }
attributes #2 = { nofree nosync nounwind willreturn memory(argmem: read) }

; module flags

!llvm.module.flags = !{!0, !1, !2, !3, !4, !5, !6, !7, !8, !9}

!0 = !{i32 1, !"qir_major_version", i32 2}
!1 = !{i32 7, !"qir_minor_version", i32 1}
!2 = !{i32 1, !"dynamic_qubit_management", i1 false}
!3 = !{i32 1, !"dynamic_result_management", i1 false}
!4 = !{i32 5, !"int_computations", !{!"i64"}}
!5 = !{i32 5, !"float_computations", !{!"double"}}
!6 = !{i32 7, !"backwards_branching", i2 3}
!7 = !{i32 1, !"arrays", i1 true}
!8 = !{i32 1, !"ir_functions", i1 true}
!9 = !{i32 1, !"writable_results", i1 true}
"""


def test_qdk_adaptive_rus_matches_the_dense_reference():
    shots = 4000
    r = run_qir(QDK_RUS.encode(), name="rus.ll", shots=shots, seed=21)
    assert r.exit_codes == {0: shots} and r.telemetry["jit_engine"] == "small"
    got = merge_tail(r.counts, lambda k: (k.split()[0], int(k.split()[1])), 4)
    ref: dict = {}
    for (b, n), p in _rus_gate_reference().items():
        key = (b, n if n < 4 else "tail")
        ref[key] = ref.get(key, 0.0) + p
    assert_5sigma(got, ref, shots)


def test_qdk_labels_and_metadata_in_the_records():
    out = run_qir(QDK_RUS.encode(), shots=1, seed=1, keep_shots=True).records()
    assert "METADATA\tqir_profiles\tadaptive_profile\n" in out
    assert "METADATA\trequired_num_results\t4\n" in out
    assert "OUTPUT\tTUPLE\t2\t0_t\n" in out and "\t1_t0r\n" in out and "\t2_t1i\n" in out

; rotations in a loop through an internal function (flattened by LLVM)
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

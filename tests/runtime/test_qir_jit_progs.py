"""QIR test programs for the JIT, written as LLVM text, and a check that each is a valid module.

``module(body)`` wraps the instructions of an entry point into a complete QIR module: it declares every
``@__quantum__*`` function the body calls (signatures from ``SIGS``) and defines a string constant for
every label written ``@L.name``. The other test files import these programs.
"""

from __future__ import annotations

import re

import pytest

SIGS = {
    "__quantum__rt__initialize": "void (ptr)",
    "__quantum__qis__h__body": "void (ptr)",
    "__quantum__qis__x__body": "void (ptr)",
    "__quantum__qis__y__body": "void (ptr)",
    "__quantum__qis__z__body": "void (ptr)",
    "__quantum__qis__s__body": "void (ptr)",
    "__quantum__qis__s__adj": "void (ptr)",
    "__quantum__qis__t__body": "void (ptr)",
    "__quantum__qis__t__adj": "void (ptr)",
    "__quantum__qis__rx__body": "void (double, ptr)",
    "__quantum__qis__ry__body": "void (double, ptr)",
    "__quantum__qis__rz__body": "void (double, ptr)",
    "__quantum__qis__cnot__body": "void (ptr, ptr)",
    "__quantum__qis__cx__body": "void (ptr, ptr)",
    "__quantum__qis__cz__body": "void (ptr, ptr)",
    "__quantum__qis__ccx__body": "void (ptr, ptr, ptr)",
    "__quantum__qis__mz__body": "void (ptr, ptr)",
    "__quantum__qis__mresetz__body": "void (ptr, ptr)",
    "__quantum__qis__reset__body": "void (ptr)",
    "__quantum__qis__read_result__body": "i1 (ptr)",
    "__quantum__rt__read_result": "i1 (ptr)",
    "__quantum__rt__qubit_allocate": "ptr (ptr)",
    "__quantum__rt__qubit_release": "void (ptr)",
    "__quantum__rt__result_record_output": "void (ptr, ptr)",
    "__quantum__rt__bool_record_output": "void (i1, ptr)",
    "__quantum__rt__int_record_output": "void (i64, ptr)",
    "__quantum__rt__double_record_output": "void (double, ptr)",
    "__quantum__rt__tuple_record_output": "void (i64, ptr)",
    "__quantum__rt__array_record_output": "void (i64, ptr)",
    "__quantum__rt__fail": "void (ptr)",
    "__quantum__rt__message": "void (ptr)",
}


def q(i: int) -> str:
    """The static qubit or result pointer ``i``."""
    return "ptr null" if i == 0 else f"ptr inttoptr (i64 {i} to ptr)"


def module(body: str, *, nq: int | None = 2, nr: int | None = 2, ret: str = "i64", name: str = "main",
           extra: str = "", sigs: dict | None = None, entry_attr: bool = True) -> bytes:
    """A complete module whose entry point ``name`` has ``body`` as its instructions."""
    table = dict(SIGS, **(sigs or {}))
    text = body + "\n" + extra
    called = sorted(set(re.findall(r"@(__quantum__\w+)\(", text)))
    decls = []
    for f in called:
        r, _, params = table[f].partition(" (")
        decls.append(f"declare {r} @{f}({params}")
    labels = sorted(set(re.findall(r"@L\.(\w+)", text)))
    consts = [f'@L.{s} = private constant [{len(s) + 1} x i8] c"{s}\\00"' for s in labels]
    attrs = ['"entry_point"', '"output_labeling_schema"', '"qir_profiles"="adaptive_profile"']
    if nq is not None:
        attrs.append(f'"required_num_qubits"="{nq}"')
    if nr is not None:
        attrs.append(f'"required_num_results"="{nr}"')
    group = " #0" if entry_attr else ""
    return "\n".join(
        consts
        + [f"define {ret} @{name}(){group} {{", body, "}", extra]
        + decls
        + [f"attributes #0 = {{ {' '.join(attrs)} }}", ""]
    ).encode()


# A loop of H, measure, reset until the result is 0; records (tuple: result, iteration count).
RUS_COIN = module(f"""
entry:
  call void @__quantum__rt__initialize(ptr null)
  br label %loop
loop:
  %n = phi i64 [ 0, %entry ], [ %n1, %loop ]
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__qis__reset__body({q(0)})
  %r = call i1 @__quantum__rt__read_result({q(0)})
  %n1 = add i64 %n, 1
  br i1 %r, label %loop, label %done
done:
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @L.t)
  call void @__quantum__rt__result_record_output({q(0)}, ptr @L.r)
  call void @__quantum__rt__int_record_output(i64 %n1, ptr @L.n)
  ret i64 0
""", nq=1, nr=1)

# Repeat-until-success on (ancilla a = q0, target t = q1): t starts in |+> rotated by ry(0.7); each round
# applies H T CNOT H CNOT T H on the pair and measures a; 1 means "try again". Then t is measured.
RUS_GATE_ROUND = ["h a", "t a", "cnot a t", "h a", "cnot a t", "t a", "h a"]
RUS_GATE = module(f"""
entry:
  call void @__quantum__qis__h__body({q(1)})
  call void @__quantum__qis__ry__body(double 0.7, {q(1)})
  br label %loop
loop:
  %n = phi i64 [ 0, %entry ], [ %n1, %loop ]
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__t__body({q(0)})
  call void @__quantum__qis__cnot__body({q(0)}, {q(1)})
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__cnot__body({q(0)}, {q(1)})
  call void @__quantum__qis__t__body({q(0)})
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__mresetz__body({q(0)}, {q(0)})
  %r = call i1 @__quantum__rt__read_result({q(0)})
  %n1 = add i64 %n, 1
  br i1 %r, label %loop, label %done
done:
  call void @__quantum__qis__mz__body({q(1)}, {q(1)})
  call void @__quantum__rt__tuple_record_output(i64 2, ptr null)
  call void @__quantum__rt__result_record_output({q(1)}, ptr null)
  call void @__quantum__rt__int_record_output(i64 %n1, ptr null)
  ret i64 0
""")

# Three qubits in |+>, measured; the value r0 + 2 r1 + 4 r2 computed with integer arithmetic and
# recorded with the three results.
ARITH = module(f"""
entry:
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__h__body({q(1)})
  call void @__quantum__qis__h__body({q(2)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__qis__mz__body({q(1)}, {q(1)})
  call void @__quantum__qis__mz__body({q(2)}, {q(2)})
  %b0 = call i1 @__quantum__rt__read_result({q(0)})
  %b1 = call i1 @__quantum__rt__read_result({q(1)})
  %b2 = call i1 @__quantum__rt__read_result({q(2)})
  %v0 = zext i1 %b0 to i64
  %v1 = zext i1 %b1 to i64
  %v2 = zext i1 %b2 to i64
  %s1 = shl i64 %v1, 1
  %s2 = mul i64 %v2, 4
  %t = add i64 %v0, %s1
  %v = or i64 %t, %s2
  %d = sdiv i64 %v, 2
  %neg = sub i64 0, %v
  call void @__quantum__rt__tuple_record_output(i64 6, ptr @L.out)
  call void @__quantum__rt__result_record_output({q(0)}, ptr @L.r0)
  call void @__quantum__rt__result_record_output({q(1)}, ptr @L.r1)
  call void @__quantum__rt__result_record_output({q(2)}, ptr @L.r2)
  call void @__quantum__rt__int_record_output(i64 %v, ptr @L.v)
  call void @__quantum__rt__int_record_output(i64 %d, ptr @L.half)
  call void @__quantum__rt__int_record_output(i64 %neg, ptr @L.neg)
  ret i64 0
""", nq=3, nr=3)

# A loop that allocates a fresh qubit each round, puts it in |+>, measures it into result i, releases
# it; five rounds, then the five results as an array.
DYN_LOOP = module(f"""
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %qb = call ptr @__quantum__rt__qubit_allocate(ptr null)
  call void @__quantum__qis__h__body(ptr %qb)
  %res = inttoptr i64 %i to ptr
  call void @__quantum__qis__mz__body(ptr %qb, ptr %res)
  call void @__quantum__rt__qubit_release(ptr %qb)
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, 5
  br i1 %more, label %loop, label %done
done:
  call void @__quantum__rt__array_record_output(i64 5, ptr @L.a)
  call void @__quantum__rt__result_record_output({q(0)}, ptr @L.a0)
  call void @__quantum__rt__result_record_output({q(1)}, ptr @L.a1)
  call void @__quantum__rt__result_record_output({q(2)}, ptr @L.a2)
  call void @__quantum__rt__result_record_output({q(3)}, ptr @L.a3)
  call void @__quantum__rt__result_record_output({q(4)}, ptr @L.a4)
  ret i64 0
""", nq=None, nr=5)

# Deterministic nested outputs: X on q1 only; tuple(array(r0, r1), tuple(bool, int, double)).
NESTED = module(f"""
entry:
  call void @__quantum__qis__x__body({q(1)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__qis__mz__body({q(1)}, {q(1)})
  %b = call i1 @__quantum__qis__read_result__body({q(1)})
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @L.top)
  call void @__quantum__rt__array_record_output(i64 2, ptr @L.arr)
  call void @__quantum__rt__result_record_output({q(0)}, ptr @L.first)
  call void @__quantum__rt__result_record_output({q(1)}, ptr null)
  call void @__quantum__rt__tuple_record_output(i64 3, ptr @L.inner)
  call void @__quantum__rt__bool_record_output(i1 %b, ptr @L.flag)
  call void @__quantum__rt__int_record_output(i64 -3, ptr @L.num)
  call void @__quantum__rt__double_record_output(double 0.75, ptr @L.x)
  ret i64 0
""")

# Exit codes: q0 in |+> is measured; the shot returns 3 when it is 1, after recording.
EXIT = module(f"""
entry:
  call void @__quantum__qis__h__body({q(0)})
  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__rt__result_record_output({q(0)}, ptr @L.r)
  %b = call i1 @__quantum__rt__read_result({q(0)})
  %code = select i1 %b, i64 3, i64 0
  ret i64 %code
""", nq=1, nr=1)

ALL = {"RUS_COIN": RUS_COIN, "RUS_GATE": RUS_GATE, "ARITH": ARITH, "DYN_LOOP": DYN_LOOP, "NESTED": NESTED,
       "EXIT": EXIT}


@pytest.mark.parametrize("name", sorted(ALL))
def test_every_test_program_is_a_valid_llvm_module(name):
    import llvmlite.binding as llvm

    llvm.parse_assembly(ALL[name].decode()).verify()

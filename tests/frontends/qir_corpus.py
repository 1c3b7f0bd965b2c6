"""A QIR corpus built with pyqir's own builder (plus hand-written LLVM text for forms pyqir cannot write).

Each builder returns LLVM text; ``bitcode(text)`` gives the same module as bitcode. examples/qir/generate.py
writes checked-in files from the same kind of programs.
"""

from __future__ import annotations

import pyqir
import pyqir.qis as qis
import pyqir.rt as rt


def _null(m):
    return pyqir.Constant.null(pyqir.PointerType(pyqir.IntType(m.context, 8)))


def bell() -> str:
    m = pyqir.SimpleModule("bell", 2, 2)
    b = m.builder
    qis.h(b, m.qubits[0])
    qis.cx(b, m.qubits[0], m.qubits[1])
    qis.mz(b, m.qubits[0], m.results[0])
    qis.mz(b, m.qubits[1], m.results[1])
    rt.tuple_record_output(b, pyqir.const(pyqir.IntType(m.context, 64), 2), m.add_byte_string(b"0_t"))
    rt.result_record_output(b, m.results[0], m.add_byte_string(b"1_t0r"))
    rt.result_record_output(b, m.results[1], m.add_byte_string(b"2_t1r"))
    return m.ir()


def all_gates() -> str:
    """Every gate pyqir's builder writes, on three qubits."""
    m = pyqir.SimpleModule("gates", 3, 3)
    b = m.builder
    q0, q1, q2 = m.qubits
    for g in (qis.h, qis.x, qis.y, qis.z, qis.s, qis.s_adj, qis.t, qis.t_adj):
        g(b, q0)
    qis.rx(b, 0.25, q1)
    qis.ry(b, -1.5, q1)
    qis.rz(b, 3.0, q2)
    qis.cx(b, q0, q1)
    qis.cz(b, q1, q2)
    qis.swap(b, q0, q2)
    qis.ccx(b, q0, q1, q2)
    qis.reset(b, q0)
    qis.barrier(b)
    for i in range(3):
        qis.mz(b, m.qubits[i], m.results[i])
    rt.array_record_output(b, pyqir.const(pyqir.IntType(m.context, 64), 3), _null(m))
    for i in range(3):
        rt.result_record_output(b, m.results[i], _null(m))
    return m.ir()


def if_else() -> str:
    """Teleport-style feedback written with pyqir's if_result (branches on read_result__body)."""
    m = pyqir.SimpleModule("ifelse", 3, 3)
    b = m.builder
    q0, q1, q2 = m.qubits
    qis.h(b, q0)
    qis.mz(b, q0, m.results[0])
    qis.if_result(b, m.results[0], one=lambda: qis.x(b, q1), zero=lambda: qis.z(b, q1))
    qis.mz(b, q1, m.results[1])

    def nested():
        qis.if_result(b, m.results[1], one=lambda: qis.h(b, q2))

    qis.if_result(b, m.results[0], one=nested)
    qis.mz(b, q2, m.results[2])
    for i in range(3):
        rt.result_record_output(b, m.results[i], _null(m))
    return m.ir()


def big(n_gates: int, n_qubits: int = 50) -> str:
    """A base-profile program of n_gates gates (h, cx, rz, t in turn), for the benchmark."""
    m = pyqir.SimpleModule("big", n_qubits, n_qubits)
    b = m.builder
    qs = m.qubits
    for i in range(n_gates):
        k = i % 4
        if k == 0:
            qis.h(b, qs[i % n_qubits])
        elif k == 1:
            qis.cx(b, qs[i % n_qubits], qs[(i + 1) % n_qubits])
        elif k == 2:
            qis.rz(b, 0.1 * (i % 7), qs[i % n_qubits])
        else:
            qis.t(b, qs[i % n_qubits])
    for i in range(n_qubits):
        qis.mz(b, qs[i], m.results[i])
    for i in range(n_qubits):
        rt.result_record_output(b, m.results[i], _null(m))
    return m.ir()


def bitcode(text: str) -> bytes:
    return pyqir.Module.from_ir(pyqir.Context(), text).bitcode


# ------------------------------------------------------------------ hand-written LLVM text

TYPED_HEADER = "%Qubit = type opaque\n%Result = type opaque\n"


def module(
    body: str,
    decls: str,
    *,
    attrs: str = '"entry_point" "qir_profiles"="adaptive_profile"',
    nq: int | None = 4,
    nr: int | None = 4,
    typed: bool = False,
    extra: str = "",
) -> str:
    """Wrap an entry body into a module; ``decls`` are declare lines."""
    req = ""
    if nq is not None:
        req += f' "required_num_qubits"="{nq}"'
    if nr is not None:
        req += f' "required_num_results"="{nr}"'
    head = TYPED_HEADER if typed else ""
    return (
        f"{head}{extra}\ndefine i64 @main() #0 {{\n{body}\n}}\n\n{decls}\n\n"
        f"attributes #0 = {{ {attrs}{req} }}\n"
    )


Q = "void @__quantum__qis__{}__body(ptr)"
DECLS = """declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__x__body(ptr)
declare void @__quantum__qis__y__body(ptr)
declare void @__quantum__qis__z__body(ptr)
declare void @__quantum__qis__cnot__body(ptr, ptr)
declare void @__quantum__qis__rx__body(double, ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare void @__quantum__qis__mresetz__body(ptr, ptr)
declare ptr @__quantum__qis__m__body(ptr)
declare i1 @__quantum__rt__read_result(ptr)
declare i1 @__quantum__qis__read_result__body(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__bool_record_output(i1, ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare void @__quantum__rt__double_record_output(double, ptr)
declare void @__quantum__rt__tuple_record_output(i64, ptr)
declare ptr @__quantum__rt__qubit_allocate()
declare void @__quantum__rt__qubit_release(ptr)
declare void @__quantum__rt__initialize(ptr)"""


def q(k: int) -> str:
    return "ptr null" if k == 0 else f"ptr inttoptr (i64 {k} to ptr)"


def two_entries() -> str:
    """Two entry points, @first (H on q0) and @second (X on q0)."""
    return (
        "define void @first() #0 {\n  call void @__quantum__qis__h__body(ptr null)\n  ret void\n}\n"
        "define void @second() #0 {\n  call void @__quantum__qis__x__body(ptr null)\n  ret void\n}\n"
        "declare void @__quantum__qis__h__body(ptr)\ndeclare void @__quantum__qis__x__body(ptr)\n"
        'attributes #0 = { "entry_point" "required_num_qubits"="1" "required_num_results"="0" }\n'
    )

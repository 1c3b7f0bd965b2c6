"""Which QIR functions qmk-run binds, with which signatures, and how (the JIT's ABI table).

Signatures are LLVM function types as llvmlite prints them after parsing, so typed-pointer (QIR 1.0)
declarations, which LLVM reads as ``ptr``, match the same entries. A declared function whose name or
signature is not here is refused before anything runs (``qir_module.load``).
"""

from __future__ import annotations

from qmk.frontends import qis

_REC = "__quantum__rt__{}_record_output"
# name -> {signature: method}
_RT: dict[str, dict[str, str]] = {
    "__quantum__rt__initialize": {"void (ptr)": "noop", "void ()": "noop"},
    "__quantum__qis__barrier__body": {"void ()": "noop"},
    "__quantum__qis__dumpmachine__body": {"void (ptr)": "noop"},
    "__quantum__qis__mz__body": {"void (ptr, ptr)": "mz"},
    "__quantum__qis__m__body": {"void (ptr, ptr)": "mz", "ptr (ptr)": "m_new"},
    "__quantum__qis__mresetz__body": {"void (ptr, ptr)": "mresetz"},
    "__quantum__qis__reset__body": {"void (ptr)": "reset"},
    "__quantum__qis__read_result__body": {"i1 (ptr)": "read_result"},
    "__quantum__rt__read_result": {"i1 (ptr)": "read_result"},
    "__quantum__rt__write_result": {"void (i1, ptr)": "write_result"},
    "__quantum__rt__qubit_allocate": {"ptr ()": "qubit_allocate", "ptr (ptr)": "qubit_allocate"},
    "__quantum__rt__qubit_release": {"void (ptr)": "qubit_release"},
    "__quantum__rt__result_allocate": {"ptr ()": "result_allocate", "ptr (ptr)": "result_allocate"},
    "__quantum__rt__result_release": {"void (ptr)": "result_release"},
    "__quantum__rt__result_get_one": {"ptr ()": "result_one"},
    "__quantum__rt__result_get_zero": {"ptr ()": "result_zero"},
    "__quantum__rt__result_equal": {"i1 (ptr, ptr)": "result_equal"},
    "__quantum__rt__result_update_reference_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__string_create": {"ptr (ptr)": "string_create"},
    "__quantum__rt__string_update_reference_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__message": {"void (ptr)": "message"},
    "__quantum__rt__fail": {"void (ptr)": "fail"},
    # legacy full-QIR arrays and tuples (qir_legacy)
    "__quantum__rt__array_create_1d": {"ptr (i32, i64)": "array_create_1d"},
    "__quantum__rt__array_get_element_ptr_1d": {"ptr (ptr, i64)": "array_get_element_ptr_1d"},
    "__quantum__rt__array_get_size_1d": {"i64 (ptr)": "array_get_size_1d"},
    "__quantum__rt__array_update_reference_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__array_update_alias_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__tuple_create": {"ptr (i64)": "tuple_create"},
    "__quantum__rt__tuple_update_reference_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__tuple_update_alias_count": {"void (ptr, i32)": "noop"},
    "__quantum__rt__qubit_allocate_array": {"ptr (i64)": "qubit_allocate_array"},
    "__quantum__rt__qubit_release_array": {"void (ptr)": "qubit_release_array"},
    _REC.format("result"): {"void (ptr, ptr)": "rec_result", "void (ptr)": "rec_result"},
    _REC.format("bool"): {"void (i1, ptr)": "rec_bool", "void (i1)": "rec_bool"},
    _REC.format("int"): {"void (i64, ptr)": "rec_int", "void (i64)": "rec_int"},
    _REC.format("double"): {"void (double, ptr)": "rec_double", "void (double)": "rec_double"},
    _REC.format("tuple"): {"void (i64, ptr)": "rec_tuple"},
    _REC.format("array"): {"void (i64, ptr)": "rec_array"},
    _REC.format("result_array"): {"void (i64, ptr, ptr)": "rec_result_array"},
}


def _gate_sig(g: qis.Gate) -> str:
    params = (["i2"] if g.pauli_param else []) + ["double"] * g.n_angles + ["ptr"] * g.n_qubits
    return f"void ({', '.join(params)})"


def lookup(name: str, sig: str) -> tuple[str, object] | None:
    """How a declared function is bound: ("rt", method name), ("gate", (Gate, adjoint)), ("ctl",
    (Gate, adjoint)) for legacy controlled gates, or ("native", None) for functions with no effect on the
    simulation, which never leave native code; None if not."""
    table = _RT.get(name)
    if table is not None:
        if sig not in table:
            return None
        return ("native", None) if table[sig] == "noop" else ("rt", table[sig])
    parts = qis.split_name(name) if name.startswith("__quantum__qis__") else None
    if parts is None or parts[0] not in qis.GATES:
        return None
    g = qis.GATES[parts[0]]
    if parts[1] in ("ctl", "ctladj"):  # (%Array* controls, %Qubit* or {double, %Qubit*}* tuple)
        ok = g.n_qubits == 1 and not g.pauli_param and sig == "void (ptr, ptr)"
        return ("ctl", (g, parts[1] == "ctladj")) if ok else None
    return ("gate", (g, parts[1] == "adj")) if sig == _gate_sig(g) else None


def gate_steps(g: qis.Gate, adj: bool, angles: tuple = ()) -> list:
    """The QVM steps of a QIS gate (its ``__adj`` form: the inverse sequence)."""
    steps = g.lower(tuple(angles))
    return qis.adjoint(steps) if adj else steps


def accepts(name: str, sig: str) -> bool:
    return lookup(name, sig) is not None

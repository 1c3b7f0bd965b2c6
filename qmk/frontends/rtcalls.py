"""The ``__quantum__rt__`` functions QvmBuilder understands (split from builder.py to keep it small).

They are the runtime side of QIR: ``initialize`` (nothing to do), result reads (a ``Bit`` of the
result's current event), dynamic qubits (``ALLOC_LQ``/``FREE_LQ`` where they happen), the legacy control
arrays of ``__ctl`` calls, and output recording into ``Program.outputs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import qis
from .errors import NotStaticError, fail
from .values import DYN_Q as _DYN_Q
from .values import ArrayVal, Bit, DynQubit, ElemRef

if TYPE_CHECKING:
    from .builder import QvmBuilder


def runtime_call(b: "QvmBuilder", callee: str, args: list, loc):
    """A ``__quantum__rt__`` call: runtime setup, result reads, dynamic qubits, control arrays, outputs."""
    name = callee[len("__quantum__rt__") :]
    if name == "initialize":
        b._arity(callee, args, (0, 1), loc)
        return None
    if name == "read_result":
        b._arity(callee, args, 1, loc)
        return Bit(b._read(args[0], callee, 0, loc))
    if name == "qubit_allocate":
        b._arity(callee, args, (0, 1), loc)
        idx = len(b._dyn_live)
        if b._max_q + 1 + idx >= b.max_qubits:
            raise fail("QMK705", f"{callee}: more than {b.max_qubits} qubits allocated", loc)
        b._dyn_live[idx] = True
        b._emit("ALLOC_LQ", (f"{_DYN_Q}{idx}",), {"n": 1, "profile": b.profile}, (), loc)
        return DynQubit(idx)
    if name == "array_create_1d":
        b._arity(callee, args, 2, loc)
        n = b._int(args[1], callee, 1, loc)
        if not 0 <= n <= qis.MAX_CONTROLS:
            raise fail(
                "QMK705",
                f"{callee}: arrays of {n} elements are not supported (at most "
                f"{qis.MAX_CONTROLS}, for the controls of a gate)",
                loc,
            )
        return ArrayVal([None] * n)
    if name == "array_get_element_ptr_1d":
        b._arity(callee, args, 2, loc)
        arr, i = args[0], b._int(args[1], callee, 1, loc)
        if not isinstance(arr, ArrayVal):
            raise b._bad_arg(arr, callee, 0, "an array", loc)
        if not 0 <= i < len(arr.items):
            raise fail("QMK704", f"{callee}: index {i} is outside the array of {len(arr.items)}", loc)
        return ElemRef(arr, i)
    if name in ("array_update_reference_count", "array_update_alias_count"):
        return None
    if name == "qubit_release":
        b._arity(callee, args, 1, loc)
        q = b._qubit(args[0], callee, 0, loc)
        if not isinstance(args[0], DynQubit):
            raise fail("QMK703", f"{callee}: argument 1 should be a dynamically allocated qubit", loc)
        b._dyn_live[args[0].index] = False
        b._emit("FREE_LQ", (q,), None, (), loc)
        return None
    if name.endswith("_record_output"):
        return record_output(b, callee, name[: -len("_record_output")], args, loc)
    raise fail("QMK702", f"unknown QIR runtime function '{callee}'", loc)


def record_output(b: "QvmBuilder", callee: str, kind: str, args: list, loc):
    """``<kind>_record_output(value[, label])`` appended to the builder's outputs, in order."""
    if b.guard is not None:
        raise NotStaticError.make(
            f"{callee}: output recorded only on some paths of a branch on a measurement", loc
        )
    b._arity(callee, args, (1, 2), loc)
    label = b._label(args[1], callee, 1, loc) if len(args) == 2 else None
    out: dict
    if kind == "result":
        out = {"type": "RESULT", "event": b._read(args[0], callee, 0, loc)}
    elif kind == "bool":
        v = args[0]
        if isinstance(v, Bit):
            out = {"type": "BOOL", "event": v.event, "invert": v.invert}
        elif isinstance(v, int) and v in (0, 1):
            out = {"type": "BOOL", "value": bool(v)}
        elif isinstance(v, dict):
            raise NotStaticError.make(
                f"{callee}: the boolean combines several measurement results; a QVM BOOL output "
                "holds one measured bit (possibly inverted)",
                loc,
            )
        else:
            raise b._bad_arg(v, callee, 0, "an i1 value", loc)
    elif kind == "int":
        out = {"type": "INT", "value": b._int(args[0], callee, 0, loc)}
    elif kind == "double":
        v = args[0]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise b._bad_arg(v, callee, 0, "a double", loc)
        out = {"type": "DOUBLE", "value": float(v)}
    elif kind in ("tuple", "array"):
        out = {"type": kind.upper(), "count": b._int(args[0], callee, 0, loc)}
    else:
        raise fail("QMK702", f"unknown QIR output recording function '{callee}'", loc)
    if label is not None:
        out["label"] = label
    b.outputs.append(out)
    return None

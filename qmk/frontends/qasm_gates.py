"""OpenQASM 2 user gate definitions: checked once when defined, expanded at every use.

A definition is checked completely when it is read (every called gate exists and is defined
earlier, counts match, operands are the gate's own distinct arguments, expressions read only the
gate's parameters), so expanding it later cannot fail except on an angle that has no finite value
for the given parameters. Because a gate may only call gates defined before it, definitions form a
DAG and expansion terminates; its size is known in advance (``UserGate.size``), which lets the reader
refuse a program that would expand beyond ``max_nodes`` before building any of it.
"""

from __future__ import annotations

from ..ir import EMPTY, Location
from .qasm_syntax import ExprError, evaluate, params_of


def define(reader, st):
    """The UserGate for a ``gate`` statement, after checking its body (see the module docstring)."""
    from .qasm import MAX_GATE_DEPTH, UserGate

    _, gname, params, qargs, body, at = st
    for kind, names in (("parameter", params), ("qubit argument", qargs)):
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise reader.fail("QMK760", f"gate '{gname}': {kind} '{dup[0]}' is listed twice", at)
    clash = set(params) & set(qargs)
    if clash:
        raise reader.fail("QMK760", f"gate '{gname}': '{min(clash)}' is both a parameter and a qubit", at)
    where = {q: i for i, q in enumerate(qargs)}
    resolved: list[tuple] = []
    size, depth = 0, 1
    for item in body:
        if item[0] == "barrier":
            _, ids, iat = item
            resolved.append(("barrier", _positions(reader, gname, ids, where, iat)))
            size += 1
            continue
        _, callee, exprs, ids, iat = item
        target = reader.gates.get(callee)
        if target is None:
            why = "calls itself" if callee == gname else f"calls '{callee}', which is not defined before it"
            raise reader.fail("QMK752", f"gate '{gname}' {why}", iat)
        if len(exprs) != target.num_params or len(ids) != target.num_qubits:
            raise reader.fail("QMK753", f"gate '{callee}' takes {target.num_params} parameter(s) and "
                              f"{target.num_qubits} qubit(s), got {len(exprs)} and {len(ids)}", iat)
        for e in exprs:
            unknown = params_of(e) - set(params)
            if unknown:
                raise reader.fail("QMK754", f"gate '{gname}': unknown parameter '{min(unknown)}'", iat)
        idx = _positions(reader, gname, ids, where, iat)
        if len(set(idx)) != len(idx):
            raise reader.fail("QMK757", f"gate '{gname}': '{callee}' uses the same qubit twice", iat)
        resolved.append(("call", target, exprs, idx, iat))
        size += reader.size_of(target)
        depth = max(depth, getattr(target, "depth", 0) + 1)
    if depth > MAX_GATE_DEPTH:
        raise reader.fail("QMK763", f"gate '{gname}' nests gate definitions {depth} deep "
                          f"(the limit is {MAX_GATE_DEPTH})", at)
    return UserGate(gname, list(params), list(qargs), resolved, size, depth)


def _positions(reader, gname: str, ids, where: dict[str, int], at: Location) -> tuple[int, ...]:
    out = []
    for q in ids:
        if q not in where:
            raise reader.fail("QMK754", f"gate '{gname}': '{q}' is not one of its qubit arguments", at)
        out.append(where[q])
    return tuple(out)


def expand(reader, gate, values: tuple, qs: tuple, guard, loc: Location) -> None:
    """Emit the nodes of one application of a user gate (parameters bound to ``values``)."""
    env = dict(zip(gate.params, values))
    for item in gate.body:
        if item[0] == "barrier":
            reader.emit("BAR_REGION", tuple(qs[i] for i in item[1]), EMPTY, (), guard, loc)
            continue
        _, target, exprs, idx, iat = item
        try:
            sub = tuple(evaluate(e, env) for e in exprs)
        except ExprError as e:
            raise reader.fail("QMK758", f"in gate '{gate.name}' (used at line {loc.line}): angle expression: {e}",
                              iat) from None
        reader.apply(target, sub, tuple(qs[i] for i in idx), guard, loc)

"""Fast lowerings for the gates that make up most of a big program (QvmBuilder's hot path).

A parameterless gate always lowers to the same steps, and ``rx/ry/rz`` (and their adjoints) to one op
whose angle is a fixed multiple of the argument, so after the first call of a callee its checks and
node construction are done by a closure made here, without the general dispatch. The closures apply
exactly the checks of the general path (arity, qubit ids, distinct qubits, finite angles), with the
same messages, because they call the same builder methods for anything but an already-checked id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..ir import EMPTY, Node
from .errors import fail
from .values import Ptr

if TYPE_CHECKING:
    from .builder import QvmBuilder


def fixed_gate(b: "QvmBuilder", callee: str, n: int, steps: list):
    """A fast lowering for a parameterless gate: the same steps every time (big programs are mostly
    these, so the per-call work is kept to the operand checks)."""
    qubit, nodes, qn = b._qubit, b._nodes, b._qn
    steps = [(op, idx, a or EMPTY) for op, idx, a in steps]
    if n == 1 and len(steps) == 1:
        op1, _idx, a1 = steps[0]

        def run1(args, loc):
            if len(args) != 1:
                b._arity(callee, args, 1, loc)
            v = args[0]
            name = qn.get(v.id) if type(v) is Ptr else None
            if name is None:
                name = qubit(v, callee, 0, loc)
            nodes.append(Node(f"n{len(nodes) + 1}", op1, (name,), a1, (), (), (), b.guard, (), loc))

        return run1
    if n == 2 and len(steps) == 1 and steps[0][1] == (0, 1):
        op2, _idx, a2 = steps[0]

        def run2(args, loc):
            if len(args) != 2:
                b._arity(callee, args, 2, loc)
            v, w = args
            x = qn.get(v.id) if type(v) is Ptr else None
            y = qn.get(w.id) if type(w) is Ptr else None
            if x is None:
                x = qubit(v, callee, 0, loc)
            if y is None:
                y = qubit(w, callee, 1, loc)
            if x == y:
                raise fail("QMK706", f"{callee}: the same qubit is used twice in one gate", loc)
            nodes.append(Node(f"n{len(nodes) + 1}", op2, (x, y), a2, (), (), (), b.guard, (), loc))

        return run2

    def run(args, loc):
        if len(args) != n:
            b._arity(callee, args, n, loc)
        qs = []
        for i, a in enumerate(args):
            name = qn.get(a.id) if type(a) is Ptr else None  # an id already checked
            qs.append(name if name is not None else qubit(a, callee, i, loc))
        if n > 1 and len(set(qs)) != n:
            raise fail("QMK706", f"{callee}: the same qubit is used twice in one gate", loc)
        g = b.guard
        for op, idx, a in steps:
            nodes.append(
                Node(f"n{len(nodes) + 1}", op, tuple([qs[i] for i in idx]), a, (), (), (), g, (), loc)
            )

    return run


def rotation(b: "QvmBuilder", callee: str, op: str, sign: float | None):
    """A fast lowering for rx/ry/rz and their adjoints: one op whose angle is ``sign`` * the argument."""
    if sign is None:
        return None
    qubit, angle, nodes = b._qubit, b._angle, b._nodes

    def run(args, loc):
        if len(args) != 2:
            b._arity(callee, args, 2, loc)
        theta = angle(args[0], callee, 0, loc)
        nodes.append(
            Node(
                f"n{len(nodes) + 1}",
                op,
                (qubit(args[1], callee, 1, loc),),
                {"theta": sign * theta},
                (),
                (),
                (),
                b.guard,
                (),
                loc,
            )
        )

    return run

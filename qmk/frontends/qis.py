"""The de-facto QIR quantum instruction set and how each gate lowers to QVM ops.

QIR names its gates ``__quantum__qis__<gate>__body`` (and ``__adj``/``__ctl``/``__ctladj``); the
specification has no normative table, so this is the set qdk emits and qir-runner binds
(see docs/frontends.md). Every gate lowers to a sequence of ``(op, qubit positions, args)`` steps over
its own qubit operands. Gates with a QVM op lower to that op; ``cy rxx ryy rzz`` use the shared exact
decompositions of ``decompose.py`` and ``r`` is a rotation about its Pauli; each is proven equal to the
gate's matrix in tests/frontends/test_qis.py.

``__adj`` forms lower to the inverse sequence: the steps reversed, each replaced by its inverse from the
op table (``qmk.ops.inverse``), which is exact up to a global phase.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Callable

from .. import ops

# A step: (QVM op, indices into the gate's qubit operands, args).
Step = tuple[str, tuple[int, ...], dict]

_NAME_RE = re.compile(r"^__quantum__qis__([A-Za-z0-9_]+?)__(body|adj|ctl|ctladj)$")


@dataclass(frozen=True, slots=True)
class Gate:
    """A QIS gate: ``n_angles`` double parameters come first, then ``n_qubits`` qubit pointers."""

    name: str
    n_qubits: int
    n_angles: int
    lower: Callable[[tuple[float, ...]], list[Step]]
    pauli_param: bool = False  # r__body(i2 pauli, double, ptr)


def _native(op: str, n: int) -> Callable[[tuple[float, ...]], list[Step]]:
    def lower(angles: tuple[float, ...]) -> list[Step]:
        args = {"theta": angles[0]} if angles else {}
        return [(op, tuple(range(n)), args)]

    return lower


def _decomposed(name: str) -> Callable[[tuple[float, ...]], list[Step]]:
    """Gates without a QVM op use the shared exact decompositions of ``decompose.py``."""

    def lower(angles: tuple[float, ...]) -> list[Step]:
        from .decompose import decompose

        return decompose(name, tuple(angles))

    return lower


_PAULI_ROT = {1: "APPLY_RX", 2: "APPLY_RZ", 3: "APPLY_RY"}  # QIR Pauli encoding: I=0 X=1 Z=2 Y=3


def r_steps(pauli: int, theta: float) -> list[Step]:
    """``r__body(pauli, theta, q)`` = exp(-i theta P / 2); for P = I that is a global phase: no op."""
    op = _PAULI_ROT.get(pauli)
    return [] if op is None else [(op, (0,), {"theta": theta})]


GATES: dict[str, Gate] = {
    g.name: g
    for g in [
        Gate("h", 1, 0, _native("APPLY_H", 1)),
        Gate("x", 1, 0, _native("APPLY_X", 1)),
        Gate("y", 1, 0, _native("APPLY_Y", 1)),
        Gate("z", 1, 0, _native("APPLY_Z", 1)),
        Gate("s", 1, 0, _native("APPLY_S", 1)),
        Gate("t", 1, 0, _native("APPLY_T", 1)),
        Gate("sx", 1, 0, _native("APPLY_SX", 1)),
        Gate("rx", 1, 1, _native("APPLY_RX", 1)),
        Gate("ry", 1, 1, _native("APPLY_RY", 1)),
        Gate("rz", 1, 1, _native("APPLY_RZ", 1)),
        Gate("cnot", 2, 0, _native("APPLY_CNOT", 2)),
        Gate("cx", 2, 0, _native("APPLY_CNOT", 2)),
        Gate("cz", 2, 0, _native("APPLY_CZ", 2)),
        Gate("swap", 2, 0, _native("APPLY_SWAP", 2)),
        Gate("ccx", 3, 0, _native("APPLY_CCX", 3)),
        Gate("cy", 2, 0, _decomposed("cy")),
        Gate("rxx", 2, 1, _decomposed("rxx")),
        Gate("ryy", 2, 1, _decomposed("ryy")),
        Gate("rzz", 2, 1, _decomposed("rzz")),
        Gate("r", 1, 1, lambda a: r_steps(int(a[0]), a[1]), pauli_param=True),
    ]
}


MAX_CONTROLS = 64

# Legacy controlled forms: (gate, adjoint, number of controls) -> the qelib1 gate of decompose.py with
# the controls first, and its parameters. Only what a Q# compiler emitted for these gates is covered.
_CONTROLLED: dict[tuple[str, bool, int], tuple[str, tuple[float, ...]]] = {
    ("x", False, 1): ("cx", ()),
    ("x", True, 1): ("cx", ()),
    ("x", False, 2): ("ccx", ()),
    ("x", True, 2): ("ccx", ()),
    ("cnot", False, 1): ("ccx", ()),
    ("cnot", True, 1): ("ccx", ()),
    ("z", False, 1): ("cz", ()),
    ("z", True, 1): ("cz", ()),
    ("z", False, 2): ("ccz", ()),
    ("z", True, 2): ("ccz", ()),
    ("y", False, 1): ("cy", ()),
    ("y", True, 1): ("cy", ()),
    ("h", False, 1): ("ch", ()),
    ("h", True, 1): ("ch", ()),
    ("s", False, 1): ("cs", ()),
    ("s", True, 1): ("csdg", ()),
    ("t", False, 1): ("cp", (math.pi / 4,)),
    ("t", True, 1): ("cp", (-math.pi / 4,)),
    ("swap", False, 1): ("cswap", ()),
    ("swap", True, 1): ("cswap", ()),
}


def controlled(gate: str, adj: bool, n_controls: int) -> list[Step] | None:
    """Steps of ``gate`` (its adjoint when ``adj``) controlled on the first ``n_controls`` operands."""
    if n_controls == 0:
        g = GATES[gate]
        steps = g.lower(())
        return adjoint(steps) if adj else steps
    entry = _CONTROLLED.get((gate, adj, n_controls))
    if entry is None:
        return None
    from .decompose import decompose

    return decompose(entry[0], entry[1])


def adjoint(steps: list[Step]) -> list[Step]:
    """The inverse sequence: reversed, each step inverted by the op table (exact up to global phase)."""
    out: list[Step] = []
    for op, qs, args in reversed(steps):
        inv_op, inv_args = ops.inverse(op, args)
        out.append((inv_op, qs, inv_args))
    return out


def split_name(callee: str) -> tuple[str, str] | None:
    """``__quantum__qis__s__adj`` -> ("s", "adj"); None when it is not a QIS gate-style name."""
    m = _NAME_RE.match(callee)
    if m is None:
        return None
    return m.group(1), m.group(2)

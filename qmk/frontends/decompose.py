"""Exact decompositions of source-language gates into native QVM ops (``qmk.ops``).

Every gate of OpenQASM 2's ``qelib1.inc`` (the original specification's set plus the extended set
that Qiskit ships: ``p cp u cu sx sxdg csx rxx rzz rccx rc3x c3x c3sqrtx c4x cswap``) and the
two-qubit QIR gates without a QVM op (``rxx ryy rzz cy``) map to a list of steps
``(op_name, qubit_positions, args)``; ``qubit_positions`` index the gate's own operands (control
first, as in the source). Each expansion equals the gate's textbook matrix up to a global phase,
which tests/frontends/test_decompose.py checks against matrices written out in the test.

Why the constructions are exact (``·`` is sequential application, left first):

* Diagonal phases. ``RZ(a) = e^{-ia/2} diag(1, e^{ia})``, so a phase ``e^{ia}`` on the state
  ``|1>`` is ``RZ(a)`` up to a global phase. A phase ``λ`` on ``|1...1>`` of ``n`` qubits uses
  ``x1·x2···xn = 2^{1-n} Σ_{S≠∅} (-1)^{|S|+1} parity(S)``: each parity is gathered onto one qubit by
  CNOTs, rotated by ``RZ``, and uncomputed (``_mcphase``). All terms are diagonal, so order is free.
* Controlled single-qubit gates use the ABC construction: ``U = e^{iα} A X B X C`` with ``ABC = I``,
  giving ``C · CX · B · CX · A`` on the target and a phase ``α`` on the control.
* Conjugations: ``X = H Z H``, ``Y = S X S†``, ``SX = H S H``, ``H = RY(π/4) Z RY(-π/4)``,
  ``X⊗X`` and ``Y⊗Y`` are ``Z⊗Z`` conjugated by ``H⊗H`` and ``RX(π/2)⊗RX(π/2)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations

Step = tuple[str, tuple[int, ...], dict]

PI = math.pi


@dataclass(frozen=True, slots=True)
class GateDef:
    """A source gate: operand and parameter counts, and its expansion into native steps."""

    name: str
    num_qubits: int
    num_params: int
    expand: Callable[[tuple[float, ...]], list[Step]]


# ---------------------------------------------------------------- building blocks


def _rz(q: int, theta: float) -> Step:
    return ("APPLY_RZ", (q,), {"theta": theta})


def _ry(q: int, theta: float) -> Step:
    return ("APPLY_RY", (q,), {"theta": theta})


def _rx(q: int, theta: float) -> Step:
    return ("APPLY_RX", (q,), {"theta": theta})


def _g(op: str, *qs: int) -> Step:
    return (op, qs, {})


def _cx(c: int, t: int) -> Step:
    return ("APPLY_CNOT", (c, t), {})


def _mcphase(lam: float, qubits: tuple[int, ...]) -> list[Step]:
    """diag(1, ..., 1, e^{i lam}) on ``qubits`` (phase on the all-ones state), up to global phase."""
    n = len(qubits)
    scale = lam / 2 ** (n - 1)
    steps: list[Step] = []
    for size in range(1, n + 1):
        sign = 1.0 if size % 2 else -1.0
        for subset in combinations(qubits, size):
            target = subset[-1]
            fan = [_cx(c, target) for c in subset[:-1]]
            steps.extend(fan)
            steps.append(_rz(target, sign * scale))
            steps.extend(reversed(fan))
    return steps


def _cphase(lam: float, c: int = 0, t: int = 1) -> list[Step]:
    """diag(1, 1, 1, e^{i lam}) with 4 steps (the two-qubit case of ``_mcphase``, rearranged)."""
    return [_rz(c, lam / 2), _rz(t, lam / 2), _cx(c, t), _rz(t, -lam / 2), _cx(c, t)]


def _cu3(theta: float, phi: float, lam: float, c: int = 0, t: int = 1) -> list[Step]:
    """Controlled U(theta, phi, lam) = controlled e^{i(phi+lam)/2} RZ(phi) RY(theta) RZ(lam).

    ABC construction: C = RZ((lam-phi)/2), B = RY(-theta/2) RZ(-(phi+lam)/2), A = RZ(phi) RY(theta/2).
    A·B·C = I and A X B X C = RZ(phi) RY(theta) RZ(lam); the phase (phi+lam)/2 goes on the control.
    """
    return [
        _rz(t, (lam - phi) / 2),
        _cx(c, t),
        _rz(t, -(phi + lam) / 2),
        _ry(t, -theta / 2),
        _cx(c, t),
        _ry(t, theta / 2),
        _rz(t, phi),
        _rz(c, (phi + lam) / 2),
    ]


def _crz(theta: float, c: int = 0, t: int = 1) -> list[Step]:
    """With the control at 0 the two half rotations cancel; at 1, X RZ(-a) X = RZ(a) doubles them."""
    return [_rz(t, theta / 2), _cx(c, t), _rz(t, -theta / 2), _cx(c, t)]


def _cry(theta: float, c: int = 0, t: int = 1) -> list[Step]:
    return [_ry(t, theta / 2), _cx(c, t), _ry(t, -theta / 2), _cx(c, t)]


def _crx(theta: float, c: int = 0, t: int = 1) -> list[Step]:
    return [_g("APPLY_H", t), *_crz(theta, c, t), _g("APPLY_H", t)]


def _rzz(theta: float, a: int = 0, b: int = 1) -> list[Step]:
    """exp(-i theta Z⊗Z / 2): the parity of a, b gathered on b is rotated by RZ(theta)."""
    return [_cx(a, b), _rz(b, theta), _cx(a, b)]


def _rxx(theta: float, a: int = 0, b: int = 1) -> list[Step]:
    h = [_g("APPLY_H", a), _g("APPLY_H", b)]
    return [*h, *_rzz(theta, a, b), *h]


def _ryy(theta: float, a: int = 0, b: int = 1) -> list[Step]:
    """Y⊗Y = V (Z⊗Z) V† with V = RX(-π/2)⊗RX(-π/2), so exp(-iθ/2 Y⊗Y) = V RZZ(θ) V†.

    Applied left first that is RX(π/2) on both, then RZZ, then RX(-π/2) on both.
    """
    return [_rx(a, PI / 2), _rx(b, PI / 2), *_rzz(theta, a, b), _rx(a, -PI / 2), _rx(b, -PI / 2)]


def _rccx() -> list[Step]:
    """The relative-phase Toffoli (Margolus): qelib1's definition with u2(0,π) = H, u1(±π/4) = T/T†."""
    return [
        _g("APPLY_H", 2), _g("APPLY_T", 2), _cx(1, 2), _g("APPLY_TDG", 2), _cx(0, 2),
        _g("APPLY_T", 2), _cx(1, 2), _g("APPLY_TDG", 2), _g("APPLY_H", 2),
    ]  # fmt: skip


def _rc3x() -> list[Step]:
    """The relative-phase 3-controlled X, as defined in qelib1 (u2(0,π) = H, u1(±π/4) = T/T†)."""
    h, t, tdg = "APPLY_H", "APPLY_T", "APPLY_TDG"
    return [
        _g(h, 3), _g(t, 3), _cx(2, 3), _g(tdg, 3), _g(h, 3),
        _cx(0, 3), _g(t, 3), _cx(1, 3), _g(tdg, 3), _cx(0, 3), _g(t, 3), _cx(1, 3), _g(tdg, 3),
        _g(h, 3), _g(t, 3), _cx(2, 3), _g(tdg, 3), _g(h, 3),
    ]  # fmt: skip


def _target_h(steps: list[Step], t: int) -> list[Step]:
    """Conjugate a diagonal by H on ``t``: controlled-Z-phase becomes controlled-X-phase."""
    return [_g("APPLY_H", t), *steps, _g("APPLY_H", t)]


def _native(op: str, n: int) -> Callable[[tuple[float, ...]], list[Step]]:
    qs = tuple(range(n))
    return lambda p: [(op, qs, {})]


def _theta_native(op: str) -> Callable[[tuple[float, ...]], list[Step]]:
    return lambda p: [(op, (0,), {"theta": p[0]})]


def _defs(*items: tuple[str, int, int, Callable[[tuple[float, ...]], list[Step]]]) -> dict[str, GateDef]:
    return {name: GateDef(name, nq, np_, fn) for name, nq, np_, fn in items}


# ---------------------------------------------------------------- the tables

QELIB1: dict[str, GateDef] = _defs(
    ("u3", 1, 3, lambda p: [("APPLY_U", (0,), {"theta": p[0], "phi": p[1], "lam": p[2]})]),
    ("u", 1, 3, lambda p: [("APPLY_U", (0,), {"theta": p[0], "phi": p[1], "lam": p[2]})]),
    ("u2", 1, 2, lambda p: [("APPLY_U", (0,), {"theta": PI / 2, "phi": p[0], "lam": p[1]})]),
    ("u1", 1, 1, lambda p: [_rz(0, p[0])]),
    ("p", 1, 1, lambda p: [_rz(0, p[0])]),
    ("u0", 1, 1, _native("APPLY_I", 1)),
    ("id", 1, 0, _native("APPLY_I", 1)),
    ("x", 1, 0, _native("APPLY_X", 1)),
    ("y", 1, 0, _native("APPLY_Y", 1)),
    ("z", 1, 0, _native("APPLY_Z", 1)),
    ("h", 1, 0, _native("APPLY_H", 1)),
    ("s", 1, 0, _native("APPLY_S", 1)),
    ("sdg", 1, 0, _native("APPLY_SDG", 1)),
    ("t", 1, 0, _native("APPLY_T", 1)),
    ("tdg", 1, 0, _native("APPLY_TDG", 1)),
    ("sx", 1, 0, _native("APPLY_SX", 1)),
    ("sxdg", 1, 0, lambda p: [_g("APPLY_H", 0), _g("APPLY_SDG", 0), _g("APPLY_H", 0)]),
    ("rx", 1, 1, _theta_native("APPLY_RX")),
    ("ry", 1, 1, _theta_native("APPLY_RY")),
    ("rz", 1, 1, _theta_native("APPLY_RZ")),
    ("cx", 2, 0, _native("APPLY_CNOT", 2)),
    ("cz", 2, 0, _native("APPLY_CZ", 2)),
    ("cy", 2, 0, lambda p: [_g("APPLY_SDG", 1), _cx(0, 1), _g("APPLY_S", 1)]),
    ("swap", 2, 0, _native("APPLY_SWAP", 2)),
    ("ch", 2, 0, lambda p: [_ry(1, -PI / 4), _g("APPLY_CZ", 0, 1), _ry(1, PI / 4)]),
    ("csx", 2, 0, lambda p: _target_h(_cphase(PI / 2), 1)),
    ("cs", 2, 0, lambda p: [_g("APPLY_T", 0), _g("APPLY_T", 1), _cx(0, 1), _g("APPLY_TDG", 1), _cx(0, 1)]),
    ("csdg", 2, 0, lambda p: [_g("APPLY_TDG", 0), _g("APPLY_TDG", 1), _cx(0, 1), _g("APPLY_T", 1), _cx(0, 1)]),
    ("crx", 2, 1, lambda p: _crx(p[0])),
    ("cry", 2, 1, lambda p: _cry(p[0])),
    ("crz", 2, 1, lambda p: _crz(p[0])),
    ("cu1", 2, 1, lambda p: _cphase(p[0])),
    ("cp", 2, 1, lambda p: _cphase(p[0])),
    ("cphase", 2, 1, lambda p: _cphase(p[0])),
    ("cu3", 2, 3, lambda p: _cu3(p[0], p[1], p[2])),
    ("cu", 2, 4, lambda p: [_rz(0, p[3]), *_cu3(p[0], p[1], p[2])]),
    ("rxx", 2, 1, lambda p: _rxx(p[0])),
    ("ryy", 2, 1, lambda p: _ryy(p[0])),
    ("rzz", 2, 1, lambda p: _rzz(p[0])),
    ("ccx", 3, 0, _native("APPLY_CCX", 3)),
    ("ccz", 3, 0, _native("APPLY_CCZ", 3)),
    ("cswap", 3, 0, lambda p: [_cx(2, 1), _g("APPLY_CCX", 0, 1, 2), _cx(2, 1)]),
    ("rccx", 3, 0, lambda p: _rccx()),
    ("rc3x", 4, 0, lambda p: _rc3x()),
    ("c3x", 4, 0, lambda p: _target_h(_mcphase(PI, (0, 1, 2, 3)), 3)),
    ("c3sqrtx", 4, 0, lambda p: _target_h(_mcphase(PI / 2, (0, 1, 2, 3)), 3)),
    ("c4x", 5, 0, lambda p: _target_h(_mcphase(PI, (0, 1, 2, 3, 4)), 4)),
)

# The two-qubit QIR gates without a QVM op (the rest of the QIS maps one-to-one to an op).
QIR_GATES: dict[str, GateDef] = {name: QELIB1[name] for name in ("rxx", "ryy", "rzz", "cy")}


def decompose(name: str, params: tuple[float, ...] = ()) -> list[Step]:
    """Native steps for gate ``name`` of qelib1 (or QIR's rxx/ryy/rzz/cy); KeyError if unknown."""
    gate = QELIB1[name]
    if len(params) != gate.num_params:
        raise ValueError(f"gate {name} takes {gate.num_params} parameter(s), got {len(params)}")
    return gate.expand(tuple(params))

"""The QVM op table: every op is defined once, here.

The JSON Schema (``qmk.schema``), the verifier (``qmk.passes.verify``), the simulators, the optimizer's
inverse rules and the estimator's counts all read this table, so adding an op is one entry.

Matrix convention: ``vqs[0]`` is the most significant bit of the matrix index (big-endian), so
``APPLY_CNOT`` with ``vqs=[c, t]`` has the textbook matrix ``[[1,0,0,0],[0,1,0,0],[0,0,0,1],[0,0,1,0]]``.
Angles are radians. Inverses are exact up to a global phase.
"""

from __future__ import annotations

import cmath
import math
from dataclasses import dataclass, field
from typing import Callable

# The capability vocabulary (design.md section 2).
CAPABILITIES: tuple[str, ...] = (
    "CAP_ALLOC",
    "CAP_MEASURE",
    "CAP_MAGIC",
    "CAP_TELEPORT",
    "CAP_LINK",
    "CAP_CHECKPOINT",
    "CAP_DEBUG",
)

# Argument types understood by the verifier and the schema generator.
ARG_TYPES = ("angle", "count", "profile", "str", "pauli_mask", "chan_opts", "object")


@dataclass(frozen=True, slots=True)
class ArgSpec:
    name: str
    type: str  # one of ARG_TYPES
    required: bool = True
    doc: str = ""


@dataclass(frozen=True, slots=True)
class OpSpec:
    """Static facts about one op."""

    name: str
    kind: str  # lifecycle | gate | measure | control | composite | channel | admin
    min_qubits: int = 0
    max_qubits: int | None = 0  # None: no upper bound
    n_chs: int = 0
    args: tuple[ArgSpec, ...] = ()
    produces: int = 0  # number of events the node must produce
    needs_inputs: bool = False  # reads events through ``inputs`` (COND_PAULI)
    cap: str | None = None
    unitary: bool = False  # acts on its qubits as a fixed unitary (given its args)
    diagonal: bool = False  # unitary is diagonal in the computational basis
    clifford: bool = False  # Clifford for every value of its args
    inverse: Callable[[dict], tuple[str, dict]] | None = None
    matrix: Callable[[dict], "object"] | None = field(default=None, repr=False)
    doc: str = ""

    @property
    def arity(self) -> int | None:
        """Fixed qubit count, or None when the op takes a variable number of qubits."""
        return self.min_qubits if self.min_qubits == self.max_qubits else None

    @property
    def angle_args(self) -> tuple[str, ...]:
        return tuple(a.name for a in self.args if a.type == "angle")

    @property
    def is_gate(self) -> bool:
        return self.kind == "gate"

    def arg(self, name: str) -> ArgSpec | None:
        for a in self.args:
            if a.name == name:
                return a
        return None


# ---------------------------------------------------------------- matrices (numpy imported lazily)

_SQ2 = 1.0 / math.sqrt(2.0)


def _np():
    import numpy

    return numpy


def _const(rows):
    def build(_args):
        return _np().array(rows, dtype=complex)

    return build


def _rx(args):
    t = float(args["theta"]) / 2
    c, s = math.cos(t), math.sin(t)
    return _np().array([[c, -1j * s], [-1j * s, c]], dtype=complex)


def _ry(args):
    t = float(args["theta"]) / 2
    c, s = math.cos(t), math.sin(t)
    return _np().array([[c, -s], [s, c]], dtype=complex)


def _rz(args):
    t = float(args["theta"]) / 2
    return _np().array([[cmath.exp(-1j * t), 0], [0, cmath.exp(1j * t)]], dtype=complex)


def _u(args):
    th, ph, la = float(args["theta"]), float(args["phi"]), float(args["lam"])
    c, s = math.cos(th / 2), math.sin(th / 2)
    return _np().array(
        [[c, -cmath.exp(1j * la) * s], [cmath.exp(1j * ph) * s, cmath.exp(1j * (ph + la)) * c]],
        dtype=complex,
    )


def _diag(values):
    def build(_args):
        return _np().diag(_np().array(values, dtype=complex))

    return build


def _ccx(_args):
    m = _np().eye(8, dtype=complex)
    m[6, 6] = m[7, 7] = 0
    m[6, 7] = m[7, 6] = 1
    return m


# ---------------------------------------------------------------- inverse rules


def _self(name):
    return lambda args: (name, {})


def _to(name):
    return lambda args: (name, {})


def _neg_theta(name):
    return lambda args: (name, {"theta": -float(args["theta"])})


def _u_inverse(args):
    return ("APPLY_U", {"theta": -float(args["theta"]), "phi": -float(args["lam"]), "lam": -float(args["phi"])})


# ---------------------------------------------------------------- the table

_THETA = (ArgSpec("theta", "angle", doc="rotation angle in radians"),)
_U_ARGS = (
    ArgSpec("theta", "angle"),
    ArgSpec("phi", "angle"),
    ArgSpec("lam", "angle"),
)


def _gate(name, n, matrix, inverse, *, args=(), diagonal=False, clifford=False, cap=None, doc=""):
    return OpSpec(
        name=name,
        kind="gate",
        min_qubits=n,
        max_qubits=n,
        args=args,
        cap=cap,
        unitary=True,
        diagonal=diagonal,
        clifford=clifford,
        inverse=inverse,
        matrix=matrix,
        doc=doc,
    )


_W = cmath.exp(1j * math.pi / 4)

_OPS: list[OpSpec] = [
    OpSpec(
        "ALLOC_LQ",
        "lifecycle",
        min_qubits=1,
        max_qubits=None,
        args=(
            ArgSpec("n", "count", doc="number of qubits; equals len(vqs)"),
            ArgSpec("profile", "profile", required=False, doc="QEC profile, e.g. logical:surface_code(d=9)"),
        ),
        cap="CAP_ALLOC",
        doc="Allocate logical qubits in |0>.",
    ),
    OpSpec("FREE_LQ", "lifecycle", min_qubits=1, max_qubits=None, doc="Release logical qubits."),
    OpSpec("RESET", "lifecycle", min_qubits=1, max_qubits=1, doc="Put a qubit back into |0>."),
    OpSpec("FENCE_EPOCH", "lifecycle", doc="Order everything before it before everything after it."),
    OpSpec(
        "BAR_REGION",
        "lifecycle",
        min_qubits=0,
        max_qubits=None,
        args=(ArgSpec("tag", "str", required=False, doc="region name for telemetry"),),
        doc="A named region marker; no effect on the state.",
    ),
    _gate("APPLY_I", 1, _const([[1, 0], [0, 1]]), _self("APPLY_I"), diagonal=True, clifford=True, doc="Identity."),
    _gate("APPLY_H", 1, _const([[_SQ2, _SQ2], [_SQ2, -_SQ2]]), _self("APPLY_H"), clifford=True, doc="Hadamard."),
    _gate("APPLY_X", 1, _const([[0, 1], [1, 0]]), _self("APPLY_X"), clifford=True, doc="Pauli X."),
    _gate("APPLY_Y", 1, _const([[0, -1j], [1j, 0]]), _self("APPLY_Y"), clifford=True, doc="Pauli Y."),
    _gate("APPLY_Z", 1, _diag([1, -1]), _self("APPLY_Z"), diagonal=True, clifford=True, doc="Pauli Z."),
    _gate("APPLY_S", 1, _diag([1, 1j]), _to("APPLY_SDG"), diagonal=True, clifford=True, doc="Phase S = diag(1, i)."),
    _gate("APPLY_SDG", 1, _diag([1, -1j]), _to("APPLY_S"), diagonal=True, clifford=True, doc="S dagger."),
    _gate("APPLY_T", 1, _diag([1, _W]), _to("APPLY_TDG"), diagonal=True, doc="T = diag(1, e^{i pi/4})."),
    _gate("APPLY_TDG", 1, _diag([1, _W.conjugate()]), _to("APPLY_T"), diagonal=True, doc="T dagger."),
    _gate(
        "APPLY_SX",
        1,
        _const([[(1 + 1j) / 2, (1 - 1j) / 2], [(1 - 1j) / 2, (1 + 1j) / 2]]),
        lambda args: ("APPLY_RX", {"theta": -math.pi / 2}),
        clifford=True,
        doc="Square root of X; its inverse is RX(-pi/2) up to global phase.",
    ),
    _gate("APPLY_RX", 1, _rx, _neg_theta("APPLY_RX"), args=_THETA, doc="exp(-i theta X / 2)."),
    _gate("APPLY_RY", 1, _ry, _neg_theta("APPLY_RY"), args=_THETA, doc="exp(-i theta Y / 2)."),
    _gate("APPLY_RZ", 1, _rz, _neg_theta("APPLY_RZ"), args=_THETA, diagonal=True, doc="exp(-i theta Z / 2)."),
    _gate("APPLY_U", 1, _u, _u_inverse, args=_U_ARGS, doc="OpenQASM U(theta, phi, lam)."),
    _gate(
        "APPLY_CNOT",
        2,
        _const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
        _self("APPLY_CNOT"),
        clifford=True,
        doc="Controlled X; vqs = [control, target].",
    ),
    _gate("APPLY_CZ", 2, _diag([1, 1, 1, -1]), _self("APPLY_CZ"), diagonal=True, clifford=True, doc="Controlled Z."),
    _gate(
        "APPLY_SWAP",
        2,
        _const([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
        _self("APPLY_SWAP"),
        clifford=True,
        doc="Swap two qubits.",
    ),
    _gate("APPLY_CCX", 3, _ccx, _self("APPLY_CCX"), doc="Toffoli; vqs = [control, control, target]."),
    _gate("APPLY_CCZ", 3, _diag([1, 1, 1, 1, 1, 1, 1, -1]), _self("APPLY_CCZ"), diagonal=True, doc="Doubly controlled Z."),
    OpSpec("MEASURE_Z", "measure", 1, 1, produces=1, cap="CAP_MEASURE", doc="Projective Z measurement."),
    OpSpec("MEASURE_X", "measure", 1, 1, produces=1, cap="CAP_MEASURE", doc="Projective X measurement."),
    OpSpec("MEASURE_Y", "measure", 1, 1, produces=1, cap="CAP_MEASURE", doc="Projective Y measurement."),
    OpSpec(
        "MEASURE_ANGLE",
        "measure",
        1,
        1,
        args=(ArgSpec("angle", "angle", doc="basis angle from the Z axis in the X-Z plane"),),
        produces=1,
        cap="CAP_MEASURE",
        doc="Projective measurement of cos(a) Z + sin(a) X.",
    ),
    OpSpec(
        "MEASURE_BELL",
        "measure",
        2,
        2,
        produces=2,
        cap="CAP_MEASURE",
        doc="Bell-basis measurement; produces [XX outcome, ZZ outcome].",
    ),
    OpSpec(
        "COND_PAULI",
        "control",
        1,
        None,
        args=(ArgSpec("mask", "pauli_mask", doc="one of I X Y Z per qubit"),),
        needs_inputs=True,
        doc="Apply the Pauli mask when the XOR of the input events is 1.",
    ),
    OpSpec("INJECT_T_STATE", "composite", 1, 1, cap="CAP_MAGIC", doc="Prepare (|0> + e^{i pi/4}|1>)/sqrt 2."),
    OpSpec(
        "TELEPORT_CNOT",
        "composite",
        2,
        2,
        cap="CAP_TELEPORT",
        unitary=True,
        clifford=True,
        inverse=_to("TELEPORT_CNOT"),
        matrix=_const([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
        doc="CNOT by gate teleportation; vqs = [control, target].",
    ),
    OpSpec(
        "OPEN_CHAN",
        "channel",
        2,
        2,
        n_chs=1,
        args=(ArgSpec("opts", "chan_opts", required=False, doc="{fidelity: (0, 1], type: str}"),),
        cap="CAP_LINK",
        doc="Open an entanglement channel: a Bell pair on its two qubits.",
    ),
    OpSpec(
        "USE_CHAN",
        "channel",
        0,
        None,
        n_chs=1,
        args=(ArgSpec("semantic", "str", required=False, doc="what the entanglement is used for"),),
        doc="Consume the entanglement of an open channel.",
    ),
    OpSpec("CLOSE_CHAN", "channel", n_chs=1, doc="Close a channel."),
    OpSpec("SET_POLICY", "admin", args=(), doc="Scheduling hints in args (priority, deadline, ...)."),
]

OPS: dict[str, OpSpec] = {spec.name: spec for spec in _OPS}
OP_NAMES: tuple[str, ...] = tuple(OPS)
GATES: tuple[str, ...] = tuple(n for n, s in OPS.items() if s.kind == "gate")
MEASUREMENTS: tuple[str, ...] = tuple(n for n, s in OPS.items() if s.kind == "measure")


def spec(name: str) -> OpSpec:
    """The spec of op ``name``; raises KeyError for an unknown op."""
    return OPS[name]


def matrix(name: str, args: dict | None = None):
    """The unitary of a gate as a numpy array (big-endian in ``vqs`` order)."""
    s = OPS[name]
    if s.matrix is None:
        raise ValueError(f"{name} has no matrix")
    return s.matrix(args or {})


def inverse(name: str, args: dict | None = None) -> tuple[str, dict]:
    """(op, args) of the inverse of a gate, exact up to a global phase."""
    s = OPS[name]
    if s.inverse is None:
        raise ValueError(f"{name} has no inverse")
    return s.inverse(args or {})

"""Logical counts of a QVM program by the reference estimator's rules (qre-model.md section 3).

The reference executes a program with a counting backend; this module walks the QVM nodes once, in
program order, with the same rules:

- ``APPLY_CCX``/``APPLY_CCZ``: one CCZ; its layer is the max level of its three qubits, which all move
  one past it. ``APPLY_T``/``APPLY_TDG`` (and ``INJECT_T_STATE``, one T state): one T at the qubit's level.
- ``APPLY_RX/RY/RZ`` (theta): m = round-half-away(theta / (pi/4)); when |m pi/4 - theta| <= 2^-52
  (an absolute test, as in the reference) an odd m mod 8 is a T gate and an even one is free; otherwise
  one rotation at the qubit's level. ``APPLY_U(theta, phi, lam)`` = RZ(phi) RY(theta) RZ(lam) up to a
  global phase, classified as those three rotations in time order. ``MEASURE_ANGLE`` (a) classifies a
  basis-change RY(a) before its measurement.
- Two-qubit Cliffords (CNOT, CZ, SWAP, TELEPORT_CNOT): both qubits take the larger level. The QIR
  ``rxx/ryy/rzz`` reach QVM as CNOT, RZ, CNOT (with free H or RX(pi/2) around them); since the CNOTs
  synchronise both qubits, the rotation lands in the same layer as the reference's cx-rz-cx.
- Every measured outcome counts one measurement (``MEASURE_BELL`` two). Everything else is free.
- Qubits: the peak number allocated at once; a released qubit's level goes on a LIFO stack and the
  next allocation takes it, as the reference's free list does. For QIR input the entry point's
  ``required_num_qubits`` (kept by the frontend in ``metadata["qir"]``) is used instead.
- rotationDepth is the number of layers that hold at least one rotation.

Branches: a guarded node (a branch on measured outcomes) is counted as if it runs, so the counts are
an upper bound over all paths. The reference instead follows one random path, so programs whose
branches differ in non-Clifford content can differ from it; programs without such branches match.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from .layout import LogicalCounts

_QUARTER = math.pi / 4.0
_EPS = 2.220446049250313e-16
_FREE = frozenset({
    "APPLY_I", "APPLY_H", "APPLY_X", "APPLY_Y", "APPLY_Z", "APPLY_S", "APPLY_SDG", "APPLY_SX", "RESET",
    "FENCE_EPOCH", "BAR_REGION", "COND_PAULI", "OPEN_CHAN", "USE_CHAN", "CLOSE_CHAN", "SET_POLICY",
})


class Counter:
    """The reference's layer bookkeeping over qubit handles."""

    __slots__ = ("ccz", "free_levels", "layers_r", "level", "live", "m", "n_layers", "peak", "r", "t")

    def __init__(self) -> None:
        self.level: dict[str, int] = {}
        self.layers_r: set[int] = set()  # indices of layers that hold a rotation
        self.n_layers = 0
        self.t = self.r = self.ccz = self.m = 0
        self.live = self.peak = 0
        self.free_levels: list[int] = []

    def _lvl(self, q: str) -> int:
        lv = self.level.get(q)
        if lv is None:  # used without an ALLOC_LQ: allocate it implicitly, as the reference does
            self.alloc(q)
            lv = self.level[q]
        return lv

    def alloc(self, q: str) -> None:
        self.level[q] = self.free_levels.pop() if self.free_levels else 0
        self.live += 1
        self.peak = max(self.peak, self.live)

    def free(self, q: str) -> None:
        lv = self.level.pop(q, None)
        if lv is not None:
            self.free_levels.append(lv)
            self.live -= 1

    def t_gate(self, q: str) -> None:
        lv = self._lvl(q)
        self.t += 1
        if lv == self.n_layers:
            self.n_layers += 1
        self.level[q] = lv + 1

    def rotation(self, theta: float, q: str) -> None:
        multiple = theta / _QUARTER
        m = math.floor(abs(multiple) + 0.5) * (1 if multiple >= 0 else -1) if math.isfinite(multiple) else math.nan
        if not math.isnan(m) and abs(m * _QUARTER - theta) <= _EPS:
            if int(m) % 8 & 1:
                self.t_gate(q)
            return
        lv = self._lvl(q)
        self.r += 1
        if lv == self.n_layers:
            self.n_layers += 1
        self.layers_r.add(lv)
        self.level[q] = lv + 1

    def ccz_gate(self, a: str, b: str, c: str) -> None:
        d = max(self._lvl(a), self._lvl(b), self._lvl(c))
        self.ccz += 1
        if d == self.n_layers:
            self.n_layers += 1
        self.level[a] = self.level[b] = self.level[c] = d + 1

    def sync(self, a: str, b: str) -> None:
        d = max(self._lvl(a), self._lvl(b))
        self.level[a] = self.level[b] = d

    def counts(self, num_qubits: int | None = None) -> LogicalCounts:
        return LogicalCounts(
            num_qubits=self.peak if num_qubits is None else num_qubits, t_count=self.t, rotation_count=self.r,
            rotation_depth=len(self.layers_r), ccz_count=self.ccz, ccix_count=0, measurement_count=self.m,
        )


def feed(c: Counter, op: str, vqs, args) -> None:
    """Apply one node (op name, qubit handles, args mapping) to the counter."""
    if op in _FREE:
        return
    if op == "APPLY_T" or op == "APPLY_TDG" or op == "INJECT_T_STATE":
        c.t_gate(vqs[0])
    elif op == "APPLY_RZ" or op == "APPLY_RX" or op == "APPLY_RY":
        c.rotation(float(args["theta"]), vqs[0])
    elif op == "APPLY_CNOT" or op == "APPLY_CZ" or op == "APPLY_SWAP" or op == "TELEPORT_CNOT":
        c.sync(vqs[0], vqs[1])
    elif op == "APPLY_CCX" or op == "APPLY_CCZ":
        c.ccz_gate(vqs[0], vqs[1], vqs[2])
    elif op.startswith("MEASURE_"):
        if op == "MEASURE_ANGLE":
            c.rotation(float(args["angle"]), vqs[0])
        c.m += 2 if op == "MEASURE_BELL" else 1
    elif op == "ALLOC_LQ":
        for q in vqs:
            c.alloc(q)
    elif op == "FREE_LQ":
        for q in vqs:
            c.free(q)
    elif op == "APPLY_U":
        q = vqs[0]
        c.rotation(float(args["lam"]), q)
        c.rotation(float(args["theta"]), q)
        c.rotation(float(args["phi"]), q)
    else:
        raise ValueError(f"the estimator has no counting rule for op {op}")


def count_nodes(nodes: Iterable, num_qubits: int | None = None) -> LogicalCounts:
    """Counts from an iterable of nodes (objects with ``op``, ``vqs``, ``args``), in one linear pass."""
    c = Counter()
    for n in nodes:
        feed(c, n.op, n.vqs, n.args)
    return c.counts(num_qubits)


def required_qubits(metadata: dict) -> int | None:
    """``required_num_qubits`` of a QIR entry point, if the frontend recorded it."""
    qir = metadata.get("qir") if isinstance(metadata, dict) else None
    value = qir.get("required_num_qubits") if isinstance(qir, dict) else None
    if value is None and isinstance(metadata, dict):
        value = metadata.get("required_num_qubits")
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def count_program(program) -> LogicalCounts:
    """Logical counts of a QVM Program (numQubits from required_num_qubits when known)."""
    return count_nodes(program.nodes, required_qubits(program.metadata))

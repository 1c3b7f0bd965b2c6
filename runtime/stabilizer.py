"""The stabilizer engine on stim, for Clifford-only programs (thousands of qubits).

Two ways in, both exact for Clifford programs:

* ``StimEngine`` implements the engine interface over ``stim.TableauSimulator``; the executor uses it
  shot by shot for programs with guards.
* ``StimCircuitBuilder`` turns a whole program without guards into one ``stim.Circuit`` and samples all
  shots at once with stim's compiled sampler. Measurement feedback that stim expresses natively is kept:
  ``COND_PAULI`` becomes classically controlled Paulis (``CX rec[-k] q``), ``TELEPORT_CNOT`` is the
  measurement-based protocol (ancilla in |+>, ``MPP Z*Z`` and ``X*X``, ancilla readout, corrections
  controlled by the records), a Werner channel is a Bell pair followed by ``DEPOLARIZE1(1-F)``, and
  noise is stim's ``DEPOLARIZE1``.

The gate-teleported CNOT: with the ancilla a in |+>, m1 = Z_c Z_a, m2 = X_a X_t, m3 = Z_a, the
corrections X_t^(m1 xor m3) and Z_c^m2 leave exactly CNOT(c, t) (checked against the CNOT matrix in
tests/runtime on random two-qubit states).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from qmk import ops

from .engine import Engine, EngineError, check_angle

STIM_GATES: dict[str, str] = {
    "APPLY_I": "I",
    "APPLY_H": "H",
    "APPLY_X": "X",
    "APPLY_Y": "Y",
    "APPLY_Z": "Z",
    "APPLY_S": "S",
    "APPLY_SDG": "S_DAG",
    "APPLY_SX": "SQRT_X",
    "APPLY_CNOT": "CX",
    "APPLY_CZ": "CZ",
    "APPLY_SWAP": "SWAP",
    "TELEPORT_CNOT": "CX",
}


_ROTATIONS = {  # rotation by k*pi/2, k = 0..3, up to a global phase
    "APPLY_RX": ("I", "SQRT_X", "X", "SQRT_X_DAG"),
    "APPLY_RY": ("I", "SQRT_Y", "Y", "SQRT_Y_DAG"),
    "APPLY_RZ": ("I", "S", "Z", "S_DAG"),
}


def stim_gate(op: str, args: Mapping) -> str | None:
    """The stim gate equal (up to global phase) to QVM gate ``op`` with ``args``, or None."""
    name = STIM_GATES.get(op)
    if name is None and op in _ROTATIONS:
        k = angle_quadrant(args.get("theta", 0.0))
        name = None if k is None else _ROTATIONS[op][k]
    return name


def angle_quadrant(angle) -> int | None:
    """k when ``angle`` is k*pi/2 (k in 0..3) to within 1e-12, else None."""
    a = check_angle(angle, "measurement angle")
    k = a / (math.pi / 2)
    r = round(k)
    return int(r) % 4 if abs(k - r) < 1e-12 else None


def clifford_node(op: str, args: Mapping) -> bool:
    """Whether a node keeps a stabilizer state stabilizer (so stim can run it exactly)."""
    spec = ops.OPS.get(op)
    if spec is None:
        return False
    if spec.kind == "gate":
        return stim_gate(op, args) is not None
    if op == "MEASURE_ANGLE":
        return angle_quadrant(args.get("angle", 0.0)) is not None
    return op != "INJECT_T_STATE"


class StimEngine(Engine):
    """Engine interface over stim.TableauSimulator (Clifford operations only)."""

    name = "stabilizer"

    def __init__(self, rng=None):
        import stim

        self.rng = rng if rng is not None else np.random.default_rng()
        self._sim = stim.TableauSimulator(seed=int(self.rng.integers(2**63)))
        self._live: set[int] = set()
        self._free: list[int] = []
        self._next = 0
        self.peak_qubits = 0

    @property
    def num_qubits(self) -> int:
        return len(self._live)

    def _check(self, q: int) -> int:
        if q not in self._live:
            raise EngineError(f"qubit slot {q} is not live")
        return q

    def allocate(self) -> int:
        if self._free:
            q = self._free.pop()
        else:
            q = self._next
            self._next += 1
        self._live.add(q)
        self.peak_qubits = max(self.peak_qubits, len(self._live))
        return q

    def release(self, q: int) -> None:
        self._check(q)
        self._sim.reset(q)  # tracing out, then |0> ready for reuse
        self._live.discard(q)
        self._free.append(q)

    def apply(self, op: str, qubits: Sequence[int], args: Mapping | None = None) -> None:
        name = stim_gate(op, args or {})
        if name is None:
            raise EngineError(f"{op} is not a Clifford gate; the stabilizer engine cannot run it")
        for q in qubits:
            self._check(q)
        if len(set(qubits)) != len(qubits):
            raise EngineError(f"the same qubit appears twice in {list(qubits)}")
        self._sim.do(_stim_circuit_op(name, qubits))

    def apply_matrix(self, m, qubits: Sequence[int]) -> None:
        raise EngineError("the stabilizer engine cannot apply an arbitrary matrix")

    def measure(self, q: int, basis: str = "Z", angle: float | None = None) -> int:
        self._check(q)
        flip = False
        if basis == "ANGLE":
            k = angle_quadrant(angle)
            if k is None:
                raise EngineError(f"a measurement at angle {angle} is not a stabilizer operation")
            basis, flip = ("Z", "X", "Z", "X")[k], k >= 2
        if basis == "Z":
            b = self._sim.measure(q)
        elif basis == "X":
            self._sim.h(q)
            b = self._sim.measure(q)
            self._sim.h(q)
        elif basis == "Y":
            self._sim.h_yz(q)
            b = self._sim.measure(q)
            self._sim.h_yz(q)
        else:
            raise EngineError(f"unknown measurement basis '{basis}'")
        return int(b) ^ int(flip)

    def measure_pauli(self, qubits: Sequence[int], paulis: str) -> int:
        import stim

        ps = stim.PauliString(self._next)
        for q, p in zip(qubits, paulis):
            self._check(q)
            ps[q] = p
        return int(self._sim.measure_observable(ps))

    def sample(self, shots: int, qubits: Sequence[int]) -> np.ndarray:
        out = np.empty((shots, len(qubits)), dtype=np.uint8)
        for s in range(shots):
            c = self._sim.copy()
            out[s] = c.measure_many(*qubits)
        return out

    def copy(self) -> StimEngine:
        new = StimEngine.__new__(StimEngine)
        new.__dict__.update(self.__dict__)
        new._sim = self._sim.copy()
        new._live = set(self._live)
        new._free = list(self._free)
        return new


def _stim_circuit_op(name: str, qubits: Sequence[int]):
    import stim

    c = stim.Circuit()
    c.append(name, list(qubits))
    return c


class StimCircuitBuilder:
    """Build one stim.Circuit for a program without guards; ``events`` maps event -> record index."""

    def __init__(self) -> None:
        import stim

        self.stim = stim
        self.circuit = stim.Circuit()
        self.n_records = 0
        self.events: dict[str, int] = {}
        self._free: list[int] = []
        self._next = 0
        self._live = 0
        self.peak_qubits = 0

    def qubit(self) -> int:
        q = self._free.pop() if self._free else self._next
        if q == self._next:
            self._next += 1
        self._live += 1
        self.peak_qubits = max(self.peak_qubits, self._live)
        return q

    def free(self, q: int) -> None:
        self.circuit.append("R", [q])  # released state is traced out; reuse starts in |0>
        self._live -= 1
        self._free.append(q)

    def op(self, name: str, targets: Sequence, arg=None) -> None:
        self.circuit.append(name, list(targets), arg) if arg is not None else self.circuit.append(name, list(targets))

    def measure(self, q: int, basis: str = "Z", invert: bool = False, event: str | None = None) -> int:
        t = self.stim.target_inv(q) if invert else q
        self.circuit.append({"Z": "M", "X": "MX", "Y": "MY"}[basis], [t])
        return self._record(event)

    def mpp(self, q1: int, q2: int, letter: str) -> int:
        tg = getattr(self.stim, f"target_{letter.lower()}")
        self.circuit.append("MPP", [tg(q1), self.stim.target_combiner(), tg(q2)])
        return self._record(None)

    def _record(self, event: str | None) -> int:
        i = self.n_records
        self.n_records += 1
        if event is not None:
            self.events[event] = i
        return i

    def rec(self, index: int):
        return self.stim.target_rec(index - self.n_records)

    def controlled_pauli(self, record: int, q: int, letter: str) -> None:
        if letter != "I":
            self.circuit.append("C" + letter, [self.rec(record), q])

    def teleport_cnot(self, c: int, t: int) -> None:
        a = self.qubit()
        self.circuit.append("RX", [a])
        m1 = self.mpp(c, a, "Z")
        m2 = self.mpp(a, t, "X")
        m3 = self.measure(a)
        self.controlled_pauli(m1, t, "X")
        self.controlled_pauli(m3, t, "X")
        self.controlled_pauli(m2, c, "Z")
        self.free(a)

    def compiled(self, seed: int):
        """A function k -> k sampled rows of all records (uint8), from one compiled sampler."""
        if self.n_records == 0:
            return lambda k: np.zeros((k, 0), dtype=np.uint8)
        sampler = self.circuit.compile_sampler(seed=seed)
        return lambda k: sampler.sample(k).astype(np.uint8)

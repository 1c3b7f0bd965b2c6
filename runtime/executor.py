"""The executor: runs QVM nodes on an engine, one op at a time, with guards, feedback and noise.

``Machine`` holds one shot's world: the engine, the map from QVM qubit names to engine slots, the event
values and the per-qubit fault rates. ``Machine.step`` is the semantics of every op (qmk.ops is the
source of truth for operand shapes):

* ``ALLOC_LQ``/``FREE_LQ`` allocate and release engine qubits, so the engine's width follows the live
  set; ``RESET`` is a Z measurement and a conditional X.
* ``MEASURE_Z/X/Y/ANGLE`` are projective in their basis; ``MEASURE_BELL`` is CNOT(a, b), H(a), measure
  a -> [XX outcome] and b -> [ZZ outcome], then H(a), CNOT(a, b) so the pair is left in the Bell state
  it was found in.
* ``COND_PAULI`` applies ``args.mask`` (a letter per qubit) when the XOR of its input events is 1.
* ``INJECT_T_STATE`` resets the qubit and prepares T H |0> = (|0> + e^{i pi/4}|1>)/sqrt 2.
* ``TELEPORT_CNOT`` runs the measurement-based protocol of stabilizer.py's docstring on a fresh ancilla
  (joint Z_c Z_a and X_a X_t measurements, ancilla readout, Pauli corrections).
* ``OPEN_CHAN`` resets both qubits and makes |Phi+>; with ``opts.fidelity`` F < 1 a uniformly random X, Y
  or Z hits the first qubit with probability 1 - F, which is exactly the Werner state of fidelity F.
* ``USE_CHAN``/``CLOSE_CHAN``/``FENCE_EPOCH``/``BAR_REGION``/``SET_POLICY`` do not touch the state; they
  are counted in telemetry (``plan``).

A guard that reads an event its (guarded) producer never produced reads 0, as a QIR result that was never
written reads Zero. In *deferred* mode (used when a whole run can be sampled from one simulation, see
``plan.py``) measurements only rotate their basis onto Z and are sampled jointly at the end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from qmk.ir import Node, Program, eval_guard

from .engine import Engine, EngineError, check_angle
from .errors import RunCancelled

_BASIS = {"MEASURE_Z": "Z", "MEASURE_X": "X", "MEASURE_Y": "Y", "MEASURE_ANGLE": "ANGLE"}
_BOOKKEEPING = frozenset(("FENCE_EPOCH", "BAR_REGION", "SET_POLICY", "USE_CHAN", "CLOSE_CHAN"))


def channel_fidelity(node: Node) -> float:
    """``args.opts.fidelity`` of an OPEN_CHAN (1 when absent)."""
    opts = node.args.get("opts") or {}
    f = opts.get("fidelity", 1.0) if isinstance(opts, Mapping) else 1.0
    f = check_angle(f, "channel fidelity")
    if not 0 < f <= 1:
        raise EngineError(f"node '{node.id}': channel fidelity {f} is not in (0, 1]")
    return f


def teleport_cnot(engine: Engine, c: int, t: int) -> None:
    """CNOT(c, t) by gate teleportation through an ancilla (see stabilizer.py for the protocol)."""
    a = engine.allocate()
    engine.apply("APPLY_H", (a,))
    m1 = engine.measure_pauli((c, a), "ZZ")
    m2 = engine.measure_pauli((a, t), "XX")
    m3 = engine.measure(a, "Z")
    if m3:
        engine.apply("APPLY_X", (a,))
    engine.release(a)
    if m1 ^ m3:
        engine.apply("APPLY_X", (t,))
    if m2:
        engine.apply("APPLY_Z", (c,))


class Machine:
    """One shot's state: engine, qubit map, events, fault rates."""

    def __init__(self, engine: Engine, program: Program, *, noise=None, cancel=None, deferred: bool = False,
                 progress: Callable[[int, int], None] | None = None):
        self.engine = engine
        self.program = program
        self.noise = noise
        self.cancel = cancel
        self.deferred = deferred
        self.progress = progress
        self.slots: dict[str, int] = {}
        self.rates: dict[int, float] = {}
        self.events: dict[str, int] = dict.fromkeys(program.resources.events, 0)
        self.pending: list[tuple[str, int]] = []  # deferred measurements: (event, slot)

    def copy(self) -> Machine:
        m = Machine.__new__(Machine)
        m.__dict__.update(self.__dict__)
        m.engine = self.engine.copy()
        m.slots, m.rates, m.events, m.pending = dict(self.slots), dict(self.rates), dict(self.events), list(self.pending)
        return m

    def run(self, start: int = 0, stop: int | None = None) -> None:
        nodes = self.program.nodes
        stop = len(nodes) if stop is None else stop
        cancel, progress = self.cancel, self.progress
        for i in range(start, stop):
            if cancel is not None and cancel.is_set():
                raise RunCancelled("run cancelled")
            if progress is not None and not i & 255:
                progress(i, stop)
            node = nodes[i]
            if node.guard is not None and not eval_guard(node.guard, self.events):
                continue
            try:
                self.step(node)
            except KeyError as e:
                raise EngineError(f"node '{node.id}': {e.args[0]!r} is not live or not declared") from None
            except EngineError as e:
                if e.message.startswith("node '"):
                    raise
                raise EngineError(f"node '{node.id}' ({node.op}): {e.message}") from None

    def _faults(self, slots: Sequence[int]) -> None:
        if self.noise is None:
            return
        rng = self.engine.rng
        for s in slots:
            r = self.rates.get(s, 0.0)
            if r and rng.random() < r:
                self.engine.apply_pauli(s, "XYZ"[int(rng.integers(3))])

    def _measure(self, event: str, slot: int, basis: str, angle: float | None = None) -> None:
        if not self.deferred:
            self.events[event] = self.engine.measure(slot, basis, angle)
            return
        if basis == "X":
            self.engine.apply("APPLY_H", (slot,))
        elif basis == "Y":
            self.engine.apply("APPLY_SDG", (slot,))
            self.engine.apply("APPLY_H", (slot,))
        elif basis == "ANGLE":
            self.engine.apply("APPLY_RY", (slot,), {"theta": -check_angle(angle)})
        self.pending.append((event, slot))

    def step(self, node: Node) -> None:
        op, eng = node.op, self.engine
        if op in _BOOKKEEPING:
            return
        if op == "ALLOC_LQ":
            prof = node.args.get("profile")
            for vq, s in zip(node.vqs, eng.allocate_many(len(node.vqs))):
                self.slots[vq] = s
                if self.noise is not None:
                    self.rates[s] = self.noise.rate(prof)
            return
        slots = [self.slots[v] for v in node.vqs]
        if op == "FREE_LQ":
            for v, s in zip(node.vqs, slots):
                del self.slots[v]
                if not self.deferred:
                    eng.release(s)
        elif op in _BASIS:
            self._faults(slots)
            self._measure(node.produces[0], slots[0], _BASIS[op], node.args.get("angle"))
        elif op == "MEASURE_BELL":
            self._faults(slots)
            a, b = slots
            eng.apply("APPLY_CNOT", (a, b))
            eng.apply("APPLY_H", (a,))
            self._measure(node.produces[0], a, "Z")
            self._measure(node.produces[1], b, "Z")
            if not self.deferred:
                eng.apply("APPLY_H", (a,))
                eng.apply("APPLY_CNOT", (a, b))
        elif op == "RESET":
            eng.reset(slots[0])
            self._faults(slots)
        elif op == "COND_PAULI":
            x = 0
            for e in node.inputs:
                x ^= self.events[e]
            if x:
                mask = str(node.args.get("mask", ""))
                if len(mask) == 1:
                    mask = mask * len(slots)
                if len(mask) != len(slots) or any(c not in "IXYZ" for c in mask):
                    raise EngineError(f"Pauli mask '{mask}' does not give one of I X Y Z per qubit")
                for s, letter in zip(slots, mask):
                    eng.apply_pauli(s, letter)
            self._faults(slots)
        elif op == "INJECT_T_STATE":
            eng.reset(slots[0])
            eng.apply("APPLY_H", slots)
            eng.apply("APPLY_T", slots)
            self._faults(slots)
        elif op == "TELEPORT_CNOT":
            teleport_cnot(eng, slots[0], slots[1])
            self._faults(slots)
        elif op == "OPEN_CHAN":
            f = channel_fidelity(node)
            a, b = slots
            eng.reset(a)
            eng.reset(b)
            eng.apply("APPLY_H", (a,))
            eng.apply("APPLY_CNOT", (a, b))
            if f < 1 and eng.rng.random() < 1 - f:
                eng.apply_pauli(a, "XYZ"[int(eng.rng.integers(3))])
        else:
            eng.apply(op, slots, node.args)
            self._faults(slots)

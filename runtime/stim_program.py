"""A whole guard-free Clifford program as one stim circuit (see stabilizer.py for the translation)."""

from __future__ import annotations

from qmk.ir import Program

from .executor import channel_fidelity
from .stabilizer import StimCircuitBuilder, angle_quadrant, stim_gate

_BOOKKEEPING = frozenset(("FENCE_EPOCH", "BAR_REGION", "SET_POLICY", "USE_CHAN", "CLOSE_CHAN"))


def build_stim(program: Program, noise=None, cancel=None) -> StimCircuitBuilder:
    """Translate ``program`` (no guards, Clifford only); noise becomes PAULI_CHANNEL_1 after each op."""
    b = StimCircuitBuilder()
    slots: dict[str, int] = {}
    rates: dict[int, float] = {}

    def faults(qs):
        if noise is None:
            return
        by_rate: dict[float, list[int]] = {}
        for q in qs:
            if rates.get(q):
                by_rate.setdefault(rates[q], []).append(q)
        for r, group in by_rate.items():
            b.op("PAULI_CHANNEL_1", group, (r / 3, r / 3, r / 3))

    for i, n in enumerate(program.nodes):
        if cancel is not None and not i & 1023 and cancel.is_set():
            from .errors import RunCancelled

            raise RunCancelled("run cancelled")
        op = n.op
        if op in _BOOKKEEPING:
            continue
        if op == "ALLOC_LQ":
            for v in n.vqs:
                slots[v] = q = b.qubit()
                if noise is not None:
                    rates[q] = noise.rate(n.args.get("profile"))
            continue
        qs = [slots[v] for v in n.vqs]
        if op == "FREE_LQ":
            for v, q in zip(n.vqs, qs):
                del slots[v]
                b.free(q)
        elif op in ("MEASURE_Z", "MEASURE_X", "MEASURE_Y"):
            faults(qs)
            b.measure(qs[0], op[-1], event=n.produces[0])
        elif op == "MEASURE_ANGLE":
            faults(qs)
            k = angle_quadrant(n.args.get("angle", 0.0))
            b.measure(qs[0], "ZX"[k % 2], invert=k >= 2, event=n.produces[0])
        elif op == "MEASURE_BELL":
            faults(qs)
            x, z = qs
            b.op("CX", [x, z])
            b.op("H", [x])
            b.measure(x, event=n.produces[0])
            b.measure(z, event=n.produces[1])
            b.op("H", [x])
            b.op("CX", [x, z])
        elif op == "RESET":
            b.op("R", qs)
            faults(qs)
        elif op == "COND_PAULI":
            mask = str(n.args.get("mask", ""))
            if len(mask) == 1:
                mask = mask * len(qs)
            for e in n.inputs:
                if e in b.events:
                    for q, letter in zip(qs, mask):
                        b.controlled_pauli(b.events[e], q, letter)
            faults(qs)
        elif op == "TELEPORT_CNOT":
            b.teleport_cnot(qs[0], qs[1])
            faults(qs)
        elif op == "OPEN_CHAN":
            f = channel_fidelity(n)
            b.op("R", qs)
            b.op("H", [qs[0]])
            b.op("CX", qs)
            if f < 1:
                b.op("PAULI_CHANNEL_1", [qs[0]], ((1 - f) / 3,) * 3)
        else:
            b.op(stim_gate(op, n.args), qs)
            faults(qs)
    return b

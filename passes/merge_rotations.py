"""``merge-rotations``: merge Z-axis phases (and X-axis rotations) along a wire through commuting gates.

Why it is sound: every one-qubit gate that is diagonal (``RZ S SDG T TDG Z I``, by the op table's
matrix) equals ``e^{ig} diag(1, e^{i phi})``; these commute with each other and with every gate that is
block diagonal in the Z basis on that qubit (CNOT and CCX controls, CZ, CCZ, other diagonal gates:
``gatefacts.roles``). A later phase on a wire is therefore moved back to the first phase of its run,
past only such gates, and the angles add. Likewise for one-qubit gates that commute with X
(``X SX RX``) through gates that are X-diagonal on the wire (CNOT and CCX targets). Only gates with
equal guards merge, and only plain gates are passed (``walk``). The merged phase is re-emitted as the
shortest exact gate (Clifford+T when it is a multiple of pi/4) or one ``RZ``/``RX``; a merged angle
that is the identity mod 2*pi (within ``gatefacts.ANGLE_TOL``) leaves no gate. Global phases of
unguarded gates go to ``metadata["global_phase"]``.
"""

from __future__ import annotations

from .gatefacts import (
    IdMaker,
    add_global_phase,
    already_emitted,
    count_removed,
    facts,
    is_zero_angle,
    phase_gates,
    xphase_gates,
)
from .registry import register

NAME = "merge-rotations"


class _Run:
    __slots__ = ("axis", "count", "g", "head", "occ", "phi")

    def __init__(self, head: int, phi: float, g: float, axis: str) -> None:
        self.head, self.phi, self.g, self.count, self.axis = head, phi, g, 1, axis
        self.occ = [head]


@register(NAME, "transform")
def merge_rotations(program, ctx):
    """Merge Z-axis phases and X-axis rotations along each wire; drop rotations equal to the identity."""
    out: list = []
    runs: list[_Run] = []
    zrun: dict[str, _Run] = {}
    xrun: dict[str, _Run] = {}
    for node in program.nodes:
        f = facts(node)
        if not f.plain:
            if not node.vqs:
                zrun.clear()
                xrun.clear()
            for q in node.vqs:
                zrun.pop(q, None)
                xrun.pop(q, None)
        else:
            z, x = f.z, f.x
            if z is not None or x is not None:
                q = node.vqs[0]
                own, other, axis = (zrun, xrun, "Z") if z is not None else (xrun, zrun, "X")
                phi, g = z if z is not None else x
                other.pop(q, None)
                run = own.get(q)
                if run is not None and out[run.head].guard == node.guard:
                    run.phi += phi
                    run.g += g
                    run.count += 1
                    run.occ.append(len(out))
                    out.append(None)
                    continue
                run = _Run(len(out), phi, g, axis)
                runs.append(run)
                own[q] = run
            else:
                for q, r in zip(node.vqs, f.roles or ((),) * len(node.vqs)):
                    if "Z" not in r:
                        zrun.pop(q, None)
                    if "X" not in r:
                        xrun.pop(q, None)
        out.append(node)
    return _emit(program, ctx, out, runs)


def _emit(program, ctx, out, runs):
    ids = IdMaker(program.nodes)
    phase = 0.0
    slots: dict[int, list] = {}
    for run in runs:
        head = out[run.head]
        if run.count == 1 and not is_zero_angle(run.phi):
            continue
        gates, gp = (phase_gates if run.axis == "Z" else xphase_gates)(run.phi)
        if already_emitted(program.nodes, run.occ, gates):
            for k in run.occ[1:]:
                out[k] = program.nodes[k]
            continue
        if head.guard is None:
            phase += run.g + gp
        new = []
        for i, (op, args) in enumerate(gates):
            nid = head.id if i == 0 else ids.fresh(head.id)
            new.append(head.replace(id=nid, op=op, args=args))
        slots[run.head] = new
    if not slots and len(out) == len(program.nodes) and None not in out:
        return program
    nodes = []
    for i, n in enumerate(out):
        if i in slots:
            nodes.extend(slots[i])
        elif n is not None:
            nodes.append(n)
    count_removed(ctx, NAME, program.nodes, nodes)
    return add_global_phase(program, phase, nodes)

"""REV segments: the maximal reversible stretches of a program.

A REV segment is a maximal run of consecutive nodes (in program order) each of which is an unguarded
unitary op (``OpSpec.unitary``: the gates and ``TELEPORT_CNOT``). ``BAR_REGION`` markers inside a run
do not end it (they have no effect on the state); every other node does: measurements, resets,
allocation, ``COND_PAULI``, guarded nodes, channels and ``FENCE_EPOCH`` (a scheduling boundary).

Within a segment the program is a unitary U that the runtime may undo. The analysis also finds the
compute/uncompute structure U = C . M . C^-1: ``mirrored`` is the number of leading gates whose inverses
stand mirrored at the end of the segment (gate i against gate n-1-i, same qubits, inverse by the op
table's rules, angles within 1e-12). ``identity`` is true when the whole segment is such a mirror, so
U = I.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..ir import Node, Program
from ..ops import OPS
from .registry import register


@dataclass(slots=True)
class RevSegment:
    start: int  # index of the first node
    end: int  # index of the last node (inclusive)
    nodes: tuple[str, ...]
    qubits: tuple[str, ...]
    mirrored: int
    identity: bool

    def to_json(self) -> dict:
        return {
            "start": self.nodes[0],
            "end": self.nodes[-1],
            "length": len(self.nodes),
            "qubits": list(self.qubits),
            "mirrored": self.mirrored,
            "identity": self.identity,
        }


def _reversible(n: Node) -> bool:
    s = OPS.get(n.op)
    return s is not None and s.unitary and n.guard is None


def _same(a: tuple[str, dict], b: Node) -> bool:
    op, args = a
    if op != b.op or set(args) != set(b.args):
        return False
    return all(
        isinstance(b.args[k], (int, float)) and math.isclose(float(v), float(b.args[k]), abs_tol=1e-12)
        for k, v in args.items()
    )


def _mirrored(gates: list[Node]) -> int:
    n = len(gates)
    k = 0
    while k < n // 2:
        a, b = gates[k], gates[n - 1 - k]
        if a.vqs != b.vqs or not _same(OPS[a.op].inverse(a.args), b):
            break
        k += 1
    return k


def rev_segments(program: Program, min_length: int = 1) -> list[RevSegment]:
    segs: list[RevSegment] = []
    run: list[tuple[int, Node]] = []

    def close():
        while run and run[-1][1].op == "BAR_REGION":
            run.pop()
        gates = [n for _, n in run if n.op != "BAR_REGION"]
        if gates and len(gates) >= min_length:
            qubits: dict[str, None] = {}
            for g in gates:
                qubits.update(dict.fromkeys(g.vqs))
            k = _mirrored(gates)
            segs.append(
                RevSegment(run[0][0], run[-1][0], tuple(n.id for _, n in run), tuple(qubits), k, 2 * k == len(gates))
            )
        run.clear()

    for i, n in enumerate(program.nodes):
        if _reversible(n) or (run and n.op == "BAR_REGION"):
            run.append((i, n))
        elif run:
            close()
    if run:
        close()
    return segs


@register("rev-segments", "analysis")
def rev_segments_pass(program: Program, ctx, min_length: int = 1) -> dict:
    """Find the maximal reversible segments (REV) of the program."""
    segs = [s.to_json() for s in rev_segments(program, min_length)]
    ctx.facts["rev-segments"] = segs
    return {"segments": segs}

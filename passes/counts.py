"""``counts``: gate counts by kind, T-count, two-qubit count, depth and T-depth (an analysis).

Depth is the length of the longest chain in the dependency order of design.md section 2: a node
starts one layer after the latest node on any of its qubits or channels, after the producers of the
events it reads, and after the last ``FENCE_EPOCH`` (a fence sits one layer after everything before
it). Only gates and measurements occupy a layer; lifecycle and admin nodes do not. T-depth counts only
T-like gates (one-qubit odd multiples of pi/4 about Z or X, ``gatefacts.t_cost``) along such chains.
"""

from __future__ import annotations

from collections import Counter

from qmk import ops

from .gatefacts import t_cost
from .registry import register

NAME = "counts"


def _layered(spec) -> bool:
    return spec is not None and spec.kind in ("gate", "measure", "control", "composite")


def counts_of(program) -> dict:
    """The counts of a program as a plain dict (see the module docstring)."""
    by_op: Counter = Counter()
    t_count = twoq = gates = 0
    depth_at: dict[str, tuple[int, int]] = {}  # qubit/channel/event -> (depth, t-depth) after it
    fence = (0, 0)
    depth = tdepth = 0
    for n in program.nodes:
        s = ops.OPS.get(n.op)
        by_op[n.op] += 1
        keys = list(n.vqs) + [f"ch:{c}" for c in n.chs]
        reads = [f"ev:{e}" for e in n.events_read()]
        d0, t0 = fence
        for k in keys + reads:
            d, t = depth_at.get(k, (0, 0))
            d0, t0 = max(d0, d), max(t0, t)
        tc = t_cost(n) if s is not None and s.is_gate else 0
        d1 = d0 + (1 if _layered(s) else 0)
        t1 = t0 + tc
        if s is not None and s.is_gate:
            gates += 1
            t_count += tc
            twoq += len(n.vqs) == 2
        if n.op == "FENCE_EPOCH":
            fence = (depth, tdepth)
            continue
        for k in keys + [f"ev:{e}" for e in n.produces]:
            depth_at[k] = (d1, t1)
        depth, tdepth = max(depth, d1), max(tdepth, t1)
    return {
        "nodes": len(program.nodes),
        "gates": gates,
        "by_op": dict(sorted(by_op.items())),
        "t_count": t_count,
        "two_qubit": twoq,
        "ccx": by_op.get("APPLY_CCX", 0),
        "ccz": by_op.get("APPLY_CCZ", 0),
        "measurements": sum(v for k, v in by_op.items() if k in ops.MEASUREMENTS),
        "depth": depth,
        "t_depth": tdepth,
        "qubits": len(program.resources.vqs),
    }


@register(NAME, "analysis")
def counts(program, ctx) -> dict:
    """Gates by kind, T-count, two-qubit count, depth and T-depth."""
    facts = counts_of(program)
    ctx.facts[NAME] = facts
    return facts

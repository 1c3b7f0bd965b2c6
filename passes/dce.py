"""``dce``: remove operations whose effect is never observed, and guarded nodes that can never run.

What is observed: the measurement events of a program that measures (outputs only record them); the final state
(the unitary) of a program that does not. Why each removal is sound:

- In a program that measures (others are left alone): a gate (or ``COND_PAULI``, guarded or not)
  all of whose qubits are next reset, freed or never used again: a unitary on qubits that are then discarded changes no
  later measurement of other qubits (the partial trace over a subsystem is invariant under unitaries
  on that subsystem).
- More generally, a gate that is block diagonal in the Z basis on those of its qubits that are next
  measured in Z (``gatefacts.roles``), all its other qubits being discarded: write it
  ``sum_k P_k (x) G_k``; the Z measurement selects ``k`` with unchanged probability and leaves
  ``G_k`` on discarded qubits only. So diagonal gates right before ``MEASURE_Z`` disappear.
- A guarded gate or ``COND_PAULI`` whose guard no assignment of its events satisfies (checked by
  enumerating up to 2^16 assignments with ``eval_guard``) never acts.

Nodes that produce events, allocate, free or reset are never removed. The analysis walks backwards
once, so it is linear.
"""

from __future__ import annotations

import itertools

from qmk import ops
from qmk.ir import eval_guard
from qmk.qvmjson import gc_paused

from .gatefacts import count_removed, roles
from .registry import register

NAME = "dce"
_DISCARD, _MEASZ, _LIVE = 0, 1, 2  # what happens next to a qubit


def guard_satisfiable(guard) -> bool:
    """Whether some 0/1 assignment of the guard's events makes it hold (True when too many to try)."""
    events = sorted(set(_events(guard)))
    if len(events) > 16:
        return True
    for values in itertools.product((0, 1), repeat=len(events)):
        try:
            if eval_guard(guard, dict(zip(events, values))):
                return True
        except (KeyError, TypeError):
            return True
    return False


def _events(g):
    if not isinstance(g, dict):
        return
    if "event" in g:
        yield g["event"]
    for k in ("all", "any"):
        for sub in g.get(k) or ():
            yield from _events(sub)


def _removable_kind(node) -> bool:
    s = ops.OPS.get(node.op)
    return s is not None and (s.is_gate or node.op == "COND_PAULI") and not node.produces


@register(NAME, "transform")
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def dce(program, ctx):
    """Remove unobserved gates and guarded nodes whose guard can never hold."""
    nodes = program.nodes
    if not any(n.op in ops.MEASUREMENTS for n in nodes):
        return program  # its final state is what it computes: nothing is dead
    state: dict[str, int] = {}
    end = _DISCARD
    keep = [True] * len(nodes)
    for i in range(len(nodes) - 1, -1, -1):
        n = nodes[i]
        if _removable_kind(n):
            if n.guard is not None and not guard_satisfiable(n.guard):
                keep[i] = False
                continue
            if _dead(n, state, end):
                keep[i] = False
                continue
        if n.op in ("RESET", "FREE_LQ") and n.guard is None:
            mark = _DISCARD
        elif n.op == "MEASURE_Z" and n.guard is None:
            mark = _MEASZ
        else:
            mark = _LIVE
        for q in n.vqs:
            state[q] = mark
    if all(keep):
        return program
    out = [n for n, k in zip(nodes, keep) if k]
    count_removed(ctx, NAME, nodes, out)
    return program.with_nodes(out)


def _dead(n, state, end) -> bool:
    r = roles(n.op) if n.op != "COND_PAULI" else ()
    for pos, q in enumerate(n.vqs):
        st = state.get(q, end)
        if st == _DISCARD:
            continue
        if st == _MEASZ and r and "Z" in r[pos]:
            continue
        return False
    return True

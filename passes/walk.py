"""What every rewriting pass agrees on about ordering: which nodes are plain gates, which block.

A rewrite may only move a gate past nodes it commutes with as an operator. Only unitary gates from
the op table (``APPLY_*``) are ever moved or merged. Every other node touching a qubit (allocation,
free, measurement, reset, ``COND_PAULI``, channel and composite ops, region markers) is a *blocker* on
its qubits: nothing moves across it on those qubits. A node that names no qubit (``FENCE_EPOCH``,
``SET_POLICY``, channel ops without qubits, ...) is a *barrier*: nothing moves across it at all.
Guards: a guarded gate is applied only when its guard holds; passes only merge gates whose guards are
equal, and moving a gate past a commuting guarded gate is sound because in every branch either the
commuting gate acts or nothing does.
"""

from __future__ import annotations

from .gatefacts import GATE_OPS

PLAIN, BLOCKER, BARRIER = 0, 1, 2


def classify(node) -> int:
    """PLAIN for a unitary gate, BLOCKER for other nodes on qubits, BARRIER for qubit-less nodes."""
    if node.op in GATE_OPS:
        return PLAIN
    return BLOCKER if node.vqs else BARRIER


def same_guard(a, b) -> bool:
    return a.guard == b.guard


def splice(nodes: list, repl: dict, drop=()) -> list:
    """``nodes`` with ``nodes[i]`` replaced by the list ``repl[i]``, leaving out ``drop`` and ``None``.

    The unchanged stretches between changed indices are copied as slices, and ``None`` entries (nodes a
    pass already removed) are dropped with ``filter(None, ...)``: exact, because a node is a non-empty
    tuple and so always true.
    """
    out: list = []
    extend = out.extend
    prev = 0
    for i in sorted(set(repl).union(drop)):
        extend(filter(None, nodes[prev:i]))
        new = repl.get(i)
        if new is not None:
            extend(new)
        prev = i + 1
    extend(filter(None, nodes[prev:]))
    return out

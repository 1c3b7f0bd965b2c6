"""``hadamard-reduction``: remove Hadamard pairs around two-qubit gates (fewer path variables to fold).

Rules, exact matrix identities (``H X H = Z``; checked in tests/passes/test_opt_passes.py):

- ``H(t); CNOT(c, t); H(t)``  ->  ``CZ(c, t)``
- ``H(c) H(t); CNOT(c, t); H(c) H(t)``  ->  ``CNOT(t, c)``
- ``H(b); CZ(a, b); H(b)``  ->  ``CNOT(a, b)`` (and symmetrically for ``a``)

Why it is sound: each ``H`` is the operation right before (after) the two-qubit gate on its wire, so
every node between them acts on other qubits and commutes with it; the ``H`` can be moved next to the
gate and the identity applied. All nodes involved must be unguarded. Phase folding gains because a
Hadamard gives its wire a fresh path variable and a diagonal ``CZ`` (or an affine ``CNOT``) does not.
"""

from __future__ import annotations

from .gatefacts import count_removed
from .registry import register

NAME = "hadamard-reduction"
_H = "APPLY_H"


def _neighbours(nodes):
    """prev[i][k], nxt[i][k]: the index of the node before/after node i on its k-th qubit (or -1)."""
    prev = [None] * len(nodes)
    nxt = [None] * len(nodes)
    last: dict[str, int] = {}
    for i, n in enumerate(nodes):
        if len(n.vqs) == 2 and n.op in ("APPLY_CNOT", "APPLY_CZ"):
            prev[i] = [last.get(q, -1) for q in n.vqs]
            nxt[i] = [-1, -1]
        for q in n.vqs:
            j = last.get(q)
            if j is not None and nxt[j] is not None:
                nxt[j][nodes[j].vqs.index(q)] = i
            last[q] = i
        if not n.vqs:
            last.clear()  # a barrier: nothing is moved across it
    return prev, nxt


@register(NAME, "transform")
def hadamard_reduction(program, ctx):
    """Replace H-conjugated CNOT/CZ by CZ/CNOT, removing the Hadamards."""
    nodes = program.nodes
    prev, nxt = _neighbours(nodes)
    used: set[int] = set()
    repl: dict[int, object] = {}

    def is_h(j: int) -> bool:
        return j >= 0 and j not in used and nodes[j].op == _H and nodes[j].guard is None

    for i, n in enumerate(nodes):
        if prev[i] is None or n.guard is not None:
            continue
        around = [is_h(prev[i][k]) and is_h(nxt[i][k]) and prev[i][k] != nxt[i][k] for k in (0, 1)]
        if n.op == "APPLY_CNOT":
            if around[0] and around[1]:
                repl[i] = n.replace(vqs=(n.vqs[1], n.vqs[0]))
                sides = (0, 1)
            elif around[1]:
                repl[i] = n.replace(op="APPLY_CZ")
                sides = (1,)
            else:
                continue
        else:
            k = 1 if around[1] else 0 if around[0] else None
            if k is None:
                continue
            repl[i] = n.replace(op="APPLY_CNOT", vqs=(n.vqs[1 - k], n.vqs[k]))
            sides = (k,)
        for k in sides:
            used.add(prev[i][k])
            used.add(nxt[i][k])
    if not repl:
        return program
    out = [repl.get(i, n) for i, n in enumerate(nodes) if i not in used]
    count_removed(ctx, NAME, nodes, out)
    return program.with_nodes(out)

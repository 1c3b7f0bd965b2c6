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

from qmk.ir import node_from_fields
from qmk.qvmjson import gc_paused

from .gatefacts import count_removed
from .packed import use_kernels
from .registry import register
from .walk import splice

NAME = "hadamard-reduction"
_H = "APPLY_H"
_TWO = ("APPLY_CNOT", "APPLY_CZ")


def _neighbours(nodes):
    """prev[i][k], nxt[i][k]: the index of the node before/after CNOT/CZ i on its k-th qubit (or -1).

    Also the indices of those CNOT/CZ nodes, in order. ``pending[q]`` is the ``nxt`` slot of the
    CNOT/CZ that is the last node seen on q, filled by the next node on q.
    """
    prev = [None] * len(nodes)
    nxt = [None] * len(nodes)
    twos = []
    last: dict[str, int] = {}
    pending: dict[str, tuple[list, int]] = {}
    for i, n in enumerate(nodes):
        vqs = n.vqs
        if not vqs:
            last.clear()  # a barrier: nothing is moved across it
            pending.clear()
            continue
        if pending:
            for q in vqs:
                slot = pending.pop(q, None)
                if slot is not None:
                    slot[0][slot[1]] = i
        if len(vqs) == 2 and n.op in _TWO:
            a, b = vqs
            prev[i] = [last.get(a, -1), last.get(b, -1)]
            nx = nxt[i] = [-1, -1]
            pending[b] = (nx, vqs.index(b))
            pending[a] = (nx, 0)
            twos.append(i)
        for q in vqs:
            last[q] = i
    return prev, nxt, twos


def _gate(n, op: str, vqs: tuple):
    """``n.replace(op=op, vqs=vqs)`` without keyword processing (every other field is kept)."""
    return node_from_fields((n.id, op, vqs) + n[3:])


@register(NAME, "transform")
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def hadamard_reduction(program, ctx):
    """Replace H-conjugated CNOT/CZ by CZ/CNOT, removing the Hadamards."""
    nodes = program.nodes
    if use_kernels(len(nodes)):
        fast = _kernel_path(program, ctx)
        if fast is not None:
            return fast
    prev, nxt, twos = _neighbours(nodes)
    used: set[int] = set()
    repl: dict[int, object] = {}

    def is_h(j: int) -> bool:
        return j >= 0 and j not in used and nodes[j].op == _H and nodes[j].guard is None

    for i in twos:
        n = nodes[i]
        if n.guard is not None:
            continue
        around = [is_h(prev[i][k]) and is_h(nxt[i][k]) and prev[i][k] != nxt[i][k] for k in (0, 1)]
        if n.op == "APPLY_CNOT":
            if around[0] and around[1]:
                repl[i] = _gate(n, n.op, (n.vqs[1], n.vqs[0]))
                sides = (0, 1)
            elif around[1]:
                repl[i] = _gate(n, "APPLY_CZ", n.vqs)
                sides = (1,)
            else:
                continue
        else:
            k = 1 if around[1] else 0 if around[0] else None
            if k is None:
                continue
            repl[i] = _gate(n, "APPLY_CNOT", (n.vqs[1 - k], n.vqs[k]))
            sides = (k,)
        for k in sides:
            used.add(prev[i][k])
            used.add(nxt[i][k])
    if not repl:
        return program
    out = splice(nodes, {i: [n] for i, n in repl.items()}, used)
    count_removed(ctx, NAME, nodes, out)
    return program.with_nodes(out)


def _kernel_path(program, ctx):
    """The same neighbours and decisions compiled (``kernels_local_runs.hadamard_scan``); the rewritten
    gates are built here exactly as above."""
    import numpy as np

    try:
        from . import kernels_local as kl
        from .kernels_local_runs import hadamard_scan
    except ImportError:  # numba is not installed
        return None
    from . import packed

    nodes = program.nodes
    pk = kl.packed_input(nodes)
    if pk is None:
        return None
    is_h = packed.kind_table("is-h", lambda op, a: op == _H, np.int8)
    two = packed.kind_table("h-two", lambda op, a: 1 + _TWO.index(op) if op in _TWO else 0, np.int8)
    wptr, wq = packed.wide_qubits()
    action, used = hadamard_scan(pk.kind, pk.nq, pk.q, pk.vrow, pk.guard, wptr, wq, is_h, two, len(packed.QUBITS))
    changed = np.flatnonzero(action)
    if not len(changed):
        return program
    repl = {}
    for i, a in zip(changed.tolist(), action[changed].tolist()):
        n = nodes[i]
        a0, a1 = n.vqs
        op, vqs = (n.op, (a1, a0)) if a == 1 else ("APPLY_CZ", n.vqs) if a == 2 else \
            ("APPLY_CNOT", n.vqs) if a == 3 else ("APPLY_CNOT", (a1, a0))
        repl[i] = [_gate(n, op, vqs)]
    out, src = kl.assemble(nodes, repl, np.flatnonzero(used))
    kl.count_removed(ctx, NAME, pk, packed.remember(out, src, pk))
    return program.with_nodes(out)

"""What the compiled phase-folding and pauli-folding kernels share: bit-set words, hashing, qubit
renumbering, and the emission of merged phases from the kernels' decisions.

Imported only by the kernel path (it imports numba at the top; the pass modules import it lazily, so
``--help`` and small programs never load numba). Functions are compiled on first call and cached on
disk (``cache=True``). numba's disk cache notices edits to a function's own file only; kernel_cache.py
flushes the kernels' cached copies when any kernel source (these helpers included) changed.

Both kernels return, per node, the id of the merge group (phase term or Pauli group) a folded phase
joined (-1 for every other node), and per group its head node, second member, member count, merged
angle ``beta`` and the scalar ``base`` whose sum with the realisation's global phase the Python passes
add to ``metadata["global_phase"]``. ``emit`` turns that into the output program with the same steps, in
the same order, as the Python passes' ``_emit`` (the same ``phase_gates`` and ``IdMaker`` rule, the
``already_emitted`` test read from kinds), so node ids, ops, angles, the global phase and the stats come
out identical.
"""

from __future__ import annotations

from functools import partial
from operator import itemgetter

import numba
import numpy as np

from qmk.ir import FrozenDict, Node

from . import kernel_cache
from .gatefacts import IdMaker, add_global_phase, facts, phase_gates
from .packed import QUBITS, Packed, kind_id, kind_table, remember, wide_qubits

_make_node = partial(tuple.__new__, Node)  # ir.node_from_fields without the Python call
_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)
_GOLD = np.uint64(0x9E3779B97F4A7C15)
_MIX = np.uint64(0xBF58476D1CE4E5B9)


@numba.njit(cache=True, nogil=True, inline="always")
def popcount(x):
    """Set bits of a uint64 (SWAR; numba has no popcount builtin for integers)."""
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return (x * _H01) >> np.uint64(56)


@numba.njit(cache=True, nogil=True, inline="always")
def find_slot(slots, keys, a, r):
    """Open addressing: the slot holding the entry whose key row equals row ``r`` of ``a``, or the empty
    slot where it goes. ``slots`` has a power-of-two length, -1 for empty; entries index rows of ``keys``.
    (Scalar loops throughout: numba's array expressions on short rows cost more than the work.)"""
    words = a.shape[1]
    h = np.uint64(words)
    for j in range(words):
        h = (h ^ a[r, j]) * _GOLD
        h ^= h >> np.uint64(32)
    h = (h ^ (h >> np.uint64(29))) * _MIX  # a final mix: slots are taken from the low bits
    h ^= h >> np.uint64(32)
    mask = len(slots) - 1
    i = np.int64(h & np.uint64(mask))
    while True:
        e = slots[i]
        if e < 0:
            return i
        same = True
        for j in range(words):
            if keys[e, j] != a[r, j]:
                same = False
                break
        if same:
            return i
        i = (i + 1) & mask


@numba.njit(cache=True, nogil=True)
def rehash(keys, count, size):
    """A fresh slot table of ``size`` (power of two) slots for the first ``count`` rows of ``keys``."""
    slots = np.full(size, -1, np.int64)
    for e in range(count):
        slots[find_slot(slots, keys, keys, e)] = e
    return slots


@numba.njit(cache=True, nogil=True)
def grow(a, need):
    """``a`` with room for at least ``need`` rows along axis 0 (doubling), contents kept."""
    if need <= a.shape[0]:
        return a
    cap = max(2 * a.shape[0], need, 16)
    b = np.zeros((cap,) + a.shape[1:], a.dtype)
    b[: a.shape[0]] = a
    return b


@numba.njit(cache=True, nogil=True)
def local_qubits(q, nq, vrow, wptr, wq, nglobal):
    """Renumber the qubits a program names as 0..nloc-1 (first appearance), so bit sets are only as
    wide as the program. Returns ``(qmap, nloc, ok)``; ``ok`` is False when a node names a qubit twice
    (invalid programs are left to the Python path, which defines what happens to them)."""
    qmap = np.full(nglobal, -1, np.int64)
    nloc = 0
    ok = True
    for i in range(len(nq)):
        k = nq[i]
        for j in range(k):
            g = q[i, j] if k <= 3 else wq[wptr[vrow[i]] + j]
            if qmap[g] < 0:
                qmap[g] = nloc
                nloc += 1
        if 2 <= k <= 3 and (q[i, 0] == q[i, 1] or (k == 3 and (q[i, 2] == q[i, 0] or q[i, 2] == q[i, 1]))):
            ok = False
    return qmap, nloc, ok


def _arity(op: str, akey: tuple) -> int:
    from qmk import ops

    a = ops.spec(op).arity
    return -1 if a is None else a


MAX_QUBITS = 16384  # the kernels' bit tables take ~nloc^2 / 2 bytes (128 MiB here)


def prepare(packed: Packed):
    """``(qmap, nloc, wptr, wq)`` for a kernel, or None when the Python path must run: a gate whose qubit
    count differs from its op's arity, a node naming a qubit twice, or more than MAX_QUBITS qubits."""
    arity = kind_table("fold.arity", _arity, np.int8, default=-2)
    a = arity[packed.kind]
    if np.any((a >= 0) & (a != packed.nq)):
        return None
    if np.any(packed.nq > 3):
        wptr, wq = wide_qubits()
    else:
        wptr, wq = np.zeros(1, np.int64), np.zeros(0, np.int32)
    qmap, nloc, ok = local_qubits(packed.q, packed.nq, packed.vrow, wptr, wq, max(len(QUBITS), 1))
    return (qmap, nloc, wptr, wq) if ok and nloc <= MAX_QUBITS else None


def _t_of(op: str, akey: tuple) -> int:
    return facts(_probe_node(op, akey)).t


def _probe_node(op: str, akey: tuple):
    """A node standing for kind ``(op, akey)`` so per-node fact functions can fill kind tables."""
    from qmk import ops
    from qmk.ir import Node

    n = ops.spec(op).arity or 1
    return Node("k", op, tuple(f"q{j}" for j in range(n)), dict(akey))


def _realisations(beta):
    """Per distinct merged angle: ``phase_gates(beta)`` as (gate lists, their global phases, their kinds).
    Grouping by the exact float changes nothing: phase_gates is a function of its argument."""
    uniq, inv = np.unique(beta, return_inverse=True)
    gates, gp = [], np.empty(len(uniq))
    kinds = np.full((len(uniq), 2), -1, np.int64)
    for u, b in enumerate(uniq.tolist()):
        g, p = phase_gates(b)
        gates.append(g)
        gp[u] = p
        for j, (op, args) in enumerate(g):
            kinds[u, j] = kind_id(op, args)
    return gates, gp, kinds, inv.reshape(-1)


def _splice(nodes, drop, heads, real, nreal, gates):
    """The output node list and, per output node, its input index (``>= len(nodes)`` for a new node).

    ``heads`` (increasing) are replaced by their realisations ``gates[real[j]]`` (``nreal[j]`` >= 1
    gates); the first keeps the head's id, the second gets ``IdMaker``'s fresh id (ids made from
    different heads cannot collide: a fresh id is the head's id, "_" and digits). New nodes are the head
    with another op and args, built column-wise at C speed (``tuple.__new__`` as ``ir.node_from_fields``).
    Few changes are spliced in with slices, many by one gather."""
    n = len(nodes)
    hn = list(map(nodes.__getitem__, heads.tolist()))
    ops_u = np.array([[g[j][0] if j < len(g) else None for j in (0, 1)] for g in gates], dtype=object)
    args_u = np.array([[FrozenDict(g[j][1]) if j < len(g) else None for j in (0, 1)] for g in gates], dtype=object)
    rest = [map(itemgetter(c), hn) for c in range(4, len(Node._fields))]
    first = list(map(_make_node, zip(map(itemgetter(0), hn), ops_u[real, 0].tolist(), map(itemgetter(2), hn),
                                      args_u[real, 0].tolist(), *rest)))
    two = np.flatnonzero(nreal == 2)
    ids = IdMaker(nodes)
    second = [_make_node((ids.fresh(h.id), op, h.vqs, args) + tuple(h[4:])) for h, op, args in
              zip(map(hn.__getitem__, two.tolist()), ops_u[real[two], 1].tolist(), args_u[real[two], 1].tolist())]
    lengths = np.where(drop, 0, 1)
    lengths[heads] = nreal
    order = np.repeat(np.arange(n), lengths)
    at = (np.cumsum(lengths) - lengths)[heads]
    order[at] = n + np.arange(len(heads))
    order[at[two] + 1] = n + len(heads) + np.arange(len(two))
    pool_new = first + second
    is_head = np.zeros(n, np.bool_)
    is_head[heads] = True
    events = np.flatnonzero(drop | is_head)
    if len(events) * 16 < n:
        new_of = {h: [f] for h, f in zip(heads.tolist(), first)}
        for k, j in enumerate(two.tolist()):
            new_of[int(heads[j])].append(second[k])
        out: list = []
        prev = 0
        for p in events.tolist():
            out += nodes[prev:p]
            r = new_of.get(p)
            if r is not None:
                out += r
            prev = p + 1
        out += nodes[prev:]
    else:
        pool = nodes + pool_new
        out = list(map(pool.__getitem__, order.tolist()))
    return out, order


def emit(program, ctx, name: str, packed: Packed, member, head, occ2, count, beta, base):
    """The output of a folding pass from its kernel's groups (see the module docstring).

    Mirrors the passes' ``_emit``: groups with more than one member in creation order; each is realised
    at its head by ``phase_gates(beta)`` unless its members already are exactly those gates (then it is
    left alone); the global phase grows by ``base + gp`` in that order (``cumsum`` adds sequentially, as
    the Python loop does); the other members are dropped. A head whose realisation is one gate of its own
    kind is kept as it is (the Python pass builds an equal node); other heads become new nodes whose ids
    come from the same IdMaker rule, taken in the same order."""
    nodes = program.nodes
    n = len(nodes)
    merged = np.flatnonzero(count > 1)
    if not len(merged):
        return program
    gates, gp_u, kinds_u, inv = _realisations(beta[merged])
    ngates = np.array([len(g) for g in gates], np.int64)[inv]
    mhead = head[merged]
    # already_emitted (the two members are adjacent and are exactly the two gates), read from the kinds:
    # equal kinds are equal (op, args)
    mocc2 = occ2[merged]
    ok = ~((count[merged] == 2) & (ngates == 2) & (mocc2 == mhead + 1) & (kinds_u[inv, 0] == packed.kind[mhead])
           & (kinds_u[inv, 1] == packed.kind[np.maximum(mocc2, 0)]))
    if not ok.any():
        return program
    phase = float(np.cumsum(base[merged][ok] + gp_u[inv[ok]])[-1])
    okt = np.zeros(len(count), np.bool_)
    okt[merged[ok]] = True
    idx = np.arange(n)
    inside = member >= 0
    drop = np.zeros(n, np.bool_)
    drop[inside] = okt[member[inside]] & (idx[inside] != head[member[inside]])
    # heads that stay as they are (one gate of their own kind) and heads that get new nodes
    same = ok & (ngates == 1) & (kinds_u[inv, 0] == packed.kind[mhead])
    drop[mhead[ok & (ngates == 0)]] = True
    change = np.flatnonzero(ok & ~same & (ngates > 0))
    out, order = _splice(nodes, drop, mhead[change], inv[change], ngates[change], gates)
    after = remember(out, np.where(order < n, order, -1), packed)
    ttab = kind_table("fold.t", _t_of, np.int64)
    ctx.count(name, "gates_removed", n - len(out))
    ctx.count(name, "t_removed", int(ttab[packed.kind].sum() - ttab[after.kind].sum()))
    return add_global_phase(program, phase, out)


kernel_cache.sync(globals())  # stale compiled copies of edited helpers are dropped (kernel_cache.py)

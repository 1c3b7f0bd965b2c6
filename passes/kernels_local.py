"""Compiled (numba) scan for ``cancel-inverses`` over the packed arrays, and what every kernel path shares.

Each kernel is the Python pass's sweep written over ``packed.Packed`` arrays instead of nodes, with the
same state in arrays instead of dicts and lists, so it takes the same decisions in the same order:

- a wire (the Python pass's ``wires[q]`` list, or its ``zrun[q]``/``xrun[q]`` entry) is a head index per
  qubit; the entries of a wire form a linked list through ``link[i, k]`` (the previous entry on the
  wire of node ``i``'s ``k``-th qubit), so "newest first, skipping removed nodes" walks that list;
- a barrier (a non-gate without qubits: ``wires.clear()``) bumps an epoch instead of clearing every
  qubit: a head stamped with an older epoch reads as empty;
- facts per gate (role masks, phases) come from ``packed.kind_table`` rows computed by the same
  ``gatefacts`` functions the Python pass calls.

Floating-point sums (global phase, merged angles) are accumulated in the same order as in Python, so
they are bit-identical. This module imports numba; the passes import it only on their kernel path.
"""

from __future__ import annotations

from itertools import chain

import numba
import numpy as np

from . import kernel_cache
from .gatefacts import Facts as facts_of_kind
from .gatefacts import _t_free


def assemble(nodes: list, repl: dict[int, list], drop) -> tuple[list, np.ndarray]:
    """``walk.splice(nodes, repl, drop)`` and its ``src`` for ``packed.remember``, built by index arrays:
    every input index is copied ``keep`` times (0 when dropped, ``len(repl[i])`` when replaced, else 1),
    then the replaced stretches are overwritten with the new nodes (``src`` -1)."""
    n = len(nodes)
    keep = np.ones(n, np.int64)
    keep[np.asarray(drop, dtype=np.int64)] = 0
    if repl:
        heads = np.fromiter(repl, np.int64, len(repl))
        keep[heads] = [len(new) for new in repl.values()]
    src = np.repeat(np.arange(n, dtype=np.int64), keep)
    result = list(map(nodes.__getitem__, src.tolist()))
    if repl:
        lens = keep[heads]
        ends = np.cumsum(lens)
        at = np.repeat((np.cumsum(keep) - keep)[heads] - (ends - lens), lens) + np.arange(int(ends[-1]))
        src[at] = -1
        for a, node in zip(at.tolist(), chain.from_iterable(repl.values())):
            result[a] = node
    return result, src


def packed_input(nodes: list):
    """The packed arrays of ``nodes``, or None when the kernels must leave the program to the Python path:
    a gate whose qubit count is not its op's arity, or that names a qubit twice (the kernels keep one
    linked-list entry per qubit of a gate and assume at most three distinct ones)."""
    from qmk import ops

    from . import packed

    if not nodes:
        return None  # nothing to gain (and no kind may exist yet to build tables for)
    pk = packed.pack(nodes)
    arity = packed.kind_table("arity", lambda op, a: ops.spec(op).arity or -1, np.int8)
    g = pk.gate.astype(bool)
    nq, q = pk.nq, pk.q
    bad = g & ((nq != arity[pk.kind]) | (nq > 3))
    bad |= g & (nq >= 2) & (q[:, 0] == q[:, 1])
    bad |= g & (nq >= 3) & ((q[:, 0] == q[:, 2]) | (q[:, 1] == q[:, 2]))
    return None if bad.any() else pk


def t_of_kind(op: str, akey: tuple) -> int:
    """What ``gatefacts.t_total`` counts for one node of this kind (by op when the op takes no angle)."""
    free = _t_free()
    return free[op] if op in free else facts_of_kind(op, akey).t if akey else 0


def count_removed(ctx, name: str, before, after) -> None:
    """``gatefacts.count_removed`` from the packed arrays of the input and the output (same counters)."""
    from . import packed

    t = packed.kind_table("t-count", t_of_kind, np.int64)
    ctx.count(name, "gates_removed", len(before) - len(after))
    ctx.count(name, "t_removed", int(t[before.kind].sum()) - int(t[after.kind].sum()))


# The memo of inverse decisions per pair of kinds (kinds are interned process-wide): an open-addressing
# hash table (keys, values) with -1 for an empty key slot; a value is the phase of G P, NaN for "not an
# inverse pair". numba's typed Dict would do, but it is compiled anew in every process (about a second).
_PAIRS: list = []  # [keys, values, number of keys]


def pair_table() -> tuple[np.ndarray, np.ndarray]:
    """The process-wide table, created empty on first use."""
    if not _PAIRS:
        _PAIRS.extend([np.full(1024, -1, np.int64), np.zeros(1024), 0])
    return _PAIRS[0], _PAIRS[1]


def pair_put(key: int, value: float) -> tuple[np.ndarray, np.ndarray]:
    """Add a decision, doubling the table when it gets half full; returns the (possibly new) table."""
    keys, vals = pair_table()
    if 2 * (_PAIRS[2] + 1) > len(keys) >= 1 << 22:  # a memo, not a record: start again past 2M pairs
        keys[:], _PAIRS[2] = -1, 0
    if 2 * (_PAIRS[2] + 1) > len(keys):
        used = keys >= 0
        keys, vals = np.full(2 * len(keys), -1, np.int64), np.zeros(2 * len(keys))
        for k, v in zip(_PAIRS[0][used].tolist(), _PAIRS[1][used].tolist()):
            _put(keys, vals, k, v)
        _PAIRS[0], _PAIRS[1] = keys, vals
    _put(keys, vals, key, value)
    _PAIRS[2] += 1
    return keys, vals


@numba.njit(cache=True, nogil=True)
def _slot(keys, key):
    """The slot holding ``key``, or the empty slot where it would go (linear probing)."""
    mask = len(keys) - 1
    h = ((key * 0x2545F4914F6CDD1D) >> 17) & mask
    while keys[h] >= 0 and keys[h] != key:
        h = (h + 1) & mask
    return h


@numba.njit(cache=True, nogil=True)
def _put(keys, vals, key, value):
    h = _slot(keys, key)
    keys[h] = key
    vals[h] = value


def decode_pair(key: int) -> tuple[int, int, int]:
    """(kind P, kind G, permutation code) of a key; the code is G's qubit positions in P in base 3."""
    return (key // 32) >> 28, (key // 32) & ((1 << 28) - 1), key % 32


@numba.njit(cache=True, nogil=True)
def _pos(q, i, qb):
    """The position of qubit ``qb`` among the (at most three) qubits of gate ``i``, or -1."""
    for k in range(3):
        if q[i, k] == qb:
            return k
    return -1


@numba.njit(cache=True, nogil=True)
def _commute(q, nq, masks, kind, a, b):
    """``gatefacts.commute_masks`` for gates ``a`` and ``b``: a common basis bit on every shared qubit."""
    for x in range(nq[a]):
        y = _pos(q, b, q[a, x])
        if y >= 0 and masks[kind[a], x] & masks[kind[b], y] == 0:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _older(c, qb, q, link, alive):
    """The next older live entry after ``c`` on wire ``qb`` (-1 at the end)."""
    c = link[c, _pos(q, c, qb)]
    while c >= 0 and not alive[c]:
        c = link[c, _pos(q, c, qb)]
    return c


@numba.njit(cache=True, nogil=True)
def _top(qb, head, hep, ep, q, link, alive):
    """The newest live entry on wire ``qb``, trimming removed ones off the top (``_live``'s pops)."""
    if hep[qb] != ep:
        return -1
    c = head[qb]
    if c >= 0 and not alive[c]:
        c = _older(c, qb, q, link, alive)
        head[qb] = c
    return c


@numba.njit(cache=True, nogil=True)
def _perm(q, nq, j, i):
    """``inverse_phase``'s qubit test: the code of G's (``i``) qubit positions in P (``j``), or -1."""
    if nq[j] == 1:
        return 0 if nq[i] == 1 else -1
    if nq[j] != nq[i]:
        return -1
    code = 0
    for k in range(nq[i]):
        p = _pos(q, j, q[i, k])
        if p < 0 or p >= nq[j]:
            return -1
        code = code * 3 + p
    return code


@numba.njit(cache=True, nogil=True)
def _clear(i, j, q, nq, kind, masks, window, head, hep, ep, link, alive):
    """``_clear_between``: every live gate after ``j`` on ``i``'s other wires commutes with ``i``."""
    for k in range(1, nq[i]):
        c = _top(q[i, k], head, hep, ep, q, link, alive)
        seen = 0
        found = False
        while c >= 0 and seen < window + 1:
            if c <= j:
                found = True
                break
            if not _commute(q, nq, masks, kind, c, i):
                return False
            seen += 1
            c = _older(c, q[i, k], q, link, alive)
        if not found:
            return False
    return True


@numba.njit(cache=True, nogil=True)
def cancel_scan(start, kind, gate, nq, q, vrow, guard, wptr, wq, masks, pkeys, pvals, window,
                head, hep, ep, link, alive, phase, out, miss):
    """The sweep of ``cancel_inverses`` from node ``start``; returns -1 when done.

    When candidate pairs of kinds are not yet in the table ``(pkeys, pvals)``, it finishes the search
    for that gate collecting them in ``miss[:out[0]]`` (treating them as "no" only to go on looking;
    they are not acted on) and returns the gate's index: nothing was changed for that gate yet, so
    the caller decides the pairs with the Python rule and calls again from there, and the search is
    repeated with every pair decided. ``out[1]`` counts removed gates; ``phase[0]`` sums the phases
    of unguarded pairs in removal order.
    """
    n = len(kind)
    for i in range(start, n):
        m = nq[i]
        if not gate[i]:
            if m == 0:
                ep[0] += 1
            elif m <= 3:
                for k in range(m):
                    head[q[i, k]] = -1
            else:
                r = vrow[i]
                for t in range(wptr[r], wptr[r + 1]):
                    head[wq[t]] = -1
            continue
        e = ep[0]
        g0 = q[i, 0]
        hit = -1
        hphi = 0.0
        j = _top(g0, head, hep, e, q, link, alive)
        budget = window
        while j >= 0:
            pj = nq[j]
            if guard[j] == guard[i] and (
                pj != 2 or (q[j, 0] == q[i, 0] and q[j, 1] == q[i, 1])
                or (m == 2 and q[j, 0] == q[i, 1] and q[j, 1] == q[i, 0])
            ):
                perm = _perm(q, nq, j, i)
                if perm >= 0:
                    key = ((np.int64(kind[j]) << 28) | kind[i]) * 32 + perm
                    h = _slot(pkeys, key)
                    if pkeys[h] != key:
                        if out[0] < len(miss):
                            miss[out[0]] = key
                            out[0] += 1
                        phi = np.nan  # undecided: collect the other pairs this gate asks about, then stop
                    else:
                        phi = pvals[h]
                    if not np.isnan(phi) and (m == 1 or _clear(i, j, q, nq, kind, masks, window,
                                                               head, hep, e, link, alive)):
                        hit = j
                        hphi = phi
                        break
            if not _commute(q, nq, masks, kind, j, i):
                break
            budget -= 1
            if budget <= 0:
                break
            j = _older(j, g0, q, link, alive)
        if out[0]:
            return i
        if hit >= 0:
            alive[hit] = 0
            alive[i] = 0
            out[1] += 2
            if guard[i] < 0:
                phase[0] += hphi
            continue
        for k in range(m):
            qb = q[i, k]
            link[i, k] = head[qb] if hep[qb] == e else -1
            head[qb] = i
            hep[qb] = e
    return -1


kernel_cache.sync(globals())  # stale compiled copies of edited helpers are dropped (kernel_cache.py)

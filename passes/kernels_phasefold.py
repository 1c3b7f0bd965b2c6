"""The compiled path of ``phase-folding`` (see phase_folding.py for the method and why it is sound).

Why it decides exactly what the Python pass decides. The Python pass keeps each wire's parity as a
bit set over path variables and merges a phase into the open term whose bit set is equal. Only
equality of parities matters, and equality does not depend on how the variables are numbered: any
re-expression of the parities through an injective linear map of the span ``W`` of the wires'
parities preserves it, and a term outside ``W`` can never equal a later parity (later parities lie in
``W`` plus variables created afterwards). So the kernel may number variables and compact (drop terms
outside ``W``, re-express the rest) at other moments than the Python pass (here: when the fixed-width
words run out) and still merges the same phases into the same terms, in the same order, with the same
float additions; a qubit-less node ends the region in both. Everything else (which node starts a
term, the per-term sums, what is dropped) follows the Python loop statement by statement.

Kinds are read from per-kind tables built from the same ``_kind`` classification the pass uses.
"""

from __future__ import annotations

import numba
import numpy as np

from . import kernel_cache
from . import kernels_folding as kf
from .packed import kind_table, pack

_OTHER, _PHASE, _DIAGONAL, _AFFINE, _GATE = 0, 1, 2, 3, 4


def _tables():
    from . import phase_folding as pf

    def tag(op, akey):
        t = pf._kind(kf._probe_node(op, akey))[0]
        return {pf._OTHER: _OTHER, pf._PHASE: _PHASE, pf._DIAGONAL: _DIAGONAL, pf._AFFINE: _AFFINE}.get(t, _GATE)

    def phase(op, akey):
        t, data = pf._kind(kf._probe_node(op, akey))
        return (data[0], data[1], 1.0 if data[2] else 0.0) if t == pf._PHASE else (0.0, 0.0, 0.0)

    def affine(op, akey):
        t, data = pf._kind(kf._probe_node(op, akey))
        row = [0] * 6  # per output position b: (mask of input positions XORed, constant)
        if t == pf._AFFINE:
            for b, (rows, c) in enumerate(data):
                row[2 * b] = sum(1 << j for j in rows)
                row[2 * b + 1] = c
        return row

    return (kind_table("pf.tag", tag, np.int8, default=_OTHER),
            kind_table("pf.phase", phase, np.float64, 3, default=0.0),
            kind_table("pf.affine", affine, np.int8, 6, default=0))


@numba.njit(cache=True, nogil=True, inline="always")
def _coords(f, fr, rows, pw, pb, rank, out, orow):
    """Writes into ``out[orow]`` the coordinates of ``f[fr]`` in the echelon basis ``rows[:rank]`` (pivot
    of row r: word ``pw[r]``, bit ``pb[r]``): only rows whose pivot f has can contribute, as no other row
    has a bit there. Returns False (``out`` untouched) when f is outside the span (the XOR of those rows
    is not f). ``out`` may be ``f`` itself (the coordinates are built in the spare row ``rows[-1]``)."""
    one = np.uint64(1)
    words = f.shape[1]
    acc = rows.shape[0] - 1
    c = rows.shape[0] - 2
    for j in range(words):
        rows[acc, j] = 0
        rows[c, j] = 0
    for r in range(rank):
        if (f[fr, pw[r]] >> pb[r]) & one:
            for j in range(words):
                rows[acc, j] ^= rows[r, j]
            rows[c, r >> 6] |= one << np.uint64(r & 63)
    for j in range(words):
        if rows[acc, j] != f[fr, j]:
            return False
    for j in range(words):
        out[orow, j] = rows[c, j]
    return True


@numba.njit(cache=True, nogil=True)
def _compact(wm, wep, epoch, lmask, lterm, nl, rows, pw, pb, slots):
    """Re-express the wires and live terms in a basis of the span of the wires' parities (reduced row
    echelon form; coordinate k is row k), dropping terms outside it. Returns (nvars, nl, slots)."""
    nloc = len(wep)
    words = wm.shape[1]
    # rows: the basis, then four scratch rows (the last two are _coords'); pw, pb: pivots; preallocated
    tmp = nloc
    rank = 0
    one = np.uint64(1)
    for qq in range(nloc):
        if wep[qq] != epoch:
            continue
        for j in range(words):
            rows[tmp, j] = wm[qq, j]
        for r in range(rank):
            if (rows[tmp, pw[r]] >> pb[r]) & one:
                for j in range(words):
                    rows[tmp, j] ^= rows[r, j]
        w = 0
        while w < words and rows[tmp, w] == 0:
            w += 1
        if w == words:
            continue
        low = rows[tmp, w] & (~rows[tmp, w] + one)
        b = kf.popcount(low - one)
        for r in range(rank):
            if (rows[r, w] >> b) & one:
                for j in range(words):
                    rows[r, j] ^= rows[tmp, j]
        for j in range(words):
            rows[rank, j] = rows[tmp, j]
        pw[rank] = w
        pb[rank] = b
        rank += 1
    support = rows[nloc + 1]  # every variable some wire holds; the span lies inside it
    for j in range(words):
        support[j] = 0
    for qq in range(nloc):
        if wep[qq] == epoch:
            for j in range(words):
                support[j] |= wm[qq, j]
            _coords(wm, qq, rows, pw, pb, rank, wm, qq)
    kept = 0
    for e in range(nl):
        outside = False  # a quick exact test first: a term with a variable no wire holds is not in the span
        for j in range(words):
            if lmask[e, j] & ~support[j]:
                outside = True
                break
        if not outside and _coords(lmask, e, rows, pw, pb, rank, lmask, kept):
            lterm[kept] = lterm[e]
            kept += 1
    if 2 * kept + 2 <= len(slots) <= 8 * kept + 64:
        slots[:] = -1
        for e in range(kept):
            slots[kf.find_slot(slots, lmask, lmask, e)] = e
        return rank, kept, slots
    size = 64
    while size < 4 * kept + 2:
        size *= 2
    return rank, kept, kf.rehash(lmask, kept, size)


@numba.njit(cache=True, nogil=True)
def _fold(kind, nq, q, guard, vrow, wptr, wq, qmap, nloc, tag, phase, affine):
    """Walk the program as phase_folding does. Returns (member, head, const, alpha, g, count, occ2)."""
    n = len(kind)
    words = (2 * nloc + 128 + 63) // 64  # room for >= 128 fresh variables beyond any basis of <= nloc
    nbits = words * 64
    wm = np.zeros((nloc + 3, words), np.uint64)  # wire parities, then 3 rows for a gate's new values
    wc = np.zeros(nloc + 3, np.int8)
    wep = np.full(nloc, -1, np.int64)
    epoch = 0
    nvars = 0
    lmask = np.zeros((64, words), np.uint64)
    lterm = np.zeros(64, np.int64)
    nl = 0
    slots = np.full(64, -1, np.int64)
    head = np.zeros(64, np.int64)
    const = np.zeros(64, np.int8)
    alpha = np.zeros(64, np.float64)
    gsum = np.zeros(64, np.float64)
    count = np.zeros(64, np.int64)
    occ2 = np.zeros(64, np.int64)
    nt = 0
    member = np.full(n, -1, np.int64)
    qs = np.zeros(3, np.int64)
    rows = np.zeros((nloc + 4, words), np.uint64)  # scratch for _compact
    pw = np.zeros(nloc, np.int64)
    pb = np.zeros(nloc, np.uint64)
    one = np.uint64(1)
    for i in range(n):
        k = kind[i]
        tg = tag[k]
        m = nq[i]
        fresh_all = False
        if tg == _OTHER:
            if m == 0:  # a qubit-less node ends the region: a new state
                epoch += 1
                nvars = 0
                nl = 0
                if len(slots) > 64:
                    slots = np.full(64, -1, np.int64)
                else:
                    slots[:] = -1
                continue
            fresh_all = True
        elif tg == _DIAGONAL:
            continue
        elif tg == _GATE or (guard[i] >= 0 and tg == _AFFINE):
            fresh_all = True
        elif tg == _PHASE and guard[i] >= 0:
            if phase[k, 2] != 0.0:
                continue
            fresh_all = True
        for j in range(m):
            w = qmap[q[i, j]] if m <= 3 else qmap[wq[wptr[vrow[i]] + j]]
            if j < 3:
                qs[j] = w
            if fresh_all or wep[w] != epoch:  # a fresh variable (also for a wire not seen yet)
                if nvars == nbits:
                    wep[w] = -1  # its old value is gone: not part of the span to keep
                    nvars, nl, slots = _compact(wm, wep, epoch, lmask, lterm, nl, rows, pw, pb, slots)
                for b in range(words):
                    wm[w, b] = 0
                wm[w, nvars >> 6] = one << np.uint64(nvars & 63)
                wc[w] = 0
                wep[w] = epoch
                nvars += 1
        if fresh_all:
            continue
        if tg == _AFFINE:
            for b in range(m):  # new values into the scratch rows first: every output reads old values
                rmask = affine[k, 2 * b]
                c = np.int8(affine[k, 2 * b + 1])
                for x in range(words):
                    wm[nloc + b, x] = 0
                for j in range(m):
                    if (rmask >> j) & 1:
                        for x in range(words):
                            wm[nloc + b, x] ^= wm[qs[j], x]
                        c ^= wc[qs[j]]
                wc[nloc + b] = c
            for b in range(m):
                for x in range(words):
                    wm[qs[b], x] = wm[nloc + b, x]
                wc[qs[b]] = wc[nloc + b]
            continue
        # an unguarded one-qubit phase: join (or open) the term of its wire's parity
        w = qs[0]
        s = kf.find_slot(slots, lmask, wm, w)
        e = slots[s]
        if e < 0:
            if 2 * (nl + 1) > len(slots):
                slots = kf.rehash(lmask, nl, 2 * len(slots))
                s = kf.find_slot(slots, lmask, wm, w)
            if nl == len(lterm):
                lmask = kf.grow(lmask, nl + 1)
                lterm = kf.grow(lterm, nl + 1)
            for x in range(words):
                lmask[nl, x] = wm[w, x]
            lterm[nl] = nt
            slots[s] = nl
            nl += 1
            if nt == len(head):
                head = kf.grow(head, nt + 1)
                const = kf.grow(const, nt + 1)
                alpha = kf.grow(alpha, nt + 1)
                gsum = kf.grow(gsum, nt + 1)
                count = kf.grow(count, nt + 1)
                occ2 = kf.grow(occ2, nt + 1)
            head[nt] = i
            const[nt] = wc[w]
            alpha[nt] = 0.0
            gsum[nt] = 0.0
            count[nt] = 0
            occ2[nt] = -1
            t = nt
            nt += 1
        else:
            t = lterm[e]
        phi = phase[k, 0]
        if wc[w]:
            gsum[t] += phase[k, 1] + phi
            alpha[t] += -phi
        else:
            gsum[t] += phase[k, 1] + 0.0
            alpha[t] += phi
        count[t] += 1
        if count[t] == 2:
            occ2[t] = i
        member[i] = t
    return member, head[:nt], const[:nt], alpha[:nt], gsum[:nt], count[:nt], occ2[:nt]


def phase_folding_kernel(program, ctx, name: str):
    """phase-folding through the kernel, or None when the program must take the Python path."""
    packed = pack(program.nodes)
    prep = kf.prepare(packed)
    if prep is None:
        return None
    qmap, nloc, wptr, wq = prep
    tag, phase, affine = _tables()
    member, head, const, alpha, g, count, occ2 = _fold(
        packed.kind, packed.nq, packed.q, packed.guard, packed.vrow, wptr, wq, qmap, nloc, tag, phase, affine)
    beta = np.where(const != 0, -alpha, alpha)
    base = g + np.where(const != 0, alpha, 0.0)
    return kf.emit(program, ctx, name, packed, member, head, occ2, count, beta, base)


kernel_cache.sync(globals())  # stale compiled copies of edited helpers are dropped (kernel_cache.py)

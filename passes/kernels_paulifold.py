"""The compiled path of ``pauli-folding`` (see phase_folding_paths.py for the method and why it is sound).

Why it decides exactly what the Python pass decides. The tableau rows ``i^r X^x Z^z`` are kept as
fixed-width uint64 words, bit ``b`` standing for the program's ``b``-th qubit (the Python pass numbers
bits by first use in the region instead). Every quantity the pass computes from rows is invariant
under renaming bit positions: products (``r1 + r2 + 2|z1 & x2|``), equality of keys ``(x, z)``, the
sign ``r - |x & z|`` and the commutation parity ``|x & sz| + |z & sx|``. Rows of qubits a region has
not touched yet are identities in both. The commutation search reads the same rotations in the same
order and gives up at the same ``LOOKBACK`` bound: only the last ``LOOKBACK`` rotations (of all, and of
those with an X part) can ever be read, so they are kept in ring buffers, and groups past that bound
are forgotten when the table fills (``_sweep``: the Python pass would open a new group for their key
anyway). Regions end at the same nodes, groups open and merge at the same nodes, and the sums are the
same float additions.
"""

from __future__ import annotations

import numba
import numpy as np

from . import kernel_cache
from . import kernels_folding as kf
from .packed import kind_table, pack

_END, _CLIFFORD, _ROTATION = 0, 1, 2


def _tables():
    from . import phase_folding_paths as pp
    from .gatefacts import facts

    def ptype(op, akey):
        node = kf._probe_node(op, akey)
        if pp._plan_of(node) is not None:
            return _CLIFFORD
        return _ROTATION if len(node.vqs) == 1 and facts(node).z is not None else _END

    def plan(op, akey):
        row = [0] * 12  # per new row (2 * position + 0 for X / 1 for Z): (r, mask of old rows 2b + k)
        compiled = pp._plan_of(kf._probe_node(op, akey))
        if compiled is not None:
            for a, pair in enumerate(compiled[0]):
                for k, (r, srcs) in enumerate(pair):
                    row[2 * (2 * a + k)] = r
                    row[2 * (2 * a + k) + 1] = sum(1 << (2 * b + kk) for b, kk in srcs)
        return row

    def rot(op, akey):
        z = facts(kf._probe_node(op, akey)).z
        return z if z is not None and ptype(op, akey) == _ROTATION else (0.0, 0.0)

    return (kind_table("pz.type", ptype, np.int8, default=_END),
            kind_table("pz.plan", plan, np.int8, 12, default=0),
            kind_table("pz.rot", rot, np.float64, 2, default=0.0))


@numba.njit(cache=True, nogil=True)
def _commutes_since(ring, ring_off, offpos, nseq, noff, start, tab, kr, lookback):
    """phase_folding_paths._commutes_since for the key in row ``kr`` of ``tab`` (x words, then z words),
    over the ring buffers of the last ``lookback`` rotations (of all, and of those with an X part)."""
    words = tab.shape[1] // 2
    xpart = False
    for j in range(words):
        if tab[kr, j] != 0:
            xpart = True
    if xpart:
        if nseq - start > lookback:
            return False
        lo, hi = start, nseq
    else:
        lo, hi = 0, noff  # bisect_left(offpos[:noff], start)
        while lo < hi:
            mid = (lo + hi) >> 1
            if offpos[mid] < start:
                lo = mid + 1
            else:
                hi = mid
        hi = noff
        if hi - lo > lookback:
            return False
    for k in range(lo, hi):
        r = k % lookback
        par = np.uint64(0)
        for j in range(words):
            if xpart:
                par ^= (tab[kr, j] & ring[r, words + j]) ^ (tab[kr, words + j] & ring[r, j])
            else:
                par ^= (tab[kr, j] & ring_off[r, words + j]) ^ (tab[kr, words + j] & ring_off[r, j])
        if kf.popcount(par) & np.uint64(1):
            return False
    return True


@numba.njit(cache=True, nogil=True)
def _sweep(keys, kgrp, nk, last, offpos, nseq, noff, lookback):
    """Forget the open groups that can never take another member, and rehash the rest (with room for as
    many again). A group whose last member has more than ``lookback`` rotations after it (counting, for a
    Z-only key, those with an X part) fails every later commutation search, so the Python pass would
    open a new group for its key anyway: forgetting it first changes no decision. Keeps the table small
    (in cache) on long regions. Returns (nk, slots)."""
    words = keys.shape[1] // 2
    kept = 0
    for e in range(nk):
        start = last[kgrp[e]] + 1
        xpart = False
        for j in range(words):
            if keys[e, j] != 0:
                xpart = True
        if xpart:
            dead = nseq - start > lookback
        else:
            lo, hi = 0, noff  # bisect_left(offpos[:noff], start)
            while lo < hi:
                mid = (lo + hi) >> 1
                if offpos[mid] < start:
                    lo = mid + 1
                else:
                    hi = mid
            dead = noff - lo > lookback
        if not dead:
            for j in range(2 * words):
                keys[kept, j] = keys[e, j]
            kgrp[kept] = kgrp[e]
            kept += 1
    size = 64
    while size < 4 * (kept + 1):
        size *= 2
    return kept, kf.rehash(keys, kept, size)


@numba.njit(cache=True, nogil=True)
def _fold(kind, nq, q, guard, qmap, nloc, ptype, plan, rot, lookback):
    """Walk the program as pauli_folding does. Returns (member, head, sign, alpha, g, count, occ2)."""
    n = len(kind)
    words = max((nloc + 63) // 64, 1)
    one = np.uint64(1)
    # tableau: row 2w is C^dag X_w C, row 2w + 1 is C^dag Z_w C, as x words then z words; phases in tr;
    # rows 2 nloc .. 2 nloc + 5 hold a gate's new rows while they are computed
    tab = np.zeros((2 * nloc + 6, 2 * words), np.uint64)
    tr = np.zeros(2 * nloc + 6, np.int64)
    tep = np.full(nloc, -1, np.int64)
    scratch = 2 * nloc
    epoch = 0
    ring = np.zeros((lookback, 2 * words), np.uint64)
    ring_off = np.zeros((lookback, 2 * words), np.uint64)
    offpos = np.zeros(64, np.int64)
    nseq = 0
    noff = 0
    keys = np.zeros((64, 2 * words), np.uint64)
    kgrp = np.zeros(64, np.int64)
    nk = 0
    slots = np.full(64, -1, np.int64)
    head = np.zeros(64, np.int64)
    sign = np.zeros(64, np.int64)
    last = np.zeros(64, np.int64)
    alpha = np.zeros(64, np.float64)
    gsum = np.zeros(64, np.float64)
    count = np.zeros(64, np.int64)
    occ2 = np.zeros(64, np.int64)
    ng = 0
    member = np.full(n, -1, np.int64)
    qs = np.zeros(3, np.int64)
    for i in range(n):
        k = kind[i]
        pt = ptype[k] if guard[i] < 0 else _END
        if pt == _END:  # anything else ends the region: a new tableau, no open groups
            epoch += 1
            nseq = 0
            noff = 0
            nk = 0
            if len(slots) > 64:
                slots = np.full(64, -1, np.int64)
            else:
                slots[:] = -1
            continue
        m = nq[i]
        for j in range(m):
            w = qmap[q[i, j]]
            qs[j] = w
            if tep[w] != epoch:  # first use in the region: identity rows
                for x in range(2 * words):
                    tab[2 * w, x] = 0
                    tab[2 * w + 1, x] = 0
                tab[2 * w, w >> 6] = one << np.uint64(w & 63)
                tab[2 * w + 1, words + (w >> 6)] = one << np.uint64(w & 63)
                tr[2 * w] = 0
                tr[2 * w + 1] = 0
                tep[w] = epoch
        if pt == _CLIFFORD:
            for row in range(2 * m):
                dst = scratch + row
                r = np.int64(plan[k, 2 * row])
                srcs = plan[k, 2 * row + 1]
                for x in range(2 * words):
                    tab[dst, x] = 0
                for kk in range(2):  # X rows first, then Z rows, by position (the order of _compile)
                    for b in range(m):
                        if (srcs >> (2 * b + kk)) & 1:
                            src = 2 * qs[b] + kk
                            pc = np.uint64(0)
                            for j in range(words):
                                pc += kf.popcount(tab[dst, words + j] & tab[src, j])
                            r = (r + tr[src] + 2 * np.int64(pc)) & 3
                            for x in range(2 * words):
                                tab[dst, x] ^= tab[src, x]
                tr[dst] = r
            for row in range(2 * m):
                dst = 2 * qs[row >> 1] + (row & 1)
                tr[dst] = tr[scratch + row]
                for x in range(2 * words):
                    tab[dst, x] = tab[scratch + row, x]
            continue
        # a non-Clifford one-qubit phase: a rotation about the Pauli C^dag Z_q C
        kr = 2 * qs[0] + 1
        pc = np.uint64(0)
        xpart = False
        for j in range(words):
            pc += kf.popcount(tab[kr, j] & tab[kr, words + j])
            if tab[kr, j] != 0:
                xpart = True
        sg = 1 if ((tr[kr] - np.int64(pc)) & 3) == 0 else -1
        s = kf.find_slot(slots, keys, tab, kr)
        e = slots[s]
        grp = -1
        if e >= 0:
            grp = kgrp[e]
            if not _commutes_since(ring, ring_off, offpos, nseq, noff, last[grp] + 1, tab, kr, lookback):
                grp = -1
        pos = nseq
        if grp < 0:
            if ng == len(head):
                head = kf.grow(head, ng + 1)
                sign = kf.grow(sign, ng + 1)
                last = kf.grow(last, ng + 1)
                alpha = kf.grow(alpha, ng + 1)
                gsum = kf.grow(gsum, ng + 1)
                count = kf.grow(count, ng + 1)
                occ2 = kf.grow(occ2, ng + 1)
            head[ng] = i
            sign[ng] = sg
            alpha[ng] = 0.0
            gsum[ng] = 0.0
            count[ng] = 0
            occ2[ng] = -1
            grp = ng
            ng += 1
            if e >= 0:
                kgrp[e] = grp
            else:
                if 2 * (nk + 1) > len(slots):
                    nk, slots = _sweep(keys, kgrp, nk, last, offpos, nseq, noff, lookback)
                    s = kf.find_slot(slots, keys, tab, kr)
                if nk == len(kgrp):
                    keys = kf.grow(keys, nk + 1)
                    kgrp = kf.grow(kgrp, nk + 1)
                for x in range(2 * words):
                    keys[nk, x] = tab[kr, x]
                kgrp[nk] = grp
                slots[s] = nk
                nk += 1
        phi = rot[k, 0]
        alpha[grp] += sg * phi
        gsum[grp] += rot[k, 1] + phi / 2
        count[grp] += 1
        if count[grp] == 2:
            occ2[grp] = i
        last[grp] = pos
        member[i] = grp
        r = pos % lookback
        for x in range(2 * words):
            ring[r, x] = tab[kr, x]
        if xpart:
            if noff == len(offpos):
                offpos = kf.grow(offpos, noff + 1)
            offpos[noff] = pos
            r = noff % lookback
            for x in range(2 * words):
                ring_off[r, x] = tab[kr, x]
            noff += 1
        nseq += 1
    return member, head[:ng], sign[:ng], alpha[:ng], gsum[:ng], count[:ng], occ2[:ng]


def pauli_folding_kernel(program, ctx, name: str, lookback: int):
    """pauli-folding through the kernel, or None when the program must take the Python path."""
    packed = pack(program.nodes)
    prep = kf.prepare(packed)
    if prep is None:
        return None
    qmap, nloc, _, _ = prep
    ptype, plan, rot = _tables()
    member, head, sign, alpha, g, count, occ2 = _fold(
        packed.kind, packed.nq, packed.q, packed.guard, qmap, nloc, ptype, plan, rot, lookback)
    beta = sign * alpha
    base = g - beta / 2
    return kf.emit(program, ctx, name, packed, member, head, occ2, count, beta, base)


kernel_cache.sync(globals())  # stale compiled copies of edited helpers are dropped (kernel_cache.py)

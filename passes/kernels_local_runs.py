"""Compiled (numba) scans for ``merge-rotations``, ``fuse-1q`` and ``hadamard-reduction`` over the packed arrays.

As in ``kernels_local``, each kernel is the Python pass's sweep with its dicts turned into arrays per
qubit, visiting nodes in the same order and taking the same decisions; the passes then build their
output nodes with the same Python code as their reference path. This module imports numba; the passes
import it only on their kernel path.
"""

from __future__ import annotations

import numba
import numpy as np

from . import kernel_cache


@numba.njit(cache=True, nogil=True)
def _close(r, done, nd, cur, rq):
    done[nd] = r
    cur[rq[r]] = -1
    return nd + 1


@numba.njit(cache=True, nogil=True)
def fuse_scan(kind, gate, nq, q, vrow, guard, wptr, wq, nqubits):
    """The run finding of ``fuse_1q``: maximal runs of one-qubit gates per wire with equal guards.

    Returns ``(done, start, length, runof)``: run ids in the order the Python pass appends them to
    ``done``, each run's first node and length, and the run of every one-qubit gate (-1 for others).
    Python's ``runs`` dict lists its open runs in insertion order, which is creation order (a run is
    inserted when it starts and popped when it ends); ``opened`` keeps the runs created since the last
    barrier in that order, so flushing it at a barrier or at the end appends them as Python does.
    """
    n = len(kind)
    runof = np.full(n, -1, np.int64)
    start = np.empty(n, np.int64)
    length = np.empty(n, np.int64)
    rq = np.empty(n, np.int64)
    done = np.empty(n, np.int64)
    isopen = np.zeros(n, np.uint8)
    opened = np.empty(n, np.int64)
    cur = np.full(nqubits, -1, np.int64)
    nr = nd = no = 0
    for i in range(n):
        m = nq[i]
        if gate[i] and m == 1:
            qb = q[i, 0]
            r = cur[qb]
            if r >= 0 and guard[start[r]] == guard[i]:
                runof[i] = r
                length[r] += 1
                continue
            if r >= 0:
                isopen[r] = 0
                nd = _close(r, done, nd, cur, rq)
            start[nr], length[nr], rq[nr], runof[i] = i, 1, qb, nr
            isopen[nr] = 1
            cur[qb] = nr
            opened[no] = nr
            no += 1
            nr += 1
            continue
        if m == 0 and not gate[i]:
            for t in range(no):
                if isopen[opened[t]]:
                    isopen[opened[t]] = 0
                    nd = _close(opened[t], done, nd, cur, rq)
            no = 0
            continue
        lo, hi = 0, m
        if m > 3:
            lo, hi = wptr[vrow[i]], wptr[vrow[i] + 1]
        for t in range(lo, hi):
            qb = wq[t] if m > 3 else q[i, t]
            r = cur[qb]
            if r >= 0:
                isopen[r] = 0
                nd = _close(r, done, nd, cur, rq)
    for t in range(no):
        if isopen[opened[t]]:
            nd = _close(opened[t], done, nd, cur, rq)
    return done[:nd], start[:nr], length[:nr], runof


@numba.njit(cache=True, nogil=True)
def hadamard_scan(kind, nq, q, vrow, guard, wptr, wq, is_h, two, nqubits):
    """``_neighbours`` and the decision loop of ``hadamard_reduction`` in one sweep plus one loop.

    ``two[k]`` is 1 for a CNOT kind, 2 for a CZ kind (0 otherwise); ``is_h[k]`` marks Hadamard kinds.
    Returns ``(action, used)``: ``action[i]`` is 1 for CNOT -> CNOT(t, c), 2 for CNOT -> CZ, 3 for
    CZ(a, b) -> CNOT(a, b), 4 for CZ(a, b) -> CNOT(b, a), 0 for unchanged; ``used`` marks removed H.
    """
    n = len(kind)
    prev = np.full((n, 2), -1, np.int64)
    nxt = np.full((n, 2), -1, np.int64)
    last = np.full(nqubits, -1, np.int64)
    pend = np.full(nqubits, -1, np.int64)  # pend[q] = 2 * node + slot: the nxt slot q's next node fills
    stamp = np.zeros(nqubits, np.int64)  # last and pend are valid only when stamped with the epoch
    e = 1
    twos = np.empty(n, np.int64)
    nt = 0
    for i in range(n):
        m = nq[i]
        if m == 0:
            e += 1
            continue
        lo, hi = 0, m
        if m > 3:
            lo, hi = wptr[vrow[i]], wptr[vrow[i] + 1]
        for t in range(lo, hi):
            qb = wq[t] if m > 3 else q[i, t]
            if stamp[qb] == e and pend[qb] >= 0:
                nxt[pend[qb] // 2, pend[qb] % 2] = i
                pend[qb] = -1
        if m == 2 and two[kind[i]]:
            a, b = q[i, 0], q[i, 1]
            for s, qb in ((0, a), (1, b)):
                if stamp[qb] != e:
                    stamp[qb], last[qb], pend[qb] = e, -1, -1
                prev[i, s] = last[qb]
            pend[b] = 2 * i + (0 if b == a else 1)
            pend[a] = 2 * i
            twos[nt] = i
            nt += 1
        for t in range(lo, hi):
            qb = wq[t] if m > 3 else q[i, t]
            if stamp[qb] != e:
                stamp[qb], pend[qb] = e, -1
            last[qb] = i
    action = np.zeros(n, np.int8)
    used = np.zeros(n, np.uint8)
    for t in range(nt):
        i = twos[t]
        if guard[i] >= 0:
            continue
        a0 = _h_around(i, 0, prev, nxt, used, is_h, kind, guard)
        a1 = _h_around(i, 1, prev, nxt, used, is_h, kind, guard)
        if two[kind[i]] == 1:
            if a0 and a1:
                action[i] = 1
            elif a1:
                action[i] = 2
        elif a1:
            action[i] = 3
        elif a0:
            action[i] = 4
        act = action[i]
        for k in range(2):  # the sides whose Hadamards the rewrite removes
            if (k == 1 and act != 0 and act != 4) or (k == 0 and (act == 1 or act == 4)):
                used[prev[i, k]] = 1
                used[nxt[i, k]] = 1
    return action, used


@numba.njit(cache=True, nogil=True)
def _h_around(i, k, prev, nxt, used, is_h, kind, guard):
    """``is_h`` of the nodes before and after gate ``i`` on its ``k``-th qubit, and they differ."""
    p, x = prev[i, k], nxt[i, k]
    return (p >= 0 and not used[p] and is_h[kind[p]] != 0 and guard[p] < 0
            and x >= 0 and not used[x] and is_h[kind[x]] != 0 and guard[x] < 0 and p != x)


@numba.njit(cache=True, nogil=True)
def merge_scan(kind, gate, nq, q, vrow, guard, wptr, wq, axis, phi, gph, ends, nqubits):
    """The sweep of ``merge_rotations``: runs of Z phases and of X rotations per wire.

    Returns ``(member, head, rphi, rg, count, nruns)``: ``member[i]`` is the run a later gate ``i``
    joined (its place in ``out`` becomes None), else -1; run ``r`` (in order of its first gate, like
    ``runs``) starts at ``head[r]`` and has summed angle ``rphi[r]``, phase ``rg[r]`` and ``count[r]``
    gates. ``axis[k]`` is 1 for a Z phase kind, 2 for an X rotation kind, 0 otherwise; ``ends[k, p]``
    has bit 1 when the gate ends a Z run at position ``p`` and bit 2 when it ends an X run.
    """
    n = len(kind)
    member = np.full(n, -1, np.int64)
    head = np.empty(n, np.int64)
    rphi = np.empty(n, np.float64)
    rg = np.empty(n, np.float64)
    count = np.empty(n, np.int64)
    run = np.full((2, nqubits), -1, np.int64)  # row 0: Z runs, row 1: X runs
    stamp = np.zeros((2, nqubits), np.int64)
    e = 1
    nr = 0
    for i in range(n):
        m = nq[i]
        k = kind[i]
        if not gate[i]:
            if m == 0:
                e += 1
            elif m <= 3:
                for t in range(m):
                    run[0, q[i, t]] = -1
                    run[1, q[i, t]] = -1
            else:
                r = vrow[i]
                for t in range(wptr[r], wptr[r + 1]):
                    run[0, wq[t]] = -1
                    run[1, wq[t]] = -1
            continue
        a = axis[k]
        if a:
            qb = q[i, 0]
            own = a - 1
            run[1 - own, qb] = -1
            r = run[own, qb] if stamp[own, qb] == e else -1
            if r >= 0 and guard[head[r]] == guard[i]:
                rphi[r] += phi[k]
                rg[r] += gph[k]
                count[r] += 1
                member[i] = r
                continue
            head[nr] = i
            rphi[nr] = phi[k]
            rg[nr] = gph[k]
            count[nr] = 1
            run[own, qb] = nr
            stamp[own, qb] = e
            nr += 1
        else:
            for t in range(m):
                if ends[k, t] & 1:
                    run[0, q[i, t]] = -1
                if ends[k, t] & 2:
                    run[1, q[i, t]] = -1
    return member, head[:nr], rphi[:nr], rg[:nr], count[:nr], nr


kernel_cache.sync(globals())  # stale compiled copies of edited helpers are dropped (kernel_cache.py)

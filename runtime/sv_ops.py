"""In-place numpy kernels on a flat state vector (bit p of the index is the qubit at position p).

Each kernel reshapes the flat array into a view (no copy) whose axes separate the target bits from
runs of other bits, and updates it in place; temporaries are bounded by ``chunk`` amplitudes, except
in ``apply_1q``, which is meant for small states. Tests compare each path with dense matrices.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def compact_shape(n: int, pos: Sequence[int]) -> tuple[list[int], list[int]]:
    """A view shape of a 2^n state (C order, most significant first) with a 2 for each target, runs of
    other bits merged, and the dimension index of each of ``pos`` in order."""
    axes = [n - 1 - p for p in pos]
    dims: list[int] = []
    where: dict[int, int] = {}
    prev = 0
    for a in sorted(axes):
        dims.append(1 << (a - prev))
        where[a] = len(dims)
        dims.append(2)
        prev = a + 1
    dims.append(1 << (n - prev))
    return dims, [where[a] for a in axes]


def apply_diag(psi: np.ndarray, n: int, pos: Sequence[int], d: np.ndarray) -> None:
    """Multiply by the diagonal ``d`` (index MSB = pos[0]) with one broadcast, in place."""
    dims, tdims = compact_shape(n, pos)
    dt = d.reshape((2,) * len(pos)).transpose(np.argsort(tdims))  # targets in view order
    bshape = [1] * len(dims)
    for t in tdims:
        bshape[t] = 2
    view = psi.reshape(dims)
    view *= dt.reshape(bshape)


def apply_1q(psi: np.ndarray, n: int, p: int, u: np.ndarray) -> None:
    """A one-qubit matrix on the (hi, 2, lo) view; temporaries of half the state (small states only)."""
    view = psi.reshape(1 << (n - 1 - p), 2, 1 << p)
    a, b = view[:, 0, :], view[:, 1, :]
    t = a.copy()
    a *= u[0, 0]
    a += u[0, 1] * b
    b *= u[1, 1]
    b += u[1, 0] * t


def apply_dense_chunked(psi: np.ndarray, n: int, pos: Sequence[int], u: np.ndarray, chunk: int) -> None:
    """A 2^k matrix on qubits ``pos``, a group of rows at a time.

    The state is seen as rows of 2^m contiguous amplitudes (2^m <= chunk). Targets below m live inside a
    row; each target at or above m selects between rows. For every setting of the non-target high bits,
    the 2^kh rows that differ only in the high targets are gathered (a copy of at most 2^kh rows), the
    matrix is contracted with the target axes, and the rows are written back.
    """
    k = len(pos)
    m = min(n, chunk.bit_length() - 1)
    high = [p for p in pos if p >= m]
    rows = psi.reshape(1 << (n - m), 1 << m)
    kh = len(high)
    hi_off = np.zeros(1 << kh, dtype=np.int64)
    for i, p in enumerate(high):
        hi_off |= ((np.arange(1 << kh) >> (kh - 1 - i)) & 1) << (p - m)
    base = np.zeros(1, dtype=np.int64)
    for bit in range(n - m):
        if bit + m not in high:
            base = np.concatenate([base, base + (1 << bit)])
    dims: list[int] = [2] * kh
    where: dict[int, int] = {p: high.index(p) for p in high}
    prev = m
    for p in sorted((p for p in pos if p < m), reverse=True):
        dims.append(1 << (prev - 1 - p))
        where[p] = len(dims)
        dims.append(2)
        prev = p
    dims.append(1 << prev)
    axes = [where[p] for p in pos]
    g = u.reshape((2,) * (2 * k))
    for b in base:
        idx = b + hi_off
        x = rows[idx].reshape(dims)
        r = np.moveaxis(np.tensordot(g, x, axes=(list(range(k, 2 * k)), axes)), list(range(k)), axes)
        rows[idx] = r.reshape(1 << kh, 1 << m)


def norm2(arr: np.ndarray, chunk: int) -> float:
    """Sum of |amplitude|^2 of a (possibly strided) view, in chunks along its largest axis."""
    if arr.size == 0:
        return 0.0
    if arr.size <= chunk or arr.ndim == 0:
        x = np.ascontiguousarray(arr).reshape(-1)
        return float(np.vdot(x, x).real)
    ax = int(np.argmax(arr.shape))
    step = max(1, arr.shape[ax] * chunk // arr.size)
    total = 0.0
    for s in range(0, arr.shape[ax], step):
        x = np.ascontiguousarray(arr[(slice(None),) * ax + (slice(s, s + step),)]).reshape(-1)
        total += float(np.vdot(x, x).real)
    return total


def sample_indices(psi: np.ndarray, shots: int, rng, chunk: int) -> np.ndarray:
    """``shots`` basis-state indices drawn from |psi|^2, in random order, without a 2^n probability array.

    Sorted uniforms are matched against the running cumulative distribution one chunk at a time
    (inverse-CDF sampling), then shuffled so the order of shots is random too.
    """
    total = 0.0
    for s in range(0, psi.size, chunk):
        x = psi[s : s + chunk]
        total += float(np.vdot(x, x).real)
    u = np.sort(rng.random(shots)) * total
    picks = np.empty(shots, dtype=np.int64)
    done, run = 0, 0.0
    for s in range(0, psi.size, chunk):
        if done == shots:
            break
        cs = np.cumsum(np.abs(psi[s : s + chunk]) ** 2) + run
        end = float(cs[-1])
        take = int(np.searchsorted(u, end, side="left")) if s + chunk < psi.size else shots
        if take > done:
            i = np.searchsorted(cs, u[done:take], side="right")
            picks[done:take] = s + np.minimum(i, cs.size - 1)
            done = take
        run = end
    return picks[rng.permutation(shots)]

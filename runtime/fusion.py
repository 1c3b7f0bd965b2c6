"""Gate fusion for the state-vector engine: gates multiplied into blocks before they touch the state.

A block is the product of consecutive gates on a small set of qubits ``qs`` (``qs[0]`` the MSB of its
index), kept in the cheapest exact form:

* ``DIAG``: a diagonal, stored as its 2^k entries (e.g. RZ, CZ, T and their products);
* ``MONO``: a monomial matrix, one non-zero per row and column, stored as ``src`` and ``d`` with
  ``M[r, src[r]] = d[r]`` (e.g. CNOT, X, SWAP, CCX times diagonals: the controlled phases of a QFT
  written with CNOT and RZ stay monomial);
* ``DENSE``: a 2^k x 2^k matrix.

The product of two monomial matrices is monomial: (G B)[r, c] = G[r, g(r)] B[g(r), b(g(r))], so
``src = b_src[g_src]`` and ``d = g_d * b_d[g_src]``, exact in floating point because no sums are formed.
Applying a DIAG or MONO block costs one pass over the state whatever k is, so they may span many more
qubits than a DENSE block, whose cost grows as 2^k per amplitude.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DIAG, MONO, DENSE = 0, 1, 2


@dataclass(slots=True)
class Block:
    qs: list[int]
    kind: int
    d: np.ndarray | None = None  # DIAG entries, or MONO phases
    src: np.ndarray | None = None  # MONO: source column of each row
    m: np.ndarray | None = None  # DENSE matrix

    def dense(self) -> np.ndarray:
        if self.kind == DENSE:
            return self.m
        n = self.d.size
        out = np.zeros((n, n), dtype=np.complex128)
        out[np.arange(n), self.src if self.kind == MONO else np.arange(n)] = self.d
        return out

    def is_identity(self) -> bool:
        return self.kind == DIAG and bool(np.all(self.d == 1))


def classify(m: np.ndarray, qs: Sequence[int]) -> Block:
    """The cheapest exact form of a (small) dense gate matrix."""
    nz = m != 0
    rows = nz.sum(axis=1)
    if np.all(rows == 1) and np.all(nz.sum(axis=0) == 1):
        src = np.argmax(nz, axis=1)
        d = m[np.arange(m.shape[0]), src].astype(np.complex128)
        if np.all(src == np.arange(m.shape[0])):
            return Block(list(qs), DIAG, d=d)
        return Block(list(qs), MONO, d=d, src=src)
    return Block(list(qs), DENSE, m=np.asarray(m, dtype=np.complex128))


def gather_index(k: int, where: Sequence[int]) -> np.ndarray:
    """For each index of a k-bit block, the index formed by its bits at ``where`` (MSB-first positions)."""
    idx = np.arange(1 << k)
    out = np.zeros(1 << k, dtype=np.int64)
    g = len(where)
    for j, w in enumerate(where):
        out |= ((idx >> (k - 1 - w)) & 1) << (g - 1 - j)
    return out


def embed_dense(m: np.ndarray, where: Sequence[int], k: int) -> np.ndarray:
    """The 2^k matrix acting as ``m`` on block bits ``where`` and as identity on the others."""
    gi = gather_index(k, where)
    idx = np.arange(1 << k)
    mask = sum(1 << (k - 1 - w) for w in where)
    same_rest = (idx[:, None] & ~mask) == (idx[None, :] & ~mask)
    return np.where(same_rest, m[gi[:, None], gi[None, :]], 0)


def embed(b: Block, where: Sequence[int], k: int, qs: list[int]) -> Block:
    """Block ``b`` seen on a k-qubit block whose bits ``where`` are b's qubits."""
    gi = gather_index(k, where)
    if b.kind == DIAG:
        return Block(qs, DIAG, d=b.d[gi])
    if b.kind == MONO:
        idx = np.arange(1 << k)
        mask = sum(1 << (k - 1 - w) for w in where)
        sub = b.src[gi]
        src = idx & ~mask
        g = len(where)
        for j, w in enumerate(where):
            src |= ((sub >> (g - 1 - j)) & 1) << (k - 1 - w)
        return Block(qs, MONO, d=b.d[gi], src=src)
    return Block(qs, DENSE, m=embed_dense(b.m, where, k))


def compose(g: Block, b: Block) -> Block:
    """The block of g after b (both on the same qubits, in the same order)."""
    if g.kind == DIAG and b.kind == DIAG:
        return Block(b.qs, DIAG, d=g.d * b.d)
    if g.kind != DENSE and b.kind != DENSE:
        n = b.d.size
        gs = g.src if g.kind == MONO else np.arange(n)
        bs = b.src if b.kind == MONO else np.arange(n)
        return Block(b.qs, MONO, d=g.d * b.d[gs], src=bs[gs])
    return Block(b.qs, DENSE, m=g.dense() @ b.dense())


def merge(block: Block, gate: Block) -> Block:
    """gate after block, on the union of their qubits (block's qubits first)."""
    qs = block.qs + [q for q in gate.qs if q not in block.qs]
    k = len(qs)
    if k > len(block.qs):
        block = embed(block, list(range(len(block.qs))), k, qs)
    gate = embed(gate, [qs.index(q) for q in gate.qs], k, qs)
    return compose(gate, block)


def merged_kind(a: Block, b: Block) -> int:
    return max(a.kind, b.kind)

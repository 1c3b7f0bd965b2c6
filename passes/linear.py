"""Which gates act on basis states as affine maps over GF(2), read from the op table's matrices.

A gate whose matrix has exactly one non-zero entry per column maps basis state ``x`` to ``pi(x)`` times
a phase. When every output bit of ``pi`` is ``c XOR (XOR of some input bits)`` (checked on all
``2^n`` inputs, so the description is exact) the gate only moves parities: CNOT, SWAP, X, Y do;
CCX does not (its target bit is not affine). Diagonal gates leave every wire's value unchanged.
"""

from __future__ import annotations

from functools import lru_cache

from qmk import ops

from .gatefacts import args_key


@lru_cache(maxsize=4096)
def _affine(op: str, akey: tuple):
    import numpy as np

    s = ops.spec(op)
    if not s.is_gate or s.arity is None or s.matrix is None:
        return None
    if s.diagonal:
        return "diagonal"
    n = s.arity
    m = ops.matrix(op, dict(akey))
    nz = np.abs(m) > 1e-12
    if not (nz.sum(axis=0) == 1).all():
        return None
    perm = [int(np.flatnonzero(nz[:, x])[0]) for x in range(2**n)]

    def bit(v: int, pos: int) -> int:  # pos 0 is vqs[0], the most significant bit
        return (v >> (n - 1 - pos)) & 1

    out = []
    for b in range(n):
        c = bit(perm[0], b)
        rows = tuple(j for j in range(n) if bit(perm[1 << (n - 1 - j)], b) != c)
        for x in range(2**n):
            want = c
            for j in rows:
                want ^= bit(x, j)
            if bit(perm[x], b) != want:
                return None
        out.append((rows, c))
    return tuple(out)


_FREE: dict = {}


def affine_map(op: str, args):
    """"diagonal", or per output qubit (input positions XORed, constant), or None."""
    if args:
        return _affine(op, args_key(args))
    hit = _FREE.get(op, _FREE)
    if hit is _FREE:
        hit = _FREE[op] = _affine(op, ())
    return hit

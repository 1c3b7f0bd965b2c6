"""Exact one-qubit Clifford+T words: the cheapest word over the op table's argument-free gates.

The table is built once by a uniform-cost search over the argument-free one-qubit gates of
``qmk.ops`` (H, X, Y, Z, S, SDG, T, TDG, SX), cost (T gates, gates), up to ``MAX_T`` T gates and
``MAX_LEN`` gates, keyed by the matrix modulo global phase. A hit is only a candidate: callers check it
with ``phase_between`` before using it, so a rounding collision can miss an optimisation but never
change a program.
"""

from __future__ import annotations

import cmath
import heapq
from functools import lru_cache

from qmk import ops

from .gatefacts import ANGLE_TOL, args_key, t_cost, wrap

MAX_T = 3
MAX_LEN = 9


@lru_cache(maxsize=8192)
def _mat_cached(op: str, akey: tuple):
    m = ops.matrix(op, dict(akey))
    m.setflags(write=False)
    return m


def mat_of(op: str, args) -> object:
    return _mat_cached(op, args_key(args))


def key_of(m) -> tuple:
    """The matrix modulo global phase, rounded: a dictionary key.

    The phase is fixed by the first entry of modulus above 1/2 (a unitary always has one); entries are
    rounded to 7 decimals (``+ 0.0`` turns -0.0 into 0.0), vectorised: ``np.round`` is what ``round``
    of a numpy scalar does, so keys are the same values as elementwise rounding gives.
    """
    import numpy as np

    flat = m.reshape(-1)
    pivot = next(v for v in flat if abs(v) > 0.5)  # scalar abs: np.abs can differ in the last bit
    norm = flat * (abs(pivot) / pivot)
    return tuple(zip((np.round(norm.real, 7) + 0.0).tolist(), (np.round(norm.imag, 7) + 0.0).tolist()))


def phase_between(m, word) -> float | None:
    """gamma with M = e^{i gamma} W (W the word's product), or None when they differ."""
    import numpy as np

    w = np.eye(2, dtype=complex)
    for op, args in word:
        w = mat_of(op, args) @ w
    k = np.argmax(abs(w.reshape(-1)))
    ratio = m.reshape(-1)[k] / w.reshape(-1)[k]
    # np.allclose(m, ratio * w, rtol=0, atol=1e-9) for finite entries, without its generality
    if abs(abs(ratio) - 1) > 1e-9 or not (np.abs(m - ratio * w) <= 1e-9).all():
        return None
    return cmath.phase(ratio)


class _N:
    """A node-like view of (op, args) for the gate-fact helpers."""

    __slots__ = ("args", "op")

    def __init__(self, op, args) -> None:
        self.op, self.args = op, args


def _is_exact(op: str, args) -> bool:
    """A gate without arguments, or a rotation whose angles are all multiples of pi/4."""
    import math

    for name in ops.spec(op).angle_args:
        k = args[name] / (math.pi / 4)
        if abs(wrap(args[name] - round(k) * math.pi / 4)) > ANGLE_TOL:
            return False
    return True


def word_cost(word) -> tuple[int, int, int]:
    """(inexact rotations, T gates, gates) of a list of (op, args)."""
    rot = sum(0 if _is_exact(op, args) else 1 for op, args in word)
    t = sum(t_cost(_N(op, args)) for op, args in word)
    return (rot, t, len(word))


def _free_gates(within=None) -> tuple[str, ...]:
    return tuple(
        n
        for n in ops.GATES
        if ops.spec(n).arity == 1 and not ops.spec(n).angle_args and n != "APPLY_I" and (within is None or n in within)
    )


@lru_cache(maxsize=1)
def _all_free_gates() -> tuple[str, ...]:
    return _free_gates()


def table_for(gates) -> dict:
    """key -> cheapest word over the argument-free one-qubit gates among ``gates``."""
    return _table(_free_gates(gates))


@lru_cache(maxsize=16)
def _table(gens: tuple[str, ...]) -> dict:
    import numpy as np

    gmats = {g: mat_of(g, {}) for g in gens}
    gt = {g: t_cost(_N(g, {})) for g in gens}
    best: dict = {}
    eye = np.eye(2, dtype=complex)
    heap = [((0, 0), 0, (), eye, key_of(eye))]  # entries carry their key: computed once per matrix
    tick = 1
    while heap:
        cost, _, word, m, k = heapq.heappop(heap)
        if k in best:
            continue
        best[k] = word
        if cost[1] >= MAX_LEN:
            continue
        for g in gens:
            c = (cost[0] + gt[g], cost[1] + 1)
            if c[0] > MAX_T:
                continue
            nm = gmats[g] @ m
            nk = key_of(nm)
            if nk in best:
                continue
            heapq.heappush(heap, (c, tick, word + (g,), nm, nk))
            tick += 1
    return best


def lookup(m) -> list[tuple[str, dict]] | None:
    """The cheapest exact word for a 2x2 unitary (time order), or None when none is in the table."""
    word = _table(_all_free_gates()).get(key_of(m))
    return None if word is None else [(op, {}) for op in word]

"""Node lists as flat integer arrays, for the optimizer's compiled (numba) kernels.

A pass that has a kernel asks ``pack(nodes)`` for the arrays, runs the kernel on them, builds its output
node list in Python from the kernel's decisions, and hands the result to ``remember(out, src, packed)``
so that the next pass gets the output's arrays without packing again (``src[k]`` is the input index
output node ``k`` was copied from, or -1 for a node the pass made). Packing is the only per-node Python
work; programs of a million gates pack in well under a second, once per pipeline.

What the arrays say (``Packed``):

- ``kind[i]``: an id for the node's ``(op, args)`` when it is a gate of the op table, for its ``op`` alone
  otherwise (passes never look at a non-gate's arguments). Ids are interned process-wide in ``KINDS``, so
  tables of facts per kind (``kind_table``) are computed once per distinct gate, never per node.
- ``nq[i]``: how many qubits the node names; ``q[i, 0:3]`` the first three, as indices into ``QUBITS``
  (-1 where there are fewer). Nodes on more than three qubits (allocations, fences over registers) keep
  the full list in ``wq[wptr[r]:wptr[r + 1]]`` with ``r = vrow[i]`` (every node has a ``vrow``: one row
  per distinct qubit tuple).
- ``guard[i]``: -1 for an unguarded node, else an id, equal for equal guards (interned process-wide).
- ``gate[i]``: 1 for a gate of the op table, 0 otherwise.

Qubit names, kinds and guards are interned for the whole process: their ids mean the same in every
``Packed``, which is what lets a derived ``Packed`` be made by indexing arrays.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from operator import attrgetter
from typing import TYPE_CHECKING, NamedTuple

from .gatefacts import GATE_OPS, args_key

if TYPE_CHECKING:
    import numpy as np

KINDS: list[tuple[str, tuple]] = []  # kind id -> (op, args key); the key is () for non-gates
_KIND_ID: dict = {}  # op (argument-free or non-gate) or (op, args key) -> kind id
QUBITS: list[str] = []  # qubit id -> name
_QUBIT_ID: dict[str, int] = {}
_GUARDS: dict[str, int] = {}  # canonical JSON of a guard -> guard id

# distinct qubit tuples: row -> (q0, q1, q2, n) and the CSR of their full lists
_VROW: dict[tuple, int] = {}
_VTAB: list[tuple[int, int, int, int]] = []
_VFULL: list[list[int]] = []


class Packed(NamedTuple):
    kind: np.ndarray  # int32[n]
    gate: np.ndarray  # int8[n]
    nq: np.ndarray  # int32[n]
    q: np.ndarray  # int32[n, 3]
    vrow: np.ndarray  # int32[n]
    guard: np.ndarray  # int32[n]

    def __len__(self) -> int:
        return len(self.kind)


def qubit_id(name: str) -> int:
    k = _QUBIT_ID.get(name)
    if k is None:
        k = _QUBIT_ID[name] = len(QUBITS)
        QUBITS.append(name)
    return k


def kind_id(op: str, args) -> int:
    """The kind of a node with this op and these arguments."""
    key = (op, args_key(args)) if args and op in GATE_OPS else op
    k = _KIND_ID.get(key)
    if k is None:
        k = _KIND_ID[key] = len(KINDS)
        KINDS.append((op, key[1] if isinstance(key, tuple) else ()))
    return k


def _canon(v):
    """A guard with the values Python compares equal written alike (True, 1 and 1.0 all as 1)."""
    if isinstance(v, dict):
        return {k: _canon(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_canon(x) for x in v]
    if isinstance(v, bool) or (isinstance(v, float) and v.is_integer()):
        return int(v)
    return v


def guard_id(guard) -> int:
    """-1 for no guard; otherwise equal ids exactly for guards that compare equal."""
    if guard is None:
        return -1
    key = json.dumps(_canon(guard), sort_keys=True)
    k = _GUARDS.get(key)
    if k is None:
        k = _GUARDS[key] = len(_GUARDS)
    return k


def _vrow(vqs: tuple) -> int:
    r = _VROW.get(vqs)
    if r is None:
        ids = [qubit_id(q) for q in vqs]
        pad = (ids + [-1, -1, -1])[:3]
        r = _VROW[vqs] = len(_VTAB)
        _VTAB.append((pad[0], pad[1], pad[2], len(ids)))
        _VFULL.append(ids)
    return r


def wide_qubits() -> tuple[np.ndarray, np.ndarray]:
    """``(wptr, wq)``: the full qubit list of qubit-tuple row ``r`` is ``wq[wptr[r]:wptr[r + 1]]``."""
    import numpy as np

    lens = np.fromiter((len(v) for v in _VFULL), dtype=np.int64, count=len(_VFULL))
    wptr = np.zeros(len(_VFULL) + 1, dtype=np.int64)
    np.cumsum(lens, out=wptr[1:])
    wq = np.fromiter((q for v in _VFULL for q in v), dtype=np.int32, count=int(wptr[-1]))
    return wptr, wq


def _pack(nodes: list) -> Packed:
    import numpy as np

    n = len(nodes)
    ops_ = list(map(attrgetter("op"), nodes))
    args_ = list(map(attrgetter("args"), nodes))
    vqs_ = list(map(attrgetter("vqs"), nodes))
    kl = list(map(_KIND_ID.get, ops_))
    for i in [i for i, a in enumerate(args_) if a]:  # gates with arguments have their own kinds
        kl[i] = None
    for i in [i for i, k in enumerate(kl) if k is None]:
        kl[i] = kind_id(ops_[i], args_[i])
    vl = list(map(_VROW.get, vqs_))
    for i in [i for i, r in enumerate(vl) if r is None]:
        vl[i] = _vrow(vqs_[i])
    kinds = np.array(kl, dtype=np.int32).reshape(n)
    vrows = np.array(vl, dtype=np.int32).reshape(n)
    guards = np.full(n, -1, dtype=np.int32)
    for i, g in enumerate(map(attrgetter("guard"), nodes)):
        if g is not None:
            guards[i] = guard_id(g)
    vtab = np.array(_VTAB, dtype=np.int32).reshape(-1, 4)
    gate_of_kind = np.fromiter((op in GATE_OPS for op, _ in KINDS), dtype=np.int8, count=len(KINDS))
    return Packed(kinds, gate_of_kind[kinds], vtab[vrows, 3].copy(), vtab[vrows, :3].copy(), vrows, guards)


_CACHE: list = []  # [(node list, Packed)], newest last; the list is held so its id is never reused
_CACHE_SIZE = 4


def pack(nodes: list) -> Packed:
    """The arrays of a node list (from the cache when a pass already made them)."""
    for lst, p in reversed(_CACHE):
        if lst is nodes and len(p) == len(nodes):
            return p
    p = _pack(nodes)
    _remember(nodes, p)
    return p


def _remember(nodes: list, p: Packed) -> None:
    _CACHE.append((nodes, p))
    del _CACHE[:-_CACHE_SIZE]


def remember(out: list, src, packed: Packed) -> Packed:
    """Record the arrays of ``out``, a pass's output: ``src[k]`` is the index in the input (whose arrays
    are ``packed``) that ``out[k]`` is an unchanged copy of, or -1 for a node the pass made."""
    import numpy as np

    src = np.asarray(src, dtype=np.int64)
    new = np.flatnonzero(src < 0)
    take = np.where(src < 0, 0, src)
    p = Packed(*(a[take] for a in packed))
    if len(new):
        fresh = _pack([out[k] for k in new])
        for a, b in zip(p, fresh):
            a[new] = b
    _remember(out, p)
    return p


def kind_table(name: str, fn: Callable, dtype, width: int = 1, default=0) -> np.ndarray:
    """A table of facts per kind: ``table[k]`` is ``fn(op, args_key)`` for kind ``k`` (``default`` for
    non-gates), computed once per kind and extended when new kinds appear. ``width`` > 1 gives rows."""
    import numpy as np

    t = _TABLES.get(name)
    done = 0 if t is None else len(t)
    if t is not None and done == len(KINDS):
        return t
    shape = (len(KINDS),) if width == 1 else (len(KINDS), width)
    new = np.empty(shape, dtype=dtype)
    if done:
        new[:done] = t
    for k in range(done, len(KINDS)):
        op, akey = KINDS[k]
        new[k] = fn(op, akey) if op in GATE_OPS else default
    _TABLES[name] = new
    return new


_TABLES: dict = {}  # name -> numpy array over kinds


KERNEL_MIN_NODES = 20_000  # below this the Python passes are faster than packing plus kernel dispatch


def use_kernels(n: int) -> bool:
    """Whether passes run their compiled kernels on a program of ``n`` nodes: above KERNEL_MIN_NODES, or
    as forced by ``QMK_OPT_KERNELS=always|never`` (tests use it to compare both paths on small programs)."""
    import os

    mode = os.environ.get("QMK_OPT_KERNELS", "auto")
    if mode == "always":
        return True
    if mode == "never":
        return False
    return n >= KERNEL_MIN_NODES

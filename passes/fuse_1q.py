"""``fuse-1q``: replace each run of one-qubit gates on a wire by the cheapest equivalent.

Why it is sound: a run is a maximal sequence of one-qubit plain gates on one wire with equal guards
and no other node on that wire between them, so nodes interleaved on other wires commute with it and
the run acts as the single 2x2 product ``M`` (op-table matrices), placed at the run's first node
(whose guard events are already produced). ``M`` is replaced, only when strictly cheaper, by a word
checked equal to ``M`` up to a phase ``e^{i gamma}`` with numpy (``gamma`` goes to
``metadata["global_phase"]`` for unguarded runs). Candidates: nothing (identity), the cheapest exact
word over the table's argument-free one-qubit gates (``clifford_t.lookup``), one phase or X rotation,
else one ``U`` (``form=u``) or ``RZ RY RZ`` (``form=zyz``). Cost is (non-Clifford+T rotations,
T gates, gates), compared lexicographically, so T-count never grows and a Clifford+T run is never
turned into an arbitrary rotation.
"""

from __future__ import annotations

import cmath
import math
from functools import lru_cache

from qmk.ir import node_from_fields
from qmk.qvmjson import gc_paused

from .clifford_t import lookup, mat_of, phase_between, word_cost
from .gatefacts import (
    GATE_OPS,
    IdMaker,
    _phase_cached,
    add_global_phase,
    args_key,
    count_removed,
    is_zero_angle,
    phase_gates,
    xphase_gates,
)
from .packed import use_kernels
from .registry import register
from .walk import splice

NAME = "fuse-1q"
_S2 = 1 / math.sqrt(2)


def _hadamard():
    import numpy as np

    return np.array([[_S2, _S2], [_S2, -_S2]], dtype=complex)


@register(NAME, "transform", params={"form": (str, "u", "rotation form for inexact runs: u or zyz")})
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def fuse_1q(program, ctx, *, form: str = "u"):
    """Replace runs of one-qubit gates by the shortest equivalent (exact Clifford+T when possible)."""
    if form not in ("u", "zyz"):
        raise ValueError(f"fuse-1q: form must be u or zyz, not {form!r}")
    if use_kernels(len(program.nodes)):
        fast = _kernel_path(program, ctx, form)
        if fast is not None:
            return fast
    runs: dict[str, list[int]] = {}
    done: list[list[int]] = []
    nodes = program.nodes
    for i, node in enumerate(nodes):
        vqs = node.vqs
        if node.op in GATE_OPS:  # walk.classify inlined: PLAIN
            if len(vqs) == 1:
                q = vqs[0]
                run = runs.get(q)
                if run is None:
                    runs[q] = [i]
                elif nodes[run[0]].guard != node.guard:
                    done.append(runs.pop(q))  # pop, then insert: the new run goes last in order
                    runs[q] = [i]
                else:
                    run.append(i)
                continue
        elif not vqs:  # BARRIER
            done.extend(runs.values())
            runs.clear()
        for q in vqs:
            if q in runs:
                done.append(runs.pop(q))
    done.extend(runs.values())
    ids = IdMaker(nodes)
    repl: dict[int, list] = {}
    drop: set[int] = set()
    phase = 0.0
    lone_stays: dict[str, bool] = {}  # op -> whether a lone argument-free gate of it is kept (by op only)
    for run in done:
        if len(run) == 1 and not nodes[run[0]].args:
            op = nodes[run[0]].op
            stays = lone_stays.get(op)
            if stays is None:
                stays = lone_stays[op] = _best(run, nodes, form) is None
            if stays:
                continue
        found = _best(run, nodes, form)
        if found is not None:
            _replace(run, found[0], nodes, ids, repl, drop)
            if nodes[run[0]].guard is None:
                phase += found[1]
    if not repl:
        return program
    out = splice(nodes, repl, drop)
    count_removed(ctx, NAME, nodes, out)
    return add_global_phase(program, phase, out)


def _replace(run, gates, nodes, ids, repl, drop) -> None:
    """Record the replacement of a run by ``gates`` (new nodes at its head, the rest dropped)."""
    head = nodes[run[0]]
    rest = head[4:]  # the head's other fields, shared by every new node (node_from_fields: no checks)
    repl[run[0]] = [
        node_from_fields((head.id if k == 0 else ids.fresh(head.id), op, head.vqs, args) + rest)
        for k, (op, args) in enumerate(gates)
    ]
    drop.update(run[1:])


def _best(run, nodes, form):
    """(gates, gamma) strictly cheaper than the run with M = e^{i gamma} word, or None."""
    key = []
    for i in run:
        n = nodes[i]
        key.append((n.op, args_key(n.args) if n.args else ()))
    return best_of(tuple(key), form)


def best_of(key: tuple, form: str):
    """``_best`` of a run given as its gates' ``(op, args key)``: a function of the kinds alone."""
    if len(key) == 1 and not is_zero_angle((_phase_cached(key[0][0], key[0][1], "Z") or (1.0,))[0]):
        return None  # a single gate is already as short as it gets (identities are dropped)
    return _best_cached(key, form)


@lru_cache(maxsize=65536)
def _best_cached(key, form):
    import numpy as np

    words = [(op, dict(a)) for op, a in key]
    m = np.eye(2, dtype=complex)
    for op, args in words:
        m = mat_of(op, args) @ m
    cands = [[]]
    exact = lookup(m)
    if exact is not None:
        cands.append(exact)  # a Clifford+T product stays Clifford+T
    else:
        if abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12:
            cands.append(phase_gates(cmath.phase(m[1, 1] / m[0, 0]))[0])
        h = _hadamard()
        hmh = h @ m @ h
        if abs(hmh[0, 1]) < 1e-12 and abs(hmh[1, 0]) < 1e-12:
            cands.append(xphase_gates(cmath.phase(hmh[1, 1] / hmh[0, 0]))[0])
        cands.append(rotation_word(m, form))
    best, best_cost = None, word_cost(words)
    for cand in cands:
        if cand is None:
            continue
        c = word_cost(cand)
        if c < best_cost:
            gamma = phase_between(m, cand)
            if gamma is not None:
                best, best_cost = (cand, gamma), c
    return best


def rotation_word(m, form):
    """U(theta, phi, lam) or RZ RY RZ words for a 2x2 unitary (checked later by phase_between)."""
    a, b, c = m[0, 0], m[1, 0], m[0, 1]
    theta = 2 * math.atan2(abs(b), abs(a))
    if abs(a) > 1e-12 and abs(b) > 1e-12:
        alpha = cmath.phase(a)
        phi = cmath.phase(b) - alpha
        lam = cmath.phase(-c) - alpha
    elif abs(b) <= 1e-12:  # diagonal
        phi, lam = 0.0, cmath.phase(m[1, 1] / a)
    else:  # anti-diagonal
        phi, lam = cmath.phase(b), cmath.phase(-c)
        phi, lam = phi - lam, 0.0
    if form == "u":
        return [("APPLY_U", {"theta": theta, "phi": phi, "lam": lam})]
    # U(theta, phi, lam) = e^{i(phi+lam)/2} RZ(phi) RY(theta) RZ(lam); gates in time order.
    return [("APPLY_RZ", {"theta": lam}), ("APPLY_RY", {"theta": theta}), ("APPLY_RZ", {"theta": phi})]


def _kernel_path(program, ctx, form: str):
    """The same runs found by ``kernels_local_runs.fuse_scan``; ``best_of`` decided once per distinct
    sequence of kinds (it depends on nothing else), then the changed runs emitted as above, in the
    order of ``done``, so new ids and the phase sum come out the same."""
    import numpy as np

    try:
        from . import kernels_local as kl
        from .kernels_local_runs import fuse_scan
    except ImportError:  # numba is not installed
        return None
    from . import packed

    nodes = program.nodes
    pk = kl.packed_input(nodes)
    if pk is None:
        return None
    wptr, wq = packed.wide_qubits()
    done, start, length, runof = fuse_scan(pk.kind, pk.gate, pk.nq, pk.q, pk.vrow, pk.guard, wptr, wq,
                                           len(packed.QUBITS))
    members = np.flatnonzero(runof >= 0)
    members = members[np.argsort(runof[members], kind="stable")]  # grouped by run, in node order
    off = np.cumsum(length) - length
    seq = pk.kind[members]
    found: list = [None] * len(start)
    for size in np.unique(length).tolist():
        rs = np.flatnonzero(length == size)
        rows = seq[off[rs][:, None] + np.arange(size)]
        h = np.zeros(len(rs), np.uint64)
        for t in range(size):  # a hash of each row; equal hashes are checked to be equal rows below
            h = h * np.uint64(0x100000001B3) + rows[:, t].astype(np.uint64)
        _, first, inv = np.unique(h, return_index=True, return_inverse=True)
        inv = inv.reshape(-1)
        if (rows == rows[first][inv]).all():
            answers = [best_of(tuple(packed.KINDS[k] for k in row), form) for row in rows[first].tolist()]
            picks = [answers[u] for u in inv.tolist()]
        else:  # a hash collision (never seen): decide every row on its own
            picks = [best_of(tuple(packed.KINDS[k] for k in row), form) for row in rows.tolist()]
        for r, a in zip(rs.tolist(), picks):
            found[r] = a
    change = [r for r in done.tolist() if found[r] is not None]
    if not change:
        return program
    ids = IdMaker(nodes)
    repl: dict[int, list] = {}
    drop: set[int] = set()
    phase = 0.0
    for r in change:
        run = members[off[r]:off[r] + length[r]].tolist()
        _replace(run, found[r][0], nodes, ids, repl, drop)
        if nodes[run[0]].guard is None:
            phase += found[r][1]
    out, src = kl.assemble(nodes, repl, sorted(drop))
    kl.count_removed(ctx, NAME, pk, packed.remember(out, src, pk))
    return add_global_phase(program, phase, out)

"""``cancel-inverses``: remove pairs of gates that multiply to the identity, looking past commuting gates.

Why it is sound: a later gate ``G`` is removed together with an earlier gate ``P`` only when
(1) both act on the same set of qubits, carry equal guards, and the product ``G P`` (with ``G``'s
qubits permuted into ``P``'s order) equals ``e^{i phi} I`` by the op table's matrices; and (2) every
node between them that touches one of those qubits is a gate that commutes with ``G``
(``gatefacts.commute``). Then ``G`` can be moved back next to ``P`` without changing the program, and
``G P = e^{i phi} I``; ``phi`` is added to ``metadata["global_phase"]`` for unguarded pairs (under a
guard it is a phase of one classical branch, which no measurement can see). Measurements, resets,
allocation and free, ``COND_PAULI`` and other non-gate nodes end the search on their qubits, and a
``FENCE_EPOCH`` (or any node without qubits) ends it everywhere (see ``walk``).

The backward search on a wire looks at most ``window`` live gates, so the pass runs in linear time.
"""

from __future__ import annotations

import cmath
from functools import lru_cache

from qmk import ops
from qmk.qvmjson import gc_paused

from .gatefacts import GATE_OPS, add_global_phase, args_key, commute_masks, count_removed, role_masks
from .packed import use_kernels
from .registry import register

NAME = "cancel-inverses"


def _product_phase(p_op, p_args, g_op, g_args, perm) -> float | None:
    """phi when G P = e^{i phi} I, G's qubit order given by perm (positions of G's qubits in P)."""
    import numpy as np

    n = len(perm)
    mp = ops.matrix(p_op, dict(p_args))
    mg = ops.matrix(g_op, dict(g_args))
    if perm != tuple(range(n)):
        t = mg.reshape((2,) * (2 * n))
        inv = [perm.index(i) for i in range(n)]
        t = t.transpose(inv + [n + i for i in inv])
        mg = t.reshape(2**n, 2**n)
    prod = mg @ mp
    ph = prod[0, 0]
    if abs(abs(ph) - 1) > 1e-9 or not np.allclose(prod, ph * np.eye(2**n), rtol=0, atol=1e-9):
        return None
    return cmath.phase(ph)


_INV: dict = {}


@lru_cache(maxsize=1)
def _free_inverse() -> dict[str, str]:
    """op -> its inverse op, for argument-free gates whose inverse is argument-free (a fast reject)."""
    out = {}
    for name in ops.GATES:
        s = ops.spec(name)
        if s.angle_args or s.inverse is None:
            continue
        inv, args = ops.inverse(name)
        if not args:
            out[name] = inv
    return out


def inverse_phase(p, g) -> float | None:
    """The phase phi with G P = e^{i phi} I, or None when the two gates are not inverse pairs."""
    pv, gv = p.vqs, g.vqs
    if len(pv) == 1:
        if len(gv) != 1 or pv[0] != gv[0]:
            return None
        perm = (0,)
    elif len(pv) != len(gv) or set(pv) != set(gv):
        return None
    else:
        perm = tuple(pv.index(q) for q in gv)
    if p.guard != g.guard:
        return None
    return pair_phase(p.op, args_key(p.args) if p.args else (), g.op, args_key(g.args) if g.args else (), perm)


def pair_phase(p_op: str, p_akey: tuple, g_op: str, g_akey: tuple, perm: tuple) -> float | None:
    """``inverse_phase`` once the qubits and guards match: a function of the two kinds and ``perm``."""
    if not p_akey and not g_akey and _free_inverse().get(p_op, g_op) != g_op:
        return None
    key = (p_op, p_akey, g_op, g_akey, perm)
    hit = _INV.get(key, _INV)
    if hit is _INV:
        if len(_INV) > 100_000:
            _INV.clear()
        known = ops.spec(p_op).matrix is not None and ops.spec(g_op).matrix is not None
        hit = _INV[key] = _product_phase(*key) if known else None
    return hit


@register(NAME, "transform", params={"window": (int, 64, "live gates searched back on a wire")})
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def cancel_inverses(program, ctx, *, window: int = 64):
    """Remove gate pairs that cancel, commuting past gates on other qubits and commuting gates.

    One sweep with a stack of output indices per wire. The backward search is inlined here (it runs
    once per gate): ``p`` is a candidate partner when ``inverse_phase`` says ``g p`` is a phase, which
    is only asked when the cheap op-level test (``_free_inverse``) does not already rule it out.
    """
    if use_kernels(len(program.nodes)):
        fast = _kernel_path(program, ctx, window)
        if fast is not None:
            return fast
    out: list = []
    wires: dict[str, list[int]] = {}
    masks = role_masks()
    finv = _free_inverse()
    phase = 0.0
    removed = 0
    append = out.append
    for node in program.nodes:
        op = node.op
        gv = node.vqs
        if op not in GATE_OPS:
            if gv:
                for q in gv:
                    wires[q] = []
            else:
                wires.clear()
            append(node)
            continue
        lst = wires.get(gv[0])
        if lst:
            hit = None
            mg = masks[op]
            mg0 = mg[0]
            single = len(gv) == 1
            free = not node.args
            while lst and out[lst[-1]] is None:
                lst.pop()
            budget = window
            for j in reversed(lst):
                p = out[j]
                if p is None:
                    continue
                pop = p.op
                pv = p.vqs  # p is on g's first wire: a one-qubit p (or g) meets g only there
                if (not free or p.args or finv.get(pop, op) == op) and (
                    len(pv) != 2 or pv == gv or (len(gv) == 2 and pv[0] == gv[1] and pv[1] == gv[0])
                ):  # (two-qubit pairs on different qubit sets are never inverse: a cheap reject)
                    phi = inverse_phase(p, node)
                    if phi is not None and (single or _clear_between(node, j, out, wires, window, masks)):
                        hit = phi
                        break
                if len(pv) == 1:
                    if not (mg0 & masks[pop][0]):
                        break
                elif single:
                    if not (mg0 & masks[pop][pv.index(gv[0])]):
                        break
                elif not commute_masks(pv, masks[pop], gv, mg):
                    break
                budget -= 1
                if budget <= 0:
                    break
            if hit is not None:
                out[j] = None
                removed += 2
                if node.guard is None:
                    phase += hit
                continue
        idx = len(out)
        append(node)
        for q in gv:
            w = wires.get(q)
            if w is None:
                wires[q] = [idx]
            else:
                w.append(idx)
    nodes = list(filter(None, out))  # removed entries are None; a node is a non-empty tuple
    count_removed(ctx, NAME, program.nodes, nodes)
    return add_global_phase(program, phase, nodes) if removed else program


def _live(out, lst, window):
    """The live indices of a wire list, newest first, at most ``window`` of them (trims dead tails)."""
    while lst and out[lst[-1]] is None:
        lst.pop()
    seen = 0
    for k in range(len(lst) - 1, -1, -1):
        j = lst[k]
        if out[j] is None:
            continue
        yield j
        seen += 1
        if seen >= window:
            return


def _clear_between(g, j, out, wires, window, masks) -> bool:
    """Whether every live gate after index j on g's other qubits commutes with g.

    ``P`` (at j) acts on every qubit of ``g``, so each wire list reaches j unless a blocker emptied
    it or the window ran out; both answer no.
    """
    gv, mg = g.vqs, masks[g.op]
    for q in gv[1:]:
        for k in _live(out, wires.get(q, []), window + 1):
            if k <= j:
                break
            p = out[k]
            if not commute_masks(p.vqs, masks[p.op], gv, mg):
                return False
        else:
            return False
    return True


def _kernel_path(program, ctx, window: int):
    """The same sweep compiled (``kernels_local.cancel_scan``); pairs of kinds are decided by
    ``pair_phase`` the first time the kernel meets them, so every decision is the Python rule's."""
    import numpy as np

    try:
        from . import kernels_local as kl
    except ImportError:  # numba is not installed
        return None
    from . import packed

    nodes = program.nodes
    n = len(nodes)
    pk = kl.packed_input(nodes)
    if pk is None:
        return None
    masks = packed.kind_table("role-masks", _mask_row, np.int8, 3)
    wptr, wq = packed.wide_qubits()
    nqb = len(packed.QUBITS)
    head, hep, ep = np.full(nqb, -1, np.int64), np.zeros(nqb, np.int64), np.ones(1, np.int64)
    link, alive = np.full((n, 3), -1, np.int64), np.ones(n, np.uint8)
    phase, out = np.zeros(1), np.zeros(2, np.int64)
    pkeys, pvals = kl.pair_table()
    miss = np.empty(window + 1, np.int64)
    start = 0
    while True:
        out[0] = 0
        start = kl.cancel_scan(start, pk.kind, pk.gate, pk.nq, pk.q, pk.vrow, pk.guard, wptr, wq, masks,
                               pkeys, pvals, window, head, hep, ep, link, alive, phase, out, miss)
        if start < 0:
            break
        m = int(pk.nq[start])
        for key in miss[:out[0]].tolist():
            kp, kg, code = kl.decode_pair(key)
            perm = tuple((code // 3 ** (m - 1 - t)) % 3 for t in range(m))
            (pop, pakey), (gop, gakey) = packed.KINDS[kp], packed.KINDS[kg]
            phi = pair_phase(pop, pakey, gop, gakey, perm)
            pkeys, pvals = kl.pair_put(key, np.nan if phi is None else phi)
    if not out[1]:
        return program  # nothing removed: the Python path's counters would all be zero
    keep = np.flatnonzero(alive)
    result = list(map(nodes.__getitem__, keep.tolist()))
    kl.count_removed(ctx, NAME, pk, packed.remember(result, keep, pk))
    return add_global_phase(program, float(phase[0]), result)


def _mask_row(op: str, akey: tuple) -> tuple[int, int, int]:
    """The role masks of a gate per qubit position, padded to three positions."""
    m = role_masks()[op]
    return tuple(m) + (0,) * (3 - len(m))

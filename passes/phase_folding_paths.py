"""``pauli-folding``: phase folding across Hadamards by merging Pauli rotations (Zhang and Chen's view).

Why it is sound. Inside a region of plain, unguarded gates, split the gates into Cliffords ``G`` (every
gate that maps Pauli operators to Pauli operators by conjugation, found from the op table's matrices)
and one-qubit phases ``D = e^{ig} diag(1, e^{i phi}) = e^{i(g + phi/2)} exp(-i phi/2 Z)`` that are not
Cliffords (T, TDG, RZ, ...). With ``C`` the product of the Cliffords before a phase on qubit ``q``,
``C^dag Z_q C`` is a Pauli ``s P`` (``P`` Hermitian with a canonical sign, ``s = +-1``), and the region
equals ``C_all * prod_k e^{i(g_k + phi_k/2)} exp(-i s_k phi_k/2 P_k)`` (rotations in program order, every
Clifford pushed to the end). Rotations about Paulis that commute can be reordered, and two rotations
about the same ``P`` add their angles. So a rotation ``k`` is merged into the group of an earlier rotation
about the same ``P`` when every rotation after the group's last member and before ``k`` commutes with
``P``: by induction every rotation left between the group's head and ``k`` then commutes with ``P`` (later
merges only move rotations onto heads of their own Pauli, which were checked), so all members can be
moved to the head and multiplied. The merged rotation ``exp(-i alpha/2 P)`` is realised at the head, whose
Pauli is ``s_h P``, as ``diag(1, e^{i s_h alpha})``, and the difference of the scalar factors goes into
``metadata["global_phase"]``. This is exactly the circuit's operator, so the unitary (or, in programs
that measure, every branch's state) is unchanged.

Regions end (the tableau is reset) at every node that is not a plain unguarded gate or that is a
non-Clifford gate other than a one-qubit phase (CCX, RX(theta), U, ...), and at qubit-less barriers:
conservative, since nothing is assumed about what those do. The tableau holds, for every qubit, the
Paulis ``C^dag Z_q C`` and ``C^dag X_q C`` as Python ints used as bit sets (``i^r X^x Z^z``), so a gate
costs O(qubits / 64) word operations. The commutation search examines at most ``LOOKBACK`` rotations
(beyond that a new group starts), which keeps the pass linear in the program size; for a Pauli with
no X part only the rotations that have one can fail to commute, so only those are examined. As in the
other passes, a gate within 1e-9 (``ANGLE_TOL`` for phases) of a Clifford is treated as that Clifford.
"""

from __future__ import annotations

import math
from bisect import bisect_left
from functools import lru_cache

from qmk import ops

from .gatefacts import (
    ANGLE_TOL,
    GATE_OPS,
    IdMaker,
    add_global_phase,
    already_emitted,
    args_key,
    count_removed,
    facts,
    phase_gates,
)
from .phase_folding import run_kernel
from .registry import register

NAME = "pauli-folding"
LOOKBACK = 512  # rotations examined when checking that a merge commutes past everything in between


def _plan_of(node):
    """How a plain gate node updates the tableau, ``(plan, fast)`` (see ``_compile`` and ``_fast``), or None
    when it is not a Clifford."""
    if node.args:
        return _compile(_clifford_images(node))
    plan = _FREE_PLANS.get(node.op, _FREE_PLANS)
    if plan is _FREE_PLANS:
        plan = _FREE_PLANS[node.op] = _compile(_clifford_images(node))
    return plan


_FREE_PLANS: dict = {}


def _clifford_images(node):
    """The Pauli images of a plain gate node (see ``_images``), or None when it is not a Clifford.

    One-qubit phases are Cliffords exactly when their angle is a multiple of pi/2 (within ANGLE_TOL);
    they are looked up by that multiple, so arbitrary RZ angles cost no matrix work here.
    """
    z = facts(node).z if len(node.vqs) == 1 else None
    if z is not None:
        k = round(z[0] / (math.pi / 2))
        return _phase_images(k % 4) if abs(z[0] - k * math.pi / 2) < ANGLE_TOL else None
    return _conjugation(node.op, args_key(node.args) if node.args else ())


@lru_cache(maxsize=4096)
def _compile(images):
    """Per position, for X then Z: ``(r, sources)``, the new row being ``i^r`` times the product of the
    old rows ``sources`` ((position, 0 for X / 1 for Z), X rows first as in ``i^r X^x Z^z``); returned
    with its flattened form from ``_fast``."""
    if images is None:
        return None
    plan = []
    for pair in images:
        out = []
        for r, x, z in pair:
            n = max(x.bit_length(), z.bit_length())
            srcs = [(b, 0) for b in range(n) if x >> b & 1] + [(b, 1) for b in range(n) if z >> b & 1]
            out.append((r, tuple(srcs)))
        plan.append(tuple(out))
    plan = tuple(plan)
    return plan, _fast(plan)


@lru_cache(maxsize=4)
def _phase_images(k: int):
    import numpy as np

    return _images(np.diag([1, 1j**k]), 1)


@lru_cache(maxsize=4096)
def _conjugation(op: str, akey: tuple):
    s = ops.spec(op)
    if not s.is_gate or s.arity is None or not 1 <= s.arity <= 3 or s.matrix is None:
        return None
    return _images(ops.matrix(op, dict(akey)), s.arity)


def _images(m, n: int):
    """For a Clifford gate G (matrix m on n qubits): per position a, ``(G^dag X_a G, G^dag Z_a G)`` as
    ``(r, x, z)`` over the gate's qubits (bit b is position b), meaning ``i^r X^x Z^z``; else None."""
    import numpy as np

    px = np.array([[0, 1], [1, 0]], dtype=complex)
    pz = np.array([[1, 0], [0, -1]], dtype=complex)

    def pauli(x: int, z: int):
        out = np.array([[1.0 + 0j]])
        for b in range(n):  # position 0 is the most significant factor
            f = np.eye(2, dtype=complex)
            if x >> b & 1:
                f = f @ px
            if z >> b & 1:
                f = f @ pz
            out = np.kron(out, f)
        return out

    basis = {(x, z): pauli(x, z) for x in range(1 << n) for z in range(1 << n)}
    result = []
    for a in range(n):
        images = []
        for x, z in ((1 << a, 0), (0, 1 << a)):
            img = m.conj().T @ basis[(x, z)] @ m
            found = None
            for (bx, bz), pm in basis.items():
                c = np.trace(pm.conj().T @ img) / (1 << n)
                if abs(abs(c) - 1) < 1e-9:
                    r = round(np.angle(c) / (np.pi / 2)) % 4
                    if np.allclose(img, (1j**r) * pm, atol=1e-9):
                        found = (r, bx, bz)
                    break
            if found is None:
                return None
            images.append(found)
        result.append(tuple(images))
    return tuple(result)


def _mul(p, q):
    """(i^r1 X^x1 Z^z1)(i^r2 X^x2 Z^z2) = i^(r1+r2) (-1)^|z1 & x2| X^(x1^x2) Z^(z1^z2)."""
    r1, x1, z1 = p
    r2, x2, z2 = q
    return ((r1 + r2 + 2 * (z1 & x2).bit_count()) & 3, x1 ^ x2, z1 ^ z2)


class _Tableau:
    """Rows ``C^dag X_q C`` and ``C^dag Z_q C`` of the Clifford prefix, per qubit."""

    def __init__(self) -> None:
        self.bit: dict[str, int] = {}
        self.rows: dict[str, list] = {}  # q -> [X row, Z row]

    def row(self, q: str) -> list:
        r = self.rows.get(q)
        if r is None:
            b = 1 << len(self.bit)
            self.bit[q] = b
            r = self.rows[q] = [(0, b, 0), (0, 0, b)]
        return r

    def apply(self, vqs, plan) -> None:
        rows = self.rows
        old = [rows.get(q) or self.row(q) for q in vqs]
        new = []
        for pair_plan in plan:
            pair = []
            for r, srcs in pair_plan:
                if len(srcs) == 1:  # one Pauli in, one out (H, S, X, Z, SWAP, most CNOT rows)
                    b, k = srcs[0]
                    r0, x0, z0 = old[b][k]
                    pair.append(((r + r0) & 3, x0, z0))
                    continue
                if len(srcs) == 2:  # CNOT, CZ: a product of two old rows, inlined _mul
                    r0, x0, z0 = old[srcs[0][0]][srcs[0][1]]
                    r1, x1, z1 = old[srcs[1][0]][srcs[1][1]]
                    pair.append(((r + r0 + r1 + 2 * (z0 & x1).bit_count()) & 3, x0 ^ x1, z0 ^ z1))
                    continue
                acc = (r, 0, 0)
                for b, k in srcs:
                    acc = _mul(acc, old[b][k])
                pair.append(acc)
            new.append(pair)
        for q, pair in zip(vqs, new):
            rows[q] = pair


class _Group:
    __slots__ = ("alpha", "g", "head", "last", "occ", "sign")

    def __init__(self, head: int, sign: int, last: int) -> None:
        self.head, self.sign, self.last = head, sign, last
        self.alpha = self.g = 0.0
        self.occ: list[int] = []


@register(NAME, "transform")
def pauli_folding(program, ctx):
    """Merge non-Clifford phases whose Paulis (Cliffords pushed to the end) are equal and commute past the rest."""
    out = run_kernel("kernels_paulifold", "pauli_folding_kernel", program, ctx, NAME, LOOKBACK)
    if out is not None:
        return out
    nodes = program.nodes
    tab = _Tableau()
    open_: dict[tuple[int, int], _Group] = {}
    seq: list[tuple[int, int]] = []  # (x, z) of every rotation of the current region, in order
    offdiag: list[int] = []  # positions in seq of the rotations with an X part (x != 0)
    groups: list[_Group] = []
    for i, node in enumerate(nodes):
        if node.op in GATE_OPS and node.guard is None:
            compiled = _plan_of(node)
            if compiled is not None:
                plan, fast = compiled
                if fast is None:
                    tab.apply(node.vqs, plan)
                    continue
                # Inlined _Tableau.apply for one- and two-qubit plans with at most two sources per row.
                rows = tab.rows
                old = []
                for q in node.vqs:
                    pair = rows.get(q) or tab.row(q)
                    old.append(pair[0])
                    old.append(pair[1])
                new = []
                for r, i0, i1 in fast:
                    p0 = old[i0]
                    if i1 < 0:
                        new.append(((r + p0[0]) & 3, p0[1], p0[2]))
                    else:
                        p1 = old[i1]
                        new.append(((r + p0[0] + p1[0] + 2 * (p0[2] & p1[1]).bit_count()) & 3,
                                    p0[1] ^ p1[1], p0[2] ^ p1[2]))
                for j, q in enumerate(node.vqs):
                    rows[q] = new[2 * j: 2 * j + 2]
                continue
            z = facts(node).z if len(node.vqs) == 1 else None
            if z is not None:
                phi, g = z
                r, x, zz = tab.row(node.vqs[0])[1]
                sign = 1 if (r - (x & zz).bit_count()) & 3 == 0 else -1
                key = (x, zz)
                grp = open_.get(key)
                pos = len(seq)
                if grp is not None and not _commutes_since(seq, offdiag, grp.last + 1, key):
                    grp = None
                if grp is None:
                    grp = open_[key] = _Group(i, sign, pos)
                    groups.append(grp)
                grp.alpha += sign * phi
                grp.g += g + phi / 2
                grp.occ.append(i)
                grp.last = pos
                seq.append(key)
                if x:
                    offdiag.append(pos)
                continue
        tab, open_, seq, offdiag = _Tableau(), {}, [], []  # anything else ends the region
    return _emit(program, ctx, groups)


def _fast(plan):
    """The plan of a one- or two-qubit gate whose rows each take one or two old rows, flattened: per new
    row (X then Z, per position) ``(r, i0, i1)`` with ``i = 2 * position + (0 for X, 1 for Z)`` and
    ``i1 = -1`` for a single source. The products are those of ``_Tableau.apply``; None otherwise."""
    if len(plan) > 2:
        return None
    out = []
    for pair in plan:
        for r, srcs in pair:
            if not 1 <= len(srcs) <= 2:
                return None
            idx = [2 * b + k for b, k in srcs]
            out.append((r, idx[0], idx[1] if len(idx) == 2 else -1))
    return tuple(out)


def _commutes_since(seq, offdiag, start: int, key) -> bool:
    """Whether every rotation in seq[start:] commutes with the Pauli ``key`` (False past LOOKBACK checks).

    A Z-only key (x == 0) can only fail to commute with rotations that have an X part, so only those
    (``offdiag``, increasing positions) are examined for it.
    """
    x, z = key
    if x:
        cands = range(start, len(seq))
    else:
        lo = bisect_left(offdiag, start)
        cands = range(lo, len(offdiag))
    if len(cands) > LOOKBACK:
        return False
    for k in cands:
        sx, sz = seq[k if x else offdiag[k]]
        if ((x & sz) ^ (z & sx)).bit_count() & 1:
            return False
    return True


def _emit(program, ctx, groups):
    nodes = program.nodes
    repl: dict[int, list] = {}
    drop: set[int] = set()
    ids = IdMaker(nodes)
    phase = 0.0
    for grp in groups:
        if len(grp.occ) == 1:
            continue
        head = nodes[grp.head]
        beta = grp.sign * grp.alpha
        gates, gp = phase_gates(beta)
        if already_emitted(nodes, grp.occ, gates):
            continue
        phase += grp.g - beta / 2 + gp
        drop.update(grp.occ[1:])
        repl[grp.head] = [
            head.replace(id=head.id if k == 0 else ids.fresh(head.id), op=op, args=args)
            for k, (op, args) in enumerate(gates)
        ]
    if not repl and not drop:
        return program
    out = []
    for i, n in enumerate(nodes):
        if i in repl:
            out.extend(repl[i])
        elif i not in drop:
            out.append(n)
    count_removed(ctx, NAME, nodes, out)
    return add_global_phase(program, phase, out)

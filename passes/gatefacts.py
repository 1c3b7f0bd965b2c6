"""Gate facts the optimizer needs, derived once from the op table's matrices (never hard-coded).

- ``roles(op)``: for each qubit position, the Pauli bases ("Z", "X", "Y") in which the gate is block
  diagonal on that qubit (it commutes with that Pauli on that qubit). Two gates commute when, on every
  qubit they share, they have a basis in common: both are then sums ``sum_k P_k (x) G_k`` over the joint
  projectors ``P_k`` of those bases, with ``G_k`` acting on disjoint remaining qubits, so the products
  agree term by term.
- ``phase_of(op, args)``: a one-qubit diagonal gate ``diag(a, b)`` as ``(phi, g)`` with
  ``diag(a, b) = e^{i g} diag(1, e^{i phi})``.
- ``xphase_of(op, args)``: the same for one-qubit gates that commute with X, in the X basis.
- ``phase_gates(phi)``: the shortest gates realizing ``diag(1, e^{i phi})``: exact Clifford+T when
  ``phi`` is a multiple of pi/4 (within ``ANGLE_TOL``), else ``RZ``; with the global phase they add.
"""

from __future__ import annotations

import cmath
import math
from functools import cache, lru_cache
from operator import itemgetter

from qmk import ops

ANGLE_TOL = 1e-9
TWO_PI = 2 * math.pi
_GENERIC = (0.7316, 1.9123, -0.4471)  # generic angles used to derive facts of parametrised gates

# Ops whose presence stops every rewrite on its qubits (anything that is not a plain gate).
GATE_OPS = frozenset(ops.GATES)


def wrap(angle: float) -> float:
    """The angle reduced into (-pi, pi]."""
    a = math.fmod(angle, TWO_PI)
    if a <= -math.pi:
        a += TWO_PI
    elif a > math.pi:
        a -= TWO_PI
    return a


def is_zero_angle(angle: float) -> bool:
    return abs(wrap(angle)) < ANGLE_TOL


def args_key(args) -> tuple:
    return tuple(sorted(args.items())) if args else ()


def _generic_args(op: str, k: int = 0) -> dict:
    names = ops.spec(op).angle_args
    return {n: _GENERIC[(i + k) % 3] + 0.31 * k for i, n in enumerate(names)}


def _pauli(b: str):
    import numpy as np

    return {
        "Z": np.array([[1, 0], [0, -1]], dtype=complex),
        "X": np.array([[0, 1], [1, 0]], dtype=complex),
        "Y": np.array([[0, -1j], [1j, 0]], dtype=complex),
    }[b]


def _embed(p, pos: int, n: int):
    import numpy as np

    m = np.array([[1.0 + 0j]])
    for i in range(n):
        m = np.kron(m, p if i == pos else np.eye(2))
    return m


@cache
def roles(op: str) -> tuple[frozenset, ...]:
    """Per qubit position, the Pauli bases the gate is block diagonal in (for all argument values).

    Parametrised gates are tested at two generic argument sets: the gate families in the table are
    rotations about fixed axes, so a commutation that holds at generic angles holds at all.
    """
    import numpy as np

    s = ops.spec(op)
    if not s.is_gate or s.arity is None:
        return ()
    n = s.arity
    mats = [ops.matrix(op, _generic_args(op, k)) for k in (0, 1)] if s.angle_args else [ops.matrix(op)]
    out = []
    for pos in range(n):
        bases = set()
        for b in ("Z", "X", "Y"):
            p = _embed(_pauli(b), pos, n)
            if all(np.allclose(m @ p, p @ m, rtol=0, atol=1e-9) for m in mats):
                bases.add(b)
        out.append(frozenset(bases))
    return tuple(out)


_BIT = {"Z": 1, "X": 2, "Y": 4}


@cache
def role_masks() -> dict[str, tuple[int, ...]]:
    """op -> ``roles(op)`` as bit masks per qubit position (Z=1, X=2, Y=4), for every gate.

    Two gates have a basis in common on a qubit exactly when their masks there share a bit.
    """
    return {op: tuple(sum(_BIT[b] for b in r) for r in roles(op)) for op in GATE_OPS}


def commute(a, b) -> bool:
    """Whether two gate nodes commute as operators (a sufficient condition, see module doc)."""
    m = role_masks()
    return commute_masks(a.vqs, m[a.op], b.vqs, m[b.op])


def commute_masks(av, ma, bv, mb) -> bool:
    """``commute`` for gates on qubits av, bv with role masks ma, mb: on every shared qubit a common bit."""
    if len(av) == 1:
        q = av[0]
        return q not in bv or bool(ma[0] & mb[bv.index(q)])
    if len(bv) == 1:
        q = bv[0]
        return q not in av or bool(mb[0] & ma[av.index(q)])
    if len(av) == 2 and len(bv) == 2 and ma and mb:  # the shared qubits of two pairs, without sets
        a0, a1 = av
        b0, b1 = bv
        if (a0 == b0 and not ma[0] & mb[0]) or (a0 == b1 and a0 != b0 and not ma[0] & mb[1]):
            return False
        if a1 == a0:
            return True
        return not ((a1 == b0 and not ma[1] & mb[0]) or (a1 == b1 and a1 != b0 and not ma[1] & mb[1]))
    shared = set(av).intersection(bv)
    if not shared:
        return True
    if not ma or not mb:
        return False
    for q in shared:
        if not (ma[av.index(q)] & mb[bv.index(q)]):
            return False
    return True


@lru_cache(maxsize=4096)
def _phase_cached(op: str, akey: tuple, basis: str) -> tuple[float, float] | None:
    import numpy as np

    s = ops.spec(op)
    if not s.is_gate or s.arity != 1:
        return None
    m = ops.matrix(op, dict(akey))
    if basis == "X":
        h = np.array([[1, 1], [1, -1]], dtype=complex) / math.sqrt(2)
        m = h @ m @ h
    if abs(m[0, 1]) > 1e-12 or abs(m[1, 0]) > 1e-12:
        return None
    g = cmath.phase(m[0, 0])
    return (wrap(cmath.phase(m[1, 1]) - g), g)


class Facts:
    """What the passes ask about one (op, args): computed once per distinct gate and cached."""

    __slots__ = ("plain", "roles", "t", "x", "z")

    def __init__(self, op: str, akey: tuple) -> None:
        self.plain = op in GATE_OPS
        self.roles = roles(op) if self.plain else ()
        self.z = _phase_cached(op, akey, "Z") if self.plain else None
        self.x = _phase_cached(op, akey, "X") if self.plain and self.z is None else None
        self.t = 0
        for r in (self.z, self.x):
            if r is not None:
                k = r[0] / (math.pi / 4)
                self.t = int(abs(k - round(k)) < ANGLE_TOL and round(k) % 2 == 1)


_FACTS: dict = {}


def facts(node) -> Facts:
    """The cached Facts of a node's (op, args)."""
    a = node.args
    key = node.op if not a or node.op not in GATE_OPS else (node.op, args_key(a))  # only gates have facts
    f = _FACTS.get(key)
    if f is None:
        if len(_FACTS) > 200_000:
            _FACTS.clear()
        f = _FACTS[key] = Facts(node.op, () if not a else key[1])
    return f


def phase_of(node) -> tuple[float, float] | None:
    """(phi, g) when the node is a one-qubit gate equal to e^{ig} diag(1, e^{i phi}); else None."""
    return facts(node).z


def xphase_of(node) -> tuple[float, float] | None:
    """(phi, g) when the node is a one-qubit gate equal to e^{ig} H diag(1, e^{i phi}) H (and not diagonal)."""
    return facts(node).x


@lru_cache(maxsize=1)
def _exact_phase_ops() -> dict[int, tuple[str, float]]:
    """k -> (op, g) for argument-free diagonal gates equal to e^{ig} diag(1, e^{i k pi/4})."""
    table: dict[int, tuple[str, float]] = {}
    for name in ops.GATES:
        s = ops.spec(name)
        if s.arity != 1 or s.angle_args or not s.diagonal:
            continue
        phi, g = _phase_cached(name, (), "Z")
        k = round(phi / (math.pi / 4))
        if abs(phi - k * math.pi / 4) < ANGLE_TOL and k % 8 and (k % 8) not in table:
            table[k % 8] = (name, g)
    return table


@lru_cache(maxsize=1)
def _exact_xphase_ops() -> dict[int, tuple[str, float]]:
    table: dict[int, tuple[str, float]] = {}
    for name in ops.GATES:
        s = ops.spec(name)
        if s.arity != 1 or s.angle_args:
            continue
        r = _phase_cached(name, (), "X")
        if r is None or ops.spec(name).diagonal:
            continue
        phi, g = r
        k = round(phi / (math.pi / 4))
        if abs(phi - k * math.pi / 4) < ANGLE_TOL and k % 8 and (k % 8) not in table:
            table[k % 8] = (name, g)
    return table


def _realize(phi: float, table: dict, rot: str) -> tuple[list[tuple[str, dict]], float]:
    """Gates for e^{0} diag(1, e^{i phi}) in the table's basis, and the global phase to add to keep equality."""
    phi = wrap(phi)
    if abs(phi) < ANGLE_TOL:
        return [], 0.0
    k = round(phi / (math.pi / 4))
    if abs(phi - k * math.pi / 4) < ANGLE_TOL:
        k %= 8
        if k in table:
            op, g = table[k]
            return [(op, {})], -g
        # Two exact gates: the largest Clifford part, then the odd pi/4 part (one T-like gate).
        for a in (4, 2, 6):
            b = (k - a) % 8
            if a in table and b in table:
                (oa, ga), (ob, gb) = table[a], table[b]
                return [(oa, {}), (ob, {})], -(ga + gb)
    # A rotation: R(phi) = e^{-i phi/2} diag(1, e^{i phi}) (in the right basis), read from the table.
    r = _phase_cached(rot, (("theta", phi),), "Z" if rot == "APPLY_RZ" else "X")
    return [(rot, {"theta": phi})], -r[1]


def phase_gates(phi: float) -> tuple[list[tuple[str, dict]], float]:
    """Gates G with e^{i gp} G = diag(1, e^{i phi}); returns (gates, gp). Empty for the identity."""
    return _realize(phi, _exact_phase_ops(), "APPLY_RZ")


def xphase_gates(phi: float) -> tuple[list[tuple[str, dict]], float]:
    """Gates G with e^{i gp} G = H diag(1, e^{i phi}) H; returns (gates, gp)."""
    return _realize(phi, _exact_xphase_ops(), "APPLY_RX")


def t_cost(node) -> int:
    """1 for a one-qubit gate that is an odd multiple of pi/4 about Z or X (one T up to Cliffords)."""
    return facts(node).t


class IdMaker:
    """Fresh node ids that do not collide with any id of the program."""

    def __init__(self, nodes) -> None:
        self._nodes = nodes
        self._used: set | None = None

    def fresh(self, base: str) -> str:
        if self._used is None:  # every id made here has a "_", so only such ids can collide
            self._used = {s for s in map(itemgetter(0), self._nodes) if "_" in s}
        i = 1
        while f"{base}_{i}" in self._used:
            i += 1
        nid = f"{base}_{i}"
        self._used.add(nid)
        return nid


def add_global_phase(program, phase: float, nodes):
    """program.with_nodes(nodes) with ``phase`` added to metadata["global_phase"] (kept in (-pi, pi])."""
    if abs(wrap(phase)) < 1e-15:
        return program.with_nodes(nodes)
    meta = dict(program.metadata)
    meta["global_phase"] = wrap(float(meta.get("global_phase", 0.0)) + phase)
    return program.with_nodes(nodes, metadata=meta)


def t_total(nodes) -> int:
    """The number of T-like gates in a node list (ops counted at C speed; gates with angles one by one)."""
    from collections import Counter
    from operator import attrgetter

    free = _t_free()
    by_op = Counter(map(attrgetter("op"), nodes))
    total = sum(free.get(op, 0) * k for op, k in by_op.items())
    if any(op in GATE_OPS and op not in free for op in by_op):
        total += sum(facts(n).t for n in nodes if n.args and n.op not in free)
    return total


@lru_cache(maxsize=1)
def _t_free() -> dict[str, int]:
    return {op: Facts(op, ()).t for op in GATE_OPS if not ops.spec(op).angle_args}


_LAST_AFTER: list = [None, -1, 0]  # [node list, its length, its t_total]


def count_removed(ctx, name: str, before, after) -> None:
    """Record the gates and T gates a pass removed (the --stats counters).

    A pass's ``before`` is usually the previous pass's ``after``: node lists of programs are never
    edited in place, so the T total of the very same list object (held here, so its id is not reused)
    with the same length is still right and is not recounted.
    """
    ctx.count(name, "gates_removed", len(before) - len(after))
    last = _LAST_AFTER
    t_before = last[2] if before is last[0] and len(before) == last[1] else t_total(before)
    t_after = t_total(after)
    last[0], last[1], last[2] = after, len(after), t_after
    ctx.count(name, "t_removed", t_before - t_after)


def already_emitted(nodes, occ: list[int], gates) -> bool:
    """Whether the occurrences are already exactly ``gates``, adjacent in program order.

    Re-emitting them would only rename nodes, so fixpoint loops would never settle.
    """
    if len(occ) != len(gates) or occ != list(range(occ[0], occ[0] + len(occ))):
        return False
    return all(nodes[i].op == op and dict(nodes[i].args) == args for i, (op, args) in zip(occ, gates))

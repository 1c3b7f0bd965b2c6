"""An independent dense reference for the optimizer's soundness tests (not the runtime's simulator).

Gate matrices are written out here from their textbook definitions (and checked against the op table
in test_refsim.py). ``unitary(p)`` is the full matrix of a gate-only program including
``e^{i metadata.global_phase}``; ``distribution(p)`` enumerates every measurement (and reset) outcome
branch with exact state vectors and returns the probability of each tuple of event values.
"""

from __future__ import annotations

import cmath
import math

import numpy as np

from qmk.ir import eval_guard

S2 = 1 / math.sqrt(2)
W = cmath.exp(1j * math.pi / 4)


def _rx(t):
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def _ry(t):
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]], dtype=complex)


def _rz(t):
    return np.diag([cmath.exp(-1j * t / 2), cmath.exp(1j * t / 2)])


def _u(th, ph, la):
    return np.array(
        [[math.cos(th / 2), -cmath.exp(1j * la) * math.sin(th / 2)],
         [cmath.exp(1j * ph) * math.sin(th / 2), cmath.exp(1j * (ph + la)) * math.cos(th / 2)]]
    )


def _controlled(u, n_controls):
    d = 2 ** (n_controls + 1)
    m = np.eye(d, dtype=complex)
    m[d - 2 :, d - 2 :] = u
    return m


X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0 + 0j, -1])
H = np.array([[S2, S2], [S2, -S2]], dtype=complex)
FIXED = {
    "APPLY_I": np.eye(2, dtype=complex),
    "APPLY_H": H,
    "APPLY_X": X,
    "APPLY_Y": Y,
    "APPLY_Z": Z,
    "APPLY_S": np.diag([1, 1j]),
    "APPLY_SDG": np.diag([1, -1j]),
    "APPLY_T": np.diag([1, W]),
    "APPLY_TDG": np.diag([1, W.conjugate()]),
    "APPLY_SX": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "APPLY_CNOT": _controlled(X, 1),
    "APPLY_CZ": _controlled(Z, 1),
    "APPLY_SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
    "APPLY_CCX": _controlled(X, 2),
    "APPLY_CCZ": _controlled(Z, 2),
}


def gate_matrix(op: str, args) -> np.ndarray:
    if op in FIXED:
        return FIXED[op]
    if op == "APPLY_RX":
        return _rx(args["theta"])
    if op == "APPLY_RY":
        return _ry(args["theta"])
    if op == "APPLY_RZ":
        return _rz(args["theta"])
    if op == "APPLY_U":
        return _u(args["theta"], args["phi"], args["lam"])
    raise KeyError(op)


def apply(state: np.ndarray, m: np.ndarray, pos: list[int], n: int) -> np.ndarray:
    """Apply a k-qubit matrix to axes ``pos`` of a (2,)*n (+ extra axes) tensor; pos[0] is the MSB."""
    k = len(pos)
    t = m.reshape((2,) * (2 * k))
    out = np.tensordot(t, state, axes=(list(range(k, 2 * k)), pos))
    return np.moveaxis(out, list(range(k)), pos)


def unitary(program) -> np.ndarray:
    qs = list(program.resources.vqs)
    n = len(qs)
    u = np.eye(2**n, dtype=complex).reshape((2,) * n + (2**n,))
    for node in program.nodes:
        if not node.op.startswith("APPLY_"):
            assert node.op in ("ALLOC_LQ", "FENCE_EPOCH", "BAR_REGION"), node.op
            continue
        u = apply(u, gate_matrix(node.op, node.args), [qs.index(q) for q in node.vqs], n)
    return u.reshape(2**n, 2**n) * cmath.exp(1j * program.metadata.get("global_phase", 0.0))


def equal_up_to_phase(a, b, tol=1e-8) -> bool:
    k = np.argmax(abs(a))
    if abs(b.flat[k]) < 1e-12:
        return False
    r = a.flat[k] / b.flat[k]
    return abs(abs(r) - 1) < tol and np.allclose(a, r * b, rtol=0, atol=tol)


_BASIS = {"MEASURE_Z": np.eye(2, dtype=complex), "MEASURE_X": H, "MEASURE_Y": np.array([[S2, S2], [1j * S2, -1j * S2]])}
_PAULI = {"X": X, "Y": Y, "Z": Z, "I": np.eye(2, dtype=complex)}


def distribution(program, max_branches: int = 4096) -> dict:
    """{tuple of event values (None when not produced): probability} over all outcome branches."""
    qs = list(program.resources.vqs)
    n = len(qs)
    events = sorted(program.resources.events)
    psi = np.zeros((2,) * n, dtype=complex)
    psi[(0,) * n] = 1
    branches = [(psi, {})]
    for node in program.nodes:
        nxt = []
        for psi, ev in branches:
            nxt.extend(_step(node, psi, ev, qs, n))
        branches = [(p, e) for p, e in nxt if np.vdot(p, p).real > 1e-14]
        assert len(branches) <= max_branches
    out: dict = {}
    for psi, ev in branches:
        key = tuple(ev.get(e) for e in events)
        out[key] = out.get(key, 0.0) + np.vdot(psi, psi).real
    return out


def _step(node, psi, ev, qs, n):
    if node.guard is not None and not eval_guard(node.guard, ev):
        return [(psi, ev)]
    op = node.op
    pos = [qs.index(q) for q in node.vqs]
    if op.startswith("APPLY_"):
        return [(apply(psi, gate_matrix(op, node.args), pos, n), ev)]
    if op in _BASIS:
        b = _BASIS[op]  # columns are the basis states |b_0>, |b_1>
        res = []
        for k in (0, 1):
            proj = np.outer(b[:, k], b[:, k].conj())
            res.append((apply(psi, proj, pos, n), {**ev, node.produces[0]: k}))
        return res
    if op == "RESET":
        p0 = apply(psi, np.diag([1, 0]).astype(complex), pos, n)
        p1 = apply(psi, np.array([[0, 1], [0, 0]], dtype=complex), pos, n)
        return [(p0, ev), (p1, ev)]
    if op == "COND_PAULI":
        parity = 0
        for e in node.inputs:
            parity ^= ev[e]
        if parity:
            for q, p in zip(pos, node.args["mask"]):
                psi = apply(psi, _PAULI[p], [q], n)
        return [(psi, ev)]
    if op in ("ALLOC_LQ", "FENCE_EPOCH", "FREE_LQ", "BAR_REGION"):
        return [(psi, ev)]
    raise KeyError(op)


def same_distribution(a: dict, b: dict, tol=1e-8) -> bool:
    keys = set(a) | set(b)
    return all(abs(a.get(k, 0.0) - b.get(k, 0.0)) < tol for k in keys)

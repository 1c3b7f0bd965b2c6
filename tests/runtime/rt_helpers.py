"""Shared test helpers: dense references written independently of the engines, and 5-sigma checks."""

from __future__ import annotations

import math

import numpy as np

from qmk.ir import Node, make_program

SQ2 = 1 / math.sqrt(2)
I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]], dtype=complex)
Z = np.diag([1, -1]).astype(complex)
H = np.array([[1, 1], [1, -1]], dtype=complex) * SQ2

# Textbook matrices written out here, not taken from qmk.ops (vqs[0] = most significant bit).
def rx(t):
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def ry(t):
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]], dtype=complex)


def rz(t):
    return np.diag([np.exp(-0.5j * t), np.exp(0.5j * t)])


def u3(t, p, lam):
    return np.array([[math.cos(t / 2), -np.exp(1j * lam) * math.sin(t / 2)],
                     [np.exp(1j * p) * math.sin(t / 2), np.exp(1j * (p + lam)) * math.cos(t / 2)]])


def controlled(m):
    k = m.shape[0]
    out = np.eye(2 * k, dtype=complex)
    out[k:, k:] = m
    return out


REFERENCE = {
    "APPLY_I": lambda a: I2.astype(complex),
    "APPLY_H": lambda a: H,
    "APPLY_X": lambda a: X,
    "APPLY_Y": lambda a: Y,
    "APPLY_Z": lambda a: Z,
    "APPLY_S": lambda a: np.diag([1, 1j]),
    "APPLY_SDG": lambda a: np.diag([1, -1j]),
    "APPLY_T": lambda a: np.diag([1, np.exp(1j * math.pi / 4)]),
    "APPLY_TDG": lambda a: np.diag([1, np.exp(-1j * math.pi / 4)]),
    "APPLY_SX": lambda a: 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "APPLY_RX": lambda a: rx(a["theta"]),
    "APPLY_RY": lambda a: ry(a["theta"]),
    "APPLY_RZ": lambda a: rz(a["theta"]),
    "APPLY_U": lambda a: u3(a["theta"], a["phi"], a["lam"]),
    "APPLY_CNOT": lambda a: controlled(X),
    "APPLY_CZ": lambda a: controlled(Z),
    "APPLY_SWAP": lambda a: np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex),
    "APPLY_CCX": lambda a: controlled(controlled(X)),
    "APPLY_CCZ": lambda a: controlled(controlled(Z)),
    "TELEPORT_CNOT": lambda a: controlled(X),
}


def full_operator(m: np.ndarray, targets: list[int], n: int) -> np.ndarray:
    """The 2^n matrix of ``m`` on qubits ``targets`` (qubit 0 = MSB), built entry by entry."""
    k = len(targets)
    dim = 1 << n
    out = np.zeros((dim, dim), dtype=complex)
    for col in range(dim):
        bits = [(col >> (n - 1 - q)) & 1 for q in range(n)]
        sub = 0
        for t in targets:
            sub = (sub << 1) | bits[t]
        for r in range(1 << k):
            nb = list(bits)
            for j, t in enumerate(targets):
                nb[t] = (r >> (k - 1 - j)) & 1
            row = 0
            for b in nb:
                row = (row << 1) | b
            out[row, col] += m[r, sub]
    return out


def random_unitary(dim: int, rng) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(dim, dim)) + 1j * rng.normal(size=(dim, dim)))
    return q * (np.diag(r) / np.abs(np.diag(r)))


def same_up_to_phase(a, b, tol=1e-9) -> bool:
    return abs(abs(np.vdot(a, b)) - np.linalg.norm(a) * np.linalg.norm(b)) < tol


def assert_5sigma(counts: dict, probs: dict, shots: int) -> None:
    """Every outcome's count lies within 5 standard deviations of shots*p (plus one count for rounding);
    outcomes with p = 0 must not appear at all."""
    for k in set(counts) | set(probs):
        p = probs.get(k, 0.0)
        c = counts.get(k, 0)
        if p == 0:
            assert c == 0, f"outcome {k!r} has probability 0 but appeared {c} times"
            continue
        sigma = math.sqrt(shots * p * (1 - p))
        assert abs(c - shots * p) <= 5 * sigma + 1, f"{k!r}: {c} vs expected {shots * p:.1f} (sigma {sigma:.1f})"


def prog(*nodes, outputs=None):
    """make_program from (id, op, vqs, args, produces, extra) shorthands or Node objects."""
    return make_program([n if isinstance(n, Node) else Node(*n) for n in nodes], outputs=outputs)


def N(id, op, vqs=(), args=None, produces=(), **kw):
    return Node(id, op, tuple(vqs), args or {}, tuple(produces), **kw)

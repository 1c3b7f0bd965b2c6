"""Each decomposition equals the gate's textbook matrix (written out here) up to a global phase."""

from __future__ import annotations

import cmath
import math

import numpy as np
import pytest

from qmk import ops
from qmk.frontends.decompose import QELIB1, QIR_GATES, decompose

PI = math.pi
ANGLES = (0.0, 0.3, -1.234, PI / 2, 2.9)


def embed(mat: np.ndarray, positions: tuple[int, ...], n: int) -> np.ndarray:
    """The n-qubit matrix of ``mat`` acting on ``positions`` (big-endian: position 0 is the MSB)."""
    k = len(positions)
    full = np.zeros((2**n, 2**n), dtype=complex)
    for col in range(2**n):
        bits = [(col >> (n - 1 - i)) & 1 for i in range(n)]
        sub = 0
        for p in positions:
            sub = (sub << 1) | bits[p]
        for out in range(2**k):
            amp = mat[out, sub]
            if amp == 0:
                continue
            nb = list(bits)
            for j, p in enumerate(positions):
                nb[p] = (out >> (k - 1 - j)) & 1
            row = int("".join(map(str, nb)), 2)
            full[row, col] += amp
    return full


def unitary(steps, n: int) -> np.ndarray:
    u = np.eye(2**n, dtype=complex)
    for op, qs, args in steps:
        assert op in ops.OPS and ops.OPS[op].unitary, op
        assert len(set(qs)) == len(qs)
        u = embed(ops.matrix(op, args), qs, n) @ u
    return u


def assert_equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> None:
    idx = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    phase = a[idx] / b[idx]
    assert abs(abs(phase) - 1) < 1e-9, "not equal up to a global phase"
    np.testing.assert_allclose(a, phase * b, atol=1e-9)


def controlled(u: np.ndarray, controls: int = 1) -> np.ndarray:
    """Controls first (most significant), target(s) last."""
    d = u.shape[0]
    m = np.eye(d * 2**controls, dtype=complex)
    m[-d:, -d:] = u
    return m


# Textbook matrices, written independently of qmk.ops.
I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1, -1]).astype(complex)
H = np.array([[1, 1], [1, -1]]) / math.sqrt(2)
S = np.diag([1, 1j])
SX = np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2


def U3(t, p, l):
    return np.array(
        [
            [math.cos(t / 2), -cmath.exp(1j * l) * math.sin(t / 2)],
            [cmath.exp(1j * p) * math.sin(t / 2), cmath.exp(1j * (p + l)) * math.cos(t / 2)],
        ]
    )


def RX(t):
    return np.array([[math.cos(t / 2), -1j * math.sin(t / 2)], [-1j * math.sin(t / 2), math.cos(t / 2)]])


def RY(t):
    return np.array([[math.cos(t / 2), -math.sin(t / 2)], [math.sin(t / 2), math.cos(t / 2)]])


def RZ(t):
    return np.diag([cmath.exp(-1j * t / 2), cmath.exp(1j * t / 2)])


def P(l):
    return np.diag([1, cmath.exp(1j * l)])


def pauli_rot(pauli: np.ndarray, t: float) -> np.ndarray:
    """exp(-i t/2 P⊗P) = cos(t/2) I - i sin(t/2) P⊗P (P⊗P squares to I)."""
    pp = np.kron(pauli, pauli)
    return math.cos(t / 2) * np.eye(4) - 1j * math.sin(t / 2) * pp


SWAP = np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]], dtype=complex)

# The relative-phase Toffolis are *defined* by their qelib1 circuits; the reference composes those
# circuits from the textbook matrices above (u2(0,pi) and u1(+-pi/4) as written in the spec).
QELIB1_RCCX = [("u2", 2), ("u1+", 2), ("cx", 1, 2), ("u1-", 2), ("cx", 0, 2), ("u1+", 2), ("cx", 1, 2),
               ("u1-", 2), ("u2", 2)]  # fmt: skip
QELIB1_RC3X = [("u2", 3), ("u1+", 3), ("cx", 2, 3), ("u1-", 3), ("u2", 3), ("cx", 0, 3), ("u1+", 3),
               ("cx", 1, 3), ("u1-", 3), ("cx", 0, 3), ("u1+", 3), ("cx", 1, 3), ("u1-", 3), ("u2", 3),
               ("u1+", 3), ("cx", 2, 3), ("u1-", 3), ("u2", 3)]  # fmt: skip


def spec_circuit(lines, n: int) -> np.ndarray:
    mats = {"u2": U3(PI / 2, 0, PI), "u1+": P(PI / 4), "u1-": P(-PI / 4), "cx": controlled(X)}
    u = np.eye(2**n, dtype=complex)
    for name, *qs in lines:
        u = embed(mats[name], tuple(qs), n) @ u
    return u


def reference(name: str, p: tuple[float, ...]) -> np.ndarray:
    table = {
        "u3": lambda: U3(*p),
        "u": lambda: U3(*p),
        "u2": lambda: U3(PI / 2, *p),
        "u1": lambda: P(p[0]),
        "p": lambda: P(p[0]),
        "u0": lambda: I2,
        "id": lambda: I2,
        "x": lambda: X,
        "y": lambda: Y,
        "z": lambda: Z,
        "h": lambda: H,
        "s": lambda: S,
        "sdg": lambda: S.conj(),
        "t": lambda: P(PI / 4),
        "tdg": lambda: P(-PI / 4),
        "sx": lambda: SX,
        "sxdg": lambda: SX.conj().T,
        "rx": lambda: RX(p[0]),
        "ry": lambda: RY(p[0]),
        "rz": lambda: RZ(p[0]),
        "cx": lambda: controlled(X),
        "cz": lambda: controlled(Z),
        "cy": lambda: controlled(Y),
        "swap": lambda: SWAP,
        "ch": lambda: controlled(H),
        "csx": lambda: controlled(SX),
        "cs": lambda: controlled(S),
        "csdg": lambda: controlled(S.conj()),
        "crx": lambda: controlled(RX(p[0])),
        "cry": lambda: controlled(RY(p[0])),
        "crz": lambda: controlled(RZ(p[0])),
        "cu1": lambda: controlled(P(p[0])),
        "cp": lambda: controlled(P(p[0])),
        "cphase": lambda: controlled(P(p[0])),
        "cu3": lambda: controlled(U3(*p)),
        "cu": lambda: controlled(cmath.exp(1j * p[3]) * U3(p[0], p[1], p[2])),
        "rxx": lambda: pauli_rot(X, p[0]),
        "ryy": lambda: pauli_rot(Y, p[0]),
        "rzz": lambda: pauli_rot(Z, p[0]),
        "ccx": lambda: controlled(X, 2),
        "ccz": lambda: controlled(Z, 2),
        "cswap": lambda: controlled(SWAP),
        "rccx": lambda: spec_circuit(QELIB1_RCCX, 3),
        "rc3x": lambda: spec_circuit(QELIB1_RC3X, 4),
        "c3x": lambda: controlled(X, 3),
        "c3sqrtx": lambda: controlled(SX, 3),
        "c4x": lambda: controlled(X, 4),
    }
    return table[name]()


def param_sets(n: int):
    if n == 0:
        return [()]
    return [tuple(ANGLES[(i + j) % len(ANGLES)] for j in range(n)) for i in range(len(ANGLES))]


@pytest.mark.parametrize("name", sorted(QELIB1))
def test_decomposition_equals_textbook_matrix(name):
    gate = QELIB1[name]
    for params in param_sets(gate.num_params):
        got = unitary(decompose(name, params), gate.num_qubits)
        assert_equal_up_to_phase(got, reference(name, params))


@pytest.mark.parametrize("name, n", [("rccx", 3), ("rc3x", 4)])
def test_relative_phase_toffolis_are_toffolis_up_to_relative_phases(name, n):
    """D = gate · C^kX† is diagonal with fourth roots of unity (the property that makes them useful)."""
    got = unitary(decompose(name), n)
    d = got @ controlled(X, n - 1).conj().T
    assert np.allclose(d, np.diag(np.diag(d)), atol=1e-9)
    for v in np.diag(d):
        assert min(abs(v - r) for r in (1, -1, 1j, -1j)) < 1e-9


def test_qir_gates_are_the_qelib1_ones():
    assert set(QIR_GATES) == {"rxx", "ryy", "rzz", "cy"}
    for name in QIR_GATES:
        assert QIR_GATES[name] is QELIB1[name]


def test_every_step_uses_positions_within_the_gate():
    for name, gate in QELIB1.items():
        for op, qs, args in decompose(name, param_sets(gate.num_params)[-1]):
            assert all(0 <= q < gate.num_qubits for q in qs), name
            assert ops.OPS[op].min_qubits == len(qs)
            assert set(args) == {a.name for a in ops.OPS[op].args}


def test_wrong_parameter_count_is_refused():
    with pytest.raises(ValueError, match="takes 1 parameter"):
        decompose("rz", ())
    with pytest.raises(KeyError):
        decompose("nosuchgate")

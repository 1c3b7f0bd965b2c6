"""Every QIS gate lowers to ops whose product is the gate's textbook matrix (written here, not taken
from qmk.ops), and every __adj form to the inverse, up to a global phase."""

from __future__ import annotations

import math

import numpy as np
import pytest

from qmk import ops
from qmk.frontends import qis

I2 = np.eye(2)
X = np.array([[0, 1], [1, 0]], dtype=complex)
Y = np.array([[0, -1j], [1j, 0]])
Z = np.diag([1.0 + 0j, -1])


def expm_pauli(theta, P):
    """exp(-i theta P / 2) for a Pauli product P (P @ P = I)."""
    return math.cos(theta / 2) * np.eye(len(P)) - 1j * math.sin(theta / 2) * P


def embed(m: np.ndarray, idx: tuple[int, ...], n: int) -> np.ndarray:
    """The n-qubit matrix of ``m`` acting on qubits ``idx`` (qubit 0 = most significant bit)."""
    dim = 2**n
    out = np.zeros((dim, dim), dtype=complex)
    k = len(idx)
    for col in range(dim):
        bits = [(col >> (n - 1 - q)) & 1 for q in range(n)]
        sub = 0
        for q in idx:
            sub = (sub << 1) | bits[q]
        for r in range(2**k):
            amp = m[r, sub]
            if amp == 0:
                continue
            nb = list(bits)
            for j, q in enumerate(idx):
                nb[q] = (r >> (k - 1 - j)) & 1
            row = sum(b << (n - 1 - q) for q, b in enumerate(nb))
            out[row, col] += amp
    return out


def unitary(steps, n: int) -> np.ndarray:
    u = np.eye(2**n, dtype=complex)
    for op, idx, args in steps:
        u = embed(ops.matrix(op, args), idx, n) @ u
    return u


def equal_up_to_phase(a, b) -> bool:
    k = np.argmax(np.abs(b))
    flat_a, flat_b = a.reshape(-1), b.reshape(-1)
    phase = flat_a[k] / flat_b[k]
    return abs(abs(phase) - 1) < 1e-9 and np.allclose(a, phase * b, atol=1e-9)


THETA = 0.7361
REFERENCE = {
    "h": (np.array([[1, 1], [1, -1]]) / math.sqrt(2), ()),
    "x": (X, ()),
    "y": (Y, ()),
    "z": (Z, ()),
    "s": (np.diag([1, 1j]), ()),
    "t": (np.diag([1, np.exp(1j * math.pi / 4)]), ()),
    "sx": (np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]) / 2, ()),
    "rx": (expm_pauli(THETA, X), (THETA,)),
    "ry": (expm_pauli(THETA, Y), (THETA,)),
    "rz": (expm_pauli(THETA, Z), (THETA,)),
    "cnot": (np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]), ()),
    "cx": (np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]), ()),
    "cy": (np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, -1j], [0, 0, 1j, 0]]), ()),
    "cz": (np.diag([1, 1, 1, -1]), ()),
    "swap": (np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]), ()),
    "rxx": (expm_pauli(THETA, np.kron(X, X)), (THETA,)),
    "ryy": (expm_pauli(THETA, np.kron(Y, Y)), (THETA,)),
    "rzz": (expm_pauli(THETA, np.kron(Z, Z)), (THETA,)),
}
CCX = np.eye(8, dtype=complex)
CCX[6:, 6:] = X
REFERENCE["ccx"] = (CCX, ())


def test_every_gate_has_a_reference():
    assert set(qis.GATES) == set(REFERENCE) | {"r"}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_gate_lowers_to_its_matrix_exactly(name):
    ref, params = REFERENCE[name]
    gate = qis.GATES[name]
    u = unitary(gate.lower(params), gate.n_qubits)
    # exact (no global phase) except sx, where the op table's SX is the textbook matrix too
    assert np.allclose(u, ref, atol=1e-12), name


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_adjoint_lowers_to_the_inverse(name):
    ref, params = REFERENCE[name]
    gate = qis.GATES[name]
    u = unitary(qis.adjoint(gate.lower(params)), gate.n_qubits)
    assert equal_up_to_phase(u, np.conj(ref).T), name


@pytest.mark.parametrize("pauli,P", [(1, X), (2, Z), (3, Y)])
def test_r_rotation_about_each_pauli(pauli, P):
    u = unitary(qis.r_steps(pauli, THETA), 1)
    assert np.allclose(u, expm_pauli(THETA, P), atol=1e-12)


def test_r_about_identity_is_a_global_phase_only():
    assert qis.r_steps(0, THETA) == []


def test_split_name():
    assert qis.split_name("__quantum__qis__s__adj") == ("s", "adj")
    assert qis.split_name("__quantum__qis__read_result__body") == ("read_result", "body")
    assert qis.split_name("__quantum__rt__initialize") is None


def controlled_ref(u: np.ndarray, n_controls: int) -> np.ndarray:
    """The textbook controlled-U: identity except U on the block where every control is 1."""
    dim = 2**n_controls * len(u)
    out = np.eye(dim, dtype=complex)
    out[dim - len(u) :, dim - len(u) :] = u
    return out


@pytest.mark.parametrize("key", sorted(qis._CONTROLLED))
def test_legacy_controlled_forms_are_exact(key):
    gate, adj, n_ctl = key
    u = REFERENCE[gate][0]
    if adj:
        u = np.conj(u).T
    n = n_ctl + qis.GATES[gate].n_qubits
    got = unitary(qis.controlled(gate, adj, n_ctl), n)
    assert equal_up_to_phase(got, controlled_ref(np.asarray(u, dtype=complex), n_ctl)), key

"""The op table: matrices are unitary, inverse rules invert, flags (diagonal, Clifford) are true."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from qmk import ops

ANGLES = {"theta": 0.7, "phi": -1.3, "lam": 2.1}
GATES = [n for n, s in ops.OPS.items() if s.matrix is not None]


def _args(spec):
    return {a.name: ANGLES[a.name] for a in spec.args if a.type == "angle"}


def equal_up_to_phase(a, b, tol=1e-10) -> bool:
    idx = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    if abs(a[idx]) < tol:
        return False
    phase = a[idx] / b[idx]
    return abs(abs(phase) - 1) < tol and np.allclose(a, phase * b, atol=tol)


# Textbook matrices written out here, independent of qmk/ops.py.
S2 = 1 / math.sqrt(2)
REFERENCE = {
    "APPLY_I": np.eye(2),
    "APPLY_H": S2 * np.array([[1, 1], [1, -1]]),
    "APPLY_X": np.array([[0, 1], [1, 0]]),
    "APPLY_Y": np.array([[0, -1j], [1j, 0]]),
    "APPLY_Z": np.diag([1, -1]),
    "APPLY_S": np.diag([1, 1j]),
    "APPLY_SDG": np.diag([1, -1j]),
    "APPLY_T": np.diag([1, np.exp(1j * math.pi / 4)]),
    "APPLY_TDG": np.diag([1, np.exp(-1j * math.pi / 4)]),
    "APPLY_SX": 0.5 * np.array([[1 + 1j, 1 - 1j], [1 - 1j, 1 + 1j]]),
    "APPLY_CNOT": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
    "APPLY_CZ": np.diag([1, 1, 1, -1]),
    "APPLY_SWAP": np.array([[1, 0, 0, 0], [0, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 1]]),
    "APPLY_CCZ": np.diag([1] * 7 + [-1]),
    "TELEPORT_CNOT": np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0]]),
}
CCX = np.eye(8)
CCX[[6, 7]] = CCX[[7, 6]]
REFERENCE["APPLY_CCX"] = CCX
X, Y, Z = REFERENCE["APPLY_X"], REFERENCE["APPLY_Y"], REFERENCE["APPLY_Z"]


def _expm_pauli(theta, p):
    return math.cos(theta / 2) * np.eye(2) - 1j * math.sin(theta / 2) * p


REFERENCE["APPLY_RX"] = _expm_pauli(0.7, X)
REFERENCE["APPLY_RY"] = _expm_pauli(0.7, Y)
REFERENCE["APPLY_RZ"] = _expm_pauli(0.7, Z)
# U(theta, phi, lam) = RZ(phi) RY(theta) RZ(lam) up to global phase
REFERENCE["APPLY_U"] = _expm_pauli(-1.3, Z) @ _expm_pauli(0.7, Y) @ _expm_pauli(2.1, Z)


def test_every_gate_has_a_reference_matrix():
    assert set(GATES) == set(REFERENCE)


@pytest.mark.parametrize("name", GATES)
def test_matrix_matches_textbook_reference(name):
    m = ops.matrix(name, _args(ops.OPS[name]))
    exact = name != "APPLY_U"
    if exact:
        assert np.allclose(m, REFERENCE[name], atol=1e-12)
    else:
        assert equal_up_to_phase(m, REFERENCE[name])


@pytest.mark.parametrize("name", GATES)
def test_matrix_is_unitary_and_sized_by_arity(name):
    spec = ops.OPS[name]
    m = ops.matrix(name, _args(spec))
    assert m.shape == (2**spec.arity, 2**spec.arity)
    assert np.allclose(m.conj().T @ m, np.eye(m.shape[0]), atol=1e-12)


@pytest.mark.parametrize("name", GATES)
def test_inverse_rule_inverts_up_to_global_phase(name):
    spec = ops.OPS[name]
    args = _args(spec)
    inv_name, inv_args = ops.inverse(name, args)
    product = ops.matrix(inv_name, inv_args) @ ops.matrix(name, args)
    assert equal_up_to_phase(product, np.eye(product.shape[0]))


@pytest.mark.parametrize("name", GATES)
def test_diagonal_flag_is_exact(name):
    m = ops.matrix(name, _args(ops.OPS[name]))
    is_diag = np.allclose(m, np.diag(np.diag(m)))
    assert ops.OPS[name].diagonal == is_diag


def _paulis(n):
    single = [np.eye(2), X, Y, Z]
    for combo in itertools.product(single, repeat=n):
        m = combo[0]
        for c in combo[1:]:
            m = np.kron(m, c)
        yield m


@pytest.mark.parametrize("name", GATES)
def test_clifford_flag_means_paulis_map_to_paulis(name):
    spec = ops.OPS[name]
    m = ops.matrix(name, _args(spec))
    n = spec.arity
    paulis = list(_paulis(n))

    def is_pauli(p):
        return any(equal_up_to_phase(p, q) for q in paulis)

    maps_paulis = all(is_pauli(m @ p @ m.conj().T) for p in paulis)
    if spec.clifford:
        assert maps_paulis
    elif not spec.args:  # fixed non-Clifford gates (T, CCX, ...) really are not Clifford
        assert not maps_paulis


def test_capabilities_come_from_the_vocabulary():
    for spec in ops.OPS.values():
        assert spec.cap is None or spec.cap in ops.CAPABILITIES


def test_every_op_is_documented_in_the_qvm_spec():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[2] / "docs" / "qvm.md").read_text()
    for name in ops.OPS:
        assert f"`{name}`" in text, name

"""The state-vector engine against dense matrices written in the tests (rt_helpers.REFERENCE)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qmk.runtime.engine import EngineError
from qmk.runtime.statevector import StateVector
from rt_helpers import REFERENCE, X, Y, Z, assert_5sigma, full_operator, random_unitary

from qmk import ops

ANGLES = {"theta": 0.7312, "phi": -1.234, "lam": 2.2}


def _prepared(n, seed, **kw):
    """An engine holding a random n-qubit state, and that state (qubit order = allocation order)."""
    rng = np.random.default_rng(seed)
    eng = StateVector(np.random.default_rng(seed + 1000), **kw)
    qs = [eng.allocate() for _ in range(n)]
    u = random_unitary(1 << n, rng)
    eng.apply_matrix(u, qs)
    return eng, qs, u[:, 0]


def test_reference_table_covers_every_unitary_op():
    unitary = {n for n, s in ops.OPS.items() if s.unitary}
    assert unitary == set(REFERENCE)


@pytest.mark.parametrize("fuse,small", [(1, 0), (4, 0), (4, 1 << 12)])
@pytest.mark.parametrize("op", sorted(REFERENCE))
def test_every_gate_matches_its_dense_matrix_on_every_qubit_choice(op, fuse, small):
    spec = ops.OPS[op]
    k = spec.arity
    n = 4
    rng = np.random.default_rng(7)
    for trial in range(4):
        targets = [int(x) for x in rng.permutation(n)[:k]]
        eng, qs, psi = _prepared(n, trial, fuse=fuse)
        eng.small = small  # 0: the chunked fused kernels; 4096: the direct small-state kernels
        args = {a: ANGLES[a] for a in spec.angle_args}
        eng.apply(op, [qs[t] for t in targets], args)
        expect = full_operator(REFERENCE[op](args), targets, n) @ psi
        np.testing.assert_allclose(eng.state(qs), expect, atol=1e-12)


def test_fused_random_circuit_equals_gate_by_gate_product():
    rng = np.random.default_rng(3)
    n = 6
    gates = []
    for _ in range(120):
        op = rng.choice(["APPLY_H", "APPLY_T", "APPLY_RX", "APPLY_CNOT", "APPLY_CZ", "APPLY_CCX", "APPLY_U", "APPLY_SWAP"])
        k = ops.OPS[op].arity
        gates.append((op, [int(x) for x in rng.permutation(n)[:k]], {a: float(rng.normal()) for a in ops.OPS[op].angle_args}))
    ref = np.zeros(1 << n, dtype=complex)
    ref[0] = 1
    for op, t, a in gates:
        ref = full_operator(REFERENCE[op](a), t, n) @ ref
    for fuse in (1, 2, 3, 5):
        eng = StateVector(fuse=fuse)
        eng.small = 0  # fuse even on this small state
        qs = [eng.allocate() for _ in range(n)]
        for op, t, a in gates:
            eng.apply(op, [qs[i] for i in t], a)
        np.testing.assert_allclose(eng.state(qs), ref, atol=1e-11)
        if fuse > 1:
            assert eng.blocks_applied < len(gates)


def test_complex64_agrees_within_single_precision():
    eng, qs, psi = _prepared(5, 1, precision="complex64")
    eng.apply("APPLY_CCX", [qs[4], qs[0], qs[2]])
    expect = full_operator(REFERENCE["APPLY_CCX"]({}), [4, 0, 2], 5) @ psi
    got = eng.state(qs)
    assert got.dtype == np.complex64
    np.testing.assert_allclose(got, expect, atol=2e-6)


def _observable(basis, angle=None):
    return {"Z": Z, "X": X, "Y": Y}.get(basis) if basis != "ANGLE" else math.cos(angle) * Z + math.sin(angle) * X


@pytest.mark.parametrize("basis,angle", [("Z", None), ("X", None), ("Y", None), ("ANGLE", 0.9), ("ANGLE", -2.5)])
def test_measurement_projects_onto_the_eigenstate_with_the_born_probability(basis, angle):
    obs = _observable(basis, angle)
    w, v = np.linalg.eigh(obs)
    plus, minus = v[:, np.argmax(w)], v[:, np.argmin(w)]  # outcome 0 <-> eigenvalue +1
    n, target = 3, 1
    seen = {0: 0, 1: 0}
    shots = 3000
    psi = None
    for s in range(shots):
        eng, qs, psi = _prepared(n, 5, )  # same state each time, fresh randomness below
        eng.rng = np.random.default_rng(s)
        b = eng.measure(qs[target], basis, angle)
        seen[b] += 1
        if s < 20:  # the post-measurement state is the normalised projection
            e = plus if b == 0 else minus
            proj = full_operator(np.outer(e, e.conj()), [target], n) @ psi
            np.testing.assert_allclose(eng.state(qs), proj / np.linalg.norm(proj), atol=1e-10)
    proj0 = full_operator(np.outer(plus, plus.conj()), [target], n) @ psi
    p0 = float(np.vdot(proj0, proj0).real)
    assert_5sigma({"0": seen[0], "1": seen[1]}, {"0": p0, "1": 1 - p0}, shots)


def test_pauli_product_measurement_projects_on_the_parity_eigenspace():
    for paulis in ("ZZ", "XX", "XY"):
        eng, qs, psi = _prepared(3, 11)
        mats = {"X": X, "Y": Y, "Z": Z}
        P = full_operator(np.kron(mats[paulis[0]], mats[paulis[1]]), [0, 2], 3)
        b = eng.measure_pauli([qs[0], qs[2]], paulis)
        proj = (np.eye(8) + (-1) ** b * P) / 2 @ psi
        np.testing.assert_allclose(eng.state(qs), proj / np.linalg.norm(proj), atol=1e-10)


def test_release_leaves_the_partner_in_its_reduced_state():
    shots, hits = 4000, 0
    for s in range(shots):
        eng = StateVector(np.random.default_rng(s))
        a, b = eng.allocate(), eng.allocate()
        eng.apply("APPLY_RY", [a], {"theta": 1.0})
        eng.apply("APPLY_CNOT", [a, b])
        eng.release(a)
        assert eng.num_qubits == 1
        hits += eng.measure(b)
    p1 = math.sin(0.5) ** 2
    assert_5sigma({"1": hits, "0": shots - hits}, {"1": p1, "0": 1 - p1}, shots)


def test_width_follows_allocations_and_releases():
    eng = StateVector()
    qs = [eng.allocate() for _ in range(5)]
    for q in qs[:3]:
        eng.release(q)
    assert eng.num_qubits == 2 and eng.peak_qubits == 5 and eng._psi.size == 4
    with pytest.raises(EngineError):
        eng.apply("APPLY_H", [qs[0]])


def test_sampling_matches_the_born_distribution():
    eng, qs, psi = _prepared(4, 2)
    shots = 20000
    rows = eng.sample(shots, [qs[2], qs[0]])
    keys = ["".join(map(str, r)) for r in rows]
    counts = {k: keys.count(k) for k in set(keys)}
    probs = {}
    for i, a in enumerate(psi):
        bits = [(i >> (3 - q)) & 1 for q in range(4)]
        k = f"{bits[2]}{bits[0]}"
        probs[k] = probs.get(k, 0) + abs(a) ** 2
    assert_5sigma(counts, probs, shots)
    np.testing.assert_allclose(eng.state(qs), psi, atol=1e-12)  # sampling does not collapse


def test_nan_angles_and_bad_matrices_are_refused():
    eng = StateVector()
    q = eng.allocate()
    with pytest.raises(EngineError):
        eng.apply("APPLY_RX", [q], {"theta": float("nan")})
    with pytest.raises(EngineError):
        eng.apply_matrix(np.eye(4), [q])
    with pytest.raises(EngineError):
        eng.apply("MEASURE_Z", [q])
    with pytest.raises(EngineError):
        eng.apply("APPLY_CNOT", [q, q])


def test_allocation_over_the_memory_limit_is_refused_with_the_figure():
    eng = StateVector(max_bytes=1000)
    for _ in range(5):
        eng.allocate()
    with pytest.raises(EngineError, match="need"):
        for _ in range(5):
            eng.allocate()


@pytest.mark.parametrize("mode", ["numpy-chunked", "compiled"])
def test_large_state_kernels_match_dense_references(monkeypatch, mode):
    """The chunked numpy kernels (CHUNK shrunk so a 7-qubit state spans many chunks) and the numba kernels
    (size threshold lowered), on a mix that builds dense, monomial and diagonal blocks."""
    import qmk.runtime.statevector as sv

    if mode == "compiled":
        pytest.importorskip("numba")
        monkeypatch.setattr(sv, "MIN_AMPLITUDES", 0)
    else:
        monkeypatch.setattr(sv, "CHUNK", 8)
    rng = np.random.default_rng(17)
    n = 7
    eng = StateVector(np.random.default_rng(1), fuse=3)
    eng.small = 0
    eng.compiled = mode == "compiled"
    eng.fuse_wide = 5
    qs = [eng.allocate() for _ in range(n)]
    ref = np.zeros(1 << n, dtype=complex)
    ref[0] = 1
    for i in range(160):
        op = str(rng.choice(["APPLY_H", "APPLY_T", "APPLY_CNOT", "APPLY_CCX", "APPLY_RY", "APPLY_CZ", "APPLY_RZ",
                             "APPLY_SWAP", "APPLY_X", "APPLY_CNOT", "APPLY_CCZ"]))
        t = [int(x) for x in rng.permutation(n)[: ops.OPS[op].arity]]
        a = {"theta": 0.3 * i} if op in ("APPLY_RY", "APPLY_RZ") else {}
        eng.apply(op, [qs[j] for j in t], a)
        ref = full_operator(REFERENCE[op](a), t, n) @ ref
    np.testing.assert_allclose(eng.state(qs), ref, atol=1e-11)
    rows = eng.sample(20000, [qs[0]])
    p1 = float(sum(abs(ref[i]) ** 2 for i in range(1 << n) if i >> (n - 1) & 1))
    assert_5sigma({"1": int(rows.sum()), "0": 20000 - int(rows.sum())}, {"1": p1, "0": 1 - p1}, 20000)
    b = eng.measure(qs[3])
    keep = np.array([((i >> (n - 1 - 3)) & 1) == b for i in range(1 << n)])
    proj = np.where(keep, ref, 0)
    np.testing.assert_allclose(eng.state(qs), proj / np.linalg.norm(proj), atol=1e-11)

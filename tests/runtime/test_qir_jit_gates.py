"""Every bound QIS gate (``__body`` and ``__adj``) and the JIT's small engine, against dense matrices
written here (Kronecker products), on both engines the JIT uses."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qmk.runtime.qir_abi import lookup
from qmk.runtime.qir_kernels import NDRAWS
from qmk.runtime.qir_runtime import QirRuntime
from qmk.runtime.qir_small import Draws, Kernels, SmallStateVector, TooBig
from qmk.runtime.statevector import StateVector
from rt_helpers import REFERENCE, assert_5sigma, full_operator, random_unitary, same_up_to_phase

from qmk.frontends import qis

I2 = np.eye(2, dtype=complex)
PAULI = {1: np.array([[0, 1], [1, 0]], dtype=complex), 3: np.array([[0, -1j], [1j, 0]]),
         2: np.diag([1, -1]).astype(complex)}  # QIR's Pauli encoding: X=1, Z=2, Y=3


def pauli_rot(p: np.ndarray, theta: float) -> np.ndarray:
    """exp(-i theta P / 2) for an involution P: cos(theta/2) I - i sin(theta/2) P."""
    return math.cos(theta / 2) * np.eye(p.shape[0]) - 1j * math.sin(theta / 2) * p


def reference(name: str, angles: tuple) -> np.ndarray:
    R = REFERENCE
    one = {"h": "APPLY_H", "x": "APPLY_X", "y": "APPLY_Y", "z": "APPLY_Z", "s": "APPLY_S", "t": "APPLY_T",
           "sx": "APPLY_SX", "cnot": "APPLY_CNOT", "cx": "APPLY_CNOT", "cz": "APPLY_CZ", "swap": "APPLY_SWAP",
           "ccx": "APPLY_CCX", "ccz": "APPLY_CCZ"}
    if name in one:
        return R[one[name]]({})
    if name in ("rx", "ry", "rz"):
        return R["APPLY_" + name.upper()]({"theta": angles[0]})
    if name == "cy":
        m = np.eye(4, dtype=complex)
        m[2:, 2:] = PAULI[3]
        return m
    if name in ("rxx", "ryy", "rzz"):
        p = PAULI[{"rxx": 1, "ryy": 3, "rzz": 2}[name]]
        return pauli_rot(np.kron(p, p), angles[0])
    if name == "r":
        pauli, theta = angles
        return np.eye(2, dtype=complex) if pauli == 0 else pauli_rot(PAULI[pauli], theta)
    raise KeyError(name)


ANGLES = {"rx": (0.7,), "ry": (-1.3,), "rz": (2.2,), "rxx": (0.9,), "ryy": (1.7,), "rzz": (-0.4,)}
CASES = [(g, adj) for g in sorted(qis.GATES) for adj in (False, True)]


KERN = Kernels.standalone()


def small_engine(rng) -> SmallStateVector:
    return SmallStateVector(KERN, Draws(KERN, rng))


def make_runtime(small: bool, seed: int = 1) -> QirRuntime:
    rng = np.random.default_rng(seed)
    draws = Draws(KERN, rng)
    make = (lambda: SmallStateVector(KERN, draws)) if small else (lambda: StateVector(rng))
    rt = QirRuntime(make, qpos=KERN.qpos if small else None, max_qubits=8, max_results=8,
                    required_qubits=None, required_results=None)
    rt.begin_shot()
    return rt


def prepared(rt: QirRuntime, n: int, seed: int) -> tuple[list[int], np.ndarray]:
    """n qubits (handles 0..n-1) in a random state; returns their slots and the state (qubit 0 = MSB)."""
    slots = [rt.q(h) for h in range(n)]
    u = random_unitary(1 << n, np.random.default_rng(seed))
    rt.eng.apply_matrix(u, slots)
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1
    return slots, u @ psi


def state(rt: QirRuntime, slots) -> np.ndarray:
    return np.asarray(rt.eng.state(slots), dtype=complex)


@pytest.mark.parametrize("small", [True, False], ids=["small", "numpy"])
@pytest.mark.parametrize("gate,adj", CASES, ids=[f"{g}{'__adj' if a else ''}" for g, a in CASES])
def test_qis_gate_matches_dense_reference(gate, adj, small):
    g = qis.GATES[gate]
    angles = ((3, 0.8) if gate == "r" else ANGLES.get(gate, ()))
    name = f"__quantum__qis__{gate}__{'adj' if adj else 'body'}"
    kind, what = lookup(name, _sig(g))
    assert kind == "gate"
    rt = make_runtime(small)
    slots, psi = prepared(rt, 3, seed=len(gate) + 10 * adj)
    targets = [2, 0, 1][: g.n_qubits]  # non-adjacent, out of order
    rt.gate(*what)(*angles, *targets)
    m = reference(gate, angles)
    if adj:
        m = m.conj().T
    expect = full_operator(m, targets, 3) @ psi
    assert same_up_to_phase(state(rt, slots), expect, tol=1e-9)


def _sig(g) -> str:
    params = (["i2"] if g.pauli_param else []) + ["double"] * g.n_angles + ["ptr"] * g.n_qubits
    return f"void ({', '.join(params)})"


@pytest.mark.parametrize("pauli", [0, 1, 2, 3])
def test_r_gate_for_each_pauli(pauli):
    rt = make_runtime(True)
    slots, psi = prepared(rt, 2, seed=pauli)
    rt.gate(qis.GATES["r"], False)(pauli, 1.1, 1)
    expect = full_operator(reference("r", (pauli, 1.1)), [1], 2) @ psi
    assert same_up_to_phase(state(rt, slots), expect)


def test_small_engine_random_circuits_match_dense_products():
    rng = np.random.default_rng(42)
    for trial in range(20):
        n = int(rng.integers(1, 7))
        eng = small_engine(rng)
        slots = [eng.allocate() for _ in range(n)]
        psi = np.zeros(1 << n, dtype=complex)
        psi[0] = 1
        for _ in range(12):
            k = int(rng.integers(1, min(n, 3) + 1))
            qs = [int(x) for x in rng.choice(n, size=k, replace=False)]
            if rng.random() < 0.5:  # a monomial gate (permutation with phases)
                perm = rng.permutation(1 << k)
                u = np.zeros((1 << k, 1 << k), dtype=complex)
                u[perm, np.arange(1 << k)] = np.exp(1j * rng.uniform(0, 6.3, size=1 << k))
            else:
                u = random_unitary(1 << k, rng)
            eng.apply_matrix(u, [slots[i] for i in qs])
            psi = full_operator(u, qs, n) @ psi
        assert np.allclose(eng.state(slots), psi, atol=1e-10), trial


def test_small_engine_measure_collapses_like_the_projector():
    rng = np.random.default_rng(3)
    for trial in range(30):
        eng = small_engine(rng)
        slots = [eng.allocate() for _ in range(3)]
        u = random_unitary(8, rng)
        eng.apply_matrix(u, slots)
        psi = u[:, 0]
        which = int(rng.integers(0, 3))
        b = eng.measure(slots[which])
        proj = np.array([((i >> (2 - which)) & 1) == b for i in range(8)], dtype=float)
        post = proj * psi
        assert np.linalg.norm(post) > 0
        assert np.allclose(eng.state(slots), post / np.linalg.norm(post), atol=1e-10)


def test_small_engine_measurement_statistics():
    # ry(theta)|0> on the middle of three qubits: P(1) = sin^2(theta/2)
    rng = np.random.default_rng(5)
    draws = Draws(KERN, rng)
    theta, shots = 1.0, 4000
    ones = 0
    for _ in range(shots):
        eng = SmallStateVector(KERN, draws)
        s = [eng.allocate() for _ in range(3)]
        eng.apply_matrix(REFERENCE["APPLY_RY"]({"theta": theta}), [s[1]])
        ones += eng.measure(s[1])
    p1 = math.sin(theta / 2) ** 2
    assert_5sigma({1: ones, 0: shots - ones}, {1: p1, 0: 1 - p1}, shots)


def test_small_engine_release_keeps_the_rest_and_reset_gives_zero():
    rng = np.random.default_rng(8)
    eng = small_engine(rng)
    a, b, c = (eng.allocate() for _ in range(3))
    # a Bell pair on (a, c), b in |1>: releasing a leaves c in the state a was measured in
    eng.apply_matrix(REFERENCE["APPLY_H"]({}), [a])
    eng.apply_matrix(REFERENCE["APPLY_CNOT"]({}), [a, c])
    eng.apply_matrix(REFERENCE["APPLY_X"]({}), [b])
    eng.release(a)
    assert eng.num_qubits == 2
    st = np.asarray(eng.state([b, c]))
    assert np.isclose(abs(st[2]) + abs(st[3]), 1) and min(abs(st[2]), abs(st[3])) < 1e-12
    eng.reset(c)
    eng.reset(b)
    assert np.allclose(eng.state([b, c]), [1, 0, 0, 0])


def test_small_engine_refuses_a_seventh_qubit():
    eng = small_engine(np.random.default_rng(1))
    for _ in range(6):
        eng.allocate()
    with pytest.raises(TooBig):
        eng.allocate()


# ---------------------------------------------------------------- the native fast paths, end to end

PREP = [("ry", 0.9, [0]), ("ry", 2.1, [1]), ("ry", 1.4, [2]), ("cnot", None, [0, 1]), ("rx", 0.6, [2])]
FIXED = [(g, a) for g, a in CASES if not qis.GATES[g].n_angles and not qis.GATES[g].pauli_param]
ROTS = [(g, adj) for g in ("rx", "ry", "rz") for adj in (False, True)]


def _jit_gate_program(gate: str, adj: bool, angle, targets):
    from test_qir_jit_progs import module, q

    def call(name, theta, qs, form="body"):
        args = ([f"double {theta!r}"] if theta is not None else []) + [q(i) for i in qs]
        return f"  call void @__quantum__qis__{name}__{form}({', '.join(args)})"

    sig = _sig(qis.GATES[gate])
    lines = ["entry:"] + [call(n, t, qs) for n, t, qs in PREP]
    lines.append(call(gate, angle, targets, "adj" if adj else "body"))
    lines += [call("h", None, [i]) for i in range(3)]
    lines += [f"  call void @__quantum__qis__mz__body({q(i)}, {q(i)})" for i in range(3)]
    lines += [f"  call void @__quantum__rt__result_record_output({q(i)}, ptr null)" for i in range(3)]
    lines.append("  ret i64 0")
    name = f"__quantum__qis__{gate}__{'adj' if adj else 'body'}"
    return module("\n".join(lines), nq=3, nr=3, sigs={name: sig})


@pytest.mark.parametrize("gate,adj", FIXED + ROTS, ids=[g + ("__adj" if a else "") for g, a in FIXED + ROTS])
def test_fast_path_gate_statistics_match_dense_reference(gate, adj):
    from qmk.runtime.qir_jit import run_qir

    g = qis.GATES[gate]
    angle = ANGLES[gate][0] if gate in ANGLES else None
    targets = [2, 0, 1][: g.n_qubits]
    shots = 3000
    r = run_qir(_jit_gate_program(gate, adj, angle, targets), shots=shots, seed=17)
    # every gate took the native path: the only Python calls are the three records per shot and the
    # measurements that found the native draw buffer empty (one in NDRAWS)
    assert r.telemetry["python_calls"] <= 3 * shots + 3 * shots // NDRAWS + 1
    psi = np.zeros(8, dtype=complex)
    psi[0] = 1
    for name, theta, qs in PREP:
        psi = full_operator(reference(name, (theta,) if theta is not None else ()), qs, 3) @ psi
    m = reference(gate, (angle,) if angle is not None else ())
    psi = full_operator(m.conj().T if adj else m, targets, 3) @ psi
    for i in range(3):
        psi = full_operator(REFERENCE["APPLY_H"]({}), [i], 3) @ psi
    probs = {format(i, "03b"): abs(psi[i]) ** 2 for i in range(8)}  # key: r0 r1 r2, qubit 0 first
    assert_5sigma(r.counts, {k: p for k, p in probs.items() if p > 1e-12}, shots)

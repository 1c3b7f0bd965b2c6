"""``pauli-folding``: merging phases across Hadamards, where it is valid and where it is not.

Every case is checked against the dense reference (tests/passes/opt_refsim.py, global phase included)
by ``apply`` from test_opt_passes; the expected structures are worked out by hand in the comments.
"""

from __future__ import annotations

import numpy as np
import pytest
import qmk.passes.phase_folding_paths as pp
from hypothesis import HealthCheck, given, settings
from opt_programs import mixed_programs, unitary_programs
from opt_refsim import distribution, same_distribution, unitary
from qmk.passes.counts import counts_of
from qmk.passes.pipeline import PRESETS, parse, run
from qmk.passes.registry import PassContext
from test_opt_passes import CX, CZ, EV, TDG, H, S, T, X, apply, ops_of, prog

PF = "pauli-folding"


def t_count(p) -> int:
    return counts_of(p)["t_count"]


def test_merges_across_a_hadamard_pair_that_path_variables_cannot_see_through():
    # Z0, then (after H on q0) Z1, then (after the second H) Z0 again: the rotations commute, T T = S.
    # Path-sum folding gives q0 a fresh variable at each H and keeps both T gates.
    p = prog((T, [0]), (H, [0]), (T, [1]), (H, [0]), (T, [0]), n=2)
    assert t_count(apply(p, "phase-folding")) == 3
    out = apply(p, PF)
    assert ops_of(out) == [(S, (0,)), (H, (0,)), (T, (1,)), (H, (0,))]


def test_does_not_merge_past_an_anticommuting_rotation():
    # Z0, X0, Z0: the middle rotation anticommutes with Z0, so nothing may move.
    p = prog((T, [0]), (H, [0]), (T, [0]), (H, [0]), (T, [0]), n=1)
    out = apply(p, PF)
    assert out is p and t_count(out) == 3


def test_merges_past_a_commuting_rotation_on_the_same_qubit_after_cnots():
    # T(0) is the rotation about Z0. After H(1) CNOT(0,1), Z1 pulls back to Z0 X1, which commutes with
    # Z0 (no X or Y on q0). The last T(0) is about Z0 again (a CNOT keeps its control's Z), so it merges
    # with the first: 3 T -> S(0) and the T on q1.
    p = prog((T, [0]), (H, [1]), (CX, [0, 1]), (T, [1]), (CX, [0, 1]), (H, [1]), (T, [0]), n=2)
    out = apply(p, PF)
    assert t_count(out) == 1
    assert (S, (0,)) in ops_of(out)


def test_opposite_signs_cancel_with_the_global_phase_kept():
    # H Z H = X and X^dag Z X = -Z: the second T is the rotation about -Z0, so the two cancel exactly
    # up to a global phase, which must land in metadata (apply compares unitaries including it).
    p = prog((T, [0]), (H, [0]), ("APPLY_Z", [0]), (H, [0]), (T, [0]), n=1)
    out = apply(p, PF)
    assert t_count(out) == 0
    assert abs(out.metadata.get("global_phase", 0.0)) > 0.1


def test_arbitrary_angles_merge_as_rotations():
    p = prog(("APPLY_RZ", [0], {"theta": 0.3}), (H, [1]), (CZ, [0, 1]), (H, [1]), ("APPLY_RZ", [0], {"theta": 0.4}),
             n=2)
    out = apply(p, PF)
    rz = [n for n in out.nodes if n.op == "APPLY_RZ"]
    assert len(rz) == 1 and abs(rz[0].args["theta"] - 0.7) < 1e-12


@pytest.mark.parametrize(
    "between",
    [
        ("MEASURE_Z", [1], {}, EV),  # a measurement ends the region (even on another qubit)
        ("APPLY_RX", [1], {"theta": 0.3}),  # a non-Clifford gate that is not a phase
        ("FENCE_EPOCH", []),
        (X, [1], {}, {"guard": {"event": "m0", "equals": 1}}),  # a guarded gate
    ],
)
def test_regions_end_at_measurements_non_clifford_gates_fences_and_guards(between):
    measured = between[0] == "MEASURE_Z" or "guard" in (between[3] if len(between) > 3 else {})
    head = [("MEASURE_Z", [2], {}, EV)] if measured and between[0] != "MEASURE_Z" else []
    p = prog(*head, (T, [0]), (H, [0]), (H, [0]), between, (T, [0]), n=3)
    out = apply(p, PF, measured=measured)
    assert t_count(out) == 2


def test_guarded_phases_are_left_alone():
    g = {"guard": {"event": "m0", "equals": 1}}
    p = prog(("MEASURE_Z", [1], {}, EV), (T, [0]), (H, [2]), (T, [0], {}, g), (T, [0]), n=3)
    out = apply(p, PF, measured=True)
    assert [n.op for n in out.nodes if n.guard is not None] == [T]


def test_toffoli_ladders_reach_fewer_t_with_pauli_folding_in_o2():
    # Two Toffolis sharing a target around an H-conjugated middle: -O2 must keep the unitary and not
    # gain T or two-qubit gates; pauli-folding finds at least what phase folding alone finds.
    p = prog(("APPLY_CCX", [0, 1, 2]), (H, [3]), ("APPLY_CCX", [2, 3, 0]), (T, [2]), ("APPLY_CCX", [0, 1, 2]),
             (H, [3]), ("APPLY_CCX", [2, 3, 0]), n=4)
    lowered = run(p, parse("lower-to<clifford+t>"), PassContext())
    old = run(lowered, parse(PRESETS["2"].replace("pauli-folding,", "")), PassContext())
    new = run(lowered, parse(PRESETS["2"]), PassContext())
    assert np.allclose(unitary(lowered), unitary(new), atol=1e-9)
    assert t_count(new) <= t_count(old) <= t_count(lowered)
    assert counts_of(new)["two_qubit"] <= counts_of(lowered)["two_qubit"]


def test_the_clifford_images_come_from_the_op_table():
    # CNOT(c, t): X_c -> X_c X_t, Z_t -> Z_c Z_t; H: X <-> Z; S: X -> Y = i X Z; T is not a Clifford.
    cx = pp._conjugation("APPLY_CNOT", ())
    assert cx[0] == ((0, 0b11, 0), (0, 0, 0b01)) and cx[1] == ((0, 0b10, 0), (0, 0, 0b11))
    assert pp._conjugation("APPLY_H", ()) == (((0, 0, 1), (0, 1, 0)),)
    s = pp._conjugation("APPLY_S", ())[0][0]
    assert s[1:] == (1, 1)  # +-Y, sign read from the matrix
    assert pp._conjugation("APPLY_T", ()) is None
    assert pp._conjugation("APPLY_CCX", ()) is None


SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(program=unitary_programs(max_gates=60))
def test_short_lookback_stays_sound(program):
    saved, pp.LOOKBACK = pp.LOOKBACK, 1
    try:
        out = run(program, parse(PF), PassContext())
        assert abs(unitary(program) - unitary(out)).max() < 1e-8
    finally:
        pp.LOOKBACK = saved


@SETTINGS
@given(program=unitary_programs(max_qubits=5, max_gates=80, clifford_t_only=True))
def test_clifford_t_programs_keep_their_unitary_and_lose_t(program):
    out = run(program, parse(PF), PassContext())
    assert abs(unitary(program) - unitary(out)).max() < 1e-8
    assert t_count(out) <= t_count(program)
    assert counts_of(out)["two_qubit"] == counts_of(program)["two_qubit"]


@SETTINGS
@given(program=mixed_programs())
def test_programs_with_measurements_keep_their_distribution(program):
    out = run(program, parse(PF), PassContext())
    assert same_distribution(distribution(program), distribution(out))


def test_unknown_gate_images_are_not_guessed():
    # Every argument-free gate either has a Pauli image for every generator or is refused as a whole.
    from qmk import ops

    for name in ops.GATES:
        s = ops.spec(name)
        if s.angle_args or s.arity is None or s.arity > 3:
            continue
        conj = pp._conjugation(name, ())
        if conj is None:
            continue
        m = ops.matrix(name)
        n = s.arity
        for a, images in enumerate(conj):
            for gen, (r, x, z) in zip(("X", "Z"), images):
                assert _pauli_matrix(r, x, z, n).shape == m.shape
                lhs = m.conj().T @ _pauli_matrix(0, (1 << a) if gen == "X" else 0, (1 << a) if gen == "Z" else 0, n) @ m
                assert np.allclose(lhs, _pauli_matrix(r, x, z, n), atol=1e-9), (name, a, gen)


def _pauli_matrix(r, x, z, n):
    """i^r X^x Z^z with position 0 the most significant factor (written here, independent of the pass)."""
    px = np.array([[0, 1], [1, 0]], dtype=complex)
    pz = np.array([[1, 0], [0, -1]], dtype=complex)
    out = np.array([[1j**r]])
    for b in range(n):
        f = np.eye(2, dtype=complex)
        if x >> b & 1:
            f = f @ px
        if z >> b & 1:
            f = f @ pz
        out = np.kron(out, f)
    return out


def test_tdg_and_t_on_the_same_pauli_across_hadamards_cancel():
    p = prog((T, [0]), (H, [1]), (CX, [1, 0]), (CX, [1, 0]), (H, [1]), (TDG, [0]), n=2)
    out = apply(p, PF)
    assert t_count(out) == 0

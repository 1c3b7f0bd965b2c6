"""Each transform on small programs: the expected structure, equivalence, idempotence, untouched input."""

from __future__ import annotations

import math

import pytest
from opt_refsim import distribution, same_distribution, unitary
from qmk.passes.pipeline import parse, run
from qmk.passes.registry import PassContext

from qmk.ir import Node, make_program
from qmk.qvmjson import dumps


def prog(*specs, n=3):
    """Nodes from (op, qubits, args?, extra?) tuples; qubits as ints; all qubits allocated first."""
    qs = [f"q{i}" for i in range(n)]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n})]
    for i, s in enumerate(specs):
        op, q = s[0], s[1]
        args = s[2] if len(s) > 2 else {}
        extra = s[3] if len(s) > 3 else {}
        nodes.append(Node(f"n{i}", op, tuple(qs[k] for k in q), args, **extra))
    return make_program(nodes)


def ops_of(p):
    return [(n.op, tuple(int(q[1:]) for q in n.vqs)) for n in p.nodes if n.op != "ALLOC_LQ"]


def apply(p, text, *, idempotent=True, measured=False):
    """Run a pipeline, check equivalence with the reference, idempotence and the untouched input."""
    before = dumps(p)
    ctx = PassContext()
    out = run(p, parse(text), ctx)
    assert dumps(p) == before
    if measured:
        assert same_distribution(distribution(p), distribution(out))
    else:
        assert abs(unitary(p) - unitary(out)).max() < 1e-9
    if idempotent:
        again = run(out, parse(text), PassContext())
        assert again.nodes == out.nodes
    return out


H, X, T, TDG, S, CX, CZ = "APPLY_H", "APPLY_X", "APPLY_T", "APPLY_TDG", "APPLY_S", "APPLY_CNOT", "APPLY_CZ"
EV = {"produces": ("m0",)}


# ---------------------------------------------------------------- cancel-inverses

def test_cancel_adjacent_and_commuting_pairs():
    p = prog((H, [0]), (H, [0]), (CX, [0, 1]), (T, [0]), (X, [1]), (CX, [0, 1]), (T, [0]))
    out = apply(p, "cancel-inverses")
    assert ops_of(out) == [(T, (0,)), (X, (1,)), (T, (0,))]


def test_cancel_respects_which_qubit_a_gate_acts_on():
    p = prog((H, [0]), (H, [1]), (CX, [0, 1]), (CX, [1, 0]))
    out = apply(p, "cancel-inverses")
    assert ops_of(out) == ops_of(p)


def test_cancel_stops_at_non_commuting_gates():
    p = prog((CX, [0, 1]), (H, [1]), (CX, [0, 1]), (T, [1]), (TDG, [0]), (CX, [1, 2]), (T, [1]))
    out = apply(p, "cancel-inverses")
    assert ops_of(out) == ops_of(p)


@pytest.mark.parametrize("between", [
    ("MEASURE_Z", [0], {}, EV),
    ("RESET", [0]),
    ("FENCE_EPOCH", []),
    ("FREE_LQ", [1]),
])
def test_cancel_never_crosses_measurement_reset_fence_or_lifetime(between):
    p = prog((CX, [0, 1]), between, (CX, [0, 1]))
    assert run(p, parse("cancel-inverses"), PassContext()).nodes == p.nodes


def test_cancel_needs_equal_guards():
    g = {"guard": {"event": "m0", "equals": 1}}
    p = prog(("MEASURE_Z", [2], {}, EV), (X, [0], {}, g), (X, [0]), (X, [1], {}, g), (X, [1], {}, g))
    out = apply(p, "cancel-inverses", measured=True)
    assert ops_of(out) == [("MEASURE_Z", (2,)), (X, (0,)), (X, (0,))]


def test_cancel_keeps_the_global_phase():
    p = prog(("APPLY_SX", [0]), ("APPLY_RX", [0], {"theta": -math.pi / 2}))
    out = apply(p, "cancel-inverses")
    assert ops_of(out) == [] and abs(out.metadata["global_phase"]) > 0.1


# ---------------------------------------------------------------- merge-rotations

def test_merge_phases_through_controls_and_drop_identities():
    p = prog((T, [0]), (CX, [0, 1]), (T, [0]), (CZ, [0, 2]), (S, [0]), (S, [0]), ("APPLY_RZ", [1], {"theta": 2 * math.pi}))
    out = apply(p, "merge-rotations")
    assert ops_of(out) == [(S, (0,)), (CX, (0, 1)), (CZ, (0, 2))] or ops_of(out)[0][0] == "APPLY_SDG"
    assert all(op != "APPLY_RZ" for op, _ in ops_of(out))


def test_merge_x_rotations_through_cnot_targets_but_not_phases_on_targets():
    p = prog((X, [1]), (CX, [0, 1]), ("APPLY_RX", [1], {"theta": 0.3}), (T, [1]), (CX, [0, 1]), (T, [1]))
    out = apply(p, "merge-rotations")
    assert [op for op, _ in ops_of(out)].count(T) == 2
    assert [op for op, _ in ops_of(out)].count("APPLY_RX") == 1 and (X, (1,)) not in ops_of(out)


def test_merge_stops_at_measurement():
    p = prog((T, [0]), ("MEASURE_Z", [0], {}, EV), (T, [0]))
    assert run(p, parse("merge-rotations"), PassContext()).nodes == p.nodes


# ---------------------------------------------------------------- fuse-1q

def test_fuse_finds_exact_clifford_t_words():
    p = prog((H, [0]), (S, [0]), (S, [0]), (H, [0]), (T, [1]), (H, [1]), (H, [1]), (T, [1]))
    out = apply(p, "fuse-1q")
    assert ops_of(out) == [(X, (0,)), (S, (1,))]


def test_fuse_makes_one_u_from_rotations_or_zyz():
    p = prog(("APPLY_RX", [0], {"theta": 0.3}), ("APPLY_RY", [0], {"theta": 0.2}), ("APPLY_RZ", [0], {"theta": 0.1}),
             ("APPLY_RX", [0], {"theta": 0.7}))
    assert [op for op, _ in ops_of(apply(p, "fuse-1q", idempotent=False))] == ["APPLY_U"]
    zyz = apply(p, "fuse-1q<form=zyz>", idempotent=False)
    assert [op for op, _ in ops_of(zyz)] == ["APPLY_RZ", "APPLY_RY", "APPLY_RZ"]


def test_fuse_never_trades_t_gates_for_a_rotation():
    p = prog((T, [0]), (H, [0]), (T, [0]), (H, [0]), (T, [0]))
    assert apply(p, "fuse-1q").nodes == p.nodes


# ---------------------------------------------------------------- phase-folding

def test_phase_folding_merges_phases_on_equal_parities():
    # T on q1's value, a CNOT-swap moves that value to q0, where TDG cancels it; CCX pairs fold.
    p = prog((T, [1]), (CX, [0, 1]), (CX, [1, 0]), (CX, [0, 1]), (TDG, [0]), (H, [2]), (T, [2]))
    out = apply(p, "phase-folding")
    assert [op for op, _ in ops_of(out)] == [CX, CX, CX, H, T]


def test_phase_folding_respects_hadamards_and_fences():
    p = prog((T, [0]), (H, [0]), (T, [0]), ("FENCE_EPOCH", []), (T, [0]), (X, [0]), (T, [0]))
    out = apply(p, "phase-folding")
    # T on x then T on (x XOR 1): a global phase; nothing folds across the H or the fence.
    assert ops_of(out) == [(T, (0,)), (H, (0,)), (T, (0,)), ("FENCE_EPOCH", ()), (X, (0,))]
    assert abs(out.metadata["global_phase"] - math.pi / 4) < 1e-12


def test_phase_folding_on_toffoli_pairs_lowers_t_count():
    from qmk.passes.counts import counts_of

    p = prog(("APPLY_CCX", [0, 1, 2]), (T, [2]), ("APPLY_CCX", [0, 1, 2]), n=3)
    lowered = run(p, parse("lower-to<clifford+t>"), PassContext())
    out = apply(lowered, "phase-folding")
    assert counts_of(out)["t_count"] < counts_of(lowered)["t_count"]


def test_hadamard_reduction_turns_conjugated_cnots_into_cz_and_reversed_cnots():
    p = prog((H, [1]), (T, [0]), (CX, [0, 1]), (H, [1]), (H, [0]), (H, [2]), (CX, [0, 2]), (H, [0]), (H, [2]),
             (H, [1]), (CZ, [2, 1]), (H, [1]), (H, [0]), (CX, [1, 0]), (X, [0]), (H, [0]))
    out = apply(p, "hadamard-reduction")
    assert ops_of(out) == [(T, (0,)), (CZ, (0, 1)), (CX, (2, 0)), (CX, (2, 1)), (H, (0,)), (CX, (1, 0)), (X, (0,)),
                           (H, (0,))]


def test_hadamard_reduction_lets_phase_folding_see_through_toffoli_pairs():
    from qmk.passes.counts import counts_of

    p = prog((H, [2]), (T, [2]), (CX, [0, 2]), (TDG, [2]), (H, [2]), (CX, [1, 2]), (H, [2]), (T, [2]), (CX, [0, 2]),
             (TDG, [2]), (H, [2]))
    plain = apply(p, "phase-folding")
    reduced = apply(p, "hadamard-reduction,phase-folding")
    assert counts_of(reduced)["t_count"] < counts_of(plain)["t_count"]


# ---------------------------------------------------------------- canonicalize-measurements, dce

def test_canonicalize_folds_h_into_the_measurement_when_the_qubit_is_discarded():
    p = prog((H, [0]), ("MEASURE_Z", [0], {}, EV), (H, [1]), ("MEASURE_Z", [1], {}, {"produces": ("m1",)}),
             (X, [1]), ("APPLY_SDG", [2]), (H, [2]), ("MEASURE_Z", [2], {}, {"produces": ("m2",)}))
    out = apply(p, "canonicalize-measurements", measured=True)
    assert ops_of(out) == [("MEASURE_X", (0,)), (H, (1,)), ("MEASURE_Z", (1,)), (X, (1,)), ("MEASURE_Y", (2,))]


def test_dce_removes_unobserved_gates_and_impossible_guards():
    never = {"guard": {"all": [{"event": "m0", "equals": 0}, {"event": "m0", "equals": 1}]}}
    p = prog((H, [0]), (H, [1]), ("MEASURE_Z", [0], {}, EV), (X, [2], {}, never), (CZ, [1, 2]), (T, [1]),
             ("MEASURE_Z", [1], {}, {"produces": ("m1",)}), (H, [2]), ("RESET", [2]))
    out = apply(p, "dce", measured=True)
    assert ops_of(out) == [(H, (0,)), (H, (1,)), ("MEASURE_Z", (0,)), ("MEASURE_Z", (1,)), ("RESET", (2,))]


def test_dce_keeps_unitary_programs():
    p = prog((H, [0]), (CX, [0, 1]), (T, [1]))
    assert run(p, parse("dce"), PassContext()) is p


# ---------------------------------------------------------------- lower-to

@pytest.mark.parametrize("gateset", ["clifford+t", "cx,rz,sx,x", "cz,h,s,t,sdg,tdg,x,z"])
def test_lower_to_translates_every_gate_exactly(gateset):
    from qmk.passes.lower_to import parse_gateset

    from qmk import ops

    target = parse_gateset(gateset) | {"APPLY_RZ"}
    specs = []
    for name in ops.GATES:
        s = ops.spec(name)
        args = {a: k * math.pi / 4 for k, a in enumerate(s.angle_args, start=1)}
        specs.append((name, list(range(s.arity)), args))
    p = prog(*specs, n=3)
    out = apply(p, f"lower-to<{gateset}>")
    assert {op for op, _ in ops_of(out)} <= target


def test_lower_to_leaves_other_angles_as_rz():
    p = prog(("APPLY_RZ", [0], {"theta": 0.3}), ("APPLY_RX", [0], {"theta": math.pi / 4}))
    out = apply(p, "lower-to<clifford+t>")
    assert ops_of(out)[0][0] == "APPLY_RZ" and "APPLY_RX" not in {op for op, _ in ops_of(out)}


def test_lower_to_rejects_unknown_gates():
    with pytest.raises(ValueError, match="unknown gate"):
        run(prog(), parse("lower-to<cx,frob>"), PassContext())


# ---------------------------------------------------------------- regressions found while building the passes

def test_regression_reemitting_a_merged_phase_is_not_a_change():
    # Z then TDG is the shortest form of 3*pi/4: re-emitting it renamed nodes forever inside fixpoint().
    from qmk.passes.pipeline import Hooks

    p = prog(("APPLY_Z", [0]), (TDG, [0]), (CX, [0, 1]), ("APPLY_Z", [1]), (T, [1]))
    hooks = Hooks()
    out = run(p, parse("fixpoint(phase-folding,merge-rotations)"), PassContext(), hooks)
    assert out is p and hooks.times["phase-folding"][0] == 1


def test_regression_fuse_keeps_clifford_products_clifford():
    # H then S was once replaced by a single U (an exact-angle U looked cheaper than two Cliffords).
    out = apply(prog((H, [0]), (S, [0])), "fuse-1q")
    assert ops_of(out) == [(H, (0,)), (S, (0,))]


def test_regression_dce_keeps_programs_that_only_free_their_qubits():
    # The OpenQASM reader frees every qubit at the end; dce once treated that as "never observed".
    p = prog((H, [0]), (CX, [0, 1]), (T, [1]), ("FREE_LQ", [0, 1]), n=2)
    assert run(p, parse("dce"), PassContext()) is p


def test_regression_tiny_rotations_are_not_identities_for_cancel():
    # Found by hypothesis: numpy's allclose has a relative tolerance of 1e-5 by default, so I and
    # RZ(3.3e-6) once "cancelled".
    p = prog(("APPLY_I", [0]), ("APPLY_RZ", [0], {"theta": 3.3022572871440573e-06}), n=2)
    out = apply(p, "cancel-inverses")
    assert [op for op, _ in ops_of(out)] == ["APPLY_I", "APPLY_RZ"]


def test_regression_lower_to_keeps_tiny_angles_exact():
    # Found by hypothesis: a rounded table key matched RZ(pi + 1.8e-8) to Z inside the Euler form.
    p = prog(("APPLY_RX", [0], {"theta": 1.800545439213677e-08}), n=1)
    apply(p, "lower-to<clifford+t>", idempotent=False)

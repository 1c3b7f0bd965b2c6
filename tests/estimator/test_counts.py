"""Logical counts of QVM programs by the reference estimator's rules (qre-model.md section 3)."""

import math

import pytest

from qmk.estimator.counts import count_nodes, count_program
from qmk.ir import Node, make_program

PI4 = math.pi / 4


def prog(*ops, metadata=None):
    """Nodes from (op, qubits, args) tuples, with one ALLOC_LQ of every qubit first."""
    qs = sorted({q for _, vqs, _ in ops for q in vqs})
    nodes = [Node("a0", "ALLOC_LQ", tuple(qs), {"n": len(qs)})] if qs else []
    for i, (op, vqs, args) in enumerate(ops):
        produces = tuple(f"e{i}_{j}" for j in range(2 if op == "MEASURE_BELL" else 1)) if op.startswith("MEASURE") else ()
        nodes.append(Node(f"n{i}", op, tuple(vqs), args or {}, produces=produces))
    return make_program(nodes, metadata=metadata)


def counts(*ops, **kw):
    return count_program(prog(*ops, **kw)).to_json()


def test_t_gates_ccz_and_measurements():
    c = counts(("APPLY_T", ["a"], None), ("APPLY_TDG", ["b"], None), ("APPLY_CCX", ["a", "b", "c"], None),
               ("APPLY_CCZ", ["a", "b", "c"], None), ("MEASURE_Z", ["a"], None), ("MEASURE_BELL", ["b", "c"], None))
    assert c == {"numQubits": 3, "tCount": 2, "rotationCount": 0, "rotationDepth": 0, "cczCount": 2,
                 "ccixCount": 0, "measurementCount": 3}


@pytest.mark.parametrize("theta,t,r", [
    (PI4, 1, 0), (-PI4, 1, 0), (3 * PI4, 1, 0), (2 * PI4, 0, 0), (math.pi, 0, 0), (0.0, 0, 0),
    (math.nextafter(PI4, 1.0), 1, 0),  # one ulp off still counts as T (absolute epsilon)
    (PI4 + 1e-12, 0, 1), (0.3, 0, 1), (7 * PI4, 1, 0), (9 * PI4, 1, 0), (-2 * math.pi, 0, 0),
])
def test_rotation_angles_are_classified_with_an_absolute_epsilon(theta, t, r):
    for op in ("APPLY_RZ", "APPLY_RX", "APPLY_RY"):
        c = counts((op, ["q"], {"theta": theta}))
        assert (c["tCount"], c["rotationCount"]) == (t, r), (op, theta)


def test_rotation_depth_counts_layers_holding_a_rotation():
    # q0: R, R (layers 0, 1); q1: T (layer 0), R (layer 1); CNOT syncs q1,q2 then R on q2 at layer 2
    c = counts(("APPLY_RZ", ["q0"], {"theta": 0.1}), ("APPLY_RZ", ["q0"], {"theta": 0.2}),
               ("APPLY_T", ["q1"], None), ("APPLY_RZ", ["q1"], {"theta": 0.3}),
               ("APPLY_CNOT", ["q1", "q2"], None), ("APPLY_RZ", ["q2"], {"theta": 0.4}))
    assert c["rotationCount"] == 4 and c["tCount"] == 1
    assert c["rotationDepth"] == 3


def test_t_only_layers_do_not_count_as_rotation_depth():
    c = counts(("APPLY_T", ["a"], None), ("APPLY_T", ["a"], None), ("APPLY_RZ", ["b"], {"theta": 0.1}))
    assert c["rotationDepth"] == 1


def test_ccz_moves_all_three_qubits_past_the_deepest():
    c = counts(("APPLY_RZ", ["a"], {"theta": 0.1}), ("APPLY_RZ", ["a"], {"theta": 0.1}),
               ("APPLY_CCX", ["a", "b", "c"], None), ("APPLY_RZ", ["c"], {"theta": 0.1}))
    # a at level 2 -> CCZ at layer 2 -> c at level 3: rotation layers 0, 1, 3
    assert c["rotationDepth"] == 3


def test_clifford_ops_are_free():
    c = counts(*[(op, ["q"], None) for op in ("APPLY_H", "APPLY_S", "APPLY_SDG", "APPLY_X", "APPLY_Y", "APPLY_Z",
                                                 "APPLY_SX", "APPLY_I", "RESET")])
    assert (c["tCount"], c["rotationCount"], c["cczCount"], c["measurementCount"]) == (0, 0, 0, 0)


def test_u_gate_is_three_rotations():
    c = counts(("APPLY_U", ["q"], {"theta": 0.3, "phi": PI4, "lam": 0.0}))
    assert (c["rotationCount"], c["tCount"]) == (1, 1)


def test_peak_live_qubits_and_lifo_level_reuse():
    nodes = [
        Node("a", "ALLOC_LQ", ("x", "y"), {"n": 2}),
        Node("r1", "APPLY_RZ", ("x",), {"theta": 0.1}),
        Node("f", "FREE_LQ", ("x",)),
        Node("b", "ALLOC_LQ", ("z",), {"n": 1}),  # takes x's level (1), as the reference's free list does
        Node("r2", "APPLY_RZ", ("z",), {"theta": 0.1}),
    ]
    c = count_nodes(nodes).to_json()
    assert c["numQubits"] == 2 and c["rotationDepth"] == 2


def test_required_num_qubits_from_qir_metadata_wins():
    c = counts(("APPLY_T", ["a"], None), metadata={"qir": {"required_num_qubits": 5}})
    assert c["numQubits"] == 5


def test_guarded_nodes_count_as_if_they_run():
    nodes = [Node("a", "ALLOC_LQ", ("q",), {"n": 1}), Node("m", "MEASURE_Z", ("q",), produces=("e",)),
             Node("t", "APPLY_T", ("q",), guard={"event": "e", "equals": 1})]
    assert count_nodes(nodes).t_count == 1


def test_unknown_op_is_refused():
    with pytest.raises(ValueError):
        count_nodes([Node("x", "APPLY_BOGUS", ("q",))])

"""REV segments: maximal unguarded unitary runs, with their compute/uncompute structure."""

from __future__ import annotations

from qmk.ir import Node, make_program
from qmk.passes.rev import rev_segments


def _p(*nodes):
    return make_program(list(nodes))


def test_segments_split_at_measurement_fence_and_guard():
    p = _p(
        Node("a", "ALLOC_LQ", ("q", "r"), {"n": 2}),
        Node("h", "APPLY_H", ("q",)),
        Node("cx", "APPLY_CNOT", ("q", "r")),
        Node("fence", "FENCE_EPOCH"),
        Node("t", "APPLY_T", ("q",)),
        Node("m", "MEASURE_Z", ("q",), produces=("e",)),
        Node("x", "APPLY_X", ("r",), guard={"event": "e", "equals": 1}),
        Node("z", "APPLY_Z", ("r",)),
        Node("f", "FREE_LQ", ("q", "r")),
    )
    segs = rev_segments(p)
    assert [s.nodes for s in segs] == [("h", "cx"), ("t",), ("z",)]


def test_barrier_markers_do_not_split_and_are_trimmed_at_the_ends():
    p = _p(Node("a", "ALLOC_LQ", ("q",), {"n": 1}), Node("h", "APPLY_H", ("q",)), Node("b", "BAR_REGION"),
           Node("s", "APPLY_S", ("q",)), Node("b2", "BAR_REGION"), Node("m", "MEASURE_Z", ("q",), produces=("e",)))
    (seg,) = rev_segments(p)
    assert seg.nodes == ("h", "b", "s")


def test_compute_uncompute_structure_is_found():
    p = _p(Node("a", "ALLOC_LQ", ("x", "y", "z"), {"n": 3}),
           Node("c", "APPLY_CCX", ("x", "y", "z")), Node("rz", "APPLY_RZ", ("z",), {"theta": 0.3}),
           Node("mid", "APPLY_H", ("x",)),
           Node("rz2", "APPLY_RZ", ("z",), {"theta": -0.3}), Node("u", "APPLY_CCX", ("x", "y", "z")))
    (seg,) = rev_segments(p)
    assert seg.mirrored == 2 and not seg.identity


def test_identity_segment_and_operand_order_matters():
    ident = _p(Node("s", "APPLY_S", ("q",)), Node("sd", "APPLY_SDG", ("q",)))
    assert rev_segments(ident)[0].identity
    swapped = _p(Node("c1", "APPLY_CNOT", ("a", "b")), Node("c2", "APPLY_CNOT", ("b", "a")))
    assert rev_segments(swapped)[0].mirrored == 0

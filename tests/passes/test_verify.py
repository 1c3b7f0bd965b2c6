"""The verifier: clean examples verify, each invalid example fails with exactly its own code."""

from __future__ import annotations

from pathlib import Path

import pytest

from qmk.diagnostics import InputError
from qmk.ir import Node, make_program
from qmk.passes.verify import MAX_PER_CODE, verify
from qmk.qvmjson import loads

ROOT = Path(__file__).resolve().parents[2]
VALID = sorted((ROOT / "examples" / "qvm").glob("*.qvm.json"))
INVALID = sorted((ROOT / "examples" / "qvm" / "invalid").glob("*.qvm.json"))
P = "logical:surface_code(d=9)"


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_valid_examples_have_no_findings(path):
    assert verify(loads(path.read_bytes())) == []


def test_every_verifier_code_has_an_invalid_example():
    from qmk.diagnostics import CODES

    covered = {p.name.split("-")[0] for p in INVALID}
    assert covered == set(CODES)


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.name)
def test_invalid_example_fails_with_exactly_its_code(path):
    code = path.name.split("-")[0]
    try:
        prog = loads(path.read_bytes(), path.name)
    except InputError as e:
        assert [d.code for d in e.diagnostics] == [code]
        return
    found = {d.code for d in verify(prog, max_qubits=64)}
    assert found == {code}


def A(*q):
    return Node("alloc", "ALLOC_LQ", q, {"n": len(q), "profile": P})


def F(*q):
    return Node("free", "FREE_LQ", q)


def test_read_before_produce_names_both_nodes():
    p = make_program([A("q0", "q1"), Node("x", "APPLY_X", ("q1",), guard={"event": "r", "equals": 1}),
                      Node("m", "MEASURE_Z", ("q0",), produces=("r",)), F("q0", "q1")])
    (d,) = verify(p)
    assert d.code == "QMK322" and d.node == "x" and "'m'" in d.message


def test_measurement_hands_the_qubit_back_for_reuse():
    p = make_program([A("q"), Node("m", "MEASURE_Z", ("q",), produces=("r",)), Node("h", "APPLY_H", ("q",)),
                      Node("reset", "RESET", ("q",)), Node("m2", "MEASURE_X", ("q",), produces=("r2",)), F("q")])
    assert verify(p) == []


def test_a_released_qubit_can_be_allocated_again():
    p = make_program([A("q"), F("q"), Node("again", "ALLOC_LQ", ("q",), {"n": 1}), Node("free2", "FREE_LQ", ("q",))])
    assert verify(p) == []


def test_nested_guards_are_checked_recursively():
    good = {"any": [{"event": "r", "equals": 1}, {"all": [{"event": "r", "equals": 0}]}]}
    bad = {"any": [{"event": "r", "equals": 1}, {"all": []}]}
    base = [A("q"), Node("m", "MEASURE_Z", ("q",), produces=("r",))]
    assert verify(make_program(base + [Node("x", "APPLY_X", ("q",), guard=good), F("q")])) == []
    codes = [d.code for d in verify(make_program(base + [Node("x", "APPLY_X", ("q",), guard=bad), F("q")]))]
    assert codes == ["QMK324"]


def test_guard_equals_must_be_an_integer_not_a_boolean():
    p = make_program([A("q"), Node("m", "MEASURE_Z", ("q",), produces=("r",)),
                      Node("x", "APPLY_X", ("q",), guard={"event": "r", "equals": True}), F("q")])
    assert [d.code for d in verify(p)] == ["QMK324"]


def test_allocation_cannot_be_guarded():
    p = make_program([A("q"), Node("m", "MEASURE_Z", ("q",), produces=("r",)),
                      Node("a2", "ALLOC_LQ", ("p",), {"n": 1}, guard={"event": "r", "equals": 1}),
                      Node("f2", "FREE_LQ", ("p",)), F("q")])
    assert "QMK324" in {d.code for d in verify(p)}


@pytest.mark.parametrize("theta", [float("nan"), float("inf"), "1.0", True, None])
def test_angles_must_be_finite_numbers(theta):
    p = make_program([A("q"), Node("r", "APPLY_RZ", ("q",), {"theta": theta}), F("q")])
    assert [d.code for d in verify(p)] == ["QMK105"]


def test_node_level_capability_must_be_declared():
    p = make_program([A("q"), Node("h", "APPLY_H", ("q",), caps=("CAP_DEBUG",)), F("q")], caps=["CAP_ALLOC"])
    assert [d.code for d in verify(p)] == ["QMK401"]


def test_findings_are_capped_per_code_with_a_summary():
    nodes = [A("q"), F("q")] + [Node(f"h{i}", "APPLY_H", ("q",)) for i in range(MAX_PER_CODE + 50)]
    diags = verify(make_program(nodes))
    assert len(diags) == MAX_PER_CODE + 1
    assert "50 more" in diags[-1].message


def test_bounds_are_warnings():
    qs = tuple(f"q{i}" for i in range(5))
    diags = verify(make_program([A(*qs), F(*qs)]), max_qubits=4, max_nodes=1)
    assert {d.code for d in diags} == {"QMK501"} and all(not d.is_error for d in diags)


def test_outputs_with_constant_values_are_checked_by_type():
    p = make_program([A("q"), F("q")], outputs=[{"type": "RESULT", "value": 0}, {"type": "BOOL", "value": True},
                                                {"type": "INT", "value": -3}, {"type": "DOUBLE", "value": 0.5},
                                                {"type": "TUPLE", "count": 0}])
    assert verify(p) == []
    bad = make_program([A("q"), F("q")], outputs=[{"type": "RESULT", "value": 2}])
    assert [d.code for d in verify(bad)] == ["QMK601"]

"""QVM JSON: deterministic dump, byte-identical round trips, 0.1 upgrade, and bad input as exit-3 errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qmk.diagnostics import InputError
from qmk.ir import Node, make_program
from qmk.qvmjson import dumps, loads, to_json

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples" / "qvm").glob("*.qvm.json"))
SEED = sorted((ROOT.parent / "shared" / "reference" / "seed-qvm-v0.1").glob("*.qvm.json"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_in_canonical_form(path):
    data = path.read_bytes()
    assert dumps(loads(data)) == data


@pytest.mark.skipif(not SEED, reason="shared/reference not present")
@pytest.mark.parametrize("path", SEED, ids=lambda p: p.name)
def test_seed_01_documents_upgrade_and_then_round_trip(path):
    prog = loads(path.read_bytes(), path.name)
    assert prog.version == "0.2"
    once = dumps(prog)
    assert dumps(loads(once)) == once
    assert json.loads(once)["version"] == "0.2"


def test_upgrade_moves_cond_pauli_guard_to_inputs_and_fidelity_to_opts():
    doc = {
        "version": "0.1",
        "description": "old",
        "program": {"nodes": [
            {"id": "a", "op": "COND_PAULI", "args": {"pauli": "X"}, "vqs": ["q"], "guard": {"event": "m", "equals": 1}},
            {"id": "b", "op": "COND_PAULI", "args": {"pauli": "Z"}, "vqs": ["q"], "guard": {"event": "m", "equals": 0}},
            {"id": "c", "op": "OPEN_CHAN", "args": {"fidelity": 0.9}, "vqs": ["q", "r"], "chs": ["ch"]},
            {"id": "d", "op": "MEASURE_Z", "vqs": ["q"], "produces": ["m2"]},
        ]},
        "resources": {"vqs": ["q", "r"]},
        "caps": ["CAP_ALLOC"],
    }
    p = loads(json.dumps(doc))
    a, b, c, _ = p.nodes
    assert a.args == {"mask": "X"} and a.inputs == ("m",) and a.guard is None
    assert b.op == "APPLY_Z" and b.guard == {"event": "m", "equals": 0}
    assert c.args == {"opts": {"fidelity": 0.9}}
    assert p.metadata["description"] == "old"
    assert "CAP_MEASURE" in p.caps and p.resources.chs == () and p.resources.events == ()


def test_dump_is_independent_of_argument_key_order():
    a = make_program([Node("u", "APPLY_U", ("q",), {"theta": 1.0, "phi": 2.0, "lam": 3.0})])
    b = make_program([Node("u", "APPLY_U", ("q",), {"lam": 3.0, "theta": 1.0, "phi": 2.0})])
    assert dumps(a) == dumps(b)


def test_floats_round_trip_exactly():
    vals = [math.pi, -1e-300, 1e300, 0.1, 2.0**-52, -0.0, 123456789.123456789]
    p = make_program([Node(f"n{i}", "APPLY_RZ", ("q",), {"theta": v}) for i, v in enumerate(vals)])
    back = loads(dumps(p))
    assert [n.args["theta"] for n in back.nodes] == vals


handles = st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,6}", fullmatch=True)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@st.composite
def programs(draw):
    qs = draw(st.lists(handles, min_size=1, max_size=4, unique=True))
    nodes = []
    for i in range(draw(st.integers(0, 12))):
        kind = draw(st.sampled_from(["1q", "rot", "2q", "meas", "bar"]))
        if kind == "1q":
            nodes.append(Node(f"n{i}", draw(st.sampled_from(["APPLY_H", "APPLY_T", "APPLY_X"])), (draw(st.sampled_from(qs)),)))
        elif kind == "rot":
            nodes.append(Node(f"n{i}", "APPLY_RZ", (draw(st.sampled_from(qs)),), {"theta": draw(finite)}))
        elif kind == "2q" and len(qs) > 1:
            a, b = draw(st.permutations(qs))[:2]
            nodes.append(Node(f"n{i}", "APPLY_CNOT", (a, b)))
        elif kind == "meas":
            nodes.append(Node(f"n{i}", "MEASURE_Z", (draw(st.sampled_from(qs)),), produces=(f"e{i}",),
                              metadata={"note": draw(st.text(max_size=5))}))
        else:
            nodes.append(Node(f"n{i}", "BAR_REGION", args={"tag": draw(st.text(max_size=8))}))
    return make_program(nodes, metadata={"k": draw(st.text(max_size=5))})


@settings(max_examples=150)
@given(programs())
def test_load_of_dump_is_the_same_program_and_dumps_identically(prog):
    once = dumps(prog)
    back = loads(once)
    assert back.nodes == prog.nodes
    assert back.resources == prog.resources and back.caps == prog.caps
    assert dumps(back) == once
    assert to_json(back)["program"]["nodes"] == json.loads(once)["program"]["nodes"]


BAD = {
    b"": "QMK001",
    b'{"version": "0.2", ': "QMK001",
    b"\xff\xfe{}": "QMK002",
    b"[" * 3000 + b"]" * 3000: "QMK003",
    b'{"version": "0.2", "x": 1e999}': "QMK003",
    b'{"version": "0.2", "program": {"nodes": [{"id": 1, "op": "APPLY_H"}]}}': "QMK004",
    b'{"version": "0.2", "program": {"nodes": [{"id": "a", "op": "APPLY_H", "vqs": [1]}]}}': "QMK004",
    b'{"version": "0.2", "program": {"nodes": [{"id": "a", "op": "APPLY_H", "colour": 1}]}}': "QMK004",
    b'{"version": "0.2", "program": {"nodes": []}, "extra": 1}': "QMK004",
    b'{"version": "0.2", "program": {"nodes": []}, "resources": []}': "QMK004",
    b'"just a string"': "QMK004",
    b'{"version": 2}': "QMK005",
    b'{"program": {"nodes": []}}': "QMK005",
}


@pytest.mark.parametrize("data,code", list(BAD.items()), ids=[c + "-" + str(i) for i, c in enumerate(BAD.values())])
def test_bad_documents_raise_input_error_with_code(data, code):
    with pytest.raises(InputError) as exc:
        loads(data)
    assert exc.value.exit_code == 3
    assert [d.code for d in exc.value.diagnostics] == [code]

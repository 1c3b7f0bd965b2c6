"""Unit tests of every formula of the physical model, with numbers worked out by hand."""

import math

import pytest

from qmk.estimator import LogicalCounts, ModelError, estimate
from qmk.estimator.expr import ExprError, Formula
from qmk.estimator.layout import split_budget
from qmk.estimator.qec import scheme_from_json
from qmk.estimator.qubits import PRESETS, qubit_from_json
from qmk.estimator.search import Patch, exhaustive_search, reference_search
from qmk.estimator.units import DEFAULT_TEMPLATES, RM_PREP, Factory, logical_unit, physical_unit

E3, MAJ4 = PRESETS["qubit_gate_ns_e3"], PRESETS["qubit_maj_ns_e4"]


# ------------------------------------------------------------------ qubits

def test_presets_and_derived_rates():
    assert (E3.one_qubit_measurement_time, E3.one_qubit_gate_time, E3.t_gate_time) == (100, 50, 50)
    us3 = PRESETS["qubit_gate_us_e3"]
    assert us3.t_gate_error_rate == 1e-6 and us3.clifford_error_rate == 1e-3
    assert MAJ4.clifford_error_rate == 1e-4 and MAJ4.t_gate_error_rate == 0.05
    assert PRESETS["qubit_maj_ns_e6"].t_gate_error_rate == 0.01


def test_custom_gate_qubit_defaults():
    q = qubit_from_json({"name": "x", "instructionSet": "GateBased", "oneQubitMeasurementTime": "200 ns",
                         "oneQubitGateTime": 30, "oneQubitMeasurementErrorRate": 2e-4, "oneQubitGateErrorRate": 1e-4,
                         "tGateErrorRate": 5e-4})
    assert (q.two_qubit_gate_time, q.t_gate_time) == (30, 30)
    assert q.two_qubit_gate_error_rate == 1e-4 and q.idle_error_rate == 2e-4
    assert q.clifford_error_rate == 2e-4 and q.physical_error_rate == 2e-4


def test_custom_majorana_defaults():
    q = qubit_from_json({"instructionSet": "Majorana", "oneQubitMeasurementTime": "1 us",
                         "oneQubitMeasurementErrorRate": {"process": 1e-5, "readout": 2e-5}, "tGateErrorRate": 0.02})
    assert (q.two_qubit_joint_measurement_time, q.t_gate_time) == (1000, 1000)
    assert q.two_qubit_joint_measurement_error == (2e-5, 2e-5) and q.idle_error_rate == 2e-5
    assert q.clifford_error_rate == 2e-5 and q.readout_error_rate == 2e-5


def test_preset_with_an_override_keeps_the_rest():
    q = qubit_from_json({"name": "qubit_gate_ns_e3", "twoQubitGateErrorRate": 5e-4})
    assert q.two_qubit_gate_error_rate == 5e-4 and q.one_qubit_gate_error_rate == 1e-3


@pytest.mark.parametrize("bad", [{"name": "nope"}, {"instructionSet": "GateBased"},
                                 {"name": "qubit_gate_ns_e3", "tGateErrorRate": 2.0},
                                 {"name": "qubit_gate_ns_e3", "oneQubitGateTime": -5},
                                 {"name": "qubit_gate_ns_e3", "color": "red"}])
def test_bad_qubits_are_refused(bad):
    with pytest.raises(ModelError):
        qubit_from_json(bad)


# ------------------------------------------------------------------ QEC schemes

def test_surface_code_formulas():
    s = scheme_from_json({"name": "surface_code"}, E3)
    assert s.cycle_time(E3, 11) == (4 * 50 + 2 * 100) * 11 and s.physical_qubits(11) == 2 * 121
    assert s.logical_error_rate(E3, 11) == pytest.approx(0.03 * 0.1**6, rel=1e-15)
    m = scheme_from_json("surface_code", MAJ4)
    assert m.cycle_time(MAJ4, 5) == 20 * 100 * 5 and m.error_correction_threshold == 0.0015
    f = scheme_from_json("floquet_code", MAJ4)
    assert f.cycle_time(MAJ4, 5) == 1500 and f.physical_qubits(5) == 4 * 25 + 8 * 4


def test_code_distance_inverse_formula_is_odd_and_can_be_one():
    s = scheme_from_json("surface_code", E3)
    r = 1e-10
    want = math.ceil(2 * math.log(0.03 / r) / math.log(0.01 / 1e-3) - 1) | 1
    assert s.code_distance(E3, r) == want and want % 2 == 1
    assert s.code_distance(E3, 0.5) == 1
    assert s.logical_error_rate(E3, want) <= r < s.logical_error_rate(E3, want - 2)
    with pytest.raises(ModelError, match="too high"):
        s.code_distance(E3, 1e-60)


def test_scheme_errors():
    with pytest.raises(ModelError, match="Majorana"):
        scheme_from_json("floquet_code", E3)
    with pytest.raises(ModelError, match="needs"):
        scheme_from_json({"name": "mine", "crossingPrefactor": 0.1}, E3)
    with pytest.raises(ModelError):
        scheme_from_json({"name": "surface_code", "crossingPrefactor": 0.7}, E3)
    with pytest.raises(ModelError, match="threshold"):
        scheme_from_json({"name": "surface_code", "errorCorrectionThreshold": 0.001}, E3)
    with pytest.raises(ModelError):
        scheme_from_json({"name": "surface_code", "logicalCycleTime": "codeDistance *"}, E3)
    for bad in ("10 ^ 400 * codeDistance", "0 * codeDistance", "-1", "1 / 0"):
        with pytest.raises(ModelError):
            scheme_from_json({"name": "surface_code", "logicalCycleTime": bad}, E3)
        with pytest.raises(ModelError):
            scheme_from_json({"name": "surface_code", "physicalQubitsPerLogicalQubit": bad}, E3)


def test_formulas():
    f = Formula("(4 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance")
    assert f({"twoQubitGateTime": 50, "oneQubitMeasurementTime": 100, "codeDistance": 3}) == 1200
    assert Formula("35.0 * z ^ 3 + 7.1 * c")({"z": 0.1, "c": 0.0}) == pytest.approx(0.035)
    assert Formula("-2 ^ 2")({}) == -4 and Formula("2 ^ 3 ^ 2")({}) == 512
    assert Formula("max(1, sqrt(16), log(100))")({}) == 4 and Formula("7 % 4")({}) == 3
    assert Formula("a + b")({"a": 1, "b": 2}) == 3 and Formula("x * y").variables() == {"x", "y"}
    for bad in ("", "1 +", "(1", "foo(1)", "1 $ 2", "__import__('os')"):
        with pytest.raises(ExprError):
            Formula(bad)
    with pytest.raises(ExprError, match="unknown variable"):
        Formula("q + 1")({})


# ------------------------------------------------------------------ layout and budget

def test_layout_formulas():
    c = LogicalCounts(12, t_count=30, rotation_count=10, rotation_depth=5, ccz_count=4, measurement_count=3)
    assert c.logical_qubits == 2 * 12 + math.ceil(math.sqrt(96)) + 1 == 35
    eps = 1e-3 / 3
    n_rot = math.ceil(0.53 * math.log2(10 / eps) + 4.86)
    assert c.ts_per_rotation(eps) == n_rot == 13
    assert c.logical_depth(eps) == (3 + 10 + 30) + 3 * 4 + 13 * 5 == 120
    assert c.num_t_states(eps) == 4 * 4 + 30 + 13 * 10 == 176
    assert LogicalCounts(1).ts_per_rotation(eps) is None


def test_budget_split():
    rot = LogicalCounts(2, t_count=1, rotation_count=1, rotation_depth=1)
    t_only, none = LogicalCounts(2, t_count=1), LogicalCounts(2, measurement_count=1)
    assert split_budget(0.003, rot).to_json() == {"logical": 0.001, "tstates": 0.001, "rotations": 0.001}
    assert split_budget(0.002, t_only).to_json() == {"logical": 0.001, "tstates": 0.001, "rotations": 0.0}
    assert split_budget(0.002, none).to_json() == {"logical": 0.002, "tstates": 0.0, "rotations": 0.0}
    assert split_budget({"logical": 1e-4, "tStates": 2e-4, "rotations": 3e-4}, rot).tstates == 2e-4
    for bad in (0.0, 1.0, -1, {"logical": 0.0, "tStates": 1e-3, "rotations": 1e-3},
                {"logical": 1e-3, "tStates": 0.0, "rotations": 1e-3}, {"logical": 0.5, "tStates": 0.3, "rotations": 0.3}):
        with pytest.raises(ModelError):
            split_budget(bad, rot)


# ------------------------------------------------------------------ factories

def _patch(scheme, qubit, d):
    return Patch(d, scheme.physical_qubits(d), scheme.cycle_time(qubit, d), scheme.logical_error_rate(qubit, d),
                 qubit.t_gate_error_rate)


def test_factory_rounds_match_the_reference_example():
    # qubit_maj_ns_e4 / floquet_code, 12 qubits ... (reference output: 1672, 21, 1 units; 21,840 qubits)
    s = scheme_from_json("floquet_code", MAJ4)
    units = [physical_unit(DEFAULT_TEMPLATES[1], MAJ4), logical_unit(DEFAULT_TEMPLATES[1], _patch(s, MAJ4, 3)),
             logical_unit(RM_PREP, _patch(s, MAJ4, 5))]
    f = Factory.build(units, MAJ4.t_gate_error_rate)
    j = f.to_json()
    assert j["numUnitsPerRound"] == [1672, 21, 1]  # 1672 is the crate's Cornish-Fisher value, not the exact 1677
    assert j["physicalQubitsPerRound"] == [20064, 21840, 4092] and j["physicalQubits"] == 21840
    assert j["runtimePerRound"] == [4500, 11700, 16500] and j["runtime"] == 32700
    assert j["numInputTstates"] == 25080 and j["logicalErrorRate"] == 4.970056042057561e-07


def test_one_round_formulas_and_validity():
    u = physical_unit(RM_PREP, MAJ4)
    f = Factory.build([u], 0.05)
    assert f.output_error_rate == pytest.approx(35 * 0.05**3 + 7.1 * 1e-4, rel=1e-15)
    assert f.rounds[0].duration == 24 * 100 and f.rounds[0].qubits_per_unit == 31
    assert u.is_valid()  # 1e-4 <= 0.1 * 0.05
    assert not physical_unit(RM_PREP, E3).is_valid()  # 1e-3 > 0.1 * 1e-3: gate-based e3 never distills physically


def test_exhaustive_search_never_loses_and_finds_the_cheaper_factory():
    s = scheme_from_json("surface_code", MAJ4)
    ref = reference_search(s, MAJ4, DEFAULT_TEMPLATES, 1e-3 / 2 / 60, 9, 3)
    ex = exhaustive_search(s, MAJ4, DEFAULT_TEMPLATES, 1e-3 / 2 / 60, 9, 3)
    assert min(f.normalized_volume for f in ex) <= min(f.normalized_volume for f in ref)
    best = min(ex, key=lambda f: f.normalized_volume)
    assert best.signature() == (("15-to-1 RM prep", 1), ("15-to-1 space efficient", 9))
    assert best.physical_qubits == 9720 and best.duration == 236400


def test_trivial_factory_when_the_physical_t_gate_is_good_enough():
    r = estimate({"numQubits": 2, "tCount": 1}, {"qubitParams": {"name": "qubit_gate_us_e3"}})[0]
    assert r["tfactory"]["unitNamePerRound"] == ["trivial 1-to-1"] and r["tfactory"]["numUnitsPerRound"] == [1]


def test_no_resources_is_an_error_and_batches_report_per_job():
    out = estimate({"numQubits": 3}, None)
    assert out[0]["status"] == "error"
    out = estimate({"numQubits": 3, "tCount": 5}, [{"errorBudget": 0.01}, {"errorBudget": 2.0}])
    assert [o["status"] for o in out] == ["success", "error"]


def test_constraints_are_respected():
    c = {"numQubits": 20, "tCount": 10**5, "cczCount": 10**4, "measurementCount": 10**4}
    free = estimate(c, None)[0]["physicalCounts"]
    one = estimate(c, {"constraints": {"maxTFactories": 1}})[0]["physicalCounts"]
    assert one["breakdown"]["numTfactories"] == 1 and one["runtime"] >= free["runtime"]
    limit = free["runtime"] * 3
    slow = estimate(c, {"constraints": {"maxDuration": limit}})[0]["physicalCounts"]
    assert slow["runtime"] <= limit and slow["physicalQubits"] <= free["physicalQubits"]
    cap = free["physicalQubits"] // 2
    small = estimate(c, {"constraints": {"maxPhysicalQubits": cap}})[0]["physicalCounts"]
    assert small["physicalQubits"] <= cap
    both = estimate(c, {"constraints": {"maxPhysicalQubits": cap, "maxDuration": limit}})[0]
    assert both["status"] == "error"


def test_frontier_is_pareto_and_sorted_by_runtime():
    r = estimate({"numQubits": 12, "tCount": 3000, "measurementCount": 100}, {"estimateType": "frontier"})[0]
    pts = [(e["physicalCounts"]["runtime"], e["physicalCounts"]["physicalQubits"]) for e in r["frontierEntries"]]
    assert len(pts) > 1 and pts == sorted(pts)
    for (t1, q1), (t2, q2) in zip(pts, pts[1:]):
        assert t1 <= t2 and q1 >= q2

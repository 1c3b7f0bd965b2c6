"""The QEC families beyond the reference, and the seed's configuration shape."""

import pytest

from qmk.estimator import ModelError, estimate
from qmk.estimator.params import translate_seed
from qmk.estimator.qec import scheme_from_json
from qmk.estimator.qubits import PRESETS

E4 = PRESETS["qubit_gate_ns_e4"]
COUNTS = {"numQubits": 50, "tCount": 10**5, "cczCount": 10**3, "measurementCount": 10**4}


def test_color_code_formulas():
    s = scheme_from_json("color_code", E4)
    assert s.physical_qubits(7) == (3 * 49 + 1) // 2
    assert s.cycle_time(E4, 7) == (8 * 50 + 2 * 100) * 7
    assert s.logical_error_rate(E4, 7) == pytest.approx(0.03 * (1e-4 / 0.002) ** 4)


def test_bacon_shor_formulas_and_limits():
    s = scheme_from_json("bacon_shor", E4)
    assert s.physical_qubits(5) == 3 * 25 - 10 and s.max_code_distance == 25
    with pytest.raises(ModelError):
        scheme_from_json("bacon_shor", PRESETS["qubit_gate_ns_e3"])  # 1e-3 is above its threshold


def test_shyps_blocks():
    s = scheme_from_json("shyps", E4)
    assert s.code_distances() == [4, 8, 16, 32]
    assert [s.block(d) for d in (4, 8, 16, 32)] == [9, 16, 25, 36]
    assert s.physical_qubits(4) == 2 * 7**2 and s.qubits_per_logical(4) == -(-98 // 9)
    r = estimate(COUNTS, {"qubitParams": {"name": "qubit_gate_ns_e4"}, "qecScheme": {"name": "shyps"}})[0]
    d = r["logicalQubit"]["codeDistance"]
    q_alg = r["physicalCounts"]["breakdown"]["algorithmicLogicalQubits"]
    assert d in (4, 8, 16, 32)
    assert r["physicalCounts"]["breakdown"]["physicalQubitsForAlgorithm"] == -(-q_alg // s.block(d)) * s.physical_qubits(d)


@pytest.mark.parametrize("name", ["color_code", "bacon_shor", "shyps"])
def test_families_refuse_majorana_qubits(name):
    with pytest.raises(ModelError, match="gate-based"):
        scheme_from_json(name, PRESETS["qubit_maj_ns_e4"])


def test_family_estimates_are_complete():
    # every family estimate is a complete result with a factory and a positive footprint
    for name in ("color_code", "shyps", "surface_code"):
        r = estimate(COUNTS, {"qubitParams": {"name": "qubit_gate_ns_e4"}, "qecScheme": {"name": name}})[0]
        assert r["status"] == "success" and r["physicalCounts"]["physicalQubits"] > 0 and r["tfactory"]


def test_seed_shape_translation():
    job = translate_seed({"qec_scheme": {"code_family": "surface_code", "code_distance": 9,
                                         "logical_cycle_time_us": 1.0, "physical_qubit_count": 162},
                          "error_budget": {"physical_gate_error_rate": 1e-3, "measurement_error_rate": 1e-2,
                                           "idle_error_rate": 1e-4}})
    assert job["qecScheme"]["logicalCycleTime"] == "1000.0 * codeDistance / 9"
    assert job["qecScheme"]["physicalQubitsPerLogicalQubit"] == "162 * codeDistance * codeDistance / 81"
    assert job["qubitParams"]["oneQubitMeasurementErrorRate"] == 1e-2
    s = scheme_from_json(job["qecScheme"], PRESETS["qubit_gate_ns_e4"])
    assert s.cycle_time(PRESETS["qubit_gate_ns_e4"], 9) == 1000 and s.physical_qubits(9) == 162

"""qmk-estimate end to end: exit codes first, then stdout and stderr."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN = Path(__file__).parent / "golden"
COUNTS = {"numQubits": 12, "tCount": 30, "rotationCount": 10, "rotationDepth": 5, "cczCount": 4, "measurementCount": 3}


def run(*args, stdin: bytes | None = None):
    p = subprocess.run([sys.executable, "-c", "from qmk.cli.estimate import main; main()", *args], input=stdin,
                       capture_output=True, timeout=120)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture
def counts_file(tmp_path):
    f = tmp_path / "counts.json"
    f.write_text(json.dumps(COUNTS))
    return str(f)


def test_counts_json_output_has_the_reference_fields(counts_file):
    code, out, err = run("--counts", counts_file, "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["physicalCounts"]["physicalQubits"] == 202070 and d["physicalCounts"]["runtime"] == 528000
    assert d["logicalQubit"]["codeDistance"] == 11 and d["tfactory"]["numUnitsPerRound"] == [2]
    assert d["jobParams"]["qubitParams"]["name"] == "qubit_gate_ns_e3"


def test_counts_on_stdin_and_table_format():
    code, out, err = run("--format", "table", stdin=json.dumps(COUNTS).encode())
    assert code == 0, err
    assert "physical qubits" in out and "202,070" in out


def test_options_reach_the_model(counts_file):
    code, out, _ = run("--counts", counts_file, "--qubit-params", "qubit_maj_ns_e4", "--qec-scheme", "floquet_code",
                       "--format", "json")
    assert code == 0
    assert json.loads(out)["physicalCounts"]["physicalQubits"] == 790860
    code, out, _ = run("--counts", counts_file, "--error-budget", "0.01", "--max-t-factories", "3", "--format", "json")
    d = json.loads(out)
    assert code == 0 and d["physicalCounts"]["breakdown"]["numTfactories"] <= 3 and d["errorBudget"]["logical"] == 0.01 / 3


def test_params_file_batch_and_seed_shape(counts_file, tmp_path):
    jobs = tmp_path / "jobs.json"
    jobs.write_text(json.dumps([{"errorBudget": 0.01}, {"qubitParams": {"name": "qubit_gate_ns_e4"}}]))
    code, out, _ = run("--counts", counts_file, "--params", str(jobs), "--format", "json")
    assert code == 0 and [r["status"] for r in json.loads(out)] == ["success", "success"]
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({"qec_scheme": {"code_family": "surface_code"},
                                "error_budget": {"physical_gate_error_rate": 1e-4, "measurement_error_rate": 1e-4},
                                "decoder": {"type": "MWPM"}}))
    code, out, err = run("--counts", counts_file, "--params", str(seed), "--format", "json")
    assert code == 0, err
    d = json.loads(out)
    assert d["jobParams"]["qubitParams"]["oneQubitGateErrorRate"] == 1e-4 and d["jobParams"]["seedConfig"]["decoder"]


def test_qir_file_is_lowered_and_estimated():
    ll = GOLDEN / "programs" / "toffolis.Base.ll"
    code, out, err = run(str(ll), "--format", "json")
    assert code == 0, err
    assert json.loads(out)["logicalCounts"]["cczCount"] == 10


def test_qvm_on_stdin():
    from qmk.ir import Node, make_program
    from qmk.qvmjson import dumps

    p = make_program([Node("a", "ALLOC_LQ", ("q",), {"n": 1}), Node("t", "APPLY_T", ("q",)),
                      Node("m", "MEASURE_Z", ("q",), produces=("e",))])
    code, out, err = run("--format", "json", stdin=dumps(p))
    assert code == 0, err
    assert json.loads(out)["logicalCounts"] == {"numQubits": 1, "tCount": 1, "rotationCount": 0, "rotationDepth": 0,
                                                "cczCount": 0, "ccixCount": 0, "measurementCount": 1}


def test_frontier_compare_and_exhaustive(counts_file):
    code, out, _ = run("--counts", counts_file, "--frontier", "--format", "json")
    assert code == 0 and len(json.loads(out)["frontierEntries"]) > 1
    code, out, _ = run("--counts", counts_file, "--compare", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and len(rows) >= 10 and any(r["status"] == "success" for r in rows)
    code, out, _ = run("--counts", counts_file, "--factory-search", "exhaustive", "--qubit-params", "qubit_maj_ns_e4",
                       "--format", "json")
    assert code == 0 and json.loads(out)["exhaustiveSearch"]["physicalQubitsSaved"] >= 0


@pytest.mark.parametrize("args,code", [
    (("--qubit-params", "nope"), 2),
    (("--error-budget", "2"), 2),
    (("--qec-scheme", "floquet_code"), 2),
    (("--format", "xml"), 2),
    (("--max-duration", "soon"), 2),
])
def test_bad_options_exit_2(counts_file, args, code):
    got, out, err = run("--counts", counts_file, *args)
    assert got == code and out == "" and "Traceback" not in err


def test_bad_input_files_exit_3(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"numQubits": -1}')
    code, out, err = run("--counts", str(bad))
    assert code == 3 and "numQubits" in err and "Traceback" not in err
    bad.write_text("{not json")
    assert run("--counts", str(bad))[0] == 3
    params = tmp_path / "p.json"
    params.write_text('{"qubitParams": {"name": "qubit_gate_ns_e3", "tGateErrorRate": 7}}')
    code, _, err = run("--counts", str(bad), "--params", str(params))
    assert code == 3
    code, _, err = run(stdin=b"OPENQASM 2.0; qreg q[1]; bogus q[0];")
    assert code == 3 and "Traceback" not in err


def test_unestimable_input_is_a_clear_error(counts_file, tmp_path):
    f = tmp_path / "empty.json"
    f.write_text('{"numQubits": 4}')
    code, out, err = run("--counts", str(f), "--format", "json")
    assert code == 3 and "no resources" in err
    assert run("--counts", counts_file, "--error-budget", "1e-300")[0] == 3


def test_missing_file_is_io_error():
    assert run("--counts", "/nonexistent/counts.json")[0] == 4

"""qmk-run from the command line: exit code first, then stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from rt_helpers import N, prog

from qmk.qvmjson import dumps

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLES = os.path.join(ROOT, "examples", "qvm")


def qmk_run(*args, stdin: bytes | None = None):
    cmd = [sys.executable, "-c", "from qmk.cli.run import main; main()", *args]
    p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=120, check=False)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


@pytest.fixture(scope="module")
def t_program(tmp_path_factory):
    p = prog(N("al", "ALLOC_LQ", ["a", "b"], {"n": 2}), N("h", "APPLY_H", ["a"]), N("t", "APPLY_T", ["a"]),
             N("c", "APPLY_CNOT", ["a", "b"]), N("m1", "MEASURE_Z", ["a"], produces=["e1"]),
             N("m2", "MEASURE_Z", ["b"], produces=["e2"]),
             outputs=[{"type": "ARRAY", "count": 2, "label": "c"}, {"type": "RESULT", "event": "e1", "label": "c0"},
                      {"type": "RESULT", "event": "e2", "label": "c1"}])
    path = tmp_path_factory.mktemp("run") / "bellt.qvm.json"
    path.write_bytes(dumps(p))
    return str(path)


def test_counts_are_json_on_stdout_by_default(t_program):
    code, out, err = qmk_run("--shots", "500", "--seed", "3", t_program)
    assert code == 0, err
    counts = json.loads(out)
    assert set(counts) <= {"00", "11"} and sum(counts.values()) == 500


def test_same_seed_is_byte_identical_for_counts_and_records(t_program):
    a = qmk_run("--shots", "50", "--seed", "9", "--format", "records", t_program)
    b = qmk_run("--shots", "50", "--seed", "9", "--format", "records", t_program)
    assert a[0] == 0 and a[1] == b[1]
    lines = a[1].splitlines()
    assert lines[0] == "START" and lines[1] == "OUTPUT\tARRAY\t2\tc" and lines[-1] == "END\t0"
    assert lines.count("START") == 50


def test_json_format_carries_telemetry_and_per_shot_list(t_program):
    code, out, _ = qmk_run("--shots", "20", "--seed", "1", "--format", "json", "--per-shot", t_program)
    assert code == 0
    d = json.loads(out)
    assert d["telemetry"]["engine"] == "statevector" and len(d["shots"]) == 20


def test_histogram_format(t_program):
    code, out, _ = qmk_run("--shots", "100", "--seed", "1", "--format", "histogram", t_program)
    assert code == 0 and "outcome" in out and "█" in out


def test_stdin_and_pipeline_input(t_program):
    with open(t_program, "rb") as fh:
        code, out, _ = qmk_run("--shots", "10", "--seed", "0", stdin=fh.read())
    assert code == 0 and sum(json.loads(out).values()) == 10


def test_openqasm_input_is_lowered_and_run(tmp_path):
    f = tmp_path / "bell.qasm"
    f.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\nh q[0];\ncx q[0],q[1];\nmeasure q -> c;\n')
    code, out, err = qmk_run("--shots", "200", "--seed", "2", str(f))
    assert code == 0, err
    assert set(json.loads(out)) <= {"00", "11"}


@pytest.mark.parametrize("args,code,msg", [
    (["--engine", "stabilizer"], 2, "not a Clifford"),
    (["--noise", "thermal"], 2, "unknown noise"),
    (["--noise", "logical", "--physical-error-rate", "0.5"], 2, "threshold"),
    (["--max-memory", "lots"], 2, "not a size"),
    (["--shots", "0"], 2, ""),
])
def test_usage_errors_exit_2(t_program, args, code, msg):
    c, out, err = qmk_run(*args, t_program)
    assert c == code and out == ""
    assert msg in err and "Traceback" not in err


def test_bad_inputs_exit_3_or_4(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": "0.2", "program": {"nodes": [')
    c, out, err = qmk_run(str(bad))
    assert c == 3 and out == "" and "Traceback" not in err
    invalid = tmp_path / "inv.json"
    p = prog(N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("f", "FREE_LQ", ["q"]), N("h", "APPLY_H", ["q"]))
    invalid.write_bytes(dumps(p))
    c, out, err = qmk_run(str(invalid))
    assert c == 3 and "QMK302" in err
    c, _, err = qmk_run(str(tmp_path / "missing.json"))
    assert c == 4


def test_too_big_for_memory_is_refused_with_the_figure(tmp_path):
    vqs = [f"q{i}" for i in range(20)]
    p = prog(N("al", "ALLOC_LQ", vqs, {"n": 20}), N("t", "APPLY_T", ["q0"]), N("m", "MEASURE_Z", ["q0"], produces=["e"]))
    f = tmp_path / "big.json"
    f.write_bytes(dumps(p))
    c, out, err = qmk_run("--max-memory", "1M", str(f))
    assert c == 3 and out == ""
    assert "20 qubits need about 24.0 MiB" in err


def test_every_example_runs():
    for name in sorted(os.listdir(EXAMPLES)):
        if name.endswith(".qvm.json"):
            c, out, err = qmk_run("--shots", "64", "--seed", "1", os.path.join(EXAMPLES, name))
            assert c == 0, (name, err)
            assert sum(json.loads(out).values()) == 64


def test_timeout_cancels_a_long_run(tmp_path):
    nodes = [N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("h", "APPLY_H", ["q"]), N("m", "MEASURE_Z", ["q"], produces=["e"]),
             N("x", "APPLY_X", ["q"], guard={"event": "e", "equals": 1}), N("m2", "MEASURE_Z", ["q"], produces=["f"])]
    f = tmp_path / "long.json"
    f.write_bytes(dumps(prog(*nodes)))
    c, out, err = qmk_run("--shots", "100000000", "--timeout", "1", str(f))
    assert c == 130 and out == ""
    assert "time limit" in err


RUS_COIN = b"""@L.n = private constant [2 x i8] c"n\\00"
@L.r = private constant [2 x i8] c"r\\00"
@L.t = private constant [2 x i8] c"t\\00"
define i64 @main() #0 {
entry:
  call void @__quantum__rt__initialize(ptr null)
  br label %loop
loop:
  %n = phi i64 [ 0, %entry ], [ %n1, %loop ]
  call void @__quantum__qis__h__body(ptr null)
  call void @__quantum__qis__mz__body(ptr null, ptr null)
  call void @__quantum__qis__reset__body(ptr null)
  %r = call i1 @__quantum__rt__read_result(ptr null)
  %n1 = add i64 %n, 1
  br i1 %r, label %loop, label %done
done:
  call void @__quantum__rt__tuple_record_output(i64 2, ptr @L.t)
  call void @__quantum__rt__result_record_output(ptr null, ptr @L.r)
  call void @__quantum__rt__int_record_output(i64 %n1, ptr @L.n)
  ret i64 0
}
declare void @__quantum__qis__h__body(ptr)
declare void @__quantum__qis__mz__body(ptr, ptr)
declare void @__quantum__qis__reset__body(ptr)
declare void @__quantum__rt__initialize(ptr)
declare void @__quantum__rt__int_record_output(i64, ptr)
declare i1 @__quantum__rt__read_result(ptr)
declare void @__quantum__rt__result_record_output(ptr, ptr)
declare void @__quantum__rt__tuple_record_output(i64, ptr)
attributes #0 = { "entry_point" "output_labeling_schema" "qir_profiles"="adaptive_profile" "required_num_qubits"="1" "required_num_results"="1" }
"""


def test_qir_that_cannot_be_static_runs_directly(tmp_path):
    pytest.importorskip("qmk.runtime.qir_jit")
    from rt_helpers import assert_5sigma

    f = tmp_path / "rus.ll"
    f.write_bytes(RUS_COIN)
    shots = 4000
    c, out, err = qmk_run("--shots", str(shots), "--seed", "5", str(f))
    assert c == 0, err
    assert "running the QIR directly" in err
    # repeat until the coin reads 0: n trials with probability 2^-n; the result recorded is always 0
    assert_5sigma(json.loads(out), {f"0 {k}": 0.5 ** k for k in range(1, 60)}, shots)
    c, rec, _ = qmk_run("--shots", "2", "--seed", "5", "--format", "records", str(f))
    assert c == 0 and rec.count("START") == 2 and "METADATA\tqir_profiles\tadaptive_profile" in rec

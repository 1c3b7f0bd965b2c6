"""Pipeline strings, presets, the registry, the counts analysis, and the qmk-opt command."""

from __future__ import annotations

import json
import re

import pytest
from qmk.passes.counts import counts_of
from qmk.passes.pipeline import PRESETS, Fixpoint, PipelineError, Step, parse, pipeline_str, run
from qmk.passes.registry import PassContext, all_passes

from qmk.ir import Node, make_program
from qmk.qvmjson import dumps

OPT_PASSES = ["cancel-inverses", "merge-rotations", "fuse-1q", "phase-folding", "lower-to",
              "canonicalize-measurements", "dce", "counts"]


def test_every_pass_is_registered_with_a_kind_and_a_doc():
    passes = all_passes()
    for name in OPT_PASSES:
        assert name in passes and passes[name].doc
    assert passes["counts"].kind == "analysis"
    assert passes["phase-folding"].kind == "transform"


def test_parse_nested_fixpoints_and_parameters():
    items = parse("cancel-inverses<window=8>, fixpoint<max=3>(merge-rotations,lower-to<cx,rz,sx,x>)")
    assert items[0] == Step("cancel-inverses", {"window": 8})
    assert isinstance(items[1], Fixpoint) and items[1].max_rounds == 3
    assert items[1].body[1].params == {"gateset": "cx,rz,sx,x"}
    assert parse(pipeline_str(items)) == items


@pytest.mark.parametrize("text,msg", [
    ("no-such-pass", "unknown pass"),
    ("cancel-inverses<frob=1>", "no parameter"),
    ("cancel-inverses<window=x>", "not a valid int"),
    ("merge-rotations<3>", "takes no parameters"),
    ("fixpoint(cancel-inverses", "expected ')'"),
    ("fixpoint<rounds=2>(dce)", "max=N"),
    ("dce,,dce", "expected a pass name"),
    ("lower-to<clifford+t", "unclosed"),
])
def test_bad_pipelines_are_reported(text, msg):
    with pytest.raises(PipelineError, match=re.escape(msg)):
        parse(text)


def test_presets_parse_and_grow():
    lengths = [len(pipeline_str(parse(PRESETS[k]))) for k in "0123"]
    assert lengths == sorted(lengths) and lengths[0] == 0


def test_fixpoint_stops_when_nothing_changes():
    nodes = [Node("a", "ALLOC_LQ", ("q",), {"n": 1})] + [Node(f"h{i}", "APPLY_H", ("q",)) for i in range(4)]
    p = make_program(nodes)
    out = run(p, parse("fixpoint(cancel-inverses)"), PassContext())
    assert [n.op for n in out.nodes] == ["ALLOC_LQ"]


def test_counts_of_a_small_circuit():
    q = ("a", "b", "c")
    nodes = [Node("al", "ALLOC_LQ", q, {"n": 3}), Node("1", "APPLY_T", ("a",)), Node("2", "APPLY_CNOT", ("a", "b")),
             Node("3", "APPLY_T", ("b",)), Node("4", "APPLY_H", ("c",)), Node("5", "APPLY_CCX", q),
             Node("6", "APPLY_RZ", ("c",), {"theta": -0.7853981633974483}),
             Node("m", "MEASURE_Z", ("a",), produces=("m0",))]
    c = counts_of(make_program(nodes))
    assert (c["gates"], c["t_count"], c["two_qubit"], c["ccx"], c["measurements"]) == (6, 3, 1, 1, 1)
    assert c["depth"] == 5 and c["t_depth"] == 3
    assert c["by_op"]["APPLY_T"] == 2


# ---------------------------------------------------------------- the command

PROG = {
    "version": "0.2",
    "program": {"nodes": [
        {"id": "a", "op": "ALLOC_LQ", "vqs": ["q0", "q1"], "args": {"n": 2}},
        {"id": "g1", "op": "APPLY_T", "vqs": ["q0"]},
        {"id": "g2", "op": "APPLY_CNOT", "vqs": ["q0", "q1"]},
        {"id": "g3", "op": "APPLY_T", "vqs": ["q0"]},
        {"id": "g4", "op": "APPLY_H", "vqs": ["q1"]},
        {"id": "g5", "op": "APPLY_H", "vqs": ["q1"]},
        {"id": "m0", "op": "MEASURE_Z", "vqs": ["q0"], "produces": ["e0"]},
        {"id": "m1", "op": "MEASURE_Z", "vqs": ["q1"], "produces": ["e1"]},
        {"id": "f", "op": "FREE_LQ", "vqs": ["q0", "q1"]},
    ]},
    "resources": {"vqs": ["q0", "q1"], "chs": [], "events": ["e0", "e1"]},
    "caps": ["CAP_ALLOC", "CAP_MEASURE"],
}
TEXT = json.dumps(PROG)


def _ops(stdout: bytes) -> list[str]:
    return [n["op"] for n in json.loads(stdout)["program"]["nodes"]]


def test_cli_optimizes_stdin_to_stdout(cli):
    r = cli("qmk-opt", "-O1", input=TEXT)
    assert r.returncode == 0, r.stderr
    assert _ops(r.stdout) == ["ALLOC_LQ", "APPLY_S", "APPLY_CNOT", "MEASURE_Z", "MEASURE_Z", "FREE_LQ"]


def test_cli_pipeline_and_preset_are_exclusive(cli):
    r = cli("qmk-opt", "-O2", "-p", "dce", input=TEXT)
    assert r.returncode == 2 and b"exclusive" in r.stderr and r.stdout == b""


@pytest.mark.parametrize("args", [["-p", "frob"], ["-p", "lower-to<cx,frob>"], ["--print-after", "frob"]])
def test_cli_usage_errors(cli, args):
    r = cli("qmk-opt", *args, input=TEXT)
    assert r.returncode == 2 and r.stdout == b"", r.stderr


def test_cli_bad_input_and_invalid_programs(cli):
    assert cli("qmk-opt", "-O1", input="{not json").returncode == 3
    bad = dict(PROG, program={"nodes": PROG["program"]["nodes"][1:]})  # qubits used without allocation
    r = cli("qmk-opt", "-O1", input=json.dumps(bad))
    assert r.returncode == 1 and r.stdout == b""
    r = cli("qmk-opt", "-O1", "--disable-verify", input=json.dumps(bad))
    assert r.returncode == 0


def test_cli_instrumentation_goes_to_stderr(cli):
    r = cli("qmk-opt", "-O1", "--stats", "--time-passes", "--print-after=merge-rotations", "--verify-each", input=TEXT)
    assert r.returncode == 0, r.stderr
    err = r.stderr.decode()
    assert "gates_removed" in err and "t_removed" in err and "t_count: 2 -> 0" in err
    assert "time per pass" in err and "*** after merge-rotations ***" in err
    json.loads(r.stdout)


def test_cli_print_passes_and_pipeline(cli):
    r = cli("qmk-opt", "--print-passes")
    assert r.returncode == 0 and all(name.encode() in r.stderr for name in OPT_PASSES)
    r = cli("qmk-opt", "-O2", "--print-pipeline")
    assert r.returncode == 0 and r.stdout.decode().strip() == pipeline_str(parse(PRESETS["2"]))


def test_cli_writes_qir_text(cli):
    r = cli("qmk-opt", "-O2", "--emit", "ll", input=TEXT)
    assert r.returncode == 0, r.stderr
    assert b"__quantum__qis__s__body" in r.stdout


def test_cli_output_equals_library_result(cli, tmp_path):
    from qmk.qvmjson import loads

    path = tmp_path / "p.json"
    path.write_text(TEXT)
    r = cli("qmk-opt", "-O2", str(path), "-o", str(tmp_path / "out.json"))
    assert r.returncode == 0 and r.stdout == b""
    want = run(loads(TEXT), parse(PRESETS["2"]), PassContext())
    assert (tmp_path / "out.json").read_bytes() == dumps(want)


def test_cli_in_a_shell_pipeline_with_lower_and_verify(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "tcount" / "tof_3.qasm"
    bindir = Path(sys.executable).parent
    if not src.exists() or not (bindir / "qmk-lower").exists():
        pytest.skip("needs qmk-lower and the benchmark circuits")
    cmd = f"'{bindir}/qmk-lower' '{src}' | '{bindir}/qmk-opt' -O2 | '{bindir}/qmk-verify' > '{tmp_path}/out.json'"
    r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], check=False, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr
    from qmk.qvmjson import loads

    assert counts_of(loads((tmp_path / "out.json").read_bytes()))["t_count"] == 15


def test_regression_non_gate_nodes_with_object_arguments():
    # OPEN_CHAN carries a dict argument; the gate-fact cache once tried to hash it.
    from qmk.passes.verify import verify

    qs = ("a", "b")
    nodes = [Node("al", "ALLOC_LQ", qs, {"n": 2}), Node("h", "APPLY_H", ("a",)),
             Node("o", "OPEN_CHAN", qs, {"opts": {"fidelity": 0.99}}, chs=("c0",)),
             Node("t", "APPLY_T", ("a",)), Node("c", "CLOSE_CHAN", chs=("c0",)), Node("f", "FREE_LQ", qs)]
    p = make_program(nodes)
    for level in "123":
        out = run(p, parse(PRESETS[level]), PassContext())
        assert not [d for d in verify(out) if d.is_error]
        assert [n.op for n in out.nodes] == [n.op for n in nodes]

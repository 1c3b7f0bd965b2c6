"""OpenQASM 2 reader: structure, semantics (unitaries against matrices written here), the benchmark files."""

from __future__ import annotations

import cmath
import glob
import math
import re
from importlib.resources import files
from pathlib import Path

import numpy as np
import pytest
from qmk.passes.verify import verify

from qmk import ops, qvmjson
from qmk.frontends import qasm
from qmk.frontends.decompose import QELIB1

HEADER = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
TCOUNT = sorted(glob.glob("/work/shared/benchmarks/tcount/*.qasm"))


def embed(mat: np.ndarray, positions: tuple[int, ...], n: int) -> np.ndarray:
    """``mat`` on ``positions`` of n qubits (position 0 most significant), by einsum over axes."""
    k = len(positions)
    full = np.eye(2**n, dtype=complex).reshape((2,) * (2 * n))
    gate = mat.reshape((2,) * (2 * k))
    letters = "abcdefghijklmnopqrstuvwxyz"
    out_idx = list(letters[:n])
    in_idx = list(letters[n : 2 * n])
    new = list(letters[2 * n : 2 * n + k])
    g_idx = new + [out_idx[p] for p in positions]
    res = list(out_idx)
    for j, p in enumerate(positions):
        res[p] = new[j]
    expr = f"{''.join(g_idx)},{''.join(out_idx + in_idx)}->{''.join(res + in_idx)}"
    return np.einsum(expr, gate, full).reshape(2**n, 2**n)


def assert_equal_up_to_phase(a: np.ndarray, b: np.ndarray) -> None:
    idx = np.unravel_index(np.argmax(np.abs(b)), b.shape)
    phase = a[idx] / b[idx]
    assert abs(abs(phase) - 1) < 1e-9, "not equal up to a global phase"
    np.testing.assert_allclose(a, phase * b, atol=1e-9)


def read(body: str, **kw):
    return qasm.read(HEADER + body, "t.qasm", **kw)


def program_unitary(prog) -> np.ndarray:
    """Dense unitary of a guard-free program's gates (qubit qK is position K, big-endian)."""
    n = prog.num_qubits()
    u = np.eye(2**n, dtype=complex)
    for node in prog.nodes:
        if node.op in ("ALLOC_LQ", "FREE_LQ", "BAR_REGION"):
            continue
        assert ops.OPS[node.op].unitary and node.guard is None, node
        pos = tuple(int(q[1:]) for q in node.vqs)
        u = embed(ops.matrix(node.op, dict(node.args)), pos, n) @ u
    return u


def summary(prog):
    return [(n.op, n.vqs, dict(n.args), n.produces, n.guard) for n in prog.nodes]


def no_errors(prog):
    errs = [d for d in verify(prog) if d.is_error]
    assert not errs, [str(d) for d in errs]


def test_bell_program_lowers_to_exact_nodes_outputs_and_resources():
    prog = read("qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;\n")
    prof = "logical:surface_code(d=9)"
    assert summary(prog) == [
        ("ALLOC_LQ", ("q0", "q1"), {"n": 2, "profile": prof}, (), None),
        ("APPLY_H", ("q0",), {}, (), None),
        ("APPLY_CNOT", ("q0", "q1"), {}, (), None),
        ("MEASURE_Z", ("q0",), {}, ("r0",), None),
        ("MEASURE_Z", ("q1",), {}, ("r1",), None),
        ("FREE_LQ", ("q0", "q1"), {}, (), None),
    ]
    assert [n.id for n in prog.nodes] == [f"n{i}" for i in range(6)]
    assert prog.outputs == [
        {"type": "ARRAY", "count": 2, "label": "c"},
        {"type": "RESULT", "event": "r0"},
        {"type": "RESULT", "event": "r1"},
    ]
    assert prog.resources.vqs == ("q0", "q1") and prog.resources.events == ("r0", "r1")
    assert prog.caps == ("CAP_ALLOC", "CAP_MEASURE")
    assert (prog.nodes[2].loc.line, prog.nodes[2].loc.col) == (6, 1)
    no_errors(prog)


def test_registers_flatten_in_declaration_order_and_the_layout_is_kept():
    prog = read("qreg a[2];\ncreg c[1];\nqreg b[3];\nx b[2];\nx a[1];\n")
    assert [n.vqs for n in prog.nodes[1:3]] == [("q4",), ("q1",)]
    assert prog.metadata["qregs"] == {"a": {"first": 0, "size": 2}, "b": {"first": 2, "size": 3}}
    assert prog.metadata["cregs"] == {"c": {"first": 0, "size": 1}}
    assert prog.outputs == [{"type": "ARRAY", "count": 1, "label": "c"}, {"type": "RESULT", "value": 0}]


def test_broadcasting_pairs_registers_element_by_element():
    prog = read("qreg a[3];\nqreg b[3];\nh a;\ncx a, b;\ncx a[0], b;\n")
    ops_ = [(n.op, n.vqs) for n in prog.nodes[1:-1]]
    assert ops_ == [
        ("APPLY_H", ("q0",)), ("APPLY_H", ("q1",)), ("APPLY_H", ("q2",)),
        ("APPLY_CNOT", ("q0", "q3")), ("APPLY_CNOT", ("q1", "q4")), ("APPLY_CNOT", ("q2", "q5")),
        ("APPLY_CNOT", ("q0", "q3")), ("APPLY_CNOT", ("q0", "q4")), ("APPLY_CNOT", ("q0", "q5")),
    ]  # fmt: skip


def test_measurement_events_are_numbered_in_measurement_order_and_rewrites_take_the_latest():
    prog = read("qreg q[2];\ncreg c[3];\nmeasure q[1] -> c[2];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[2];\n")
    assert [n.produces for n in prog.nodes if n.op == "MEASURE_Z"] == [("r0",), ("r1",), ("r2",)]
    assert prog.outputs[1:] == [{"type": "RESULT", "event": "r1"}, {"type": "RESULT", "value": 0},
                                {"type": "RESULT", "event": "r2"}]
    no_errors(prog)


def test_if_guards_on_every_bit_with_never_measured_bits_decided_statically():
    prog = read(
        "qreg q[3];\ncreg c[3];\nmeasure q[0] -> c[0];\nmeasure q[1] -> c[1];\n"
        "if (c == 1) x q[2];\n"  # c0=1, c1=0, c2 never measured must be 0: holds statically
        "if (c == 4) x q[2];\n"  # needs c2=1 but c2 reads 0: never runs, dropped
        "if (c == 9) x q[2];\n"  # above 2^3: never
        "if (c == 0) reset q[2];\n"
    )
    guarded = [(n.op, n.guard) for n in prog.nodes if n.guard is not None]
    assert guarded == [
        ("APPLY_X", {"all": [{"event": "r0", "equals": 1}, {"event": "r1", "equals": 0}]}),
        ("RESET", {"all": [{"event": "r0", "equals": 0}, {"event": "r1", "equals": 0}]}),
    ]
    assert sum(n.op == "APPLY_X" for n in prog.nodes) == 1
    no_errors(prog)


def test_if_on_a_single_measured_bit_is_a_plain_event_guard_and_never_measured_means_unconditional():
    prog = read("qreg q[2];\ncreg a[1];\ncreg b[1];\nmeasure q[0] -> a[0];\n"
                "if (a == 1) h q[1];\nif (b == 0) z q[1];\n")
    assert prog.nodes[2].guard == {"event": "r0", "equals": 1}
    assert prog.nodes[3].op == "APPLY_Z" and prog.nodes[3].guard is None


def test_user_gate_with_parameters_matches_its_matrix():
    prog = read(
        "gate mine(a, b) x, y { U(a, 0, b) x; CX x, y; rz(-a*2) y; }\n"
        "qreg q[2];\nmine(pi/3, 0.25) q[1], q[0];\n"
    )
    a, b = math.pi / 3, 0.25
    u_gate = np.array([[math.cos(a / 2), -cmath.exp(1j * b) * math.sin(a / 2)],
                       [math.sin(a / 2), cmath.exp(1j * b) * math.cos(a / 2)]])
    rz = np.diag([cmath.exp(1j * a), cmath.exp(-1j * a)])  # rz(-2a)
    cx_10 = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]])  # control q1, target q0
    ref = np.kron(rz, np.eye(2)) @ cx_10 @ np.kron(np.eye(2), u_gate)
    assert_equal_up_to_phase(program_unitary(prog), ref)


def test_nested_user_gates_expand_with_bound_parameters():
    prog = read("gate inner(t) a { rz(t) a; }\ngate outer(t) a, b { inner(t/2) a; inner(2*t) b; cx a, b; }\n"
                "qreg q[2];\nouter(1.0) q[0], q[1];\n")
    assert [(n.op, n.vqs, dict(n.args)) for n in prog.nodes[1:-1]] == [
        ("APPLY_RZ", ("q0",), {"theta": 0.5}), ("APPLY_RZ", ("q1",), {"theta": 2.0}),
        ("APPLY_CNOT", ("q0", "q1"), {}),
    ]


@pytest.mark.parametrize("expr, value", [
    ("pi", math.pi), ("-pi/2", -math.pi / 2), ("2^3^2", 2.0**9), ("-2^2", -4.0), ("1+2*3", 7.0),
    ("(1+2)*3", 9.0), ("8/4/2", 1.0), ("sin(pi/6)", 0.5), ("cos(0)", 1.0), ("tan(pi/4)", 1.0),
    ("exp(1)", math.e), ("ln(exp(2))", 2.0), ("sqrt(2)^2", 2.0), ("1.5e-1", 0.15), (".5", 0.5),
    ("3.", 3.0), ("+1-(-1)", 2.0),
])  # fmt: skip
def test_parameter_expressions(expr, value):
    for prog in (read(f"qreg q[1];\nrz({expr}) q[0];\n"), read(f"qreg q[1];\nrz({expr})\nq[0];\n")):
        assert prog.nodes[1].args["theta"] == pytest.approx(value, rel=1e-12, abs=1e-12)


def test_every_qelib1_gate_is_callable_with_its_arity():
    for name, gate in QELIB1.items():
        params = ",".join(["0.3"] * gate.num_params)
        call = f"{name}({params})" if gate.num_params else name
        args = ", ".join(f"q[{i}]" for i in range(gate.num_qubits))
        prog = read(f"qreg q[5];\n{call} {args};\n")
        no_errors(prog)
        assert len(prog.nodes) >= 2


def test_reset_and_barrier():
    prog = read("qreg q[2];\nqreg r[1];\nreset q;\nbarrier q, r[0], q[1];\n")
    assert [(n.op, n.vqs) for n in prog.nodes[1:-1]] == [
        ("RESET", ("q0",)), ("RESET", ("q1",)), ("BAR_REGION", ("q0", "q1", "q2"))]
    no_errors(prog)


def test_comments_are_ignored_and_positions_kept():
    prog = read("qreg q[1]; // a register\n// h q[0];\n  x q[0]; // done; really\n")
    assert [n.op for n in prog.nodes] == ["ALLOC_LQ", "APPLY_X", "FREE_LQ"]
    assert (prog.nodes[1].loc.line, prog.nodes[1].loc.col) == (5, 3)


def test_profile_option_sets_the_alloc_profile():
    prog = read("qreg q[1];\nh q[0];\n", profile="logical:surface_code(d=5)")
    assert prog.nodes[0].args["profile"] == "logical:surface_code(d=5)"


def test_tcount_benchmarks_exist():
    assert len(TCOUNT) >= 30


@pytest.mark.parametrize("path", TCOUNT, ids=lambda p: p.rsplit("/", 1)[-1])
def test_every_tcount_benchmark_reads_verifies_and_both_parse_paths_agree(path):
    text = Path(path).read_text(encoding="utf-8")
    fast = qasm.read(text, path)
    no_errors(fast)
    assert qvmjson.dumps(fast) == qvmjson.dumps(qasm.read(text, path, fast=False))
    gates = sum(1 for line in text.splitlines() if line.split(" ", 1)[0] in ("h", "x", "s", "sdg", "t", "tdg", "cx"))
    assert len(fast.nodes) == gates + 2


def test_windows_line_endings_read_the_same():
    text = HEADER + "qreg q[2];\ncreg c[2];\nh q[0];\ncx q[0], q[1];\nmeasure q -> c;\n"
    a, b = qasm.read(text, "crlf"), qasm.read(text.replace("\n", "\r\n"), "crlf")
    assert qvmjson.dumps(a) == qvmjson.dumps(b)


def test_output_is_deterministic():
    text = HEADER + "qreg q[3];\ncreg c[3];\nh q;\ncx q[0], q[1];\nrz(0.1) q[2];\nmeasure q -> c;\n"
    assert qvmjson.dumps(qasm.read(text, "a")) == qvmjson.dumps(qasm.read(text, "a"))


def test_fast_and_lark_paths_agree_on_a_mixed_program():
    text = HEADER + (
        "qreg q[3];\ncreg c[3];\ngate g(t) a, b { rx(t) a; cz a, b; }\n"
        "h q;\ncx q[0],\n q[1];\nrz(  -0.5 ) q[2];\nu3(pi/2, 0, pi) q[0];\ng(sin(1)) q[1], q[2];\n"
        "measure q[0] -> c[0];\nif (c == 1) g(0.1) q[1], q[2];\nbarrier q;\nmeasure q -> c;\n"
    )
    a, b = qasm.read(text, "m"), qasm.read(text, "m", fast=False)
    assert qvmjson.dumps(a) == qvmjson.dumps(b)
    assert [n.loc for n in a.nodes] == [n.loc for n in b.nodes]


# ---- grammar/qelib1.inc states each gate in terms of U and CX; read as user gates, each definition
# ---- has the same matrix (up to global phase) as QMK's native lowering of that gate.

INC = files("qmk.grammar").joinpath("qelib1.inc").read_text(encoding="utf-8")
DEFINED = re.findall(r"^gate (\w+)", INC, flags=re.MULTILINE)


def test_qelib1_inc_defines_exactly_the_native_gate_set():
    assert sorted(DEFINED) == sorted(QELIB1)
    assert len(DEFINED) == len(set(DEFINED))


@pytest.mark.parametrize("name", sorted(QELIB1))
def test_qelib1_inc_definition_matches_native_lowering(name):
    gate = QELIB1[name]
    for params in ((), (0.7, -1.3, 2.2, 0.4)[: gate.num_params], (-2.5, 0.9, 0.1, -0.8)[: gate.num_params]):
        if len(params) != gate.num_params:
            continue
        p = f"({', '.join(map(repr, params))})" if params else ""
        qubits = list(range(gate.num_qubits))[::-1]  # reversed operands: positions matter
        args = ", ".join(f"q[{i}]" for i in qubits)
        body = f"qreg q[{gate.num_qubits}];\n{name}{p} {args};\n"
        defined = qasm.read("OPENQASM 2.0;\n" + INC + body, "defs.qasm")
        native = qasm.read('OPENQASM 2.0;\ninclude "qelib1.inc";\n' + body, "native.qasm")
        assert_equal_up_to_phase(program_unitary(defined), program_unitary(native))


# ---- random programs: the lowered program's unitary equals the product of the gates' textbook matrices


def test_random_programs_match_the_product_of_textbook_matrices():
    import random

    from .test_decompose import reference

    rng = random.Random(2024)
    names = sorted(n for n, g in QELIB1.items() if g.num_qubits <= 3)
    for _ in range(40):
        n = 3
        ref = np.eye(2**n, dtype=complex)
        lines = [f"qreg q[{n}];"]
        for _ in range(rng.randrange(1, 6)):
            name = rng.choice(names)
            gate = QELIB1[name]
            params = tuple(round(rng.uniform(-3, 3), 6) for _ in range(gate.num_params))
            qubits = rng.sample(range(n), gate.num_qubits)
            p = f"({', '.join(map(repr, params))})" if params else ""
            lines.append(f"{name}{p} " + ", ".join(f"q[{k}]" for k in qubits) + ";")
            ref = embed(reference(name, params), tuple(qubits), n) @ ref
        text = "\n".join(lines) + "\n"
        prog = read(text)
        assert_equal_up_to_phase(program_unitary(prog), ref)
        assert qvmjson.dumps(prog) == qvmjson.dumps(read(text, fast=False))


def test_openqasm_is_detected_by_content_through_lower_bytes():
    from qmk.frontends import lower_bytes

    text = HEADER + "qreg q[1];\nh q[0];\n"
    prog = lower_bytes(text.encode(), "no_extension", profile="logical:surface_code(d=7)")
    assert qvmjson.dumps(prog) == qvmjson.dumps(qasm.read(text, "no_extension", profile="logical:surface_code(d=7)"))

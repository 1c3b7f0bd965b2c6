"""Bad OpenQASM input: InputError (exit 3) with code, file:line:col and a message in plain words."""

from __future__ import annotations

import re

import pytest

from qmk.diagnostics import InputError
from qmk.frontends import qasm

H = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
BOMB = H + "gate g0 a { h a; h a; }\n" + "".join(f"gate g{i} a {{ g{i - 1} a; g{i - 1} a; }}\n" for i in range(1, 40))
DEEP = H + "gate g0 a { h a; }\n" + "".join(f"gate g{i} a {{ g{i - 1} a; }}\n" for i in range(1, 120))
INTERNAL = re.compile(r"SEMICOLON|LSQB|RSQB|LPAR|RPAR|COMMA|__ANON|NNINTEGER|REAL\b|\bID\b|STRING|\$END|Token\(")

CASES = [
    # (source, code, line, col, fragment)
    (H + "qreg q[2];\nh q[0]\ncx q[0], q[1];\n", "QMK750", 5, 1, "unexpected 'cx'"),
    (H + "qreg q[2;\n", "QMK750", 3, 9, "expected ']'"),
    (H + "qreg q[2];\nmeasure q[0] -> ;\n", "QMK750", 4, 17, "expected a name"),
    (H + "qreg q[2];\ngate g a { h a;\n", "QMK750", 4, 16, "unexpected end of input"),
    (H + "qreg q[2];\nh q[0] $;\n", "QMK750", 4, 8, "unexpected '$'"),
    (H + "qreg q[1];\nrz(1+) q[0];\n", "QMK750", 4, 6, "unexpected ')'"),
    (H + "qreg q[2];\nfoo q[0];\n", "QMK752", 4, 1, "unknown gate 'foo'"),
    ("OPENQASM 2.0;\nqreg q[1];\nh q[0];\n", "QMK752", 3, 1, "unknown gate 'h'"),
    (H + "qreg q[2];\ncx q[0];\n", "QMK753", 4, 1, "'cx' takes 0 parameter(s) and 2 qubit(s), got 0 and 1"),
    (H + "qreg q[2];\nrz q[0];\n", "QMK753", 4, 1, "'rz' takes 1 parameter(s)"),
    (H + "gate g a { cx a; }\n", "QMK753", 3, 12, "'cx' takes"),
    (H + "qreg q[2];\nh q[2];\n", "QMK755", 4, 1, "index 2 is out of range for qreg q[2]"),
    (H + "qreg q[1];\ncreg c[1];\nmeasure q[0] -> c[1];\n", "QMK755", 5, 1, "out of range for creg c[1]"),
    (H + "qreg q[2];\nrz(1/0) q[0];\n", "QMK758", 4, 1, "division by zero"),
    (H + "qreg q[2];\nrz(ln(0)) q[0];\n", "QMK758", 4, 1, "outside its domain"),
    (H + "qreg q[2];\nrz(sqrt(-1)) q[0];\n", "QMK758", 4, 1, "outside its domain"),
    (H + "qreg q[2];\nrz(exp(1000)) q[0];\n", "QMK758", 4, 1, "too large"),
    (H + "qreg q[2];\nrz(1e400) q[0];\n", "QMK758", 4, 1, "not a finite number"),
    (H + "gate g(t) a { rz(1/t) a; }\nqreg q[1];\ng(0) q[0];\n", "QMK758", 3, 15, "in gate 'g' (used at line 5)"),
    (H + "qreg q[100000000000000];\n", "QMK759", 3, 1, "above the limit of 100000"),
    (H + "qreg q[60000];\nqreg r[60000];\n", "QMK759", 4, 1, "120000 qubits"),
    (H + "creg c[10000000];\n", "QMK759", 3, 1, "classical bits"),
    (H + "qreg q[0];\n", "QMK759", 3, 1, "no elements"),
    (H + "opaque magic(a) q;\n", "QMK761", 3, 1, "opaque gate 'magic'"),
    (H + "qreg q[1];\ncreg c[1];\nmeasure q[0]->c[0];\nif(c==1) measure q[0] -> c[0];\n", "QMK762", 6, 10,
     "measurement under if()"),
    ('OPENQASM 2.0;\ninclude "other.inc";\n', "QMK751", 2, 1, 'cannot include "other.inc"'),
    ("OPENQASM 3.0;\nqubit q;\n", "QMK751", 1, 1, "OpenQASM 3.0 is not supported"),
    (H + "qreg q[1];\nOPENQASM 2.0;\n", "QMK751", 4, 1, "must be the first statement"),
    (H + "qreg q[1];\ncreg q[1];\n", "QMK760", 4, 1, "register 'q' is declared twice"),
    (H + "gate h a { x a; }\n", "QMK760", 3, 1, "gate 'h' is already defined"),
    ("OPENQASM 2.0;\ngate h a { U(0,0,0) a; }\ninclude \"qelib1.inc\";\n", "QMK760", 3, 1, "defined before including"),
    (H + "gate g(a, a) x { }\n", "QMK760", 3, 1, "parameter 'a' is listed twice"),
    (H + "qreg q[2];\ncx q[0], q[0];\n", "QMK757", 4, 1, "same qubit twice"),
    (H + "gate g a, b { cx a, a; }\n", "QMK757", 3, 15, "same qubit twice"),
    (H + "qreg a[2];\nqreg b[3];\ncx a, b;\n", "QMK756", 5, 1, "different sizes (2, 3)"),
    (H + "qreg a[2];\ncreg c[3];\nmeasure a -> c;\n", "QMK756", 5, 1, "different sizes"),
    (H + "qreg q[1];\ncreg c[2];\nmeasure q[0] -> c;\n", "QMK756", 5, 1, "both sides"),
    (H + "gate g a { g a; }\n", "QMK752", 3, 12, "gate 'g' calls itself"),
    (H + "gate g a { k a; }\n", "QMK752", 3, 12, "calls 'k', which is not defined before it"),
    (H + "qreg q[1];\nrz(theta) q[0];\n", "QMK754", 4, 1, "unknown parameter 'theta'"),
    (H + "gate g(a) x { rz(b) x; }\n", "QMK754", 3, 15, "gate 'g': unknown parameter 'b'"),
    (H + "gate g x { h y; }\n", "QMK754", 3, 12, "'y' is not one of its qubit arguments"),
    (H + "creg c[1];\nh c[0];\n", "QMK754", 4, 1, "'c' is a classical register"),
    (H + "qreg q[1];\nmeasure q[0] -> q[0];\n", "QMK754", 4, 1, "'q' is a quantum register"),
    (H + "qreg q[1];\nh r[0];\n", "QMK754", 4, 1, "unknown quantum register 'r'"),
    (H + "qreg q[1];\nif (d == 1) x q[0];\n", "QMK754", 4, 1, "unknown classical register 'd'"),
    (BOMB + "qreg q[1];\ng39 q[0];\n", "QMK763", 44, 1, "more than 10000000 operations"),
    (DEEP, "QMK763", 103, 1, "nests gate definitions"),
]


@pytest.mark.parametrize("src, code, line, col, fragment", CASES)
def test_bad_input_is_refused_with_code_and_position(src, code, line, col, fragment):
    for fast in (True, False):
        with pytest.raises(InputError) as info:
            qasm.read(src, "bad.qasm", fast=fast)
        err = info.value
        assert err.exit_code == 3
        d = err.diagnostics[0]
        assert d.code == code
        assert (d.loc.file, d.loc.line, d.loc.col) == ("bad.qasm", line, col), str(d)
        assert fragment in d.message
        assert not INTERNAL.search(d.message), d.message


def test_max_qubits_is_configurable():
    src = H + "qreg q[5];\n"
    assert qasm.read(src, "ok.qasm", max_qubits=5).num_qubits() == 5
    with pytest.raises(InputError, match="above the limit of 4"):
        qasm.read(src, "big.qasm", max_qubits=4)


def test_bad_profile_is_refused():
    with pytest.raises(InputError):
        qasm.read(H + "qreg q[1];\n", "p.qasm", profile="logical:nonsense(")


def test_random_bytes_decoded_as_text_never_crash():
    import random

    rng = random.Random(7)
    for _ in range(200):
        junk = "".join(chr(rng.randrange(1, 0x2FF)) for _ in range(rng.randrange(1, 80)))
        for text in (junk, H + junk, H + "qreg q[2];\n" + junk):
            try:
                qasm.read(text, "junk.qasm")
            except InputError as e:
                assert e.diagnostics and not INTERNAL.search(e.diagnostics[0].message)


def test_qmk_lower_reports_file_line_col_with_the_source_line_and_caret(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    bad = tmp_path / "bad.qasm"
    bad.write_text(H + "qreg q[2];\nh q[0]\ncx q[0], q[1];\n")
    exe = Path(sys.executable).parent / "qmk-lower"
    r = subprocess.run([str(exe), str(bad)], capture_output=True, timeout=120, check=False)
    assert r.returncode == 3
    assert r.stdout == b""
    err = r.stderr.decode()
    assert f"{bad}:5:1: error[QMK750]: syntax error: unexpected 'cx'" in err
    assert "cx q[0], q[1];" in err and "^" in err
    assert "Traceback" not in err and not INTERNAL.search(err)

"""qmk-verify from the shell: exit codes first, then stdout and stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BELL = ROOT / "examples" / "qvm" / "bell.qvm.json"
INVALID = ROOT / "examples" / "qvm" / "invalid"
BIN = Path(sys.executable).parent


def test_clean_program_is_written_unchanged_to_stdout(cli):
    r = cli("qmk-verify", str(BELL))
    assert r.returncode == 0
    assert r.stdout == BELL.read_bytes()
    assert r.stderr == b""


def test_reads_stdin_by_default_and_with_dash(cli):
    for args in ((), ("-",)):
        r = cli("qmk-verify", *args, input=BELL.read_bytes())
        assert r.returncode == 0 and r.stdout == BELL.read_bytes()


def test_findings_exit_1_and_write_nothing_to_stdout(cli):
    r = cli("qmk-verify", str(INVALID / "QMK302-use-after-release.qvm.json"))
    assert r.returncode == 1
    assert r.stdout == b""
    assert b"error[QMK302]" in r.stderr and b"node 'h'" in r.stderr


def test_warnings_pass_unless_strict(cli):
    f = str(INVALID / "QMK306-never-released.qvm.json")
    r = cli("qmk-verify", f)
    assert r.returncode == 0 and b"warning[QMK306]" in r.stderr and r.stdout
    r = cli("qmk-verify", "--strict", f)
    assert r.returncode == 1 and r.stdout == b""


def test_quiet_hides_warnings(cli):
    r = cli("qmk-verify", "--quiet", str(INVALID / "QMK306-never-released.qvm.json"))
    assert r.returncode == 0 and r.stderr == b""


def test_json_diagnostics_one_object_per_line(cli):
    r = cli("qmk-verify", "--diagnostics-format", "json", str(INVALID / "QMK301-use-before-alloc.qvm.json"))
    assert r.returncode == 1
    lines = [json.loads(x) for x in r.stderr.decode().splitlines()]
    assert lines and lines[0]["code"] == "QMK301" and lines[0]["node"] == "h" and lines[0]["severity"] == "error"


def test_bad_input_exits_3_with_one_message_and_no_traceback(cli):
    for data in (b"{not json", b"\xff\xff", b"[" * 5000, b'{"version": "0.2", "x": 1e999}'):
        r = cli("qmk-verify", input=data)
        assert r.returncode == 3, data[:20]
        assert b"Traceback" not in r.stderr
        assert len(r.stderr.decode().strip().splitlines()) <= 2


def test_input_over_the_size_limit_is_refused_before_reading(cli, tmp_path):
    big = tmp_path / "big.json"
    with open(big, "wb") as f:
        f.truncate(3 * 2**20)  # sparse file: a 3 MiB input without writing 3 MiB
    r = cli("qmk-verify", "--max-input-bytes", str(2**20), str(big))
    assert r.returncode == 3 and b"QMK003" in r.stderr and b"limit" in r.stderr
    r = cli("qmk-verify", input=b" " * (2**20 + 10), env={"QMK_MAX_INPUT_BYTES": str(2**20)})
    assert r.returncode == 3 and b"QMK003" in r.stderr


def test_a_500_mb_file_is_refused_by_the_default_limit_without_reading_it(cli, tmp_path):
    huge = tmp_path / "huge.json"
    with open(huge, "wb") as f:
        f.truncate(500 * 2**20)  # sparse: costs no disk and no memory
    r = cli("qmk-verify", str(huge))
    assert r.returncode == 3 and b"QMK003" in r.stderr and b"500.0 MiB" in r.stderr


def test_qir_input_is_refused_with_a_pointer_to_qmk_lower(cli):
    r = cli("qmk-verify", input=b"BC\xc0\xde\x00\x00")
    assert r.returncode == 3 and b"qmk-lower" in r.stderr


def test_io_errors_exit_4(cli, tmp_path):
    assert cli("qmk-verify", str(tmp_path / "missing.json")).returncode == 4
    assert cli("qmk-verify", str(tmp_path)).returncode == 4
    r = cli("qmk-verify", str(BELL), "-o", str(tmp_path / "no" / "such" / "dir.json"))
    assert r.returncode == 4


def test_output_file_option(cli, tmp_path):
    out = tmp_path / "out.json"
    r = cli("qmk-verify", str(BELL), "-o", str(out))
    assert r.returncode == 0 and r.stdout == b"" and out.read_bytes() == BELL.read_bytes()


def test_usage_errors_exit_2(cli):
    assert cli("qmk-verify", "--no-such-flag").returncode == 2
    assert cli("qmk-verify", "--max-qubits", "many").returncode == 2


def test_version_and_help_with_example(cli):
    r = cli("qmk-verify", "--version")
    assert r.returncode == 0 and r.stdout.startswith(b"qmk-verify ")
    r = cli("qmk-verify", "--help")
    assert r.returncode == 0 and b"Examples:" in r.stdout and b"qmk-lower prog.ll | qmk-verify" in r.stdout


def test_show_rev_and_listing_go_to_stderr(cli):
    r = cli("qmk-verify", "--show-rev", "--listing", str(ROOT / "examples" / "qvm" / "rev_uncompute.qvm.json"))
    assert r.returncode == 0
    assert b"REV segments (2)" in r.stderr and b"APPLY_CCX" in r.stderr
    assert json.loads(r.stdout)["version"] == "0.2"


def test_help_does_not_import_heavy_modules():
    code = ("import sys\nfrom qmk.cli import verify\n"
            "heavy = [m for m in ('numpy', 'rich', 'pyqir', 'llvmlite', 'stim', 'lark') if m in sys.modules]\n"
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_internal_errors_exit_70_without_traceback_unless_debug(tmp_path):
    # Force an internal error: a verifier that raises. Run through the real entry point.
    code = (
        "import qmk.passes.verify as v\n"
        "def boom(*a, **k): raise RuntimeError('boom')\n"
        "v.verify = boom\n"
        "from qmk.cli.verify import main\n"
        f"main([{str(BELL)!r}])\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 70 and "internal error" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ, QMK_DEBUG="1"))
    assert r.returncode == 70 and "Traceback" in r.stderr


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX shell")
def test_in_a_shell_pipeline_and_quiet_on_a_closed_pipe(tmp_path):
    env = dict(os.environ, PATH=f"{BIN}:{os.environ['PATH']}")
    r = subprocess.run(f"cat {BELL} | qmk-verify | qmk-verify - | head -c 10", shell=True, capture_output=True,
                       env=env)
    assert r.returncode == 0 and r.stdout == b'{\n  "versi' and r.stderr == b""
    big = tmp_path / "ghz.json"
    big.write_bytes((ROOT / "examples" / "qvm" / "ghz5.qvm.json").read_bytes())
    r = subprocess.run(f"set -o pipefail; qmk-verify {big} | head -n 1", shell=True, capture_output=True,
                       env=env, executable="/bin/bash")
    assert r.stdout == b"{\n" and b"Traceback" not in r.stderr and b"Broken pipe" not in r.stderr

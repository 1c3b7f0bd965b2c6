"""``qmk-kernel`` and ``qmk-run --kernel``: exit codes first, then output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

from kernelfix import BELL, SECRETS, KernelProc, short_tmpdir

BIN = os.path.dirname(sys.executable)


def cli(prog: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(BIN, prog), *args], capture_output=True, timeout=timeout,
                          env=dict(os.environ, COLUMNS="200"))


def test_help_has_examples():
    for args in (["--help"], ["serve", "--help"], ["audit", "verify", "--help"]):
        r = cli("qmk-kernel", *args)
        assert r.returncode == 0, r.stderr
        assert b"Example" in r.stdout or b"serve" in r.stdout


def test_bad_config_is_a_clear_input_error(tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[tenants.a]\ncaps = ['CAP_ROOT']\nsecret = 'longenough'\n")
    sock = os.path.join(str(tmp_path), "k.sock")
    r = cli("qmk-kernel", "serve", "--socket", sock, "--state", str(tmp_path / "st"), "--config", str(cfg))
    assert r.returncode == 3
    assert b"caps" in r.stderr and b"Traceback" not in r.stderr
    r = cli("qmk-kernel", "serve", "--socket", sock, "--state", str(tmp_path / "st"), "--config", str(tmp_path / "no"))
    assert r.returncode == 4


def test_default_kernel_serves_its_own_user_and_qmk_run_gives_the_same_counts(tmp_path):
    root = short_tmpdir()
    try:
        k = KernelProc(root, "")
        # no --config: the single tenant 'local', authenticated by Unix peer credentials
        logf = open(k.log, "ab")
        k.proc = subprocess.Popen([os.path.join(BIN, "qmk-kernel"), "serve", "--socket", k.socket,
                                   "--state", k.state], stderr=logf)
        logf.close()
        end = time.monotonic() + 20
        while not os.path.exists(k.socket):
            assert time.monotonic() < end and k.proc.poll() is None, k.read_log()
            time.sleep(0.05)
        prog = tmp_path / "bell.qvm.json"
        prog.write_text(json.dumps(BELL))
        remote = cli("qmk-run", "--kernel", k.socket, "--shots", "200", "--seed", "9", "--format", "json", str(prog))
        local = cli("qmk-run", "--shots", "200", "--seed", "9", "--format", "json", str(prog))
        assert remote.returncode == 0 and local.returncode == 0, remote.stderr
        assert json.loads(remote.stdout)["counts"] == json.loads(local.stdout)["counts"]
        # a program that fails verification: the kernel's diagnostics, exit 1, no traceback
        bad = dict(BELL, program={"nodes": [{"id": "x", "op": "APPLY_X", "vqs": ["q0"]}]})
        prog.write_text(json.dumps(bad))
        r = cli("qmk-run", "--kernel", k.socket, str(prog))
        assert r.returncode == 1 and b"QMK301" in r.stderr and b"Traceback" not in r.stderr
        r = cli("qmk-run", "--kernel", os.path.join(root, "nothing.sock"), str(prog))
        assert r.returncode == 4 and b"cannot reach the kernel" in r.stderr
        assert k.terminate() == 0
        # audit verify: intact, then tampered
        r = cli("qmk-kernel", "audit", "verify", "--state", k.state)
        assert r.returncode == 0, r.stderr
        log = os.path.join(k.state, "audit.jsonl")
        lines = open(log, "rb").readlines()
        with open(log, "wb") as fh:
            fh.write(b"".join(lines[:1] + lines[2:]))
        r = cli("qmk-kernel", "audit", "verify", "--state", k.state)
        assert r.returncode == 1 and b"chain broken" in r.stderr
        r = cli("qmk-kernel", "audit", "verify", "--state", str(tmp_path))
        assert r.returncode == 4
    finally:
        if k.proc is not None and k.proc.poll() is None:
            k.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_qmk_run_logs_in_as_the_tenant_in_its_environment(kernel_factory, tmp_path):
    k = kernel_factory()
    prog = tmp_path / "bell.qvm.json"
    prog.write_text(json.dumps(BELL))
    args = [os.path.join(BIN, "qmk-run"), "--kernel", k.socket, "--shots", "50", "--seed", "2", str(prog)]
    env = dict(os.environ, QMK_KERNEL_TENANT="alice", QMK_KERNEL_SECRET=SECRETS["alice"])
    r = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    assert sum(json.loads(r.stdout).values()) == 50
    with k.client("alice") as a:
        assert len(a.list_jobs()) == 1  # the job is alice's
    env["QMK_KERNEL_SECRET"] = "wrong-secret"
    r = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert r.returncode == 4 and b"authentication failed" in r.stderr
    env.update(QMK_KERNEL_TENANT="carol", QMK_KERNEL_SECRET=SECRETS["carol"])  # carol lacks CAP_MEASURE
    r = subprocess.run(args, capture_output=True, env=env, timeout=60)
    assert r.returncode == 3 and b"CAP_MEASURE" in r.stderr

"""Helpers for kernel tests: real ``qmk-kernel serve`` processes on Unix sockets in temporary dirs."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import orjson
from qmk.runtime.kernel.client import KernelClient

SECRETS = {"alice": "alice-secret-1", "bob": "bob-secret-22", "carol": "carol-secret-3"}

# The Bell example every command is shown with (examples/qvm/bell.qvm.json), as a JSON object.
BELL = orjson.loads((Path(__file__).resolve().parents[2] / "examples" / "qvm" / "bell.qvm.json").read_bytes())

# A job that runs for a long time: a T gate (so the state-vector engine) and a guarded correction (so it
# runs shot by shot, checking its cancel flag every shot). Seconds per 10^5 shots on this machine.
LONG = {
    "version": "0.2",
    "program": {"nodes": [
        {"id": "a", "op": "ALLOC_LQ", "vqs": ["q0", "q1"], "args": {"n": 2}},
        {"id": "h", "op": "APPLY_H", "vqs": ["q0"]},
        {"id": "t", "op": "APPLY_T", "vqs": ["q0"]},
        {"id": "h2", "op": "APPLY_H", "vqs": ["q0"]},
        {"id": "m0", "op": "MEASURE_Z", "vqs": ["q0"], "produces": ["r0"]},
        {"id": "x", "op": "APPLY_X", "vqs": ["q1"], "guard": {"event": "r0", "equals": 1}},
        {"id": "m1", "op": "MEASURE_Z", "vqs": ["q1"], "produces": ["r1"]},
        {"id": "f", "op": "FREE_LQ", "vqs": ["q0", "q1"]},
    ]},
    "resources": {"vqs": ["q0", "q1"], "chs": [], "events": ["r0", "r1"]},
    "caps": ["CAP_ALLOC", "CAP_MEASURE"],
    "outputs": [{"type": "RESULT", "event": "r0"}, {"type": "RESULT", "event": "r1"}],
}
LONG_SHOTS = 50_000_000


def config_text(kernel: str = "", **quota_overrides) -> str:
    quota = {"max_qubits": 8, "max_running": 2, "max_queued": 2000, "max_shots": 10**9, "jobs_per_minute": 100000}
    quota.update(quota_overrides)
    q = ", ".join(f"{k} = {v}" for k, v in quota.items())
    if "workers" not in kernel:
        kernel = "workers = 2\n" + kernel
    return f"""
[kernel]
{kernel}

[tenants.alice]
secret = "{SECRETS['alice']}"
caps = ["CAP_ALLOC", "CAP_MEASURE", "CAP_LINK"]
quota = {{ {q} }}

[tenants.bob]
secret = "{SECRETS['bob']}"
caps = ["CAP_ALLOC", "CAP_MEASURE", "CAP_LINK"]
quota = {{ {q} }}

[tenants.carol]
secret = "{SECRETS['carol']}"
caps = ["CAP_ALLOC"]
"""


class KernelProc:
    """A ``qmk-kernel serve`` subprocess with its socket, state directory and stderr log."""

    def __init__(self, root: str, config: str):
        self.root = root
        self.socket = os.path.join(root, "k.sock")
        self.state = os.path.join(root, "state")
        self.config = os.path.join(root, "kernel.toml")
        self.log = os.path.join(root, "kernel.log")
        with open(self.config, "w") as fh:
            fh.write(config)
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> KernelProc:
        exe = os.path.join(os.path.dirname(sys.executable), "qmk-kernel")
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [exe, "serve", "--socket", self.socket, "--state", self.state, "--config", self.config],
            stdout=subprocess.DEVNULL, stderr=logf,
        )
        logf.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kernel exited with {self.proc.returncode}: {self.read_log()}")
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(self.socket)
                s.close()
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("kernel did not start: " + self.read_log())

    def read_log(self) -> str:
        with open(self.log, "rb") as fh:
            return fh.read().decode(errors="replace")

    def client(self, tenant: str = "alice", **kw) -> KernelClient:
        return KernelClient(self.socket, tenant, SECRETS.get(tenant), **kw)

    def raw(self) -> RawConn:
        return RawConn(self.socket)

    def terminate(self, timeout: float = 30.0) -> int:
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.terminate(10)
            except subprocess.TimeoutExpired:
                self.kill()


def children(pid: int) -> list[int]:
    """Process ids whose parent is ``pid`` (from /proc)."""
    out = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open(f"/proc/{name}/stat", "rb") as fh:
                    fields = fh.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid and fields[0] != b"Z":
                out.append(int(name))
    return out


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


class RawConn:
    """A bare socket speaking newline-delimited JSON, for protocol tests."""

    def __init__(self, path: str):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(20)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, obj) -> object:
        self.send(orjson.dumps(obj) + b"\n")
        return self.recv()

    def recv(self):
        line = self.file.readline()
        return orjson.loads(line) if line else None

    def close(self) -> None:
        self.file.close()
        self.sock.close()


def short_tmpdir() -> str:
    """A short directory (Unix socket paths are limited to ~107 bytes)."""
    return tempfile.mkdtemp(prefix="qk", dir="/tmp")



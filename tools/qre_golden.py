#!/usr/bin/env python3
"""Build the golden reference data for qmk-estimate with the real reference estimator (run by hand).

    .venv/bin/python tools/qre_golden.py            # writes tests/estimator/golden/

Not part of CI: it needs the ``qsharp``/``qdk`` packages (installed into the running interpreter with pip
when missing) and takes a minute or two. It writes:

- ``counts.json``: logical counts (edge cases and a seeded log-uniform spread) estimated for every
  qubit preset and QEC scheme, custom qubits and schemes, explicit budgets, constraints, custom
  distillation units and frontiers; each entry holds the counts, the job parameters and the reference
  output (``physicalCounts``, ``logicalQubit``, ``tfactory``, ``errorBudget``, ``logicalCounts``,
  ``jobParams`` or ``frontierEntries``), or the error it reported, or ``timeout`` when it did not
  finish (the reference spins forever on some inputs);
- ``programs/*.ll``: Q# and OpenQASM 3 programs compiled to QIR under several target profiles, and
  ``programs.json`` with the reference estimate of each program under the same profile, for every
  qubit preset and QEC scheme.

Every reference call runs in a worker process with a timeout; a hung call is killed and recorded.
"""

from __future__ import annotations

import json
import math
import multiprocessing as mp
import os
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "tests" / "estimator" / "golden"
TIMEOUT = 20.0
KEEP = ("status", "physicalCounts", "logicalQubit", "tfactory", "errorBudget", "logicalCounts", "jobParams",
        "frontierEntries")

QUBITS = ["qubit_gate_ns_e3", "qubit_gate_ns_e4", "qubit_gate_us_e3", "qubit_gate_us_e4", "qubit_maj_ns_e4",
          "qubit_maj_ns_e6"]
COMBOS = [(q, "surface_code") for q in QUBITS] + [(q, "floquet_code") for q in QUBITS if "maj" in q]


def ensure_qsharp() -> None:
    try:
        import qdk  # noqa: F401
        import qsharp  # noqa: F401
    except ImportError:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "qsharp==1.31.0", "qdk==1.33.1"])


# ------------------------------------------------------------------------------------ the worker

def _trim(d: dict) -> dict:
    out = {k: d[k] for k in KEEP if k in d}
    for e in out.get("frontierEntries", []):
        e.pop("physicalCountsFormatted", None)
    return out


def _run_one(task: dict):
    import warnings

    warnings.filterwarnings("ignore")
    import qsharp

    kind = task["kind"]
    try:
        if kind == "counts":
            from qsharp.estimator import LogicalCounts

            r = LogicalCounts(task["counts"]).estimate(task["params"])
        elif kind == "qsharp":
            qsharp.init(target_profile=getattr(qsharp.TargetProfile, task["profile"]))
            qsharp.eval(task["source"])
            if task.get("compile"):
                return {"qir": str(qsharp.compile("Main()"))}
            r = qsharp.estimate("Main()", task["params"])
        else:
            from qdk import openqasm

            if task.get("compile"):
                return {"qir": str(openqasm.compile(task["source"], target_profile=getattr(qsharp.TargetProfile, task["profile"])))}
            r = openqasm.estimate(task["source"], task["params"])
        if isinstance(task.get("params"), list):  # a batch: one result per job
            return [_trim(dict(r.data(i))) for i in range(len(task["params"]))]
        data = r.data() if callable(getattr(r, "data", None)) else r
        return _trim(dict(data))
    except BaseException as e:  # EstimatorError derives from BaseException
        return {"status": "error", "error": f"{type(e).__name__}: {e}"}


def _worker(conn) -> None:
    os.environ["QSHARP_PYTHON_TELEMETRY"] = "none"
    while True:
        task = conn.recv()
        if task is None:
            return
        conn.send(_run_one(task))


class Pool:
    """One worker process; a task that exceeds the timeout kills it and a fresh one takes over."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("spawn")
        self.proc = None

    def _start(self) -> None:
        self.conn, child = self.ctx.Pipe()
        self.proc = self.ctx.Process(target=_worker, args=(child,), daemon=True)
        self.proc.start()

    def run(self, task: dict) -> dict:
        if self.proc is None or not self.proc.is_alive():
            self._start()
        self.conn.send(task)
        if self.conn.poll(TIMEOUT):
            return self.conn.recv()
        self.proc.kill()
        self.proc.join()
        self.proc = None
        return {"status": "timeout"}

    def close(self) -> None:
        if self.proc is not None:
            self.conn.send(None)
            self.proc.join(5)


# ------------------------------------------------------------------------------------ the cases

def edge_counts() -> list[dict]:
    return [
        {"numQubits": 1, "tCount": 1},
        {"numQubits": 1, "measurementCount": 1},
        {"numQubits": 2, "cczCount": 1},
        {"numQubits": 3, "rotationCount": 1, "rotationDepth": 1},
        {"numQubits": 5, "ccixCount": 7, "measurementCount": 2},
        {"numQubits": 10, "tCount": 50, "measurementCount": 10},
        {"numQubits": 12, "tCount": 30, "rotationCount": 10, "rotationDepth": 5, "cczCount": 4, "measurementCount": 3},
        {"numQubits": 100, "tCount": 10**6, "rotationCount": 10**4, "rotationDepth": 10**3, "cczCount": 10**5,
         "measurementCount": 10**5},
        {"numQubits": 1000, "tCount": 10**9, "rotationCount": 10**6, "rotationDepth": 10**5, "cczCount": 10**7,
         "measurementCount": 10**7},
        {"numQubits": 4, "tCount": 60},
        {"numQubits": 4, "tCount": 42},
        {"numQubits": 4, "tCount": 72},
    ]


def random_counts(rng: random.Random, n: int) -> list[dict]:
    def logu(lo: float, hi: float) -> int:
        return int(round(math.exp(rng.uniform(math.log(lo), math.log(hi)))))

    out = []
    for _ in range(n):
        rot = logu(1, 1e6) if rng.random() < 0.6 else 0
        c = {
            "numQubits": logu(1, 5000),
            "tCount": logu(1, 1e8) if rng.random() < 0.8 else 0,
            "rotationCount": rot,
            "rotationDepth": max(1, rot // logu(1, 100)) if rot else 0,
            "cczCount": logu(1, 1e7) if rng.random() < 0.6 else 0,
            "ccixCount": logu(1, 1e5) if rng.random() < 0.2 else 0,
            "measurementCount": logu(1, 1e7) if rng.random() < 0.8 else 0,
        }
        if not (c["tCount"] or c["rotationCount"] or c["cczCount"] or c["ccixCount"] or c["measurementCount"]):
            c["tCount"] = 1
        out.append(c)
    return out


CUSTOM_PARAMS = [
    {"qubitParams": {"name": "custom_gate", "instructionSet": "GateBased", "oneQubitMeasurementTime": "200 ns",
                     "oneQubitGateTime": "30 ns", "oneQubitMeasurementErrorRate": 2e-4,
                     "oneQubitGateErrorRate": 1e-4, "tGateErrorRate": 5e-4}},
    {"qubitParams": {"name": "custom_maj", "instructionSet": "Majorana", "oneQubitMeasurementTime": "150 ns",
                     "oneQubitMeasurementErrorRate": {"process": 1e-5, "readout": 2e-5}, "tGateErrorRate": 0.02}},
    {"qubitParams": {"name": "qubit_gate_ns_e3", "twoQubitGateErrorRate": 5e-4}},
    {"qecScheme": {"name": "surface_code", "crossingPrefactor": 0.05, "errorCorrectionThreshold": 0.009}},
    {"qecScheme": {"name": "my_code", "errorCorrectionThreshold": 0.012, "crossingPrefactor": 0.04,
                   "logicalCycleTime": "(3 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance",
                   "physicalQubitsPerLogicalQubit": "3 * codeDistance * codeDistance"}},
    {"qecScheme": {"name": "surface_code", "distanceCoefficientPower": 1}},
    {"errorBudget": 0.01},
    {"errorBudget": 1e-5},
    {"errorBudget": {"logical": 1e-4, "tStates": 5e-4, "rotations": 2e-4}},
    {"constraints": {"maxTFactories": 2}},
    {"constraints": {"logicalDepthFactor": 4.0}},
    {"constraints": {"maxDistillationRounds": 2}},
    {"constraints": {"maxDuration": "1 s"}},
    {"constraints": {"maxPhysicalQubits": 2000000}},
    {"qubitParams": {"name": "qubit_maj_ns_e4"}, "qecScheme": {"name": "floquet_code"},
     "constraints": {"maxTFactories": 1}},
    {"distillationUnitSpecifications": [{"name": "15-1 RM"}]},
    {"distillationUnitSpecifications": [
        {"displayName": "custom 15-to-1", "numInputTs": 15, "numOutputTs": 1,
         "failureProbabilityFormula": "15.0 * inputErrorRate + 356.0 * cliffordErrorRate",
         "outputErrorRateFormula": "35.0 * inputErrorRate ^ 3 + 7.1 * cliffordErrorRate",
         "physicalQubitSpecification": {"numUnitQubits": 31, "durationInQubitCycleTime": 24},
         "logicalQubitSpecification": {"numUnitQubits": 31, "durationInQubitCycleTime": 11}}]},
    {"estimateType": "frontier"},
    {"qubitParams": {"name": "qubit_maj_ns_e4"}, "estimateType": "frontier"},
]

QSHARP_PROGRAMS = {
    "bell_t_rot": """
operation Main() : Result[] {
    use qs = Qubit[3];
    H(qs[0]); CNOT(qs[0], qs[1]); T(qs[1]); Adjoint T(qs[2]);
    Rz(0.3, qs[0]); Rx(1.1, qs[1]); Ry(-0.7, qs[2]);
    Rz(Std.Math.PI() / 4.0, qs[2]); S(qs[0]); Rz(Std.Math.PI() / 2.0, qs[1]);
    return MResetEachZ(qs);
}""",
    "toffolis": """
operation Main() : Result[] {
    use qs = Qubit[6];
    for i in 0..3 { CCNOT(qs[i], qs[i + 1], qs[i + 2]); }
    Controlled X([qs[0], qs[1], qs[2], qs[3]], qs[5]);
    Controlled Z([qs[0], qs[1]], qs[4]);
    return MResetEachZ(qs);
}""",
    "rotations": """
import Std.Convert.*;
operation Main() : Result[] {
    use qs = Qubit[4];
    for i in 0..3 { H(qs[i]); }
    for k in 1..6 { Rz(0.1 * IntAsDouble(k), qs[k % 4]); Rx(0.05 * IntAsDouble(k), qs[(k + 1) % 4]); }
    Rxx(0.4, qs[0], qs[1]); Ryy(0.5, qs[1], qs[2]); Rzz(0.6, qs[2], qs[3]);
    R1(0.25, qs[0]); Controlled R1([qs[0]], (0.3, qs[1])); Controlled S([qs[2]], qs[3]);
    return MResetEachZ(qs);
}""",
    "qft5": """
operation Main() : Result[] {
    use qs = Qubit[5];
    X(qs[0]);
    ApplyQFT(qs);
    return MResetEachZ(qs);
}""",
    "adder4": """
import Std.Arithmetic.*;
operation Main() : Result[] {
    use x = Qubit[4];
    use y = Qubit[4];
    X(x[0]); X(y[1]);
    RippleCarryCGIncByLE(x, y);
    return MResetEachZ(x + y);
}""",
    "reuse": """
operation Main() : Result[] {
    use q = Qubit();
    use a = Qubit();
    mutable rs = [];
    for i in 0..2 {
        H(q); T(q); CNOT(q, a);
        set rs += [M(q)];
        Reset(q);
    }
    set rs += [MResetZ(a)];
    return rs;
}""",
}

QASM_PROGRAMS = {
    "qasm_mix": """OPENQASM 3.0;
include "stdgates.inc";
qubit[4] q;
bit[4] c;
h q[0]; cx q[0], q[1]; t q[1]; tdg q[2]; s q[3];
ccx q[0], q[1], q[2]; ccx q[1], q[2], q[3];
rx(0.2) q[2]; ry(0.9) q[3]; rz(1.3) q[0]; rz(pi/4) q[1]; crz(0.4) q[0], q[3];
c = measure q;
""",
    "qasm_ghz_t": """OPENQASM 3.0;
include "stdgates.inc";
qubit[5] q;
bit[5] c;
h q[0];
for int i in [0:3] { cx q[i], q[i + 1]; }
for int i in [0:4] { t q[i]; }
swap q[0], q[4]; cz q[1], q[2];
c = measure q;
""",
}
PROFILES = ["Base", "Adaptive_RI", "Adaptive_RIF"]


def main(argv: list[str]) -> int:
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    ensure_qsharp()
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "programs").mkdir(exist_ok=True)
    pool = Pool()
    if only != "programs":
        write_counts(pool)
    if only != "counts":
        write_programs(pool)
    pool.close()
    return 0


def write_counts(pool: Pool) -> None:
    rng = random.Random(20260612)
    counts_list = edge_counts() + random_counts(rng, 48)
    cases = []
    for i, counts in enumerate(counts_list):
        for q, s in COMBOS:
            params = {"qubitParams": {"name": q}, "qecScheme": {"name": s}}
            cases.append({"counts": counts, "params": params})
        for p in CUSTOM_PARAMS if i < 16 else CUSTOM_PARAMS[: 3]:
            cases.append({"counts": counts, "params": p})
    cases.append({"counts": {"numQubits": 12, "tCount": 30}, "params": [{"errorBudget": 0.01}, {"errorBudget": 1e-4}]})
    for c in cases:
        c["reference"] = pool.run({"kind": "counts", "counts": c["counts"], "params": c["params"]})
    (OUT / "counts.json").write_text(json.dumps({"generator": "tools/qre_golden.py", "qsharp": "1.31.0",
                                                "qdk": "1.33.1", "cases": cases}, indent=None, sort_keys=True))
    n_to = sum(1 for c in cases if isinstance(c["reference"], dict) and c["reference"].get("status") == "timeout")
    print(f"{len(cases)} counts cases ({n_to} timeouts) -> {OUT}")


def write_programs(pool: Pool) -> None:
    programs = []
    for kind, table in (("qsharp", QSHARP_PROGRAMS), ("openqasm", QASM_PROGRAMS)):
        for name, src in table.items():
            for prof in PROFILES:
                fname = f"{name}.{prof}.ll"
                got = pool.run({"kind": kind, "source": src, "profile": prof, "compile": True})
                if "qir" not in got:
                    print(f"skip {fname}: {got.get('error')}", file=sys.stderr)
                    continue
                (OUT / "programs" / fname).write_text(got["qir"])
                refs = []
                for q, s in COMBOS:
                    params = {"qubitParams": {"name": q}, "qecScheme": {"name": s}}
                    task = {"kind": kind, "source": src, "profile": prof, "params": params}
                    refs.append({"params": params, "reference": pool.run(task)})
                programs.append({"file": f"programs/{fname}", "language": kind, "profile": prof,
                                 "source": src, "estimates": refs})
    (OUT / "programs.json").write_text(json.dumps({"generator": "tools/qre_golden.py", "programs": programs},
                                                  indent=None, sort_keys=True))
    print(f"{len(programs)} programs -> {OUT}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

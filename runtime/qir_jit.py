"""Running QIR directly: compile it with llvmlite's MCJIT and bind the QIR runtime to the simulator.

``qmk-run`` lowers QIR to QVM when it can; a module whose control flow depends on measurements at run
time (repeat-until-success loops, arithmetic on results, dynamic qubits in loops) cannot be made static,
and ``run_qir`` executes it instead, shot by shot, on the state-vector engine.

The steps, and where each safety property comes from:

1. ``qir_module.load`` parses and verifies the module, picks the entry point (``entry_point`` attribute,
   or ``entry``), and refuses any declared function without a binding, naming each, before running.
2. ``qir_instrument.instrument`` rewrites the text: bindings through function-pointer globals, a step
   budget (every binding call, function entry and backward branch costs a step, so pure-classical loops
   are bounded too), a call-depth limit, and checks before every integer division.
3. In a forked worker (``qir_worker``): MCJIT compiles the module, the bindings are pointed at ctypes
   callbacks into ``qir_runtime.QirRuntime``, and the entry point runs once per shot with a fresh engine.
   A callback that finds a fault (an id out of range, a NaN angle, ``fail``) and a trap from the
   instrumentation end the worker with a message; a crash of native code ends only the worker; the
   parent enforces the wall-time limit and ``cancel``.
4. A shot whose entry point returns a non-zero code records no output and is counted under its code
   (QIR's exit-code convention); ``END\\t<code>`` in the records.

All randomness comes from one ``numpy`` generator seeded with ``seed`` in the worker, and the shots run
in order in one process, so the same seed gives the same result, byte for byte.
"""

from __future__ import annotations

import time

from .qir_abi import accepts
from .qir_exec import execute
from .qir_module import load
from .qir_worker import run_forked
from .result import RunResult, ShotRecord, counts_key


def run_qir(data: bytes, *, name: str = "<input>", shots: int = 1000, seed: int | None = None,
            entry: str | None = None, max_steps: int = 10_000_000, timeout: float | None = None,
            max_qubits: int = 24, max_results: int = 1_000_000, max_depth: int = 1000,
            precision: str = "complex128", cancel=None, keep_shots: bool = False,
            progress=None, engine: str = "auto", max_memory: int | None = None) -> RunResult:
    """Run a QIR module (bitcode or text) for ``shots`` shots and return a ``RunResult``.

    ``max_steps`` bounds each shot; ``timeout`` (seconds) bounds the whole run including compilation;
    ``max_qubits`` bounds the live qubits and, without ``required_num_qubits``, the static qubit ids;
    ``cancel`` is an Event (or a callable) polled while the worker runs; ``progress(done, total)`` is
    called with the number of finished shots. ``engine``: ``small`` (``qir_small``, up to six live
    qubits), ``statevector`` (numpy), or ``auto``: small first, numpy when the program needs more.
    ``max_memory`` (bytes) bounds the numpy engine's state; a program that needs more is stopped.
    """
    from qmk.diagnostics import UsageError

    for what, v in (("shots", shots), ("max_steps", max_steps), ("max_qubits", max_qubits),
                    ("max_results", max_results), ("max_depth", max_depth)):
        if not isinstance(v, int) or v < (0 if what == "shots" else 1):
            raise UsageError(f"{what} must be a positive integer, got {v!r}")
    if timeout is not None and not timeout > 0:
        raise UsageError(f"timeout must be positive, got {timeout!r}")
    t0 = time.perf_counter()
    qm = load(data, name=name, entry=entry, signatures=accepts)
    _preload()
    if engine not in ("auto", "small", "statevector"):
        raise UsageError(f"unknown QIR JIT engine '{engine}' (auto, small or statevector)")
    if engine == "auto":
        engine = "small" if precision == "complex128" else "statevector"
    opts = {"shots": shots, "seed": seed, "max_steps": max_steps, "max_qubits": max_qubits,
            "max_results": max_results, "max_depth": max_depth, "precision": precision,
            "keep_shots": keep_shots, "engine": engine, "max_memory": max_memory}
    on_progress = (lambda done: progress(done, shots)) if progress is not None else None
    while True:
        left = None if timeout is None else max(1e-3, timeout - (time.perf_counter() - t0))
        payload = run_forked(lambda fd, prog: execute(qm, opts, fd, prog), timeout=left, cancel=cancel,
                             on_progress=on_progress, what=name,
                             limit=timeout, cpu_limit=_cpu_backstop(shots, max_steps))
        if not payload.get("restart"):
            break
        # The program outgrew the small engine: the whole run starts again on the numpy engine, with
        # the same seed, so the result is that of a run on the numpy engine alone.
        opts["engine"] = "statevector"
    counts: dict[str, int] = {}
    codes: dict[int, int] = {}
    for (code, outputs), n in payload["hist"].items():
        key = counts_key(outputs) if code == 0 else f"exit:{code}"
        counts[key] = counts.get(key, 0) + n
        codes[code] = codes.get(code, 0) + n
    tel = dict(payload["telemetry"])
    tel["time_s"] = time.perf_counter() - t0
    shots_list = [ShotRecord(outputs, code) for code, outputs in payload["shots"]] if keep_shots else None
    return RunResult(counts=counts, exit_codes=codes, shots=shots_list, telemetry=tel,
                     metadata=[(k, v) for k, v in qm.attributes])


def _cpu_backstop(shots: int, max_steps: int) -> float:
    """The worker's CPU-time limit: what ``shots`` shots of ``max_steps`` steps could take at 2 us a step
    (a step that calls Python costs about 1 us), plus a minute. It only matters for a program that
    defeats the step counter (a wild store into the counter itself) when no wall-time limit is set."""
    return 60.0 + shots * max_steps * 2e-6


def _preload() -> None:
    """Import what the worker needs before forking, so each worker inherits it instead of importing."""
    import llvmlite.binding  # noqa: F401
    import numpy  # noqa: F401

    from . import qir_exec, qir_fast, qir_instrument, qir_small, statevector  # noqa: F401

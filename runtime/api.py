"""``qmk.runtime.run``: run a QVM program for a number of shots and return a RunResult.

How a run is carried out (each choice is exact, never an approximation):

1. The program is verified (``qmk.passes.verify``); a program with errors is refused (exit 3).
2. The engine: ``auto`` takes stim when every node is a stabilizer operation, else the state vector.
3. Stabilizer engine, no guards: the whole program becomes one stim circuit (feedback through measurement
   records) and stim samples all shots. With guards: shot by shot on a stim tableau.
4. State vector, ``plan.deferrable`` and no noise: one simulation, measurements deferred to the end, all
   shots sampled from the final distribution. Otherwise shot by shot, each shot starting from a copy of
   the state simulated once up to the first random node (with noise: up to the first operation).
5. Memory is estimated from the plan before anything is allocated; over ``max_memory`` or the memory
   available now, the run is refused with the figure.

The same seed gives the same counts and records, byte for byte (one numpy Generator drives everything;
stim gets a seed drawn from it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from qmk.diagnostics import InputError, UsageError
from qmk.ir import Program

from .errors import ResourceError, RunCancelled
from .executor import Machine
from .noise import NoiseModel, parse_noise
from .plan import Plan, analyze
from .result import RunResult, ShotRecord, shot_outputs
from .statevector import DTYPES, StateVector, state_bytes

ENGINES = ("auto", "statevector", "stabilizer")
MAX_SHOTS = 10**9
MAX_KEPT_SHOTS = 10**7
BATCH = 1 << 20  # shots sampled at a time


def run(
    program: Program,
    *,
    shots: int = 1000,
    seed: int | None = None,
    engine: str = "auto",
    noise: str | NoiseModel | None = None,
    max_memory: int | None = None,
    precision: str = "complex128",
    cancel=None,
    progress: Callable[[int, int], None] | None = None,
    keep_shots: bool = False,
    physical_error_rate: float | None = None,
    fuse: int = 4,
) -> RunResult:
    """Run ``program`` ``shots`` times.

    ``engine``: auto | statevector | stabilizer. ``noise``: None, ``"logical"`` (QEC-profile logical faults
    at ``physical_error_rate``, default 1e-3), ``"depolarizing:p"`` or a NoiseModel. ``max_memory``: bytes
    the state may use. ``precision``: complex128 | complex64 (state vector). ``cancel``: an object with
    ``is_set()`` checked at every node and shot (raises RunCancelled). ``progress(done, total)`` is called
    as nodes or shots complete. ``keep_shots`` keeps per-shot records (needed for ``records()``).
    ``fuse``: the widest dense block of fused gates on the state vector.
    Raises UsageError (bad arguments), InputError (invalid program), ResourceError (too much memory),
    RunCancelled.
    """
    if isinstance(shots, bool) or not isinstance(shots, (int, np.integer)) or not 1 <= shots <= MAX_SHOTS:
        raise UsageError(f"shots must be an integer from 1 to {MAX_SHOTS}, got {shots!r}")
    if engine not in ENGINES:
        raise UsageError(f"unknown engine '{engine}' (one of {', '.join(ENGINES)})")
    if precision not in DTYPES:
        raise UsageError(f"unknown precision '{precision}' (complex128 or complex64)")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0):
        raise UsageError(f"seed must be a non-negative integer, got {seed!r}")
    model = noise if isinstance(noise, NoiseModel) else parse_noise(noise, physical_error_rate)
    _verify(program)
    plan = analyze(program)
    if engine == "stabilizer" and not plan.clifford:
        raise UsageError(
            f"--engine stabilizer cannot run node '{plan.non_clifford_node}': it is not a Clifford operation",
            notes=["use --engine statevector (or auto)"],
        )
    use_stim = engine == "stabilizer" or (engine == "auto" and plan.clifford)
    rng = np.random.default_rng(seed)
    t0 = time.perf_counter()
    tel = {"engine": "stabilizer" if use_stim else "statevector"}
    if use_stim and not plan.guarded:
        from .stim_program import build_stim

        b = build_stim(program, model, cancel)
        names, peak = list(b.events), b.peak_qubits
        cols = [b.events[e] for e in names]
        sampler = b.compiled(int(rng.integers(2**63)))
        tel["mode"] = "sampled"
        res = _sampled(program, names, lambda k: sampler(k)[:, cols], shots, keep_shots, cancel)
    else:
        deferred = not use_stim and plan.deferrable and model is None
        if not use_stim:
            _check_memory(plan, deferred, precision, max_memory)
        eng = _engine(use_stim, rng, precision, fuse, max_memory)
        if deferred:
            m = Machine(eng, program, deferred=True, cancel=cancel, progress=progress)
            m.run()
            names = [e for e, _ in m.pending]
            slots = [s for _, s in m.pending]
            tel["mode"] = "sampled"
            res = _sampled(program, names, lambda k: eng.sample(k, slots), shots, keep_shots, cancel)
        else:
            tel["mode"] = "per-shot"
            res = _per_shot(program, plan, eng, model, shots, cancel, progress, keep_shots)
        peak = eng.peak_qubits
        if not use_stim:
            tel["gates"], tel["fused_blocks"] = eng.gates_applied, eng.blocks_applied
    if progress is not None:
        progress(1, 1)
    tel.update(
        peak_qubits=peak,
        shots=shots,
        epochs=plan.fences + 1,
        fences=plan.fences,
        barriers=plan.barriers,
        policies=plan.policies,
        noise=model.describe() if model is not None else "none",
        time_s=round(time.perf_counter() - t0, 6),
    )
    if not use_stim:
        tel["precision"] = precision
    res.telemetry = tel
    res.metadata = _metadata(program)
    return res


def _verify(program: Program) -> None:
    try:
        from qmk.passes.verify import verify
    except ImportError:  # the verifier is optional only while it is being written
        return
    errs = [d for d in verify(program) if d.is_error]
    if errs:
        raise InputError(f"the program is not valid QVM: {errs[0].message}", diagnostics=errs)


def _metadata(program: Program) -> list[tuple[str, str | None]]:
    attrs = (program.metadata.get("qir") or {}).get("attributes") if isinstance(program.metadata, dict) else None
    if not isinstance(attrs, list):
        return []
    return [(str(a[0]), None if a[1] in (None, "") else str(a[1])) for a in attrs if isinstance(a, (list, tuple)) and a]


def available_memory() -> int | None:
    """MemAvailable from /proc/meminfo, in bytes (None where unknown)."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _check_memory(plan: Plan, deferred: bool, precision: str, max_memory: int | None) -> None:
    """Refuse before allocating: the state (plus half a state while growing, plus a per-shot copy)."""
    n = plan.peak_qubits(deferred)
    if n > 60:
        raise ResourceError(f"the program holds {n} qubits at once; a state vector of 2^{n} amplitudes cannot exist",
                            notes=["a Clifford program runs on --engine stabilizer"])
    need = state_bytes(n, precision) * (3 if deferred else 5) // 2
    avail = available_memory()
    for limit, what in ((max_memory, "--max-memory"), (avail, "the memory available now")):
        if limit is not None and need > limit:
            raise ResourceError(
                f"{n} qubits need about {_fmt(need)} for the state vector ({precision}), over {what} ({_fmt(limit)})",
                notes=["use --precision complex64 to halve it, or --engine stabilizer for Clifford programs"],
            )


def _fmt(b: int) -> str:
    return f"{b / 2**30:.2f} GiB" if b >= 2**30 else f"{b / 2**20:.1f} MiB"


def _engine(use_stim: bool, rng, precision: str, fuse: int, max_memory):
    if use_stim:
        from .stabilizer import StimEngine

        return StimEngine(rng)
    return StateVector(rng, precision=precision, fuse=fuse, max_bytes=max_memory)


def _sampled(program, names, draw, shots, keep_shots, cancel) -> RunResult:
    """Counts from ``draw(k)`` (k rows of event values), in batches so memory stays bounded."""
    if keep_shots and shots > MAX_KEPT_SHOTS:
        raise UsageError(f"per-shot records are kept for at most {MAX_KEPT_SHOTS} shots, not {shots}")
    total: RunResult | None = None
    done = 0
    while done < shots:
        if cancel is not None and cancel.is_set():
            raise RunCancelled("run cancelled")
        k = min(BATCH, shots - done)
        part = _from_rows(program, names, np.asarray(draw(k), dtype=np.uint8), keep_shots)
        if total is None:
            total = part
        else:
            for key, c in part.counts.items():
                total.counts[key] = total.counts.get(key, 0) + c
            total.exit_codes[0] += part.exit_codes[0]
            if keep_shots:
                total.shots.extend(part.shots)
        done += k
    total.counts = dict(sorted(total.counts.items()))
    return total


def _produced_order(program: Program) -> list[str]:
    return [e for n in program.nodes for e in n.produces]


def _bit_columns(program: Program, names: list[str], order: list[str]):
    """For outputs that are only bare RESULT bits (or absent): (column per output, invert mask), else None."""
    col = {e: i for i, e in enumerate(names)}
    if not program.outputs:
        return [col.get(e, -1) for e in order], np.zeros(len(order), dtype=np.uint8)
    if any(o.get("type") != "RESULT" or "event" not in o for o in program.outputs):
        return None
    return ([col.get(o["event"], -1) for o in program.outputs],
            np.array([bool(o.get("invert", False)) for o in program.outputs], dtype=np.uint8))


def _from_rows(program: Program, names: list[str], rows: np.ndarray, keep_shots: bool) -> RunResult:
    """Counts (and per-shot records) from sampled event values, one output evaluation per distinct row."""
    from .result import shot_key

    order = _produced_order(program)
    uniq, inverse, cnt = np.unique(rows, axis=0, return_inverse=True, return_counts=True)
    inverse = np.asarray(inverse).reshape(-1)
    fast = None if keep_shots else _bit_columns(program, names, order)
    counts: dict[str, int] = {}
    if fast is not None:  # the key is the bit string itself: build it with numpy
        cols, inv = fast
        padded = np.concatenate([uniq, np.zeros((uniq.shape[0], 1), dtype=np.uint8)], axis=1)
        bits = (padded[:, cols] ^ inv) + ord("0")
        for row, c in zip(bits, cnt):
            k = row.tobytes().decode()
            counts[k] = counts.get(k, 0) + int(c)
        return RunResult(dict(sorted(counts.items())), {0: int(rows.shape[0])}, None)
    base = dict.fromkeys(program.resources.events, 0)
    recs = []
    for row, c in zip(uniq, cnt):
        ev = dict(base)
        ev.update(zip(names, row.tolist()))
        rec = ShotRecord(shot_outputs(program.outputs, ev, order))
        recs.append(rec)
        k = shot_key(rec)
        counts[k] = counts.get(k, 0) + int(c)
    shots_list = [recs[i] for i in inverse] if keep_shots else None
    return RunResult(dict(sorted(counts.items())), {0: int(rows.shape[0])}, shots_list)


def _per_shot(program, plan, eng, model, shots, cancel, progress, keep_shots) -> RunResult:
    from .result import shot_key

    start = plan.first_random if model is None else min(plan.first_random, plan.first_touch)
    # nodes after the last one that produces an event cannot change any outcome: they are not run
    stop = max((i + 1 for i, n in enumerate(program.nodes) if n.produces), default=0)
    start = min(start, stop)
    base = Machine(eng, program, noise=model, cancel=cancel)
    base.run(0, start)
    order = _produced_order(program)
    counts: dict[str, int] = {}
    kept: list[ShotRecord] | None = [] if keep_shots else None
    for s in range(shots):
        if cancel is not None and cancel.is_set():
            raise RunCancelled("run cancelled")
        m = base.copy() if s < shots - 1 else base
        m.run(start, stop)
        rec = ShotRecord(shot_outputs(program.outputs, m.events, order))
        k = shot_key(rec)
        counts[k] = counts.get(k, 0) + 1
        if kept is not None:
            kept.append(rec)
        if progress is not None:
            progress(s + 1, shots)
    return RunResult(dict(sorted(counts.items())), {0: shots}, kept)

"""The worker side of the QIR JIT: instrument, compile with MCJIT, bind, and run every shot.

This runs in the forked worker (``qir_worker``) only. A binding's Python side is wrapped so that no
exception crosses back into native code (ctypes would print it and return 0): a ``QirFault`` or any
other error ends the worker with a message naming the function and the shot, and ``TooBig`` (the small
engine is full) ends it with a request to rerun the whole run on the numpy engine.
"""

from __future__ import annotations

import ctypes
import time

from .qir_abi import gate_steps, lookup
from .qir_module import QirModule
from .qir_runtime import QirFault, QirRuntime
from .qir_worker import QirRunError, send_and_exit

_TRAPS = {
    1: "exceeded the step budget of {max_steps} steps in one shot",
    2: "exceeded the call-depth limit of {max_depth}",
    3: "integer division by zero",
    4: "signed integer division overflow (MIN / -1)",
}
_TRAP_NOTES = {
    1: ["each runtime call, function call and loop iteration is a step; raise it with --max-steps"],
    2: ["recursion deeper than the limit; QIR does not allow recursion in IR-defined functions"],
}
_ABI = {"ptr": ctypes.c_void_p, "double": ctypes.c_double, "i64": ctypes.c_int64}


def _fast_paths(bound, implicit: bool) -> tuple[dict[str, list[str]], list[str]]:
    """Native fast paths (``qir_kernels``) for the bindings that have one, and their constants."""
    from qmk import ops

    from .qir_fast import fast_gate, fast_measure, fast_read, fast_rotation, matrix_global
    from .qir_kernels import KERNEL_IR

    fast: dict[str, list[str]] = {}
    extra = [KERNEL_IR]
    for i, (name, sig) in enumerate(bound):
        kind, what = lookup(name, sig)
        if kind == "gate":
            g, adj = what
            if g.name in ("rx", "ry", "rz"):
                fast[name] = fast_rotation(g.name, adj)
                continue
            if g.n_angles or g.pauli_param:
                continue  # two-qubit rotations and r build their matrices per call, in Python
            steps = []
            for s, (op, pos, args) in enumerate(gate_steps(g, adj)):
                mat = f"__qmk.mat.{i}.{s}"
                extra.append(matrix_global(mat, ops.matrix(op, args)))
                steps.append((mat, pos))
            fast[name] = fast_gate(g.n_qubits, steps)
        elif what == "read_result":
            fast[name] = fast_read()
        elif what == "reset":
            fast[name] = fast_measure("reset", False)
        elif what in ("mz", "mresetz") and not implicit:
            fast[name] = fast_measure("mz" if what == "mz" else "reset", True)
    return fast, extra


def _compile(qm: QirModule, bound, noops, implicit: bool):
    import llvmlite.binding as llvm

    from .qir_fast import shot_function
    from .qir_instrument import instrument

    fast, extra = _fast_paths(bound, implicit)
    extra += shot_function(qm.entry, qm.entry_ret)
    text = instrument(qm.text, bound, qm.name, noops, fast, extra)
    try:
        mod = llvm.parse_assembly(text)
        mod.verify()
    except RuntimeError as e:
        raise QirRunError(f"{qm.name}: qmk-run cannot instrument this module: {e}") from None
    # Code generation at -O0 (FastISel): about 4x less compile time than -O2 here, and a shot's work is
    # a few kernel calls on at most 64 amplitudes, where the optimizer gains nothing measurable.
    tm = llvm.Target.from_default_triple().create_target_machine(opt=0)
    ee = llvm.create_mcjit_compiler(mod, tm)
    ee.finalize_object()
    return ee, mod


def execute(qm: QirModule, opts: dict, fd: int, progress) -> dict:
    """Compile, bind, run every shot; returns the histogram of (exit code, outputs) and telemetry."""
    import numpy as np

    from .qir_instrument import abi_type, split_sig
    from .qir_small import Draws, Kernels, SmallStateVector, TooBig
    from .statevector import StateVector

    t0 = time.perf_counter()
    implicit = not any(n.endswith("_record_output") for n in qm.declared)
    noops = sorted((n, sig) for n, sig in qm.declared.items() if lookup(n, sig)[0] == "native")
    bound = sorted((n, sig) for n, sig in qm.declared.items() if lookup(n, sig)[0] != "native")
    ee, _mod = _compile(qm, bound, noops, implicit)
    compile_s = time.perf_counter() - t0
    gaddr = ee.get_global_value_address

    rng = np.random.default_rng(opts["seed"])
    small = opts["engine"] == "small"
    kern = Kernels(gaddr, ee.get_function_address)
    kern.fast.value = 1 if small else 0
    if small:
        draws = Draws(kern, rng)
        make = lambda: SmallStateVector(kern, draws)
    else:
        make = lambda: StateVector(rng, precision=opts["precision"], max_bytes=opts["max_memory"])
    rt = QirRuntime(make, qpos=kern.qpos if small else None, max_qubits=opts["max_qubits"],
                    max_results=opts["max_results"], required_qubits=qm.required_qubits,
                    required_results=qm.required_results, implicit_outputs=implicit)
    shot = [0]

    def fault(message: str, notes=()) -> None:
        send_and_exit(fd, ("fault", f"{qm.name}: shot {shot[0]}: {message}", shot[0], list(notes)))

    keep = []  # ctypes callbacks must outlive the run
    py_calls = [0]  # calls that reached Python (the rest took a native fast path)

    def bind(i: int, fname: str, sig: str) -> None:
        kind, what = lookup(fname, sig)
        fn = rt.gate(*what) if kind == "gate" else rt.gate_ctl(*what) if kind == "ctl" else getattr(rt, what)
        ret, params = split_sig(sig)
        restype = None if ret == "void" else _ABI[abi_type(ret)]
        ctype = ctypes.CFUNCTYPE(restype, *[_ABI[abi_type(p)] for p in params])

        def cb(*a):
            py_calls[0] += 1
            try:
                return fn(*a)
            except QirFault as e:
                fault(f"{fname}: {e}")
            except TooBig:
                send_and_exit(fd, ("ok", {"restart": True}))
            except Exception as e:  # noqa: BLE001 - nothing may propagate into native code
                fault(f"{fname}: {type(e).__name__}: {e}")

        c = ctype(cb)
        keep.append(c)
        ctypes.c_void_p.from_address(gaddr(f"__qmk.fp.{i}")).value = ctypes.cast(c, ctypes.c_void_p).value

    for i, (fname, sig) in enumerate(bound):
        bind(i, fname, sig)

    def trap(code: int) -> None:
        fault(_TRAPS.get(code, f"trap {code}").format(**opts), _TRAP_NOTES.get(code, ()))

    trap_c = ctypes.CFUNCTYPE(None, ctypes.c_int64)(trap)
    keep.append(trap_c)
    ctypes.c_void_p.from_address(gaddr("__qmk.trapfp")).value = ctypes.cast(trap_c, ctypes.c_void_p).value
    ctypes.c_void_p.from_address(gaddr("__qmk.res")).value = ctypes.addressof(rt.sres)
    ctypes.c_int64.from_address(gaddr("__qmk.nres")).value = rt.nres
    ctypes.c_int64.from_address(gaddr("__qmk.maxdepth")).value = opts["max_depth"]
    steps = ctypes.c_int64.from_address(gaddr("__qmk.steps"))
    ctypes.c_int64.from_address(gaddr("__qmk.maxsteps")).value = opts["max_steps"]
    ctypes.c_int64.from_address(gaddr("__qmk.preset")).value = rt.preset
    ctypes.memmove(gaddr("__qmk.qpos0"), rt.preset_qpos, len(rt.preset_qpos))
    run_shot = ctypes.CFUNCTYPE(ctypes.c_int64)(ee.get_function_address("__qmk.shot"))

    hist: dict[tuple, int] = {}
    kept: list[tuple] = []
    max_steps, keep_shots = opts["max_steps"], opts["keep_shots"]
    steps_used = 0
    t1 = time.perf_counter()
    for k in range(opts["shots"]):
        shot[0] = k
        rt.begin_shot(native_done=True)
        code = run_shot()
        rt.end_shot()
        steps_used += max_steps - steps.value
        rec = (code, tuple(rt.outputs) if code == 0 else ())
        hist[rec] = hist.get(rec, 0) + 1
        if keep_shots:
            kept.append(rec)
        progress.value = k + 1
    telemetry = {
        "engine": "statevector",
        "jit_engine": opts["engine"],
        "jit": "llvmlite-mcjit",
        "peak_qubits": rt.peak_qubits,
        "compile_s": compile_s,
        "run_s": time.perf_counter() - t1,
        "steps": steps_used,
        "python_calls": py_calls[0],
        "shots": opts["shots"],
    }
    if rt.messages:
        telemetry["messages"] = list(rt.messages)
    return {"hist": hist, "shots": kept, "telemetry": telemetry}

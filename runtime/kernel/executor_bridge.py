"""The kernel's only contact with the compiler and the runtime: read, verify and run a program.

Keeping these calls in one module means the kernel's protocol, security, store and scheduler do not
depend on how the frontends, the verifier or the executor are organised.
"""

from __future__ import annotations

import base64
import binascii

import orjson

from ...diagnostics import InputError, QmkError
from ...ir import Program
from .errors import GraphError, GraphMalformed, GraphUnsupported, InvalidParams

SUBMIT_NAME = "<submitted>"


def program_bytes(params: dict) -> bytes:
    """The submitted program as bytes: ``program`` (a QVM object or text) or ``program_b64`` (any format)."""
    if "program" in params and "program_b64" in params:
        raise InvalidParams("give 'program' or 'program_b64', not both")
    if "program_b64" in params:
        raw = params["program_b64"]
        if not isinstance(raw, str):
            raise InvalidParams("'program_b64' must be a base64 string")
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise InvalidParams("'program_b64' is not valid base64") from None
    prog = params.get("program")
    if isinstance(prog, dict):
        return orjson.dumps(prog)
    if isinstance(prog, str):
        return prog.encode("utf-8", "surrogatepass")
    raise InvalidParams("'program' must be a QVM document (object) or program text (string)")


def prepare(data: bytes, fmt: str | None) -> tuple[Program, bytes]:
    """Read (lowering QIR or OpenQASM), then verify; returns the program and its canonical QVM JSON.

    Raises GraphMalformed (cannot be read), GraphUnsupported (QIR that only the JIT can run) or
    GraphError (read but fails verification) with the diagnostics as the error's data.
    """
    from ...frontends import NotStaticError, lower_bytes
    from ...passes.verify import verify
    from ...qvmjson import dumps

    try:
        program = lower_bytes(data, SUBMIT_NAME, fmt=fmt)
    except NotStaticError as e:
        raise GraphUnsupported(
            f"{e.message}; the kernel runs static programs only (run this QIR with qmk-run in-process)",
            data=[d.to_json() for d in e.diagnostics],
        ) from None
    except InputError as e:
        raise GraphMalformed(e.message, data=[d.to_json() for d in e.diagnostics]) from None
    except QmkError as e:  # e.g. an unknown format name
        raise GraphMalformed(e.message) from None
    errors = [d for d in verify(program) if d.is_error]
    if errors:
        raise GraphError(
            f"program failed verification with {len(errors)} error(s); first: {errors[0]}",
            data=[d.to_json() for d in errors],
        )
    return program, dumps(program)


def load_canonical(data: bytes) -> Program:
    """A stored program (canonical QVM JSON written by ``prepare``)."""
    from ...qvmjson import loads

    return loads(data, SUBMIT_NAME)


def execute(program: Program, *, shots: int, seed: int, cancel, keep_shots: bool = False) -> bytes:
    """Run the program on the runtime of ``qmk-run``; the RunResult as JSON bytes.

    ``cancel.is_set()`` is polled by the runtime at every node and shot; when it turns true the
    runtime raises ``qmk.runtime.errors.RunCancelled``, which the caller maps to CANCELLED or TIMED_OUT.
    """
    from ..api import run

    result = run(program, shots=shots, seed=seed, cancel=cancel, keep_shots=keep_shots)
    return orjson.dumps(result.to_json())


_WARM_UP = b"""{"version": "0.2", "program": {"nodes": [
 {"id": "a", "op": "ALLOC_LQ", "vqs": ["q0", "q1"], "args": {"n": 2}},
 {"id": "h", "op": "APPLY_H", "vqs": ["q0"]}, {"id": "c", "op": "APPLY_CNOT", "vqs": ["q0", "q1"]},
 {"id": "m", "op": "MEASURE_Z", "vqs": ["q0"], "produces": ["r0"]},
 {"id": "x", "op": "APPLY_X", "vqs": ["q1"], "guard": {"event": "r0", "equals": 1}},
 {"id": "t", "op": "APPLY_T", "vqs": ["q1"]},
 {"id": "n", "op": "MEASURE_Z", "vqs": ["q1"], "produces": ["r1"]},
 {"id": "f", "op": "FREE_LQ", "vqs": ["q0", "q1"]}]},
 "resources": {"vqs": ["q0", "q1"], "chs": [], "events": ["r0", "r1"]}, "caps": ["CAP_ALLOC", "CAP_MEASURE"]}"""


def warm_up() -> None:
    """Run tiny programs once, before the first job, so no job pays for the runtime's start-up.

    Each runtime path (stim's compiled sampler, stim's tableau shot by shot, the state vector) imports
    and initialises things on its first call. It matters for threads too: two threads making stim's
    first ``compile_sampler`` call at the same time deadlock (seen with stim 1.16: one holds the GIL
    waiting for the other's initialisation, which needs the GIL to finish an import).
    """
    program, _ = prepare(_WARM_UP, None)
    no_t = [n for n in program.nodes if n.op != "APPLY_T"]
    variants = (program, program.with_nodes(no_t), program.with_nodes([n.replace(guard=None) for n in no_t]))
    for p in variants:  # state vector per shot; stim tableau per shot; stim compiled sampler
        execute(p, shots=2, seed=0, cancel=None)


def cancelled_error() -> type[Exception]:
    from ..errors import RunCancelled

    return RunCancelled

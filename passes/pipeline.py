"""Pipelines in LLVM's style: ``cancel-inverses,merge-rotations,fixpoint(cancel-inverses,merge-rotations)``.

Grammar::

    pipeline := item ("," item)*
    item     := NAME params? | "fixpoint" params? "(" pipeline ")"
    params   := "<" param ("," param)* ">"      param := KEY "=" VALUE | VALUE

A bare ``VALUE`` sets the pass's first parameter, or continues the previous value, so
``lower-to<cx,rz,sx,x>`` and ``lower-to<gateset=cx,rz,sx,x>`` are the same. ``fixpoint<max=N>(...)`` repeats its body until the program stops changing (at most
``N`` rounds, default 10). The presets ``-O0``..``-O3`` are pipeline strings in ``PRESETS``.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .registry import PassContext, get, load_all

# The one preset table. -O2 and -O3 run phase folding with the cheap cleanups to a fixpoint.
_O1 = "cancel-inverses,merge-rotations,fuse-1q"
_O2 = _O1 + ",hadamard-reduction,fixpoint(pauli-folding,phase-folding,cancel-inverses),merge-rotations,fuse-1q"
_O3 = _O2 + ",canonicalize-measurements,dce,fixpoint(cancel-inverses,merge-rotations,phase-folding,pauli-folding,dce),fuse-1q"
PRESETS: dict[str, str] = {"0": "", "1": _O1, "2": _O2, "3": _O3}
FIXPOINT_DEFAULT = 10

_NAME = re.compile(r"[a-z][a-z0-9-]*")


class PipelineError(ValueError):
    """A pipeline string that does not parse or names an unknown pass or parameter."""


@dataclass
class Step:
    name: str
    params: dict = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}<{','.join(f'{k}={v}' for k, v in self.params.items())}>"


@dataclass
class Fixpoint:
    body: list
    max_rounds: int = FIXPOINT_DEFAULT

    def __str__(self) -> str:
        inner = ",".join(map(str, self.body))
        head = "fixpoint" if self.max_rounds == FIXPOINT_DEFAULT else f"fixpoint<max={self.max_rounds}>"
        return f"{head}({inner})"


def pipeline_str(items: list) -> str:
    return ",".join(map(str, items))


def parse(text: str) -> list:
    """Parse a pipeline string into Steps and Fixpoints, checking pass names and parameters."""
    load_all()
    text = text.strip()
    if not text:
        return []
    items, pos = _parse_list(text, 0)
    if pos != len(text):
        raise PipelineError(f"unexpected {text[pos]!r} at column {pos + 1} of the pipeline")
    return items


def _parse_list(text: str, pos: int):
    items = []
    while True:
        while pos < len(text) and text[pos] == " ":
            pos += 1
        m = _NAME.match(text, pos)
        if not m:
            raise PipelineError(f"expected a pass name at column {pos + 1} of the pipeline")
        name, pos = m.group(0), m.end()
        raw: list[str] = []
        if pos < len(text) and text[pos] == "<":
            end = text.find(">", pos)
            if end < 0:
                raise PipelineError(f"unclosed '<' at column {pos + 1} of the pipeline")
            raw = [p.strip() for p in text[pos + 1 : end].split(",") if p.strip()]
            pos = end + 1
        if name == "fixpoint":
            if pos >= len(text) or text[pos] != "(":
                raise PipelineError("fixpoint needs a parenthesised pipeline: fixpoint(a,b)")
            body, pos = _parse_list(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise PipelineError(f"expected ')' at column {pos + 1} of the pipeline")
            pos += 1
            items.append(Fixpoint(body, _fixpoint_rounds(raw)))
        else:
            items.append(Step(name, _params(name, raw)))
        while pos < len(text) and text[pos] == " ":
            pos += 1
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return items, pos


def _fixpoint_rounds(raw: list[str]) -> int:
    rounds = FIXPOINT_DEFAULT
    for p in raw:
        key, _, val = p.partition("=")
        if key.strip() != "max" or not val.strip().isdigit() or int(val) < 1:
            raise PipelineError(f"fixpoint takes only max=N (N >= 1), not {p!r}")
        rounds = int(val)
    return rounds


def _params(name: str, raw: list[str]) -> dict:
    try:
        info = get(name)
    except KeyError:
        raise PipelineError(f"unknown pass {name!r} (qmk-opt --print-passes lists them)") from None
    spec = info.params
    out: dict = {}
    key = None
    for p in raw:  # a value without "=" continues the previous value (lists such as cx,rz,sx,x)
        if "=" in p:
            key, v = (s.strip() for s in p.split("=", 1))
            out[key] = v
        elif key is not None:
            out[key] += "," + p
        elif not spec:
            raise PipelineError(f"pass {name!r} takes no parameters")
        else:
            key = next(iter(spec))
            out[key] = p
    for k, v in list(out.items()):
        if k not in spec:
            known = ", ".join(spec) or "none"
            raise PipelineError(f"pass {name!r} has no parameter {k!r} (parameters: {known})")
        typ = spec[k][0]
        try:
            out[k] = _convert(typ, v)
        except ValueError:
            raise PipelineError(f"{name}: parameter {k}={v!r} is not a valid {typ.__name__}") from None
    return out


def _convert(typ, v: str):
    if typ is bool:
        if v.lower() in ("1", "true", "yes", "on"):
            return True
        if v.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(v)
    return typ(v)


@dataclass
class Hooks:
    """Instrumentation called by ``run``: after each pass (name, program) and per-pass timing."""

    after: Callable | None = None
    times: dict = field(default_factory=dict)  # pass name -> [calls, seconds]


def run(program, items: list, ctx: PassContext | None = None, hooks: Hooks | None = None):
    """Run a parsed pipeline; analyses store facts in ctx, verify passes add diagnostics.

    The cyclic garbage collector is paused for the whole pipeline: passes build millions of small acyclic
    objects on big programs, and the collections they trigger rescan the whole heap each time."""
    from qmk.qvmjson import gc_paused

    with gc_paused():
        return _run(program, items, ctx or PassContext(), hooks or Hooks())


def _fixpoint(program, item: "Fixpoint", ctx: PassContext, hooks: Hooks):
    """Run the body until nothing changes, at most ``max_rounds`` rounds.

    Passes return their input object when they change nothing, so once every item of the body in a row has
    returned the current program, each has been applied to it without effect: that is the fixpoint, and no
    confirming round is needed. A round that builds a new but equal program also ends the loop."""
    unchanged = 0  # items in a row that returned the current program itself
    for _ in range(item.max_rounds):
        before = program
        for sub in item.body:
            new = _run(program, [sub], ctx, hooks)
            unchanged = unchanged + 1 if new is program else 0
            program = new
            if unchanged >= len(item.body):
                return program
        if program is before or (program.nodes == before.nodes and program.metadata == before.metadata):
            break
    return program


def _run(program, items: list, ctx: PassContext, hooks: Hooks):
    for item in items:
        if isinstance(item, Fixpoint):
            program = _fixpoint(program, item, ctx, hooks)
            continue
        info = get(item.name)
        t0 = time.perf_counter()
        result = info.fn(program, ctx, **item.params)
        rec = hooks.times.setdefault(item.name, [0, 0.0])
        rec[0] += 1
        rec[1] += time.perf_counter() - t0
        if info.kind == "transform":
            program = result
        elif info.kind == "analysis":
            ctx.facts[item.name] = result
        if hooks.after is not None:
            hooks.after(item.name, program)
    return program


def run_string(program, text: str, ctx: PassContext | None = None):
    """Parse and run a pipeline string (or a preset name such as ``-O2``/``O2``)."""
    key = text.lstrip("-").upper()
    if key in ("O0", "O1", "O2", "O3"):
        text = PRESETS[key[1]]
    return run(program, parse(text), ctx)

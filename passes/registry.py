"""The pass registry: every pass is a plain function registered under a kebab-case name with its kind.

- ``transform``: ``fn(program, ctx, **params) -> Program`` (a new program; the input is never changed)
- ``analysis``:  ``fn(program, ctx, **params) -> dict`` (facts, also stored in ``ctx.facts[name]``)
- ``verify``:    ``fn(program, ctx, **params) -> list[Diagnostic]`` (findings; never raises for them)

Modules that define passes register them on import; ``load_all()`` imports the built-in pass modules.
"""

from __future__ import annotations

import importlib
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

KINDS = ("transform", "analysis", "verify")


@dataclass(slots=True)
class PassInfo:
    name: str
    kind: str
    fn: Callable
    doc: str = ""
    params: dict = field(default_factory=dict)  # name -> (type, default, help)


@dataclass
class PassContext:
    """What passes share: counters, facts from analyses, diagnostics, and options."""

    stats: Counter = field(default_factory=Counter)
    facts: dict = field(default_factory=dict)
    diagnostics: list = field(default_factory=list)
    options: dict = field(default_factory=dict)

    def count(self, pass_name: str, what: str, n: int = 1) -> None:
        if n:
            self.stats[(pass_name, what)] += n


_REGISTRY: dict[str, PassInfo] = {}

# Modules holding built-in passes, imported by load_all(). Later issues append to this list.
BUILTIN_MODULES: list[str] = [
    "qmk.passes.verify",
    "qmk.passes.rev",
    "qmk.passes.cancel_inverses",
    "qmk.passes.merge_rotations",
    "qmk.passes.fuse_1q",
    "qmk.passes.phase_folding",
    "qmk.passes.phase_folding_paths",
    "qmk.passes.hadamard_reduction",
    "qmk.passes.lower_to",
    "qmk.passes.canonicalize_measurements",
    "qmk.passes.dce",
    "qmk.passes.counts",
]


def register(name: str, kind: str, *, params: dict | None = None):
    """Decorator: register ``fn`` as pass ``name`` of ``kind``."""
    if kind not in KINDS:
        raise ValueError(f"unknown pass kind {kind!r}")

    def deco(fn):
        if name in _REGISTRY and _REGISTRY[name].fn is not fn:
            raise ValueError(f"pass {name!r} registered twice")
        doc = (fn.__doc__ or "").strip().split("\n")[0]
        _REGISTRY[name] = PassInfo(name, kind, fn, doc, dict(params or {}))
        return fn

    return deco


def load_all() -> dict[str, PassInfo]:
    for mod in BUILTIN_MODULES:
        importlib.import_module(mod)
    return dict(_REGISTRY)


def get(name: str) -> PassInfo:
    if name not in _REGISTRY:
        load_all()
    if name not in _REGISTRY:
        raise KeyError(name)
    return _REGISTRY[name]


def all_passes() -> dict[str, PassInfo]:
    return load_all()

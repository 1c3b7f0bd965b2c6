"""The QVM intermediate representation: a program is a list of nodes in program order.

Value objects are slotted dataclasses with structural equality. They are treated as immutable:
passes build new nodes (``node.replace(...)``) and new programs (``program.with_nodes(...)``) and never
edit what they were given, so unchanged nodes are shared between the input and output of a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterator, Mapping, NamedTuple

CURRENT_VERSION = "0.2"
SUPPORTED_VERSIONS = ("0.1", "0.2")

HANDLE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")



class FrozenDict(dict):
    """A read-only dict, used for the shared empty ``args``/``metadata`` default."""

    __slots__ = ()

    def __hash__(self):  # type: ignore[override]
        return hash(tuple(sorted(self.items())))

    def _readonly(self, *a, **k):
        raise TypeError("FrozenDict is read-only")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _readonly  # type: ignore


EMPTY: Mapping = FrozenDict()


@dataclass(slots=True, frozen=True)
class Location:
    """Where a node came from in source text (1-based line and column)."""

    file: str
    line: int
    col: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}" if self.col else f"{self.file}:{self.line}"


class Node(NamedTuple):
    """One QVM operation. Immutable: make changed copies with ``node.replace(field=value)``.

    A named tuple rather than a dataclass because programs have millions of nodes: building one is a
    single C-level tuple construction. Equality ignores ``loc`` and ``metadata`` (where a node came from
    does not change what it does).
    """

    id: str
    op: str
    vqs: tuple[str, ...] = ()
    args: Mapping = EMPTY
    produces: tuple[str, ...] = ()
    inputs: tuple[str, ...] = ()
    chs: tuple[str, ...] = ()
    guard: Mapping | None = None
    caps: tuple[str, ...] = ()
    loc: Location | None = None
    metadata: Mapping = EMPTY

    def replace(self, **changes) -> "Node":
        return self._replace(**changes)

    def __eq__(self, other) -> bool:  # type: ignore[override]
        if not isinstance(other, Node):
            return NotImplemented
        return self[:9] == other[:9]

    def __ne__(self, other) -> bool:  # type: ignore[override]
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]  # args is a dict

    def guard_events(self) -> list[str]:
        """Every event the guard reads (empty when unguarded)."""
        return guard_events(self.guard) if self.guard is not None else []

    def events_read(self) -> list[str]:
        evs = list(self.inputs)
        if self.guard is not None:
            evs.extend(guard_events(self.guard))
        return evs


_new_node = tuple.__new__


def node_from_fields(fields: tuple) -> Node:
    """Build a Node from a complete 11-tuple of fields, without argument processing (the loader's fast path)."""
    return _new_node(Node, fields)


def guard_events(guard: Mapping) -> list[str]:
    out: list[str] = []
    stack = [guard]
    while stack:
        g = stack.pop()
        if not isinstance(g, Mapping):
            continue
        if "event" in g:
            out.append(g["event"])
        for key in ("all", "any"):
            sub = g.get(key)
            if isinstance(sub, list):
                stack.extend(reversed(sub))
    return out


def eval_guard(guard: Mapping | None, events: Mapping[str, int]) -> bool:
    """Whether a (well-formed) guard holds for the given event values."""
    if guard is None:
        return True
    if "event" in guard:
        return events[guard["event"]] == guard["equals"]
    if "all" in guard:
        return all(eval_guard(g, events) for g in guard["all"])
    return any(eval_guard(g, events) for g in guard["any"])


@dataclass(slots=True)
class Resources:
    vqs: tuple[str, ...] = ()
    chs: tuple[str, ...] = ()
    events: tuple[str, ...] = ()


@dataclass(slots=True)
class Program:
    """A QVM program. ``nodes`` is in program order."""

    nodes: list[Node]
    resources: Resources = field(default_factory=Resources)
    caps: tuple[str, ...] = ()
    outputs: list[dict] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)
    version: str = CURRENT_VERSION

    def __iter__(self) -> Iterator[Node]:
        return iter(self.nodes)

    def __len__(self) -> int:
        return len(self.nodes)

    def with_nodes(self, nodes: list[Node], **changes) -> "Program":
        """A new program with other nodes (and optionally other fields); self is untouched."""
        return replace(self, nodes=nodes, **changes)

    def num_qubits(self) -> int:
        return len(self.resources.vqs)

    def required_caps(self) -> tuple[str, ...]:
        """The capabilities the nodes need, in vocabulary order."""
        from .ops import CAPABILITIES, OPS

        need = set()
        for n in self.nodes:
            s = OPS.get(n.op)
            if s is not None and s.cap:
                need.add(s.cap)
            need.update(n.caps)
        return tuple(c for c in CAPABILITIES if c in need) + tuple(sorted(need - set(CAPABILITIES)))

    def __str__(self) -> str:
        from .listing import listing

        return listing(self)


def declare_resources(nodes: list[Node]) -> Resources:
    """Resources declared in order of first appearance, for programs built in code."""
    vqs: dict[str, None] = {}
    chs: dict[str, None] = {}
    evs: dict[str, None] = {}
    for n in nodes:
        for q in n.vqs:
            vqs.setdefault(q)
        for c in n.chs:
            chs.setdefault(c)
        for e in n.produces:
            evs.setdefault(e)
    return Resources(tuple(vqs), tuple(chs), tuple(evs))


def make_program(nodes: list[Node], *, outputs=None, metadata=None, caps=None) -> Program:
    """Build a program from nodes, declaring resources and capabilities from what the nodes use."""
    prog = Program(list(nodes), declare_resources(nodes), (), list(outputs or []), dict(metadata or {}))
    prog.caps = tuple(caps) if caps is not None else prog.required_caps()
    return prog

"""The QVM verifier: every rule of docs/qvm.md "Verification", each with a stable code.

``verify(program)`` walks the nodes once in program order, tracking the state of every qubit
(unallocated, live, released), channel (open, closed) and event (produced where), and returns every
finding as a ``Diagnostic``. It never raises for a finding. The walk is linear in the program size;
findings are capped per code (``MAX_PER_CODE``) so a broken million-node program reports a summary
instead of a million lines.
"""

from __future__ import annotations

import math

from ..diagnostics import CODES, Diagnostic
from ..ir import HANDLE_RE, Program
from ..ops import CAPABILITIES, OPS
from ..profile import ProfileError, parse_profile
from .registry import register

MAX_PER_CODE = 100
_CAPS = frozenset(CAPABILITIES)
_PAULI = frozenset("IXYZ")
_NO_GUARD_OPS = frozenset(("ALLOC_LQ", "FREE_LQ", "OPEN_CHAN", "CLOSE_CHAN"))

UNALLOCATED, LIVE, RELEASED = 0, 1, 2
UNDECLARED = -1


class _Report:
    """Collects diagnostics, at most MAX_PER_CODE per code."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.counts: dict[str, int] = {}

    def add(self, code: str, message: str, node=None, notes=()) -> None:
        n = self.counts.get(code, 0) + 1
        self.counts[code] = n
        if n <= MAX_PER_CODE:
            self.diags.append(
                Diagnostic(code, message, node=node.id if node is not None else None,
                           loc=node.loc if node is not None else None, notes=list(notes))
            )

    def finish(self) -> list[Diagnostic]:
        for code, n in self.counts.items():
            if n > MAX_PER_CODE:
                self.diags.append(
                    Diagnostic(code, f"{n - MAX_PER_CODE} more findings of this kind ({CODES[code][1]}) not shown")
                )
        return self.diags


def _is_number(x) -> bool:
    return (type(x) is float and math.isfinite(x)) or type(x) is int


def _check_guard(g, depth: int = 0) -> str | None:
    """None when the guard is well formed, else what is wrong with it."""
    if type(g) is not dict:
        return "a guard is an object"
    if depth > 64:
        return "guard nested more than 64 levels"
    if "event" in g:
        if set(g) != {"event", "equals"}:
            return "an event guard has exactly the fields 'event' and 'equals'"
        if type(g["event"]) is not str:
            return "guard 'event' must be an event name"
        if type(g["equals"]) is not int or g["equals"] not in (0, 1):
            return f"guard value must be 0 or 1, not {g['equals']!r}"
        return None
    for key in ("all", "any"):
        if key in g:
            sub = g[key]
            if len(g) != 1 or type(sub) is not list or not sub:
                return f"a '{key}' guard has one field '{key}' with a non-empty list of guards"
            for s in sub:
                err = _check_guard(s, depth + 1)
                if err:
                    return err
            return None
    return "a guard is {event, equals}, {all: [...]} or {any: [...]}"


def _check_args(spec, node, rep: _Report, profiles: dict) -> None:
    args = node.args
    for a in spec.args:
        if a.name not in args:
            if a.required:
                rep.add("QMK104", f"{spec.name} needs argument '{a.name}'", node)
            continue
        v = args[a.name]
        t = a.type
        if t == "angle":
            if not _is_number(v):
                rep.add("QMK105", f"'{a.name}' must be a finite number of radians, not {v!r}", node)
        elif t == "count":
            if type(v) is not int or v < 1:
                rep.add("QMK105", f"'{a.name}' must be a positive integer, not {v!r}", node)
            elif v != len(node.vqs):
                rep.add("QMK105", f"'{a.name}' is {v} but the node names {len(node.vqs)} qubit(s)", node)
        elif t == "profile":
            if v not in profiles:
                try:
                    parse_profile(v)
                    profiles[v] = None
                except ProfileError as e:
                    profiles[v] = str(e)
            if profiles[v]:
                rep.add("QMK106", f"invalid profile: {profiles[v]}", node)
        elif t == "str":
            if type(v) is not str:
                rep.add("QMK105", f"'{a.name}' must be a string", node)
        elif t == "pauli_mask":
            if type(v) is not str or not v or not set(v) <= _PAULI:
                rep.add("QMK109", f"mask must be a string of I, X, Y, Z, not {v!r}", node)
            elif len(v) != len(node.vqs):
                rep.add("QMK109", f"mask '{v}' has {len(v)} letter(s) for {len(node.vqs)} qubit(s)", node)
        elif t == "chan_opts":
            if type(v) is not dict:
                rep.add("QMK105", "'opts' must be an object", node)
            else:
                f = v.get("fidelity", 1.0)
                if not _is_number(f) or not 0 < f <= 1:
                    rep.add("QMK105", f"channel fidelity must be in (0, 1], not {f!r}", node)
                if "type" in v and type(v["type"]) is not str:
                    rep.add("QMK105", "channel 'type' must be a string", node)
    if spec.kind != "admin" and len(args) > len(spec.args):
        known = {a.name for a in spec.args}
        for k in args:
            if k not in known:
                rep.add("QMK111", f"{spec.name} has no argument '{k}'; it is ignored", node)


def verify(
    program: Program,
    *,
    max_qubits: int | None = None,
    max_nodes: int | None = None,
    max_events: int | None = None,
    max_channels: int | None = None,
) -> list[Diagnostic]:
    """Check a program against every QVM rule; returns the findings (errors and warnings)."""
    from ..qvmjson import gc_paused

    with gc_paused():
        return _verify(program, max_qubits, max_nodes, max_events, max_channels)


def _verify(program, max_qubits, max_nodes, max_events, max_channels) -> list[Diagnostic]:
    rep = _Report()
    add = rep.add
    res = program.resources
    handle_ok = HANDLE_RE.match

    declared_q: dict[str, int] = {}
    for kind, names, code in (("qubit", res.vqs, "QMK110"), ("channel", res.chs, "QMK110"), ("event", res.events, "QMK110")):
        seen: set[str] = set()
        for h in names:
            if not handle_ok(h):
                add(code, f"{kind} name '{h}' does not match [A-Za-z_][A-Za-z0-9_.]*")
            if h in seen:
                add("QMK205", f"{kind} '{h}' is declared twice in resources")
            seen.add(h)
    qstate = dict.fromkeys(res.vqs, UNALLOCATED)
    cstate = dict.fromkeys(res.chs, 0)  # 0 never opened, 1 open, 2 closed
    declared_ev = frozenset(res.events)
    for c in program.caps:
        if c not in _CAPS:
            add("QMK402", f"unknown capability '{c}' (known: {', '.join(CAPABILITIES)})")
    declared_caps = frozenset(program.caps)

    ids: set[str] = set()
    produced: dict[str, object] = {}
    pending_reads: list[tuple[str, object]] = []
    cap_missing: dict[str, object] = {}
    profiles: dict[str, str | None] = {}
    live = peak = 0
    ops = OPS
    for node in program.nodes:
        nid = node.id
        if nid in ids:
            add("QMK201", f"node id '{nid}' is used by an earlier node", node)
        else:
            ids.add(nid)
            if not handle_ok(nid):
                add("QMK110", f"node id '{nid}' does not match [A-Za-z_][A-Za-z0-9_.]*", node)
        spec = ops.get(node.op)
        if spec is None:
            add("QMK101", f"unknown op '{node.op}'", node, notes=["the ops are listed in docs/qvm.md"])
            continue
        vqs = node.vqs
        nq = len(vqs)
        if nq < spec.min_qubits or (spec.max_qubits is not None and nq > spec.max_qubits):
            want = spec.min_qubits if spec.arity is not None else (
                f"at least {spec.min_qubits}" if spec.max_qubits is None else f"{spec.min_qubits}-{spec.max_qubits}")
            add("QMK102", f"{spec.name} takes {want} qubit(s), got {nq}", node)
        if len(node.chs) != spec.n_chs:
            add("QMK103", f"{spec.name} takes {spec.n_chs} channel(s), got {len(node.chs)}", node)
        if spec.args or node.args:
            _check_args(spec, node, rep, profiles)
        if len(node.produces) != spec.produces:
            add("QMK107", f"{spec.name} produces {spec.produces} event(s), the node names {len(node.produces)}", node)
        if spec.needs_inputs and not node.inputs:
            add("QMK108", f"{spec.name} needs at least one input event", node)
        elif node.inputs and not spec.needs_inputs:
            add("QMK108", f"{spec.name} reads no input events; use a guard to make it conditional", node)

        # capabilities
        if spec.cap is not None and spec.cap not in declared_caps and spec.cap not in cap_missing:
            cap_missing[spec.cap] = node
        for c in node.caps:
            if c not in _CAPS:
                add("QMK402", f"unknown capability '{c}'", node)
            elif c not in declared_caps and c not in cap_missing:
                cap_missing[c] = node

        # events read: guard and inputs (checked before this node's own products)
        if node.guard is not None:
            err = _check_guard(node.guard)
            if err:
                add("QMK324", f"malformed guard: {err}", node)
            elif spec.name in _NO_GUARD_OPS:
                add("QMK324", f"{spec.name} cannot be guarded: lifetimes must not depend on outcomes", node)
            else:
                for ev in node.guard_events():
                    if ev not in produced:
                        pending_reads.append((ev, node))
        for ev in node.inputs:
            if ev not in produced:
                pending_reads.append((ev, node))

        # qubits
        if nq:
            if nq > 1 and len(set(vqs)) != nq:
                dup = sorted({q for q in vqs if vqs.count(q) > 1})
                add("QMK305", f"qubit {', '.join(repr(q) for q in dup)} appears twice in one node", node)
            op = spec.name
            for q in vqs:
                st = qstate.get(q)
                if st is None:
                    # reported once; its lifetime is not tracked, so one mistake gives one finding
                    add("QMK202", f"qubit '{q}' is not declared in resources.vqs", node)
                    qstate[q] = UNDECLARED
                    continue
                if st == UNDECLARED:
                    continue
                if op == "ALLOC_LQ":
                    if st == LIVE:
                        add("QMK303", f"qubit '{q}' is allocated while already live", node)
                    else:
                        qstate[q] = LIVE
                        live += 1
                elif op == "FREE_LQ":
                    if st == LIVE:
                        qstate[q] = RELEASED
                        live -= 1
                    elif st == RELEASED:
                        add("QMK304", f"qubit '{q}' is released twice", node)
                    else:
                        add("QMK301", f"qubit '{q}' is released before it is allocated", node)
                elif st != LIVE:
                    if st == UNALLOCATED:
                        add("QMK301", f"qubit '{q}' is used before it is allocated", node)
                    else:
                        add("QMK302", f"qubit '{q}' is used after it was released", node)
            if live > peak:
                peak = live

        # channels
        for c in node.chs:
            st = cstate.get(c)
            if st is None:
                add("QMK203", f"channel '{c}' is not declared in resources.chs", node)
                cstate[c] = UNDECLARED
                continue
            if st == UNDECLARED:
                continue
            if spec.name == "OPEN_CHAN":
                if st == 1:
                    add("QMK311", f"channel '{c}' is opened while already open", node)
                cstate[c] = 1
            elif st != 1:
                state = "never opened" if st == 0 else "already closed"
                add("QMK312", f"channel '{c}' is {state}", node)
            elif spec.name == "CLOSE_CHAN":
                cstate[c] = 2

        # events produced
        for ev in node.produces:
            if ev not in declared_ev:
                add("QMK204", f"event '{ev}' is not declared in resources.events", node)
            if ev in produced:
                add("QMK321", f"event '{ev}' was already produced by node '{produced[ev].id}'", node)
            else:
                produced[ev] = node

    # reads of events not produced before the reader
    for ev, node in pending_reads:
        producer = produced.get(ev)
        if producer is not None:
            add(
                "QMK322",
                f"event '{ev}' is read here before node '{producer.id}' produces it",
                node,
                notes=[f"'{producer.id}' must come earlier in program order than '{node.id}'"],
            )
        elif ev not in declared_ev:
            add("QMK204", f"event '{ev}' is not declared in resources.events", node)
        else:
            add("QMK323", f"event '{ev}' is never produced", node)

    for cap, node in cap_missing.items():
        add("QMK401", f"'{cap}' is needed by '{node.id}' ({node.op}) but not in the program's caps", node,
            notes=[f"add \"{cap}\" to the top-level \"caps\" list"])

    leaked = [q for q, st in qstate.items() if st == LIVE]
    if leaked:
        shown = ", ".join(leaked[:8]) + (f" and {len(leaked) - 8} more" if len(leaked) > 8 else "")
        add("QMK306", f"{len(leaked)} qubit(s) never released: {shown}", notes=["end their lifetime with FREE_LQ"])
    still_open = [c for c, st in cstate.items() if st == 1]
    if still_open:
        add("QMK313", f"channel(s) left open: {', '.join(still_open[:8])}", notes=["close them with CLOSE_CHAN"])

    _check_outputs(program, produced, rep)

    for name, limit, value in (
        ("live qubits", max_qubits, peak),
        ("nodes", max_nodes, len(program.nodes)),
        ("events", max_events, len(produced)),
        ("channels", max_channels, sum(1 for st in cstate.values() if st != 0)),
    ):
        if limit is not None and value > limit:
            add("QMK501", f"the program uses {value} {name}, above the bound of {limit}")
    return rep.finish()


_OUTPUT_TYPES = {"RESULT", "BOOL", "INT", "DOUBLE", "TUPLE", "ARRAY"}


def _check_outputs(program: Program, produced: dict, rep: _Report) -> None:
    for i, o in enumerate(program.outputs):
        t = o.get("type")
        where = f"outputs[{i}]"
        if t not in _OUTPUT_TYPES:
            rep.add("QMK601", f"{where}: type must be one of {', '.join(sorted(_OUTPUT_TYPES))}")
            continue
        if "label" in o and type(o["label"]) is not str:
            rep.add("QMK601", f"{where}: label must be a string")
        if t in ("TUPLE", "ARRAY"):
            if type(o.get("count")) is not int or o["count"] < 0:
                rep.add("QMK601", f"{where}: {t} needs a non-negative integer 'count'")
        elif "event" in o:
            if t not in ("RESULT", "BOOL"):
                rep.add("QMK601", f"{where}: only RESULT and BOOL outputs read events")
            elif o["event"] not in produced:
                rep.add("QMK601", f"{where}: event '{o['event']}' is never produced")
        elif "value" in o:
            v = o["value"]
            ok = {
                "RESULT": type(v) is int and v in (0, 1),
                "BOOL": type(v) is bool,
                "INT": type(v) is int,
                "DOUBLE": _is_number(v),
            }[t]
            if not ok:
                rep.add("QMK601", f"{where}: {v!r} is not a valid {t} value")
        else:
            rep.add("QMK601", f"{where}: {t} needs an 'event' or a 'value'")


@register("verify", "verify")
def verify_pass(program: Program, ctx, **bounds) -> list[Diagnostic]:
    """Check every QVM rule (structure, lifetimes, events, guards, capabilities)."""
    diags = verify(program, **bounds)
    ctx.diagnostics.extend(diags)
    return diags


def errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    return [d for d in diags if d.is_error]

"""A readable text listing of a QVM program (what ``str(program)`` prints)."""

from __future__ import annotations

from .ir import Node, Program


def _fmt_arg(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k}={_fmt_arg(x)}" for k, x in v.items()) + "}"
    return str(v)


def _fmt_guard(g) -> str:
    if "event" in g:
        return f"{g.get('event')}=={g.get('equals')}"
    if "all" in g:
        return "(" + " && ".join(_fmt_guard(x) for x in g["all"]) + ")"
    if "any" in g:
        return "(" + " || ".join(_fmt_guard(x) for x in g["any"]) + ")"
    return "?"


def node_line(n: Node, id_width: int = 10, op_width: int = 14) -> str:
    parts = [f"{n.id:<{id_width}} {n.op:<{op_width}}"]
    operands = list(n.vqs) + [f"ch:{c}" for c in n.chs]
    if operands:
        parts.append(" " + ", ".join(operands))
    if n.args:
        parts.append(" (" + ", ".join(f"{k}={_fmt_arg(v)}" for k, v in n.args.items()) + ")")
    if n.inputs:
        parts.append(" <- " + " ^ ".join(n.inputs))
    if n.produces:
        parts.append(" -> " + ", ".join(n.produces))
    if n.guard is not None:
        parts.append("  if " + _fmt_guard(n.guard))
    if n.loc is not None:
        parts.append(f"  ; {n.loc}")
    return "".join(parts).rstrip()


def listing(p: Program, limit: int | None = None) -> str:
    r = p.resources
    head = (
        f"; qvm {p.version}: {len(p.nodes)} nodes, {len(r.vqs)} qubits, {len(r.events)} events, "
        f"{len(r.chs)} channels; caps {', '.join(p.caps) or '-'}"
    )
    nodes = p.nodes if limit is None else p.nodes[:limit]
    idw = min(max((len(n.id) for n in nodes), default=4), 24)
    opw = max((len(n.op) for n in nodes), default=8)
    lines = [head] + ["  " + node_line(n, idw, opw) for n in nodes]
    if limit is not None and len(p.nodes) > limit:
        lines.append(f"  ... {len(p.nodes) - limit} more nodes")
    for o in p.outputs:
        lines.append("  output " + " ".join(f"{k}={v}" for k, v in o.items()))
    return "\n".join(lines)

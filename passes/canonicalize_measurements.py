"""``canonicalize-measurements``: fold basis changes into measurements (H then MEASURE_Z -> MEASURE_X).

Why it is sound: for a basis change ``B`` (a word of one-qubit gates) and measurement bases related
by ``B`` (``<k| B psi> = <b_k | psi>``), measuring ``B psi`` in the Z basis gives outcome ``k`` with
the same probability as measuring ``psi`` in the basis ``b_k``; afterwards the qubit holds ``|k>`` in
one case and ``|b_k>`` in the other, that is ``B`` applied after the new measurement. So
``B; MEASURE_P`` equals ``MEASURE_Q; B`` exactly, and the trailing ``B`` is dropped only when the
qubit is next reset or freed (unguarded), or, in a program that measures, never used again (its state
is then unobserved, as in ``dce``). The rules (checked on matrices in the tests):
``H; MEASURE_Z -> MEASURE_X``, ``H; MEASURE_X -> MEASURE_Z``, ``SDG; H; MEASURE_Z -> MEASURE_Y``.
The basis-change gates must be the last operations on the wire before the measurement and carry the
measurement's guard.
"""

from __future__ import annotations

from qmk.qvmjson import gc_paused

from .registry import register
from .walk import PLAIN, classify

NAME = "canonicalize-measurements"

RULES = {
    ("APPLY_H", "MEASURE_Z"): "MEASURE_X",
    ("APPLY_H", "MEASURE_X"): "MEASURE_Z",
    ("APPLY_SDG", "APPLY_H", "MEASURE_Z"): "MEASURE_Y",
}
_LONGEST = max(len(k) for k in RULES) - 1


@register(NAME, "transform")
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def canonicalize_measurements(program, ctx):
    """Fold H (or SDG H) before a measurement into the measurement basis when the qubit is discarded."""
    nodes = program.nodes
    measures = any(n.op.startswith("MEASURE_") for n in nodes)
    prev: dict[str, list[int]] = {}  # wire -> indices of the last few plain one-qubit gates
    drop: set[int] = set()
    repl: dict[int, object] = {}
    discarded = _discarded_after(nodes, measures)
    for i, n in enumerate(nodes):
        if classify(n) == PLAIN and len(n.vqs) == 1:
            lst = prev.setdefault(n.vqs[0], [])
            lst.append(i)
            del lst[:-_LONGEST]
            continue
        if n.op in ("MEASURE_Z", "MEASURE_X") and i in discarded:
            lst = prev.get(n.vqs[0], [])
            for k in range(len(lst), 0, -1):
                pattern = tuple(nodes[j].op for j in lst[-k:]) + (n.op,)
                if pattern in RULES and all(nodes[j].guard == n.guard for j in lst[-k:]):
                    drop.update(lst[-k:])
                    repl[i] = n.replace(op=RULES[pattern])
                    break
        for q in n.vqs:
            prev.pop(q, None)
        if not n.vqs and classify(n) != PLAIN:
            prev.clear()
    if not repl:
        return program
    out = [repl.get(i, n) for i, n in enumerate(nodes) if i not in drop]
    ctx.count(NAME, "measurements_rewritten", len(repl))
    ctx.count(NAME, "gates_removed", len(drop))
    return program.with_nodes(out)


def _discarded_after(nodes, measures) -> set[int]:
    """Indices of one-qubit measurements whose qubit is next reset or freed (or never used again)."""
    nxt: dict[str, object] = {}
    out = set()
    for i in range(len(nodes) - 1, -1, -1):
        n = nodes[i]
        if len(n.vqs) == 1 and n.op.startswith("MEASURE_"):
            after = nxt.get(n.vqs[0])
            if (after is None and measures) or (
                after is not None and after.op in ("RESET", "FREE_LQ") and after.guard is None
            ):
                out.add(i)
        for q in n.vqs:
            nxt[q] = n
    return out

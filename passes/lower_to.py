"""``lower-to<GATESET>``: translate gates into a target gate set (``clifford+t``, ``cx,rz,sx,x``, ...).

Why it is sound: multi-qubit gates are expanded by textbook identities (CZ = H CNOT H on the target,
SWAP = three CNOTs, CCX = the 7-T Clifford+T circuit of Nielsen and Chuang, CCZ = CCX without its
Hadamards, CNOT = H CZ H when only CZ is available), each checked against the op table's matrices in
tests/passes/test_lower_to.py. Every one-qubit gate outside the target set is replaced by a word whose
product is checked here, with numpy, to equal the gate's matrix up to a phase ``gamma`` (kept in
``metadata["global_phase"]`` for unguarded gates); when no word is found the pass fails rather than
guess. Words: the cheapest exact word over the target's argument-free gates (``clifford_t``), a phase or
X-rotation realised exactly when its angle is a multiple of pi/4, a single ``U``, or the Euler form
``RZ SX RZ SX RZ``. Angles that are not multiples of pi/4 stay as ``RZ`` even when the target lacks it.
Nodes keep their guards; non-gate nodes are untouched.
"""

from __future__ import annotations

import cmath
import math

from qmk import ops
from qmk.qvmjson import gc_paused

from .clifford_t import key_of, mat_of, phase_between, table_for
from .gatefacts import IdMaker, add_global_phase, count_removed, phase_gates
from .registry import register

NAME = "lower-to"

GATESETS = {
    "clifford+t": ("APPLY_H", "APPLY_X", "APPLY_Y", "APPLY_Z", "APPLY_S", "APPLY_SDG", "APPLY_T", "APPLY_TDG",
                   "APPLY_CNOT"),
    "ibm": ("APPLY_CNOT", "APPLY_RZ", "APPLY_SX", "APPLY_X"),
}
_ALIASES = {"cx": "APPLY_CNOT", "cnot": "APPLY_CNOT", "u3": "APPLY_U", "toffoli": "APPLY_CCX"}

# Multi-qubit expansions into CNOT and one-qubit gates: (op, positions).
_CCZ = [("APPLY_CNOT", (1, 2)), ("APPLY_TDG", (2,)), ("APPLY_CNOT", (0, 2)), ("APPLY_T", (2,)),
        ("APPLY_CNOT", (1, 2)), ("APPLY_TDG", (2,)), ("APPLY_CNOT", (0, 2)), ("APPLY_T", (1,)), ("APPLY_T", (2,)),
        ("APPLY_CNOT", (0, 1)), ("APPLY_T", (0,)), ("APPLY_TDG", (1,)), ("APPLY_CNOT", (0, 1))]
_EXPAND = {
    "APPLY_CZ": [("APPLY_H", (1,)), ("APPLY_CNOT", (0, 1)), ("APPLY_H", (1,))],
    "APPLY_SWAP": [("APPLY_CNOT", (0, 1)), ("APPLY_CNOT", (1, 0)), ("APPLY_CNOT", (0, 1))],
    "APPLY_CCZ": _CCZ,
    "APPLY_CCX": [("APPLY_H", (2,))] + _CCZ + [("APPLY_H", (2,))],
}


def parse_gateset(text: str) -> frozenset[str]:
    """A gate-set name or a comma/space separated list of gate names (``cx,rz,sx,x``)."""
    key = text.strip().lower()
    if key in GATESETS:
        return frozenset(GATESETS[key])
    out = set()
    for part in key.replace(" ", ",").split(","):
        if not part:
            continue
        op = _ALIASES.get(part, "APPLY_" + part.upper())
        if op not in ops.OPS or not ops.spec(op).is_gate:
            names = ", ".join(sorted(GATESETS))
            raise ValueError(f"lower-to: unknown gate {part!r} (gate sets: {names}, or a list like cx,rz,sx,x)")
        out.add(op)
    if not out:
        raise ValueError("lower-to: empty gate set")
    return frozenset(out)


@register(NAME, "transform", params={"gateset": (str, "clifford+t", "target: clifford+t, ibm, or cx,rz,sx,x")})
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def lower_to(program, ctx, *, gateset: str = "clifford+t"):
    """Translate gates into a target gate set, exactly for multiples of pi/4."""
    target = parse_gateset(gateset)
    if "APPLY_CNOT" not in target and "APPLY_CZ" not in target:
        raise ValueError("lower-to: the gate set needs cx or cz for multi-qubit gates")
    ids = IdMaker(program.nodes)
    out, phase, changed = [], 0.0, False
    for node in program.nodes:
        s = ops.OPS.get(node.op)
        if s is None or not s.is_gate or node.op in target:
            out.append(node)
            continue
        steps, gamma = _lower(node.op, dict(node.args), target)
        changed = True
        if node.guard is None:
            phase += gamma
        for k, (op, pos, args) in enumerate(steps):
            nid = node.id if k == 0 else ids.fresh(node.id)
            out.append(node.replace(id=nid, op=op, vqs=tuple(node.vqs[p] for p in pos), args=args))
    if not changed:
        return program
    count_removed(ctx, NAME, program.nodes, out)
    return add_global_phase(program, phase, out)


def _lower(op: str, args: dict, target) -> tuple[list, float]:
    """Steps (op, positions, args) in the target set, and gamma with gate = e^{i gamma} steps."""
    if ops.spec(op).arity == 1:
        word, gamma = one_qubit(mat_of(op, args), target)
        return [(o, (0,), a) for o, a in word], gamma
    if op == "APPLY_CNOT":  # only CZ is available
        seq = [("APPLY_H", (1,)), ("APPLY_CZ", (0, 1)), ("APPLY_H", (1,))]
    elif op in _EXPAND:
        seq = _EXPAND[op]
    else:
        raise ValueError(f"lower-to: no expansion for {op}")
    steps, gamma = [], 0.0
    for sub, pos in seq:
        if sub in target:
            steps.append((sub, pos, {}))
            continue
        inner, g = _lower(sub, {}, target)
        gamma += g
        steps.extend((o, tuple(pos[p] for p in ip), a) for o, ip, a in inner)
    return steps, gamma


def one_qubit(m, target) -> tuple[list, float]:
    """A word in the target set (time order) for a 2x2 unitary, and gamma with M = e^{i gamma} word."""
    from .fuse_1q import rotation_word

    cands = []
    word = table_for(target).get(key_of(m))
    if word is not None:
        cands.append([(o, {}) for o in word])
    if abs(m[0, 1]) < 1e-12 and abs(m[1, 0]) < 1e-12:
        cands.append(_phase_word(cmath.phase(m[1, 1] / m[0, 0]), target))
    if "APPLY_U" in target:
        cands.append(rotation_word(m, "u"))
    th, ph, la = rotation_word(m, "u")[0][1].values()
    # U(th, ph, la) = e^{i gamma} RZ(ph + pi) SX RZ(th + pi) SX RZ(la), in time order:
    euler = _phase_word(la, target) + _sx(target) + _phase_word(th + math.pi, target)
    cands.append(euler + _sx(target) + _phase_word(ph + math.pi, target))
    for cand in cands:
        gamma = phase_between(m, cand)
        if gamma is not None:
            return cand, gamma
    raise RuntimeError("lower-to: no exact word found for a one-qubit gate")


def _phase_word(phi: float, target) -> list:
    gates, _ = phase_gates(phi)
    if all(op in target for op, _ in gates):
        return gates
    m = mat_of("APPLY_RZ", {"theta": phi})
    word = table_for(target).get(key_of(m))
    if word is not None and phase_between(m, [(o, {}) for o in word]) is not None:  # keys are rounded
        return [(o, {}) for o in word]
    return [("APPLY_RZ", {"theta": phi})]


def _sx(target) -> list:
    if "APPLY_SX" in target:
        return [("APPLY_SX", {})]
    word = table_for(target).get(key_of(mat_of("APPLY_SX", {})))
    if word is not None:
        return [(o, {}) for o in word]
    return [("APPLY_RX", {"theta": math.pi / 2})]  # no exact word in the target: keep a rotation

"""Hypothesis strategies for random QVM programs (up to 8 qubits) used by the soundness suite."""

from __future__ import annotations

import math

from hypothesis import strategies as st

from qmk.ir import Node, make_program

ONE_Q = ["APPLY_H", "APPLY_X", "APPLY_Y", "APPLY_Z", "APPLY_S", "APPLY_SDG", "APPLY_T", "APPLY_TDG", "APPLY_SX",
         "APPLY_I"]
ROT = ["APPLY_RX", "APPLY_RY", "APPLY_RZ"]
TWO_Q = ["APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP"]
THREE_Q = ["APPLY_CCX", "APPLY_CCZ"]

angles = st.one_of(
    st.integers(-8, 16).map(lambda k: k * math.pi / 4),
    st.floats(-7.0, 7.0, allow_nan=False, allow_infinity=False),
    st.sampled_from([1e-12, -1e-12, 2 * math.pi - 1e-12]),
)


@st.composite
def gate(draw, n: int, clifford_t_only: bool = False):
    kinds = ["1q"] * 6 + ["2q"] * 3 + (["3q"] if n >= 3 else [])
    if not clifford_t_only:
        kinds += ["rot", "rot", "u"]
    kind = draw(st.sampled_from(kinds if n >= 2 else [k for k in kinds if k in ("1q", "rot", "u")]))
    if kind == "1q":
        return draw(st.sampled_from(ONE_Q)), [draw(st.integers(0, n - 1))], {}
    if kind == "rot":
        return draw(st.sampled_from(ROT)), [draw(st.integers(0, n - 1))], {"theta": draw(angles)}
    if kind == "u":
        return "APPLY_U", [draw(st.integers(0, n - 1))], {"theta": draw(angles), "phi": draw(angles),
                                                           "lam": draw(angles)}
    k = 2 if kind == "2q" else 3
    qs = draw(st.permutations(list(range(n))))[:k]
    return draw(st.sampled_from(TWO_Q if k == 2 else THREE_Q)), list(qs), {}


@st.composite
def unitary_programs(draw, max_qubits: int = 8, max_gates: int = 40, clifford_t_only: bool = False):
    """Gate-only programs; small alphabets on few qubits so that rewrites have work to do."""
    n = draw(st.integers(1, max_qubits))
    qs = [f"q{i}" for i in range(n)]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n})]
    for i in range(draw(st.integers(0, max_gates))):
        op, pos, args = draw(gate(n, clifford_t_only))
        nodes.append(Node(f"g{i}", op, tuple(qs[p] for p in pos), args))
    return make_program(nodes)


@st.composite
def guard_for(draw, events: list[str]):
    if not events or draw(st.integers(0, 2)) == 0:
        return None
    leaf = st.builds(lambda e, v: {"event": e, "equals": v}, st.sampled_from(events), st.integers(0, 1))
    g = draw(st.one_of(leaf, st.builds(lambda a: {"all": a}, st.lists(leaf, min_size=1, max_size=3)),
                       st.builds(lambda a: {"any": a}, st.lists(leaf, min_size=1, max_size=2))))
    return g


@st.composite
def mixed_programs(draw, max_qubits: int = 6, max_nodes: int = 36, max_branching: int = 6):
    """Programs with measurements (Z, X, Y), resets, fences, guards and COND_PAULI."""
    n = draw(st.integers(1, max_qubits))
    qs = [f"q{i}" for i in range(n)]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n})]
    events: list[str] = []
    branching = 0
    for i in range(draw(st.integers(0, max_nodes))):
        what = draw(st.sampled_from(["gate"] * 8 + ["measure", "reset", "fence", "cond"]))
        if what in ("measure", "reset") and branching >= max_branching:
            what = "gate"
        if what == "gate":
            op, pos, args = draw(gate(n))
            nodes.append(Node(f"g{i}", op, tuple(qs[p] for p in pos), args, guard=draw(guard_for(events))))
        elif what == "measure":
            ev = f"m{len(events)}"
            op = draw(st.sampled_from(["MEASURE_Z", "MEASURE_Z", "MEASURE_X", "MEASURE_Y"]))
            nodes.append(Node(f"g{i}", op, (qs[draw(st.integers(0, n - 1))],), produces=(ev,)))
            events.append(ev)
            branching += 1
        elif what == "reset":
            nodes.append(Node(f"g{i}", "RESET", (qs[draw(st.integers(0, n - 1))],)))
            branching += 1
        elif what == "fence":
            nodes.append(Node(f"g{i}", "FENCE_EPOCH"))
        elif events:
            q = qs[draw(st.integers(0, n - 1))]
            ins = tuple(draw(st.lists(st.sampled_from(events), min_size=1, max_size=2, unique=True)))
            nodes.append(Node(f"g{i}", "COND_PAULI", (q,), {"mask": draw(st.sampled_from("XYZ"))}, inputs=ins))
    if draw(st.booleans()):
        for j, q in enumerate(qs):
            if draw(st.booleans()):
                ev = f"m{len(events)}"
                nodes.append(Node(f"end{j}", "MEASURE_Z", (q,), produces=(ev,)))
                events.append(ev)
    return make_program(nodes)

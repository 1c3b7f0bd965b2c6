"""The compiled paths of cancel-inverses, merge-rotations, fuse-1q and hadamard-reduction give exactly the
Python paths' results: the same nodes (ids, ops, qubits, arguments, guards, order), the same global
phase, the same --stats counters, and the very input object when nothing changes.

The Python path (``QMK_OPT_KERNELS=never``) is the reference; the Python path itself is checked for
soundness against dense unitaries and outcome distributions in test_soundness.py.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from opt_programs import mixed_programs, unitary_programs
from qmk.passes.registry import PassContext, get, load_all

from qmk.ir import Node, make_program

pytest.importorskip("numba")

PASSES = ["cancel-inverses", "merge-rotations", "fuse-1q", "fuse-1q<form=zyz>", "hadamard-reduction",
          "cancel-inverses<window=3>"]
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SUITE = Path("/work/shared/benchmarks/tcount")


def _step(text: str):
    name, _, rest = text.partition("<")
    params = {}
    for item in filter(None, rest.rstrip(">").split(",")):
        k, v = item.split("=")
        params[k] = int(v) if v.isdigit() else v
    return name, params


def _run(text: str, program, mode: str, monkeypatch):
    load_all()
    monkeypatch.setenv("QMK_OPT_KERNELS", mode)
    name, params = _step(text)
    ctx = PassContext()
    return get(name).fn(program, ctx, **params), dict(ctx.stats)


def _same_node(a: Node, b: Node) -> bool:
    if a[:3] != b[:3] or a[4:9] != b[4:9] or set(a.args) != set(b.args):
        return False
    for k, v in a.args.items():
        w = b.args[k]
        if isinstance(v, float) or isinstance(w, float):
            if abs(v - w) > 1e-12:
                return False
        elif v != w:
            return False
    return True


def assert_same(text: str, program, monkeypatch):
    """The kernel path's output equals the Python path's (and both leave the input untouched)."""
    before = list(program.nodes)
    ref, ref_stats = _run(text, program, "never", monkeypatch)
    got, got_stats = _run(text, program, "always", monkeypatch)
    assert program.nodes == before
    assert (got is program) == (ref is program), text
    assert len(got.nodes) == len(ref.nodes), text
    bad = [(a, b) for a, b in zip(ref.nodes, got.nodes) if not _same_node(a, b)]
    assert not bad, (text, bad[:3])
    assert set(got.metadata) == set(ref.metadata)
    assert abs(got.metadata.get("global_phase", 0.0) - ref.metadata.get("global_phase", 0.0)) < 1e-12
    assert got_stats == ref_stats, text
    return ref


@pytest.mark.parametrize("text", PASSES)
@SETTINGS
@given(program=unitary_programs())
def test_kernels_match_python_on_unitary_programs(text, program, monkeypatch_module):
    assert_same(text, program, monkeypatch_module)


@pytest.mark.parametrize("text", PASSES)
@SETTINGS
@given(program=mixed_programs())
def test_kernels_match_python_on_programs_with_measurements_guards_and_fences(text, program,
                                                                              monkeypatch_module):
    assert_same(text, program, monkeypatch_module)


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


def _suite():
    return sorted(SUITE.glob("*.qasm")) if SUITE.is_dir() else []


@pytest.mark.skipif(not _suite(), reason="the T-count suite is not on this machine")
def test_kernels_match_python_on_every_tcount_circuit_through_a_chain_of_passes(monkeypatch_module):
    from qmk.frontends import qasm

    for path in _suite():
        program = qasm.read(path.read_text(), path.stem)
        for text in ["hadamard-reduction", "cancel-inverses", "merge-rotations", "fuse-1q", "hadamard-reduction",
                     "cancel-inverses", "merge-rotations", "fuse-1q<form=zyz>"]:
            program = assert_same(text, program, monkeypatch_module)


def random_mixed(n_gates: int, n_qubits: int = 24, seed: int = 3):
    """Clifford+T with CZ/SWAP/CCX/CCZ, rotations (some pi/4 multiples, some identities), measurements,
    guards on measured events, resets, fences, COND_PAULI and a wide allocation in the middle."""
    rng = random.Random(seed)
    qs = [f"q{i}" for i in range(n_qubits)]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n_qubits})]
    one = ["APPLY_H", "APPLY_S", "APPLY_SDG", "APPLY_T", "APPLY_TDG", "APPLY_X", "APPLY_Z", "APPLY_Y", "APPLY_SX"]
    events: list[str] = []
    for i in range(n_gates):
        r = rng.random()
        guard = None
        if events and rng.random() < 0.05:
            guard = {"event": rng.choice(events[-3:]), "equals": rng.randint(0, 1)}
        if r < 0.55:
            node = Node(f"g{i}", rng.choice(one), (rng.choice(qs),), guard=guard)
        elif r < 0.8:
            op = rng.choice(["APPLY_CNOT"] * 4 + ["APPLY_CZ", "APPLY_SWAP"])
            node = Node(f"g{i}", op, tuple(rng.sample(qs, 2)), guard=guard)
        elif r < 0.83:
            node = Node(f"g{i}", rng.choice(["APPLY_CCX", "APPLY_CCZ"]), tuple(rng.sample(qs, 3)), guard=guard)
        elif r < 0.93:
            theta = rng.choice([rng.randint(-8, 8) * math.pi / 4, rng.uniform(-4, 4), 2 * math.pi, 0.0])
            node = Node(f"g{i}", rng.choice(["APPLY_RZ", "APPLY_RX", "APPLY_RY"]), (rng.choice(qs),),
                        {"theta": theta}, guard=guard)
        elif r < 0.96:
            ev = f"m{len(events)}"
            events.append(ev)
            node = Node(f"g{i}", rng.choice(["MEASURE_Z", "MEASURE_X"]), (rng.choice(qs),), produces=(ev,))
        elif r < 0.975:
            node = Node(f"g{i}", "RESET", (rng.choice(qs),))
        elif r < 0.985 and events:
            node = Node(f"g{i}", "COND_PAULI", (rng.choice(qs),), {"mask": "X"}, inputs=(rng.choice(events),))
        elif r < 0.99:
            node = Node(f"g{i}", "FENCE_EPOCH")
        else:
            node = Node(f"g{i}", rng.choice(["APPLY_I", "APPLY_H"]), (rng.choice(qs),), guard=guard)
        nodes.append(node)
        if i == n_gates // 2:
            extra = [f"r{k}" for k in range(6)]
            nodes.append(Node("alloc2", "ALLOC_LQ", tuple(extra), {"n": 6}))
            nodes.append(Node("free2", "FREE_LQ", tuple(extra)))
    return make_program(nodes)


def test_kernels_match_python_on_a_large_random_mixed_program(monkeypatch_module):
    program = random_mixed(20_000)
    for text in ["cancel-inverses", "merge-rotations", "fuse-1q", "hadamard-reduction", "cancel-inverses",
                 "fuse-1q<form=zyz>", "merge-rotations"]:
        program = assert_same(text, program, monkeypatch_module)


def test_kernels_match_python_on_a_large_clifford_t_circuit_with_few_qubits(monkeypatch_module):
    rng = random.Random(9)
    qs = ["a", "b", "c"]
    ops = ["APPLY_H", "APPLY_T", "APPLY_TDG", "APPLY_S", "APPLY_CNOT", "APPLY_CZ", "APPLY_X"]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": 3})]
    for i in range(20_000):
        op = rng.choice(ops)
        k = 2 if op in ("APPLY_CNOT", "APPLY_CZ") else 1
        nodes.append(Node(f"g{i}", op, tuple(rng.sample(qs, k))))
    program = make_program(nodes)
    for text in ["cancel-inverses", "hadamard-reduction", "merge-rotations", "fuse-1q", "cancel-inverses<window=2>"]:
        program = assert_same(text, program, monkeypatch_module)


def test_unchanged_program_is_returned_as_is_by_every_kernel(monkeypatch_module):
    qs = ("q0", "q1")
    nodes = [Node("alloc", "ALLOC_LQ", qs, {"n": 2}), Node("a", "APPLY_H", ("q0",)),
             Node("b", "APPLY_CNOT", qs), Node("c", "APPLY_T", ("q1",))]
    for program in (make_program(nodes), make_program([])):
        for text in ["cancel-inverses", "merge-rotations", "fuse-1q", "hadamard-reduction"]:
            monkeypatch_module.setenv("QMK_OPT_KERNELS", "always")
            name, params = _step(text)
            assert get(name).fn(program, PassContext(), **params) is program


@pytest.mark.parametrize("text", ["cancel-inverses", "merge-rotations", "fuse-1q", "hadamard-reduction"])
def test_gates_with_a_repeated_qubit_or_wrong_qubit_count_are_left_to_the_python_path(text, monkeypatch_module):
    qs = ("q0", "q1")
    odd = [Node("x", "APPLY_CNOT", ("q0", "q0")), Node("y", "APPLY_H", qs)]
    for bad in odd:
        nodes = [Node("alloc", "ALLOC_LQ", qs, {"n": 2}), Node("a", "APPLY_H", ("q0",)),
                 Node("b", "APPLY_CNOT", qs), bad, Node("c", "APPLY_CNOT", qs), Node("d", "APPLY_H", ("q0",))]
        program = make_program(nodes)
        ref = _run(text, program, "never", monkeypatch_module)
        got = _run(text, program, "always", monkeypatch_module)
        assert got[0].nodes == ref[0].nodes and got[1] == ref[1]

"""The compiled paths of phase-folding and pauli-folding return exactly what the Python paths return.

Each case runs a pass twice on the same program, once with ``QMK_OPT_KERNELS=never`` (the Python
reference) and once with ``QMK_OPT_KERNELS=always``, and requires the same nodes (ids, ops, qubits,
args with angles within 1e-12, guards, order), the same metadata (global phase within 1e-12), the same
``--stats`` counters, and the input object itself when the reference changed nothing. A spy checks that
the kernel really ran (it leaves only invalid programs to Python).
"""

from __future__ import annotations

import csv
import math
import random
from pathlib import Path

import pytest
import qmk.passes.phase_folding as pf
import qmk.passes.phase_folding_paths as pp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_programs import mixed_programs, unitary_programs
from qmk.passes.registry import PassContext

from qmk.ir import Node, make_program

pytest.importorskip("numba")
kpf = pytest.importorskip("qmk.passes.kernels_phasefold")
kpz = pytest.importorskip("qmk.passes.kernels_paulifold")

SUITE = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "tcount"
PASSES = {"phase-folding": (pf.phase_folding, kpf), "pauli-folding": (pp.pauli_folding, kpz)}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.function_scoped_fixture])


@pytest.fixture
def kernel_calls(monkeypatch):
    """Counts the kernel runs per pass module (wrapping each module's ``_fold``)."""
    calls = {}
    for name, (_, mod) in PASSES.items():
        real = mod._fold

        def spy(*a, _real=real, _name=name):
            calls[_name] = calls.get(_name, 0) + 1
            return _real(*a)

        monkeypatch.setattr(mod, "_fold", spy)
    return calls


def _same_args(a, b) -> bool:
    if set(a) != set(b):
        return False
    return all(abs(a[k] - b[k]) <= 1e-12 if isinstance(a[k], float) else a[k] == b[k] for k in a)


def assert_same(monkeypatch, name: str, program, calls=None):
    """Run pass ``name`` both ways and compare everything the pipeline can observe."""
    fn = PASSES[name][0]
    monkeypatch.setenv("QMK_OPT_KERNELS", "never")
    c_ref = PassContext()
    ref = fn(program, c_ref)
    monkeypatch.setenv("QMK_OPT_KERNELS", "always")
    c_k = PassContext()
    before = 0 if calls is None else calls.get(name, 0)
    got = fn(program, c_k)
    if calls is not None:
        assert calls.get(name, 0) == before + 1, "the kernel path did not run"
    assert (got is program) == (ref is program)
    assert len(got.nodes) == len(ref.nodes)
    for x, y in zip(ref.nodes, got.nodes):
        assert (x.id, x.op, x.vqs, x.guard, x.produces, x.inputs) == (y.id, y.op, y.vqs, y.guard, y.produces,
                                                                      y.inputs), (x, y)
        assert _same_args(x.args, y.args), (x, y)
        assert x[6:9] == y[6:9]
    gp_ref = ref.metadata.get("global_phase", 0.0)
    gp_k = got.metadata.get("global_phase", 0.0)
    assert abs(gp_ref - gp_k) <= 1e-12
    assert {k: v for k, v in ref.metadata.items() if k != "global_phase"} == \
        {k: v for k, v in got.metadata.items() if k != "global_phase"}
    assert c_ref.stats == c_k.stats
    return ref


@pytest.mark.parametrize("name", list(PASSES))
@SETTINGS
@given(prog=unitary_programs(max_qubits=5, max_gates=60))
def test_kernel_equals_python_on_unitary_programs(monkeypatch, kernel_calls, name, prog):
    assert_same(monkeypatch, name, prog, kernel_calls)


@pytest.mark.parametrize("name", list(PASSES))
@SETTINGS
@given(prog=mixed_programs(max_qubits=5, max_nodes=60))
def test_kernel_equals_python_on_programs_with_measurements_and_guards(monkeypatch, kernel_calls, name, prog):
    assert_same(monkeypatch, name, prog, kernel_calls)


@SETTINGS
@given(prog=unitary_programs(max_qubits=4, max_gates=80, clifford_t_only=True), lookback=st.integers(1, 4))
def test_pauli_kernel_gives_up_at_the_same_lookback(monkeypatch, kernel_calls, prog, lookback):
    monkeypatch.setattr(pp, "LOOKBACK", lookback)
    assert_same(monkeypatch, "pauli-folding", prog, kernel_calls)


@pytest.mark.parametrize("x_part", [False, True])
@pytest.mark.parametrize("between", [3, 4])
def test_pauli_kernel_lookback_boundary(monkeypatch, kernel_calls, x_part, between):
    # T on q0 (Pauli Z0, or X0 after a Hadamard), `between` T gates about X1 (they commute with it and have
    # an X part, so both searches count them), T on q0 again: merged only within LOOKBACK = 3.
    monkeypatch.setattr(pp, "LOOKBACK", 3)
    nodes = [Node("a", "ALLOC_LQ", ("q0", "q1"), {"n": 2}), Node("h1", "APPLY_H", ("q1",))]
    if x_part:
        nodes.append(Node("h0", "APPLY_H", ("q0",)))
    nodes.append(Node("t0", "APPLY_T", ("q0",)))
    nodes += [Node(f"t{k}", "APPLY_T", ("q1",)) for k in range(1, between + 1)]
    nodes.append(Node("u0", "APPLY_T", ("q0",)))
    ref = assert_same(monkeypatch, "pauli-folding", make_program(nodes), kernel_calls)
    merged_q0 = [n.op for n in ref.nodes if n.vqs == ("q0",) and n.op != "APPLY_H"]
    assert merged_q0 == (["APPLY_S"] if between <= 3 else ["APPLY_T", "APPLY_T"])


def test_pauli_kernel_forgets_only_groups_that_cannot_merge(monkeypatch, kernel_calls):
    # T about Z0, two T about X1 (the Z-only search counts them: 2 = LOOKBACK, still mergeable), then
    # T about Z2..Z40: the kernel's table fills up and it forgets dead groups, but not Z0's; T about Z0
    # again must merge (T T = S on q0), as in the Python pass.
    monkeypatch.setattr(pp, "LOOKBACK", 2)
    qs = tuple(f"q{i}" for i in range(41))
    nodes = [Node("a", "ALLOC_LQ", qs, {"n": 41}), Node("t0", "APPLY_T", ("q0",)), Node("h1", "APPLY_H", ("q1",)),
             Node("x1", "APPLY_T", ("q1",)), Node("x2", "APPLY_T", ("q1",))]
    nodes += [Node(f"z{i}", "APPLY_T", (f"q{i}",)) for i in range(2, 41)]
    nodes.append(Node("u0", "APPLY_T", ("q0",)))
    ref = assert_same(monkeypatch, "pauli-folding", make_program(nodes), kernel_calls)
    assert [n.op for n in ref.nodes if n.vqs == ("q0",)] == ["APPLY_S"]


def _tcount_programs():
    if not (SUITE / "references.csv").exists():
        return []
    return [r["circuit"] for r in csv.DictReader((SUITE / "references.csv").read_text().splitlines())]


@pytest.mark.parametrize("circuit", _tcount_programs())
def test_kernel_equals_python_on_the_tcount_suite(monkeypatch, kernel_calls, circuit):
    qasm = pytest.importorskip("qmk.frontends.qasm")
    from qmk.passes.hadamard_reduction import hadamard_reduction

    prog = qasm.read((SUITE / f"{circuit}.qasm").read_text(), circuit)
    monkeypatch.setenv("QMK_OPT_KERNELS", "never")
    reduced = hadamard_reduction(prog, PassContext())
    for p in (prog, reduced):
        for _ in range(2):  # a second round on the output: the fixpoint's view (mostly nothing changes)
            mid = assert_same(monkeypatch, "pauli-folding", p, kernel_calls)
            p = assert_same(monkeypatch, "phase-folding", mid, kernel_calls)


def _random_mixed(n_gates: int, n_qubits: int, seed: int):
    """Clifford+T with CNOT/CZ/SWAP/CCX, RZ angles (some multiples of pi/4), measurements, resets,
    guarded gates and fences."""
    rng = random.Random(seed)
    qs = [f"q{i}" for i in range(n_qubits)]
    nodes = [Node("alloc", "ALLOC_LQ", tuple(qs), {"n": n_qubits})]
    events: list[str] = []
    one_q = ["APPLY_H", "APPLY_S", "APPLY_SDG", "APPLY_T", "APPLY_TDG", "APPLY_X", "APPLY_Z", "APPLY_Y"]
    for i in range(n_gates):
        r = rng.random()
        guard = {"event": rng.choice(events), "equals": rng.randrange(2)} if events and rng.random() < 0.02 else None
        if r < 0.25:
            op, k = rng.choice(["APPLY_CNOT", "APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP"]), 2
        elif r < 0.27:
            op, k = "APPLY_CCX", 3
        elif r < 0.32:
            theta = rng.choice([rng.uniform(-4, 4), rng.randrange(-8, 9) * math.pi / 4, 1e-13])
            nodes.append(Node(f"g{i}", "APPLY_RZ", (rng.choice(qs),), {"theta": theta}, guard=guard))
            continue
        elif r < 0.325:
            ev = f"m{len(events)}"
            nodes.append(Node(f"g{i}", rng.choice(["MEASURE_Z", "MEASURE_X"]), (rng.choice(qs),), produces=(ev,)))
            events.append(ev)
            continue
        elif r < 0.327:
            nodes.append(Node(f"g{i}", "RESET", (rng.choice(qs),)))
            continue
        elif r < 0.3275:
            nodes.append(Node(f"g{i}", "FENCE_EPOCH"))
            continue
        else:
            op, k = rng.choice(one_q), 1
        nodes.append(Node(f"g{i}", op, tuple(rng.sample(qs, k)), guard=guard))
    return make_program(nodes)


@pytest.mark.parametrize("seed,n_qubits,lookback", [(1, 50, 512), (2, 3, 512), (3, 130, 512), (4, 8, 3)])
def test_kernel_equals_python_on_large_random_programs(monkeypatch, kernel_calls, seed, n_qubits, lookback):
    # 3 qubits: the phase kernel runs out of words and compacts every few dozen fresh variables;
    # 130 qubits: bit sets of several words; LOOKBACK 3: the pauli kernel forgets groups all the time.
    monkeypatch.setattr(pp, "LOOKBACK", lookback)
    prog = _random_mixed(20_000, n_qubits, seed)
    for _ in range(2):
        mid = assert_same(monkeypatch, "pauli-folding", prog, kernel_calls)
        prog = assert_same(monkeypatch, "phase-folding", mid, kernel_calls)


def test_invalid_programs_take_the_python_path(monkeypatch, kernel_calls):
    # A CNOT naming one qubit twice: the kernel leaves it to the Python pass, which defines the result.
    nodes = [Node("a", "ALLOC_LQ", ("q0", "q1"), {"n": 2}), Node("t", "APPLY_T", ("q0",)),
             Node("c", "APPLY_CNOT", ("q0", "q0")), Node("u", "APPLY_T", ("q0",))]
    prog = make_program(nodes)
    for name in PASSES:
        assert_same(monkeypatch, name, prog)
        assert kernel_calls.get(name, 0) == 0


def test_programs_on_too_many_qubits_take_the_python_path(monkeypatch, kernel_calls):
    from qmk.passes import kernels_folding

    monkeypatch.setattr(kernels_folding, "MAX_QUBITS", 2)
    qs = ("q0", "q1", "q2")
    prog = make_program([Node("a", "ALLOC_LQ", qs, {"n": 3}), Node("t", "APPLY_T", ("q2",)),
                         Node("c", "APPLY_CNOT", ("q0", "q1")), Node("u", "APPLY_T", ("q2",))])
    for name in PASSES:
        assert len(assert_same(monkeypatch, name, prog).nodes) == 3  # T T merged into S
        assert kernel_calls.get(name, 0) == 0

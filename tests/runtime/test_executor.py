"""Executor semantics of every non-gate op, through the engines and through run()."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest
from qmk.runtime import run
from qmk.runtime.errors import ResourceError, RunCancelled
from qmk.runtime.executor import Machine
from qmk.runtime.statevector import StateVector
from rt_helpers import REFERENCE, N, assert_5sigma, full_operator, prog, random_unitary, same_up_to_phase

from qmk.ir import Node

ENGINES = ["statevector", "stabilizer"]


def test_teleported_cnot_is_exactly_a_cnot_whatever_the_outcomes():
    rng = np.random.default_rng(0)
    p = prog(N("a", "ALLOC_LQ", ["s", "c", "t"], {"n": 3}), N("tc", "TELEPORT_CNOT", ["c", "t"]))
    for seed in range(24):
        eng = StateVector(np.random.default_rng(seed))
        m = Machine(eng, p)
        m.run(0, 1)
        qs = [m.slots[v] for v in ("s", "c", "t")]
        u = random_unitary(8, rng)
        eng.apply_matrix(u, qs)
        m.run(1)
        expect = full_operator(REFERENCE["APPLY_CNOT"]({}), [1, 2], 3) @ u[:, 0]
        assert same_up_to_phase(eng.state(qs), expect, 1e-10)
        assert eng.num_qubits == 3 and eng.peak_qubits == 4  # the ancilla came and went


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("guarded", [False, True])
def test_teleported_cnot_on_every_engine_and_path(engine, guarded):
    # |+>|0> -> CNOT -> Phi+; a Bell measurement then always gives [0, 0]; X on c first -> Psi+ ... etc.
    nodes = [N("a", "ALLOC_LQ", ["c", "t", "g"], {"n": 3}), N("h", "APPLY_H", ["c"]), N("x", "APPLY_X", ["t"])]
    if guarded:  # a guard forces the shot-by-shot path
        nodes += [N("mg", "MEASURE_Z", ["g"], produces=["eg"]), N("gz", "APPLY_Z", ["c"], guard={"event": "eg", "equals": 1})]
    nodes += [N("tc", "TELEPORT_CNOT", ["c", "t"]), N("mb", "MEASURE_BELL", ["c", "t"], produces=["xx", "zz"])]
    outputs = [{"type": "RESULT", "event": "xx"}, {"type": "RESULT", "event": "zz"}]
    r = run(prog(*nodes, outputs=outputs), shots=200, seed=1, engine=engine)
    assert r.counts == {"01": 200}  # (|0>|1> + |1>|0>)/sqrt2 = Psi+: XX = +1, ZZ = -1
    assert r.telemetry["mode"] == ("per-shot" if guarded else "sampled")
    assert r.telemetry["engine"] == engine


@pytest.mark.parametrize("engine", ENGINES)
def test_bell_measurement_reports_xx_then_zz_and_leaves_the_bell_state(engine):
    preps = {  # Bell state -> gates from |00>, expected [XX, ZZ] outcome bits
        "00": [],
        "01": [N("x", "APPLY_X", ["b"])],
        "10": [N("z", "APPLY_Z", ["a"])],
        "11": [N("x", "APPLY_X", ["b"]), N("z", "APPLY_Z", ["a"])],
    }
    for want, extra in preps.items():
        nodes = [N("al", "ALLOC_LQ", ["a", "b"], {"n": 2}), N("h", "APPLY_H", ["a"]), N("c", "APPLY_CNOT", ["a", "b"])]
        nodes += extra + [N("m1", "MEASURE_BELL", ["a", "b"], produces=["x1", "z1"]),
                          N("m2", "MEASURE_BELL", ["a", "b"], produces=["x2", "z2"])]
        r = run(prog(*nodes), shots=50, seed=2, engine=engine)
        assert r.counts == {want + want: 50}


def test_bell_measurement_distribution_on_a_random_state():
    u = random_unitary(4, np.random.default_rng(5))
    psi = u[:, 0]
    s = 1 / math.sqrt(2)
    bells = {"00": [s, 0, 0, s], "10": [s, 0, 0, -s], "01": [0, s, s, 0], "11": [0, s, -s, 0]}
    probs = {k: abs(np.vdot(np.array(v), psi)) ** 2 for k, v in bells.items()}
    shots, counts = 4000, {}
    for seed in range(shots):
        eng = StateVector(np.random.default_rng(seed))
        p = prog(N("al", "ALLOC_LQ", ["a", "b"], {"n": 2}), N("m", "MEASURE_BELL", ["a", "b"], produces=["x", "z"]))
        m = Machine(eng, p)
        m.run(0, 1)
        eng.apply_matrix(u, [m.slots["a"], m.slots["b"]])
        m.run(1)
        k = f"{m.events['x']}{m.events['z']}"
        counts[k] = counts.get(k, 0) + 1
    assert_5sigma(counts, probs, shots)


def _teleport(theta, use_guards):
    nodes = [N("al", "ALLOC_LQ", ["q", "a", "b"], {"n": 3}), N("r", "APPLY_RY", ["q"], {"theta": theta}),
             N("h", "APPLY_H", ["a"]), N("c1", "APPLY_CNOT", ["a", "b"]), N("c2", "APPLY_CNOT", ["q", "a"]),
             N("hq", "APPLY_H", ["q"]), N("mq", "MEASURE_Z", ["q"], produces=["mz"]),
             N("ma", "MEASURE_Z", ["a"], produces=["mx"])]
    if use_guards:
        nodes += [N("fx", "APPLY_X", ["b"], guard={"event": "mx", "equals": 1}),
                  N("fz", "APPLY_Z", ["b"], guard={"any": [{"event": "mz", "equals": 1}]})]
    else:
        nodes += [N("fx", "COND_PAULI", ["b"], {"mask": "X"}, inputs=("mx",)),
                  N("fz", "COND_PAULI", ["b"], {"mask": "Z"}, inputs=("mz",))]
    nodes += [N("mb", "MEASURE_Z", ["b"], produces=["out"])]
    return prog(*nodes, outputs=[{"type": "RESULT", "event": "out"}])


@pytest.mark.parametrize("use_guards", [False, True])
def test_teleportation_with_feedback_moves_the_state(use_guards):
    theta, shots = 1.1, 6000
    r = run(_teleport(theta, use_guards), shots=shots, seed=4)
    p1 = math.sin(theta / 2) ** 2
    assert r.telemetry["mode"] == "per-shot"
    assert_5sigma(r.counts, {"1": p1, "0": 1 - p1}, shots)


@pytest.mark.parametrize("engine", ENGINES)
def test_clifford_teleportation_feedback_is_exact(engine):
    r = run(_teleport(math.pi, False), shots=300, seed=9, engine=engine)  # RY(pi)|0> = |1>
    assert r.counts == {"1": 300}


def test_cond_pauli_xors_its_inputs_and_applies_a_mask_per_qubit():
    nodes = [N("al", "ALLOC_LQ", ["p", "q", "a", "b"], {"n": 4}), N("x1", "APPLY_X", ["p"]), N("x2", "APPLY_X", ["q"]),
             N("m1", "MEASURE_Z", ["p"], produces=["e1"]), N("m2", "MEASURE_Z", ["q"], produces=["e2"]),
             N("c", "COND_PAULI", ["a", "b"], {"mask": "XI"}, inputs=("e1",)),
             N("d", "COND_PAULI", ["a", "b"], {"mask": "IX"}, inputs=("e1", "e2")),
             N("ma", "MEASURE_Z", ["a"], produces=["ea"]), N("mb", "MEASURE_Z", ["b"], produces=["eb"])]
    out = [{"type": "RESULT", "event": "ea"}, {"type": "RESULT", "event": "eb"}]
    for engine in ENGINES:
        assert run(prog(*nodes, outputs=out), shots=20, seed=0, engine=engine).counts == {"10": 20}


def test_inject_t_state_prepares_the_magic_state():
    p = prog(N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("t", "INJECT_T_STATE", ["q"]))
    eng = StateVector(np.random.default_rng(0))
    m = Machine(eng, p)
    m.run()
    expect = np.array([1, np.exp(1j * math.pi / 4)]) / math.sqrt(2)
    assert same_up_to_phase(eng.state([m.slots["q"]]), expect)
    r = run(prog(*p.nodes, N("m", "MEASURE_X", ["q"], produces=["e"])), shots=20000, seed=3)
    p0 = (1 + math.cos(math.pi / 4)) / 2  # <+|T|+> overlap
    assert r.telemetry["engine"] == "statevector"
    assert_5sigma(r.counts, {"0": p0, "1": 1 - p0}, 20000)


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("fidelity", [1.0, 0.7])
def test_channel_is_a_werner_pair_of_the_requested_fidelity(engine, fidelity):
    nodes = [N("al", "ALLOC_LQ", ["a", "b"], {"n": 2}),
             Node("o", "OPEN_CHAN", ("a", "b"), {"opts": {"fidelity": fidelity}}, chs=("ch",)),
             Node("u", "USE_CHAN", (), {}, chs=("ch",)),
             N("m", "MEASURE_BELL", ["a", "b"], produces=["x", "z"]), Node("cl", "CLOSE_CHAN", chs=("ch",))]
    shots = 20000
    r = run(prog(*nodes), shots=shots, seed=8, engine=engine)
    q = (1 - fidelity) / 3
    assert_5sigma(r.counts, {"00": fidelity, "01": q, "10": q, "11": q}, shots)


@pytest.mark.parametrize("basis,angle,p0", [("MEASURE_X", None, 0.5 * (1 + math.sin(0.8))),
                                            ("MEASURE_Y", None, 0.5),
                                            ("MEASURE_ANGLE", 0.8, 1.0)])
def test_measurement_bases_through_programs(basis, angle, p0):
    nodes = [N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("r", "APPLY_RY", ["q"], {"theta": 0.8}),
             N("m", basis, ["q"], {"angle": angle} if angle is not None else {}, produces=["e"])]
    shots = 20000
    r = run(prog(*nodes), shots=shots, seed=12)
    assert_5sigma(r.counts, {"0": p0, "1": 1 - p0}, shots)


def test_reset_and_reuse_after_measurement_run_per_shot():
    nodes = [N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("h", "APPLY_H", ["q"]), N("m1", "MEASURE_Z", ["q"], produces=["a"]),
             N("r", "RESET", ["q"]), N("m2", "MEASURE_Z", ["q"], produces=["b"]), N("f", "FREE_LQ", ["q"]),
             N("al2", "ALLOC_LQ", ["p"], {"n": 1}), N("x", "APPLY_X", ["p"]), N("m3", "MEASURE_Z", ["p"], produces=["c"])]
    shots = 4000
    for engine in ENGINES:
        r = run(prog(*nodes), shots=shots, seed=5, engine=engine)
        assert_5sigma(r.counts, {"001": 0.5, "101": 0.5}, shots)
        assert r.telemetry["peak_qubits"] == 1


def test_fences_barriers_and_policies_are_counted():
    nodes = [N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("f1", "FENCE_EPOCH"), N("b", "BAR_REGION", args={"tag": "r1"}),
             N("p", "SET_POLICY", args={"priority": 3}), N("f2", "FENCE_EPOCH"), N("m", "MEASURE_Z", ["q"], produces=["e"])]
    r = run(prog(*nodes), shots=5, seed=0)
    t = r.telemetry
    assert (t["epochs"], t["fences"], t["barriers"], t["policies"]) == (3, 2, 1, [{"priority": 3}])


def test_same_seed_same_bytes_and_different_seed_differs():
    p = _teleport(1.1, True)
    a = run(p, shots=300, seed=77, keep_shots=True)
    b = run(p, shots=300, seed=77, keep_shots=True)
    c = run(p, shots=300, seed=78, keep_shots=True)
    assert a.records() == b.records() and a.dumps_counts() == b.dumps_counts()
    assert a.records() != c.records()


def test_memory_is_refused_before_allocation_with_the_figure():
    nodes = [N("al", "ALLOC_LQ", [f"q{i}" for i in range(34)], {"n": 34}), N("t", "APPLY_T", ["q0"]),
             N("m", "MEASURE_Z", ["q0"], produces=["e"])]
    with pytest.raises(ResourceError, match=r"34 qubits need about .* GiB"):
        run(prog(*nodes), shots=1)
    small = prog(*([N("al", "ALLOC_LQ", ["a", "b"], {"n": 2})] + nodes[1:2]))
    with pytest.raises(ResourceError, match="max-memory"):
        run(small.with_nodes([N("al", "ALLOC_LQ", [f"q{i}" for i in range(12)], {"n": 12}), N("t", "APPLY_T", ["q0"])],
                             resources=type(small.resources)(tuple(f"q{i}" for i in range(12)))),
            shots=1, max_memory=1000)


def test_thousands_of_clifford_qubits_run_on_the_stabilizer_engine():
    n = 1500
    vqs = [f"q{i}" for i in range(n)]
    nodes = [N("al", "ALLOC_LQ", vqs, {"n": n}), N("h", "APPLY_H", ["q0"])]
    nodes += [N(f"c{i}", "APPLY_CNOT", [vqs[i], vqs[i + 1]]) for i in range(n - 1)]
    nodes += [N(f"m{i}", "MEASURE_Z", [vqs[i]], produces=[f"e{i}"]) for i in range(n)]
    r = run(prog(*nodes), shots=400, seed=1)
    assert r.telemetry["engine"] == "stabilizer"
    assert set(r.counts) <= {"0" * n, "1" * n}
    assert_5sigma(r.counts, {"0" * n: 0.5, "1" * n: 0.5}, 400)


def test_cancel_stops_a_run():
    ev = threading.Event()
    ev.set()
    with pytest.raises(RunCancelled):
        run(_teleport(1.0, True), shots=100, cancel=ev)


def test_progress_is_reported_per_shot():
    seen = []
    run(_teleport(1.0, True), shots=7, seed=0, progress=lambda d, t: seen.append((d, t)))
    assert (7, 7) in seen


def test_invalid_programs_are_refused_with_diagnostics():
    from qmk.diagnostics import InputError

    p = prog(N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("f", "FREE_LQ", ["q"]), N("h", "APPLY_H", ["q"]))
    with pytest.raises(InputError) as ei:
        run(p, shots=1)
    assert ei.value.diagnostics


def test_random_clifford_programs_agree_between_stim_and_the_state_vector():
    rng = np.random.default_rng(21)
    gates = ["APPLY_H", "APPLY_S", "APPLY_SDG", "APPLY_SX", "APPLY_X", "APPLY_Y", "APPLY_Z", "APPLY_CNOT", "APPLY_CZ",
             "APPLY_SWAP", "APPLY_RX", "APPLY_RY", "APPLY_RZ"]
    for trial in range(4):
        vqs = ["a", "b", "c", "d"]
        nodes = [N("al", "ALLOC_LQ", vqs, {"n": 4})]
        for i in range(40):
            op = str(rng.choice(gates))
            k = 2 if op in ("APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP") else 1
            args = {"theta": float(rng.integers(-3, 4)) * math.pi / 2} if op.startswith("APPLY_R") else {}
            nodes.append(N(f"g{i}", op, [vqs[j] for j in rng.permutation(4)[:k]], args))
        bases = [("MEASURE_Z", {}), ("MEASURE_X", {}), ("MEASURE_Y", {}), ("MEASURE_ANGLE", {"angle": math.pi})]
        for j, v in enumerate(vqs):
            op, args = bases[int(rng.integers(4))]
            nodes.append(N(f"m{j}", op, [v], args, produces=[f"e{j}"]))
        p = prog(*nodes)
        eng = StateVector(np.random.default_rng(0))
        m = Machine(eng, p, deferred=True)
        m.run()
        probs = eng.probabilities([s for _, s in m.pending])
        exact = {format(i, "04b"): float(x) for i, x in enumerate(probs) if x > 1e-12}
        shots = 8000
        r = run(p, shots=shots, seed=trial, engine="stabilizer")
        assert_5sigma(r.counts, exact, shots)
        assert_5sigma(run(p, shots=shots, seed=trial, engine="statevector").counts, exact, shots)


def test_stim_engine_bases_and_pauli_products_are_deterministic_on_eigenstates():
    from qmk.runtime.stabilizer import StimEngine

    for seed in range(5):
        e = StimEngine(np.random.default_rng(seed))
        a, b, c = e.allocate(), e.allocate(), e.allocate()
        e.apply("APPLY_H", [a])  # |+>
        e.apply("APPLY_H", [b])
        e.apply("APPLY_S", [b])  # |+i>
        e.apply("APPLY_X", [c])  # |1>
        assert (e.measure(a, "X"), e.measure(b, "Y"), e.measure(c, "Z")) == (0, 0, 1)
        assert e.measure(c, "ANGLE", math.pi) == 0  # -Z on |1> is +1
        assert e.measure(a, "ANGLE", math.pi / 2) == 0  # X on |+>
        e.apply("APPLY_CNOT", [a, c])  # |+>|1> -> Psi+ : XX = +1, ZZ = -1
        assert (e.measure_pauli([a, c], "XX"), e.measure_pauli([a, c], "ZZ")) == (0, 1)
        e.release(a)
        assert e.num_qubits == 2 and e.allocate() == a  # slots are reused after release


def test_mid_circuit_feedback_agrees_between_the_executor_and_the_stim_circuit():
    """Independent code paths: the executor on the state vector (shot by shot) and the whole program
    translated to one stim circuit (record-controlled Paulis). Two-sample 5-sigma bound per outcome."""
    rng = np.random.default_rng(5)
    for trial in range(3):
        vqs = ["a", "b", "c"]
        nodes = [N("al", "ALLOC_LQ", vqs, {"n": 3})]
        ev = []
        for i in range(24):
            r = rng.random()
            q = [vqs[j] for j in rng.permutation(3)]
            if r < 0.45:
                nodes.append(N(f"g{i}", str(rng.choice(["APPLY_H", "APPLY_S", "APPLY_SX"])), q[:1]))
            elif r < 0.7:
                nodes.append(N(f"g{i}", "APPLY_CNOT", q[:2]))
            elif r < 0.8:
                nodes.append(N(f"m{i}", str(rng.choice(["MEASURE_Z", "MEASURE_X"])), q[:1], produces=[f"e{i}"]))
                ev.append(f"e{i}")
            elif r < 0.9 and ev:
                nodes.append(N(f"c{i}", "COND_PAULI", q[:2], {"mask": str(rng.choice(["XZ", "YI", "ZX"]))},
                               inputs=tuple(rng.choice(ev, size=min(2, len(ev)), replace=False))))
            else:
                nodes.append(N(f"r{i}", "RESET", q[:1]))
        nodes += [N(f"f{j}", "MEASURE_Z", [v], produces=[f"z{j}"]) for j, v in enumerate(vqs)]
        p = prog(*nodes)
        shots = 4000
        a = run(p, shots=shots, seed=trial, engine="statevector").counts
        b = run(p, shots=shots, seed=trial + 100, engine="stabilizer").counts
        assert run(p, shots=10, seed=0, engine="stabilizer").telemetry["mode"] == "sampled"
        for k in set(a) | set(b):
            pa, pb = a.get(k, 0) / shots, b.get(k, 0) / shots
            pm = (pa + pb) / 2
            assert abs(pa - pb) <= 5 * math.sqrt(2 * pm * (1 - pm) / shots) + 2 / shots, (k, a.get(k), b.get(k))

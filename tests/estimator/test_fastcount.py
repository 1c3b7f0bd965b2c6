"""The byte-level counting path gives exactly the Node-level counts, and declines what it cannot vouch for."""

import math
import random

from qmk.estimator.counts import count_program
from qmk.estimator.fastcount import count_qvm_bytes
from qmk.ir import Node, make_program
from qmk.qvmjson import dumps

OPS1 = ("APPLY_H", "APPLY_T", "APPLY_TDG", "APPLY_S", "APPLY_X", "APPLY_RZ", "APPLY_RX", "APPLY_RY", "MEASURE_Z",
        "RESET", "INJECT_T_STATE", "APPLY_U", "MEASURE_ANGLE")
OPS2 = ("APPLY_CNOT", "APPLY_CZ", "APPLY_SWAP", "TELEPORT_CNOT", "MEASURE_BELL")


def random_program(seed: int, n: int = 400):
    rng = random.Random(seed)
    qs = [f"q{i}" for i in range(6)]
    nodes = [Node("a", "ALLOC_LQ", tuple(qs), {"n": 6})]
    extra = 0
    for i in range(n):
        k = rng.random()
        angle = rng.choice([0.1 * rng.random(), math.pi / 4 * rng.randint(-9, 9), math.pi / 2])
        if k < 0.55:
            op = rng.choice(OPS1)
            args = {"theta": angle} if op in ("APPLY_RZ", "APPLY_RX", "APPLY_RY") else {}
            if op == "APPLY_U":
                args = {"theta": angle, "phi": 0.2, "lam": math.pi / 4}
            if op == "MEASURE_ANGLE":
                args = {"angle": angle}
            prod = (f"e{i}",) if op.startswith("MEASURE") else ()
            nodes.append(Node(f"n{i}", op, (rng.choice(qs),), args, produces=prod))
        elif k < 0.85:
            a, b = rng.sample(qs, 2)
            op = rng.choice(OPS2)
            prod = (f"e{i}", f"f{i}") if op == "MEASURE_BELL" else ()
            nodes.append(Node(f"n{i}", op, (a, b), produces=prod))
        elif k < 0.95:
            nodes.append(Node(f"n{i}", rng.choice(("APPLY_CCX", "APPLY_CCZ")), tuple(rng.sample(qs, 3))))
        else:
            extra += 1
            q = f"x{extra}"
            nodes.append(Node(f"n{i}", "ALLOC_LQ", (q,), {"n": 1}))
            nodes.append(Node(f"g{i}", "APPLY_RZ", (q,), {"theta": 0.3}))
            nodes.append(Node(f"f{i}", "FREE_LQ", (q,)))
    return make_program(nodes)


def test_fast_path_equals_node_path_on_random_programs():
    for seed in range(25):
        p = random_program(seed)
        assert count_qvm_bytes(dumps(p)) == count_program(p), seed


def test_fast_path_reads_required_num_qubits():
    p = random_program(1)
    p.metadata = {"qir": {"required_num_qubits": 40}}
    assert count_qvm_bytes(dumps(p)).num_qubits == 40


def test_fast_path_declines_what_it_cannot_vouch_for():
    data = dumps(random_program(2))
    assert count_qvm_bytes(data.replace(b'"APPLY_H"', b'"APPLY_BOGUS"')) is None
    assert count_qvm_bytes(b'{"version": "0.2", "program": {"nodes": [') is None
    assert count_qvm_bytes(data.replace(b'{"id":', b'{ "id":', 1)) is None
    assert count_qvm_bytes(b"OPENQASM 2.0;") is None

"""Random programs built with pyqir's builder: .ll and .bc give the same QVM, the fast text path and the
pyqir walk agree, and QIR -> QVM -> QIR -> QVM is the identity. Seeded, so failures reproduce."""

from __future__ import annotations

import random

import pyqir
import pyqir.qis as qis
import pyqir.rt as rt
import pytest

from qmk import qvmjson
from qmk.frontends import llvm_walk, lower_bytes
from qmk.frontends.emit_qir import to_bitcode, to_ll

ONE_Q = [qis.h, qis.x, qis.y, qis.z, qis.s, qis.s_adj, qis.t, qis.t_adj, qis.reset]
TWO_Q = [qis.cx, qis.cz, qis.swap]
ROT = [qis.rx, qis.ry, qis.rz]


def random_program(seed: int) -> str:
    rng = random.Random(seed)
    nq, nr = rng.randint(1, 6), rng.randint(1, 4)
    m = pyqir.SimpleModule(f"r{seed}", nq, nr)
    b = m.builder
    measured = set()
    for _ in range(rng.randint(1, 40)):
        k = rng.random()
        q = rng.randrange(nq)
        if k < 0.35:
            rng.choice(ONE_Q)(b, m.qubits[q])
        elif k < 0.55:
            rng.choice(ROT)(b, rng.uniform(-7, 7), m.qubits[q])
        elif k < 0.75 and nq > 1:
            a, c = rng.sample(range(nq), 2)
            rng.choice(TWO_Q)(b, m.qubits[a], m.qubits[c])
        elif k < 0.8 and nq > 2:
            a, c, t = rng.sample(range(nq), 3)
            qis.ccx(b, m.qubits[a], m.qubits[c], m.qubits[t])
        else:
            r = rng.randrange(nr)
            qis.mz(b, m.qubits[q], m.results[r])
            measured.add(r)
    for r in sorted(measured):
        rt.result_record_output(b, m.results[r], m.add_byte_string(f"r{r}".encode()))
    return m.ir()


@pytest.mark.parametrize("seed", range(25))
def test_random_program_all_paths_agree(seed, monkeypatch):
    text = random_program(seed)
    bc = pyqir.Module.from_ir(pyqir.Context(), text).bitcode
    from_ll = lower_bytes(text.encode(), "p.ll")
    from_bc = lower_bytes(bc, "p.bc")
    assert qvmjson.dumps(from_ll) == qvmjson.dumps(from_bc)
    with monkeypatch.context() as mp:
        mp.setattr(llvm_walk, "scan", lambda *a: None)
        assert qvmjson.dumps(lower_bytes(text.encode(), "p.ll")) == qvmjson.dumps(from_ll)
    back = lower_bytes(to_ll(from_ll).encode(), "back.ll")
    assert [(n.op, n.vqs, dict(n.args), n.produces) for n in back.nodes] == [
        (n.op, n.vqs, dict(n.args), n.produces) for n in from_ll.nodes
    ]
    assert back.outputs == from_ll.outputs and back.resources == from_ll.resources
    assert qvmjson.dumps(lower_bytes(to_bitcode(back), "b.bc")) == qvmjson.dumps(back)

"""qir-runner (PyPI ``qirrunner``) as an outside oracle, when it is installed: the same records byte for
byte on a deterministic program, and its histogram of the repeat-until-success program agrees with the
dense-matrix reference our own runs are checked against. Skipped without qirrunner."""

from __future__ import annotations

import pytest
from qmk.runtime.qir_jit import run_qir
from rt_helpers import assert_5sigma
from test_qir_jit import _rus_gate_reference, merge_tail
from test_qir_jit_progs import NESTED, RUS_GATE

qirrunner = pytest.importorskip("qirrunner")


def _qir_runner(data: bytes, shots: int, seed: int) -> str:
    h = qirrunner.OutputHandler()
    qirrunner.run_bytes(data, shots=shots, rng_seed=seed, output_fn=h.handle)
    return h.get_output()


def test_records_are_byte_identical_to_qir_runner():
    assert run_qir(NESTED, shots=3, seed=1, keep_shots=True).records() == _qir_runner(NESTED, 3, 1)


def test_qir_runner_agrees_with_the_reference_our_runs_are_checked_against():
    shots = 4000
    counts: dict = {}
    for line in _qir_runner(RUS_GATE, shots, 9).splitlines():
        if line.startswith("OUTPUT\tRESULT"):
            bit = line.split("\t")[2]
        elif line.startswith("OUTPUT\tINT"):
            key = f"{bit} {line.split(chr(9))[2]}"
            counts[key] = counts.get(key, 0) + 1
    got = merge_tail(counts, lambda k: (k.split()[0], int(k.split()[1])), 4)
    ref: dict = {}
    for (b, n), p in _rus_gate_reference().items():
        key = (b, n if n < 4 else "tail")
        ref[key] = ref.get(key, 0.0) + p
    assert_5sigma(got, ref, shots)

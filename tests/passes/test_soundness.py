"""Soundness: every transform pass and every preset keeps what a program computes.

Unitary programs: the output's unitary times ``e^{i metadata.global_phase}`` equals the input's exactly
(so the global phase bookkeeping is checked too). Programs with measurements: the exact probability
of every tuple of event values is unchanged (every outcome branch enumerated). The reference is
tests/passes/opt_refsim.py, not the runtime. The input is never mutated, and outputs verify.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opt_programs import mixed_programs, unitary_programs
from opt_refsim import distribution, equal_up_to_phase, same_distribution, unitary
from qmk.passes.pipeline import PRESETS, parse, run
from qmk.passes.registry import PassContext

from qmk.qvmjson import dumps

EXAMPLES = int(os.environ.get("QMK_SOUNDNESS_EXAMPLES", "40"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PIPELINES = [
    "cancel-inverses",
    "merge-rotations",
    "fuse-1q",
    "fuse-1q<form=zyz>",
    "phase-folding",
    "hadamard-reduction",
    "hadamard-reduction,phase-folding",
    "pauli-folding",
    "fixpoint(phase-folding,pauli-folding,cancel-inverses)",
    "lower-to<clifford+t>",
    "lower-to<cx,rz,sx,x>",
    "lower-to<cz,u>",
    "canonicalize-measurements",
    "dce",
    PRESETS["1"],
    PRESETS["2"],
    PRESETS["3"],
]


@pytest.fixture(autouse=True, params=["python", "kernels"])
def _both_paths(request):
    """Every check runs on both paths of the passes that have compiled kernels (passes/packed.py): the
    Python one, which small programs take, and the numba one, which big programs take."""
    old = os.environ.get("QMK_OPT_KERNELS")
    os.environ["QMK_OPT_KERNELS"] = "never" if request.param == "python" else "always"
    yield
    if old is None:
        del os.environ["QMK_OPT_KERNELS"]
    else:
        os.environ["QMK_OPT_KERNELS"] = old


def _verify_errors(program):
    from qmk.passes.verify import verify

    return [d for d in verify(program) if d.is_error]


def optimize(program, text):
    before = dumps(program)
    out = run(program, parse(text), PassContext())
    assert dumps(program) == before, "a pass changed its input"
    assert not _verify_errors(out), _verify_errors(out)
    return out


def check_unitary(program, text):
    out = optimize(program, text)
    a, b = unitary(program), unitary(out)
    assert abs(a - b).max() < 1e-8, (text, str(program), str(out))
    return out


def check_distribution(program, text):
    out = optimize(program, text)
    assert same_distribution(distribution(program), distribution(out)), (text, str(program), str(out))
    return out


@pytest.mark.parametrize("text", PIPELINES)
@SETTINGS
@given(program=unitary_programs())
def test_unitary_programs_keep_their_unitary_including_global_phase(text, program):
    check_unitary(program, text)


@pytest.mark.parametrize("text", PIPELINES)
@SETTINGS
@given(program=unitary_programs(max_qubits=4, max_gates=60, clifford_t_only=True))
def test_clifford_t_programs_keep_their_unitary(text, program):
    out = check_unitary(program, text)
    if "lower-to" not in text:
        from qmk.passes.counts import counts_of

        before, after = counts_of(program), counts_of(out)
        assert after["t_count"] <= before["t_count"]
        assert after["two_qubit"] <= before["two_qubit"]


@pytest.mark.parametrize("text", PIPELINES)
@SETTINGS
@given(program=mixed_programs())
def test_programs_with_measurements_keep_their_outcome_distribution(text, program):
    check_distribution(program, text)


def test_up_to_phase_helper_rejects_different_unitaries():
    import numpy as np

    a = np.eye(2, dtype=complex)
    assert equal_up_to_phase(a, 1j * a)
    assert not equal_up_to_phase(a, np.diag([1, -1]).astype(complex))


@pytest.mark.parametrize("kind", ["unitary", "mixed"])
@SETTINGS
@given(data=st.data())
def test_phase_folding_stays_sound_when_it_compacts_after_every_fresh_variable(kind, data):
    import qmk.passes.phase_folding as pf

    saved, pf.COMPACT_SLACK = pf.COMPACT_SLACK, -100
    try:
        if kind == "unitary":
            check_unitary(data.draw(unitary_programs(max_gates=60)), "phase-folding")
        else:
            check_distribution(data.draw(mixed_programs()), "phase-folding")
    finally:
        pf.COMPACT_SLACK = saved

"""Noise rates against analytic values; counts keys, records and JSON output."""

from __future__ import annotations

import json

import pytest
from qmk.runtime import run
from qmk.runtime.noise import logical_error_rate, parse_noise
from qmk.runtime.result import RunResult, ShotRecord, counts_key, format_double, shot_outputs
from rt_helpers import N, assert_5sigma, prog

from qmk.diagnostics import UsageError


def test_logical_error_rate_is_the_estimators_formula():
    # a (p/p_th)^((d+1)//2): surface d=3, p=1e-3 -> 0.03 * 0.1^2; floquet d=5 -> 0.07 * 0.1^3
    assert logical_error_rate("surface_code", 3, 1e-3) == pytest.approx(3e-4)
    assert logical_error_rate("surface_code", 4, 1e-3) == pytest.approx(0.03 * 0.1 ** 2)  # integer division
    assert logical_error_rate("floquet_code", 5, 1e-3) == pytest.approx(7e-5)
    with pytest.raises(UsageError, match="threshold"):
        logical_error_rate("surface_code", 3, 0.02)


def test_noise_specs_parse_or_fail_clearly():
    assert parse_noise(None) is None and parse_noise("none") is None
    assert parse_noise("depolarizing:0.25").p == 0.25
    assert parse_noise("logical", 2e-3).rate("logical:surface_code(d=3)") == pytest.approx(0.03 * 0.2 ** 2)
    for bad in ("depolarizing:2", "depolarizing:x", "thermal"):
        with pytest.raises(UsageError):
            parse_noise(bad)


def _x_then_measure(profile=None):
    args = {"n": 1, **({"profile": profile} if profile else {})}
    return prog(N("al", "ALLOC_LQ", ["q"], args), N("x", "APPLY_X", ["q"]), N("m", "MEASURE_Z", ["q"], produces=["e"]))


@pytest.mark.parametrize("engine", ["statevector", "stabilizer"])
def test_depolarizing_noise_flips_at_the_analytic_rate(engine):
    # A fault after X and one before the measurement, each X/Y/Z w.p. p/3; X and Y flip a Z outcome.
    p, shots = 0.3, 20000
    q = 2 * p / 3
    flip = q * (1 - q) + (1 - q) * q
    r = run(_x_then_measure(), shots=shots, seed=3, engine=engine, noise="depolarizing:0.3")
    assert r.telemetry["engine"] == engine
    assert_5sigma(r.counts, {"0": flip, "1": 1 - flip}, shots)


@pytest.mark.parametrize("engine", ["statevector", "stabilizer"])
def test_logical_noise_uses_each_qubits_profile(engine):
    # d=1 makes P_L = a (p/p_th)^1 large enough to measure: 0.07 * 0.9 for floquet at p=9e-3.
    pl = logical_error_rate("floquet_code", 1, 9e-3)
    q = 2 * pl / 3
    flip = 2 * q * (1 - q)
    shots = 20000
    r = run(_x_then_measure("logical:floquet_code(d=1)"), shots=shots, seed=5, engine=engine,
            noise="logical", physical_error_rate=9e-3)
    assert_5sigma(r.counts, {"0": flip, "1": 1 - flip}, shots)
    quiet = run(_x_then_measure("logical:surface_code(d=25)"), shots=2000, seed=5, engine=engine, noise="logical")
    assert quiet.counts == {"1": 2000}


def test_no_noise_by_default():
    assert run(_x_then_measure(), shots=1000, seed=1, engine="statevector").counts == {"1": 1000}


def test_counts_key_rules():
    R = lambda v: ("RESULT", v, None)
    assert counts_key([R("1"), R("0"), R("1")]) == "101"
    assert counts_key([("ARRAY", "2", None), R("1"), R("0"), ("ARRAY", "2", None), R("1"), R("1")]) == "10 11"
    assert counts_key([("TUPLE", "2", None), ("ARRAY", "1", None), R("1"), ("INT", "-3", None)]) == "1 -3"
    assert counts_key([("BOOL", "true", None), R("0"), ("DOUBLE", "0.5", None), R("1")]) == "10 0.5 1"
    assert counts_key([]) == ""


def test_doubles_print_like_qir_runner():
    assert [format_double(x) for x in (1.0, 0.75, -3.5, 2.0e20)] == ["1", "0.75", "-3.5", "2e+20"]


def test_outputs_follow_the_program_records():
    spec = [{"type": "TUPLE", "count": 3, "label": "0_t"}, {"type": "RESULT", "event": "a", "label": "1_t0r"},
            {"type": "BOOL", "event": "b", "invert": True, "label": "2_t1b"}, {"type": "INT", "value": 7, "label": "3_t2i"}]
    out = shot_outputs(spec, {"a": 1, "b": 1}, ["a", "b"])
    assert out == (("TUPLE", "3", "0_t"), ("RESULT", "1", "1_t0r"), ("BOOL", "false", "2_t1b"), ("INT", "7", "3_t2i"))
    assert shot_outputs([], {"a": 1, "b": 0}, ["b", "a"]) == (("RESULT", "0", "b"), ("RESULT", "1", "a"))


def test_records_are_the_qir_runner_lines():
    r = RunResult({"1": 1, "exit:3": 1}, {0: 1, 3: 1},
                  [ShotRecord((("ARRAY", "1", None), ("RESULT", "1", "r0")), 0), ShotRecord((), 3)],
                  metadata=[("entry_point", None), ("required_num_qubits", "1")])
    assert r.records() == ("START\nMETADATA\tentry_point\nMETADATA\trequired_num_qubits\t1\n"
                           "OUTPUT\tARRAY\t1\nOUTPUT\tRESULT\t1\tr0\nEND\t0\n"
                           "START\nMETADATA\tentry_point\nMETADATA\trequired_num_qubits\t1\nEND\t3\n")


def test_json_has_counts_shots_and_telemetry():
    p = prog(N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("h", "APPLY_H", ["q"]), N("t", "APPLY_T", ["q"]),
             N("m", "MEASURE_Z", ["q"], produces=["e"]), outputs=[{"type": "RESULT", "event": "e", "label": "r"}])
    r = run(p, shots=10, seed=0, keep_shots=True)
    d = json.loads(r.dumps_json())
    assert sum(d["counts"].values()) == 10 and len(d["shots"]) == 10
    for k in ("engine", "peak_qubits", "epochs", "time_s", "mode"):
        assert k in d["telemetry"]
    assert [s["key"] for s in d["shots"]].count("1") == d["counts"].get("1", 0)


@pytest.mark.parametrize("engine", ["statevector", "stabilizer"])
def test_sampling_in_batches_gives_every_shot(monkeypatch, engine):
    from qmk.runtime import api

    monkeypatch.setattr(api, "BATCH", 7)
    p = prog(N("al", "ALLOC_LQ", ["q"], {"n": 1}), N("h", "APPLY_H", ["q"]), N("m", "MEASURE_Z", ["q"], produces=["e"]))
    r = run(p, shots=100, seed=4, engine=engine, keep_shots=True)
    assert r.num_shots == 100 and len(r.shots) == 100 and r.exit_codes == {0: 100}
    assert r.records() == run(p, shots=100, seed=4, engine=engine, keep_shots=True).records()
    with pytest.raises(UsageError):
        run(p, shots=api.MAX_KEPT_SHOTS + 1, keep_shots=True, engine=engine)

"""The QIR JIT (``qmk.runtime.qir_jit.run_qir``): adaptive programs run shot by shot, checked against
analytic distributions and dense-matrix references written here (seeded, 5 sigma)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from qmk.runtime.qir_jit import run_qir
from rt_helpers import REFERENCE, assert_5sigma, full_operator
from test_qir_jit_progs import ARITH, DYN_LOOP, EXIT, NESTED, RUS_COIN, RUS_GATE, module, q

from qmk.diagnostics import InputError

SHOTS = 4000


def merge_tail(counts: dict[str, int], key, cut: int) -> dict:
    """Counts keyed by ``key(outcome)``, with every key whose int part >= cut merged into 'tail'."""
    out: dict = {}
    for k, c in counts.items():
        kk = key(k)
        if kk[-1] >= cut:
            kk = kk[:-1] + ("tail",)
        out[kk] = out.get(kk, 0) + c
    return out


def test_repeat_until_success_coin_loop_is_geometric():
    r = run_qir(RUS_COIN, shots=SHOTS, seed=11)
    assert r.exit_codes == {0: SHOTS}
    # the loop ends on the first 0: n rounds with probability 2^-n; the recorded result is always 0
    got = merge_tail(r.counts, lambda k: (k.split()[0], int(k.split()[1])), 8)
    probs = {("0", n): 2.0 ** -n for n in range(1, 8)}
    probs[("0", "tail")] = 2.0 ** -7
    assert_5sigma(got, probs, SHOTS)


def _rus_gate_reference(max_rounds: int = 40) -> dict:
    """P(rounds = k, target = b) from dense matrices: Kraus operators of one round on the target."""
    h, t = REFERENCE["APPLY_H"]({}), REFERENCE["APPLY_T"]({})
    cnot = REFERENCE["APPLY_CNOT"]({})
    u = np.eye(4, dtype=complex)
    for g, qs in [(h, [0]), (t, [0]), (cnot, [0, 1]), (h, [0]), (cnot, [0, 1]), (t, [0]), (h, [0])]:
        u = full_operator(g, qs, 2) @ u
    # K_b = <b|_a U |0>_a acting on the target (the ancilla is the MSB)
    k0, k1 = u[0:2, 0:2], u[2:4, 0:2]
    psi = REFERENCE["APPLY_RY"]({"theta": 0.7}) @ h @ np.array([1, 0], dtype=complex)
    probs = {}
    for n in range(1, max_rounds + 1):
        out = k0 @ psi
        for b in (0, 1):
            probs[(str(b), n)] = abs(out[b]) ** 2
        psi = k1 @ psi
    return probs


def test_repeat_until_success_gate_matches_dense_kraus_reference():
    probs = _rus_gate_reference()
    assert abs(sum(probs.values()) - 1) < 1e-9
    r = run_qir(RUS_GATE, shots=SHOTS, seed=5)
    got = merge_tail(r.counts, lambda k: (k.split()[0], int(k.split()[1])), 4)
    ref: dict = {}
    for (b, n), p in probs.items():
        key = (b, n if n < 4 else "tail")
        ref[key] = ref.get(key, 0.0) + p
    assert_5sigma(got, ref, SHOTS)


def test_integer_arithmetic_on_results_is_consistent_and_uniform():
    r = run_qir(ARITH, shots=SHOTS, seed=2, keep_shots=True)
    for s in r.shots:
        vals = [v for _t, v, _l in s.outputs]
        bits = [int(b) for b in vals[1:4]]
        v = bits[0] + 2 * bits[1] + 4 * bits[2]
        assert vals[4:] == [str(v), str(v // 2), str(-v)]
    values = {}
    for s in r.shots:
        values[s.outputs[4][1]] = values.get(s.outputs[4][1], 0) + 1
    assert_5sigma(values, {str(v): 1 / 8 for v in range(8)}, SHOTS)


def test_dynamic_qubits_in_a_loop_give_independent_fair_bits():
    r = run_qir(DYN_LOOP, shots=SHOTS, seed=9)
    assert r.telemetry["peak_qubits"] == 1  # each round's qubit is released before the next
    ones = {}
    for k, c in r.counts.items():
        assert len(k) == 5 and set(k) <= {"0", "1"}
        ones[k.count("1")] = ones.get(k.count("1"), 0) + c
    assert_5sigma(ones, {j: math.comb(5, j) / 32 for j in range(6)}, SHOTS)


def test_nested_outputs_and_labels_print_as_qir_records():
    r = run_qir(NESTED, shots=2, seed=1, keep_shots=True)
    shot = (
        "START\n"
        "METADATA\tentry_point\nMETADATA\toutput_labeling_schema\nMETADATA\tqir_profiles\tadaptive_profile\n"
        "METADATA\trequired_num_qubits\t2\nMETADATA\trequired_num_results\t2\n"
        "OUTPUT\tTUPLE\t2\ttop\nOUTPUT\tARRAY\t2\tarr\nOUTPUT\tRESULT\t0\tfirst\nOUTPUT\tRESULT\t1\n"
        "OUTPUT\tTUPLE\t3\tinner\nOUTPUT\tBOOL\ttrue\tflag\nOUTPUT\tINT\t-3\tnum\nOUTPUT\tDOUBLE\t0.75\tx\n"
        "END\t0\n"
    )
    assert r.records() == shot * 2
    assert r.counts == {"01 1 -3 0.75": 2}


def test_failing_shots_record_no_output_and_report_their_exit_code():
    r = run_qir(EXIT, shots=SHOTS, seed=4, keep_shots=True)
    assert set(r.exit_codes) == {0, 3}
    assert r.counts == {"0": r.exit_codes[0], "exit:3": r.exit_codes[3]}
    assert_5sigma({c: n for c, n in r.exit_codes.items()}, {0: 0.5, 3: 0.5}, SHOTS)
    for s in r.shots:
        assert (s.code, s.outputs) in ((0, (("RESULT", "0", "r"),)), (3, ()))
    assert "END\t3\n" in r.records() and "OUTPUT\tRESULT\t1" not in r.records()


def test_same_seed_same_result_byte_for_byte_and_other_seeds_differ():
    a = run_qir(RUS_GATE, shots=300, seed=123, keep_shots=True).records()
    b = run_qir(RUS_GATE, shots=300, seed=123, keep_shots=True).records()
    c = run_qir(RUS_GATE, shots=300, seed=124, keep_shots=True).records()
    assert a == b and a != c


@pytest.mark.parametrize("rot,theta", [("rx", 1.1), ("ry", 2.3), ("rz", 0.4)])
def test_rotation_then_measure_matches_sin_squared(rot, theta):
    # rz is sandwiched by H so that it changes the Z statistics: H RZ(t) H |0> gives P(1) = sin^2(t/2)
    pre = f"  call void @__quantum__qis__h__body({q(0)})\n" if rot == "rz" else ""
    body = f"""
entry:
{pre}  call void @__quantum__qis__{rot}__body(double {theta!r}, {q(0)})
{pre}  call void @__quantum__qis__mz__body({q(0)}, {q(0)})
  call void @__quantum__rt__result_record_output({q(0)}, ptr null)
  ret i64 0
"""
    r = run_qir(module(body, nq=1, nr=1), shots=SHOTS, seed=7)
    p1 = math.sin(theta / 2) ** 2
    assert_5sigma(r.counts, {"0": 1 - p1, "1": p1}, SHOTS)


def test_more_qubits_than_the_small_engine_switches_to_numpy_with_same_physics():
    n = 8  # GHZ on 8 qubits: only all-zeros and all-ones
    lines = ["entry:", f"  call void @__quantum__qis__h__body({q(0)})"]
    lines += [f"  call void @__quantum__qis__cnot__body({q(i)}, {q(i + 1)})" for i in range(n - 1)]
    lines += [f"  call void @__quantum__qis__mz__body({q(i)}, {q(i)})" for i in range(n)]
    lines += [f"  call void @__quantum__rt__result_record_output({q(i)}, ptr null)" for i in range(n)]
    lines += ["  ret i64 0"]
    r = run_qir(module("\n".join(lines), nq=n, nr=n), shots=SHOTS, seed=3)
    assert r.telemetry["jit_engine"] == "statevector" and r.telemetry["peak_qubits"] == n
    assert_5sigma(r.counts, {"0" * n: 0.5, "1" * n: 0.5}, SHOTS)


def test_both_engines_agree_on_the_rus_gate_distribution():
    probs = _rus_gate_reference()
    r = run_qir(RUS_GATE, shots=SHOTS, seed=8, engine="statevector")
    assert r.telemetry["jit_engine"] == "statevector"
    got = merge_tail(r.counts, lambda k: (k.split()[0], int(k.split()[1])), 3)
    ref: dict = {}
    for (b, k), p in probs.items():
        key = (b, k if k < 3 else "tail")
        ref[key] = ref.get(key, 0.0) + p
    assert_5sigma(got, ref, SHOTS)


def test_void_entry_point_typed_pointers_and_legacy_forms():
    # QIR 1.0 text (typed pointers), a void entry point, 1-arg m__body returning a Result, result_equal
    # with result_get_one, a 0-arg qubit_allocate, and 1-arg (unlabelled) recording.
    text = b"""
%Qubit = type opaque
%Result = type opaque
define void @main() #0 {
entry:
  %q = call %Qubit* @__quantum__rt__qubit_allocate()
  call void @__quantum__qis__x__body(%Qubit* %q)
  %r = call %Result* @__quantum__qis__m__body(%Qubit* %q)
  %one = call %Result* @__quantum__rt__result_get_one()
  %eq = call i1 @__quantum__rt__result_equal(%Result* %r, %Result* %one)
  call void @__quantum__rt__bool_record_output(i1 %eq)
  call void @__quantum__rt__result_record_output(%Result* %r)
  call void @__quantum__rt__qubit_release(%Qubit* %q)
  call void @__quantum__qis__h__body(%Qubit* null)
  call void @__quantum__qis__s__adj(%Qubit* null)
  call void @__quantum__qis__s__body(%Qubit* null)
  call void @__quantum__qis__h__body(%Qubit* null)
  call void @__quantum__qis__mz__body(%Qubit* null, %Result* inttoptr (i64 1 to %Result*))
  call void @__quantum__rt__result_record_output(%Result* inttoptr (i64 1 to %Result*))
  ret void
}
declare %Qubit* @__quantum__rt__qubit_allocate()
declare void @__quantum__rt__qubit_release(%Qubit*)
declare void @__quantum__qis__x__body(%Qubit*)
declare void @__quantum__qis__h__body(%Qubit*)
declare void @__quantum__qis__s__body(%Qubit*)
declare void @__quantum__qis__s__adj(%Qubit*)
declare %Result* @__quantum__qis__m__body(%Qubit*)
declare void @__quantum__qis__mz__body(%Qubit*, %Result*)
declare %Result* @__quantum__rt__result_get_one()
declare i1 @__quantum__rt__result_equal(%Result*, %Result*)
declare void @__quantum__rt__bool_record_output(i1)
declare void @__quantum__rt__result_record_output(%Result*)
attributes #0 = { "entry_point" }
"""
    r = run_qir(text, shots=50, seed=1, keep_shots=True)
    # x then m gives 1 (equal to One); H Sdg S H is the identity, so result 1 is 0
    assert r.counts == {"110": 50}
    assert r.shots[0].outputs == (("BOOL", "true", None), ("RESULT", "1", None), ("RESULT", "0", None))


def test_bitcode_built_with_pyqir_runs():
    pyqir = pytest.importorskip("pyqir")
    mod = pyqir.SimpleModule("bell", 2, 2)
    qis = pyqir.BasicQisBuilder(mod.builder)
    qis.h(mod.qubits[0])
    qis.cx(mod.qubits[0], mod.qubits[1])
    qis.mz(mod.qubits[0], mod.results[0])
    qis.mz(mod.qubits[1], mod.results[1])
    r = run_qir(mod.bitcode(), name="bell.bc", shots=SHOTS, seed=6)
    assert_5sigma(r.counts, {"00": 0.5, "11": 0.5}, SHOTS)


def test_entry_point_selection():
    two = module(f"entry:\n  call void @__quantum__qis__x__body({q(0)})\n"
                 f"  call void @__quantum__qis__mz__body({q(0)}, {q(0)})\n"
                 f"  call void @__quantum__rt__result_record_output({q(0)}, ptr null)\n  ret i64 0",
                 extra='define i64 @other() #0 {\n  call void @__quantum__qis__mz__body(ptr null, ptr null)\n'
                       '  call void @__quantum__rt__result_record_output(ptr null, ptr null)\n  ret i64 0\n}')
    with pytest.raises(InputError, match="2 entry points"):
        run_qir(two, shots=1)
    assert run_qir(two, shots=3, entry="main").counts == {"1": 3}
    assert run_qir(two, shots=3, entry="other").counts == {"0": 3}
    with pytest.raises(InputError, match="no defined function named 'nope'"):
        run_qir(two, shots=1, entry="nope")


def test_unknown_declared_functions_are_named_before_running():
    text = module(f"entry:\n  call void @__quantum__qis__frobnicate__body({q(0)})\n"
                  f"  call void @mystery(i64 1)\n  ret i64 0",
                  sigs={"__quantum__qis__frobnicate__body": "void (ptr)"})
    text += b"declare void @mystery(i64)\n"
    with pytest.raises(InputError) as e:
        run_qir(text, shots=1)
    assert "__quantum__qis__frobnicate__body (void (ptr))" in e.value.message
    assert "mystery (void (i64))" in e.value.message


def test_wrong_signature_of_a_known_function_is_refused():
    text = module(f"entry:\n  call void @__quantum__qis__h__body(double 1.0, {q(0)})\n  ret i64 0",
                  sigs={"__quantum__qis__h__body": "void (double, ptr)"})
    with pytest.raises(InputError, match=r"__quantum__qis__h__body \(void \(double, ptr\)\)"):
        run_qir(text, shots=1)


def test_not_llvm_is_a_clear_input_error():
    with pytest.raises(InputError, match="not a valid LLVM module"):
        run_qir(b"define i64 @main( {", name="bad.ll")
    with pytest.raises(InputError, match="no entry point"):
        run_qir(b"define i64 @f() {\n  ret i64 0\n}\n")


def test_progress_is_reported_and_telemetry_filled():
    seen = []
    r = run_qir(RUS_COIN, shots=500, seed=1, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][1] == 500 and all(d <= 500 for d, _ in seen)
    t = r.telemetry
    assert t["jit"] == "llvmlite-mcjit" and t["shots"] == 500 and t["steps"] > 0 and t["time_s"] > 0


def test_qmk_run_cli_runs_adaptive_qir_through_the_jit(cli, tmp_path):
    path = tmp_path / "rus.ll"
    path.write_bytes(RUS_COIN)
    r = cli("qmk-run", "--shots", "3", "--seed", "5", "--format", "records", str(path))
    assert r.returncode == 0, r.stderr
    out = r.stdout.decode()
    assert out.count("START\n") == 3 and out.count("END\t0\n") == 3
    again = cli("qmk-run", "--shots", "3", "--seed", "5", "--format", "records", str(path))
    assert again.stdout == r.stdout
    assert out == run_qir(RUS_COIN, shots=3, seed=5, keep_shots=True).records()


def test_qmk_run_cli_reports_a_broken_limit_with_exit_code_3(cli, tmp_path):
    path = tmp_path / "spin.ll"
    path.write_bytes(module(f"""
entry:
  br label %loop
loop:
  %r = call i1 @__quantum__rt__read_result({q(0)})
  br i1 %r, label %done, label %loop
done:
  ret i64 0
"""))
    r = cli("qmk-run", "--shots", "2", "--max-steps", "500", str(path))
    assert r.returncode == 3
    err = r.stderr.decode()
    assert "exceeded the step budget of 500 steps" in err and "Traceback" not in err


def test_dynamic_qubits_take_the_native_path_up_to_the_table_size_and_python_after():
    r = run_qir(DYN_LOOP, shots=200, seed=1)
    # per shot: 5 allocations, 5 releases and 6 records reach Python; H and mz stay native, except an mz
    # that finds the draw buffer (512 draws; 10 measurements a shot, releases included) empty
    assert r.telemetry["python_calls"] <= 16 * 200 + 10 * 200 // 512 + 1
    many = module(f"""
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i1, %loop ]
  %qb = call ptr @__quantum__rt__qubit_allocate(ptr null)
  call void @__quantum__qis__x__body(ptr %qb)
  call void @__quantum__qis__mz__body(ptr %qb, {q(0)})
  call void @__quantum__rt__qubit_release(ptr %qb)
  %i1 = add i64 %i, 1
  %more = icmp slt i64 %i1, 300
  br i1 %more, label %loop, label %done
done:
  call void @__quantum__rt__result_record_output({q(0)}, ptr null)
  ret i64 0
""", nq=None, nr=1)
    r = run_qir(many, shots=3, seed=1)  # handles past the native table (256) go through Python
    assert r.counts == {"1": 3} and r.telemetry["peak_qubits"] == 1

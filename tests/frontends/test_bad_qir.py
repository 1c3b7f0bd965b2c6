"""Bad QIR input: exit 3 with a clear message, quickly, never a traceback."""

from __future__ import annotations

import os
import random

import pytest

from qmk.cli.lower import main

from . import qir_corpus as C


def run(tmp_path, data: bytes, *args, name="in.ll"):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SystemExit) as e:
        main([*args, str(path)])
    return e.value.code


def expect3(tmp_path, capsys, data: bytes, *args, code: str | None = None, name="in.ll", words=()):
    rc = run(tmp_path, data, *args, name=name)
    err = capsys.readouterr().err
    assert rc == 3, err
    assert "Traceback" not in err and "panicked" not in err
    if code:
        assert f"[{code}]" in err, err
    for w in words:
        assert w in err, err
    return err


BELL_BC = C.bitcode(C.bell())


def test_empty_input(tmp_path, capsys):
    expect3(tmp_path, capsys, b"", code="QMK700")


def test_truncated_bitcode(tmp_path, capsys):
    expect3(tmp_path, capsys, BELL_BC[: len(BELL_BC) // 2], code="QMK701", name="x.bc")


@pytest.mark.parametrize("magic", [b"BC\xc0\xde", b"\xde\xc0\x17\x0b"])
def test_random_bytes_behind_a_valid_magic(tmp_path, capsys, magic):
    rng = random.Random(7)
    expect3(tmp_path, capsys, magic + bytes(rng.randrange(256) for _ in range(4000)), code="QMK701")


def test_bitcode_named_ll_is_read_by_content(tmp_path, capsys):
    assert run(tmp_path, BELL_BC, name="bell.ll") == 0
    assert '"APPLY_CNOT"' in capsys.readouterr().out


def test_llvm_text_named_bc_is_read_by_content_but_refused_when_forced_as_bitcode(tmp_path, capsys):
    assert run(tmp_path, C.bell().encode(), name="bell.bc") == 0
    capsys.readouterr()
    expect3(tmp_path, capsys, C.bell().encode(), "--from", "bc", code="QMK701", name="bell.bc")


def test_random_binary_without_magic(tmp_path, capsys):
    expect3(tmp_path, capsys, os.urandom(0) + bytes(range(256)) * 4, name="x.bin")


def test_syntax_error_has_line_and_column(tmp_path, capsys):
    text = C.bell().replace(
        "call void @__quantum__qis__h__body(ptr null)", "call void @__quantum__qis__h__body(ptr nul)"
    )
    err = expect3(tmp_path, capsys, text.encode(), code="QMK701")
    line = next(i + 1 for i, ln in enumerate(text.splitlines()) if "ptr nul)" in ln)
    assert f"in.ll:{line}:" in err


def test_no_entry_point(tmp_path, capsys):
    text = C.bell().replace('"entry_point" ', "")
    expect3(tmp_path, capsys, text.encode(), code="QMK710", words=["main", "--entry"])


def test_several_entry_points_listed(tmp_path, capsys):
    err = expect3(tmp_path, capsys, C.two_entries().encode(), code="QMK711", words=["first", "second"])
    assert "--entry" in err


def test_entry_point_with_parameters(tmp_path, capsys):
    text = C.module("  ret i64 0", C.DECLS).replace("@main()", "@main(i64 %x)")
    expect3(tmp_path, capsys, text.encode(), code="QMK712")


def test_unknown_qis_function_is_named(tmp_path, capsys):
    text = C.module(
        f"  call void @__quantum__qis__frobnicate__body({C.q(0)})\n  ret i64 0",
        "declare void @__quantum__qis__frobnicate__body(ptr)",
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK702", words=["__quantum__qis__frobnicate__body"])


def test_wrong_arity(tmp_path, capsys):
    text = C.module(
        f"  call void @__quantum__qis__h__body({C.q(0)}, {C.q(1)})\n  ret i64 0",
        "declare void @__quantum__qis__h__body(ptr, ptr)",
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK703", words=["__quantum__qis__h__body"])


@pytest.mark.parametrize("ident", ["4", "-1"])
def test_qubit_id_outside_required_or_negative(tmp_path, capsys, ident):
    text = C.module(
        f"  call void @__quantum__qis__h__body(ptr inttoptr (i64 {ident} to ptr))\n  ret i64 0", C.DECLS, nq=4
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK704")


def test_result_id_outside_required(tmp_path, capsys):
    text = C.module(f"  call void @__quantum__qis__mz__body({C.q(0)}, {C.q(9)})\n  ret i64 0", C.DECLS, nr=2)
    expect3(tmp_path, capsys, text.encode(), code="QMK704", words=["result id 9"])


def test_absurd_required_count_refused_before_allocating(tmp_path, capsys):
    text = C.module("  ret i64 0", C.DECLS, nq=10**12)
    expect3(tmp_path, capsys, text.encode(), code="QMK705")


def test_absurd_static_id_without_required_counts(tmp_path, capsys):
    text = C.module(
        "  call void @__quantum__qis__h__body(ptr inttoptr (i64 5000000000 to ptr))\n  ret i64 0",
        C.DECLS,
        nq=None,
        nr=None,
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK704")


def test_max_qubits_is_configurable(tmp_path, capsys):
    text = C.module("  ret i64 0", C.DECLS, nq=50)
    expect3(tmp_path, capsys, text.encode(), "--max-qubits", "10", code="QMK705")


def test_same_qubit_twice_in_one_gate(tmp_path, capsys):
    text = C.module(f"  call void @__quantum__qis__cnot__body({C.q(1)}, {C.q(1)})\n  ret i64 0", C.DECLS)
    expect3(tmp_path, capsys, text.encode(), code="QMK706")


def test_use_after_release(tmp_path, capsys):
    text = C.module(
        "  %a = call ptr @__quantum__rt__qubit_allocate()\n"
        "  call void @__quantum__rt__qubit_release(ptr %a)\n"
        "  call void @__quantum__qis__h__body(ptr %a)\n  ret i64 0",
        C.DECLS,
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK707")


def test_nan_angle(tmp_path, capsys):
    text = C.module(
        f"  call void @__quantum__qis__rx__body(double 0x7FF8000000000000, {C.q(0)})\n  ret i64 0", C.DECLS
    )
    expect3(tmp_path, capsys, text.encode(), code="QMK708")


def test_infinite_loop(tmp_path, capsys):
    text = C.module("  br label %spin\nspin:\n  br label %spin", C.DECLS)
    expect3(tmp_path, capsys, text.encode(), code="QMK721", words=["%spin"])


def test_bad_profile_is_refused(tmp_path, capsys):
    expect3(tmp_path, capsys, C.bell().encode(), "--profile", "logical:nonsense(d=3)", code="QMK106")


def test_flipped_bytes_in_bitcode_never_crash(tmp_path, capsys):
    """Corrupt bitcode deep inside a valid file: LLVM must refuse it (or read it), never take us down."""
    rng = random.Random(11)
    for _ in range(8):
        data = bytearray(BELL_BC)
        for _ in range(4):
            data[rng.randrange(8, len(data))] ^= 1 << rng.randrange(8)
        rc = run(tmp_path, bytes(data), name="x.bc")
        err = capsys.readouterr().err
        assert rc in (0, 3), err
        assert "Traceback" not in err and "Assertion" not in err

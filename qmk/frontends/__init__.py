"""The frontends of ``qmk-lower``: QIR (bitcode, LLVM text, relaxed text), OpenQASM 2 and QVM JSON in.

``lower_bytes`` is the one entry: it detects the format by content (``detect.py``) and dispatches to
the reader. All QIR readers go through ``builder.QvmBuilder``, so they name and check alike.
Bad input raises ``InputError`` (exit 3) with a QMK7xx diagnostic (``errors.py``); valid QIR whose
control flow cannot be made static raises ``NotStaticError`` (a subclass), which ``qmk-run`` catches.
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, InputError, UsageError
from ..ir import Program
from .detect import FORMATS, detect
from .errors import NotStaticError, fail

__all__ = ["lower_bytes", "detect", "NotStaticError", "FORMATS"]


def lower_bytes(
    data: bytes,
    name: str,
    *,
    fmt: str | None = None,
    entry: str | None = None,
    profile: str | None = None,
    max_qubits: int = 100_000,
) -> Program:
    """Lower one input (bytes) to a QVM Program; ``fmt`` overrides detection (``bc ll qir qasm qvm``)."""
    if fmt is not None and fmt not in FORMATS:
        raise UsageError(f"unknown input format '{fmt}' (one of {', '.join(FORMATS)})")
    if not data.strip():
        raise fail("QMK700", f"{name}: the input is empty")
    kind = fmt or detect(data)
    if kind == "qvm":
        from ..qvmjson import loads

        return loads(data, name)
    if kind == "bc":
        from .qir_llvm import read_bitcode

        return read_bitcode(data, name, entry=entry, profile=profile, max_qubits=max_qubits)
    if kind == "qasm":
        from .qasm import read as read_qasm

        return read_qasm(_text(data, name), name, profile=profile, max_qubits=max_qubits)
    if kind == "qir":
        return _relaxed(data, name, entry, profile, max_qubits)
    from .qir_llvm import LlvmParseError, read_text

    try:
        return read_text(data, name, entry=entry, profile=profile, max_qubits=max_qubits)
    except LlvmParseError as e:
        # Hand-written text with a `define` but without declarations is relaxed QIR, not LLVM: when it
        # does not look like a complete module and fmt was not forced, let the relaxed reader try.
        if fmt == "ll" or b"\ndeclare " in data or data.startswith(b"declare "):
            raise
        try:
            return _relaxed(data, name, entry, profile, max_qubits)
        except NotStaticError:
            raise
        except InputError:
            raise e from None


def _relaxed(data: bytes, name: str, entry, profile, max_qubits) -> Program:
    text = _text(data, name)
    from .builder import QvmBuilder
    from .qir_text import read as read_relaxed

    b = QvmBuilder(name, profile=profile, max_qubits=max_qubits)
    return read_relaxed(text, name, b, entry=entry)


def _text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise InputError.from_diag(
            Diagnostic("QMK002", f"{name}: byte {e.start} is not valid UTF-8")
        ) from None

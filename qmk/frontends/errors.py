"""Frontend diagnostics: the QMK7xx codes and the exceptions that carry them.

QMK700-QMK749 belong to the QIR readers (LLVM and builder); QMK750-QMK799 to the relaxed-text and
OpenQASM readers. Every code is documented in docs/frontends.md. All of them end ``qmk-lower`` with
exit 3 (``InputError``).
"""

from __future__ import annotations

from ..diagnostics import Diagnostic, InputError
from ..ir import Location

CODES: dict[str, str] = {
    "QMK700": "input format not recognised",
    "QMK701": "LLVM could not parse the module (syntax error, truncated or corrupt bitcode)",
    "QMK702": "unknown QIS or runtime function",
    "QMK703": "wrong number or kind of arguments",
    "QMK704": "qubit or result id negative or outside required_num_*",
    "QMK705": "qubit or result count above the limit",
    "QMK706": "the same qubit twice in one gate",
    "QMK707": "qubit used after release",
    "QMK708": "angle is NaN or infinite",
    "QMK709": "result read before it is written",
    "QMK710": "no entry point",
    "QMK711": "several entry points and none chosen",
    "QMK712": "entry point has parameters",
    "QMK713": "unsupported LLVM construct",
    "QMK720": "control flow cannot be made static (run it with qmk-run)",
    "QMK721": "classical loop does not terminate within the step limit",
    "QMK730": "a QVM op or output record with no QIR form (--emit ll|bc)",
    "QMK750": "OpenQASM syntax error",
    "QMK751": "unsupported OpenQASM version, misplaced header or include",
    "QMK752": "unknown gate",
    "QMK753": "wrong number of gate parameters or qubits",
    "QMK754": "unknown register or parameter, or wrong register kind",
    "QMK755": "register index out of range",
    "QMK756": "register arguments of different sizes",
    "QMK757": "the same qubit twice in one gate",
    "QMK758": "angle expression without a finite value",
    "QMK759": "register size zero or above the limit",
    "QMK760": "register or gate declared twice",
    "QMK761": "opaque gate",
    "QMK762": "measurement under if()",
    "QMK763": "program expands beyond the operation limit",
    "QMK770": "relaxed QIR syntax error",
    "QMK771": "unsupported instruction in relaxed QIR",
    "QMK772": "undefined value, label or global",
    "QMK773": "malformed module structure",
    "QMK774": "required_num_* attribute not an integer",
}


class NotStaticError(InputError):
    """The program is valid QIR but its control flow depends on measurements in a way QVM guards
    cannot express (a loop exiting on a measurement, arithmetic on measured values). ``qmk-run``
    catches this and executes the QIR directly."""

    @classmethod
    def make(cls, message: str, loc: Location | None = None, code: str = "QMK720") -> "NotStaticError":
        note = "qmk-run executes such QIR directly (its QIR JIT); qmk-lower only lowers static programs"
        return cls(message, diagnostics=[Diagnostic(code, message, loc=loc, notes=[note])])


def fail(code: str, message: str, loc: Location | None = None, notes=()) -> InputError:
    """An InputError (exit 3) carrying one diagnostic."""
    return InputError.from_diag(Diagnostic(code, message, loc=loc, notes=list(notes)))

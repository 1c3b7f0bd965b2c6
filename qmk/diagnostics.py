"""Diagnostics with stable codes, and the exceptions that carry them to the CLI's exit codes.

A diagnostic names its code, severity, message, the node it is about and, for nodes that came from
source text, the source location. The code table below is the single list of codes; docs/qvm.md
documents each one and examples/qvm/invalid/ holds one failing program per verifier code.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .ir import Location

ERROR = "error"
WARNING = "warning"
NOTE = "note"

# code -> (default severity, short title)
CODES: dict[str, tuple[str, str]] = {
    # input: the bytes are not a QVM document at all (exit 3)
    "QMK001": (ERROR, "malformed JSON"),
    "QMK002": (ERROR, "input is not UTF-8"),
    "QMK003": (ERROR, "input exceeds a size, depth or number limit"),
    "QMK004": (ERROR, "document does not have the QVM shape"),
    "QMK005": (ERROR, "unsupported QVM version"),
    # ops and arguments
    "QMK101": (ERROR, "unknown op"),
    "QMK102": (ERROR, "wrong number of qubits"),
    "QMK103": (ERROR, "wrong number of channels"),
    "QMK104": (ERROR, "missing argument"),
    "QMK105": (ERROR, "invalid argument value"),
    "QMK106": (ERROR, "invalid QEC profile"),
    "QMK107": (ERROR, "wrong number of produced events"),
    "QMK108": (ERROR, "inputs on an op that reads none, or none where required"),
    "QMK109": (ERROR, "invalid Pauli mask"),
    "QMK110": (ERROR, "invalid handle or id name"),
    "QMK111": (WARNING, "unknown argument"),
    # names and declarations
    "QMK201": (ERROR, "duplicate node id"),
    "QMK202": (ERROR, "undeclared qubit"),
    "QMK203": (ERROR, "undeclared channel"),
    "QMK204": (ERROR, "undeclared event"),
    "QMK205": (ERROR, "handle declared twice"),
    # qubit lifetimes
    "QMK301": (ERROR, "qubit used before allocation"),
    "QMK302": (ERROR, "qubit used after release"),
    "QMK303": (ERROR, "qubit allocated twice"),
    "QMK304": (ERROR, "qubit released twice"),
    "QMK305": (ERROR, "same qubit twice in one node"),
    "QMK306": (WARNING, "qubit never released"),
    # channels
    "QMK311": (ERROR, "channel opened twice"),
    "QMK312": (ERROR, "channel used or closed while not open"),
    "QMK313": (WARNING, "channel left open"),
    # events and guards
    "QMK321": (ERROR, "event produced twice"),
    "QMK322": (ERROR, "event read before it is produced"),
    "QMK323": (ERROR, "event never produced"),
    "QMK324": (ERROR, "malformed guard"),
    # capabilities
    "QMK401": (ERROR, "capability not declared"),
    "QMK402": (ERROR, "unknown capability"),
    # resource bounds
    "QMK501": (WARNING, "resource bound exceeded"),
    # outputs
    "QMK601": (ERROR, "invalid output record"),
}


@dataclass(slots=True)
class Diagnostic:
    code: str
    message: str
    severity: str = ""
    node: str | None = None
    loc: Location | None = None
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.severity:
            self.severity = CODES[self.code][0] if self.code in CODES else ERROR

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def to_json(self) -> dict:
        d = {"code": self.code, "severity": self.severity, "message": self.message}
        if self.node is not None:
            d["node"] = self.node
        if self.loc is not None:
            d["file"], d["line"], d["col"] = self.loc.file, self.loc.line, self.loc.col
        if self.notes:
            d["notes"] = list(self.notes)
        return d

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        node = f" (node '{self.node}')" if self.node is not None and self.loc is None else ""
        return f"{where}{self.severity}[{self.code}]: {self.message}{node}"


class QmkError(Exception):
    """Base of errors that end a command with a given exit code and clear message."""

    exit_code = 70

    def __init__(self, message: str, *, diagnostics: list[Diagnostic] | None = None, notes=()):
        super().__init__(message)
        self.message = message
        self.diagnostics = list(diagnostics or [])
        self.notes = list(notes)


class UsageError(QmkError):
    exit_code = 2


class InputError(QmkError):
    """The input cannot be read as what it claims to be (parse, schema, profile): exit 3."""

    exit_code = 3

    @classmethod
    def from_diag(cls, diag: Diagnostic) -> "InputError":
        return cls(diag.message, diagnostics=[diag])


class QmkIOError(QmkError):
    exit_code = 4


class FindingsError(QmkError):
    """Verification found errors: exit 1."""

    exit_code = 1

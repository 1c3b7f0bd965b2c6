"""Errors raised by the runtime."""

from __future__ import annotations

from qmk.diagnostics import QmkError


class RunCancelled(QmkError):
    """The caller's ``cancel`` event was set; the run stopped at the next node or shot boundary."""

    exit_code = 130


class ResourceError(QmkError):
    """A run would need more memory (or qubits) than allowed; the message gives the figure."""

    exit_code = 3

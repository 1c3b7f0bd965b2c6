"""The QMK runtime (``qmk.runtime``): simulators, the executor, the kernel and the QIR JIT.

``run(program, shots=, seed=, engine=, noise=)`` is the entry point (runtime/api.py); it returns a
``RunResult`` (runtime/result.py). Engines implement runtime/engine.py's interface.
"""

from __future__ import annotations


def run(program, **kwargs):
    """Run a QVM program; see ``qmk.runtime.api.run`` (imported lazily to keep numpy off the import path)."""
    from .api import run as _run

    return _run(program, **kwargs)


__all__ = ["run"]

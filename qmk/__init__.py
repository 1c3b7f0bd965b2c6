"""QMK: a quantum compiler toolchain from QIR and OpenQASM 2 to QVM, with a bundled runtime.

The core package holds the QVM IR (``qmk.ir``), the op table (``qmk.ops``), JSON I/O (``qmk.qvmjson``),
diagnostics and the CLI. Passes live in ``qmk.passes`` and the runtime in ``qmk.runtime``; heavy
dependencies are imported only where they are used.
"""

__version__ = "0.2.0"

from .ir import Location, Node, Program, Resources, make_program  # noqa: E402,F401

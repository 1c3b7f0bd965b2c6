"""The QMK runtime (``qmk.runtime``): simulators, the executor, the kernel and the QIR JIT."""

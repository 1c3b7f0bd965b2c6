"""The QIR JIT's small engine: up to six qubits, state in native memory, native kernels (qir_kernels).

Adaptive QIR runs the program once per shot and its states are usually tiny, so the per-operation
overhead decides the speed, not the arithmetic. This engine keeps its 64 amplitudes in the JIT module's
``@__qmk.sv`` so that compiled fast paths (``qir_kernels``) apply gates and measurements without leaving
native code; this Python class does what is rare (allocation, release, the checks of the slow path) and
calls the same kernels through ctypes. The JIT starts every run on it and reruns the whole run on the
numpy engine (``statevector.StateVector``) when a program needs more qubits (``TooBig``), so a result
never depends on the switch.

Conventions are those of ``engine.Engine``: slots, ``qubits[0]`` as the matrix MSB, outcome 0 for |0>.
A qubit at *position* p is bit p of the amplitude index; a new qubit takes the next position (the new
upper half of the vector is zero), and a released one is measured, its bit removed, and the positions
above it shift down by one.
"""

from __future__ import annotations

import ctypes
from collections.abc import Sequence

from .qir_kernels import KERNEL_IR, MAX_QUBITS, NDRAWS, NQPOS

_IDENTITY = [{i: i for i in range(n)} for n in range(MAX_QUBITS + 1)]
_KK = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int64, ctypes.c_void_p)
_MEAS = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.c_double)


class TooBig(Exception):
    """The program needs more than ``MAX_QUBITS`` live qubits: rerun on the numpy engine."""


class Kernels:
    """The native globals and kernels of a compiled module that contains ``KERNEL_IR``."""

    def __init__(self, global_address, function_address, owner=None) -> None:
        self._owner = owner  # keeps a standalone execution engine alive
        amps = 1 << MAX_QUBITS
        self.sv = (ctypes.c_double * (2 * amps)).from_address(global_address("__qmk.sv"))
        self.nq = ctypes.c_int64.from_address(global_address("__qmk.nq"))
        self.qpos = (ctypes.c_int8 * NQPOS).from_address(global_address("__qmk.qpos"))
        self.fast = ctypes.c_int64.from_address(global_address("__qmk.fast"))
        self.draws = (ctypes.c_double * NDRAWS).from_address(global_address("__qmk.draws"))
        self.di = ctypes.c_int64.from_address(global_address("__qmk.di"))
        self.kk = _KK(function_address("__qmk.kk"))
        self.mz = _MEAS(function_address("__qmk.mz"))
        self.reset = _MEAS(function_address("__qmk.reset"))

    @classmethod
    def standalone(cls) -> Kernels:
        """The kernels compiled on their own (for tests and tools)."""
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        mod = llvm.parse_assembly(KERNEL_IR)
        mod.verify()
        ee = llvm.create_mcjit_compiler(mod, llvm.Target.from_default_triple().create_target_machine())
        ee.finalize_object()
        return cls(ee.get_global_value_address, ee.get_function_address, owner=(ee, mod))


class Draws:
    """Uniform draws in [0, 1) from a numpy generator, through the native buffer ``@__qmk.draws`` that
    the fast paths read; refilled ``NDRAWS`` at a time. Native and Python measurements take from this one
    stream in program order, so the seed fixes the run."""

    def __init__(self, kern: Kernels, rng) -> None:
        self.kern, self.rng = kern, rng
        kern.di.value = NDRAWS

    def __call__(self) -> float:
        k = self.kern
        i = k.di.value
        if i >= NDRAWS:
            block = self.rng.random(NDRAWS)
            ctypes.memmove(k.draws, block.ctypes.data, NDRAWS * 8)
            i = 0
        k.di.value = i + 1
        return k.draws[i]


def to_c(m) -> ctypes.Array:
    """A matrix as the row-major (re, im) doubles ``kk`` reads."""
    vals = [v for row in m.tolist() for z in row for v in (complex(z).real, complex(z).imag)]
    return (ctypes.c_double * len(vals))(*vals)


class SmallStateVector:
    """A state of at most ``MAX_QUBITS`` qubits in the native buffer of ``kern`` (one live engine per
    buffer: creating one resets the buffer to the empty state)."""

    name = "statevector-small"

    def __init__(self, kern: Kernels, draws: Draws) -> None:
        self.kern, self.draws = kern, draws
        self.peak_qubits = 0
        self._ps = (ctypes.c_int64 * 3)()
        self.clear()

    def clear(self, state_done: bool = False) -> None:
        """Back to no qubits (the empty state, amplitude 1); ``peak_qubits`` is kept."""
        if not state_done:
            self.kern.nq.value = 0
            self.kern.sv[0] = 1.0
            self.kern.sv[1] = 0.0
        self.pos: dict[int, int] = {}  # slot -> position
        self.next_slot = 0

    @property
    def num_qubits(self) -> int:
        return len(self.pos)

    def preset(self, n: int, state_done: bool = False) -> None:
        """Start with n qubits in |0...0> at positions (and slots) 0..n-1, as n allocations would.
        ``state_done``: the native ``@__qmk.shot`` has already reset the amplitudes and ``nq``."""
        if n > MAX_QUBITS:
            raise TooBig(n)
        if not state_done:
            ctypes.memset(ctypes.addressof(self.kern.sv), 0, 16 << n)
            self.kern.sv[0] = 1.0
            self.kern.nq.value = n
        self.pos = dict(_IDENTITY[n])
        self.next_slot = n
        self.peak_qubits = max(self.peak_qubits, n)

    def allocate(self) -> int:
        n = len(self.pos)
        if n >= MAX_QUBITS:
            raise TooBig(n + 1)
        dim = 1 << n
        ctypes.memset(ctypes.addressof(self.kern.sv) + 16 * dim, 0, 16 * dim)
        self.kern.nq.value = n + 1
        s = self.next_slot
        self.next_slot += 1
        self.pos[s] = n
        self.peak_qubits = max(self.peak_qubits, n + 1)
        return s

    def release(self, q: int) -> None:
        b = self.measure(q)
        p = self.pos.pop(q)
        n = len(self.pos) + 1
        sv = self.kern.sv
        amps = sv[0 : 2 << n]
        # Keeping, in order, the indices whose bit p equals b removes that bit: the bits below p keep
        # their places and those above shift down by one, as the positions do.
        kept = [x for i in range(1 << n) if (i >> p) & 1 == b for x in (amps[2 * i], amps[2 * i + 1])]
        sv[0 : len(kept)] = kept
        self.kern.nq.value = n - 1
        for s, ps in self.pos.items():
            if ps > p:
                self.pos[s] = ps - 1

    def apply_c(self, cm: ctypes.Array, qubits: Sequence[int]) -> None:
        """Apply a matrix already converted by ``to_c``."""
        ps = self._ps
        for j, q in enumerate(qubits):
            ps[j] = self.pos[q]
        self.kern.kk(cm, len(qubits), ps)

    def apply_matrix(self, m, qubits: Sequence[int]) -> None:
        if len(set(qubits)) != len(qubits) or not 1 <= len(qubits) <= 3:
            raise ValueError(f"the small engine applies 1 to 3 distinct qubits, got {list(qubits)}")
        self.apply_c(to_c(m), qubits)

    def measure(self, q: int, basis: str = "Z", angle=None) -> int:
        """Projective Z measurement (``mz`` kernel)."""
        if basis != "Z":
            raise ValueError("the small engine measures in the Z basis only")
        b = self.kern.mz(self.pos[q], self.draws())
        if b < 0:
            raise ValueError("the state has lost its norm (numerical failure)")
        return b

    def reset(self, q: int) -> None:
        if self.kern.reset(self.pos[q], self.draws()) < 0:
            raise ValueError("the state has lost its norm (numerical failure)")

    def state(self, qubits: Sequence[int]) -> list[complex]:
        """Amplitudes with ``qubits[0]`` as the MSB (every live qubit once); for tests."""
        ps = [self.pos[q] for q in qubits]
        sv = self.kern.sv
        out = [0j] * (1 << len(ps))
        for i in range(1 << len(self.pos)):
            j = 0
            for p in ps:
                j = (j << 1) | ((i >> p) & 1)
            out[j] = complex(sv[2 * i], sv[2 * i + 1])
        return out

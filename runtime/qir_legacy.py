"""The part of the legacy full-QIR runtime that Q#'s older code generation needs: arrays, tuples and the
``__ctl``/``__ctladj`` gates that take an array of control qubits.

Arrays and tuples are memory the program reads and writes itself (``array_get_element_ptr_1d`` returns
an address the program stores qubit pointers into), so they are real buffers owned by Python and kept
until the end of the shot; a shot may hold at most ``MAX_BYTES`` of them. Reference and alias counts have
no effect (buffers are freed with the shot), which is safe because nothing is reused within a shot.

A controlled gate on c controls is applied as one matrix on c + 1 qubits (controls first, most
significant): the identity except for its last 2x2 block, which is the gate's matrix. The gate's matrix is
the product of its steps from the QIS table (the inverse sequence for ``__ctladj``), so it is the same
unitary the ``__body``/``__adj`` bindings apply, global phase included; that phase becomes a relative
phase under control, which is why the exact product is used. Legacy rotations pass their angle and
target in a tuple ``{ double, %Qubit* }``.
"""

from __future__ import annotations

import ctypes
import math

import numpy as np

from .qir_abi import gate_steps

MAX_BYTES = 64 << 20


class LegacyRuntime:
    """Mixed into ``QirRuntime``; uses its ``q``, ``_apply``, ``small``, ``qubit_allocate`` and
    ``qubit_release`` and raises its ``QirFault``."""

    buffers: dict[int, tuple[ctypes.Array, int, int]]
    buffer_bytes: int

    def reset_buffers(self) -> None:
        self.buffers = {}
        self.buffer_bytes = 0

    def _buffer(self, size: int, elem: int, n: int) -> int:
        from .qir_runtime import QirFault

        if n < 0 or elem <= 0 or size < 0 or self.buffer_bytes + size > MAX_BYTES:
            raise QirFault(f"an array or tuple of {size} bytes (at most {MAX_BYTES} bytes per shot)")
        buf = (ctypes.c_char * max(1, size))()
        addr = ctypes.addressof(buf)
        self.buffers[addr] = (buf, elem, n)
        self.buffer_bytes += size
        return addr

    def _array(self, p) -> tuple[ctypes.Array, int, int]:
        from .qir_runtime import QirFault

        a = self.buffers.get(p or 0)
        if a is None:
            raise QirFault(f"{p or 0:#x} is not an array made by this shot")
        return a

    def array_create_1d(self, elem: int, n: int) -> int:
        return self._buffer(elem * n, elem, n)

    def array_get_element_ptr_1d(self, p, i: int) -> int:
        from .qir_runtime import QirFault

        _buf, elem, n = self._array(p)
        if not 0 <= i < n:
            raise QirFault(f"array index {i} out of range (size {n})")
        return p + i * elem

    def array_get_size_1d(self, p) -> int:
        return self._array(p)[2]

    def tuple_create(self, size: int) -> int:
        return self._buffer(size, 1, size)

    def qubit_allocate_array(self, n: int) -> int:
        addr = self._buffer(8 * n, 8, n)
        ptrs = (ctypes.c_uint64 * max(1, n)).from_address(addr)
        for i in range(n):
            ptrs[i] = self.qubit_allocate()
        return addr

    def qubit_release_array(self, p) -> None:
        _buf, _elem, n = self._array(p)
        ptrs = (ctypes.c_uint64 * max(1, n)).from_address(p)
        for i in range(n):
            self.qubit_release(ptrs[i])

    def _handles(self, p) -> list[int]:
        from .qir_runtime import QirFault

        _buf, elem, n = self._array(p)
        if elem != 8:
            raise QirFault(f"a control array must hold pointers (8-byte elements), not {elem}-byte ones")
        ptrs = (ctypes.c_uint64 * max(1, n)).from_address(p)
        return [ptrs[i] for i in range(n)]

    def gate_ctl(self, g, adj: bool):
        """The callback of ``__quantum__qis__<g>__ctl`` / ``__ctladj`` (see the module docstring)."""
        from qmk import ops

        from .qir_runtime import QirFault
        from .qir_small import TooBig, to_c

        name = f"__quantum__qis__{g.name}__{'ctladj' if adj else 'ctl'}"

        def apply(ctls, arg):
            if g.n_angles:
                self._array(arg)  # the tuple must be one this shot made
                theta = ctypes.c_double.from_address(arg).value
                qh = ctypes.c_uint64.from_address(arg + 8).value
                if not math.isfinite(theta):
                    raise QirFault(f"{name}: the rotation angle is {theta}")
                angles = (theta,)
            else:
                qh, angles = arg, ()
            u = np.eye(2, dtype=complex)
            for op, _pos, args in gate_steps(g, adj, angles):
                u = ops.matrix(op, args) @ u
            hs = self._handles(ctls) + [qh or 0]
            slots = [self.q(h) for h in hs]
            if len(set(slots)) != len(slots):
                raise QirFault(f"{name}: the same qubit is passed twice")
            if self.small and len(slots) > 3:
                raise TooBig(len(slots))  # the small engine's kernel takes at most three qubits
            m = np.eye(2 ** len(slots), dtype=complex)
            m[-2:, -2:] = u
            self._apply([(m, to_c(m) if self.small else None, tuple(range(len(slots))))], slots)

        return apply

"""Compiled (numba) kernels for the state-vector engine, used when numba is installed and the state is large.

``apply_dense(psi, u, pos)`` applies the 2^k x 2^k matrix ``u`` to the qubits at bit positions ``pos``
(``pos[0]`` is the most significant bit of ``u``'s index), in place, in one pass over the state: for each of
the 2^(n-k) groups of amplitudes that differ only in the target bits it gathers the 2^k amplitudes,
multiplies, and writes them back. That is the textbook definition of applying a gate to a state, so it is
exact; tests compare it with dense matrices. numpy cannot do this in one pass (it needs transposed copies),
which is why this kernel exists; the benchmark reports both.
"""

from __future__ import annotations

import os

import numpy as np

_KERNEL = None
_MONO = None
MIN_AMPLITUDES = 1 << 16  # below this, numba's import and dispatch cost more than the numpy path


def disabled() -> bool:
    """QMK_NUMBA=0 turns the compiled kernels off (to measure what they bring)."""
    return os.environ.get("QMK_NUMBA", "") == "0"


def dense_kernel():
    """The compiled kernel, or None when numba is not installed."""
    global _KERNEL
    if disabled():
        return None
    if _KERNEL is None:
        try:
            import numba
        except ImportError:
            _KERNEL = False
            return None

        @numba.njit(cache=True, nogil=True, fastmath=True)
        def apply_dense(psi, u, pos):  # pragma: no cover - compiled
            k = pos.shape[0]
            dim = 1 << k
            srt = np.sort(pos)
            off = np.zeros(dim, dtype=np.int64)
            for j in range(dim):
                o = 0
                for i in range(k):
                    if (j >> (k - 1 - i)) & 1:
                        o |= np.int64(1) << pos[i]
                off[j] = o
            # real and imaginary parts apart: LLVM vectorizes the inner product this way
            ur = u.real.copy()
            ui = u.imag.copy()
            vr = np.empty(dim, dtype=ur.dtype)
            vi = np.empty(dim, dtype=ur.dtype)
            groups = psi.shape[0] >> k
            for g in range(groups):
                base = np.int64(g)
                for s in srt:
                    low = base & ((np.int64(1) << s) - 1)
                    base = ((base >> s) << (s + 1)) | low
                for j in range(dim):
                    x = psi[base + off[j]]
                    vr[j] = x.real
                    vi[j] = x.imag
                for r in range(dim):
                    ar = vr[0] * 0
                    ai = vr[0] * 0
                    for j in range(dim):
                        ar += ur[r, j] * vr[j] - ui[r, j] * vi[j]
                        ai += ur[r, j] * vi[j] + ui[r, j] * vr[j]
                    psi[base + off[r]] = complex(ar, ai)

        _KERNEL = apply_dense
    return _KERNEL or None


def mono_kernel():
    """The compiled monomial-block kernel: ``psi[base+off[r]] = d[r] * old[base+off[src[r]]]``, or None."""
    global _MONO
    if disabled():
        return None
    if _MONO is None:
        try:
            import numba
        except ImportError:
            _MONO = False
            return None

        @numba.njit(cache=True, nogil=True)
        def apply_mono(psi, src, d, pos):  # pragma: no cover - compiled
            k = pos.shape[0]
            dim = 1 << k
            srt = np.sort(pos)
            off = np.zeros(dim, dtype=np.int64)
            for j in range(dim):
                o = 0
                for i in range(k):
                    if (j >> (k - 1 - i)) & 1:
                        o |= np.int64(1) << pos[i]
                off[j] = o
            v = np.empty(dim, dtype=psi.dtype)
            groups = psi.shape[0] >> k
            for g in range(groups):
                base = np.int64(g)
                for s in srt:
                    low = base & ((np.int64(1) << s) - 1)
                    base = ((base >> s) << (s + 1)) | low
                for j in range(dim):
                    v[j] = psi[base + off[j]]
                for r in range(dim):
                    psi[base + off[r]] = d[r] * v[src[r]]

        _MONO = apply_mono
    return _MONO or None

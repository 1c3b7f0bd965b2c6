"""The numpy state-vector engine: exact, complex128 (or complex64), with gate fusion and in-place kernels.

Layout. The state is one flat array of 2^n amplitudes. The qubit at *position* p is bit p of the index
(position 0 is the least significant). Seen as a C-ordered tensor of shape (2,)*n, position p is axis
n-1-p. A k-qubit operation reshapes the flat array (a view, no copy) into a short shape such as
``(2^a, 2, 2^b, 2, 2^c)`` where the 2s are the targets; every kernel works on such views in place.

Fusion. Gates do not touch the state one by one. A one-qubit gate waits until the next gate on its
qubit absorbs it; gates are then multiplied into a pending block (runtime/fusion.py), kept diagonal,
monomial or dense, because on a large state a gate costs its memory traffic, not its arithmetic. A dense
block spans at most ``fuse`` qubits, a diagonal or monomial one up to ``fuse_wide``. Anything that reads
the state (measure, sample, copy, allocate, release) first flushes what is pending, so fusion is
invisible. Blocks are applied by the numba kernels of runtime/sv_numba.py on states of MIN_AMPLITUDES
or more when numba is installed, else by the numpy kernels of runtime/sv_ops.py; below SMALL amplitudes
each gate is applied at once (fusing costs more than it saves there).

Memory. Temporaries are bounded by chunks of ``CHUNK`` amplitudes, so the peak is about the state itself
plus the few MiB of a chunk (plus half a state, briefly, while a qubit is allocated or released).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from qmk import ops

from .engine import Engine, EngineError, check_angle
from .fusion import DIAG, MONO, Block, classify, embed_dense, merge, merged_kind
from .sv_numba import MIN_AMPLITUDES, dense_kernel, mono_kernel
from .sv_ops import apply_1q, apply_dense_chunked, apply_diag, compact_shape, norm2, sample_indices

CHUNK = 1 << 18
SMALL = 1 << 12  # below this many amplitudes gates are applied at once: fusing costs more than it saves
DTYPES = {"complex128": np.complex128, "complex64": np.complex64}


def state_bytes(n: int, precision: str = "complex128") -> int:
    """Bytes of the amplitudes of an n-qubit state."""
    return (1 << n) * np.dtype(DTYPES[precision]).itemsize


_FIXED: dict[str, np.ndarray] = {}


def gate_matrix(op: str, args: Mapping) -> np.ndarray:
    """ops.matrix, cached for the gates without arguments (or their diagonal for diagonal gates)."""
    m = _FIXED.get(op)
    if m is None:
        spec = ops.OPS[op]
        m = ops.matrix(op, args)
        if spec.diagonal:
            m = np.diag(m).copy()
        if not spec.args:
            _FIXED[op] = m
    return m


class StateVector(Engine):
    """State-vector engine; see the module docstring."""

    name = "statevector"

    def __init__(self, rng=None, *, precision: str = "complex128", fuse: int = 4, max_bytes: int | None = None):
        if precision not in DTYPES:
            raise EngineError(f"unknown precision '{precision}' (use complex128 or complex64)")
        self.rng = rng if rng is not None else np.random.default_rng()
        self.precision = precision
        self.dtype = DTYPES[precision]
        self.fuse = max(1, int(fuse))
        self.small = SMALL
        self.compiled = True  # use the numba kernel (runtime/sv_numba.py) for large states when installed
        self.max_bytes = max_bytes
        self._psi = np.ones(1, dtype=self.dtype)
        self._order: list[int] = []  # position -> slot
        self._next = 0
        self._blk: Block | None = None  # the pending fused block
        self.fuse_wide = 10  # qubits a diagonal or monomial block may span
        self._one: dict[int, tuple[np.ndarray, bool]] = {}  # slot -> pending one-qubit gate (matrix, diagonal)
        self.peak_qubits = 0
        self.gates_applied = 0
        self.blocks_applied = 0

    # ------------------------------------------------------------------ qubits

    @property
    def num_qubits(self) -> int:
        return len(self._order)

    def _pos(self, q: int) -> int:
        try:
            return self._order.index(q)
        except ValueError:
            raise EngineError(f"qubit slot {q} is not live") from None

    def allocate(self) -> int:
        return self.allocate_many(1)[0]

    def allocate_many(self, k: int) -> list[int]:
        """k new qubits in |0>, grown in one step (the old state is copied once, not k times)."""
        self.flush()
        n = len(self._order) + k
        need = state_bytes(n, self.precision) + state_bytes(n - k, self.precision)
        if self.max_bytes is not None and need > self.max_bytes:
            raise EngineError(
                f"{n} qubits need {need / 2**30:.2f} GiB of state memory, over the limit of "
                f"{self.max_bytes / 2**30:.2f} GiB"
            )
        new = np.zeros(self._psi.size << k, dtype=self.dtype)
        new[: self._psi.size] = self._psi
        self._psi = new
        slots = list(range(self._next, self._next + k))
        self._next += k
        self._order.extend(slots)
        self.peak_qubits = max(self.peak_qubits, n)
        return slots

    def release(self, q: int) -> None:
        p = self._pos(q)
        b = self._measure_z(p)
        n = len(self._order)
        view = self._psi.reshape(1 << (n - 1 - p), 2, 1 << p)
        self._psi = np.ascontiguousarray(view[:, b, :]).reshape(-1)
        del self._order[p]

    # ------------------------------------------------------------------ gates (fused)

    def apply(self, op: str, qubits: Sequence[int], args: Mapping | None = None) -> None:
        spec = ops.OPS.get(op)
        if spec is None or spec.matrix is None or not spec.unitary:
            raise EngineError(f"{op} is not a unitary gate")
        args = args or {}
        for a in spec.angle_args:
            check_angle(args.get(a), f"{op} argument '{a}'")
        if spec.arity is not None and len(qubits) != spec.arity:
            raise EngineError(f"{op} takes {spec.arity} qubit(s), got {len(qubits)}")
        self._add(gate_matrix(op, args), list(qubits), spec.diagonal)

    def apply_matrix(self, m, qubits: Sequence[int]) -> None:
        m = np.asarray(m, dtype=np.complex128)
        k = len(qubits)
        if m.shape != (1 << k, 1 << k):
            raise EngineError(f"a matrix on {k} qubit(s) must be {1 << k}x{1 << k}, got {m.shape}")
        if not np.all(np.isfinite(m)):
            raise EngineError("matrix has non-finite entries")
        self._add(m, list(qubits), False)

    def _add(self, m: np.ndarray, qs: list[int], diag: bool) -> None:
        if len(set(qs)) != len(qs):
            raise EngineError(f"the same qubit appears twice in {qs}")
        for q in qs:
            self._pos(q)
        self.gates_applied += 1
        if self._psi.size < self.small:  # tiny state: apply now
            self.flush()
            self.blocks_applied += 1
            (self._apply_diag if diag else self._apply_dense)(m, qs)
            return
        if len(qs) == 1:  # one-qubit gates wait to be absorbed into the next gate on that qubit
            q = qs[0]
            old = self._one.get(q)
            if old is not None:
                pm, pd = old
                if pd and diag:
                    m, diag = m * pm, True
                else:
                    m, diag = (np.diag(m) if diag else m) @ (np.diag(pm) if pd else pm), False
            self._one[q] = (m, diag)
            return
        k = len(qs)
        if diag:
            m = np.diag(m)
        for j, q in enumerate(qs):
            old = self._one.pop(q, None)
            if old is not None:
                pm, pd = old
                m = m @ embed_dense(np.diag(pm) if pd else pm, [j], k)
        self._fuse(classify(m, qs))

    def _limit(self, kind: int) -> int:
        if kind == DIAG or kind == MONO and self._mono_ok():
            return max(self.fuse, self.fuse_wide)
        return self.fuse

    def _mono_ok(self) -> bool:
        return self._psi.size >= MIN_AMPLITUDES and self.compiled and mono_kernel() is not None

    def _fuse(self, g: Block) -> None:
        """Multiply a gate into the pending block, or flush the block and start a new one."""
        b = self._blk
        if b is not None:
            k = len(set(b.qs) | set(g.qs))
            if k <= max(self._limit(merged_kind(b, g)), len(g.qs)):
                self._blk = merge(b, g)
                return
            self._flush_block()
        self._blk = g

    def flush(self) -> None:
        """Apply every pending gate to the state."""
        while self._one:
            q, (m, d) = self._one.popitem()
            self._fuse(classify(np.diag(m) if d else m, [q]))
        self._flush_block()

    def _flush_block(self) -> None:
        b = self._blk
        if b is None:
            return
        self._blk = None
        self.blocks_applied += 1
        if b.kind == DIAG:
            if not b.is_identity():
                self._apply_diag(b.d, b.qs)
        elif b.kind == MONO and self._mono_ok():
            mono_kernel()(self._psi, b.src.astype(np.int64), b.d.astype(self.dtype),
                          np.array([self._pos(q) for q in b.qs], dtype=np.int64))
        else:
            self._apply_dense(b.dense(), b.qs)

    def _positions(self, qs: Sequence[int]) -> list[int]:
        return [self._pos(q) for q in qs]

    def _shape(self, qs: Sequence[int]) -> tuple[list[int], list[int]]:
        return compact_shape(len(self._order), self._positions(qs))

    def _apply_diag(self, d: np.ndarray, qs: Sequence[int]) -> None:
        apply_diag(self._psi, len(self._order), self._positions(qs), d.astype(self.dtype))

    def _apply_dense(self, u: np.ndarray, qs: Sequence[int]) -> None:
        pos = self._positions(qs)
        if len(qs) == 1 and self._psi.size < self.small:
            return apply_1q(self._psi, len(self._order), pos[0], u)
        if self._psi.size >= MIN_AMPLITUDES and self.compiled:
            kernel = dense_kernel()
            if kernel is not None:
                return kernel(self._psi, np.ascontiguousarray(u, dtype=self.dtype), np.array(pos, dtype=np.int64))
        apply_dense_chunked(self._psi, len(self._order), pos, u.astype(self.dtype), CHUNK)

    # ------------------------------------------------------------------ measurement

    def _norm2(self, arr: np.ndarray) -> float:
        return norm2(arr, CHUNK)

    def _choose(self, p1: float, total: float) -> int:
        if total <= 0 or not math.isfinite(total):
            raise EngineError("the state has lost its norm (numerical failure)")
        return int(self.rng.random() * total < p1)

    def _measure_z(self, p: int) -> int:
        self.flush()
        n = len(self._order)
        view = self._psi.reshape(1 << (n - 1 - p), 2, 1 << p)
        if self._psi.size < self.small:  # one small temporary, fewer numpy calls
            w = self._psi.view(self._psi.real.dtype).reshape(view.shape[0], 2, -1)
            p0, p1 = (w * w).sum(axis=(0, 2)).tolist()
        else:
            p0, p1 = self._norm2(view[:, 0, :]), self._norm2(view[:, 1, :])
        b = self._choose(p1, p0 + p1)
        view[:, 1 - b, :] = 0
        view[:, b, :] *= 1.0 / math.sqrt(p1 if b else p0)
        return b

    def _to_z(self, q: int, letter: str, angle: float | None = None, back: bool = False) -> None:
        """Rotate the eigenbasis of ``letter`` onto Z (or back)."""
        if letter == "X":
            self.apply("APPLY_H", (q,))
        elif letter == "Y":
            seq = [("APPLY_H", {}), ("APPLY_S", {})] if back else [("APPLY_SDG", {}), ("APPLY_H", {})]
            for op, a in seq:
                self.apply(op, (q,), a)
        elif letter == "ANGLE":
            self.apply("APPLY_RY", (q,), {"theta": angle if back else -angle})

    def measure(self, q: int, basis: str = "Z", angle: float | None = None) -> int:
        if basis not in ("Z", "X", "Y", "ANGLE"):
            raise EngineError(f"unknown measurement basis '{basis}'")
        if basis == "ANGLE":
            angle = check_angle(angle, "measurement angle")
        self._to_z(q, basis, angle)
        b = self._measure_z(self._pos(q))
        self._to_z(q, basis, angle, back=True)
        return b

    def measure_pauli(self, qubits: Sequence[int], paulis: str) -> int:
        pairs = [(q, p) for q, p in zip(qubits, paulis) if p != "I"]
        if len(qubits) != len(paulis) or any(p not in "IXYZ" for p in paulis):
            raise EngineError(f"bad Pauli product '{paulis}' on {len(qubits)} qubit(s)")
        if not pairs:
            return 0
        for q, p in pairs:
            self._to_z(q, p)
        self.flush()
        qs = [q for q, _ in pairs]
        dims, tdims = self._shape(qs)
        view = self._psi.reshape(dims)
        k = len(qs)
        norms = [0.0, 0.0]
        slices = []
        for bits in range(1 << k):
            idx = [slice(None)] * len(dims)
            for j, t in enumerate(tdims):
                idx[t] = (bits >> j) & 1
            par = bits.bit_count() & 1
            slices.append((tuple(idx), par))
            norms[par] += self._norm2(view[tuple(idx)])
        b = self._choose(norms[1], norms[0] + norms[1])
        scale = 1.0 / math.sqrt(norms[b])
        for idx, par in slices:
            if par == b:
                view[idx] *= scale
            else:
                view[idx] = 0
        for q, p in pairs:
            self._to_z(q, p, back=True)
        return b

    # ------------------------------------------------------------------ reading the state

    def sample(self, shots: int, qubits: Sequence[int]) -> np.ndarray:
        """Samples by inverting the cumulative distribution chunk by chunk (no 2^n probability array)."""
        self.flush()
        pos = [self._pos(q) for q in qubits]
        picks = sample_indices(self._psi, shots, self.rng, CHUNK)
        out = np.empty((shots, len(pos)), dtype=np.uint8)
        for j, p in enumerate(pos):
            out[:, j] = (picks >> p) & 1
        return out

    def state(self, qubits: Sequence[int] | None = None) -> np.ndarray:
        """The amplitudes with ``qubits[0]`` as the MSB (default: allocation order); for tests and tools."""
        self.flush()
        qubits = list(self._order[::-1] if qubits is None else qubits)
        if sorted(self._pos(q) for q in qubits) != list(range(len(self._order))):
            raise EngineError("state() needs every live qubit exactly once")
        n = len(self._order)
        t = self._psi.reshape((2,) * n) if n else self._psi
        return np.ascontiguousarray(t.transpose([n - 1 - self._pos(q) for q in qubits])).reshape(-1)

    def probabilities(self, qubits: Sequence[int]) -> np.ndarray:
        self.flush()
        n = len(self._order)
        t = (np.abs(self._psi) ** 2).reshape((2,) * n)
        axes = [n - 1 - self._pos(q) for q in qubits]
        other = tuple(a for a in range(n) if a not in axes)
        marg = t.sum(axis=other) if other else t
        kept = sorted(axes)
        return marg.transpose([kept.index(a) for a in axes]).reshape(-1)

    def copy(self) -> StateVector:
        self.flush()
        new = StateVector.__new__(StateVector)
        new.__dict__.update(self.__dict__)
        new._psi = self._psi.copy()
        new._order = list(self._order)
        new._blk = None
        new._one = {}
        return new

"""The QIR runtime that JIT-compiled code calls: ``__quantum__qis__*`` gates and ``__quantum__rt__*``.

Each bound function is a Python method reached through a ctypes callback (``qir_instrument`` builds the
native side). Pointer arguments arrive as integers (``None`` for ``null``), integers as signed i64.

Handles. A static qubit or result is the pointer value itself (``null`` is 0, ``inttoptr (i64 3)`` is 3)
and must be below the entry point's ``required_num_*`` when it declares one, else below ``max_qubits`` /
``max_results``; a static qubit joins the engine on first use, in |0> (as in qir-runner). Dynamic qubits
and results get handles from ``DYN_BASE`` up, never reused within a shot, so a stale handle is an error
("used after release"), not another qubit. Results that were never written read as 0.

Gates come from the QIS table of the frontends (``qmk.frontends.qis``): the same decomposition that
``qmk-lower`` uses, applied to the state-vector engine, with ``__adj`` as the inverse sequence. Their
matrices are built once per binding, not per call, because a shot is a few microseconds of work.
"""

from __future__ import annotations

import ctypes
import math

from qmk.frontends import qis

from .qir_abi import gate_steps
from .qir_kernels import DYN_BASE, MAX_QUBITS, NQDYN, NQPOS, NQSTATIC
from .qir_legacy import LegacyRuntime
from .qir_small import to_c
from .result import format_double

_RES_ZERO, _RES_ONE = DYN_BASE - 2, DYN_BASE - 1


def _qidx(h: int) -> int:
    """The index of qubit handle h in the native position table (qir_kernels), or -1."""
    if h < NQSTATIC:
        return h
    if DYN_BASE <= h < DYN_BASE + NQDYN:
        return NQSTATIC + h - DYN_BASE
    return -1


class QirFault(Exception):
    """The program did something the runtime refuses (bad id, NaN angle, a limit, ``fail``)."""


class QirRuntime(LegacyRuntime):
    """The state of one shot plus the run-wide limits; ``begin_shot`` starts a fresh shot."""

    def __init__(self, make_engine, *, qpos=None, max_qubits: int, max_results: int,
                 required_qubits: int | None, required_results: int | None, max_outputs: int = 100_000,
                 implicit_outputs: bool = False):
        self.make_engine = make_engine
        # With the small engine, ``qpos`` is its native handle -> position table (qir_kernels), kept
        # in step with the engine here; None with the numpy engine.
        self.qpos = qpos
        self.small = qpos is not None
        self._x = self._forms([("APPLY_X", (0,), {})])
        # Static ids stay below DYN_BASE - 2 so they never meet dynamic or constant handles; static
        # results are also capped by max_results, since each one is stored (qubits are capped by the
        # number live at once instead).
        self.qubit_limit = min(required_qubits if required_qubits is not None else max_qubits, DYN_BASE - 2)
        self.qubit_limit_why = "required_num_qubits" if required_qubits is not None else "max_qubits"
        if required_results is not None and required_results <= max_results:
            self.result_limit, self.result_limit_why = required_results, "required_num_results"
        else:
            self.result_limit, self.result_limit_why = min(max_results, DYN_BASE - 2), "max_results"
        self.max_qubits, self.max_results, self.max_outputs = max_qubits, max_results, max_outputs
        self.labels: dict[int, str] = {}
        self.strings: dict[int, str] = {}
        self.messages: list[str] = []
        self._peak = 0
        self.eng = None
        self.reset_buffers()
        # A module that records nothing is reported by its measured results, in the order first written
        # (as qmk-run keys a QVM program without output records by its measured events).
        self.implicit_outputs = implicit_outputs
        self.written: dict[int, None] = {}
        # With the small engine and a declared qubit count that fits it (and max_qubits), every shot
        # starts with the static qubits already live, as their first use would make them, so that the
        # native fast paths apply from the first gate.
        n0 = required_qubits if qpos is not None and required_qubits is not None else 0
        self.preset = n0 if n0 <= min(MAX_QUBITS, max_qubits) else 0
        self.preset_qpos = bytes(range(self.preset)) + b"\xff" * (NQPOS - self.preset)
        self._preset_map = {i: i for i in range(self.preset)}
        self.results: dict[int, int] = {}
        self.released: set[int] = set()
        # Static results below ``nres`` live in a byte array that native code reads and writes directly
        # (``read_result`` and ``mz`` need no Python for them); the others live in ``results``.
        self.nres = min(self.result_limit, 1 << 16)
        self.sres = (ctypes.c_uint8 * max(1, self.nres))()

    def begin_shot(self, native_done: bool = False) -> None:
        """A fresh shot: all qubits gone (or, with ``preset``, the static ones in |0>), results 0, no
        outputs. ``native_done``: ``@__qmk.shot`` (qir_kernels) has already reset the native side (small
        engine amplitudes, ``qpos``, the static results), so only the Python side is reset here."""
        eng = self.eng
        if eng is None or not self.small:
            if eng is not None:
                self._peak = max(self._peak, eng.peak_qubits)
            eng = self.eng = self.make_engine()
        else:
            eng.clear(native_done)
        if self.preset:
            eng.preset(self.preset, native_done)
            self.qmap = dict(self._preset_map)
        else:
            self.qmap = {}
        if len(self.results) != 2:
            self.results = {_RES_ZERO: 0, _RES_ONE: 1}
        if not native_done:
            ctypes.memset(self.sres, 0, self.nres)
            if self.qpos is not None:  # -1: not live
                ctypes.memmove(self.qpos, self.preset_qpos, NQPOS)
        if self.written:
            self.written.clear()
        self.outputs = []
        if self.buffers:
            self.reset_buffers()
        self.next_dyn_q = DYN_BASE
        self.next_dyn_r = DYN_BASE
        if self.released:
            self.released = set()

    @property
    def peak_qubits(self) -> int:
        """The most qubits live at once in any shot so far."""
        return max(self._peak, self.eng.peak_qubits if self.eng is not None else 0)

    def end_shot(self) -> None:
        if self.implicit_outputs:
            self.outputs = [("RESULT", "1" if self._read(r) else "0", None) for r in self.written]

    # ------------------------------------------------------------------ handles

    def q(self, h) -> int:
        """The engine slot of qubit handle ``h`` (allocating a static qubit on first use)."""
        h = h or 0
        s = self.qmap.get(h)
        if s is not None:
            return s
        if h in self.released or DYN_BASE <= h < self.next_dyn_q:
            raise QirFault(f"qubit handle {h:#x} is not allocated (used after release?)")
        if h >= self.qubit_limit:
            raise QirFault(f"qubit id {h} is out of range ({self.qubit_limit_why} = {self.qubit_limit})")
        return self._new_qubit(h)

    def _new_qubit(self, h: int) -> int:
        if len(self.qmap) >= self.max_qubits:
            raise QirFault(f"more than max_qubits = {self.max_qubits} qubits live at once")
        s = self.eng.allocate()
        self.qmap[h] = s
        if self.qpos is not None:
            i = _qidx(h)
            if i >= 0:
                self.qpos[i] = self.eng.pos[s]
        return s

    def _result_slot(self, h) -> int:
        """A result handle the program may write: a live dynamic result or a static id in range."""
        h = h or 0
        if h >= DYN_BASE:
            if h in self.results:
                return h
            raise QirFault(f"result handle {h:#x} is not allocated")
        if h >= self.result_limit:
            raise QirFault(f"result id {h} is out of range ({self.result_limit_why} = {self.result_limit})")
        return h

    def _set(self, r: int, b: int) -> None:
        if self.implicit_outputs:
            self.written[r] = None
        if r < self.nres:
            self.sres[r] = b
        else:
            self.results[r] = b

    def _read(self, h) -> int:
        h = h or 0
        if h < self.nres:
            return self.sres[h]
        v = self.results.get(h)
        if v is not None:
            return v
        if h >= DYN_BASE:
            raise QirFault(f"result handle {h:#x} is not allocated")
        if h >= self.result_limit:
            raise QirFault(f"result id {h} is out of range ({self.result_limit_why} = {self.result_limit})")
        return 0

    def label(self, p) -> str | None:
        if not p:
            return None
        s = self.labels.get(p)
        if s is None:
            s = ctypes.string_at(p)[:1000].decode("utf-8", "replace")
            if len(self.labels) < 10_000:  # labels are a module's constants; computed pointers are not cached
                self.labels[p] = s
        return s

    # ------------------------------------------------------------------ gates

    def gate(self, g: qis.Gate, adj: bool):
        """The callback of one QIS gate; angle-free gates get their matrices (compiled) once."""
        nq, na = g.n_qubits, g.n_angles + (1 if g.pauli_param else 0)
        name = f"__quantum__qis__{g.name}__{'adj' if adj else 'body'}"
        if na == 0:
            fixed = self._forms(gate_steps(g, adj))

            if nq == 1 and len(fixed) == 1:  # the common case, kept short: it runs once per gate
                m, c, _pos = fixed[0]

                def apply_one(h):
                    s = self.qmap.get(h or 0)
                    if s is None:
                        s = self.q(h)
                    if self.small:
                        self.eng.apply_c(c, (s,))
                    else:
                        self.eng.apply_matrix(m, (s,))

                return apply_one

            def apply_fixed(*hs):
                slots = [self.q(h) for h in hs]
                if nq > 1 and len(set(slots)) != nq:
                    raise QirFault(f"{name}: the same qubit is passed twice")
                self._apply(fixed, slots)

            return apply_fixed

        def apply_rot(*a):
            angles, hs = a[:na], a[na:]
            for x in angles[1:] if g.pauli_param else angles:
                if not math.isfinite(x):
                    raise QirFault(f"{name}: the rotation angle is {x}")
            slots = [self.q(h) for h in hs]
            if nq > 1 and len(set(slots)) != nq:
                raise QirFault(f"{name}: the same qubit is passed twice")
            self._apply(self._forms(gate_steps(g, adj, angles)), slots)

        return apply_rot

    def _forms(self, steps) -> list[tuple]:
        """(matrix, its ctypes form for the small engine, qubit positions) of each step."""
        from qmk import ops

        out = []
        for op, pos, args in steps:
            m = ops.matrix(op, args)
            out.append((m, to_c(m) if self.small else None, pos))
        return out

    def _apply(self, forms, slots) -> None:
        eng = self.eng
        if self.small:
            for _m, c, pos in forms:
                eng.apply_c(c, [slots[p] for p in pos])
        else:
            for m, _c, pos in forms:
                eng.apply_matrix(m, [slots[p] for p in pos])

    # ------------------------------------------------------------------ measurement and qubits

    def mz(self, qh, rh) -> None:
        r = self._result_slot(rh)
        self._set(r, self.eng.measure(self.q(qh), "Z"))

    def m_new(self, qh) -> int:
        r = self.result_allocate()
        self._set(r, self.eng.measure(self.q(qh), "Z"))
        return r

    def mresetz(self, qh, rh) -> None:
        r = self._result_slot(rh)
        s = self.q(qh)
        b = self.eng.measure(s, "Z")
        if b:
            self._apply(self._x, [s])
        self._set(r, b)

    def reset(self, qh) -> None:
        self.eng.reset(self.q(qh))

    def read_result(self, rh) -> int:
        return self._read(rh)

    def write_result(self, v, rh) -> None:
        self._set(self._result_slot(rh), 1 if v else 0)

    def qubit_allocate(self, _err=None) -> int:
        h = self.next_dyn_q
        self.next_dyn_q += 1
        self._new_qubit(h)
        return h

    def qubit_release(self, qh) -> None:
        h = qh or 0
        s = self.qmap.pop(h, None)
        if s is None:
            raise QirFault(f"qubit handle {h:#x} released but not allocated (released twice?)")
        self.released.add(h)
        self.eng.release(s)
        if self.qpos is not None:  # positions above the released qubit moved down
            i = _qidx(h)
            if i >= 0:
                self.qpos[i] = -1
            for hh, ss in self.qmap.items():
                i = _qidx(hh)
                if i >= 0:
                    self.qpos[i] = self.eng.pos[ss]

    def result_allocate(self, _err=None) -> int:
        if len(self.results) - 2 >= self.max_results:
            raise QirFault(f"more than max_results = {self.max_results} results")
        h = self.next_dyn_r
        self.next_dyn_r += 1
        self.results[h] = 0
        return h

    def result_release(self, rh) -> None:
        h = rh or 0
        if h < DYN_BASE or self.results.pop(h, None) is None:
            raise QirFault(f"result handle {h:#x} released but not allocated")

    def result_one(self) -> int:
        return _RES_ONE

    def result_zero(self) -> int:
        return _RES_ZERO

    def result_equal(self, a, b) -> int:
        return int(self._read(a) == self._read(b))

    # ------------------------------------------------------------------ strings, messages, failure

    def _text(self, p) -> str:
        if not p:
            return ""
        s = self.strings.get(p)
        return s if s is not None else ctypes.string_at(p)[:1000].decode("utf-8", "replace")

    def string_create(self, p) -> int:
        if len(self.strings) >= 100_000:
            raise QirFault("more than 100000 strings created")
        h = DYN_BASE * 2 + len(self.strings)
        self.strings[h] = self._text(p)
        return h

    def message(self, p) -> None:
        if len(self.messages) < 100:
            self.messages.append(self._text(p))

    def fail(self, p) -> None:
        raise QirFault(f"the program called __quantum__rt__fail: {self._text(p)!r}")

    # ------------------------------------------------------------------ output recording

    def _out(self, typ: str, value: str, lp) -> None:
        if len(self.outputs) >= self.max_outputs:
            raise QirFault(f"more than {self.max_outputs} output records in one shot")
        self.outputs.append((typ, value, self.label(lp)))

    def rec_result(self, rh, lp=None) -> None:
        self._out("RESULT", "1" if self._read(rh) else "0", lp)

    def rec_bool(self, v, lp=None) -> None:
        self._out("BOOL", "true" if v else "false", lp)

    def rec_int(self, v, lp=None) -> None:
        self._out("INT", str(v), lp)

    def rec_double(self, x, lp=None) -> None:
        self._out("DOUBLE", format_double(x), lp)

    def rec_tuple(self, n, lp) -> None:
        self._check_count(n)
        self._out("TUPLE", str(n), lp)

    def rec_array(self, n, lp) -> None:
        self._check_count(n)
        self._out("ARRAY", str(n), lp)

    def rec_result_array(self, n, arr, lp) -> None:
        self._check_count(n)
        ptrs = (ctypes.c_void_p * n).from_address(arr) if n else []
        self._out("RESULT_ARRAY", "".join("1" if self._read(p) else "0" for p in ptrs), lp)

    def _check_count(self, n: int) -> None:
        if n < 0 or n > self.max_outputs:
            raise QirFault(f"an output container of {n} items")

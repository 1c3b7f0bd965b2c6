"""QvmBuilder: the one place where QIR calls become QVM nodes. Every QIR reader feeds it.

API for readers (the LLVM reader in qir_llvm.py and the relaxed-text reader in qir_text.py):

    b = QvmBuilder(name, profile=None, max_qubits=100_000)
    b.set_required(num_qubits=2, num_results=2, loc=None)   # from entry attributes, optional
    v = b.call(callee, args, loc=None)                       # one call instruction, in program order
    b.guard = bit.guard(True)                                # condition for the following nodes (or None)
    prog = b.finish(metadata={...})                          # the Program (b is spent)

``call`` takes the callee's full name (``__quantum__qis__h__body``) and the arguments as the reader
saw them, without interpreting them:

* ``Ptr(k)`` for a constant pointer (``null`` is ``Ptr(0)``, ``inttoptr (i64 k to ...)`` is ``Ptr(k)``);
  whether it is a qubit or a result is decided here, by callee and position, because LLVM erases
  pointer types;
* ``float`` for a ``double`` constant, ``int`` for an integer constant (``i1`` as 0/1), ``Label(bytes)``
  for a string global (without its trailing NUL), ``None`` for a null label;
* values a previous ``call`` returned: ``DynQubit`` (``qubit_allocate``), ``DynResult`` (legacy 1-argument
  ``m``), ``Bit`` (``read_result``; ``bit.negate()`` for ``xor i1 %b, true``);
* ``Opaque("what")`` for anything computed at run time; using it raises ``NotStaticError`` naming it.

``call`` returns the call's value (``DynQubit``, ``DynResult``, ``Bit``, or for the legacy control
arrays ``ArrayVal``/``ElemRef``, filled by ``b.store(elem_ref, qubit)``) or None. Two readers that feed
the same calls get byte-identical QVM (node ``loc`` aside, which JSON keeps but equality ignores): all
naming happens in ``finish``. The values live in values.py, the hot-path gate closures in fastgates.py,
the ``__quantum__rt__`` functions in rtcalls.py.

Naming (issue 3, item 7): static qubit ``k`` is ``q<k>``; dynamic qubits follow as ``q<S>, q<S+1>...``
(``S`` = static qubit count) in allocation order; the first write of static result ``k`` is event
``r<k>``, later writes ``r<k>.1, r<k>.2...`` (an event is produced once); legacy dynamic results are
``r<R>, ...`` after the static ones. Node ids are ``n0, n1...`` in program order. Static qubits get one
``ALLOC_LQ`` first (``args.profile``) and one ``FREE_LQ`` last; dynamic qubits are allocated and
released where the program does it (unreleased ones are freed at the end).
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, InputError
from ..ir import EMPTY, Location, Node, Program, Resources
from ..ops import CAPABILITIES, OPS
from ..profile import DEFAULT_PROFILE, ProfileError, parse_profile
from . import qis
from .errors import NotStaticError, fail
from .fastgates import fixed_gate, rotation
from .rtcalls import runtime_call
from .values import DYN_Q as _DYN_Q
from .values import ArrayVal, Bit, DynQubit, DynResult, ElemRef, Label, Opaque, Ptr
from .values import describe as _describe

__all__ = ["QvmBuilder", "Bit", "DynQubit", "DynResult", "Label", "Opaque", "Ptr"]


class QvmBuilder:
    def __init__(
        self,
        name: str,
        *,
        profile: str | None = None,
        max_qubits: int = 100_000,
        max_results: int | None = None,
    ) -> None:
        self.name = name
        try:
            self.profile = str(parse_profile(profile)) if profile else DEFAULT_PROFILE
        except ProfileError as e:
            raise InputError.from_diag(Diagnostic("QMK106", f"--profile: {e}")) from None
        self.max_qubits = max_qubits
        self.max_results = max_results if max_results is not None else 10 * max_qubits
        self.guard: Mapping | None = None
        self.req_qubits: int | None = None
        self.req_results: int | None = None
        # Nodes are built once, numbered from n1 on the assumption that a static ALLOC_LQ will be n0;
        # finish() renames only when that or a dynamic name turns out otherwise.
        self._nodes: list[Node] = []
        self._max_q = -1
        self._max_r = -1
        self._writes: dict[int, int] = {}  # static result id -> number of writes so far
        self._dyn_live: dict[int, bool] = {}  # dynamic qubit index -> still allocated
        self._dyn_results = 0
        self._events: list[tuple[tuple[int, int], str]] = []
        self.outputs: list[dict] = []
        self._fast: dict = {}  # callee -> fast lowering of a parameterless gate
        self._qn: dict[int, str] = {}  # static qubit id -> name, for ids already checked

    # ------------------------------------------------------------------ setup

    def set_required(
        self, num_qubits: int | None = None, num_results: int | None = None, loc: Location | None = None
    ) -> None:
        """``required_num_qubits/results`` of the entry point; refused above the limits before any use."""
        for what, n, limit in (
            ("qubits", num_qubits, self.max_qubits),
            ("results", num_results, self.max_results),
        ):
            if n is None:
                continue
            if n < 0:
                raise fail("QMK704", f"required_num_{what} is negative ({n})", loc)
            if n > limit:
                raise fail(
                    "QMK705",
                    f"required_num_{what} = {n} is above the limit of {limit} {what}",
                    loc,
                    notes=["raise it with --max-qubits if the program really needs that many"],
                )
        self.req_qubits, self.req_results = num_qubits, num_results
        self._qn.clear()

    # ------------------------------------------------------------------ operands

    def _qubit(self, v, callee: str, pos: int, loc) -> str:
        if type(v) is Ptr:
            k = v.id
            name = self._qn.get(k)
            if name is not None:
                return name
            if 0 <= k < (self.req_qubits if self.req_qubits is not None else self.max_qubits):
                self._max_q = max(self._max_q, k)
                name = self._qn[k] = f"q{k}"
                return name
        if isinstance(v, Ptr):
            k = v.id
            if k < 0:
                raise fail("QMK704", f"{callee}: qubit id {k} is negative", loc)
            limit = self.req_qubits if self.req_qubits is not None else self.max_qubits
            if k >= limit:
                why = "required_num_qubits" if self.req_qubits is not None else "the qubit limit"
                raise fail("QMK704", f"{callee}: qubit id {k} is outside {why} ({limit})", loc)
            self._max_q = max(self._max_q, k)
            return f"q{k}"
        if isinstance(v, DynQubit):
            if not self._dyn_live.get(v.index, False):
                raise fail("QMK707", f"{callee}: dynamic qubit used after release", loc)
            return f"{_DYN_Q}{v.index}"
        raise self._bad_arg(v, callee, pos, "a qubit", loc)

    def _result_id(self, v, callee: str, pos: int, loc) -> int | DynResult:
        if isinstance(v, Ptr):
            k = v.id
            if k < 0:
                raise fail("QMK704", f"{callee}: result id {k} is negative", loc)
            limit = self.req_results if self.req_results is not None else self.max_results
            if k >= limit:
                why = "required_num_results" if self.req_results is not None else "the result limit"
                raise fail("QMK704", f"{callee}: result id {k} is outside {why} ({limit})", loc)
            self._max_r = max(self._max_r, k)
            return k
        if isinstance(v, DynResult):
            return v
        raise self._bad_arg(v, callee, pos, "a result", loc)

    def _read(self, v, callee: str, pos: int, loc) -> str:
        """The event a result currently holds (the latest write)."""
        rid = self._result_id(v, callee, pos, loc)
        if isinstance(rid, DynResult):
            return f"\x00r{rid.index}"
        w = self._writes.get(rid)
        if w is None:
            raise fail("QMK709", f"{callee}: result {rid} is read before any measurement writes it", loc)
        return f"r{rid}" if w == 1 else f"r{rid}.{w - 1}"

    def _write(self, rid: int | DynResult) -> str:
        if isinstance(rid, DynResult):
            return f"\x00r{rid.index}"
        w = self._writes.get(rid, 0)
        self._writes[rid] = w + 1
        name = f"r{rid}" if w == 0 else f"r{rid}.{w}"
        self._events.append(((0, rid, w), name))
        return name

    def _angle(self, v, callee: str, pos: int, loc) -> float:
        if type(v) is float and v - v == 0.0:  # finite
            return v
        if isinstance(v, bool) or not isinstance(v, (float, int)):
            raise self._bad_arg(v, callee, pos, "a double angle", loc)
        x = float(v)
        if not math.isfinite(x):
            raise fail("QMK708", f"{callee}: angle {x} is not a finite number", loc)
        return x

    def _int(self, v, callee: str, pos: int, loc) -> int:
        if isinstance(v, bool) or not isinstance(v, int):
            raise self._bad_arg(v, callee, pos, "an integer constant", loc)
        return v

    def _label(self, v, callee: str, pos: int, loc) -> str | None:
        if v is None or (isinstance(v, Ptr) and v.id == 0):
            return None
        if isinstance(v, Label):
            return v.text()
        raise self._bad_arg(v, callee, pos, "a string label", loc)

    def _bad_arg(self, v, callee, pos, want, loc) -> Exception:
        if isinstance(v, Opaque):
            return NotStaticError.make(
                f"{callee}: argument {pos + 1} is {v.what}, known only at run time", loc
            )
        if isinstance(v, (Bit, dict)):
            return NotStaticError.make(
                f"{callee}: argument {pos + 1} is computed from measurement results; "
                f"it should be {want} known before the program runs",
                loc,
            )
        return fail("QMK703", f"{callee}: argument {pos + 1} should be {want}, got {_describe(v)}", loc)

    # ------------------------------------------------------------------ emission

    def _emit(
        self,
        op: str,
        vqs: tuple[str, ...] = (),
        args: dict | None = None,
        produces: tuple[str, ...] = (),
        loc: Location | None = None,
    ) -> None:
        nodes = self._nodes
        nodes.append(
            Node(f"n{len(nodes) + 1}", op, vqs, args or EMPTY, produces, (), (), self.guard, (), loc)
        )

    def _arity(self, callee: str, args: Sequence, n: int | tuple[int, ...], loc) -> None:
        ok = (n,) if isinstance(n, int) else n
        if len(args) not in ok:
            want = " or ".join(str(k) for k in ok)
            raise fail("QMK703", f"{callee} takes {want} argument(s), got {len(args)}", loc)

    def call(self, callee: str, args: Sequence, loc: Location | None = None):
        """Lower one call instruction; returns its value (DynQubit, DynResult, Bit) or None."""
        fast = self._fast.get(callee)
        if fast:
            return fast(args, loc)
        args = list(args)
        if callee.startswith("__quantum__qis__"):
            return self._qis(callee, args, loc)
        if callee.startswith("__quantum__rt__"):
            return runtime_call(self, callee, args, loc)
        raise fail("QMK702", f"call to unknown function '{callee}' (not a QIR QIS or runtime function)", loc)

    def _qis(self, callee: str, args: list, loc):
        parts = qis.split_name(callee)
        base, variant = parts if parts else ("", "")
        if base in ("mz", "m", "mresetz") and variant == "body":
            self._arity(callee, args, (1, 2) if base != "mresetz" else 2, loc)
            q = self._qubit(args[0], callee, 0, loc)
            if len(args) == 2:
                ev = self._write(self._result_id(args[1], callee, 1, loc))
                ret = None
            else:
                ret = DynResult(self._dyn_results)
                self._dyn_results += 1
                ev = self._write(ret)
            self._emit("MEASURE_Z", (q,), None, (ev,), loc)
            if base == "mresetz":
                self._emit("RESET", (q,), None, (), loc)
            return ret
        if base == "reset" and variant == "body":
            self._arity(callee, args, 1, loc)
            self._emit("RESET", (self._qubit(args[0], callee, 0, loc),), None, (), loc)
            return None
        if base == "read_result" and variant == "body":
            self._arity(callee, args, 1, loc)
            return Bit(self._read(args[0], callee, 0, loc))
        if base == "barrier" and variant == "body":
            self._arity(callee, args, 0, loc)
            self._emit("FENCE_EPOCH", loc=loc)
            return None
        gate = qis.GATES.get(base)
        if gate is not None and variant in ("ctl", "ctladj"):
            return self._controlled(callee, gate, variant == "ctladj", args, loc)
        if gate is None or variant not in ("body", "adj"):
            raise fail("QMK702", f"unknown QIS function '{callee}'", loc)
        n_cls = 1 if gate.pauli_param else 0
        self._arity(callee, args, n_cls + gate.n_angles + gate.n_qubits, loc)
        params: list[float] = []
        if gate.pauli_param:
            params.append(self._int(args[0], callee, 0, loc) & 3)
        params += [self._angle(args[i], callee, i, loc) for i in range(n_cls, n_cls + gate.n_angles)]
        first_q = n_cls + gate.n_angles
        qubits = [self._qubit(args[i], callee, i, loc) for i in range(first_q, len(args))]
        if len(set(qubits)) != len(qubits):
            raise fail("QMK706", f"{callee}: the same qubit is used twice in one gate", loc)
        steps = gate.lower(tuple(params))
        if variant == "adj":
            steps = qis.adjoint(steps)
        if not params:
            self._fast[callee] = fixed_gate(self, callee, len(args), steps)
        elif not gate.pauli_param and len(steps) == 1 and gate.n_qubits == 1 and gate.n_angles == 1:
            self._fast[callee] = rotation(
                self, callee, steps[0][0], steps[0][2]["theta"] / params[0] if params[0] else None
            )
        for op, idx, op_args in steps:
            self._emit(op, tuple(qubits[i] for i in idx), op_args, (), loc)
        return None

    def store(self, ptr, value, loc: Location | None = None) -> None:
        """``store value, ptr``: only into the element of a control array is meaningful statically."""
        if not isinstance(ptr, ElemRef):
            raise NotStaticError.make("a store to memory the static lowering cannot follow", loc)
        ptr.array.items[ptr.index] = value

    def _controlled(self, callee: str, gate, adj: bool, args: list, loc):
        """Legacy ``<gate>__ctl(%Array* controls, operands)``, for the gates with a parameterless target."""
        if gate.n_angles or gate.pauli_param:
            raise fail(
                "QMK702",
                f"'{callee}': controlled rotations take a runtime tuple of arguments; they are not supported",
                loc,
            )
        self._arity(callee, args, 1 + gate.n_qubits, loc)
        arr = args[0]
        if not isinstance(arr, ArrayVal):
            raise self._bad_arg(arr, callee, 0, "an array of control qubits", loc)
        if any(v is None for v in arr.items):
            raise fail("QMK703", f"{callee}: an element of the control array was never stored", loc)
        controls = [self._qubit(v, callee, 0, loc) for v in arr.items]
        steps = qis.controlled(gate.name, adj, len(controls))
        if steps is None:
            raise fail("QMK702", f"'{callee}' with {len(controls)} control(s) is not supported", loc)
        qubits = controls + [self._qubit(args[i], callee, i, loc) for i in range(1, len(args))]
        if len(set(qubits)) != len(qubits):
            raise fail("QMK706", f"{callee}: the same qubit is used twice in one gate", loc)
        for op, idx, op_args in steps:
            self._emit(op, tuple(qubits[i] for i in idx), op_args, (), loc)
        return None

    # ------------------------------------------------------------------ the program

    def finish(self, metadata: dict | None = None) -> Program:
        """Name everything (see the module docstring) and build the Program."""
        n_static = max(self._max_q + 1, self.req_qubits or 0)
        n_results = max(self._max_r + 1, self.req_results or 0)
        qmap = {f"{_DYN_Q}{i}": f"q{n_static + i}" for i in range(len(self._dyn_live))}
        emap = {f"\x00r{i}": f"r{n_results + i}" for i in range(self._dyn_results)}
        static_q = tuple(f"q{k}" for k in range(n_static))
        nodes = self._nodes
        self._nodes = []
        if qmap or emap:
            nodes = [_rename_node(n, qmap, emap) for n in nodes]
        if static_q:
            nodes.insert(0, Node("n0", "ALLOC_LQ", static_q, {"n": n_static, "profile": self.profile}))
        else:
            nodes = [n.replace(id=f"n{i}") for i, n in enumerate(nodes)]

        def add(op, vqs, args):
            nodes.append(Node(f"n{len(nodes)}", op, vqs, args))

        live_dyn = tuple(qmap[f"{_DYN_Q}{i}"] for i, live in self._dyn_live.items() if live)
        if static_q or live_dyn:
            add("FREE_LQ", static_q + live_dyn, {})
        outputs = [_rename_output(o, emap) for o in self.outputs] if emap else list(self.outputs)
        events = [name for _key, name in sorted(self._events)] + [emap[k] for k in sorted(emap)]
        dyn_names = tuple(qmap[f"{_DYN_Q}{i}"] for i in range(len(qmap)))
        used = {n.op for n in nodes}  # the builder's nodes carry no caps of their own
        caps = tuple(c for c in CAPABILITIES if any(OPS[op].cap == c for op in used))
        return Program(
            nodes, Resources(static_q + dyn_names, (), tuple(events)), caps, outputs, dict(metadata or {})
        )


def _rename_node(n: Node, qmap: dict, emap: dict) -> Node:
    """Dynamic placeholders replaced by final names (nodes without them are kept as they are)."""
    changes = {}
    if qmap and any(q in qmap for q in n.vqs):
        changes["vqs"] = tuple(qmap.get(q, q) for q in n.vqs)
    if emap and any(e in emap for e in n.produces):
        changes["produces"] = tuple(emap.get(e, e) for e in n.produces)
    if emap and n.guard is not None:
        changes["guard"] = _rename_guard(n.guard, emap)
    return n.replace(**changes) if changes else n


def _rename_guard(g: Mapping, emap: dict) -> dict:
    if "event" in g:
        return {**g, "event": emap.get(g["event"], g["event"])}
    key = "all" if "all" in g else "any"
    return {key: [_rename_guard(x, emap) for x in g[key]]}


def _rename_output(o: dict, emap: dict) -> dict:
    return {**o, "event": emap.get(o["event"], o["event"])} if "event" in o else o

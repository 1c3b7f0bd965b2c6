"""OpenQASM 2.0 to QVM: ``read(text, name) -> Program``.

Statements come from ``qasm_syntax`` (regular-expression fast path plus lark); this module gives them
their meaning, following the OpenQASM 2.0 specification (Cross et al. 2017):

* Quantum registers are flattened into qubits ``q0, q1, ...`` in declaration order (the register
  layout is kept in ``metadata["qregs"]``); one ``ALLOC_LQ`` comes first and one ``FREE_LQ`` last.
* Gates: the builtins ``U`` and ``CX``; after ``include "qelib1.inc"`` every qelib1 gate, lowered
  natively by ``decompose.QELIB1`` (exact up to global phase); user ``gate`` definitions, expanded
  at each use with their parameters bound. ``opaque`` gates have no meaning QMK could lower: refused.
* Register arguments broadcast: ``cx a, b`` is ``cx a[i], b[i]`` for every ``i`` (same sizes), and a
  single qubit pairs with every element.
* ``measure`` produces events ``r0, r1, ...`` in measurement order. ``if (c == n) op`` guards ``op`` on
  the latest event of every bit of ``c`` (``c[0]`` is the least significant bit). A bit that was
  never measured reads 0, so its term is decided statically: if it must be 1 the statement never
  runs (it is checked, then dropped); if it must be 0 the term is left out.
* Outputs: per classical register, ``ARRAY`` (count, label) then one ``RESULT`` per bit: the bit's
  latest event, or the constant 0 for a bit never measured.
* ``barrier`` is a ``BAR_REGION`` node over the named qubits, so nothing moves across it on them.

Diagnostic codes QMK750-QMK769 (docs/frontends.md). Every size is checked before anything is
allocated, and the number of nodes a program expands to is bounded by ``max_nodes``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..diagnostics import Diagnostic, InputError
from ..ir import EMPTY, Location, Node, Program, Resources
from ..profile import DEFAULT_PROFILE, ProfileError, parse_profile
from .decompose import QELIB1, GateDef
from .errors import fail
from .qasm_syntax import ExprError, evaluate, params_of, statements

BUILTINS: dict[str, GateDef] = {
    "U": GateDef("U", 1, 3, lambda p: [("APPLY_U", (0,), {"theta": p[0], "phi": p[1], "lam": p[2]})]),
    "CX": GateDef("CX", 2, 0, lambda p: [("APPLY_CNOT", (0, 1), {})]),
}
MAX_GATE_DEPTH = 100
_NEVER = object()  # the guard of a statement whose if() condition can never hold


@dataclass(slots=True)
class UserGate:
    name: str
    params: list[str]
    qargs: list[str]
    body: list  # ("call", gate, exprs, qarg positions) | ("barrier", qarg positions)
    size: int  # nodes one application expands to
    depth: int

    @property
    def num_qubits(self) -> int:
        return len(self.qargs)

    @property
    def num_params(self) -> int:
        return len(self.params)


def read(text: str, name: str, *, profile: str | None = None, max_qubits: int = 100_000,
         max_nodes: int = 10_000_000, fast: bool = True) -> Program:
    """Lower OpenQASM 2.0 source to a QVM program; InputError (exit 3) with file:line:col otherwise."""
    from ..qvmjson import gc_paused

    with gc_paused():  # millions of acyclic objects: the cyclic collector only costs time here
        return _Reader(text, name, profile, max_qubits, max_nodes).run(fast)


class _Reader:
    def __init__(self, text: str, name: str, profile: str | None, max_qubits: int, max_nodes: int) -> None:
        try:
            self.profile = str(parse_profile(profile)) if profile else DEFAULT_PROFILE
        except ProfileError as e:
            raise InputError.from_diag(Diagnostic("QMK106", f"--profile: {e}")) from None
        self.text, self.name = text, name
        self.max_qubits, self.max_bits, self.max_nodes = max_qubits, 10 * max_qubits, max_nodes
        self.gates: dict[str, GateDef | UserGate] = dict(BUILTINS)
        self.qregs: dict[str, tuple[int, int]] = {}
        self.cregs: dict[str, tuple[int, int]] = {}
        self.qnames: list[str] = []
        self.latest: list[str | None] = []
        self.events: list[str] = []
        self.nodes: list[Node] = []
        self.sizes: dict[str, int] = {}
        self.steps: dict[str, list] = {}  # steps of parameterless native gates, computed once
        self.count = 0

    # ------------------------------------------------------------------ helpers

    def fail(self, code: str, message: str, at: Location, notes=()) -> InputError:
        return fail(code, message, at, notes)

    def emit(self, op: str, vqs: tuple, args, produces: tuple, guard, loc: Location) -> None:
        if guard is _NEVER:
            return
        self.nodes.append(Node(f"n{len(self.nodes) + 1}", op, vqs, args or EMPTY, produces, (), (), guard, (), loc))

    def qubits(self, arg, at: Location):
        """A qubit name for ``r[i]``, the list of names for a whole register ``r``."""
        reg, idx = arg
        r = self.qregs.get(reg)
        if r is None:
            what = f"'{reg}' is a classical register; a qubit is needed here" if reg in self.cregs \
                else f"unknown quantum register '{reg}'"
            raise self.fail("QMK754", what, at)
        off, size = r
        if idx is None:
            return self.qnames[off : off + size]
        if idx >= size:
            raise self.fail("QMK755", f"index {idx} is out of range for qreg {reg}[{size}]", at)
        return self.qnames[off + idx]

    def bits(self, arg, at: Location):
        reg, idx = arg
        r = self.cregs.get(reg)
        if r is None:
            what = f"'{reg}' is a quantum register; a classical register is needed here" if reg in self.qregs \
                else f"unknown classical register '{reg}'"
            raise self.fail("QMK754", what, at)
        off, size = r
        if idx is None:
            return list(range(off, off + size))
        if idx >= size:
            raise self.fail("QMK755", f"index {idx} is out of range for creg {reg}[{size}]", at)
        return off + idx

    def broadcast(self, resolved: list, at: Location, what: str) -> list[tuple]:
        """Operand tuples of a statement, register arguments taken element by element."""
        sizes = {len(x) for x in resolved if isinstance(x, list)}
        if not sizes:
            return [tuple(resolved)]
        if len(sizes) > 1:
            raise self.fail("QMK756", f"{what}: register arguments have different sizes "
                            f"({', '.join(map(str, sorted(sizes)))})", at)
        n = sizes.pop()
        return [tuple(x[i] if isinstance(x, list) else x for x in resolved) for i in range(n)]

    def size_of(self, gate) -> int:
        if isinstance(gate, UserGate):
            return gate.size
        n = self.sizes.get(gate.name)
        if n is None:
            n = self.sizes[gate.name] = len(gate.expand((0.0,) * gate.num_params))
        return n

    def guard_for(self, creg: str, value: int, at: Location):
        """The guard of ``if (creg == value)``: None (always), _NEVER, or a guard over latest events."""
        off, size = self.cregs.get(creg, (None, 0))
        if off is None:
            raise self.fail("QMK754", f"unknown classical register '{creg}' in if()", at)
        if value >= 1 << size:
            return _NEVER
        terms = []
        for i in range(size):
            bit, ev = (value >> i) & 1, self.latest[off + i]
            if ev is None:
                if bit:
                    return _NEVER
                continue
            terms.append({"event": ev, "equals": bit})
        if not terms:
            return None
        return terms[0] if len(terms) == 1 else {"all": terms}

    # ------------------------------------------------------------------ statements

    def run(self, fast: bool) -> Program:
        handlers = {
            "call": self.call, "measure": self.measure, "reset": self.reset, "barrier": self.barrier,
            "qreg": self.reg, "creg": self.reg, "gate": self.gate, "include": self.include,
            "header": self.header, "if": self.if_, "opaque": self.opaque,
        }
        self.first = True
        for st in statements(self.text, self.name, fast=fast):
            handlers[st[0]](st)
            self.first = False
        return self.finish()

    def header(self, st) -> None:
        _, version, at = st
        if not self.first:
            raise self.fail("QMK751", "OPENQASM must be the first statement", at)
        if version not in ("2.0", "2"):
            raise self.fail("QMK751", f"OpenQASM {version} is not supported; this reader reads OpenQASM 2.0", at)

    def include(self, st) -> None:
        _, file, at = st
        if file != "qelib1.inc":
            raise self.fail("QMK751", f'cannot include "{file}": only "qelib1.inc" is available',
                            at, notes=["paste the gate definitions into the program instead"])
        for gname, gate in QELIB1.items():
            if isinstance(self.gates.get(gname), UserGate):
                raise self.fail("QMK760", f"gate '{gname}' is defined before including qelib1.inc, "
                                "which defines it too", at)
            self.gates[gname] = gate

    def reg(self, st) -> None:
        kind, rname, size, at = st
        if rname in self.qregs or rname in self.cregs:
            raise self.fail("QMK760", f"register '{rname}' is declared twice", at)
        if size == 0:
            raise self.fail("QMK759", f"{kind} {rname}[0] has no elements", at)
        if kind == "qreg":
            total, limit, what = len(self.qnames) + size, self.max_qubits, "qubits"
        else:
            total, limit, what = len(self.latest) + size, self.max_bits, "classical bits"
        if total > limit:
            raise self.fail("QMK759", f"{kind} {rname}[{size}] brings the program to {total} {what}, "
                            f"above the limit of {limit}", at, notes=["raise it with --max-qubits"])
        if kind == "qreg":
            self.qregs[rname] = (len(self.qnames), size)
            self.qnames.extend(f"q{k}" for k in range(len(self.qnames), total))
        else:
            self.cregs[rname] = (len(self.latest), size)
            self.latest.extend([None] * size)

    def opaque(self, st) -> None:
        raise self.fail("QMK761", f"opaque gate '{st[1]}' has no definition, so QMK cannot lower it", st[2],
                        notes=["define it with a gate body instead"])

    def gate(self, st) -> None:
        from .qasm_gates import define

        gname, at = st[1], st[5]
        if gname in self.gates:
            raise self.fail("QMK760", f"gate '{gname}' is already defined", at)
        self.gates[gname] = define(self, st)

    def call(self, st, guard=None) -> None:
        _, gname, exprs, args, at = st
        gate = self.gates.get(gname)
        if gate is None or len(exprs) != gate.num_params or len(args) != gate.num_qubits:
            self.bad_call(gate, gname, exprs, args, at)
        values = tuple(self.value(e, at) for e in exprs) if exprs else ()
        qs = []
        qregs, qnames = self.qregs, self.qnames
        for reg, idx in args:  # the common case first: every operand one qubit of a register
            r = qregs.get(reg)
            if r is None or idx is None or idx >= r[1]:
                break
            qs.append(qnames[r[0] + idx])
        else:
            n = len(qs)
            if n > 1 and (qs[0] == qs[1] if n == 2 else len(set(qs)) != n):
                raise self.fail("QMK757", f"gate '{gname}' uses the same qubit twice", at)
            nodes = self.nodes
            steps = self.steps.get(gname) if not values and guard is None else None
            if steps is not None and len(nodes) + len(steps) <= self.max_nodes:
                for op, idx, a in steps:  # the hottest path: a parameterless native gate, inlined
                    k = len(idx)
                    vqs = (qs[idx[0]],) if k == 1 else (qs[idx[0]], qs[idx[1]]) if k == 2 else tuple(qs[i] for i in idx)
                    nodes.append(Node(f"n{len(nodes) + 1}", op, vqs, a or EMPTY, (), (), (), None, (), at))
                return
            if len(nodes) + self.size_of(gate) > self.max_nodes:
                raise self.fail("QMK763", f"the program expands to more than {self.max_nodes} operations", at)
            self.apply(gate, values, tuple(qs), guard, at)
            return
        resolved = [self.qubits(a, at) for a in args]
        for qs in self.broadcast(resolved, at, f"gate '{gname}'"):
            if len(set(qs)) != len(qs):
                raise self.fail("QMK757", f"gate '{gname}' uses the same qubit twice", at)
            if len(self.nodes) + self.size_of(gate) > self.max_nodes:
                raise self.fail("QMK763", f"the program expands to more than {self.max_nodes} operations", at)
            self.apply(gate, values, qs, guard, at)

    def bad_call(self, gate, gname: str, exprs, args, at: Location):
        if gate is None:
            notes = ['add include "qelib1.inc";'] if gname in QELIB1 else []
            raise self.fail("QMK752", f"unknown gate '{gname}'", at, notes=notes)
        raise self.fail("QMK753", f"gate '{gname}' takes {gate.num_params} parameter(s) and "
                        f"{gate.num_qubits} qubit(s), got {len(exprs)} and {len(args)}", at)

    def value(self, expr, at: Location, env=None) -> float:
        if type(expr) is not float and env is None and params_of(expr):
            raise self.fail("QMK754", f"unknown parameter '{min(params_of(expr))}'", at)
        try:
            return evaluate(expr, env)
        except ExprError as e:
            raise self.fail("QMK758", f"angle expression: {e}", at) from None

    def apply(self, gate, values: tuple, qs: tuple, guard, loc: Location) -> None:
        if isinstance(gate, UserGate):
            from .qasm_gates import expand

            expand(self, gate, values, qs, guard, loc)
            return
        if guard is _NEVER:
            return
        steps = self.steps.get(gate.name) if not values else None
        if steps is None:
            steps = gate.expand(values)
            if not values:
                self.steps[gate.name] = steps
        nodes = self.nodes
        for op, idx, a in steps:
            n = len(idx)
            vqs = (qs[idx[0]],) if n == 1 else (qs[idx[0]], qs[idx[1]]) if n == 2 else tuple(qs[i] for i in idx)
            nodes.append(Node(f"n{len(nodes) + 1}", op, vqs, a or EMPTY, (), (), (), guard, (), loc))

    def measure(self, st, guard=None) -> None:
        _, src, dst, at = st
        if guard is not None and guard is not _NEVER:
            raise self.fail("QMK762", "a measurement under if() is not supported: its result would exist "
                            "only on some runs", at)
        qs, bs = self.qubits(src, at), self.bits(dst, at)
        if isinstance(qs, list) != isinstance(bs, list):
            raise self.fail("QMK756", "measure: both sides must be single bits or whole registers", at)
        for q, b in self.broadcast([qs, bs], at, "measure"):
            if guard is _NEVER:
                continue
            ev = f"r{len(self.events)}"
            self.events.append(ev)
            self.latest[b] = ev
            self.emit("MEASURE_Z", (q,), EMPTY, (ev,), None, at)

    def reset(self, st, guard=None) -> None:
        _, arg, at = st
        qs = self.qubits(arg, at)
        for q in [qs] if isinstance(qs, str) else qs:
            self.emit("RESET", (q,), EMPTY, (), guard, at)

    def barrier(self, st) -> None:
        _, args, at = st
        seen: dict[str, None] = {}
        for a in args:
            qs = self.qubits(a, at)
            for q in [qs] if isinstance(qs, str) else qs:
                seen.setdefault(q)
        self.emit("BAR_REGION", tuple(seen), EMPTY, (), None, at)

    def if_(self, st) -> None:
        _, creg, value, inner, at = st
        guard = self.guard_for(creg, value, at)
        {"call": self.call, "measure": self.measure, "reset": self.reset}[inner[0]](inner, guard)

    # ------------------------------------------------------------------ the program

    def finish(self) -> Program:
        qubits = tuple(self.qnames)
        nodes = self.nodes
        if qubits:
            nodes.insert(0, Node("n0", "ALLOC_LQ", qubits, {"n": len(qubits), "profile": self.profile}))
            nodes.append(Node(f"n{len(nodes)}", "FREE_LQ", qubits))
        outputs: list[dict] = []
        for cname, (off, size) in self.cregs.items():
            outputs.append({"type": "ARRAY", "count": size, "label": cname})
            for ev in self.latest[off : off + size]:
                outputs.append({"type": "RESULT", "event": ev} if ev else {"type": "RESULT", "value": 0})
        metadata = {
            "source_format": "openqasm2",
            "qregs": {r: {"first": off, "size": size} for r, (off, size) in self.qregs.items()},
            "cregs": {r: {"first": off, "size": size} for r, (off, size) in self.cregs.items()},
        }
        prog = Program(nodes, Resources(qubits, (), tuple(self.events)), (), outputs, metadata)
        prog.caps = prog.required_caps()
        return prog

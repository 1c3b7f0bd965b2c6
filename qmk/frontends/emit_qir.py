"""QVM back to QIR: LLVM text (opaque pointers, QIR 2.0) or bitcode.

The module is the base profile when no node is guarded, the adaptive profile otherwise. Static qubits
(those of the first ``ALLOC_LQ``, or every qubit when there is none) are ``inttoptr`` ids in allocation
order; later ``ALLOC_LQ``s become ``__quantum__rt__qubit_allocate()`` and their ``FREE_LQ`` a release.
Events become result ids: a name ``r<k>`` / ``r<k>.<w>`` (what the readers produce) keeps id ``k``, so
QIR -> QVM -> QIR -> QVM gives the same QVM; when such ids would be read after being overwritten, every
event gets its own id instead, which is always correct.

A guarded run of nodes becomes a block entered by ``br i1 %cond``, the condition computed from
``read_result`` calls with ``and``/``or``/``xor``; LLVM's optimizer and the reader turn it back into the
same guard. Ops without a QIS gate are written as exact equivalents (``APPLY_U`` as RZ RY RZ, which
equals U up to a global phase, ``MEASURE_X`` as H MZ H, ...); channels have no QIR form and are refused.
"""

from __future__ import annotations

import re
import struct

from ..diagnostics import Diagnostic, InputError
from ..ir import Program

_GATES = {
    "APPLY_H": "h",
    "APPLY_X": "x",
    "APPLY_Y": "y",
    "APPLY_Z": "z",
    "APPLY_S": "s",
    "APPLY_SDG": "s__adj",
    "APPLY_T": "t",
    "APPLY_TDG": "t__adj",
    "APPLY_SX": "sx",
    "APPLY_CNOT": "cnot",
    "APPLY_CZ": "cz",
    "APPLY_SWAP": "swap",
    "APPLY_CCX": "ccx",
    "TELEPORT_CNOT": "cnot",
}
_ROT = {"APPLY_RX": "rx", "APPLY_RY": "ry", "APPLY_RZ": "rz"}
_SKIP = {"APPLY_I", "BAR_REGION", "SET_POLICY"}
_EVENT = re.compile(r"^r(\d+)(?:\.(\d+))?$")


def _refuse(message: str) -> InputError:
    return InputError.from_diag(Diagnostic("QMK730", message))


def _double(x: float) -> str:
    """LLVM's exact hexadecimal form of a double."""
    return "0x%016X" % struct.unpack("<Q", struct.pack("<d", float(x)))[0]


def _string(data: bytes) -> str:
    return "".join(chr(c) if 32 <= c < 127 and c not in (34, 92) else "\\%02X" % c for c in data)


class _Emitter:
    def __init__(self, prog: Program) -> None:
        self.p = prog
        self.lines: list[str] = []
        self.decls: dict[str, str] = {}
        self.labels: dict[str, int] = {}
        self.tmp = 0
        self.block = 0
        nodes = prog.nodes
        first = nodes[0] if nodes and nodes[0].op == "ALLOC_LQ" and nodes[0].guard is None else None
        self.static = list(first.vqs) if first else list(prog.resources.vqs)
        self.skip_first = first is not None
        self.qid = {q: i for i, q in enumerate(self.static)}
        self.dyn: dict[str, str] = {}
        self.rid = self._result_ids()
        self.adaptive = any(n.guard is not None for n in nodes)

    # ---------------------------------------------------------------- ids

    def _result_ids(self) -> dict[str, int]:
        """Event -> result id: by name when no read sees an overwritten id, else one id per event."""
        events = [e for n in self.p.nodes for e in n.produces]
        by_name = {}
        for e in events:
            m = _EVENT.match(e)
            if m is None:
                return {e: i for i, e in enumerate(events)}
            by_name[e] = int(m.group(1))
        latest: dict[int, str] = {}
        for n in self.p.nodes:
            for e in n.events_read():
                if latest.get(by_name.get(e, -1)) != e:
                    return {e: i for i, e in enumerate(events)}
            for e in n.produces:
                latest[by_name[e]] = e
        for o in self.p.outputs:
            if "event" in o and latest.get(by_name.get(o["event"], -1)) != o["event"]:
                return {e: i for i, e in enumerate(events)}
        return by_name

    def q(self, name: str) -> str:
        if name in self.dyn:
            return f"ptr {self.dyn[name]}"
        if name not in self.qid:
            raise _refuse(f"qubit '{name}' is used but never allocated")
        k = self.qid[name]
        return "ptr null" if k == 0 else f"ptr inttoptr (i64 {k} to ptr)"

    def r(self, event: str) -> str:
        if event not in self.rid:
            raise _refuse(f"event '{event}' is read but never produced")
        k = self.rid[event]
        return "ptr null" if k == 0 else f"ptr inttoptr (i64 {k} to ptr)"

    # ---------------------------------------------------------------- emission

    def call(self, fn: str, args: list[str], ret: str = "void", sig: str | None = None) -> str | None:
        self.decls.setdefault(
            fn, f"declare {ret} @{fn}({sig if sig is not None else ', '.join(a.split(' ')[0] for a in args)})"
        )
        if ret == "void":
            self.lines.append(f"  call void @{fn}({', '.join(args)})")
            return None
        self.tmp += 1
        self.lines.append(f"  %t{self.tmp} = call {ret} @{fn}({', '.join(args)})")
        return f"%t{self.tmp}"

    def qis(self, gate: str, args: list[str]) -> None:
        self.call(f"__quantum__qis__{gate}" + ("" if gate.endswith("__adj") else "__body"), args)

    def node(self, n) -> None:
        op = n.op
        qs = [self.q(v) for v in n.vqs] if op not in ("ALLOC_LQ",) else []
        if op in _GATES:
            self.qis(_GATES[op], qs)
        elif op in _ROT:
            self.qis(_ROT[op], [f"double {_double(n.args['theta'])}"] + qs)
        elif op == "APPLY_U":
            a = n.args
            for g, t in (("rz", a["lam"]), ("ry", a["theta"]), ("rz", a["phi"])):
                self.qis(g, [f"double {_double(t)}"] + qs)
        elif op == "APPLY_CCZ":
            for g, operands in (("h", qs[2:]), ("ccx", qs), ("h", qs[2:])):
                self.qis(g, operands)
        elif op in ("MEASURE_Z", "MEASURE_X", "MEASURE_Y"):
            pre = {"MEASURE_Z": [], "MEASURE_X": ["h"], "MEASURE_Y": ["s__adj", "h"]}[op]
            post = {"MEASURE_Z": [], "MEASURE_X": ["h"], "MEASURE_Y": ["h", "s"]}[op]
            for g in pre:
                self.qis(g, qs)
            self.call("__quantum__qis__mz__body", qs + [self.r(n.produces[0])], sig="ptr, ptr writeonly")
            for g in post:
                self.qis(g, qs)
        elif op == "RESET":
            self.qis("reset", qs)
        elif op == "FENCE_EPOCH":
            self.call("__quantum__qis__barrier__body", [])
        elif op == "INJECT_T_STATE":
            for g in ("reset", "h", "t"):
                self.qis(g, qs)
        elif op == "ALLOC_LQ":
            if n.guard is not None:
                raise _refuse(f"node '{n.id}': a guarded ALLOC_LQ has no QIR form")
            for v in n.vqs:
                self.dyn[v] = self.call("__quantum__rt__qubit_allocate", [], ret="ptr")
        elif op == "FREE_LQ":
            for v in n.vqs:
                if v in self.dyn:
                    self.call("__quantum__rt__qubit_release", [f"ptr {self.dyn.pop(v)}"])
        elif op == "COND_PAULI":
            self.cond_pauli(n, qs)
        elif op not in _SKIP:
            raise _refuse(f"node '{n.id}': {op} has no QIR form")

    def cond_pauli(self, n, qs) -> None:
        bit = None
        for e in n.inputs:
            b = self.call("__quantum__rt__read_result", [self.r(e)], ret="i1")
            bit = b if bit is None else self.binop("xor", bit, b)
        then, cont = self.new_block(), self.new_block()
        self.lines.append(f"  br i1 {bit}, label %{then}, label %{cont}")
        self.lines.append(f"{then}:")
        gates = {"X": ["x"], "Y": ["y"], "Z": ["z"], "I": []}
        for p, q in zip(n.args["mask"], qs, strict=False):
            for g in gates[p]:
                self.qis(g, [q])
        self.lines += [f"  br label %{cont}", f"{cont}:"]
        self.adaptive = True

    def binop(self, op: str, a: str, b: str) -> str:
        self.tmp += 1
        self.lines.append(f"  %t{self.tmp} = {op} i1 {a}, {b}")
        return f"%t{self.tmp}"

    def new_block(self) -> str:
        self.block += 1
        return f"b{self.block}"

    def guard(self, g) -> str:
        if "event" in g:
            b = self.call("__quantum__rt__read_result", [self.r(g["event"])], ret="i1")
            return b if g["equals"] else self.binop("xor", b, "true")
        key = "all" if "all" in g else "any"
        parts = [self.guard(x) for x in g[key]]
        acc = parts[0]
        for x in parts[1:]:
            acc = self.binop("and" if key == "all" else "or", acc, x)
        return acc

    # ---------------------------------------------------------------- the module

    def run(self) -> str:
        nodes = self.p.nodes[1:] if self.skip_first else self.p.nodes
        i = 0
        while i < len(nodes):
            g = nodes[i].guard
            if g is None:
                self.node(nodes[i])
                i += 1
                continue
            j = i
            while j < len(nodes) and nodes[j].guard == g:
                j += 1
            then, cont = self.new_block(), self.new_block()
            self.lines.append(f"  br i1 {self.guard(g)}, label %{then}, label %{cont}")
            self.lines.append(f"{then}:")
            for n in nodes[i:j]:
                self.node(n)
            self.lines += [f"  br label %{cont}", f"{cont}:"]
            i = j
        self.outputs()
        self.lines.append("  ret i64 0")
        return self.module()

    def label(self, o: dict) -> str:
        if "label" not in o:
            return "ptr null"
        text = str(o["label"])
        if text not in self.labels:
            self.labels[text] = len(self.labels)
        return f"ptr @{self.labels[text]}"

    def outputs(self) -> None:
        rt = "__quantum__rt__"
        for o in self.p.outputs:
            t = o.get("type")
            if t == "RESULT":
                self.call(rt + "result_record_output", [self.r(o["event"]), self.label(o)])
            elif t == "BOOL":
                if "event" in o:
                    b = self.call(rt + "read_result", [self.r(o["event"])], ret="i1")
                    v = self.binop("xor", b, "true") if o.get("invert") else b
                else:
                    v = "true" if o.get("value") else "false"
                self.call(rt + "bool_record_output", [f"i1 {v}", self.label(o)])
            elif t == "INT":
                self.call(rt + "int_record_output", [f"i64 {int(o['value'])}", self.label(o)])
            elif t == "DOUBLE":
                self.call(rt + "double_record_output", [f"double {_double(o['value'])}", self.label(o)])
            elif t in ("TUPLE", "ARRAY"):
                self.call(rt + t.lower() + "_record_output", [f"i64 {int(o['count'])}", self.label(o)])
            else:
                raise _refuse(f"output record of type '{t}' has no QIR form")

    def module(self) -> str:
        meta = self.p.metadata.get("qir", {}) if isinstance(self.p.metadata, dict) else {}
        entry = meta.get("entry") if isinstance(meta.get("entry"), str) else "main"
        if not re.fullmatch(r"[A-Za-z_.$][A-Za-z0-9_.$]*", entry):
            entry = "main"
        n_results = max(self.rid.values(), default=-1) + 1
        profile = "adaptive_profile" if self.adaptive else "base_profile"
        out = ["; QIR generated by qmk-lower", ""]
        for text, k in sorted(self.labels.items(), key=lambda kv: kv[1]):
            data = text.encode("utf-8") + b"\x00"
            out.append(f'@{k} = internal constant [{len(data)} x i8] c"{_string(data)}"')
        out += ["", f"define i64 @{entry}() #0 {{", "entry:"] + self.lines + ["}", ""]
        out += sorted(self.decls.values()) + [""]
        out.append(
            f'attributes #0 = {{ "entry_point" "output_labeling_schema" "qir_profiles"="{profile}" '
            f'"required_num_qubits"="{len(self.static)}" "required_num_results"="{n_results}" }}'
        )
        dyn = (
            "true"
            if any(n.op == "ALLOC_LQ" for n in self.p.nodes[1 if self.skip_first else 0 :])
            else "false"
        )
        flags = [
            ("1", "qir_major_version", "i32 2"),
            ("7", "qir_minor_version", "i32 0"),
            ("1", "dynamic_qubit_management", f"i1 {dyn}"),
            ("1", "dynamic_result_management", "i1 false"),
        ]
        if self.adaptive:
            flags.append(("5", "int_computations", '!{!"i1"}'))
        refs = ", ".join(f"!{i}" for i in range(len(flags)))
        out += ["", f"!llvm.module.flags = !{{{refs}}}", ""]
        out += [f'!{i} = !{{i32 {b}, !"{k}", {v}}}' for i, (b, k, v) in enumerate(flags)]
        return "\n".join(out) + "\n"


def to_ll(prog: Program) -> str:
    """The program as QIR LLVM text."""
    return _Emitter(prog).run()


def to_bitcode(prog: Program) -> bytes:
    """The program as QIR bitcode (LLVM's own writer, through llvmlite)."""
    import llvmlite.binding as llvm

    return llvm.parse_assembly(to_ll(prog)).as_bitcode()

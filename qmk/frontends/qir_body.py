"""The body of a relaxed-QIR entry point: lark parse, then blocks fed to the QvmBuilder with guards.

Statements are tuples (the parser's Transformer is inlined into the LALR parser, so no tree is built):

    ("label", name, line, col)               ("call", dest or None, callee, [value], line, col)
    ("xor", dest, value, value, line, col)   ("inttoptr", dest, value, line, col)
    ("br", label, line, col)                 ("cbr", value, label_true, label_false, line, col)
    ("ret", line, col)                       ("unreachable", line, col)

Values: ("null",) ("int", k) ("float", x) ("local", name) ("global", name) ("i2p", value)
("gep", value) ("undef",).

Control flow is the same as the LLVM reader's (qmk.frontends.adaptive) restricted to what hand-written
text has: blocks in text order, branches only forward. A block's condition is the disjunction over
its incoming edges of (predecessor's condition and branch condition), kept as a simplified DNF
(``conds``), so the two sides of an if/else rejoin to "always" and later code is unguarded. A
backward branch is a loop: refused (the relaxed reader does not unroll), naming the block.
"""

from __future__ import annotations

import struct
from functools import lru_cache

from lark import Lark, Transformer

from ..ir import Location
from .builder import Bit, Label, Opaque, Ptr, QvmBuilder
from .conds import FALSE, TRUE, c_and, c_or, literal, to_guard
from .errors import NotStaticError, fail

WORDS = {
    "LABEL": "a label", "LOCAL": "a %name", "GLOBAL": "an @name", "ITYPE": "an integer type", "INT": "an integer",
    "FLOAT": "a number", "HEXFLOAT": "a hexadecimal double", "PARAMATTR": "a parameter attribute",
    "ATTRREF": "an attribute group", "TAIL": "'tail'", "STAR": "'*'",
}


def _name(tok) -> str:
    s = str(tok)[1:]
    return s[1:-1] if s.startswith('"') else s


class _ToTuples(Transformer):
    def label(self, k):
        t = k[0]
        return ("label", str(t)[:-1].strip('"'), t.line, t.column)

    def _call_parts(self, k):
        first = k[0]
        kids = [x for x in k if x is not None and getattr(x, "type", "") not in ("TAIL", "CALL", "ATTRREF", "PARAMATTR")]
        callee = next(x for x in kids if getattr(x, "type", "") == "GLOBAL")
        args = [x for x in kids if isinstance(x, list)]
        return _name(callee), [a[0] for a in args], first.line, first.column

    def call(self, k):
        callee, args, line, col = self._call_parts(k)
        return ("call", None, callee, args, line, col)

    def assign(self, k):
        dest, rest = k[0], k[1:]
        if len(rest) == 1 and isinstance(rest[0], tuple):  # xor / inttoptr
            return (rest[0][0], _name(dest), *rest[0][1:], dest.line, dest.column)
        callee, args, _line, _col = self._call_parts(rest)
        return ("call", _name(dest), callee, args, dest.line, dest.column)

    def xor(self, k):
        return ("xor", k[2], k[3])

    def inttoptr(self, k):
        return ("inttoptr", k[2])

    def arg(self, k):
        return [k[-1]]  # the value; type and attributes do not matter to QIR semantics

    def br(self, k):
        return ("br", _name(k[1]), k[0].line, k[0].column)

    def cbr(self, k):
        return ("cbr", k[2], _name(k[3]), _name(k[4]), k[0].line, k[0].column)

    def ret(self, k):
        return ("ret", k[0].line, k[0].column)

    def unreachable(self, k):
        return ("unreachable", k[0].line, k[0].column)

    def type(self, k):
        return None

    nvtype = fnattr = type

    def null(self, k):
        return ("null",)

    def int(self, k):
        return ("int", int(k[0]))

    def float(self, k):
        return ("float", float(k[0]))

    def hexfloat(self, k):
        return ("float", struct.unpack(">d", bytes.fromhex(str(k[0])[2:]))[0])

    def true(self, k):
        return ("int", 1)

    def false(self, k):
        return ("int", 0)

    def local(self, k):
        return ("local", _name(k[0]))

    def global_(self, k):
        return ("global", _name(k[0]))

    def undef(self, k):
        return ("undef",)

    def const_inttoptr(self, k):
        return ("i2p", next(x for x in k if isinstance(x, tuple)))

    def gep(self, k):
        return ("gep", next(x for x in k if isinstance(x, tuple)))

    def start(self, k):
        return list(k)


@lru_cache(maxsize=1)
def parser() -> Lark:
    from importlib.resources import files

    grammar = files("qmk.grammar").joinpath("qir.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", transformer=_ToTuples())


# ---------------------------------------------------------------- execution


def run_body(stmts: list[tuple], b: QvmBuilder, name: str, globals_: dict[str, bytes], defined: set[str]) -> None:
    """Feed the statements to the builder block by block, guarding measurement-dependent blocks."""
    blocks = _blocks(stmts, name)
    index = {label: i for i, (label, _body, _loc) in enumerate(blocks)}
    succ = [_targets(blocks, i, index, name) for i in range(len(blocks))]
    conds = [FALSE] * len(blocks)
    conds[0] = TRUE
    env: dict[str, object] = {}
    for i in _rpo(blocks, succ, name):
        cond = conds[i]
        if cond == FALSE:
            continue  # reached only through branches that are never taken
        b.guard = to_guard(cond)
        for st in blocks[i][1]:
            _statement(st, b, env, globals_, defined, name)
        for target, econd in _edges(blocks[i][1], blocks, i, env, globals_, name):
            j = index[target]
            conds[j] = c_or(conds[j], c_and(cond, econd))
    b.guard = None


def _statement(st, b: QvmBuilder, env, globals_, defined, name) -> None:
    kind = st[0]
    loc = Location(name, st[-2], st[-1])
    if kind == "call":
        _, dest, callee, args, _l, _c = st
        if callee.startswith("llvm."):
            return
        if callee in defined:
            raise fail("QMK771", f"call to @{callee}, a function defined in the module: the relaxed "
                       "reader reads one function; the LLVM reader inlines calls", loc)
        vals = [_value(a, env, globals_, loc) for a in args]
        result = b.call(callee, vals, loc)
        if dest is not None:
            env[dest] = result if result is not None else Opaque(f"the value of %{dest}")
    elif kind == "xor":
        env[st[1]] = _xor(_value(st[2], env, globals_, loc), _value(st[3], env, globals_, loc), st[1], loc)
    elif kind == "inttoptr":
        v = _value(st[2], env, globals_, loc)
        env[st[1]] = Ptr(v) if isinstance(v, int) and not isinstance(v, bool) else Opaque(f"%{st[1]}")


def _targets(blocks, i, index, name) -> list[int]:
    """Static successors of block i (labels checked)."""
    body = blocks[i][1]
    term = body[-1] if body and body[-1][0] in _TERMINATORS else None
    if term is None:
        return [i + 1] if i + 1 < len(blocks) else []
    labels = [term[1]] if term[0] == "br" else [term[2], term[3]] if term[0] == "cbr" else []
    for lab in labels:
        if lab not in index:
            raise fail("QMK772", f"branch to undefined label %{lab}", Location(name, term[-2], term[-1]))
    return [index[lab] for lab in labels]


def _rpo(blocks, succ, name) -> list[int]:
    """Reverse post-order from the first block; a cycle is a loop, refused naming its header block.

    Successors are explored last-first, so that the true side of a branch comes before the false side
    (the order of the source, and the LLVM reader's)."""
    order: list[int] = []
    state = {0: 1}
    stack = [(0, reversed(succ[0]))]
    while stack:
        i, it = stack[-1]
        j = next(it, None)
        if j is None:
            stack.pop()
            state[i] = 2
            order.append(i)
        elif j not in state:
            state[j] = 1
            stack.append((j, reversed(succ[j])))
        elif state[j] == 1:
            _loop(blocks, succ, j, [k for k, _ in stack], name)
    order.reverse()
    return order


def _blocks(stmts, name):
    """[(label, statements, loc)]: a label starts a block; the first block may be unnamed."""
    blocks: list = [("", [], None)]
    seen: set[str] = set()
    for st in stmts:
        if st[0] == "label":
            if st[1] in seen:
                raise fail("QMK772", f"label {st[1]} is defined twice", Location(name, st[2], st[3]))
            seen.add(st[1])
            if not blocks[-1][1] and blocks[-1][0] == "" and len(blocks) == 1:
                blocks[-1] = (st[1], [], Location(name, st[2], st[3]))
            else:
                blocks.append((st[1], [], Location(name, st[2], st[3])))
            continue
        if blocks[-1][1] and blocks[-1][1][-1][0] in ("br", "cbr", "ret", "unreachable"):
            raise fail("QMK771", "an instruction after the block's terminator (br/ret) needs a label before it",
                       Location(name, st[-2], st[-1]))
        blocks[-1][1].append(st)
    return blocks


_TERMINATORS = ("br", "cbr", "ret", "unreachable")


def _edges(body, blocks, i, env, globals_, name):
    term = body[-1] if body and body[-1][0] in _TERMINATORS else None
    if term is None:  # falls through to the next block (hand-written text often omits the br)
        return [(blocks[i + 1][0], TRUE)] if i + 1 < len(blocks) else []
    if term[0] == "br":
        return [(term[1], TRUE)]
    if term[0] == "cbr":
        loc = Location(name, term[-2], term[-1])
        v = _value(term[1], env, globals_, loc)
        if isinstance(v, Bit):
            one = 0 if v.invert else 1
            return [(term[2], literal(v.event, one)), (term[3], literal(v.event, 1 - one))]
        if isinstance(v, int) and not isinstance(v, bool):
            return [(term[2] if v & 1 else term[3], TRUE)]
        raise NotStaticError.make("br on a value that is not a measured bit (read_result) or a constant", loc)
    return []


def _loop(blocks, succ, header: int, path: list[int], name) -> None:
    """A cycle through ``header``; ``path`` is the DFS stack, whose part from the header is the loop."""
    inside = set(path[path.index(header):])
    exits = any(j not in inside for i in inside for j in succ[i])
    loc = blocks[header][2] or Location(name, 1, 1)
    label = blocks[header][0] or "(entry)"
    if not exits:
        raise fail("QMK721", f"infinite loop: block %{label} is branched back to with no way out", loc,
                   notes=["qmk-lower refuses it instead of hanging"])
    raise NotStaticError.make(f"loop at block %{label}: the relaxed QIR reader does not unroll loops", loc)


def _xor(a, b, dest: str, loc):
    if isinstance(a, int) and isinstance(b, Bit):
        a, b = b, a
    if isinstance(a, Bit) and isinstance(b, int):
        return a.negate() if b & 1 else a
    if isinstance(a, int) and isinstance(b, int):
        return (a ^ b) & 1
    return Opaque(f"the xor value %{dest}")


def _value(v, env, globals_, loc):
    tag = v[0]
    if tag == "null":
        return Ptr(0)
    if tag in ("int", "float"):
        return v[1]
    if tag == "local":
        if v[1] not in env:
            raise fail("QMK772", f"%{v[1]} is used before it is defined", loc)
        return env[v[1]]
    if tag == "i2p":
        inner = _value(v[1], env, globals_, loc)
        if isinstance(inner, int) and not isinstance(inner, bool):
            return Ptr(inner)
        return Opaque("a pointer computed at run time")
    if tag in ("global", "gep"):
        g = v[1][1] if tag == "gep" else v[1]
        if g not in globals_:
            raise fail("QMK772", f"@{g} is not a string constant defined in the text", loc)
        return Label(globals_[g])
    return Opaque("an undefined value")

"""OpenQASM 2 syntax: statements as plain tuples, from a regular-expression fast path or lark.

``statements(text)`` yields, in source order, tuples whose last element is the Location (file,
line, column) of the statement's first token:

    ("header", version, pos)            ("include", file, pos)
    ("qreg", name, size, pos)           ("creg", name, size, pos)
    ("gate", name, params, qargs, body, pos)   body: [("call", name, exprs, ids, pos) | ("barrier", ids, pos)]
    ("opaque", name, pos)
    ("call", name, exprs, args, pos)    args: [(register, index or None)]
    ("measure", arg, arg, pos)   ("reset", arg, pos)   ("barrier", args, pos)
    ("if", creg, value, statement, pos)

Expressions are floats when constant, else small tuples evaluated by ``evaluate`` (gate bodies).

Speed: lark's LALR parser costs tens of microseconds per statement, too slow for million-gate files.
Most statements of real files are ``name(params) reg[i], reg[j];`` on one line; ``_SIMPLE`` matches
exactly those (anchored at the statement start, keywords excluded) and everything else, one
statement at a time, goes to lark. Both paths produce the same tuples (a test reads whole files both
ways). Comments are blanked to spaces first, so offsets, lines and columns stay those of the source.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from functools import lru_cache

from lark import Lark, Transformer
from lark.exceptions import UnexpectedInput

from ..ir import Location
from .lark_errors import Positions, syntax_error

WORDS = {
    "ID": "a name",
    "REAL": "a number",
    "NNINTEGER": "an integer",
    "STRING": "a file name in double quotes",
}
KEYWORDS = frozenset(
    ("OPENQASM", "include", "qreg", "creg", "gate", "opaque", "barrier", "measure", "reset", "if", "pi")
)

_COMMENT_OR_STRING = re.compile(r'"[^"\n]*"|//[^\n]*')
_BLANK = re.compile(r"[ \t\f\r\n]*")
_SIMPLE = re.compile(
    r"([A-Za-z_]\w*)[ \t]*(?:\(([^()\n]*)\)[ \t]*)?"
    r"([A-Za-z_]\w*(?:[ \t]*\[[ \t]*\d+[ \t]*\])?(?:[ \t]*,[ \t]*[A-Za-z_]\w*(?:[ \t]*\[[ \t]*\d+[ \t]*\])?)*)"
    r"[ \t]*;"
)
# The one- and two-operand indexed form, with the blanks after it: most statements of real files.
_FAST = re.compile(
    r"([A-Za-z_]\w*)[ \t]*(?:\(([^()\n]*)\)[ \t]*)?([A-Za-z_]\w*)[ \t]*\[[ \t]*(\d+)[ \t]*\]"
    r"(?:[ \t]*,[ \t]*([A-Za-z_]\w*)[ \t]*\[[ \t]*(\d+)[ \t]*\])?[ \t]*;([ \t\f\r\n]*)"
)
# measure a -> b; and reset a; (a, b a register or one element of it): the next most common statements.
_MEASURE = re.compile(
    r"measure[ \t]+([A-Za-z_]\w*)[ \t]*(?:\[[ \t]*(\d+)[ \t]*\])?[ \t]*->[ \t]*"
    r"([A-Za-z_]\w*)[ \t]*(?:\[[ \t]*(\d+)[ \t]*\])?[ \t]*;"
)
_RESET = re.compile(r"reset[ \t]+([A-Za-z_]\w*)[ \t]*(?:\[[ \t]*(\d+)[ \t]*\])?[ \t]*;")
_ARG = re.compile(r"([A-Za-z_]\w*)(?:[ \t]*\[[ \t]*(\d+)[ \t]*\])?")
_NUMBER = re.compile(r"[ \t]*(-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)[ \t]*\Z")


class ExprError(ValueError):
    """A parameter expression that has no finite real value (division by zero, ln(-1), ...)."""


# ---------------------------------------------------------------- expressions

_BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "^": math.pow,
}
_FUNCS = {"sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "ln": math.log, "sqrt": math.sqrt}


def evaluate(expr, env: dict[str, float] | None = None) -> float:
    """The value of an expression; ExprError when it has none (or is NaN/infinite)."""
    if type(expr) is float:
        value = expr
    else:
        try:
            value = _eval(expr, env or {})
        except (ArithmeticError, ValueError) as e:
            raise ExprError(_why(e)) from None
    if not math.isfinite(value):
        raise ExprError(f"the value {value} is not a finite number")
    return value


def _eval(e, env):
    if type(e) is float:
        return e
    tag = e[0]
    if tag == "p":
        return env[e[1]]
    if tag == "neg":
        return -_eval(e[1], env)
    if tag == "f":
        return _FUNCS[e[1]](_eval(e[2], env))
    return _BINARY[tag](_eval(e[1], env), _eval(e[2], env))


def _why(e: Exception) -> str:
    if isinstance(e, ZeroDivisionError):
        return "division by zero"
    if isinstance(e, OverflowError):
        return "the value is too large"
    return "a function is applied outside its domain (ln or sqrt of a negative number, or a negative power)"


def params_of(expr) -> set[str]:
    """Parameter names an expression reads."""
    if type(expr) is float:
        return set()
    if expr[0] == "p":
        return {expr[1]}
    return set().union(*(params_of(x) for x in expr[1:] if not isinstance(x, str)))


def _fold(tag: str, *kids):
    node = (tag, *kids)
    if all(type(k) is float or isinstance(k, str) for k in kids) and tag != "p":
        try:
            value = _eval(node, {})
        except (ArithmeticError, ValueError):
            return node  # reported with its location when the statement is lowered
        if math.isfinite(value):
            return value
    return node


class _ToTuples(Transformer):
    """Inlined into the LALR parser: builds the statement tuples directly (no parse tree)."""

    def number(self, kids):
        return float(kids[0])

    def pi(self, _kids):
        return math.pi

    def param(self, kids):
        return ("p", str(kids[0]))

    def neg(self, kids):
        return _fold("neg", kids[0])

    def add(self, kids):
        return _fold("+", *kids)

    def sub(self, kids):
        return _fold("-", *kids)

    def mul(self, kids):
        return _fold("*", *kids)

    def div(self, kids):
        return _fold("/", *kids)

    def pow(self, kids):
        return _fold("^", *kids)

    def func(self, kids):
        return _fold("f", str(kids[0]), kids[1])

    def explist(self, kids):
        return list(kids)

    def idlist(self, kids):
        return [str(k) for k in kids]

    def gparams(self, kids):
        return kids[0] if kids and kids[0] is not None else []

    callparams = gparams

    def argument(self, kids):
        return (str(kids[0]), int(kids[1]) if len(kids) > 1 else None, kids[0].start_pos)

    def arglist(self, kids):
        return list(kids)

    def header(self, kids):
        return ("header", str(kids[1]), kids[0].start_pos)

    def include(self, kids):
        return ("include", str(kids[1])[1:-1], kids[0].start_pos)

    def qreg(self, kids):
        return ("qreg", str(kids[1]), int(kids[2]), kids[0].start_pos)

    def creg(self, kids):
        return ("creg", str(kids[1]), int(kids[2]), kids[0].start_pos)

    def gatedecl(self, kids):
        return ("gate", str(kids[1]), kids[2], kids[3], list(kids[4:]), kids[0].start_pos)

    def opaque(self, kids):
        return ("opaque", str(kids[1]), kids[0].start_pos)

    def gcall(self, kids):
        return ("call", str(kids[0]), kids[1], kids[2], kids[0].start_pos)

    def gbarrier(self, kids):
        return ("barrier", kids[1], kids[0].start_pos)

    def call(self, kids):
        return ("call", str(kids[0]), kids[1], [a[:2] for a in kids[2]], kids[0].start_pos)

    def measure(self, kids):
        return ("measure", kids[1][:2], kids[2][:2], kids[0].start_pos)

    def reset(self, kids):
        return ("reset", kids[1][:2], kids[0].start_pos)

    def barrier(self, kids):
        return ("barrier", [a[:2] for a in kids[1]], kids[0].start_pos)

    def ifstmt(self, kids):
        return ("if", str(kids[1]), int(kids[2]), kids[3], kids[0].start_pos)

    def start(self, kids):
        return list(kids)


@lru_cache(maxsize=1)
def parser() -> Lark:
    from importlib.resources import files

    grammar = files("qmk.grammar").joinpath("openqasm2.lark").read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", transformer=_ToTuples(), start=["start", "explist"])


# ---------------------------------------------------------------- statements


def blank_comments(text: str) -> str:
    """``//`` comments replaced by spaces (strings, which may hold ``//``, are kept)."""
    if "//" not in text:
        return text
    return _COMMENT_OR_STRING.sub(lambda m: m.group() if m.group()[0] == '"' else " " * len(m.group()), text)


def _parse(text: str, offset: int, end: int, full: str, name: str):
    try:
        return parser().parse(text, start="start")
    except UnexpectedInput as e:
        raise syntax_error(e, parser(), full, name, offset=offset, end=end, code="QMK750", words=WORDS) from None


def _located(st, offset: int, positions: Positions):
    """A statement tuple parsed from a slice, its offsets turned into source Locations."""
    if st[0] == "if":
        at = positions.loc(st[4] + offset)
        return ("if", st[1], st[2], _located(st[3], offset, positions), at)
    if st[0] == "gate":
        at = positions.loc(st[5] + offset)
        body = [(*b[:-1], positions.loc(b[-1] + offset)) for b in st[4]]
        return ("gate", st[1], st[2], st[3], body, at)
    return (*st[:-1], positions.loc(st[-1] + offset))


def _chunk_end(text: str, pos: int) -> int:
    """End of the statement starting at ``pos`` for the lark path: its ``;``, or ``}`` for a gate."""
    stop = "}" if text.startswith("gate", pos) and text[pos + 4 : pos + 5].isspace() else ";"
    end = text.find(stop, pos)
    return len(text) if end == -1 else end + 1


def statements(text: str, name: str, *, fast: bool = True) -> Iterator[tuple]:
    """The statements of ``text`` in order (see the module docstring); InputError on a syntax error.

    Lines and columns are tracked along the fast path from the blanks each match consumes (building
    a Location per statement from scratch would cost a third of the reading time); after a
    statement read by lark they are taken up again from ``Positions``."""
    clean = blank_comments(text)
    positions = Positions(clean, name)
    if not fast:
        for st in _parse(clean, 0, len(clean.rstrip()), clean, name):
            yield _located(st, 0, positions)
        return
    params_cache: dict[str, list] = {}
    n = len(clean)
    pos = _BLANK.match(clean, 0).end()
    line, bol, synced = 1, 0, 0  # line number and its start offset, valid at offset ``synced``
    fast_re, simple, arg_re, blank = _FAST.match, _SIMPLE.match, _ARG.findall, _BLANK.match
    while pos < n:
        m = fast_re(clean, pos)
        if m is not None:
            gate, ptext, r1, i1, r2, i2, _ws = m.groups()
            exprs = [] if ptext is None else _cached_params(ptext, params_cache)
            if gate not in KEYWORDS and exprs is not None:
                if synced != pos:
                    line, col = positions.line_col(pos)
                    bol = pos - col + 1
                args = [(r1, int(i1))] if r2 is None else [(r1, int(i1)), (r2, int(i2))]
                yield ("call", gate, exprs, args, Location(name, line, pos - bol + 1))
                end = m.end()
                last_nl = clean.rfind("\n", m.start(7), end)
                if last_nl != -1:
                    line += clean.count("\n", m.start(7), end)
                    bol = last_nl + 1
                pos = synced = end
                continue
        m = _MEASURE.match(clean, pos) if clean.startswith("measure", pos) else None
        if m is not None:
            q, qi, c, ci = m.groups()
            yield ("measure", (q, _index(qi)), (c, _index(ci)), positions.loc(pos))
            pos = blank(clean, m.end()).end()
            continue
        m = _RESET.match(clean, pos) if clean.startswith("reset", pos) else None
        if m is not None:
            yield ("reset", (m.group(1), _index(m.group(2))), positions.loc(pos))
            pos = blank(clean, m.end()).end()
            continue
        m = simple(clean, pos)
        if m is not None and m.group(1) not in KEYWORDS:
            ptext = m.group(2)
            exprs = [] if ptext is None else _cached_params(ptext, params_cache)
            if exprs is not None:
                args = [(r, int(i) if i else None) for r, i in arg_re(m.group(3))]
                yield ("call", m.group(1), exprs, args, positions.loc(pos))
                pos = blank(clean, m.end()).end()
                continue
        end = _chunk_end(clean, pos)
        for st in _parse(clean[pos:end], pos, end, clean, name):
            yield _located(st, pos, positions)
        pos = blank(clean, end).end()


def _index(digits: str | None) -> int | None:
    return None if digits is None else int(digits)


def _cached_params(ptext: str, cache: dict[str, list]) -> list | None:
    """The parameter expressions of a fast-path statement; None sends the statement to lark."""
    exprs = cache.get(ptext)
    if exprs is None:
        exprs = _params(ptext)
        if exprs is not None and len(cache) < 4096:
            cache[ptext] = exprs
    return exprs  # shared between statements: never mutated


def _params(ptext: str) -> list | None:
    if not ptext.strip():
        return []
    nums = [_NUMBER.match(p) for p in ptext.split(",")]
    if all(nums):
        return [float(m.group(1)) for m in nums]  # type: ignore[union-attr]
    try:
        return parser().parse(ptext, start="explist")
    except UnexpectedInput:
        return None  # the whole statement is parsed again by lark, which reports the error in place

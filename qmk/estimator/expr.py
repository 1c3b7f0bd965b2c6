"""Arithmetic formulas in QEC-scheme and distillation-unit specifications, parsed without ``eval``.

The reference takes formulas such as ``"(4 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance"``
or ``"35.0 * z ^ 3 + 7.1 * c"`` as strings (its parser is the ``fasteval`` crate). This module accepts the
same everyday syntax: numbers, variables, ``+ - * / %``, ``^`` (right-associative power, binds tighter
than unary minus as in fasteval), parentheses, and the functions ``sqrt exp ln log abs min max floor ceil
round``. ``log(x)`` is base 10 and ``log(b, x)`` base b, as in fasteval. A formula is parsed once into a
tree of tuples and evaluated many times; unknown variables and malformed text are reported with the
formula and position, never as a Python exception from ``eval``.
"""

from __future__ import annotations

import math
import re

_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_.]*)|(.))")
_FUNCS = {
    "sqrt": (1, math.sqrt), "exp": (1, math.exp), "ln": (1, math.log), "abs": (1, abs),
    "floor": (1, math.floor), "ceil": (1, math.ceil), "round": (1, lambda x: float(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)),
    "min": (None, min), "max": (None, max),
}
_MAX_LEN = 4000


class ExprError(ValueError):
    pass


class Formula:
    """A parsed formula; ``Formula(text)(variables)`` evaluates it."""

    __slots__ = ("_memo", "_tree", "text")

    def __init__(self, text: str) -> None:
        if not isinstance(text, str) or not text.strip():
            raise ExprError(f"formula must be a non-empty string, got {text!r}")
        if len(text) > _MAX_LEN:
            raise ExprError("formula is too long")
        self.text = text
        self._tree = _Parser(text).parse()
        self._memo: dict = {}

    def variables(self) -> set[str]:
        out: set[str] = set()
        stack = [self._tree]
        while stack:
            node = stack.pop()
            if node[0] == "var":
                out.add(node[1])
            elif node[0] == "neg":
                stack.append(node[1])
            elif node[0] == "bin":
                stack.extend(node[2:])
            elif node[0] == "call":
                stack.extend(node[2])
        return out

    def __call__(self, env: dict[str, float]) -> float:
        """Evaluate; results are memoised per variable assignment (formulas are pure)."""
        key = tuple(env.items())
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        try:
            value = float(_eval(self._tree, env))
            if len(self._memo) < 4096:
                self._memo[key] = value
            return value
        except KeyError as e:
            raise ExprError(f"formula '{self.text}' uses unknown variable {e.args[0]!r}") from None
        except (ValueError, OverflowError, ZeroDivisionError) as e:
            raise ExprError(f"formula '{self.text}' cannot be evaluated: {e}") from None

    def __repr__(self) -> str:
        return f"Formula({self.text!r})"


def _eval(node, env):
    kind = node[0]
    if kind == "num":
        return node[1]
    if kind == "var":
        return env[node[1]]
    if kind == "neg":
        return -_eval(node[1], env)
    if kind == "call":
        _, fn, args = node
        return fn(*(_eval(a, env) for a in args))
    _, op, a, b = node
    x, y = _eval(a, env), _eval(b, env)
    if op == "+":
        return x + y
    if op == "-":
        return x - y
    if op == "*":
        return x * y
    if op == "/":
        return x / y if y != 0 else (math.copysign(math.inf, x) if x else math.nan)
    if op == "%":
        return math.fmod(x, y)
    return math.pow(x, y)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.toks: list[tuple[str, object, int]] = []
        pos = 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if m is None or m.end() == pos:
                break
            if m.group(1):
                self.toks.append(("num", float(m.group(1)), m.start(1)))
            elif m.group(2):
                self.toks.append(("name", m.group(2), m.start(2)))
            elif m.group(3):
                self.toks.append(("op", m.group(3), m.start(3)))
            pos = m.end()
        self.i = 0

    def _err(self, msg: str):
        where = self.toks[self.i][2] + 1 if self.i < len(self.toks) else len(self.text) + 1
        return ExprError(f"formula '{self.text}', column {where}: {msg}")

    def _peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else ("end", None, len(self.text))

    def _take_op(self, ops: str) -> str | None:
        kind, val, _ = self._peek()
        if kind == "op" and val in ops:
            self.i += 1
            return val
        return None

    def parse(self):
        tree = self._sum(0)
        if self.i != len(self.toks):
            raise self._err(f"unexpected {self._peek()[1]!r}")
        return tree

    def _sum(self, depth):
        node = self._product(depth)
        while (op := self._take_op("+-")) is not None:
            node = ("bin", op, node, self._product(depth))
        return node

    def _product(self, depth):
        node = self._unary(depth)
        while (op := self._take_op("*/%")) is not None:
            node = ("bin", op, node, self._unary(depth))
        return node

    def _unary(self, depth):
        if self._take_op("-") is not None:
            return ("neg", self._unary(depth))
        if self._take_op("+") is not None:
            return self._unary(depth)
        return self._power(depth)

    def _power(self, depth):
        base = self._atom(depth)
        if self._take_op("^") is not None:
            return ("bin", "^", base, self._unary(depth))
        return base

    def _atom(self, depth):
        if depth > 100:
            raise self._err("formula nested too deeply")
        kind, val, _ = self._peek()
        if kind == "num":
            self.i += 1
            return ("num", val)
        if kind == "name":
            self.i += 1
            if self._take_op("(") is not None:
                return self._call(str(val), depth)
            return ("var", val)
        if self._take_op("(") is not None:
            node = self._sum(depth + 1)
            if self._take_op(")") is None:
                raise self._err("expected ')'")
            return node
        raise self._err("expected a number, a variable or '('" if kind != "end" else "formula ends too early")

    def _call(self, name: str, depth):
        args = [self._sum(depth + 1)]
        while self._take_op(",") is not None:
            args.append(self._sum(depth + 1))
        if self._take_op(")") is None:
            raise self._err("expected ')' after function arguments")
        if name == "log":
            if len(args) == 1:
                return ("call", math.log10, tuple(args))
            if len(args) == 2:
                return ("call", lambda b, x: math.log(x) / math.log(b), tuple(args))
        if name not in _FUNCS:
            raise self._err(f"unknown function {name}()")
        arity, fn = _FUNCS[name]
        if arity is not None and len(args) != arity:
            raise self._err(f"{name}() takes {arity} argument(s)")
        return ("call", fn, tuple(args))

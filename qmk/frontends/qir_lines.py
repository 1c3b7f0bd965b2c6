"""The body lines of a relaxed-QIR function as statement tuples: a one-line fast path, lark for the rest.

Lark's LALR parser costs some hundred microseconds per call line (about sixteen tokens each), far too
slow for QIR programs of hundreds of thousands of gates. Nearly every line is a call whose arguments
are ``null``, ``inttoptr (i64 N to T)``, a number or a ``%name``; ``_CALL`` and ``_ARG`` recognise
exactly those lines and build the same tuple the grammar's Transformer builds (a test parses whole
files both ways). Every other line, and any run of such lines, is parsed by lark with its true
line numbers, so errors point into the source either way.
"""

from __future__ import annotations

import re
import struct

from lark.exceptions import UnexpectedInput

from .lark_errors import syntax_error
from .qir_body import WORDS, parser

_TYPE = r"(?:ptr|%[-\w$.]+\*+|i\d+\**|double|float|void)"
_CALL = re.compile(
    r"^([ \t]*)(?:(%[-\w$.]+)[ \t]*=[ \t]*)?(?:(?:tail|musttail|notail)[ \t]+)?call[ \t]+"
    r"(?:(?:zeroext|signext|noundef)[ \t]+)*" + _TYPE + r"[ \t]+@([-\w$.]+)[ \t]*"
    r"\(((?:[^()]|\([^()]*\))*)\)[ \t]*(?:#\d+[ \t]*)*$"
)
_ARG = re.compile(
    r"^[ \t]*" + _TYPE + r"(?:[ \t]+(?:writeonly|readonly|readnone|nocapture|noundef|nonnull|noalias))*[ \t]+"
    r"(?:(null)|inttoptr[ \t]*\([ \t]*i64[ \t]+([-+]?\d+)[ \t]+to[ \t]+" + _TYPE + r"[ \t]*\)"
    r"|(0x[0-9A-Fa-f]{16})|([-+]?\d+\.\d*(?:[eE][-+]?\d+)?|[-+]?\d+[eE][-+]?\d+)|([-+]?\d+)|(%[-\w$.]+)"
    r"|(true|false))[ \t]*$"
)


def _fast(line: str, lineno: int):
    """The statement tuple of a plain call line, or None when lark must read it."""
    m = _CALL.match(line)
    if m is None:
        return None
    indent, dest, callee, argtext = m.groups()
    args = []
    if argtext.strip():
        for part in argtext.split(","):
            a = _ARG.match(part)
            if a is None:
                return None
            null, i2p, hexf, flt, integer, local, boolean = a.groups()
            if null is not None:
                args.append(("null",))
            elif i2p is not None:
                args.append(("i2p", ("int", int(i2p))))
            elif hexf is not None:
                args.append(("float", struct.unpack(">d", bytes.fromhex(hexf[2:]))[0]))
            elif flt is not None:
                args.append(("float", float(flt)))
            elif integer is not None:
                args.append(("int", int(integer)))
            elif local is not None:
                args.append(("local", local[1:]))
            else:
                args.append(("int", 1 if boolean == "true" else 0))
    return ("call", dest[1:] if dest else None, callee, args, lineno, len(indent) + 1)


def parse_body(lines: list[str], body: list[int], name: str, *, fast: bool = True) -> list[tuple]:
    """Statements of the lines ``body`` (0-based indices into ``lines``, comments already removed)."""
    out: list[tuple] = []
    pending: list[int] = []
    for i in body:
        st = _fast(lines[i], i + 1) if fast else None
        if st is None:
            pending.append(i)
            continue
        if pending:
            out.extend(_lark(lines, pending, name))
            pending = []
        out.append(st)
    if pending:
        out.extend(_lark(lines, pending, name))
    return out


def _lark(lines: list[str], idx: list[int], name: str) -> list[tuple]:
    """Lark on the lines ``idx`` (a run of body lines), with line numbers made those of the source."""
    first, last = idx[0], idx[-1]
    keep = set(idx)
    chunk = "\n".join(lines[i] if i in keep else "" for i in range(first, last + 1))
    try:
        stmts = parser().parse(chunk)
    except UnexpectedInput:
        masked = "\n".join(line if i in keep else "" for i, line in enumerate(lines))
        try:
            parser().parse(masked)
        except UnexpectedInput as e:
            raise syntax_error(e, parser(), masked, name, code="QMK770", words=WORDS) from None
        raise  # pragma: no cover - the same text parses the same way
    return [(*st[:-2], st[-2] + first, st[-1]) for st in stmts]

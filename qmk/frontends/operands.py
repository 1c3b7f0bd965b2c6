"""Constant call operands as LLVM prints them, read into the builder's values (``Ptr``, float, int, ``Label``).

Used by the fast path (``llvm_walk.py``), which prints each distinct operand once with LLVM's own printer:
``null`` and ``inttoptr (i64 k to ...)`` pointers, decimal and hexadecimal ``double``s (both read exactly,
as LLVM does), integer and ``i1`` constants, and string labels (a global, or the typed ``getelementptr``
of one). Any form not listed raises ``GiveUp`` and the caller falls back to the pyqir walk.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Callable

from .values import Label, Ptr


class GiveUp(Exception):
    """An operand form the fast path does not read."""


_GLOBAL = re.compile(r'^@([\w.]+) = (?:[a-z_]+ )*(?:global|constant) \[(\d+) x i8\] c"([^"\n]*)"', re.MULTILINE)
_PTR = r"(?:ptr|%[\w.]+\*|i8\*)"
_ARG = re.compile(
    rf"{_PTR} (?:(null)|inttoptr \(i64 (-?\d+) to {_PTR}\)|@([\w.]+)"
    rf"|getelementptr inbounds \(\[\d+ x i8\], (?:ptr|\[\d+ x i8\]\*) @([\w.]+), i(?:32|64) 0, i(?:32|64) 0\))"
    r"|double (0x[0-9A-Fa-f]{16}|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)"
    r"|i(\d+) (-?\d+|true|false)"
)


def _unescape(s: str) -> bytes:
    """The bytes of an LLVM ``c"..."`` string: a backslash starts a two-digit hex escape, or is doubled
    (LLVM's printer writes a backslash byte as ``\\\\``; hand-written text may use ``\\5C``)."""
    return re.sub(
        rb"\\(\\|[0-9A-Fa-f]{2})",
        lambda m: b"\\" if m.group(1) == b"\\" else bytes([int(m.group(1), 16)]),
        s.encode("utf-8"),
    )


def _double(s: str) -> float:
    if s.startswith("0x"):
        return struct.unpack("<d", struct.pack("<Q", int(s, 16)))[0]
    return float(s)


def global_label(definition: str) -> Label:
    """The label held by a global byte string, from its printed definition (``@g = ... c"..."``)."""
    m = _GLOBAL.match(definition)
    if m is None:
        raise GiveUp
    data = _unescape(m.group(3))
    return Label(data[:-1] if data.endswith(b"\x00") else data)


def parse_operands(text: str, label_of: Callable[[str], Label]) -> tuple:
    """The values of a comma-separated operand list; ``label_of(name)`` resolves a global's label."""
    out: list = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _ARG.match(text, pos)
        if m is None:
            raise GiveUp
        null, k, glob, gep, dbl, width, ival = m.groups()
        if null:
            out.append(Ptr(0))
        elif k is not None:
            out.append(Ptr(int(k)))
        elif glob or gep:
            out.append(label_of(glob or gep))
        elif dbl is not None:
            out.append(_double(dbl))
        else:
            w = int(width)
            v = {"true": 1, "false": 0}.get(ival)
            v = int(ival) if v is None else v
            if w == 1:
                v &= 1
            else:  # LLVM wraps a literal to its type's width; read it signed
                v = ((v + (1 << (w - 1))) % (1 << w)) - (1 << (w - 1))
            out.append(v)
        pos = m.end()
        if pos < n:
            if text.startswith(", ", pos):
                pos += 2
            else:
                raise GiveUp
    return tuple(out)


def top_lines(text: str, ch: str) -> str:
    """The lines that start with ``ch``, joined (str.find is much faster than a regex over big text)."""
    out, pos = [], 0 if text.startswith(ch) else text.find("\n" + ch)
    while pos != -1:
        start = pos if text.startswith(ch, pos) else pos + 1
        end = text.find("\n", start)
        out.append(text[start:] if end == -1 else text[start:end])
        pos = -1 if end == -1 else text.find("\n" + ch, end)
    return "\n".join(out)

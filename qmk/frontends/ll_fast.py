"""A fast reader for the common case of LLVM text: one entry block of ``call void`` with constant operands.

Why it exists: walking 300,000 calls through pyqir costs several times LLVM's own parse. Base-profile
text is extremely regular, and LLVM has already parsed and verified it (``qir_llvm.read_text`` calls this
only after ``parse_assembly`` and ``verify`` succeed, on a module with a single defined function of a
single block). This reader then takes the operands straight from the text: ``null`` and
``inttoptr (i64 k to ...)`` pointers, decimal and hexadecimal ``double``s (both read exactly, as LLVM
does), integer and ``i1`` constants, and string labels (``@g``, or the typed ``getelementptr`` of ``@g``).
Any line it does not understand makes it give up (return None) and the pyqir walk runs instead, so it is
an optimization, never a second semantics; tests/frontends/test_ll_fast.py checks both paths agree.
"""

from __future__ import annotations

import re
import struct

from .builder import Label, Ptr, QvmBuilder

# Starts with a literal so the regex engine can search for it quickly; that every call line matched is
# checked by counting lines in read().
_CALLS = re.compile(r"call void @([A-Za-z_][\w.]*)\(([^\n]*)\)(?: #\d+)?[ \t]*(?=\n|\Z)")
_SKIP = re.compile(r"[A-Za-z_.$][\w.$]*:[^\n]*|[ \t]*;[^\n]*|[ \t]*")
_RET = re.compile(r"[ \t]*ret (?:void|i64 -?\d+)[ \t]*")
_GLOBAL = re.compile(r'^@([\w.]+) = (?:[a-z_]+ )*(?:global|constant) \[(\d+) x i8\] c"([^"\n]*)"', re.M)
_PTR = r"(?:ptr|%[\w.]+\*|i8\*)"
_ARG = re.compile(
    rf"{_PTR} (?:(null)|inttoptr \(i64 (-?\d+) to {_PTR}\)|@([\w.]+)"
    rf"|getelementptr inbounds \(\[\d+ x i8\], (?:ptr|\[\d+ x i8\]\*) @([\w.]+), i(?:32|64) 0, i(?:32|64) 0\))"
    r"|double (0x[0-9A-Fa-f]{16}|[-+]?\d+\.?\d*(?:[eE][-+]?\d+)?)"
    r"|i(\d+) (-?\d+|true|false)"
)


def _unescape(s: str) -> bytes:
    """The bytes of an LLVM ``c"..."`` string: every backslash starts a two-digit hex escape."""
    return re.sub(rb"\\([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), s.encode("utf-8"))


def _double(s: str) -> float:
    if s.startswith("0x"):
        return struct.unpack("<d", struct.pack("<Q", int(s[2:], 16)))[0]
    return float(s)


def top_lines(text: str, ch: str) -> str:
    """The lines that start with ``ch``, joined (str.find is much faster than a regex over big text)."""
    out, pos = [], 0 if text.startswith(ch) else text.find("\n" + ch)
    while pos != -1:
        start = pos if text.startswith(ch, pos) else pos + 1
        end = text.find("\n", start)
        out.append(text[start:] if end == -1 else text[start:end])
        pos = -1 if end == -1 else text.find("\n" + ch, end)
    return "\n".join(out)


def _is_call(line: str) -> bool:
    return line.lstrip().startswith(("call void @", "tail call void @", "notail call void @"))


def _body(text: str, entry: str) -> str | None:
    """The text between ``define ... @entry() ... {`` and the closing ``}`` line (str.find, no regex
    over the whole module)."""
    key = f"@{entry}()"
    pos = text.find(key)
    while pos != -1:
        line_start = text.rfind("\n", 0, pos) + 1
        line_end = text.find("\n", pos)
        if text.startswith("define ", line_start) and line_end != -1 and text[line_end - 1] == "{":
            end = text.find("\n}", line_end)
            return None if end == -1 else text[line_end + 1 : end]
        pos = text.find(key, pos + 1)
    return None


class _GiveUp(Exception):
    pass


def _args(text: str, labels: dict[str, bytes]) -> tuple:
    out = []
    pos = 0
    n = len(text)
    while pos < n:
        m = _ARG.match(text, pos)
        if m is None:
            raise _GiveUp
        null, k, glob, gep, dbl, width, ival = m.groups()
        if null:
            out.append(Ptr(0))
        elif k is not None:
            out.append(Ptr(int(k)))
        elif glob or gep:
            data = labels.get(glob or gep)
            if data is None:
                raise _GiveUp
            out.append(Label(data[:-1] if data.endswith(b"\x00") else data))
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
                raise _GiveUp
    return tuple(out)


def read(text: str, entry: str, b: QvmBuilder, defined: frozenset[str] = frozenset()) -> bool:
    """Feed the entry's calls to ``b``; False (with ``b`` untouched) when the text is not of the simple
    form or calls a function the module ``defined`` (LLVM must inline those first)."""
    if not re.fullmatch(r"[A-Za-z_][\w.]*", entry):
        return False
    body = _body(text, entry)
    if body is None:
        return False
    lines = body.split("\n")
    calls = _CALLS.findall(body)
    others = [ln for ln in lines if not (ln.startswith("  call void @") or _is_call(ln))]
    # every line is a call, a label, a comment, blank, or the one `ret`, which is the last instruction
    if len(calls) + len(others) != len(lines):
        return False
    rest = [ln for ln in others if not _SKIP.fullmatch(ln)]
    if len(rest) != 1 or not _RET.fullmatch(rest[0]):
        return False
    last = max(i for i, ln in enumerate(lines) if not _SKIP.fullmatch(ln))
    if lines[last] is not rest[0]:
        return False
    if not defined.isdisjoint({c for c, _a in calls}):
        return False
    labels = {g: _unescape(s) for g, _n, s in _GLOBAL.findall(top_lines(text, "@"))}
    try:  # operand lists repeat (the same qubits again and again): parse each distinct one once
        parsed = {a: _args(a, labels) for a in {a for _c, a in calls}}
    except _GiveUp:
        return False
    call = b.call
    for name, a in calls:
        if not name.startswith("llvm."):
            call(name, parsed[a])
    return True

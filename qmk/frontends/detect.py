"""Input format detection by content, never by file name.

Bitcode is recognised by its magic (raw ``BC C0 DE`` or the wrapper header ``DE C0 17 0B``), QVM JSON by
a leading ``{``, OpenQASM by its ``OPENQASM`` header (after comments), LLVM text by a ``define`` line;
anything else is relaxed QIR text. Only the first bytes are examined for the binary and JSON cases, so
detection is cheap and never decodes the whole input.
"""

from __future__ import annotations

import re

FORMATS = ("bc", "ll", "qir", "qasm", "qvm")

BITCODE_MAGIC = b"BC\xc0\xde"
WRAPPER_MAGIC = b"\xde\xc0\x17\x0b"

_DEFINE = re.compile(rb"^[ \t]*define\b", re.M)
_COMMENT = re.compile(rb"\A(?:\s+|//[^\n]*\n?|/\*.*?\*/)*", re.S)


def is_bitcode(data: bytes) -> bool:
    return data[:4] in (BITCODE_MAGIC, WRAPPER_MAGIC)


def detect(data: bytes) -> str:
    """One of FORMATS for these bytes."""
    if is_bitcode(data):
        return "bc"
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] == b"{":
        return "qvm"
    rest = head[_COMMENT.match(head).end() :]
    if rest[:8] == b"OPENQASM":
        return "qasm"
    if _DEFINE.search(data):
        return "ll"
    return "qir"


def llvm_text(data: bytes) -> str:
    """Bytes as text for LLVM: bytes that are not UTF-8 (e.g. raw label bytes inside ``c"..."``) become
    LLVM's ``\\XX`` escapes, which denote the same bytes inside a string constant; decoding never fails."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", "surrogateescape")
        return re.sub("[\udc80-\udcff]", lambda m: "\\%02X" % (ord(m.group()) - 0xDC00), text)

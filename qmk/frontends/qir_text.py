"""Relaxed QIR text: the instruction lines people write by hand, with or without the module around them.

Accepted: a bare list of instruction lines (``call``, ``%r = call``, labels, ``br``, ``ret``), or a
module with ``define`` blocks, ``declare`` lines, ``attributes`` groups, string globals, metadata
and type definitions, all optional. Typed (``%Qubit*``) and opaque (``ptr``) pointers, ``null`` and
``inttoptr (i64 N to ...)`` ids, string labels through ``getelementptr`` or a bare ``@name``.

Module-level lines are recognised here, one line at a time, with regular expressions; the lines of
the chosen function's body go to the lark grammar (grammar/qir.lark, via ``qir_body``), parsed from a
copy of the source in which every other line is blanked, so lark's lines and columns are the
source's. The calls are fed to the same ``QvmBuilder`` as the LLVM reader's, with the same metadata,
so on a base-profile module both readers give the same QVM (tests/frontends/test_qir_text.py).
"""

from __future__ import annotations

import re

from ..ir import Location, Program
from .builder import QvmBuilder
from .errors import fail
from .qir_body import run_body
from .qir_lines import parse_body

_DEFINE = re.compile(r'^\s*define\b[^@]*@("[^"]*"|[-\w$.]+)\s*\((.*)\)([^{]*)\{\s*$')
_CLOSE = re.compile(r"^\s*\}\s*$")
_ATTRS = re.compile(r"^\s*attributes\s+#(\d+)\s*=\s*\{(.*)\}\s*$")
_GLOBAL = re.compile(r'^\s*@("[^"]*"|[-\w$.]+)\s*=\s*(.*)$')
_CSTRING = re.compile(r'c"([^"]*)"')
_FLAGS = re.compile(r"^\s*!llvm\.module\.flags\s*=\s*!\{(.*)\}\s*$")
_MDNODE = re.compile(r"^\s*!(\d+)\s*=\s*(?:distinct\s+)?!\{(.*)\}\s*$")
_SKIP = re.compile(r"^\s*(declare\b|source_filename\b|target\b|module\s+asm\b|%[-\w$.\"]+\s*=\s*type\b|!|$)")
_INSTR = re.compile(r'^\s*(?:(?:%[-\w$.]+|%"[^"]*")\s*=\s*)?([A-Za-z_][\w.]*)')
_LABEL_LINE = re.compile(r'^\s*(?:[-\w$.]+|"[^"]*"):')
_ATTR_PAIR = re.compile(r'"((?:[^"\\]|\\.)*)"(?:="((?:[^"\\]|\\.)*)")?')
_FLAG_ENTRY = re.compile(r'^\s*i32\s+\d+\s*,\s*!"([^"]*)"\s*,\s*(.*?)\s*$')
_OPCODES = frozenset(("call", "tail", "musttail", "notail", "br", "ret", "xor", "inttoptr", "unreachable"))
_ESC = re.compile(r"\\([0-9A-Fa-f]{2}|\\)")


def read(text: str, name: str, builder: QvmBuilder | None = None, *, entry: str | None = None,
         profile: str | None = None, max_qubits: int = 100_000, fast: bool = True) -> Program:
    """Lower relaxed QIR text to QVM (InputError with file:line:col on bad input).

    ``fast=False`` sends every line through lark (the tests compare both paths)."""
    b = builder if builder is not None else QvmBuilder(name, profile=profile, max_qubits=max_qubits)
    mod = _Module(text, name)
    fn = mod.choose(entry)
    attrs = mod.function_attributes(fn)
    amap = dict(attrs)
    loc = Location(name, fn["line"], 1) if fn["line"] else None
    b.set_required(_count(amap, "required_num_qubits", loc), _count(amap, "required_num_results", loc), loc)
    stmts = parse_body(mod.lines, fn["body"], name, fast=fast)
    run_body(stmts, b, name, mod.globals, {f["name"] for f in mod.functions})
    from .qir_llvm import qir_metadata

    return b.finish({"qir": qir_metadata(fn["name"], attrs, b, mod.flags())})


def _count(amap: dict, key: str, loc) -> int | None:
    if key not in amap:
        return None
    try:
        return int(amap[key])
    except ValueError:
        raise fail("QMK774", f'attribute "{key}" should be an integer, got "{amap[key]}"', loc) from None


def _strip_comment(line: str) -> str:
    """The line without its ``;`` comment (a ``;`` inside a string constant is kept)."""
    if ";" not in line:
        return line
    quoted = False
    for i, ch in enumerate(line):
        if ch == '"':
            quoted = not quoted
        elif ch == ";" and not quoted:
            return line[:i]
    return line


def _unescape(s: str) -> bytes:
    return _ESC.sub(lambda m: "\\" if m.group(1) == "\\" else chr(int(m.group(1), 16)), s).encode("latin-1")


class _Module:
    """The module-level structure of the text: functions (with their body lines), attribute groups,
    string globals and metadata nodes."""

    def __init__(self, text: str, name: str) -> None:
        self.name = name
        self.lines = text.split("\n")
        self.functions: list[dict] = []
        self.top: list[int] = []  # instruction lines outside any define
        self.attr_groups: dict[str, str] = {}
        self.globals: dict[str, bytes] = {}
        self.md: dict[str, str] = {}
        self.flag_refs: list[str] = []
        current: dict | None = None
        for i, raw in enumerate(self.lines):
            line = _strip_comment(raw.rstrip("\r"))
            self.lines[i] = line
            lineno = i + 1
            if current is not None:
                if _CLOSE.match(line):
                    current = None
                elif line.strip():
                    self._instruction(line, lineno)
                    current["body"].append(i)
                continue
            m = _DEFINE.match(line)
            if m:
                fname = m.group(1).strip('"')
                current = {"name": fname, "params": m.group(2).strip(), "suffix": m.group(3), "line": lineno,
                           "body": []}
                self.functions.append(current)
                continue
            if self._module_line(line):
                continue
            if line.lstrip().startswith("define"):
                raise fail("QMK773", "a define line must end with '{'", Location(name, lineno, 1))
            if _CLOSE.match(line):
                raise fail("QMK773", "'}' without a define", Location(name, lineno, 1))
            self._instruction(line, lineno)
            self.top.append(i)
        if current is not None:
            raise fail("QMK773", f"function @{current['name']} has no closing '}}'",
                       Location(name, current["line"], 1))
        if self.functions and self.top:
            raise fail("QMK773", "instruction outside any function (the text has define blocks)",
                       Location(name, self.top[0] + 1, 1))

    def _module_line(self, line: str) -> bool:
        m = _ATTRS.match(line)
        if m:
            self.attr_groups[m.group(1)] = m.group(2)
            return True
        m = _FLAGS.match(line)
        if m:
            self.flag_refs = [r.strip()[1:] for r in m.group(1).split(",") if r.strip()]
            return True
        m = _MDNODE.match(line)
        if m:
            self.md[m.group(1)] = m.group(2)
            return True
        m = _GLOBAL.match(line)
        if m:
            s = _CSTRING.search(m.group(2))
            if s:
                data = _unescape(s.group(1))
                self.globals[m.group(1).strip('"')] = data[:-1] if data.endswith(b"\x00") else data
            return True
        return bool(_SKIP.match(line))

    def _instruction(self, line: str, lineno: int) -> None:
        if _LABEL_LINE.match(line):
            return
        m = _INSTR.match(line)
        if m and m.group(1) not in _OPCODES:
            col = m.start(1) + 1
            raise fail("QMK771", f"instruction '{m.group(1)}' is not supported by the relaxed QIR reader",
                       Location(self.name, lineno, col),
                       notes=[("a complete LLVM module (with its declarations) is read through LLVM, which "
                               "supports all of LLVM")])

    def choose(self, entry: str | None) -> dict:
        if not self.functions:
            if entry is not None:
                raise fail("QMK710", f"{self.name}: no function named '{entry}' (the text has no define)")
            return {"name": None, "params": "", "suffix": "", "line": 0, "body": self.top}
        if entry is not None:
            for f in self.functions:
                if f["name"] == entry:
                    return self._check_params(f)
            names = ", ".join(f["name"] for f in self.functions)
            raise fail("QMK710", f"{self.name}: no defined function named '{entry}' (defined: {names})")
        eps = [f for f in self.functions if {"entry_point", "EntryPoint"} & set(dict(self.function_attributes(f)))]
        if len(eps) == 1:
            return self._check_params(eps[0])
        if not eps and len(self.functions) == 1:
            return self._check_params(self.functions[0])
        names = ", ".join(f["name"] for f in (eps or self.functions))
        code, what = ("QMK711", "several entry points") if eps else ("QMK710", "no entry_point attribute among")
        raise fail(code, f"{self.name}: {what}: {names}", notes=["choose one with --entry NAME"])

    def _check_params(self, f: dict) -> dict:
        if f["params"]:
            raise fail("QMK712", f"entry point '{f['name']}' takes parameters ({f['params']}); "
                       "a QIR entry point takes none", Location(self.name, f["line"], 1))
        return f

    def function_attributes(self, f: dict) -> list[tuple[str, str]]:
        """String attributes of a function (inline and from its #N groups), sorted by key as LLVM keeps them."""
        text = f["suffix"] + " " + " ".join(self.attr_groups.get(g, "") for g in re.findall(r"#(\d+)", f["suffix"]))
        pairs = {}
        for k, v in _ATTR_PAIR.findall(text):
            pairs[_unescape(k).decode("latin-1")] = _unescape(v or "").decode("latin-1")
        return sorted(pairs.items())

    def flags(self) -> dict:
        out: dict = {}
        for ref in self.flag_refs:
            m = _FLAG_ENTRY.match(self.md.get(ref, ""))
            if not m:
                continue
            key, val = m.group(1), m.group(2)
            iv = re.match(r"^i(\d+)\s+(-?\d+|true|false)$", val)
            if iv:
                width, lit = int(iv.group(1)), iv.group(2)
                k = {"true": 1, "false": 0}.get(lit, None)
                k = int(lit) if k is None else k
                out[key] = bool(k & 1) if width == 1 else k & ((1 << width) - 1)
            elif val.startswith("!"):
                node = self.md.get(val[1:], "") if re.match(r"^!\d+$", val) else val
                out[key] = re.findall(r'!"([^"]*)"', node)
            else:
                out[key] = val
        return out

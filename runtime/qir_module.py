"""Reading a QIR module for the JIT: parse it, pick the entry point, check its declarations.

Everything here happens in the calling process *before* any QIR code runs, so a module that cannot be
run (not LLVM, no entry point, a declared function with no binding) is refused with an error naming the
problem, and nothing native has executed yet. The module is parsed with llvmlite (LLVM 22), which reads
bitcode and text, typed (QIR 1.0) and opaque (QIR 2.x) pointers alike; typed pointers come back as
``ptr``, so every signature below is written with ``ptr``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from qmk.diagnostics import InputError

# LLVM prints function attribute groups as one blob: '"entry_point" "qir_profiles"="adaptive_profile" ...'.
_ATTR_RE = re.compile(r'"((?:[^"\\]|\\.)*)"(?:="((?:[^"\\]|\\.)*)")?')
_BITCODE_MAGIC = (b"BC\xc0\xde", b"\xde\xc0\x17\x0b")
_INT_RETURNS = ("i1", "i8", "i16", "i32", "i64")
RESERVED_PREFIX = "__qmk."


@dataclass(slots=True)
class QirModule:
    """A parsed, checked QIR module: the canonical LLVM text and the facts the JIT needs."""

    name: str
    text: str  # canonical LLVM assembly printed by LLVM (opaque pointers)
    entry: str
    entry_ret: str  # "void" or an integer type
    attributes: list[tuple[str, str]]  # entry-point string attributes, in LLVM's order
    declared: dict[str, str] = field(default_factory=dict)  # bound name -> signature "ret (args)"
    required_qubits: int | None = None
    required_results: int | None = None

    def attribute(self, key: str) -> str | None:
        for k, v in self.attributes:
            if k == key:
                return v
        return None


def _llvm():
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    llvm.initialize_native_asmprinter()
    return llvm


def parse_attributes(blobs) -> list[tuple[str, str]]:
    """String attributes ``"key"="value"`` / ``"key"`` from llvmlite's attribute blobs, in order."""
    out: list[tuple[str, str]] = []
    for blob in blobs:
        text = blob.decode("utf-8", "replace") if isinstance(blob, bytes) else str(blob)
        for m in _ATTR_RE.finditer(text):
            out.append((m.group(1), m.group(2) or ""))
    return out


def parse(data: bytes, name: str = "<input>"):
    """An llvmlite module from bitcode (detected by its magic bytes, never the file name) or text."""
    llvm = _llvm()
    try:
        if data[:4] in _BITCODE_MAGIC:
            mod = llvm.parse_bitcode(data)
        else:
            if b"\x00" in data:
                raise InputError(f"{name}: not LLVM bitcode or text (contains NUL bytes)")
            mod = llvm.parse_assembly(data.decode("utf-8", "replace"))
        mod.verify()
    except RuntimeError as e:
        msg = str(e).replace("<string>", name).strip()
        raise InputError(f"{name}: not a valid LLVM module: {msg}") from None
    return mod


def _count(attrs: list[tuple[str, str]], *keys: str, name: str) -> int | None:
    for k, v in attrs:
        if k in keys:
            try:
                n = int(v)
            except ValueError:
                raise InputError(f"{name}: entry-point attribute {k}={v!r} is not an integer") from None
            if n < 0:
                raise InputError(f"{name}: entry-point attribute {k}={v} is negative")
            return n
    return None


def _pick_entry(mod, entry: str | None, name: str):
    defined = [f for f in mod.functions if not f.is_declaration]
    if entry is not None:
        for f in defined:
            if f.name == entry:
                return f
        names = ", ".join(f.name for f in defined) or "none"
        raise InputError(f"{name}: no defined function named '{entry}' (defined: {names})")
    eps = [f for f in defined if any(k == "entry_point" for k, _ in parse_attributes(f.attributes))]
    if not eps:
        raise InputError(
            f"{name}: no entry point (a function with the \"entry_point\" attribute)",
            notes=["choose a function with --entry NAME"],
        )
    if len(eps) > 1:
        raise InputError(
            f"{name}: {len(eps)} entry points ({', '.join(f.name for f in eps)})",
            notes=["choose one with --entry NAME"],
        )
    return eps[0]


def load(data: bytes, *, name: str = "<input>", entry: str | None = None, signatures=None) -> QirModule:
    """Parse and check a QIR module. ``signatures(name, sig)`` says whether a declared function is bound
    (see ``qir_runtime.accepts``); every declaration it refuses is listed in one error, before running."""
    mod = parse(data, name)
    fn = _pick_entry(mod, entry, name)
    ftype = str(fn.global_value_type)
    ret, _, params = ftype.partition(" (")
    if params.rstrip(")").strip():
        raise InputError(f"{name}: entry point '{fn.name}' takes parameters ({ftype}); it must take none")
    if ret != "void" and ret not in _INT_RETURNS:
        raise InputError(f"{name}: entry point '{fn.name}' returns {ret}; expected void or an integer")
    attrs = parse_attributes(fn.attributes)
    qm = QirModule(
        name=name,
        text=str(mod),
        entry=fn.name,
        entry_ret=ret,
        attributes=attrs,
        required_qubits=_count(attrs, "required_num_qubits", "num_required_qubits", name=name),
        required_results=_count(attrs, "required_num_results", "num_required_results", name=name),
    )
    unknown: list[str] = []
    for f in mod.functions:
        if f.name.startswith(RESERVED_PREFIX):
            raise InputError(f"{name}: the name '{f.name}' is reserved by qmk-run's instrumentation")
        if not f.is_declaration or f.name.startswith("llvm."):
            continue
        sig = str(f.global_value_type)
        if signatures is not None and not signatures(f.name, sig):
            unknown.append(f"{f.name} ({sig})")
        else:
            qm.declared[f.name] = sig
    for g in mod.global_variables:
        if g.name.startswith(RESERVED_PREFIX):
            raise InputError(f"{name}: the name '{g.name}' is reserved by qmk-run's instrumentation")
        if g.is_declaration:
            unknown.append(f"global @{g.name}")
    if unknown:
        raise InputError(
            f"{name}: the module declares {len(unknown)} function(s) or global(s) that qmk-run does not "
            f"provide: {', '.join(unknown)}",
            notes=[("qmk-run binds the __quantum__qis__* gates and __quantum__rt__* runtime functions "
                    "listed in docs/qir-jit.md")],
        )
    return qm

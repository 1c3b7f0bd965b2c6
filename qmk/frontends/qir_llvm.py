"""QIR from LLVM bitcode or LLVM text, read through LLVM itself (llvmlite and pyqir).

Paths, chosen by measurement (docs/frontends.md has the numbers): LLVM text is parsed by llvmlite's
``parse_assembly`` (pyqir's text reader is ~30x slower on big files), bitcode by llvmlite's
``parse_bitcode``. An entry point of one block of constant-operand calls (base profile) is then read by the
compiled walk of ``llvm_walk.py``. Anything else goes to pyqir as bitcode: programs whose entry point has
more than one block, or that call functions defined in the module, are first flattened by LLVM's optimizer
(``adaptive.flatten``), and the instructions are walked with pyqir (``adaptive.walk``). Both walks feed
the calls to the shared ``QvmBuilder``.
"""

from __future__ import annotations

import re

from ..diagnostics import InputError
from ..ir import Location, Program
from .builder import QvmBuilder
from .detect import llvm_text
from .errors import fail
from .operands import top_lines

# Module flags of the QIR profiles (qir-facts.md section 1), read into metadata["qir"]["flags"].
KNOWN_FLAGS = (
    "qir_major_version",
    "qir_minor_version",
    "dynamic_qubit_management",
    "dynamic_result_management",
    "int_computations",
    "float_computations",
    "ir_functions",
    "backwards_branching",
    "multiple_target_branching",
    "multiple_return_points",
    "arrays",
    "writable_results",
)
_LLVM_ERR = re.compile(r"<string>:(\d+):(\d+): error: (.*)")


class LlvmParseError(InputError):
    """LLVM refused the text or bitcode."""


def read_text(data: bytes, name: str, *, entry=None, profile=None, max_qubits=100_000) -> Program:
    """Lower LLVM text (typed or opaque pointers) to QVM."""
    import llvmlite.binding as llvm

    text = llvm_text(data)
    try:
        mod = llvm.parse_assembly(text)
    except RuntimeError as e:
        raise _parse_error(str(e), name) from None
    # The fast path accepts only one block of constant-operand calls and a ret, all of which the parser
    # has already type-checked; everything else is verified by LLVM before pyqir sees it.
    prog = _fast(mod, name, entry, profile, max_qubits, lambda: _text_flags(text))
    if prog is not None:
        return prog
    _verify(mod, name)
    return _from_llvmlite(mod, name, entry, profile, max_qubits)


def _text_flags(text: str) -> dict | None:
    """The module flags, from the metadata lines of LLVM text (None when pyqir cannot read them)."""
    import pyqir

    meta_lines = top_lines(text, "!")
    try:
        return _flags(pyqir.Module.from_ir(pyqir.Context(), meta_lines)) if meta_lines else {}
    except (ValueError, RuntimeError):
        return None


def _fast(lmod, name, entry, profile, max_qubits, flags_of) -> Program | None:
    """Base-profile QIR read by the compiled block walk (llvm_walk.py); None to use the pyqir walk."""
    plan = _plan(lmod, name, entry)
    if plan is None:
        return None
    flags = flags_of()
    return None if flags is None else _build(name, profile, max_qubits, plan, flags)


def _plan(lmod, name, entry):
    """``(entry, attributes, calls, order)`` when the chosen entry point is one block the walk reads
    (``llvm_walk.scan``), else None. Raises for a module without a usable entry point."""
    from . import llvm_walk

    defined = [f for f in lmod.functions if not f.is_declaration]
    ep = _choose(
        [(f.name, any(b'"entry_point"' in bytes(a) for a in f.attributes)) for f in defined], name, entry
    )
    fn = lmod.get_function(ep)
    if sum(1 for _ in fn.blocks) != 1:
        return None
    n_params = sum(1 for _ in fn.arguments)
    if n_params:
        raise _params_error(name, ep, n_params)
    scanned = llvm_walk.scan(lmod, fn)
    return None if scanned is None else (ep, _attributes(lmod, ep), *scanned)


def _build(name, profile, max_qubits, plan, flags) -> Program:
    from . import llvm_walk

    ep, attrs, calls, order = plan
    amap = dict(attrs)
    b = QvmBuilder(name, profile=profile, max_qubits=max_qubits)
    b.set_required(_int_attr(amap.get("required_num_qubits")), _int_attr(amap.get("required_num_results")))
    llvm_walk.replay(b, calls, order)
    return b.finish({"qir": qir_metadata(ep, attrs, b, flags)})


def _module_flags(lmod) -> dict | None:
    """The module flags of a parsed module whose functions are no longer needed: the defined functions are
    made internal and dropped by LLVM's global DCE, so printing what is left (the metadata) is cheap."""
    import llvmlite.binding as llvm

    from .adaptive import _init_llvm

    _init_llvm()
    for f in lmod.functions:
        if not f.is_declaration:
            f.linkage = llvm.Linkage.internal
    tm = llvm.Target.from_default_triple().create_target_machine()
    mpm = llvm.create_new_module_pass_manager()
    mpm.add_global_dead_code_eliminate_pass()
    mpm.run(lmod, llvm.create_pass_builder(tm, llvm.create_pipeline_tuning_options()))
    return _text_flags(str(lmod))


_NOT_SIMPLE = "not simple"  # _bitcode_read: the child read the bitcode, and the block walk cannot


def _bitcode_read(data: bytes, name: str, entry, profile, max_qubits):
    """Bitcode the block walk reads, with llvmlite's part done in a forked child process. ``_NOT_SIMPLE``
    when the child read the module and the walk does not apply to it; None when forking is not possible
    here or the child did not succeed (corrupt bitcode, unreadable module flags).

    llvmlite's LLVM is built with assertions, and its bitcode reader aborts the process on some corrupt
    input (pyqir's reader refuses the same bytes with a message). So llvmlite reads untrusted bitcode
    only in a child: a child that dies means "let pyqir say what is wrong". The child sends plain data
    back, first the plan (the distinct calls and their order), then the module flags, which it reads
    while this process lowers the calls. Used only where fork is safe: a POSIX process with one thread."""
    import os
    import pickle
    import threading

    if not hasattr(os, "fork") or threading.active_count() != 1:
        return None
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        code = 1
        try:
            os.close(rfd)
            os.dup2(os.open(os.devnull, os.O_WRONLY), 2)  # an assertion's report is not for the user
            import llvmlite.binding as llvm

            with os.fdopen(wfd, "wb") as out:
                lmod = llvm.parse_bitcode(data)
                plan = _plan(lmod, name, entry)
                pickle.dump(plan, out, protocol=pickle.HIGHEST_PROTOCOL)
                out.flush()
                if plan is not None:
                    pickle.dump(_module_flags(lmod), out, protocol=pickle.HIGHEST_PROTOCOL)
            code = 0
        finally:
            os._exit(code)
    os.close(wfd)
    prog = None
    try:
        with os.fdopen(rfd, "rb") as inp:
            plan = pickle.load(inp)
            if plan is None:
                prog = _NOT_SIMPLE
            else:
                prog = _build(name, profile, max_qubits, plan, {})
                flags = pickle.load(inp)
                if flags is None:
                    prog = None
                elif flags:
                    prog.metadata["qir"]["flags"] = flags  # where qir_metadata puts them: last
    except (EOFError, pickle.UnpicklingError):
        prog = None  # the child died before it finished: corrupt input, reported by the pyqir path
    finally:
        _, status = os.waitpid(pid, 0)
    if not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
        return None
    return prog


def _int_attr(v: str | None) -> int | None:
    return int(v) if v is not None and re.fullmatch(r"\d+", v) else None


def read_bitcode(data: bytes, name: str, *, entry=None, profile=None, max_qubits=100_000) -> Program:
    """Lower LLVM bitcode (raw or wrapped) to QVM.

    Base-profile bitcode is read by the block walk in a forked child (``_bitcode_read``). Otherwise pyqir
    reads it first: its LLVM refuses corrupt bitcode with a message, where llvmlite's (built with
    assertions) can abort the process on some corruptions, so in this process llvmlite only ever sees
    bitcode pyqir has read."""
    import llvmlite.binding as llvm
    import pyqir

    prog = _bitcode_read(data, name, entry, profile, max_qubits)
    if isinstance(prog, Program):
        return prog
    try:
        mod = pyqir.Module.from_bitcode(pyqir.Context(), data)
    except (ValueError, RuntimeError) as e:
        raise LlvmParseError.from_diag(
            _diag("QMK701", f"{name}: not valid LLVM bitcode: {_first(e)}")
        ) from None
    try:
        lmod = llvm.parse_bitcode(data)
    except RuntimeError as e:
        raise LlvmParseError.from_diag(_diag("QMK701", f"{name}: not valid LLVM bitcode: {_first(e)}")) from None
    if prog is None:  # the child could not tell (or did not run): try the block walk here
        prog = _fast(lmod, name, entry, profile, max_qubits, lambda: _flags(mod))
        if prog is not None:
            return prog
    ep = _entry(mod, name, entry)
    if _needs_flattening(mod, ep):
        # LLVM's optimizer may assume valid IR; a single block is only read, so the (costly)
        # verifier runs where it protects something.
        err = mod.verify()
        if err:
            raise LlvmParseError.from_diag(_diag("QMK701", f"{name}: invalid LLVM module: {_first(err)}"))
        return _from_llvmlite(lmod, name, entry, profile, max_qubits)
    return _lower(mod, ep, name, profile, max_qubits, _attributes(lmod, ep.name))


def _from_llvmlite(lmod, name, entry, profile, max_qubits) -> Program:
    import pyqir

    from .adaptive import flatten

    mod = pyqir.Module.from_bitcode(pyqir.Context(), lmod.as_bitcode())
    ep = _entry(mod, name, entry)
    attrs = _attributes(lmod, ep.name)
    if _llvmlite_needs_flattening(lmod):
        flatten(lmod)
        mod = pyqir.Module.from_bitcode(pyqir.Context(), lmod.as_bitcode())
        ep = _entry(mod, name, ep.name)
    return _lower(mod, ep, name, profile, max_qubits, attrs)


_ATTR = re.compile(r'"((?:[^"\\]|\\.)*)"(?:="((?:[^"\\]|\\.)*)")?')


def _attributes(lmod, fname: str) -> list[tuple[str, str]]:
    """The string attributes of a function, in LLVM's order, from llvmlite's attribute text (pyqir
    panics on enum attributes such as ``nounwind``, which optimized modules carry)."""
    blob = b" ".join(bytes(a) for a in lmod.get_function(fname).attributes).decode("utf-8", "replace")
    unesc = lambda t: re.sub(r"\\([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), t)
    return [(unesc(k), unesc(v or "")) for k, v in _ATTR.findall(blob)]


def _lower(mod, ep, name, profile, max_qubits, attrs) -> Program:
    import pyqir

    from .adaptive import walk

    if len(ep.params):
        raise _params_error(name, ep.name, len(ep.params))
    b = QvmBuilder(name, profile=profile, max_qubits=max_qubits)
    b.set_required(pyqir.required_num_qubits(ep), pyqir.required_num_results(ep))
    walk(ep, b)
    return b.finish({"qir": qir_metadata(ep.name, attrs, b, _flags(mod))})


def qir_metadata(entry: str | None, attrs, b: QvmBuilder, flags: dict) -> dict:
    """What QVM keeps of a QIR module in ``metadata["qir"]``: the entry point and its attributes (when the
    module names one), the profile, the required counts and the module flags. Both QIR readers use it, so
    they agree on the metadata as on the nodes."""
    meta: dict = {}
    if entry is not None:
        meta = {"entry": entry, "attributes": [[k, v] for k, v in attrs]}
        amap = dict(attrs)
        if "qir_profiles" in amap:
            meta["profile"] = amap["qir_profiles"]
    if b.req_qubits is not None:
        meta["required_num_qubits"] = b.req_qubits
    if b.req_results is not None:
        meta["required_num_results"] = b.req_results
    if flags:
        meta["flags"] = flags
    return meta


def _flags(mod) -> dict:
    import pyqir

    out = {}
    for key in KNOWN_FLAGS:
        md = mod.get_flag(key)
        if md is None:
            continue
        if isinstance(md, pyqir.ConstantAsMetadata) and isinstance(md.value, pyqir.IntConstant):
            width = md.value.type.width
            out[key] = bool(md.value.value) if width == 1 else md.value.value  # i2 read unsigned
        elif isinstance(md, pyqir.MetadataString):
            out[key] = md.value
        else:
            out[key] = re.findall(r'!"([^"]*)"', str(md)) or str(md)
    return out


def _params_error(name: str, entry: str, n: int):
    return fail(
        "QMK712", f"{name}: entry point '{entry}' takes {n} parameter(s); a QIR entry point takes none"
    )


def _entry(mod, name: str, chosen: str | None):
    import pyqir

    defined = [f for f in mod.functions if len(f.basic_blocks)]
    ep = _choose([(f.name, pyqir.is_entry_point(f)) for f in defined], name, chosen)
    return next(f for f in defined if f.name == ep)


def _choose(defined: list[tuple[str, bool]], name: str, chosen: str | None) -> str:
    """The entry point among the defined functions (name, has the entry_point attribute)."""
    names = ", ".join(n for n, _e in defined) or "none"
    if chosen is not None:
        if any(n == chosen for n, _e in defined):
            return chosen
        raise fail("QMK710", f"{name}: no defined function named '{chosen}' (defined: {names})")
    eps = [n for n, is_entry in defined if is_entry]
    if len(eps) == 1:
        return eps[0]
    if not eps:
        raise fail(
            "QMK710",
            f'{name}: no function has the "entry_point" attribute (defined: {names})',
            notes=["choose one with --entry NAME"],
        )
    raise fail(
        "QMK711", f"{name}: several entry points: {', '.join(eps)}", notes=["choose one with --entry NAME"]
    )


def _needs_flattening(mod, ep) -> bool:
    """Branches, or calls into functions the module defines, need LLVM's optimizer first."""
    if len(ep.basic_blocks) > 1:
        return True
    return sum(1 for f in mod.functions if len(f.basic_blocks)) > 1


def _llvmlite_needs_flattening(lmod) -> bool:
    defined = [f for f in lmod.functions if not f.is_declaration]
    if len(defined) > 1:
        return True
    return any(sum(1 for _ in f.blocks) > 1 for f in defined)


def _verify(lmod, name: str) -> None:
    try:
        lmod.verify()
    except RuntimeError as e:
        raise LlvmParseError.from_diag(_diag("QMK701", f"{name}: invalid LLVM module: {_first(e)}")) from None


def _parse_error(msg: str, name: str) -> LlvmParseError:
    m = _LLVM_ERR.search(msg)
    if m:
        loc = Location(name, int(m.group(1)), int(m.group(2)))
        return LlvmParseError.from_diag(_diag("QMK701", f"LLVM: {m.group(3).strip()}", loc))
    return LlvmParseError.from_diag(_diag("QMK701", f"{name}: LLVM could not parse the text: {_first(msg)}"))


def _diag(code, message, loc=None):
    from ..diagnostics import Diagnostic

    return Diagnostic(code, message, loc=loc)


def _first(e) -> str:
    lines = [ln.strip() for ln in str(e).splitlines() if ln.strip() and "parsing error" not in ln]
    return lines[0] if lines else str(e).strip()

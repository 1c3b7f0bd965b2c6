"""Instrumenting a QIR module before it is JIT-compiled: bindings, step budget, depth, division checks.

The rewrite works on the canonical text LLVM prints for a verified module (one instruction per line,
every non-entry block headed by ``label:  ; preds = %a, %b``) and only *inserts* ``call void`` lines that
define no value, or replaces whole ``declare`` lines, so LLVM's implicit numbering of unnamed values is
untouched and the result parses again (it is verified before it is compiled).

* **Bindings.** Each declared ``__quantum__*`` function becomes a small definition that counts one step
  and calls through a function-pointer global, which the worker sets to a ctypes callback after
  compilation. Integer arguments reach Python as i64 (i1 and i2 zero-extended, others sign-extended), so
  the callback types do not depend on how a C ABI passes narrow integers.
* **Step budget.** ``@__qmk.tick`` decrements ``@__qmk.steps`` and traps when it goes negative. It is
  called by every binding, at every function entry, and at the top of every block that is the target of
  a *backward* edge in text order. Every cycle of a control-flow graph contains at least one edge from a
  block to one at the same or an earlier position in any linear order of the blocks, so every loop
  iteration (measured or purely classical) costs at least one step and no loop escapes the budget.
* **Depth.** ``@__qmk.enter``/``@__qmk.leave`` at function entry and before every ``ret`` count the call
  depth and trap past ``@__qmk.maxdepth``, before native recursion can exhaust the stack.
* **Division.** Before every scalar ``udiv/sdiv/urem/srem`` a check traps on a zero divisor and on the
  signed overflow ``MIN / -1``; both would otherwise raise SIGFPE in native code.

A trap calls ``@__qmk.trapfp`` with a code (``TRAP_*``); the worker's handler reports and ends the
worker process, so a trap never returns into the program.
"""

from __future__ import annotations

import re

from qmk.diagnostics import InputError

TRAP_STEPS, TRAP_DEPTH, TRAP_DIV_ZERO, TRAP_DIV_OVERFLOW = 1, 2, 3, 4

_NAME = r'(?:"(?:[^"\\]|\\.)*"|[-\w$.]+)'
_LABEL_RE = re.compile(rf"^({_NAME}):(.*)$")
_PRED_RE = re.compile(rf"%({_NAME})")
_DECL_RE = re.compile(rf"^declare\b[^@]*@({_NAME})\(")
_DIV_RE = re.compile(r"^(\s+%\S+ = )(udiv|sdiv|urem|srem)( exact)? (\S+) (.*)$")
_PHI_RE = re.compile(r"^\s+%\S+ = phi\b")
_RET_RE = re.compile(r"^\s+ret\b")


def split_sig(sig: str) -> tuple[str, list[str]]:
    """``"i1 (ptr, i64)"`` -> ("i1", ["ptr", "i64"])."""
    ret, _, rest = sig.partition(" (")
    inner = rest[:-1].strip() if rest.endswith(")") else rest.strip()
    return ret, [p.strip() for p in inner.split(",")] if inner else []


def abi_type(t: str) -> str:
    """The type a value of LLVM type ``t`` has when it crosses into Python: ptr, double or i64."""
    if t == "ptr" or t == "double":
        return t
    if t == "float":
        return "double"
    if re.fullmatch(r"i\d+", t) and int(t[1:]) <= 64:
        return "i64"
    raise InputError(f"values of LLVM type {t} cannot be passed to the runtime")


def _to_abi(t: str, v: str, tmp: str) -> tuple[list[str], str]:
    a = abi_type(t)
    if a == t:
        return [], v
    if t == "float":
        return [f"  {tmp} = fpext float {v} to double"], tmp
    ext = "zext" if t in ("i1", "i2") else "sext"
    return [f"  {tmp} = {ext} {t} {v} to i64"], tmp


def _native_noop(name: str, sig: str) -> list[str]:
    """A binding with no effect on the simulation (``initialize``, ``barrier``, reference counts): a
    step, and no call into Python."""
    ret, params = split_sig(sig)
    if ret != "void":
        raise ValueError(f"a native no-op must return void: {name} {sig}")
    args = ", ".join(f"{t} %a{i}" for i, t in enumerate(params))
    return [f"define void @{name}({args}) {{", "  call void @__qmk.tick()", "  ret void", "}"]


def _wrapper(name: str, sig: str, index: int, fast: list[str] | None = None) -> list[str]:
    """The binding of ``name``: a step, then the ``fast`` lines if any (which return, or branch to
    ``%slow``), then the call through ``@__qmk.fp.<index>`` into Python."""
    ret, params = split_sig(sig)
    fp = f"@__qmk.fp.{index}"
    args = [f"%a{i}" for i in range(len(params))]
    decl = ", ".join(f"{t} {a}" for t, a in zip(params, args))
    # An i1 result is returned zero-extended, so call sites declared ``zeroext i1`` (as qdk writes
    # them) may rely on the full register; for callers that do not, the extension is harmless.
    rattr = "zeroext i1" if ret == "i1" else ret
    lines = [f"{fp} = global ptr null", f"define {rattr} @{name}({decl}) {{"]
    lines.append("  call void @__qmk.tick()")
    if fast:
        lines += fast + ["slow:"]
    call_args = []
    for i, (t, a) in enumerate(zip(params, args)):
        pre, v = _to_abi(t, a, f"%c{i}")
        lines += pre
        call_args.append(f"{abi_type(t)} {v}")
    lines.append(f"  %f = load ptr, ptr {fp}")
    if ret == "void":
        lines += [f"  call void %f({', '.join(call_args)})", "  ret void", "}"]
        return lines
    rabi = abi_type(ret)
    lines.append(f"  %r = call {rabi} %f({', '.join(call_args)})")
    if rabi == ret:
        lines.append(f"  ret {ret} %r")
    elif ret == "float":
        lines += ["  %t = fptrunc double %r to float", "  ret float %t"]
    else:
        lines += [f"  %t = trunc i64 %r to {ret}", f"  ret {ret} %t"]
    return lines + ["}"]


def _split_operands(s: str) -> list[str]:
    """Split an operand list at top-level commas (constant expressions contain commas in brackets)."""
    parts, depth, cur, quoted = [], 0, [], False
    for ch in s:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "([{<":
            depth += 1
        elif not quoted and ch in ")]}>":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            parts.append("".join(cur).strip())
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur).strip())
    return parts


def _div_check(m: re.Match, widths: set[str], where: str) -> str:
    op, ty = m.group(2), m.group(4)
    if not re.fullmatch(r"i\d+", ty):
        raise InputError(f"{where}: qmk-run supports integer division on scalars only, not: "
                         f"{m.group(0).strip()}")
    a, b = _split_operands(m.group(5))[:2]
    widths.add(ty)
    if op[0] == "s":
        return f"  call void @__qmk.sdivchk.{ty}({ty} {a}, {ty} {b})"
    return f"  call void @__qmk.udivchk.{ty}({ty} {b})"


def _instrument_body(header: str, body: list[str], widths: set[str], where: str) -> list[str]:
    index: dict[str, int] = {}
    preds: dict[int, list[str]] = {}
    n = 0
    for line in body:
        m = _LABEL_RE.match(line)
        if m:
            n += 1
            index[m.group(1)] = n
            rest = m.group(2)
            preds[n] = _PRED_RE.findall(rest.split("preds =", 1)[1]) if "preds =" in rest else []
    backward = {j for j, ps in preds.items() if any(index.get(p, 0) >= j for p in ps)}
    out = [header]
    first = True
    tick_pending = False
    block = 0
    for line in body:
        m = _LABEL_RE.match(line)
        if m:
            block = index[m.group(1)]
            out.append(line)
            tick_pending = block in backward
            if first:  # a labelled entry block
                out.append("  call void @__qmk.enter()")
                first = False
            continue
        stripped = line.strip()
        if not stripped or stripped.startswith(";"):
            out.append(line)
            continue
        if first:
            out.append("  call void @__qmk.enter()")
            first = False
        if tick_pending and not _PHI_RE.match(line):
            out.append("  call void @__qmk.tick()")
            tick_pending = False
        if _RET_RE.match(line):
            out.append("  call void @__qmk.leave()")
        d = _DIV_RE.match(line)
        if d:
            out.append(_div_check(d, widths, where))
        out.append(line.replace("musttail call ", "tail call "))
    return out + ["}"]


def _support(widths: set[str]) -> list[str]:
    lines = [
        "@__qmk.steps = global i64 0",
        "@__qmk.depth = global i64 0",
        "@__qmk.maxdepth = global i64 0",
        "@__qmk.trapfp = global ptr null",
        "@__qmk.res = global ptr null",
        "@__qmk.nres = global i64 0",
        "define internal void @__qmk.trap(i64 %code) {",
        "  %f = load ptr, ptr @__qmk.trapfp",
        "  call void %f(i64 %code)",
        "  ret void",
        "}",
        "define internal void @__qmk.tick() {",
        "  %s = load i64, ptr @__qmk.steps",
        "  %s1 = sub i64 %s, 1",
        "  store i64 %s1, ptr @__qmk.steps",
        "  %bad = icmp slt i64 %s1, 0",
        "  br i1 %bad, label %trap, label %ok",
        "trap:",
        f"  call void @__qmk.trap(i64 {TRAP_STEPS})",
        "  br label %ok",
        "ok:",
        "  ret void",
        "}",
        "define internal void @__qmk.enter() {",
        "  call void @__qmk.tick()",
        "  %d = load i64, ptr @__qmk.depth",
        "  %d1 = add i64 %d, 1",
        "  store i64 %d1, ptr @__qmk.depth",
        "  %max = load i64, ptr @__qmk.maxdepth",
        "  %bad = icmp sgt i64 %d1, %max",
        "  br i1 %bad, label %trap, label %ok",
        "trap:",
        f"  call void @__qmk.trap(i64 {TRAP_DEPTH})",
        "  br label %ok",
        "ok:",
        "  ret void",
        "}",
        "define internal void @__qmk.leave() {",
        "  %d = load i64, ptr @__qmk.depth",
        "  %d1 = sub i64 %d, 1",
        "  store i64 %d1, ptr @__qmk.depth",
        "  ret void",
        "}",
    ]
    for ty in sorted(widths):
        lo = -(1 << (int(ty[1:]) - 1))
        lines += [
            f"define internal void @__qmk.udivchk.{ty}({ty} %b) {{",
            f"  %z = icmp eq {ty} %b, 0",
            "  br i1 %z, label %trap, label %ok",
            "trap:",
            f"  call void @__qmk.trap(i64 {TRAP_DIV_ZERO})",
            "  br label %ok",
            "ok:",
            "  ret void",
            "}",
            f"define internal void @__qmk.sdivchk.{ty}({ty} %a, {ty} %b) {{",
            f"  call void @__qmk.udivchk.{ty}({ty} %b)",
            f"  %m = icmp eq {ty} %a, {lo}",
            f"  %n = icmp eq {ty} %b, -1",
            "  %o = and i1 %m, %n",
            "  br i1 %o, label %trap, label %ok",
            "trap:",
            f"  call void @__qmk.trap(i64 {TRAP_DIV_OVERFLOW})",
            "  br label %ok",
            "ok:",
            "  ret void",
            "}",
        ]
    return lines


def instrument(text: str, bound: list[tuple[str, str]], where: str = "<input>",
               noops: list[tuple[str, str]] = (), fast: dict[str, list[str]] | None = None,
               extra: list[str] = ()) -> str:
    """The instrumented module text. ``bound`` lists (name, signature) of the declared functions that
    become bindings; binding i calls through ``@__qmk.fp.<i>``. ``noops`` are declared functions
    defined as a step only; ``fast`` maps a binding to native lines tried before Python (see
    ``qir_kernels``); ``extra`` lines (kernels, constants) are appended."""
    slot = {name: i for i, (name, _) in enumerate(bound)}
    drop = set(slot) | {name for name, _ in noops}
    lines = text.split("\n")
    out: list[str] = []
    widths: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        d = _DECL_RE.match(line)
        if d and d.group(1) in drop:
            i += 1
            continue
        if line.startswith(("target triple", "target datalayout")):
            i += 1  # compiled for this host: a module's own target would not match the code generator
            continue
        if line.startswith("define ") and line.rstrip().endswith("{"):
            j = i + 1
            while j < len(lines) and lines[j] != "}":
                j += 1
            out += _instrument_body(line, lines[i + 1 : j], widths, where)
            i = j + 1
            continue
        out.append(line)
        i += 1
    for name, sig in bound:
        out += _wrapper(name, sig, slot[name], (fast or {}).get(name))
    for name, sig in noops:
        out += _native_noop(name, sig)
    out += _support(widths)
    out += list(extra)
    return "\n".join(out) + "\n"

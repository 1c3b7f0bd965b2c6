"""The fast paths of the JIT's bindings: LLVM IR tried before the call into Python (see ``qir_kernels``).

Each generator returns the lines placed at the top of a binding (``qir_instrument._wrapper``): they
either finish the call natively and ``ret``, or branch to ``%slow``, the call into Python, which repeats
every check and reports what is wrong. A fast path therefore only ever handles the ordinary case: the
small engine is in use (``@__qmk.fast``), each qubit handle has a live entry in ``@__qmk.qpos``, qubits
are distinct, results are static ids below ``@__qmk.nres``, angles are finite, and a draw is left in
``@__qmk.draws``. Value and label names never clash with the slow path's (``%f``, ``%r``, ``%t``,
``%c<i>``).
"""

from __future__ import annotations

import struct

from .qir_kernels import DYN_BASE, NQDYN, NQPOS, NQSTATIC


def _hex(x: float) -> str:
    """An exact LLVM double literal."""
    return f"0x{struct.unpack('<Q', struct.pack('<d', float(x)))[0]:016X}"


def matrix_global(name: str, m) -> str:
    """A constant global holding matrix ``m`` (row-major complex) in the layout ``kk`` reads."""
    vals = [v for row in m.tolist() for z in row for v in (complex(z).real, complex(z).imag)]
    body = ", ".join("double " + _hex(v) for v in vals)
    return f"@{name} = internal constant [{len(vals)} x double] [{body}]"


def _qubit_lookup(i: int) -> list[str]:
    """Position of qubit argument i in %p<i>; to %slow when it has none. The table index is the handle
    for a static qubit, NQSTATIC + (h - DYN_BASE) for one of the first NQDYN dynamic ones."""
    return [
        f"  %h{i} = ptrtoint ptr %a{i} to i64",
        f"  %s{i} = icmp ult i64 %h{i}, {NQSTATIC}",
        f"  %dh{i} = sub i64 %h{i}, {DYN_BASE - NQSTATIC}",
        f"  %dd{i}.in = icmp ult i64 %h{i}, {DYN_BASE + NQDYN}",
        f"  %dl{i} = icmp uge i64 %h{i}, {DYN_BASE}",
        f"  %dn{i} = and i1 %dl{i}, %dd{i}.in",
        f"  %x{i} = select i1 %s{i}, i64 %h{i}, i64 %dh{i}",
        f"  %in{i} = or i1 %s{i}, %dn{i}",
        f"  br i1 %in{i}, label %l{i}, label %slow",
        f"l{i}:",
        f"  %g{i} = getelementptr [{NQPOS} x i8], ptr @__qmk.qpos, i64 0, i64 %x{i}",
        f"  %p8.{i} = load i8, ptr %g{i}",
        f"  %p{i} = sext i8 %p8.{i} to i64",
        f"  %ok{i} = icmp sge i64 %p{i}, 0",
        f"  br i1 %ok{i}, label %n{i}, label %slow",
        f"n{i}:",
    ]


_FAST_CHECK = ["  %fast = load i64, ptr @__qmk.fast", "  %isf = icmp ne i64 %fast, 0",
               "  br i1 %isf, label %fastp, label %slow", "fastp:"]


def fast_gate(nq: int, steps: list[tuple[str, tuple[int, ...]]]) -> list[str]:
    """Fast path of a fixed gate on ``nq`` qubit arguments: ``steps`` are (matrix global, argument
    indices, MSB first), each applied with ``kk``."""
    lines = list(_FAST_CHECK)
    for i in range(nq):
        lines += _qubit_lookup(i)
    if nq > 1:  # the same qubit twice is an error the Python path reports
        conds = [f"%d{i}{j}" for i in range(nq) for j in range(i + 1, nq)]
        for i in range(nq):
            for j in range(i + 1, nq):
                lines.append(f"  %d{i}{j} = icmp ne i64 %p{i}, %p{j}")
        acc = conds[0]
        for t, c in enumerate(conds[1:]):
            lines.append(f"  %dd{t} = and i1 {acc}, {c}")
            acc = f"%dd{t}"
        lines += [f"  br i1 {acc}, label %go, label %slow", "go:"]
    lines.append("  %ps = alloca [3 x i64]")
    for s, (mat, args) in enumerate(steps):
        for j, a in enumerate(args):
            lines += [f"  %ps{s}.{j} = getelementptr i64, ptr %ps, i64 {j}",
                      f"  store i64 %p{a}, ptr %ps{s}.{j}"]
        lines.append(f"  call void @__qmk.kk(ptr @{mat}, i64 {len(args)}, ptr %ps)")
    return lines + ["  ret void"]


def fast_measure(kernel: str, with_result: bool) -> list[str]:
    """Fast path of ``mz``/``m``/``mresetz`` (``with_result``: argument 1 is a result below
    ``@__qmk.nres``, written to ``@__qmk.res``) or ``reset``; ``kernel`` is ``mz`` or ``reset``."""
    lines = list(_FAST_CHECK) + _qubit_lookup(0)
    if with_result:
        lines += [
            "  %rh = ptrtoint ptr %a1 to i64",
            "  %nres = load i64, ptr @__qmk.nres",
            "  %rin = icmp ult i64 %rh, %nres",
            "  br i1 %rin, label %rd, label %slow",
            "rd:",
        ]
    lines += [
        "  %u = call double @__qmk.draw()",
        "  %hasu = fcmp oge double %u, 0.0",
        "  br i1 %hasu, label %meas, label %slow",
        "meas:",
        f"  %b = call i64 @__qmk.{kernel}(i64 %p0, double %u)",
        "  %bok = icmp sge i64 %b, 0",
        "  br i1 %bok, label %store, label %slow",
        "store:",
    ]
    if with_result:
        lines += [
            "  %b8 = trunc i64 %b to i8",
            "  %rbase = load ptr, ptr @__qmk.res",
            "  %rp = getelementptr i8, ptr %rbase, i64 %rh",
            "  store i8 %b8, ptr %rp",
        ]
    return lines + ["  ret void"]


def fast_read() -> list[str]:
    """Fast path of ``read_result``: a static result below ``@__qmk.nres`` is read from ``@__qmk.res``."""
    return [
        "  %h = ptrtoint ptr %a0 to i64",
        "  %n = load i64, ptr @__qmk.nres",
        "  %in = icmp ult i64 %h, %n",
        "  br i1 %in, label %fast, label %slow",
        "fast:",
        "  %base = load ptr, ptr @__qmk.res",
        "  %p = getelementptr i8, ptr %base, i64 %h",
        "  %v = load i8, ptr %p",
        "  %b = icmp ne i8 %v, 0",
        "  ret i1 %b",
    ]


# The 2x2 matrix of each rotation as (re, im) pairs row by row, in terms of c = cos(t), s = sin(t) and
# ns = -s for the half angle t (the matrices of qmk.ops: rx = [[c, -is], [-is, c]], ry = [[c, -s],
# [s, c]], rz = diag(e^-it, e^it) = diag(c - is, c + is)).
_ROT = {
    "rx": ("%c", "0.0", "0.0", "%ns", "0.0", "%ns", "%c", "0.0"),
    "ry": ("%c", "0.0", "%ns", "0.0", "%s", "0.0", "%c", "0.0"),
    "rz": ("%c", "%ns", "0.0", "0.0", "0.0", "0.0", "%c", "%s"),
}


def fast_rotation(kind: str, adjoint: bool) -> list[str]:
    """Fast path of ``rx``/``ry``/``rz`` ``(double theta, ptr q)``: the matrix is built natively for the
    half angle (negated for ``__adj``); a NaN or infinite angle falls through to Python, which refuses it."""
    half = _hex(-0.5 if adjoint else 0.5)
    lines = list(_FAST_CHECK) + _qubit_lookup(1) + [
        f"  %t = fmul double %a0, {half}",
        "  %abs = call double @llvm.fabs.f64(double %t)",
        "  %fin = fcmp olt double %abs, 0x7FF0000000000000",
        "  br i1 %fin, label %rot, label %slow",
        "rot:",
        "  %c = call double @llvm.cos.f64(double %t)",
        "  %s = call double @llvm.sin.f64(double %t)",
        "  %ns = fneg double %s",
        "  %m = alloca [8 x double]",
    ]
    for i, v in enumerate(_ROT[kind]):
        lines += [f"  %m{i} = getelementptr double, ptr %m, i64 {i}", f"  store double {v}, ptr %m{i}"]
    return lines + [
        "  %ps = alloca [3 x i64]",
        "  store i64 %p1, ptr %ps",
        "  call void @__qmk.kk(ptr %m, i64 1, ptr %ps)",
        "  ret void",
    ]


def shot_function(entry: str, ret: str) -> list[str]:
    """``i64 @__qmk.shot()``: one shot in one native call. It resets the step budget, the call depth, the
    small engine's state (``@__qmk.preset`` static qubits in |0>, their positions from ``@__qmk.qpos0``)
    and the static results, then calls the entry point and returns its exit code (0 for void)."""
    if ret == "void":
        call = [f"  call void @{entry}()", "  ret i64 0"]
    elif ret == "i64":
        call = [f"  %code = call i64 @{entry}()", "  ret i64 %code"]
    else:
        ext = "zext" if ret == "i1" else "sext"
        call = [f"  %code = call {ret} @{entry}()", f"  %code64 = {ext} {ret} %code to i64",
                "  ret i64 %code64"]
    return [
        "@__qmk.maxsteps = global i64 0",
        "@__qmk.preset = global i64 0",
        f"@__qmk.qpos0 = global [{NQPOS} x i8] zeroinitializer",
        "declare void @llvm.memset.p0.i64(ptr, i8, i64, i1)",
        "declare void @llvm.memcpy.p0.p0.i64(ptr, ptr, i64, i1)",
        "define i64 @__qmk.shot() {",
        "  %max = load i64, ptr @__qmk.maxsteps",
        "  store i64 %max, ptr @__qmk.steps",
        "  store i64 0, ptr @__qmk.depth",
        "  %n = load i64, ptr @__qmk.preset",
        "  store i64 %n, ptr @__qmk.nq",
        "  %bytes = shl i64 16, %n",
        "  call void @llvm.memset.p0.i64(ptr @__qmk.sv, i8 0, i64 %bytes, i1 false)",
        "  store double 1.0, ptr @__qmk.sv",
        f"  call void @llvm.memcpy.p0.p0.i64(ptr @__qmk.qpos, ptr @__qmk.qpos0, i64 {NQPOS}, i1 false)",
        "  %res = load ptr, ptr @__qmk.res",
        "  %nres = load i64, ptr @__qmk.nres",
        "  call void @llvm.memset.p0.i64(ptr %res, i8 0, i64 %nres, i1 false)",
    ] + call + ["}"]

"""Native state-vector kernels for the QIR JIT's small engine, in LLVM IR (called by ``qir_fast``).

A repeat-until-success shot is a few gates and measurements on two or three qubits. Going from native
code to Python and back for each of them costs microseconds; the arithmetic costs nanoseconds. So the
state of the small engine (at most ``MAX_QUBITS`` = 6 qubits, 64 amplitudes) lives in a global of the
JIT-compiled module, and the bindings of fixed gates, rotations, ``mz``/``m``/``mresetz`` and ``reset``
first try a *fast path* in IR: look the qubit handle up in ``@__qmk.qpos`` (handle -> bit position, -1
when not live), take a uniform draw from ``@__qmk.draws``, and call a kernel. Anything unusual (the
numpy engine is in use, a qubit not yet allocated, a handle outside the table, the same qubit twice, a
result id outside the native array, no draws left) falls through to the Python binding, which does the
checks and calls the *same* kernels through ctypes, so both paths compute the same thing.

Kernels (amplitude i has bit p = the qubit at position p; ``@__qmk.sv`` holds (re, im) pairs):

* ``kk(m, k, ps)``: apply the 2^k x 2^k row-major complex matrix ``m`` with ``ps[0]`` as its most
  significant qubit. For every base index with the k target bits clear it gathers the 2^k amplitudes at
  ``base | off[r]`` (``off[r]`` places bit k-1-j of r at position ps[j]), multiplies, and scatters:
  exactly ``(I (x) M (x) I) psi`` restricted to each group.
* ``mz(p, u)``: p1 = sum of |a_i|^2 over i with bit p set, p0 the rest; outcome 1 iff u * (p0 + p1) < p1
  (the rule of ``statevector.StateVector``); the other half is zeroed and the kept half scaled by
  1/sqrt(p_b). Returns -1 without touching the state if the norm is not a positive finite number.
* ``reset(p, u)``: ``mz``, then on outcome 1 moves every amplitude from bit p = 1 to bit p = 0 (an X).
"""

from __future__ import annotations

MAX_QUBITS = 6
# The native handle -> position table: static handles 0..NQSTATIC-1 at their own index, dynamic handles
# DYN_BASE..DYN_BASE+NQDYN-1 (qir_runtime hands them out in that order) at NQSTATIC + (h - DYN_BASE).
DYN_BASE = 1 << 32
NQSTATIC = NQDYN = 256
NQPOS = NQSTATIC + NQDYN
NDRAWS = 512

KERNEL_IR = f"""
@__qmk.sv = global [{1 << MAX_QUBITS} x [2 x double]] zeroinitializer
@__qmk.nq = global i64 0
@__qmk.qpos = global [{NQPOS} x i8] zeroinitializer
@__qmk.fast = global i64 0
@__qmk.draws = global [{NDRAWS} x double] zeroinitializer
@__qmk.di = global i64 {NDRAWS}

declare double @llvm.sqrt.f64(double)
declare double @llvm.cos.f64(double)
declare double @llvm.sin.f64(double)
declare double @llvm.fabs.f64(double)

define double @__qmk.draw() {{
entry:
  %i = load i64, ptr @__qmk.di
  %empty = icmp uge i64 %i, {NDRAWS}
  br i1 %empty, label %none, label %take
none:
  ret double -1.0
take:
  %p = getelementptr double, ptr @__qmk.draws, i64 %i
  %u = load double, ptr %p
  %i1 = add i64 %i, 1
  store i64 %i1, ptr @__qmk.di
  ret double %u
}}

define void @__qmk.kk(ptr %m, i64 %k, ptr %ps) {{
entry:
  %off = alloca [8 x i64]
  %v = alloca [8 x [2 x double]]
  %n = load i64, ptr @__qmk.nq
  %dim = shl i64 1, %n
  %K = shl i64 1, %k
  %km1 = sub i64 %k, 1
  br label %offr
offr:
  %r = phi i64 [ 0, %entry ], [ %r.next, %offr.store ]
  %r.done = icmp uge i64 %r, %K
  br i1 %r.done, label %offs.done, label %offj
offj:
  %j = phi i64 [ 0, %offr ], [ %j.next, %offj ]
  %acc = phi i64 [ 0, %offr ], [ %acc.next, %offj ]
  %sh = sub i64 %km1, %j
  %rb = lshr i64 %r, %sh
  %rb1 = and i64 %rb, 1
  %pj.ptr = getelementptr i64, ptr %ps, i64 %j
  %pj = load i64, ptr %pj.ptr
  %bitj = shl i64 %rb1, %pj
  %acc.next = or i64 %acc, %bitj
  %j.next = add i64 %j, 1
  %j.done = icmp uge i64 %j.next, %k
  br i1 %j.done, label %offr.store, label %offj
offr.store:
  %o.ptr = getelementptr i64, ptr %off, i64 %r
  store i64 %acc.next, ptr %o.ptr
  %r.next = add i64 %r, 1
  br label %offr
offs.done:
  %Km1 = sub i64 %K, 1
  %mask.ptr = getelementptr i64, ptr %off, i64 %Km1
  %mask = load i64, ptr %mask.ptr
  br label %base
base:
  %b = phi i64 [ 0, %offs.done ], [ %b.next, %base.next ]
  %b.done = icmp uge i64 %b, %dim
  br i1 %b.done, label %exit, label %base.test
base.test:
  %bm = and i64 %b, %mask
  %bskip = icmp ne i64 %bm, 0
  br i1 %bskip, label %base.next, label %gather
gather:
  %c = phi i64 [ 0, %base.test ], [ %c.next, %gather ]
  %oc.ptr = getelementptr i64, ptr %off, i64 %c
  %oc = load i64, ptr %oc.ptr
  %idx = or i64 %b, %oc
  %src = getelementptr [2 x double], ptr @__qmk.sv, i64 %idx
  %re = load double, ptr %src
  %src.im = getelementptr double, ptr %src, i64 1
  %im = load double, ptr %src.im
  %dst = getelementptr [2 x double], ptr %v, i64 %c
  store double %re, ptr %dst
  %dst.im = getelementptr double, ptr %dst, i64 1
  store double %im, ptr %dst.im
  %c.next = add i64 %c, 1
  %c.done = icmp uge i64 %c.next, %K
  br i1 %c.done, label %row, label %gather
row:
  %rr = phi i64 [ 0, %gather ], [ %rr.next, %row.end ]
  %mrow = mul i64 %rr, %K
  br label %col
col:
  %cc = phi i64 [ 0, %row ], [ %cc.next, %col ]
  %sr = phi double [ 0.0, %row ], [ %sr.next, %col ]
  %si = phi double [ 0.0, %row ], [ %si.next, %col ]
  %mi = add i64 %mrow, %cc
  %mp = getelementptr [2 x double], ptr %m, i64 %mi
  %mr = load double, ptr %mp
  %mp.im = getelementptr double, ptr %mp, i64 1
  %mim = load double, ptr %mp.im
  %vp = getelementptr [2 x double], ptr %v, i64 %cc
  %vr = load double, ptr %vp
  %vp.im = getelementptr double, ptr %vp, i64 1
  %vim = load double, ptr %vp.im
  %t1 = fmul double %mr, %vr
  %t2 = fmul double %mim, %vim
  %t3 = fsub double %t1, %t2
  %sr.next = fadd double %sr, %t3
  %t4 = fmul double %mr, %vim
  %t5 = fmul double %mim, %vr
  %t6 = fadd double %t4, %t5
  %si.next = fadd double %si, %t6
  %cc.next = add i64 %cc, 1
  %cc.done = icmp uge i64 %cc.next, %K
  br i1 %cc.done, label %row.end, label %col
row.end:
  %or.ptr = getelementptr i64, ptr %off, i64 %rr
  %or = load i64, ptr %or.ptr
  %didx = or i64 %b, %or
  %dp = getelementptr [2 x double], ptr @__qmk.sv, i64 %didx
  store double %sr.next, ptr %dp
  %dp.im = getelementptr double, ptr %dp, i64 1
  store double %si.next, ptr %dp.im
  %rr.next = add i64 %rr, 1
  %rr.done = icmp uge i64 %rr.next, %K
  br i1 %rr.done, label %base.next, label %row
base.next:
  %b.next = add i64 %b, 1
  br label %base
exit:
  ret void
}}

define i64 @__qmk.mz(i64 %p, double %u) {{
entry:
  %n = load i64, ptr @__qmk.nq
  %dim = shl i64 1, %n
  %bit = shl i64 1, %p
  br label %sum
sum:
  %i = phi i64 [ 0, %entry ], [ %i.next, %sum.body ]
  %p0 = phi double [ 0.0, %entry ], [ %p0.next, %sum.body ]
  %p1 = phi double [ 0.0, %entry ], [ %p1.next, %sum.body ]
  %done = icmp uge i64 %i, %dim
  br i1 %done, label %choose, label %sum.body
sum.body:
  %a = getelementptr [2 x double], ptr @__qmk.sv, i64 %i
  %re = load double, ptr %a
  %a.im = getelementptr double, ptr %a, i64 1
  %im = load double, ptr %a.im
  %re2 = fmul double %re, %re
  %im2 = fmul double %im, %im
  %w = fadd double %re2, %im2
  %has = and i64 %i, %bit
  %one = icmp ne i64 %has, 0
  %p1.add = fadd double %p1, %w
  %p0.add = fadd double %p0, %w
  %p1.next = select i1 %one, double %p1.add, double %p1
  %p0.next = select i1 %one, double %p0, double %p0.add
  %i.next = add i64 %i, 1
  br label %sum
choose:
  %total = fadd double %p0, %p1
  %pos = fcmp ogt double %total, 0.0
  %fin = fcmp one double %total, 0x7FF0000000000000
  %ok = and i1 %pos, %fin
  br i1 %ok, label %pick, label %bad
bad:
  ret i64 -1
pick:
  %ut = fmul double %u, %total
  %isone = fcmp olt double %ut, %p1
  %b = zext i1 %isone to i64
  %pk = select i1 %isone, double %p1, double %p0
  %sq = call double @llvm.sqrt.f64(double %pk)
  %scale = fdiv double 1.0, %sq
  br label %col
col:
  %j = phi i64 [ 0, %pick ], [ %j.next, %col.body ]
  %cdone = icmp uge i64 %j, %dim
  br i1 %cdone, label %exit, label %col.body
col.body:
  %cp = getelementptr [2 x double], ptr @__qmk.sv, i64 %j
  %cp.im = getelementptr double, ptr %cp, i64 1
  %h2 = and i64 %j, %bit
  %o2 = icmp ne i64 %h2, 0
  %keep = icmp eq i1 %o2, %isone
  %cre = load double, ptr %cp
  %cim = load double, ptr %cp.im
  %nre = fmul double %cre, %scale
  %nim = fmul double %cim, %scale
  %sre = select i1 %keep, double %nre, double 0.0
  %sim = select i1 %keep, double %nim, double 0.0
  store double %sre, ptr %cp
  store double %sim, ptr %cp.im
  %j.next = add i64 %j, 1
  br label %col
exit:
  ret i64 %b
}}

define i64 @__qmk.reset(i64 %p, double %u) {{
entry:
  %b = call i64 @__qmk.mz(i64 %p, double %u)
  %is1 = icmp eq i64 %b, 1
  br i1 %is1, label %move, label %exit
move:
  %n = load i64, ptr @__qmk.nq
  %dim = shl i64 1, %n
  %bit = shl i64 1, %p
  br label %loop
loop:
  %i = phi i64 [ 0, %move ], [ %i.next, %loop.next ]
  %done = icmp uge i64 %i, %dim
  br i1 %done, label %exit, label %body
body:
  %h = and i64 %i, %bit
  %set = icmp ne i64 %h, 0
  br i1 %set, label %mv, label %loop.next
mv:
  %lo = xor i64 %i, %bit
  %src = getelementptr [2 x double], ptr @__qmk.sv, i64 %i
  %src.im = getelementptr double, ptr %src, i64 1
  %dst = getelementptr [2 x double], ptr @__qmk.sv, i64 %lo
  %dst.im = getelementptr double, ptr %dst, i64 1
  %re = load double, ptr %src
  %im = load double, ptr %src.im
  store double %re, ptr %dst
  store double %im, ptr %dst.im
  store double 0.0, ptr %src
  store double 0.0, ptr %src.im
  br label %loop.next
loop.next:
  %i.next = add i64 %i, 1
  br label %loop
exit:
  ret i64 %b
}}
"""

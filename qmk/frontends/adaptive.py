"""Adaptive QIR: LLVM flattens classical control, then the remaining branches become guards.

``flatten`` runs LLVM's own O3 pipeline through llvmlite with generous inlining and full-unrolling
thresholds: internal functions are inlined, bounded loops unrolled, constants folded, memory promoted to
registers. LLVM keeps every call to a ``__quantum__`` function (external declarations have unknown side
effects), so the quantum program is unchanged and only classical work disappears.

``walk`` visits the entry point's blocks in reverse post-order. Each block gets a path condition, the
OR over its incoming edges of (predecessor condition AND branch condition), kept as a simplified DNF
over measured events (``conds.py``); its calls are fed to the builder under that condition as a guard.
Because a DAG's reverse post-order puts every producer before its readers, guards only read earlier
events. Classical values that depend on measurements (``phi``, ``select``, ``icmp``, integer arithmetic)
are tracked case by case; they may steer branches, but a gate angle, qubit or integer output computed
from them is refused (``NotStatic``), as is any loop LLVM could not unroll.
"""

from __future__ import annotations

import threading

from .builder import Label, Opaque, Ptr, QvmBuilder
from .conds import FALSE, TRUE, apply1, as_multi, c_and, c_or, combine, merge, to_guard
from .errors import NotStaticError, fail

_init_lock = threading.Lock()
_initialized = False
UNROLL_THRESHOLD = 200_000


def _init_llvm() -> None:
    global _initialized
    import llvmlite.binding as llvm

    with _init_lock:
        if not _initialized:
            llvm.initialize_native_target()
            llvm.initialize_native_asmprinter()
            # Full unrolling of bounded loops up to a large size; these are LLVM's own cl::opt knobs.
            llvm.set_option("qmk", f"-unroll-threshold={UNROLL_THRESHOLD}")
            llvm.set_option("qmk", f"-unroll-full-max-count={UNROLL_THRESHOLD}")
            llvm.set_option("qmk", "-unroll-max-iteration-count-to-analyze=100000")
            _initialized = True


def flatten(lmod) -> None:
    """Inline, unroll and fold ``lmod`` in place with LLVM's O3 pipeline."""
    import llvmlite.binding as llvm

    _init_llvm()
    tm = llvm.Target.from_default_triple().create_target_machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=3)
    pto.loop_unrolling = True
    pto.inlining_threshold = 100_000
    pb = llvm.create_pass_builder(tm, pto)
    pb.getModulePassManager().run(lmod, pb)


# ----------------------------------------------------------------------------------------- walk


def walk(ep, b: QvmBuilder) -> None:
    """Feed the entry point's calls to the builder, with guards for measurement-dependent blocks."""
    blocks = list(ep.basic_blocks)
    env: dict = {}
    if len(blocks) == 1:
        _block(blocks[0], env, b, {}, blocks[0])
        return
    import pyqir

    order = _rpo(blocks[0], env)
    conds = {blocks[0]: TRUE}
    edges: dict = {}
    for blk in order:
        cond = conds.get(blk, FALSE)
        if cond == FALSE:
            continue
        b.guard = to_guard(cond)
        term = _block(blk, env, b, edges, blk, cond)
        for succ, econd in _successors(term, env, pyqir):
            ec = c_and(cond, econd)
            edges[(blk, succ)] = c_or(edges.get((blk, succ), FALSE), ec)
            conds[succ] = c_or(conds.get(succ, FALSE), ec)
    b.guard = None


def _rpo(entry, env) -> list:
    """Reverse post-order of the blocks reachable from entry; a cycle is refused, naming its block."""
    order: list = []
    state: dict = {}
    preds: dict = {}
    stack = [(entry, iter(_succ(entry)))]
    state[entry] = 1
    while stack:
        blk, it = stack[-1]
        nxt = next(it, None)
        if nxt is None:
            stack.pop()
            state[blk] = 2
            order.append(blk)
        else:
            preds.setdefault(nxt, []).append(blk)
        if nxt is None:
            continue
        if nxt not in state:
            state[nxt] = 1
            stack.append((nxt, iter(_succ(nxt))))
        elif state[nxt] == 1:
            _loop_error(nxt, blk, preds)
    order.reverse()
    return order


def _loop_error(header, latch, preds) -> None:
    name = _bname(header)
    inside = {header}
    work = [latch]
    while work:  # the loop body: blocks that reach the latch backwards without passing the header
        blk = work.pop()
        if blk in inside:
            continue
        inside.add(blk)
        work.extend(preds.get(blk, []))
    exits = any(s not in inside for blk in inside for s in _succ(blk))
    if not exits:
        raise fail(
            "QMK721",
            f"infinite loop: block {name} branches back to itself with no way out",
            notes=["qmk-lower refuses it instead of hanging; fix the loop's exit condition"],
        )
    raise NotStaticError.make(
        f"loop at block {name} remains after LLVM's unrolling: its exit depends on a measurement, or its "
        "trip count is unknown or too large to unroll"
    )


def _succ(blk) -> list:
    t = blk.terminator
    return list(t.successors) if t is not None else []


def _bname(blk) -> str:
    return f"'%{blk.name}'" if blk.name else "(unnamed)"


def _successors(term, env, pyqir) -> list:
    if term is None:
        return []
    op = term.opcode
    if op == pyqir.Opcode.BR:
        ops = term.operands
        if len(ops) == 1:
            return [(ops[0], TRUE)]
        m = as_multi(_value(ops[0], env))  # operands are [cond, false_dest, true_dest]
        if m is None:
            raise NotStaticError.make("a branch depends on a value known only at run time")
        return [(ops[2], m.get(1, FALSE)), (ops[1], m.get(0, FALSE))]
    if op == pyqir.Opcode.SWITCH:
        m = as_multi(_value(term.cond, env))
        if m is None:
            raise NotStaticError.make("a switch depends on a value known only at run time")
        out, used = [], FALSE
        for case, dest in term.cases:
            k = _signed(case)
            c = m.get(k, FALSE)
            used = c_or(used, c)
            out.append((dest, c))
        rest = FALSE
        for k, c in m.items():
            if all(_signed(cv) != k for cv, _d in term.cases):
                rest = c_or(rest, c)
        out.append((term.default, rest))
        return out
    return []


def _signed(c) -> int:
    v, w = c.value, c.type.width
    return v - (1 << w) if w > 1 and v >= 1 << (w - 1) else v


def _value(v, env):
    """A pyqir operand as the builder sees it (Ptr, float, int, Label, Bit, Multi, Opaque, ...)."""
    import pyqir

    t = type(v)
    if t is pyqir.Constant:
        k = pyqir.ptr_id(v)
        if k is not None:
            return Ptr(k - (1 << 64) if k >= 1 << 63 else k)
    if t is pyqir.FloatConstant:
        return v.value
    if v in env:
        return env[v]
    if isinstance(v, pyqir.FloatConstant):
        return v.value
    if isinstance(v, pyqir.IntConstant):
        return _signed(v) if v.type.width > 1 else v.value
    if isinstance(v, pyqir.GlobalVariable):
        data = pyqir.extract_byte_string(v)
        if data is None:
            return Opaque(f"global '@{v.name}'")
        return Label(data[:-1] if data.endswith(b"\x00") else data)
    if isinstance(v, pyqir.Constant):
        k = pyqir.ptr_id(v)
        if k is not None:
            return Ptr(_sext64(k))
    return Opaque(f"the value {_vname(v)}")


def _sext64(k: int) -> int:
    return k - (1 << 64) if k >= 1 << 63 else k


def _vname(v) -> str:
    return f"'%{v.name}'" if getattr(v, "name", "") else "(unnamed)"


_CONSTS, _CALLEES = object(), object()  # keys of the caches kept inside env


def _block(blk, env, b: QvmBuilder, edges, me, cond=TRUE):
    """Feed one block's instructions; returns its terminator."""
    import pyqir

    Op, Call, Constant = pyqir.Opcode, pyqir.Call, pyqir.Constant
    term = None
    consts = env.setdefault(_CONSTS, {})  # constant operand -> its value (constants repeat a lot)
    callees = env.setdefault(_CALLEES, set())  # callees known to be declarations
    call = b.call
    for ins in blk.instructions:
        if type(ins) is Call:
            callee = ins.callee
            name = callee.name if callee is not None else ""
            if name.startswith("llvm."):
                continue
            if name not in callees:
                if isinstance(callee, pyqir.Function) and len(callee.basic_blocks):
                    raise NotStaticError.make(f"call to '{name}' could not be inlined (recursive?)")
                callees.add(name)
            args = []
            for a in ins.args:
                if type(a) is Constant:
                    v = consts.get(a)
                    if v is None:
                        v = consts[a] = _value(a, env)
                    args.append(v)
                else:
                    args.append(_value(a, env))
            v = call(name, args)
            if v is not None:
                env[ins] = v
            continue
        op = ins.opcode
        if op == Op.BR or op == Op.SWITCH:
            term = ins
        elif op == Op.RET or op == Op.UNREACHABLE:
            term = None
        elif op == Op.STORE:
            ops = ins.operands  # [value, pointer]
            b.store(_value(ops[1], env), _value(ops[0], env))
        elif op == Op.BIT_CAST:
            env[ins] = _value(ins.operands[0], env)
        elif op == Op.PHI:
            cases = [(edges.get((p, me), FALSE), _value(v, env)) for v, p in ins.incoming]
            cases = [(c, v) for c, v in cases if c != FALSE]
            env[ins] = _phi(cases, cond, ins)
        else:
            env[ins] = _classical(ins, op, env, Op)
    return term


def _phi(cases, cond, ins):
    vals = {repr(v) for _c, v in cases}
    if len(vals) == 1:
        return cases[0][1]
    m = merge(cases)
    return m if m is not None else Opaque(f"the phi value {_vname(ins)}")


def _classical(ins, op, env, Op):
    """Integer instructions over constants and measured values; anything else is run-time only."""
    ops = [_value(o, env) for o in ins.operands]
    width = getattr(ins.type, "width", None)
    if op == Op.INT_TO_PTR:
        v = ops[0]
        return (
            Ptr(v) if isinstance(v, int) and not isinstance(v, bool) else Opaque(f"the pointer {_vname(ins)}")
        )
    if op == Op.SELECT:
        c = as_multi(ops[0])
        if c is None:
            return Opaque(f"the select {_vname(ins)}")
        if isinstance(ops[1], Ptr) and ops[1] == ops[2]:
            return ops[1]
        m = merge([(c.get(1, FALSE), ops[1]), (c.get(0, FALSE), ops[2])])
        return m if m is not None else Opaque(f"the select {_vname(ins)}")
    if width is None or any(as_multi(o) is None for o in ops):
        return Opaque(f"the value {_vname(ins)}")
    mask = (1 << width) - 1
    if op == Op.ICMP:
        src = getattr(ins.operands[0].type, "width", None)
        if src is None:
            return Opaque(f"the comparison {_vname(ins)}")
        return combine(ops[0], ops[1], _icmp(ins.predicate, src))
    if op in (Op.ZEXT, Op.TRUNC):
        src = ins.operands[0].type.width
        return apply1(ops[0], lambda a: (a & ((1 << src) - 1)) & mask)
    if op == Op.SEXT:
        return apply1(ops[0], lambda a: _wrap(a, width))
    binops = {
        Op.ADD: lambda a, c: a + c,
        Op.SUB: lambda a, c: a - c,
        Op.MUL: lambda a, c: a * c,
        Op.AND: lambda a, c: a & c,
        Op.OR: lambda a, c: a | c,
        Op.XOR: lambda a, c: a ^ c,
        Op.SHL: lambda a, c: a << (c & 63),
    }
    for k, f in binops.items():
        if op == k:
            if width == 1:
                return combine(ops[0], ops[1], lambda a, c, f=f: f(a, c) & 1)
            return combine(ops[0], ops[1], lambda a, c, f=f: _wrap(f(a, c) & mask, width))
    return Opaque(f"the value {_vname(ins)}")


def _wrap(v: int, width: int) -> int:
    v &= (1 << width) - 1
    return v - (1 << width) if width > 1 and v >= 1 << (width - 1) else v


def _icmp(pred, width):
    import pyqir

    P = pyqir.IntPredicate
    mask = (1 << width) - 1
    u = lambda x: x & mask  # noqa: E731
    s = lambda x: _wrap(x, width)  # noqa: E731
    table = [
        (P.EQ, lambda a, c: a == c),
        (P.NE, lambda a, c: a != c),
        (P.ULT, lambda a, c: u(a) < u(c)),
        (P.ULE, lambda a, c: u(a) <= u(c)),
        (P.UGT, lambda a, c: u(a) > u(c)),
        (P.UGE, lambda a, c: u(a) >= u(c)),
        (P.SLT, lambda a, c: s(a) < s(c)),
        (P.SLE, lambda a, c: s(a) <= s(c)),
        (P.SGT, lambda a, c: s(a) > s(c)),
        (P.SGE, lambda a, c: s(a) >= s(c)),
    ]
    for p, f in table:
        if pred == p:
            return lambda a, c: int(f(a, c))
    raise fail("QMK713", "unsupported integer comparison")

"""The fast path for big base-profile QIR: one entry block of calls with constant operands, walked by LLVM.

Why it exists: reading 300,000 calls one Python object at a time (pyqir or llvmlite) costs several times
LLVM's own parse. Here a small function written in LLVM IR and compiled once per process by llvmlite's JIT
(about 10 ms) walks the block through libllvmlite's own C entry points (``LLVMPY_BlockInstructionsIter``
and friends, passed in as function pointers) and fills two arrays: each instruction's first operand index
and every operand's ``Value*``. Python then looks at each *distinct* operand once (the same qubit and
result constants recur all through a program), decodes it from LLVM's printed form with the operand
grammar of ``operands.py``, and lowers each distinct call (callee and operands) once through the shared
``QvmBuilder``. A call whose lowering is a pure gate (the builder's fast lowerings: same nodes for the same
operands, no state) is afterwards replayed as those nodes with fresh ids; every other call (measurements,
output recording, runtime calls) goes through the builder each time, in program order.

``scan`` gives up (returns None) on anything else: more than one block, an instruction
other than calls and the final ``ret``, an indirect call or a call to a defined function, an operand that is
not a constant it can read. The pyqir walk then runs, so this is an optimization and never a second
semantics; tests/frontends/test_llvm_walk.py checks that both paths give the same QVM.
"""

from __future__ import annotations

import ctypes
from functools import cache

from ..ir import Node
from ..qvmjson import gc_paused
from .builder import QvmBuilder
from .operands import GiveUp, global_label, parse_operands

# The walker: walk(block, fns, ops, ops_cap, starts, n_cap, info) -> instruction count.
# starts[i] = index in ops of instruction i's first operand, starts[n] = total (when n < n_cap);
# ops[k] = Value* (written while k < ops_cap); info = [non-call count, last non-call Value*,
# index of the first non-call, total operands]. Sizes beyond the caps are still counted, so a caller
# whose buffers were too small learns the sizes it needs. fns holds the LLVMPY_* entry points in _FNS order.
_IR = r"""
@CALL = private constant [5 x i8] c"call\00"

define i64 @walk(i64 %block, ptr %fns, ptr %ops, i64 %ops_cap, ptr %starts, i64 %n_cap, ptr %info) {
entry:
  %p_iter = load ptr, ptr %fns
  %a1 = getelementptr ptr, ptr %fns, i64 1
  %p_next = load ptr, ptr %a1
  %a2 = getelementptr ptr, ptr %fns, i64 2
  %p_idisp = load ptr, ptr %a2
  %a3 = getelementptr ptr, ptr %fns, i64 3
  %p_oiter = load ptr, ptr %a3
  %a4 = getelementptr ptr, ptr %fns, i64 4
  %p_onext = load ptr, ptr %a4
  %a5 = getelementptr ptr, ptr %fns, i64 5
  %p_odisp = load ptr, ptr %a5
  %a6 = getelementptr ptr, ptr %fns, i64 6
  %p_opname = load ptr, ptr %a6
  %a7 = getelementptr ptr, ptr %fns, i64 7
  %p_dstr = load ptr, ptr %a7
  %it = call i64 %p_iter(i64 %block)
  br label %loop

loop:
  %n = phi i64 [ 0, %entry ], [ %n1, %next_ins ]
  %k = phi i64 [ 0, %entry ], [ %kk, %next_ins ]
  %ins = call i64 %p_next(i64 %it)
  %end = icmp eq i64 %ins, 0
  br i1 %end, label %exit, label %body

body:
  %room = icmp ult i64 %n, %n_cap
  br i1 %room, label %store_start, label %name

store_start:
  %sp = getelementptr i64, ptr %starts, i64 %n
  store i64 %k, ptr %sp
  br label %name

name:
  %str = call ptr %p_opname(i64 %ins)
  br label %cmp

cmp:                                      ; the opcode name against "call\0", byte by byte
  %j = phi i64 [ 0, %name ], [ %j1, %cmp_next ]
  %cp = getelementptr i8, ptr %str, i64 %j
  %c = load i8, ptr %cp
  %wp = getelementptr [5 x i8], ptr @CALL, i64 0, i64 %j
  %w = load i8, ptr %wp
  %same = icmp eq i8 %c, %w
  br i1 %same, label %cmp_next, label %not_call

cmp_next:
  %j1 = add i64 %j, 1
  %more = icmp ult i64 %j1, 5
  br i1 %more, label %cmp, label %operands

not_call:
  %c0 = load i64, ptr %info
  %c01 = add i64 %c0, 1
  store i64 %c01, ptr %info
  %i1p = getelementptr i64, ptr %info, i64 1
  store i64 %ins, ptr %i1p
  %first = icmp eq i64 %c0, 0
  br i1 %first, label %store_first, label %operands

store_first:
  %i2p = getelementptr i64, ptr %info, i64 2
  store i64 %n, ptr %i2p
  br label %operands

operands:
  call void %p_dstr(ptr %str)
  %oi = call i64 %p_oiter(i64 %ins)
  br label %ops_loop

ops_loop:
  %kk = phi i64 [ %k, %operands ], [ %kk1, %ops_next ]
  %o = call i64 %p_onext(i64 %oi)
  %oend = icmp eq i64 %o, 0
  br i1 %oend, label %next_ins, label %ops_store

ops_store:
  %oroom = icmp ult i64 %kk, %ops_cap
  br i1 %oroom, label %ops_write, label %ops_next

ops_write:
  %op = getelementptr i64, ptr %ops, i64 %kk
  store i64 %o, ptr %op
  br label %ops_next

ops_next:
  %kk1 = add i64 %kk, 1
  br label %ops_loop

next_ins:
  call void %p_odisp(i64 %oi)
  %n1 = add i64 %n, 1
  br label %loop

exit:
  call void %p_idisp(i64 %it)
  %room_end = icmp ult i64 %n, %n_cap
  br i1 %room_end, label %store_end, label %done

store_end:
  %ep = getelementptr i64, ptr %starts, i64 %n
  store i64 %k, ptr %ep
  br label %done

done:
  %i3p = getelementptr i64, ptr %info, i64 3
  store i64 %k, ptr %i3p
  ret i64 %n
}
"""
_FNS = ("BlockInstructionsIter", "InstructionsIterNext", "DisposeInstructionsIter", "InstructionOperandsIter",
        "OperandsIterNext", "DisposeOperandsIter", "GetOpcodeName", "DisposeString")


@cache
def _walker():
    """The compiled walker (a ctypes function) and the entry-point table it is given."""
    import llvmlite.binding as llvm
    import numpy as np
    from llvmlite.binding import ffi

    from .adaptive import _init_llvm

    _init_llvm()
    mod = llvm.parse_assembly(_IR)
    mod.verify()
    engine = llvm.create_mcjit_compiler(mod, llvm.Target.from_default_triple().create_target_machine(opt=1))
    engine.finalize_object()
    p = ctypes.c_void_p
    fn = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_uint64, p, p, ctypes.c_int64, p, ctypes.c_int64, p)(
        engine.get_function_address("walk")
    )
    lib = ffi.lib._lib_handle
    table = np.array([ctypes.cast(getattr(lib, "LLVMPY_" + f), p).value for f in _FNS], dtype=np.uint64)
    return fn, table, engine  # the engine owns the code: keep it alive with the function


def _operands(block):
    """(n, starts, ops, info) for a block (see _IR); buffers are grown once if the first guess was short."""
    import numpy as np

    fn, table, _engine = _walker()
    addr = ctypes.cast(block._ptr, ctypes.c_void_p).value
    n_cap, ops_cap = 1 << 20, 1 << 22  # np.empty: pages never written cost nothing
    while True:
        starts = np.empty(n_cap, dtype=np.int64)
        ops = np.empty(ops_cap, dtype=np.uint64)
        info = np.zeros(4, dtype=np.int64)
        n = fn(addr, table.ctypes.data, ops.ctypes.data, ops_cap, starts.ctypes.data, n_cap, info.ctypes.data)
        if n < n_cap and info[3] <= ops_cap:
            return n, starts[: n + 1], ops[: info[3]], info
        n_cap, ops_cap = n + 1, int(info[3]) + 1


def scan(lmod, fn):
    """``(calls, order)`` for ``fn``'s single block, or None when it is not of the simple form: ``calls`` are
    the distinct calls as ``(callee or None for an llvm.* intrinsic, operand values)`` and ``order`` (an
    int64 array) the index into ``calls`` of every call in program order. Plain data, so it can be
    computed in another process."""
    import numpy as np

    blocks = list(fn.blocks)
    if len(blocks) != 1:
        return None
    n, starts, ops, info = _operands(blocks[0])
    # exactly one instruction is not a call: the last, a ret (whose operand, if any, is not read)
    if n == 0 or info[0] != 1 or info[2] != n - 1:
        return None
    if _value(lmod, int(info[1]), "instruction").opcode != "ret":
        return None
    n_calls = n - 1
    ops = ops[: starts[n_calls]]
    distinct, inverse = np.unique(ops, return_inverse=True)
    try:
        values = [_decode(lmod, int(p)) for p in distinct]
    except GiveUp:
        return None
    counts = np.diff(starts[: n_calls + 1])
    if n_calls == 0:
        return [], np.zeros(0, dtype=np.int64)
    if counts.min() < 1:
        return None
    # equal calls (same callee, same operands) get the same template id: the columns of a padded matrix of
    # distinct-operand ids are folded in one at a time, renumbering densely after each (no overflow)
    width = int(counts.max())
    rows = np.full((n_calls, width), -1, dtype=np.int64)
    row_of = np.repeat(np.arange(n_calls), counts)
    rows[row_of, np.arange(len(ops)) - np.repeat(starts[:n_calls], counts)] = inverse
    base = len(distinct) + 1
    tids = np.zeros(n_calls, dtype=np.int64)
    seen, j = 1, 0  # seen: how many ids tids holds
    while j < width:  # as many columns per round as keep the mixed-radix key below 2^62
        key, bound = tids, seen
        while j < width and (bound == seen or bound * base < 1 << 62):
            key = key * base + rows[:, j] + 1
            bound *= base
            j += 1
        _, first, tids = np.unique(key, return_index=True, return_inverse=True)
        tids = tids.reshape(-1)
        seen = len(first)
    calls = rows[first]  # one row per distinct call, at its first occurrence
    decoded = []
    for row in calls:
        row = [int(v) for v in row if v >= 0]
        callee = values[row[-1]]
        if not isinstance(callee, _Callee) or any(isinstance(values[v], _Callee) for v in row[:-1]):
            return None
        if not callee.declared:
            return None  # a call to a function the module defines: LLVM must inline it first
        if callee.params != len(row) - 1:
            return None  # varargs, or operands that are not arguments (operand bundles)
        decoded.append((None if callee.name.startswith("llvm.") else callee.name, tuple(values[v] for v in row[:-1])))
    return decoded, tids


def _value(lmod, ptr: int, kind: str):
    """An llvmlite view of a ``Value*`` of ``lmod`` found by the walker."""
    import llvmlite.binding as llvm
    from llvmlite.binding import ffi

    return llvm.ValueRef(ctypes.cast(ptr, ffi.LLVMValueRef), kind, {"module": lmod})


class _Callee:
    """A called function: its name, whether it is only declared, and its parameter count (None when it
    takes varargs)."""

    __slots__ = ("declared", "name", "params")

    def __init__(self, fn) -> None:
        t = fn.global_value_type
        self.name, self.declared = fn.name, fn.is_declaration
        self.params = None if t.is_function_vararg else len(list(t.elements)) - 1


def _decode(lmod, ptr: int):
    """One distinct operand as the builder sees it (Ptr, float, int, Label) or a _Callee; GiveUp otherwise."""
    import llvmlite.binding as llvm

    v = _value(lmod, ptr, "operand")
    kind = v.value_kind
    if kind == llvm.ValueKind.function:
        return _Callee(_value(lmod, ptr, "function"))
    if kind == llvm.ValueKind.global_variable:
        return global_label(str(v))
    if kind in (llvm.ValueKind.constant_expr, llvm.ValueKind.constant_int, llvm.ValueKind.constant_fp,
                llvm.ValueKind.constant_pointer_null):
        out = parse_operands(str(v), lambda name: _named_label(lmod, name))
        if len(out) == 1:
            return out[0]
    raise GiveUp


def _named_label(lmod, name: str):
    try:
        g = lmod.get_global_variable(name)
    except NameError:
        raise GiveUp from None
    return global_label(str(g))


def replay(b: QvmBuilder, decoded: list, order) -> None:
    """Lower the calls of a ``scan`` in order: a call seen before whose lowering was pure is appended as its
    nodes.

    Replayed nodes go into the builder's list as field tuples without an id (the builder only counts
    that list while calls are lowered) and become nodes, numbered by position as the builder numbers
    them, in one pass at the end."""
    with gc_paused():
        _replay(b, decoded, order.tolist())


def _replay(b: QvmBuilder, decoded: list, tids: list[int]) -> None:
    nodes = b._nodes
    extend = nodes.extend
    pure: list = [None] * len(decoded)  # None: not lowered yet; (): through the builder every time
    call = b.call
    for t in tids:
        fields = pure[t]
        if fields:
            extend(fields)
            continue
        name, args = decoded[t]
        if name is None:
            continue
        before = len(nodes)
        call(name, args)
        if fields is None:
            pure[t] = tuple(x[1:] for x in nodes[before:]) if b._fast.get(name) and b.guard is None else ()
    new = tuple.__new__
    nodes[:] = [x if type(x) is Node else new(Node, (f"n{i}", *x)) for i, x in enumerate(nodes, 1)]

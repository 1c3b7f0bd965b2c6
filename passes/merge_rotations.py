"""``merge-rotations``: merge Z-axis phases (and X-axis rotations) along a wire through commuting gates.

Why it is sound: every one-qubit gate that is diagonal (``RZ S SDG T TDG Z I``, by the op table's
matrix) equals ``e^{ig} diag(1, e^{i phi})``; these commute with each other and with every gate that is
block diagonal in the Z basis on that qubit (CNOT and CCX controls, CZ, CCZ, other diagonal gates:
``gatefacts.roles``). A later phase on a wire is therefore moved back to the first phase of its run,
past only such gates, and the angles add. Likewise for one-qubit gates that commute with X
(``X SX RX``) through gates that are X-diagonal on the wire (CNOT and CCX targets). Only gates with
equal guards merge, and only plain gates are passed (``walk``). The merged phase is re-emitted as the
shortest exact gate (Clifford+T when it is a multiple of pi/4) or one ``RZ``/``RX``; a merged angle
that is the identity mod 2*pi (within ``gatefacts.ANGLE_TOL``) leaves no gate. Global phases of
unguarded gates go to ``metadata["global_phase"]``.
"""

from __future__ import annotations

from qmk.ir import node_from_fields
from qmk.qvmjson import gc_paused

from .gatefacts import (
    Facts,
    IdMaker,
    add_global_phase,
    already_emitted,
    count_removed,
    facts,
    is_zero_angle,
    phase_gates,
    xphase_gates,
)
from .packed import use_kernels
from .registry import register
from .walk import splice

NAME = "merge-rotations"


class _Run:
    __slots__ = ("axis", "count", "g", "head", "occ", "phi")

    def __init__(self, head: int, phi: float, g: float, axis: str) -> None:
        self.head, self.phi, self.g, self.count, self.axis = head, phi, g, 1, axis
        self.occ = [head]


def _ends(roles, n: int) -> tuple[tuple[bool, bool], ...]:
    """Per qubit position: whether the gate ends a Z run there, and whether it ends an X run.

    A gate lets a phase pass on a qubit only when it is block diagonal in that basis there (``roles``).
    """
    return tuple(("Z" not in r, "X" not in r) for r in (roles or ((),) * n))


@register(NAME, "transform")
@gc_paused()  # acyclic node lists: reference counting frees them (see qmk.qvmjson)
def merge_rotations(program, ctx):
    """Merge Z-axis phases and X-axis rotations along each wire; drop rotations equal to the identity.

    A run of one gate is kept as the tuple ``(head, phi, g, axis, slot)`` (``slot`` its place in
    ``runs``) and becomes a ``_Run`` only when a second gate joins it, so ``runs`` stays in order of
    the runs' first gates either way.
    """
    if use_kernels(len(program.nodes)):
        fast = _kernel_path(program, ctx)
        if fast is not None:
            return fast
    out: list = []
    runs: list = []
    zrun: dict[str, object] = {}
    xrun: dict[str, object] = {}
    by_op: dict = {}  # op -> Facts, for argument-free nodes (facts depend on (op, args) only)
    kills: dict = {}  # op -> _ends(roles): roles depend on the op only
    for node in program.nodes:
        op = node.op
        f = None if node.args else by_op.get(op)
        if f is None:
            f = facts(node)
            if not node.args:
                by_op[op] = f
        if not f.plain:
            if not node.vqs:
                zrun.clear()
                xrun.clear()
            for q in node.vqs:
                zrun.pop(q, None)
                xrun.pop(q, None)
        else:
            z, x = f.z, f.x
            if z is not None or x is not None:
                q = node.vqs[0]
                own, other, axis = (zrun, xrun, "Z") if z is not None else (xrun, zrun, "X")
                phi, g = z if z is not None else x
                other.pop(q, None)
                run = own.get(q)
                if run is not None and out[run[0] if type(run) is tuple else run.head].guard == node.guard:
                    if type(run) is tuple:
                        slot = run[4]
                        run = runs[slot] = own[q] = _Run(run[0], run[1], run[2], run[3])
                    run.phi += phi
                    run.g += g
                    run.count += 1
                    run.occ.append(len(out))
                    out.append(None)
                    continue
                run = (len(out), phi, g, axis, len(runs))
                runs.append(run)
                own[q] = run
            else:
                ends = kills.get(op)
                if ends is None:
                    ends = kills[op] = _ends(f.roles, len(node.vqs))
                for q, (endz, endx) in zip(node.vqs, ends):
                    if endz:
                        zrun.pop(q, None)
                    if endx:
                        xrun.pop(q, None)
        out.append(node)
    return _emit(program, ctx, out, runs)


def _emit(program, ctx, out, runs):
    slots, phase = _plan(program, out, runs)
    if not slots and len(out) == len(program.nodes) and None not in out:
        return program
    nodes = splice(out, slots)
    count_removed(ctx, NAME, program.nodes, nodes)
    return add_global_phase(program, phase, nodes)


def _plan(program, out, runs) -> tuple[dict[int, list], float]:
    """The replacement nodes per run head and the global phase they add; puts back in ``out`` the
    gates of runs that are already in their shortest form."""
    ids = IdMaker(program.nodes)
    phase = 0.0
    slots: dict[int, list] = {}
    zero: dict[float, bool] = {}
    realized: dict = {}  # (axis, angle) -> phase_gates or xphase_gates of it (a function of the angle)
    for run in runs:
        if type(run) is tuple:
            z = zero.get(run[1])
            if z is None:
                z = zero[run[1]] = is_zero_angle(run[1])
            if not z:
                continue
            run = _Run(run[0], run[1], run[2], run[3])
        head = out[run.head]
        if run.count == 1 and not is_zero_angle(run.phi):
            continue
        found = realized.get((run.axis, run.phi))
        if found is None:
            found = realized[run.axis, run.phi] = (phase_gates if run.axis == "Z" else xphase_gates)(run.phi)
        gates, gp = found
        if len(run.occ) == len(gates) and already_emitted(program.nodes, run.occ, gates):
            for k in run.occ[1:]:
                out[k] = program.nodes[k]
            continue
        if head.guard is None:
            phase += run.g + gp
        rest = head[4:]  # the head's other fields, shared by every new node (node_from_fields: no checks)
        new = []
        for i, (op, args) in enumerate(gates):
            nid = head.id if i == 0 else ids.fresh(head.id)
            new.append(node_from_fields((nid, op, head.vqs, args) + rest))
        slots[run.head] = new
    return slots, phase


def _kernel_path(program, ctx):
    """The same sweep compiled (``kernels_local_runs.merge_scan``), then ``_plan`` on the runs that can change:
    those of two or more gates and single gates equal to the identity (``_emit`` skips all others)."""
    import numpy as np

    try:
        from . import kernels_local as kl
        from .kernels_local_runs import merge_scan
    except ImportError:  # numba is not installed
        return None
    from . import packed

    nodes = program.nodes
    pk = kl.packed_input(nodes)
    if pk is None:
        return None
    axis = packed.kind_table("merge-axis", lambda op, a: _axis(Facts(op, a)), np.int8)
    phi = packed.kind_table("merge-phi", lambda op, a: _angles(Facts(op, a))[0], np.float64)
    gph = packed.kind_table("merge-g", lambda op, a: _angles(Facts(op, a))[1], np.float64)
    zero = packed.kind_table("merge-zero", lambda op, a: is_zero_angle(_angles(Facts(op, a))[0]), np.bool_)
    ends = packed.kind_table("merge-ends", _ends_row, np.int8, 3)
    wptr, wq = packed.wide_qubits()
    member, head, rphi, rg, count, _ = merge_scan(pk.kind, pk.gate, pk.nq, pk.q, pk.vrow, pk.guard, wptr, wq,
                                                     axis, phi, gph, ends, len(packed.QUBITS))
    hk = pk.kind[head]
    live = np.flatnonzero((count >= 2) | zero[hk])
    if not len(live):
        return program
    merged = np.flatnonzero(member >= 0)
    order = merged[np.argsort(member[merged], kind="stable")]  # grouped by run, in node order
    first = np.searchsorted(member[order], live).tolist()  # where each live run's later gates start
    order = order.tolist()
    runs = []
    for r, f, h, c, p, g, a in zip(live.tolist(), first, head[live].tolist(), count[live].tolist(),
                                   rphi[live].tolist(), rg[live].tolist(), axis[hk[live]].tolist()):
        run = _Run(h, p, g, "Z" if a == 1 else "X")
        run.count = c
        run.occ = [h] + order[f:f + c - 1]
        runs.append(run)
    out = _Restores(nodes)
    slots, phase = _plan(program, out, runs)
    drop = np.setdiff1d(merged, np.array(out.back, dtype=np.int64), assume_unique=True)
    if not slots and not len(drop):
        return program
    result, src = kl.assemble(nodes, slots, drop)
    kl.count_removed(ctx, NAME, pk, packed.remember(result, src, pk))
    return add_global_phase(program, phase, result)


class _Restores:
    """What ``_plan`` sees as ``out`` on the kernel path: the input nodes (a merged gate is read only
    through its run) and a record of the gates ``_plan`` puts back (runs already in shortest form)."""

    def __init__(self, nodes: list) -> None:
        self.nodes, self.back = nodes, []

    def __getitem__(self, i: int):
        return self.nodes[i]

    def __setitem__(self, i: int, node) -> None:
        self.back.append(i)


def _axis(f) -> int:
    return 1 if f.z is not None else 2 if f.x is not None else 0


def _angles(f) -> tuple[float, float]:
    return f.z or f.x or (0.0, 0.0)


def _ends_row(op: str, akey: tuple) -> tuple[int, int, int]:
    """``_ends`` of a gate as bits per position (1: ends a Z run, 2: ends an X run), padded to three."""
    f = Facts(op, akey)
    bits = [int(z) | 2 * int(x) for z, x in _ends(f.roles, len(f.roles))]
    return tuple(bits) + (3,) * (3 - len(bits))

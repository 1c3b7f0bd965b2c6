"""``phase-folding``: T-count reduction by merging phases that act on the same parity (Amy-Maslov-Mosca).

Why it is sound. Write each pure branch of the program (each sequence of measurement outcomes) as a
sum over paths: every wire carries a Boolean value, an affine function (XOR of variables, plus a
constant) of the path variables. CNOT, SWAP and X (and any gate whose matrix is a permutation that is
affine over GF(2) times a diagonal, read from the op table) only change the wires' affine functions;
every other gate, measurement, reset, allocation or channel op on a wire gives the wire a fresh
variable, its matrix entries becoming a factor of the path's amplitude. A one-qubit diagonal gate
``e^{ig} diag(1, e^{i phi})`` on a wire holding ``f + c`` contributes the factor ``e^{i phi (f + c)}``,
and ``e^{i phi (f + 1)} = e^{i phi} e^{-i phi f}``. So the amplitude of every path is a product in which
all phases on the same linear function ``f`` can be collected into one factor ``e^{i alpha f}`` and
realised at any point where some wire holds ``f`` or ``f + 1`` (here: where ``f`` first occurs),
without changing any path's amplitude, hence neither the unitary nor any branch's state or
probability. Gates other than one-qubit phases never move; guarded phases are left alone (their factor
depends on the branch). ``FENCE_EPOCH`` and other qubit-less nodes end the region (nothing crosses a
fence). Terms whose variables no wire holds any more can never match again; they are dropped from the
search every so often and the variables renumbered, which keeps the work linear in the program size.
"""

from __future__ import annotations

from .gatefacts import GATE_OPS, IdMaker, add_global_phase, already_emitted, count_removed, facts, phase_gates
from .linear import affine_map
from .registry import register

NAME = "phase-folding"
COMPACT_SLACK = 64  # fresh variables allowed beyond 2 per wire before compact() runs


class _Term:
    __slots__ = ("alpha", "const", "count", "g", "head", "occ")

    def __init__(self, head: int, const: int) -> None:
        self.head, self.const, self.alpha, self.g, self.count = head, const, 0.0, 0.0, 0
        self.occ: list[int] = []


class _State:
    """Wire parities over path variables (Python ints as bit sets) and the open phase terms."""

    def __init__(self) -> None:
        self.wires: dict[str, list[int]] = {}  # q -> [mask, const]
        self.terms: dict[int, _Term] = {}
        self.nvars = 0
        self.since = 0

    def fresh(self, q: str) -> None:
        self.wires[q] = [1 << self.nvars, 0]
        self.nvars += 1
        self.since += 1
        if self.since > 2 * len(self.wires) + COMPACT_SLACK:
            self.compact()

    def wire(self, q: str) -> list[int]:
        w = self.wires.get(q)
        if w is None:
            self.fresh(q)
            w = self.wires[q]
        return w

    def compact(self) -> None:
        """Re-express everything in a basis of the span W of the wires' parities.

        Every later parity is a wire parity XOR fresh variables, so a term can only match again if it
        lies in W; the others are final. Reduced row echelon form of the wire masks gives each
        f in W its coordinates (the rows whose pivot bit f has), at most one bit per qubit.
        """
        rows: list[list[int]] = []  # [pivot bit, vector]
        for m, _ in self.wires.values():
            for piv, vec in rows:
                if m & piv:
                    m ^= vec
            if m:
                piv = m & -m
                for r in rows:
                    if r[1] & piv:
                        r[1] ^= m
                rows.append([piv, m])

        pivots = 0
        by_pivot: dict[int, tuple[int, int]] = {}  # pivot bit -> (coordinate bit, row vector)
        for k, (piv, vec) in enumerate(rows):
            pivots |= piv
            by_pivot[piv] = (1 << k, vec)

        def coords(f: int) -> int | None:
            # Only the rows whose pivot bit f has can contribute: walk those bits, lowest first.
            g = c = 0
            p = f & pivots
            while p:
                low = p & -p
                cb, vec = by_pivot[low]
                g ^= vec
                c |= cb
                p ^= low
            return c if g == f else None

        terms = {}
        for m, t in self.terms.items():
            c = coords(m)
            if c is not None:
                terms[c] = t
        self.terms = terms
        for w in self.wires.values():
            w[0] = coords(w[0])
        self.nvars = len(rows)
        self.since = 0


@register(NAME, "transform")
def phase_folding(program, ctx):
    """Merge one-qubit phases acting on equal parities of path variables (fewer T gates)."""
    out = run_kernel("kernels_phasefold", "phase_folding_kernel", program, ctx, NAME)
    if out is not None:
        return out
    nodes = program.nodes
    st = _State()
    wires = st.wires
    terms: list[_Term] = []
    drop: set[int] = set()
    kinds: dict[tuple, tuple] = {}  # (op, qubit count) -> _kind(node), for argument-free nodes
    for i, node in enumerate(nodes):
        vqs = node.vqs
        if node.args:
            kind = _kind(node)
        else:
            key = (node.op, len(vqs))
            kind = kinds.get(key)
            if kind is None:
                kind = kinds[key] = _kind(node)
        tag, data = kind
        if tag is _OTHER:
            if not node.vqs:
                st = _State()
                wires = st.wires
            for q in node.vqs:
                st.fresh(q)
            continue
        guard = node.guard
        if tag is _PHASE:
            if guard is not None:
                if data[2]:
                    continue
                for q in vqs:
                    st.fresh(q)
                continue
            phi, g, _ = data
            mask, const = wires.get(vqs[0]) or st.wire(vqs[0])
            t = st.terms.get(mask)
            if t is None:
                t = st.terms[mask] = _Term(i, const)
                terms.append(t)
            elif t.count:
                drop.add(i)
            t.g += g + (phi if const else 0.0)
            t.alpha += -phi if const else phi
            t.count += 1
            t.occ.append(i)
            continue
        if tag is _DIAGONAL:
            continue
        if tag is _AFFINE and guard is None:
            old = [wires.get(q) or st.wire(q) for q in vqs]
            new = []
            for rows, c in data:
                m, k = 0, c
                for j in rows:
                    m ^= old[j][0]
                    k ^= old[j][1]
                new.append([m, k])
            for q, w in zip(vqs, new):
                wires[q] = w
            continue
        for q in vqs:
            st.fresh(q)
    return _emit(program, ctx, terms, drop, 0.0)


def run_kernel(module: str, fn: str, program, ctx, *args):
    """The result of a folding pass's compiled kernel path (same output as the Python path, see the kernel
    modules), or None when the Python path runs: small programs (``packed.use_kernels``), numba not
    installed, or input the kernel leaves to Python (a gate with the wrong qubit count, a repeated qubit)."""
    from .packed import use_kernels

    if not use_kernels(len(program.nodes)):
        return None
    try:
        import importlib

        mod = importlib.import_module(f"{__package__}.{module}")
    except ImportError:
        return None
    return getattr(mod, fn)(program, ctx, *args)


_OTHER, _PHASE, _DIAGONAL, _AFFINE, _GATE = "other", "phase", "diagonal", "affine", "gate"


def _kind(node) -> tuple:
    """How a node's (op, args) acts on the wires, independent of its qubits and guard.

    ``_OTHER``: not a gate (every wire it touches gets a fresh variable; no qubits ends the region).
    ``_PHASE`` with (phi, g, diagonal op): a one-qubit phase, folded when unguarded; when guarded it is
    skipped if the op is diagonal in the op table and gives a fresh variable otherwise.
    ``_DIAGONAL``: a diagonal gate, which changes no wire value, guarded or not.
    ``_AFFINE`` with the map from ``affine_map``: moves parities when unguarded, else fresh variables.
    ``_GATE``: any other gate (fresh variables)."""
    if node.op not in GATE_OPS:
        return _OTHER, None
    if len(node.vqs) == 1:
        z = facts(node).z
        if z is not None:
            return _PHASE, (z[0], z[1], affine_map(node.op, node.args) == "diagonal")
    amap = affine_map(node.op, node.args)
    if amap == "diagonal":
        return _DIAGONAL, None
    if amap is not None:
        return _AFFINE, amap
    return _GATE, None


def _emit(program, ctx, terms, drop, phase):
    nodes = program.nodes
    repl: dict[int, list] = {}
    ids = IdMaker(nodes)
    for t in terms:
        if t.count == 1:
            continue
        head = nodes[t.head]
        beta = -t.alpha if t.const else t.alpha
        gates, gp = phase_gates(beta)
        if already_emitted(nodes, t.occ, gates):
            drop.difference_update(t.occ)
            continue
        phase += t.g + (t.alpha if t.const else 0.0) + gp
        repl[t.head] = [
            head.replace(id=head.id if k == 0 else ids.fresh(head.id), op=op, args=args)
            for k, (op, args) in enumerate(gates)
        ]
    if not repl:
        return program
    out = []
    for i, n in enumerate(nodes):
        if i in repl:
            out.extend(repl[i])
        elif i not in drop:
            out.append(n)
    count_removed(ctx, NAME, nodes, out)
    return add_global_phase(program, phase, out)

"""Conditions over measured events, and classical values that depend on them.

A condition is a DNF: a frozenset of terms, each term a frozenset of literals ``(event, bit)``; it holds
when some term has all its literals true. ``TRUE`` is the one empty term, ``FALSE`` the empty set.
``simplify`` applies absorption (a term implied by a smaller one goes) and the consensus merge
``(t and e=0) or (t and e=1) = t`` until nothing changes, so the two sides of an if/else rejoin to
``TRUE`` and code after the merge point is unguarded.

A classical value that depends on measurements is a ``Multi``: a map from each possible integer value to
the condition under which the value is taken (the conditions partition the paths that reach it).
Constants are plain ints. Everything is bounded by ``MAX_TERMS``/``MAX_VALUES``; beyond that the
program is refused as not static rather than exploding.
"""

from __future__ import annotations

from typing import Callable, Mapping

from .builder import Bit
from .errors import NotStaticError

Cond = frozenset  # frozenset[frozenset[tuple[str, int]]]
TRUE: Cond = frozenset([frozenset()])
FALSE: Cond = frozenset()
MAX_TERMS = 256
MAX_VALUES = 64


def literal(event: str, bit: int) -> Cond:
    return frozenset([frozenset([(event, bit)])])


def _consistent(term: frozenset) -> bool:
    seen: dict[str, int] = {}
    for e, b in term:
        if seen.setdefault(e, b) != b:
            return False
    return True


def simplify(c: Cond) -> Cond:
    terms = set(c)
    changed = True
    while changed:
        changed = False
        for t in list(terms):
            if t not in terms:
                continue
            for e, b in t:
                other = (t - {(e, b)}) | {(e, 1 - b)}
                if other in terms:
                    terms -= {t, other}
                    terms.add(t - {(e, b)})
                    changed = True
                    break
        minimal = {t for t in terms if not any(o < t for o in terms)}
        if minimal != terms:
            terms, changed = minimal, True
    if len(terms) > MAX_TERMS:
        raise NotStaticError.make(
            "the branch conditions on measurement results are too complex to express as guards"
        )
    return frozenset(terms)


def c_or(a: Cond, b: Cond) -> Cond:
    if a == TRUE or b == TRUE:
        return TRUE
    return simplify(a | b)


def c_and(a: Cond, b: Cond) -> Cond:
    if a == TRUE:
        return b
    if b == TRUE:
        return a
    return simplify(frozenset(ta | tb for ta in a for tb in b if _consistent(ta | tb)))


def to_guard(c: Cond) -> Mapping | None:
    """The QVM guard for a condition (None when it always holds), in a deterministic order."""
    if c == TRUE:
        return None

    def term(t):
        lits = [{"event": e, "equals": b} for e, b in sorted(t)]
        return lits[0] if len(lits) == 1 else {"all": lits}

    terms = [term(t) for t in sorted(c, key=lambda t: (len(t), sorted(t)))]
    return terms[0] if len(terms) == 1 else {"any": terms}


# ------------------------------------------------------------------------- values

Multi = dict  # dict[int, Cond]


def as_multi(v) -> Multi | None:
    """A classical value as {value: condition}; None when v is not a classical integer value."""
    if isinstance(v, bool):
        return {int(v): TRUE}
    if isinstance(v, int):
        return {v: TRUE}
    if isinstance(v, Bit):
        one = 0 if v.invert else 1
        return {1: literal(v.event, one), 0: literal(v.event, 1 - one)}
    if isinstance(v, dict):
        return v
    return None


def normal(m: Multi):
    """The simplest form of a value: an int when it is constant, a Bit when it is one measured bit."""
    m = {k: c for k, c in m.items() if c != FALSE}
    if len(m) > MAX_VALUES:
        raise NotStaticError.make("a classical value depends on too many measurement outcomes")
    if len(m) == 1:
        return next(iter(m))
    if set(m) == {0, 1}:
        one = m[1]
        if len(one) == 1:
            (t,) = one
            if len(t) == 1:
                ((e, b),) = t
                if literal(e, 1 - b) == m[0]:
                    return Bit(e, invert=(b == 0))
    return m


def combine(a, b, op: Callable[[int, int], int]):
    """``op`` applied to two classical values, case by case."""
    ma, mb = as_multi(a), as_multi(b)
    out: Multi = {}
    for ka, ca in ma.items():
        for kb, cb in mb.items():
            c = c_and(ca, cb)
            if c != FALSE:
                k = op(ka, kb)
                out[k] = c_or(out.get(k, FALSE), c)
    return normal(out)


def apply1(a, op: Callable[[int], int]):
    out: Multi = {}
    for k, c in as_multi(a).items():
        nk = op(k)
        out[nk] = c_or(out.get(nk, FALSE), c)
    return normal(out)


def merge(cases: list[tuple[Cond, object]]):
    """The value that is ``v`` when ``c`` holds, for mutually exclusive (c, v) pairs (phi, select)."""
    if all(not isinstance(v, (dict, Bit, int)) for _c, v in cases):
        return None
    out: Multi = {}
    for c, v in cases:
        m = as_multi(v)
        if m is None:
            return None
        for k, ck in m.items():
            cc = c_and(c, ck)
            if cc != FALSE:
                out[k] = c_or(out.get(k, FALSE), cc)
    return normal(out)

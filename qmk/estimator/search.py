"""T-factory search: the reference's pruned search, reproduced step by step, and an exhaustive one.

``reference_search`` mirrors ``tfactory_exhaustive.rs`` with ``code_distance_iterators.rs`` and
``distillation_units_map.rs``: for every sequence of unit types (1 to ``max_rounds`` rounds, 4 if none
qualifies) it bisects code distances round by round, then walks the remaining non-comparable distance
vectors, keeping a Pareto population on (qubits per output state, duration). The walk's pruning is lossy
(a factory that meets the rate can be skipped), and which factory is reported depends on the
population's order, so the population follows the reference's push / swap-remove / stable-sort order.
This is what makes every number match, including the ~5% of cases where a cheaper factory exists.

``exhaustive_search`` builds every unit sequence at every non-decreasing distance vector and keeps the
same Pareto set, so it finds the truly smallest factories; ``--factory-search exhaustive`` uses it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from .units import (
    COMBINED,
    LOGICAL,
    PHYSICAL,
    BuildError,
    Factory,
    Unit,
    logical_unit,
    physical_unit,
)

MAX_EXTRA_ROUNDS = 4
_MAX_STEPS = 5_000_000  # no input comes close; a guard so that no input can loop forever


class SearchError(RuntimeError):
    pass


class _OutOfRange(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Patch:
    """A logical qubit at one code distance, as factories see it."""

    code_distance: int
    physical_qubits: int
    cycle_time: int
    error_rate: float
    t_error_rate: float


class Population:
    """The reference's Pareto population on (qubits per output, duration), order included."""

    __slots__ = ("_pending", "items")

    def __init__(self) -> None:
        self.items: list[tuple[float, int, Factory]] = []
        self._pending = 0

    @staticmethod
    def _dominates(a, b) -> bool:
        return (a[0] < b[0] and a[1] <= b[1]) or (a[0] <= b[0] and a[1] < b[1])

    def dominates(self, point) -> bool:
        return any(self._dominates(t, point) for t in self.items)

    def push(self, point) -> None:
        self.items.append(point)
        if self._pending <= 1000:
            self._pending += 1
        else:
            self.filter()

    def filter(self) -> None:
        items = self.items
        idx, length = 0, len(items)
        while idx < length:
            if self.dominates(items[idx]):  # the swapped-out tail still counts, as in the reference
                items[idx], items[length - 1] = items[length - 1], items[idx]
                length -= 1
            else:
                idx += 1
        self._pending = 0
        del items[length:]

    def sorted_factories(self) -> list[Factory]:
        """Sorted descending by (qubits per output, duration); stable, like Rust's sort_by."""
        ordered = sorted(self.items, key=lambda p: (p[0], p[1]), reverse=True)
        # Python's reverse=True keeps equal items in their original order, as Rust's b.cmp(a) does.
        return [p[2] for p in ordered]


class _UnitsMap:
    """Which unit (physical or logical at some distance) each (round, type, distance index) means."""

    def __init__(self, qubit, patches: list[Patch | None], distances: list[int], templates) -> None:
        self.distances = distances
        combined = [t for t in templates if t.unit_type == COMBINED]
        logical_only = [t for t in templates if t.unit_type == LOGICAL]
        physical_only = [physical_unit(t, qubit) for t in templates if t.unit_type == PHYSICAL]
        physical_only = [u for u in physical_only if u.is_valid()]
        self.n_comb, self.n_log, self.n_phys = len(combined), len(logical_only), len(physical_only)
        self.physical: list[Unit] = [physical_unit(t, qubit) for t in combined] + physical_only
        self.phys_valid = [u.is_valid() for u in self.physical[: self.n_comb]]
        logical_templates = combined + logical_only
        self.logical: dict[int, list[Unit]] = {}
        for p in patches:
            if p is not None:
                self.logical[p.code_distance] = [logical_unit(t, p) for t in logical_templates]
        present = [d for d in distances if d in self.logical]
        self.min_valid = []
        for idx in range(self.n_comb + self.n_log):
            valid = [i for i, d in enumerate(present) if self.logical[d][idx].is_valid()]
            self.min_valid.append(min(valid) if valid else distances[-1] + 1)

    def unit(self, position: int, distance: int, idx: int) -> Unit:
        if distance == 1 and position == 0:
            return self.physical[idx if idx < self.n_comb else idx - self.n_log]
        return self.logical[distance][idx]

    def units(self, dist_idx, unit_idx) -> list[Unit]:
        return [self.unit(pos, self.distances[di], ui) for pos, (ui, di) in enumerate(zip(unit_idx, dist_idx))]

    def _min_index(self, position: int, idx: int) -> int:
        if position == 0:
            if idx >= self.n_log + self.n_comb:
                return 0
            if idx < self.n_comb and self.phys_valid[idx]:
                return 0
            return max(1, self.min_valid[idx])
        return self.min_valid[idx]

    def min_indexes(self, unit_idx) -> list[int]:
        out, state = [], 0
        for pos, idx in enumerate(unit_idx):
            state = max(state, self._min_index(pos, idx))
            out.append(state)
        return out

    def max_indexes(self, unit_idx) -> list[int]:
        top = len(self.distances) - 1
        return [0 if idx >= self.n_log + self.n_comb else top for idx in unit_idx]

    def sequences(self, rounds: int):
        """Unit-type sequences in the reference's order (last round fastest)."""
        first = range(self.n_comb + self.n_log + self.n_phys)
        later = range(self.n_comb + self.n_log)
        return itertools.product(first, *([later] * (rounds - 1)))


_BUILDS: dict[tuple, dict] = {}


def _build_cache(scheme, qubit, templates) -> dict:
    """Factories built so far for one (scheme, qubit, units); a build does not depend on the target."""
    key = (id(scheme), qubit, tuple(id(t) for t in templates))
    cache = _BUILDS.get(key)
    if cache is None or cache.get("scheme") is not scheme:
        if len(_BUILDS) > 64:
            _BUILDS.clear()
        cache = _BUILDS[key] = {"scheme": scheme, "templates": templates}
    return cache


def build_cached(cache: dict, key, make_units):
    """The factory for these units, or the BuildError kind (a str) when it cannot be built."""
    hit = cache.get(key)
    if hit is None:
        units = make_units()
        try:
            hit = Factory.build(units, units[0].t_error_rate)
        except BuildError as e:
            hit = e.kind
        cache[key] = hit
    return hit


class _Searcher:
    def __init__(self, target: float, cache: dict) -> None:
        self.target = target
        self.population = Population()
        self.steps = 0
        self.cache = cache

    def check(self, key, make_units) -> bool:
        """True when raising code distances could still help (the reference's 'go right')."""
        self.steps += 1
        if self.steps > _MAX_STEPS:
            raise SearchError("T-factory search exceeded its step limit")
        f = build_cached(self.cache, key, make_units)
        if isinstance(f, str):
            return f != BuildError.LOW
        below = f.output_error_rate <= self.target
        point = (f.normalized_qubits, f.duration, f)
        not_dominated = not self.population.dominates(point)
        if not_dominated and below:
            self.population.push(point)
        return not_dominated and not below


def _bisect(n: int, left_in: list[int], right_in: list[int], check) -> list[int] | None:
    right = list(right_in)
    if check(right):
        return None
    if not check(left_in):
        return None
    mid = list(right)
    for cur in range(n):
        lo = left_in[0] if cur == 0 else mid[cur - 1]
        while lo + 1 < right[cur]:
            mid[cur] = (lo + right[cur]) // 2
            if check(mid):
                lo = mid[cur] + 1
            else:
                right[cur] = mid[cur]
        if lo + 1 == right[cur]:
            mid[cur] = lo
            if check(mid):
                mid[cur] = right[cur]
        else:
            mid[cur] = right[cur]
    return mid


def _increment(cur: list[int], left: list[int], right: list[int], n: int) -> bool:
    i = n - 1
    cur[i] += 1
    while cur[i] > right[i]:
        if i == 0:
            return False
        i -= 1
        cur[i] += 1
    while i < n - 1:
        cur[i + 1] = max(cur[i], left[i + 1])
        i += 1
    return True


def _switch(cur: list[int], left: list[int], right: list[int], n: int) -> bool:
    j = len(cur) - 1
    while j > 0 and (cur[j] <= cur[j - 1] + 1 or cur[j - 1] == right[j - 1]):
        j -= 1
    if j == 0:
        return False
    cur[j - 1] += 1
    while j < n:
        cur[j] = max(cur[j - 1], left[j])
        j += 1
    return True


def _walk(n: int, left: list[int], right: list[int], start: list[int], check) -> None:
    cur = [max(c, lo) for c, lo in zip(start, left)]
    if not _switch(cur, left, right, n):
        return
    while True:
        if check(cur):
            if not _increment(cur, left, right, n):
                return
        elif not _switch(cur, left, right, n):
            return


def _patches(scheme, qubit, max_distance: int) -> list[Patch | None]:
    out: list[Patch | None] = []
    for d in scheme.factory_distances(max_distance):
        try:
            out.append(Patch(d, scheme.qubits_per_logical(d), scheme.cycle_time(qubit, d),
                             scheme.logical_error_rate(qubit, d), qubit.t_gate_error_rate))
        except Exception:  # a patch the scheme cannot build is simply unavailable, as in the reference
            out.append(None)
    return out


def trivial_or_none(scheme, qubit, target: float, max_distance: int) -> list[Factory] | None:
    if target > qubit.t_gate_error_rate:
        d = max_distance
        patch = Patch(d, scheme.qubits_per_logical(d), scheme.cycle_time(qubit, d), scheme.logical_error_rate(qubit, d),
                      qubit.t_gate_error_rate)
        return [Factory.trivial(patch)]
    return None


def reference_search(scheme, qubit, templates, target: float, max_distance: int, max_rounds: int) -> list[Factory]:
    """The reference's Pareto set of factories meeting ``target``, sorted descending."""
    trivial = trivial_or_none(scheme, qubit, target, max_distance)
    if trivial is not None:
        return trivial
    distances = scheme.factory_distances(max_distance)
    umap = _UnitsMap(qubit, _patches(scheme, qubit, max_distance), distances, templates)
    if umap.n_comb + umap.n_log == 0:
        raise SearchError("no distillation unit can run on logical qubits")
    searcher = _Searcher(target, _build_cache(scheme, qubit, templates))

    def run(rounds: int) -> None:
        for seq in umap.sequences(rounds):
            left, right = umap.min_indexes(seq), umap.max_indexes(seq)

            def check(dist_idx, seq=seq):
                if any(i >= len(distances) for i in dist_idx):
                    raise _OutOfRange  # the reference panics here; this sequence has no factory
                dists = tuple(distances[i] for i in dist_idx)
                return searcher.check((seq, dists), lambda: umap.units(dist_idx, seq))

            try:
                found = _bisect(rounds, left, right, check)
                if found is not None:
                    _walk(rounds, left, right, found, check)
            except _OutOfRange:
                continue

    for rounds in range(1, max_rounds + 1):
        run(rounds)
    if not searcher.population.items:
        for rounds in range(max_rounds + 1, MAX_EXTRA_ROUNDS + 1):
            run(rounds)
    searcher.population.filter()
    return searcher.population.sorted_factories()


def exhaustive_search(scheme, qubit, templates, target: float, max_distance: int, max_rounds: int) -> list[Factory]:
    """Every unit sequence at every non-decreasing distance vector: the true Pareto set."""
    trivial = trivial_or_none(scheme, qubit, target, max_distance)
    if trivial is not None:
        return trivial
    distances = scheme.factory_distances(max_distance)
    umap = _UnitsMap(qubit, _patches(scheme, qubit, max_distance), distances, templates)
    population = Population()
    cache = _build_cache(scheme, qubit, templates)
    steps = 0

    def run(rounds: int) -> None:
        nonlocal steps
        for seq in umap.sequences(rounds):
            lo, hi = umap.min_indexes(seq), umap.max_indexes(seq)
            for dist_idx in itertools.combinations_with_replacement(range(len(distances)), rounds):
                if any(not a <= d <= h for d, a, h in zip(dist_idx, lo, hi)) or any(
                    distances[d] not in umap.logical and not (pos == 0 and distances[d] == 1)
                    for pos, d in enumerate(dist_idx)
                ):
                    continue
                steps += 1
                if steps > _MAX_STEPS:
                    raise SearchError("exhaustive T-factory search exceeded its step limit")
                f = build_cached(cache, (seq, tuple(distances[i] for i in dist_idx)),
                                 lambda d=dist_idx, q=seq: umap.units(list(d), q))
                if isinstance(f, str):
                    continue
                if f.output_error_rate <= target:
                    point = (f.normalized_qubits, f.duration, f)
                    if not population.dominates(point):
                        population.push(point)

    for rounds in range(1, max_rounds + 1):
        run(rounds)
    if not population.items:
        for rounds in range(max_rounds + 1, MAX_EXTRA_ROUNDS + 1):
            run(rounds)
    population.filter()
    return population.sorted_factories()

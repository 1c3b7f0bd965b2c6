"""The physical estimate: code distance, factories and the loop that ties them together.

``estimate`` follows the reference's ``estimate_without_restrictions.rs`` (and, with ``maxDuration`` or
``maxPhysicalQubits``, its two constrained searches in ``physical_estimation.rs``):

1. C = D (scaled by logicalDepthFactor). r = eps_log / (Q_alg C) gives d; P_L(d) gives the most
   cycles d can afford, maxC = floor(eps_log / (Q_alg P_L(d))).
2. With T states, the factory search for rate eps_T / N_T at distances <= d gives a Pareto set. A
   factory no longer than the algorithm (C tau) with the least normalized volume wins; otherwise the one
   with least (volume, ceil(duration / tau)) among those that fit in maxC cycles, and C becomes that many
   cycles; otherwise C = max(maxC + 1, C + 1) and the loop repeats with a larger d.
3. Copies = ceil(N_T / (floor(C tau / duration) outputs)), runs = ceil(N_T / (copies outputs)).

The reference's loop has no bound of its own (it ends when d exceeds the maximum); here it also stops
after a fixed number of rounds, so no input can make it spin.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .layout import ErrorBudget, LogicalCounts
from .qubits import ModelError
from .search import Patch, exhaustive_search, reference_search
from .units import Factory

_MAX_LOOP = 10_000


@dataclass(frozen=True, slots=True)
class Config:
    qubit: object
    scheme: object
    templates: tuple
    max_rounds: int = 3
    logical_depth_factor: float | None = None
    max_t_factories: int | None = None
    max_duration: int | None = None
    max_physical_qubits: int | None = None
    factory_search: str = "reference"  # or "exhaustive"


@dataclass(slots=True)
class Result:
    counts: LogicalCounts
    budget: ErrorBudget
    patch: Patch
    num_cycles: int
    factory: Factory | None
    copies: int
    runs: int
    required_rate: float
    required_t_rate: float | None
    algorithmic_depth: int
    num_t_states: int
    physical_qubits_for_algorithm: int
    rqops: int
    clifford_error_rate: float

    @property
    def physical_qubits_for_factories(self) -> int:
        return self.copies * self.factory.physical_qubits if self.factory else 0

    @property
    def physical_qubits(self) -> int:
        return self.physical_qubits_for_algorithm + self.physical_qubits_for_factories

    @property
    def runtime(self) -> int:
        return self.patch.cycle_time * self.num_cycles


class Estimator:
    """One configuration (qubit, scheme, units, constraints) applied to one set of logical counts."""

    def __init__(self, config: Config, counts: LogicalCounts, budget: ErrorBudget) -> None:
        self.cfg = config
        self.counts = counts
        self.budget = budget
        self.q_alg = counts.logical_qubits
        self.n_t = counts.num_t_states(budget.rotations)
        self.depth = counts.logical_depth(budget.rotations)
        self._factories: dict[tuple[float, int], list[Factory]] = {}

    # ------------------------------------------------------------------ pieces

    def patch(self, d: int) -> Patch:
        s, q = self.cfg.scheme, self.cfg.qubit
        return Patch(d, s.qubits_per_logical(d), s.cycle_time(q, d), s.logical_error_rate(q, d), q.t_gate_error_rate)

    def algorithm_qubits(self, d: int) -> int:
        """Q_alg logical qubits in whole patches (or blocks of k logical qubits)."""
        s = self.cfg.scheme
        return -(-self.q_alg // s.block(d)) * s.physical_qubits(d)

    def factories(self, rate: float, d: int) -> list[Factory]:
        key = (rate, d)
        if key not in self._factories:
            search = exhaustive_search if self.cfg.factory_search == "exhaustive" else reference_search
            self._factories[key] = search(self.cfg.scheme, self.cfg.qubit, self.cfg.templates, rate, d, self.cfg.max_rounds)
        return self._factories[key]

    def min_cycles(self) -> int:
        c = self.depth
        f = self.cfg.logical_depth_factor
        if f is not None:
            if f < 1.0:
                raise ModelError(f"logicalDepthFactor must be at least 1, got {f}")
            c = int(math.ceil(c * f))
        if c == 0 and self.n_t == 0:
            raise ModelError("the algorithm has no resources to estimate (AlgorithmHasNoResources)")
        return c

    def required_rate(self, cycles: int) -> float:
        return self.budget.logical / float(self.q_alg * cycles) if cycles else math.inf

    def code_distance(self, rate: float) -> int:
        return self.cfg.scheme.code_distance(self.cfg.qubit, rate)

    def max_cycles(self, d: int) -> int:
        pl = self.cfg.scheme.logical_error_rate(self.cfg.qubit, d)
        value = self.budget.logical / (float(self.q_alg) * pl)
        return min(int(value), 2**64 - 1) if math.isfinite(value) else 2**64 - 1

    def copies(self, patch: Patch, f: Factory, cycles: int) -> int:
        total = cycles * patch.cycle_time
        if total < 2**64:
            per_run = (total // f.duration) * f.num_output_states
            if per_run == 0:
                raise ModelError("a T factory produces no states in the available time")
            return -(-self.n_t // per_run)
        per_cycle = self.n_t / float(f.num_output_states * cycles)
        return int(math.ceil(per_cycle * (f.duration / float(patch.cycle_time))))

    def result(self, patch: Patch, cycles: int, factory: Factory | None, copies: int, rate: float) -> Result:
        q = self.cfg.qubit
        runs = -(-self.n_t // (copies * factory.num_output_states)) if factory else 0
        return Result(
            self.counts, self.budget, patch, cycles, factory, copies, runs, rate,
            self.budget.tstates / self.n_t if self.n_t else None, self.depth, self.n_t,
            self.algorithm_qubits(patch.code_distance), int(math.ceil(self.q_alg * (1e9 / patch.cycle_time))),
            q.clifford_error_rate,
        )

    # ------------------------------------------------------------------ the single-point estimate

    def estimate(self) -> Result:
        c = self.cfg
        if c.max_duration is not None and c.max_physical_qubits is not None:
            raise ModelError("maxDuration and maxPhysicalQubits cannot both be given")
        if c.max_duration is not None:
            return self._constrained(duration=c.max_duration)
        if c.max_physical_qubits is not None:
            return self._constrained(qubits=c.max_physical_qubits)
        return self._unconstrained()

    def _unconstrained(self) -> Result:
        cycles = self.min_cycles()
        for _ in range(_MAX_LOOP):
            rate = self.required_rate(cycles)
            d = self.code_distance(rate)
            max_c = self.max_cycles(d)
            patch = self.patch(d)
            if self.n_t == 0:
                return self.result(patch, cycles, None, 0, rate)
            t_rate = self.budget.tstates / self.n_t
            factories = self.factories(t_rate, d)
            picked = self._pick(factories, patch, cycles, max_c) if factories else None
            if picked is not None:
                f, needed = picked
                return self.result(patch, needed, f, self.copies(patch, f, needed), rate)
            cycles = max(max_c + 1, cycles + 1)
        raise ModelError("the estimate did not settle on a code distance (loop limit reached)")

    def _pick(self, factories: list[Factory], patch: Patch, cycles: int, max_c: int):
        max_f = self.cfg.max_t_factories
        budget_time = cycles * patch.cycle_time
        best = None
        for f in factories:
            if f.duration <= budget_time and (max_f is None or max_f >= self.copies(patch, f, cycles)):
                if best is None or f.normalized_volume < best.normalized_volume:
                    best = f
        if best is not None:
            return best, cycles
        best_key, best_item = None, None
        for f in factories:
            if max_f is None:
                num = -(-f.duration // patch.cycle_time)
            else:
                runs = -(-self.n_t // (max_f * f.num_output_states))
                num = -(-(runs * f.duration) // patch.cycle_time)
            if num <= max_c:
                key = (f.normalized_volume, num)
                if best_key is None or key < best_key:
                    best_key, best_item = key, (f, num)
        return best_item

    def _constrained(self, *, duration: int | None = None, qubits: int | None = None) -> Result:
        """maxDuration: fewest qubits within the time; maxPhysicalQubits: shortest run within the qubits."""
        cycles0 = self.min_cycles()
        rate = self.required_rate(cycles0)
        d_min = self.code_distance(rate)
        t_rate = self.budget.tstates / self.n_t if self.n_t else math.inf
        if self.n_t == 0:
            patch = self.patch(d_min)
            if duration is not None and cycles0 * patch.cycle_time <= duration:
                return self.result(patch, cycles0, None, 0, rate)
            if qubits is not None and self.algorithm_qubits(d_min) <= qubits:
                return self.result(patch, cycles0, None, 0, rate)
            raise ModelError("maxDuration is too small" if duration is not None else "maxPhysicalQubits is too small")
        best: Result | None = None
        last_factories: list[Factory] = []
        last_d = None
        for d in reversed(self.cfg.scheme.code_distances(d_min)):
            patch = self.patch(d)
            max_by_error = self.max_cycles(d)
            if duration is not None:
                max_by_time = int(math.floor(duration / float(patch.cycle_time)))
                if max_by_time < cycles0 or max_by_error < cycles0:
                    continue
                allowed = min(max_by_time, max_by_error)
            else:
                alg_qubits = self.algorithm_qubits(d)
                if qubits <= alg_qubits or max_by_error < cycles0:
                    continue
                room = qubits - alg_qubits
            if last_d is None or last_d > d:
                last_factories = self.factories(t_rate, d)
                last_d = max((f.max_code_distance for f in last_factories), default=None)
            if duration is not None:
                for f in last_factories:
                    if -(-f.duration // patch.cycle_time) > allowed:
                        continue
                    n = self.copies(patch, f, allowed)
                    need = max(self._cycles_for(n, f, patch), cycles0)
                    if self.cfg.max_t_factories is not None and n > self.cfg.max_t_factories:
                        continue
                    r = self.result(patch, need, f, n, rate)
                    if best is None or r.physical_qubits < best.physical_qubits:
                        best = r
            else:
                fitting = [f for f in last_factories if f.physical_qubits <= room]
                if not fitting:
                    continue
                f = min(fitting, key=lambda x: x.normalized_volume)
                n = room // f.physical_qubits
                if n == 0:
                    continue
                need = max(self._cycles_for(n, f, patch), cycles0)
                if need > max_by_error:
                    continue
                if self.cfg.max_t_factories is not None and n > self.cfg.max_t_factories:
                    continue
                r = self.result(patch, need, f, n, rate)
                if best is None or r.runtime < best.runtime:
                    best = r
        if best is None:
            raise ModelError("maxDuration is too small" if duration is not None else "maxPhysicalQubits is too small")
        return best

    def _cycles_for(self, copies: int, f: Factory, patch: Patch) -> int:
        runs = -(-self.n_t // (copies * f.num_output_states))
        return -(-(runs * f.duration) // patch.cycle_time)

    # ------------------------------------------------------------------ frontier

    def frontier(self) -> list[Result]:
        """Pareto points of (physical qubits, runtime), the reference's ``estimate_frontier.rs``."""
        cycles0 = self.min_cycles()
        rate = self.required_rate(cycles0)
        d_min = self.code_distance(rate)
        if self.n_t == 0:
            return [self.result(self.patch(d_min), cycles0, None, 0, rate)]
        t_rate = self.budget.tstates / self.n_t
        points: list[tuple[float, int, Result]] = []
        last_factories: list[Factory] = []
        last_d = None
        for d in reversed(self.cfg.scheme.code_distances(d_min)):
            if last_d is None or last_d > d:
                last_factories = self.factories(t_rate, d)
                last_d = max((f.max_code_distance for f in last_factories), default=None)
            patch = self.patch(d)
            allowed = self.max_cycles(d)
            if allowed < cycles0:
                continue
            for f in last_factories:
                if -(-f.duration // patch.cycle_time) > allowed:
                    continue
                n = self.copies(patch, f, allowed)
                for _ in range(_MAX_LOOP):
                    need_f = self._cycles_for(n, f, patch)
                    r = self.result(patch, max(need_f, cycles0), f, n, rate)
                    points.append((float(r.physical_qubits), r.runtime, r))
                    if need_f <= cycles0 or r.runs <= 1:
                        break
                    n += 1
        keep = [p for p in points if not any(_dom(o, p) for o in points)]
        keep.sort(key=lambda p: p[1])
        return [p[2] for p in keep]


def _dom(a, b) -> bool:
    return (a[0] < b[0] and a[1] <= b[1]) or (a[0] <= b[0] and a[1] < b[1])

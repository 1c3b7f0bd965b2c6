"""Distillation units and round-based T factories (the reference's ``tfactory.rs`` and ``round_based.rs``).

A *template* is a unit type (15-to-1 RM prep, 15-to-1 space efficient, or a custom unit); a *unit* is a
template placed on physical qubits (a round-1-only "distance 1" unit) or on logical patches of distance
d. A factory is a list of units, one per round. Units per round are computed backwards from one output
state: each round gets the smallest unit count whose binomial quantile at the round's failure budget
``0.01 / rounds`` still yields what the next round needs, found by doubling then bisecting, with the
reference's own quantile (:mod:`qmk.estimator.quantile`). The factory's footprint is the largest round
(rounds reuse space), its duration the sum of the rounds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from .expr import ExprError, Formula
from .quantile import Binomial
from .qubits import ModelError

COMBINED, PHYSICAL, LOGICAL = "Combined", "Physical", "Logical"
FAILURE_BUDGET = 0.01
_ADJUST_CACHE: dict[tuple, int] = {}
_QUANTILE_CACHE: dict[tuple, int] = {}


def _fail_15(z: float, c: float, r: float) -> float:
    return 15.0 * z + 356.0 * c


def _out_15(z: float, c: float, r: float) -> float:
    return 35.0 * (z * (z * z)) + 7.1 * c  # f64::powi(3) is z * (z * z) (square-and-multiply), bit for bit


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    num_input_ts: int
    num_output_ts: int
    failure_probability: Callable[[float, float, float], float]
    output_error_rate: Callable[[float, float, float], float]
    unit_type: str
    physical_spec: tuple[int, int] | None  # (qubits, duration in qubit cycle times)
    logical_spec: tuple[int, int] | None
    logical_first_round_spec: tuple[int, int] | None = None


RM_PREP = Template("15-to-1 RM prep", 15, 1, _fail_15, _out_15, COMBINED, (31, 24), (31, 11))
SPACE_EFFICIENT = Template("15-to-1 space efficient", 15, 1, _fail_15, _out_15, COMBINED, (12, 45), (20, 13))
DEFAULT_TEMPLATES = (RM_PREP, SPACE_EFFICIENT)
_ALIASES = {
    "15-1 RM": RM_PREP, "15-1 RM prep": RM_PREP, "15-to-1 RM": RM_PREP, "15-to-1 RM prep": RM_PREP,
    "15-1 space-efficient": SPACE_EFFICIENT, "15-1 space efficient": SPACE_EFFICIENT,
    "15-to-1 space-efficient": SPACE_EFFICIENT, "15-to-1 space efficient": SPACE_EFFICIENT,
}


def _formula_fn(text, what: str):
    try:
        f = Formula(text)
    except ExprError as e:
        raise ModelError(f"distillationUnitSpecifications.{what}: {e}") from None

    def fn(z: float, c: float, r: float) -> float:
        env = {"inputErrorRate": z, "cliffordErrorRate": c, "readoutErrorRate": r, "z": z, "c": c, "r": r}
        try:
            return f(env)
        except ExprError as e:
            raise ModelError(f"distillationUnitSpecifications.{what}: {e}") from None

    return fn


def _resources(spec, what: str) -> tuple[int, int] | None:
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) - {"numUnitQubits", "durationInQubitCycleTime"}:
        raise ModelError(f"{what}: expected {{numUnitQubits, durationInQubitCycleTime}}")
    q, t = spec.get("numUnitQubits"), spec.get("durationInQubitCycleTime")
    for v, k in ((q, "numUnitQubits"), (t, "durationInQubitCycleTime")):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0 or v > 10**9:
            raise ModelError(f"{what}.{k}: expected a non-negative integer, got {v!r}")
    if q == 0:
        raise ModelError(f"{what}.numUnitQubits: the number of unit qubits must be greater than 0")
    return (q, t)


def template_from_json(spec) -> Template:
    """A distillationUnitSpecifications entry: {name} of a predefined unit, or a custom unit."""
    if not isinstance(spec, dict):
        raise ModelError("each distillation unit specification must be an object")
    if set(spec) == {"name"}:
        t = _ALIASES.get(spec["name"]) if isinstance(spec["name"], str) else None
        if t is None:
            raise ModelError(f"invalid distillation unit specification name: {spec['name']!r}")
        return t
    allowed = {"displayName", "numInputTs", "numOutputTs", "failureProbabilityFormula", "outputErrorRateFormula",
               "physicalQubitSpecification", "logicalQubitSpecification", "logicalQubitSpecificationFirstRoundOverride"}
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ModelError(f"distillation unit: unknown field(s) {', '.join(unknown)}")
    for k in ("displayName", "numInputTs", "numOutputTs", "failureProbabilityFormula", "outputErrorRateFormula"):
        if k not in spec:
            raise ModelError(f"distillation unit: missing field {k}")
    n_in, n_out = spec["numInputTs"], spec["numOutputTs"]
    for v, k in ((n_in, "numInputTs"), (n_out, "numOutputTs")):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= 10**6:
            raise ModelError(f"distillation unit {k} must be a positive integer, got {v!r}")
    phys = _resources(spec.get("physicalQubitSpecification"), "physicalQubitSpecification")
    log = _resources(spec.get("logicalQubitSpecification"), "logicalQubitSpecification")
    first = _resources(spec.get("logicalQubitSpecificationFirstRoundOverride"), "logicalQubitSpecificationFirstRoundOverride")
    if phys is None and log is None:
        raise ModelError("distillation unit: at least one of the physical or the logical specification must be given")
    if phys is not None and log is None and first is not None:
        raise ModelError("distillation unit: the first-round override needs a logical specification")
    kind = COMBINED if phys and log else (PHYSICAL if phys else LOGICAL)
    return Template(
        str(spec["displayName"]), n_in, n_out, _formula_fn(spec["failureProbabilityFormula"], "failureProbabilityFormula"),
        _formula_fn(spec["outputErrorRateFormula"], "outputErrorRateFormula"), kind, phys, log, first,
    )


@dataclass(frozen=True, slots=True)
class Unit:
    """A template placed on a physical qubit (distance 1) or on a logical patch."""

    template: Template
    code_distance: int
    qubits_first: int
    qubits_later: int
    duration_first: int
    duration_later: int
    clifford_error_rate: float
    readout_error_rate: float
    t_error_rate: float

    @property
    def name(self) -> str:
        return self.template.name

    def is_valid(self) -> bool:
        return self.clifford_error_rate <= 0.1 * self.t_error_rate


def physical_unit(t: Template, qubit) -> Unit:
    first = t.physical_spec if t.unit_type in (COMBINED, PHYSICAL) else None
    later = t.logical_spec if t.unit_type != PHYSICAL else None
    q1, d1 = (first[0], first[1] * qubit.t_gate_time) if first else (0, 0)
    q2, d2 = (later[0], later[1] * qubit.t_gate_time) if later else (0, 0)
    return Unit(t, 1, q1, q2, d1, d2, qubit.clifford_error_rate, qubit.readout_error_rate, qubit.t_gate_error_rate)


def logical_unit(t: Template, patch) -> Unit:
    """``patch`` has code_distance, physical_qubits, cycle_time, error_rate and t_error_rate."""
    if patch.code_distance == 1 and t.unit_type in (COMBINED, PHYSICAL):
        first = t.physical_spec
    elif t.unit_type == PHYSICAL:
        first = None
    else:
        first = t.logical_first_round_spec or t.logical_spec
    later = t.logical_spec if t.unit_type != PHYSICAL else None
    n, tau = patch.physical_qubits, patch.cycle_time
    q1, d1 = (first[0] * n, first[1] * tau) if first else (0, 0)
    q2, d2 = (later[0] * n, later[1] * tau) if later else (0, 0)
    return Unit(t, patch.code_distance, q1, q2, d1, d2, patch.error_rate, 0.0, patch.t_error_rate)


class BuildError(Exception):
    LOW, HIGH, WORSE, TOO_MANY = "low failure", "high failure", "output worse than input", "too many units"

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


@dataclass(slots=True)
class Round:
    unit: Unit
    position: int
    num_units: int
    required_failure: float

    @property
    def qubits_per_unit(self) -> int:
        return self.unit.qubits_first if self.position == 0 else self.unit.qubits_later

    @property
    def duration(self) -> int:
        return self.unit.duration_first if self.position == 0 else self.unit.duration_later

    @property
    def physical_qubits(self) -> int:
        return self.num_units * self.qubits_per_unit

    def outputs(self, failure: float) -> int:
        n_out = self.unit.template.num_output_ts
        if failure == 0.0 and self.required_failure == 0.0:
            return self.num_units * n_out
        key = (self.num_units, failure, self.required_failure)
        k = _QUANTILE_CACHE.get(key)
        if k is None:
            k = Binomial(self.num_units, failure).inverse(self.required_failure)
            if len(_QUANTILE_CACHE) > 200_000:
                _QUANTILE_CACHE.clear()
            _QUANTILE_CACHE[key] = k
        return k * n_out

    def adjust_to(self, needed: int, failure: float) -> None:
        """Smallest unit count whose quantile output covers ``needed``: double, then bisect.

        The answer depends only on (needed, failure, the round's failure budget, outputs per unit), so
        it is memoised: the factory search asks the same question many times.
        """
        n_out = self.unit.template.num_output_ts
        key = (needed, failure, self.required_failure, n_out)
        hit = _ADJUST_CACHE.get(key)
        if hit is not None:
            self.num_units = hit
            return
        self._adjust(needed, failure, n_out)
        if len(_ADJUST_CACHE) > 200_000:
            _ADJUST_CACHE.clear()
        _ADJUST_CACHE[key] = self.num_units

    def _adjust(self, needed: int, failure: float, n_out: int) -> None:
        self.num_units = -(-needed // (self.num_units * n_out))
        while self.outputs(failure) < needed:
            self.num_units *= 2
            if self.num_units >= 10**18:
                raise BuildError(BuildError.TOO_MANY)
        lower, upper = self.num_units // 2, self.num_units
        while lower < upper:
            self.num_units = (lower + upper) // 2
            if self.outputs(failure) >= needed:
                upper = self.num_units
            else:
                lower = self.num_units + 1
        self.num_units = upper


class Factory:
    """A round-based T factory built from one unit per round."""

    __slots__ = ("_out", "duration", "error_rates", "failures", "physical_qubits", "rounds")

    def __init__(self, rounds: list[Round], error_rates: list[float], failures: list[float]) -> None:
        self.rounds = rounds
        self.error_rates = error_rates  # input error before each round, then the output error
        self.failures = failures
        last = rounds[-1]
        self._out = last.outputs(failures[-1])
        self.physical_qubits = max(r.physical_qubits for r in rounds)
        self.duration = sum(r.duration for r in rounds)

    @classmethod
    def build(cls, units: list[Unit], input_error_rate: float, failure_budget: float = FAILURE_BUDGET) -> Factory:
        length = len(units)
        per_round = failure_budget / length
        rates = [input_error_rate]
        rounds: list[Round] = []
        for unit in units:
            z = rates[-1]
            out = unit.template.output_error_rate(z, unit.clifford_error_rate, unit.readout_error_rate)
            if out > z:
                raise BuildError(BuildError.WORSE)
            rounds.append(Round(unit, len(rounds), 1, per_round))
            rates.append(out)
        failures = [1.0] * length
        needed = rounds[-1].unit.template.num_output_ts
        for idx in range(length - 1, -1, -1):
            u = units[idx]
            q = u.template.failure_probability(rates[idx], u.clifford_error_rate, u.readout_error_rate)
            if q <= 0.0:
                raise BuildError(BuildError.LOW)
            if q >= 1.0 or math.isnan(q):
                raise BuildError(BuildError.HIGH)
            failures[idx] = q
            rounds[idx].adjust_to(needed, q)
            needed = u.template.num_input_ts * rounds[idx].num_units
        return cls(rounds, rates, failures)

    @classmethod
    def trivial(cls, patch) -> Factory:
        """One logical patch that passes the physical T state through (no distillation)."""
        t = Template("trivial 1-to-1", 1, 1, lambda z, c, r: 0.0, lambda z, c, r: z, LOGICAL, None, (1, 1))
        unit = logical_unit(t, patch)
        return cls([Round(unit, 0, 1, 0.0)], [patch.t_error_rate, patch.t_error_rate], [0.0])

    @property
    def num_output_states(self) -> int:
        return self._out

    @property
    def output_error_rate(self) -> float:
        return self.error_rates[-1]

    @property
    def normalized_qubits(self) -> float:
        return self.physical_qubits / self._out

    @property
    def normalized_volume(self) -> float:
        return float(self.physical_qubits * self.duration) / float(self._out)

    @property
    def max_code_distance(self) -> int:
        return self.rounds[-1].unit.code_distance

    def signature(self) -> tuple:
        return tuple((r.unit.name, r.unit.code_distance) for r in self.rounds)

    def to_json(self) -> dict:
        first = self.rounds[0]
        return {
            "physicalQubits": self.physical_qubits,
            "runtime": self.duration,
            "numTstates": self._out,
            "numInputTstates": first.unit.template.num_input_ts * first.num_units,
            "numRounds": len(self.rounds),
            "numUnitsPerRound": [r.num_units for r in self.rounds],
            "unitNamePerRound": [r.unit.name for r in self.rounds],
            "codeDistancePerRound": [r.unit.code_distance for r in self.rounds],
            "physicalQubitsPerRound": [r.physical_qubits for r in self.rounds],
            "runtimePerRound": [r.duration for r in self.rounds],
            "logicalErrorRate": self.output_error_rate,
        }

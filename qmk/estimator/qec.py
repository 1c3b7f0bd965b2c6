"""QEC schemes: the threshold model P_L(d) = a * d^k * (p / p_th)^((d+1) div 2), cycle time and footprint.

The reference estimator's three schemes (surface code on gate-based and on Majorana qubits, Floquet code
on Majorana qubits) and custom schemes with formula strings behave exactly as in the reference
(``fault_tolerance.rs``, ``code_with_threshold_and_distance.rs``): the same constants, the integer
division in the exponent, the ``| 1`` that makes distances odd, the cycle time rounded and the qubit
count truncated to integers. The extra families (Bacon-Shor, color code, SHYPS) are in
:mod:`qmk.estimator.families` and use the same class with a block size ``k`` (logical qubits per block).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

from .expr import ExprError, Formula
from .quantile import powi
from .qubits import ModelError, PhysicalQubit

MAX_CODE_DISTANCE = 50


@dataclass(frozen=True, slots=True)
class QecScheme:
    name: str
    crossing_prefactor: float
    error_correction_threshold: float
    logical_cycle_time: Formula
    physical_qubits_per_logical_qubit: Formula
    distance_coefficient_power: int = 0
    max_code_distance: int = MAX_CODE_DISTANCE
    logical_qubits_per_block: int = 1  # > 1 only for the block (qLDPC) families
    distances: tuple[int, ...] | None = None  # allowed distances when not every odd number is one
    notes: tuple[str, ...] = field(default=(), compare=False)
    report_power: bool = True  # a custom scheme that leaves the power out reports it as null

    # ------------------------------------------------------------------ per distance

    def logical_error_rate(self, qubit: PhysicalQubit, d: int) -> float:
        p = qubit.physical_error_rate
        if p > self.error_correction_threshold:
            raise ModelError(
                f"physical error rate {p:g} is above the threshold {self.error_correction_threshold:g} of {self.name}"
            )
        return self.crossing_prefactor * float(d**self.distance_coefficient_power) * powi(
            p / self.error_correction_threshold, (d + 1) // 2
        )

    def cycle_time(self, qubit: PhysicalQubit, d: int) -> int:
        env = qubit.time_variables()
        env["codeDistance"] = float(d)
        value = self._eval(self.logical_cycle_time, env, "logicalCycleTime")
        if not 0.0 < value < 1e30:
            raise ModelError(f"{self.name}: logical cycle time is not a positive finite time at code distance {d}")
        return int(math.floor(value + 0.5)) if value >= 0 else 0

    def physical_qubits(self, d: int) -> int:
        value = self._eval(self.physical_qubits_per_logical_qubit, {"codeDistance": float(d)}, "physicalQubitsPerLogicalQubit")
        if not 0.0 < value < 1e30:
            raise ModelError(f"{self.name}: physical qubits per logical qubit is not a positive finite number at code distance {d}")
        return int(value)

    def _eval(self, f: Formula, env: dict, what: str) -> float:
        try:
            return f(env)
        except ExprError as e:
            raise ModelError(f"qecScheme.{what}: {e}") from None

    def block(self, d: int) -> int:
        """Logical qubits per code block at distance d (1 for patch codes; r^2 for SHYPS, d = 2^(r-1))."""
        if self.name == "shyps" and self.distances is not None:
            r = d.bit_length()
            return r * r
        return self.logical_qubits_per_block

    def qubits_per_logical(self, d: int) -> int:
        """Physical qubits one logical qubit takes (a patch, or its share of a block)."""
        return -(-self.physical_qubits(d) // self.block(d))

    def factory_distances(self, max_d: int) -> list[int]:
        """Distances a factory round may use: 1 (physical) and the scheme's distances up to max_d."""
        if self.distances is None:
            return list(range(1, max_d + 1, 2))
        return [1] + [d for d in self.distances if 1 < d <= max_d]

    # ------------------------------------------------------------------ distance selection

    def code_distances(self, lower: int = 1) -> list[int]:
        if self.distances is not None:
            return [d for d in self.distances if lower <= d <= self.max_code_distance]
        return list(range(lower, self.max_code_distance + 1, 2))

    def code_distance(self, qubit: PhysicalQubit, required_rate: float) -> int:
        """The smallest distance whose per-logical-qubit error rate meets ``required_rate``."""
        if self.distance_coefficient_power == 0 and self.distances is None and self.logical_qubits_per_block == 1:
            p = qubit.physical_error_rate
            ratio = 2.0 * math.log(self.crossing_prefactor / required_rate) / math.log(
                self.error_correction_threshold / p
            )
            x = ratio - 1.0
            c = math.ceil(x) if math.isfinite(x) else x
            # Rust's saturating ``as u64``: NaN and negatives give 0, +inf and huge values u64::MAX
            d = 0 if (math.isnan(c) or c <= 0) else (2**64 - 1 if c >= 2.0**64 else int(c))
            d |= 1
            if d > self.max_code_distance:
                raise ModelError(
                    f"the computed code distance {d} is too high; maximum allowed code distance is "
                    f"{self.max_code_distance}; try increasing the total logical error budget"
                )
            return d
        for d in self.code_distances():
            if self.logical_error_rate(qubit, d) / self.block(d) <= required_rate:
                return d
        raise ModelError(f"no code distance of {self.name} achieves the required logical error rate {required_rate:.3e}")

    def to_json(self) -> dict:
        out = {
            "name": self.name,
            "errorCorrectionThreshold": self.error_correction_threshold,
            "crossingPrefactor": self.crossing_prefactor,
            "distanceCoefficientPower": self.distance_coefficient_power if self.report_power else None,
            "logicalCycleTime": self.logical_cycle_time.text,
            "physicalQubitsPerLogicalQubit": self.physical_qubits_per_logical_qubit.text,
            "maxCodeDistance": self.max_code_distance,
        }
        if self.logical_qubits_per_block != 1:
            out["logicalQubitsPerBlock"] = self.logical_qubits_per_block
        if self.distances is not None:
            out["codeDistances"] = list(self.distances)
        return out


_SURFACE_GATE = ("(4 * twoQubitGateTime + 2 * oneQubitMeasurementTime) * codeDistance", "2 * codeDistance * codeDistance")
_SURFACE_MAJ = ("20 * oneQubitMeasurementTime * codeDistance", "2 * codeDistance * codeDistance")
_FLOQUET = ("3 * oneQubitMeasurementTime * codeDistance", "4 * codeDistance * codeDistance + 8 * (codeDistance - 1)")

_SURFACE_NAMES = ("surface_code", "surfaceCode", "surface-code")
_FLOQUET_NAMES = ("floquet_code", "floquetCode", "floquet-code")
_SPEC_KEYS = {"name", "errorCorrectionThreshold", "crossingPrefactor", "distanceCoefficientPower",
              "logicalCycleTime", "physicalQubitsPerLogicalQubit", "maxCodeDistance"}


def _formula(value, field_name: str) -> Formula:
    try:
        return Formula(value)
    except ExprError as e:
        raise ModelError(f"qecScheme.{field_name}: {e}") from None


def _number(spec: dict, key: str, default=None):
    v = spec.get(key, default)
    if v is None:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise ModelError(f"qecScheme.{key}: expected a number, got {v!r}")
    return v


def scheme_from_json(spec: dict | str | None, qubit: PhysicalQubit) -> QecScheme:
    """Resolve a qecScheme object for a qubit, with the reference's rules and checks."""
    from .families import FAMILIES

    if spec is None:
        spec = {"name": "surface_code"}
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise ModelError("qecScheme must be an object or a scheme name")
    name = spec.get("name", "surface_code") or ""
    if not isinstance(name, str):
        raise ModelError("qecScheme.name must be a string")
    unknown = sorted(set(spec) - _SPEC_KEYS)
    if unknown:
        raise ModelError(f"qecScheme: unknown field(s) {', '.join(unknown)}")
    if name in FAMILIES:
        scheme = FAMILIES[name](qubit)
    else:
        if name in _SURFACE_NAMES:
            if qubit.is_majorana:
                scheme = _base("surface_code", 0.08, 0.0015, _SURFACE_MAJ)
            else:
                scheme = _base("surface_code", 0.03, 0.01, _SURFACE_GATE)
        elif name in _FLOQUET_NAMES:
            if not qubit.is_majorana:
                raise ModelError(
                    "floquet_code needs Majorana qubits (InvalidFaultToleranceProtocol); use surface_code for "
                    "gate-based qubits"
                )
            scheme = _base("floquet_code", 0.07, 0.01, _FLOQUET)
        else:
            missing = [k for k in ("errorCorrectionThreshold", "crossingPrefactor", "logicalCycleTime",
                                   "physicalQubitsPerLogicalQubit") if spec.get(k) is None]
            if missing:
                raise ModelError(
                    f"qecScheme {name!r} is not predefined (known: surface_code, floquet_code, "
                    f"{', '.join(FAMILIES)}), so it needs {', '.join(missing)}"
                )
            scheme = replace(_base(name, 0.0, 0.0, ("1", "1")), report_power=spec.get("distanceCoefficientPower") is not None)
    changes = {}
    for key, attr in (("errorCorrectionThreshold", "error_correction_threshold"), ("crossingPrefactor", "crossing_prefactor")):
        v = _number(spec, key)
        if v is not None:
            changes[attr] = float(v)
    power = _number(spec, "distanceCoefficientPower")
    if power is not None:
        if int(power) != power or not 0 <= power <= 10:
            raise ModelError("qecScheme.distanceCoefficientPower must be an integer from 0 to 10")
        changes["distance_coefficient_power"] = int(power)
    maxd = _number(spec, "maxCodeDistance")
    if maxd is not None:
        if int(maxd) != maxd or not 1 <= maxd <= 10_000:
            raise ModelError("qecScheme.maxCodeDistance must be an integer from 1 to 10000")
        changes["max_code_distance"] = int(maxd)
    if spec.get("logicalCycleTime") is not None:
        changes["logical_cycle_time"] = _formula(spec["logicalCycleTime"], "logicalCycleTime")
    if spec.get("physicalQubitsPerLogicalQubit") is not None:
        changes["physical_qubits_per_logical_qubit"] = _formula(spec["physicalQubitsPerLogicalQubit"], "physicalQubitsPerLogicalQubit")
    scheme = replace(scheme, **changes)
    check_scheme(scheme, qubit)
    return scheme


def _base(name, a, pth, formulas) -> QecScheme:
    return QecScheme(name, a, pth, Formula(formulas[0]), Formula(formulas[1]))


def check_scheme(scheme: QecScheme, qubit: PhysicalQubit) -> None:
    """The reference's validity checks, done once when the scheme is loaded."""
    if not 0.0 < scheme.crossing_prefactor <= 0.5:
        raise ModelError(f"qecScheme.crossingPrefactor must be in (0, 0.5], got {scheme.crossing_prefactor}")
    if not 0.0 < scheme.error_correction_threshold < 1.0:
        raise ModelError(f"qecScheme.errorCorrectionThreshold must be in (0, 1), got {scheme.error_correction_threshold}")
    if qubit.clifford_error_rate >= scheme.error_correction_threshold:
        raise ModelError(
            f"the qubit's Clifford error rate {qubit.clifford_error_rate:g} is not below the threshold "
            f"{scheme.error_correction_threshold:g} of {scheme.name}"
        )
    for d in range(3, scheme.max_code_distance + 1):
        scheme.cycle_time(qubit, d)
        scheme.physical_qubits(d)

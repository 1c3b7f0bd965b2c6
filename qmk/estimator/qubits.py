"""Physical qubit models: the reference estimator's six presets and custom parameters with its defaults.

Times are integers in nanoseconds, error rates are probabilities. A custom gate-based qubit that leaves
out the two-qubit gate or T gate time takes the one-qubit gate time, unset two-qubit and T error rates
take the one-qubit gate error rate, and the idle error rate takes the measurement error rate. A custom
Majorana qubit takes the measurement time for unset times, and the one-qubit readout rate for an unset
two-qubit joint measurement rate and idle rate. These are the reference's defaulting rules
(``physical_qubit.rs``), so the same JSON gives the same resolved qubit.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

GATE_BASED = "GateBased"
MAJORANA = "Majorana"


class ModelError(ValueError):
    """A model input the estimator cannot use (bad parameter, unknown preset, invalid combination)."""


@dataclass(frozen=True, slots=True)
class PhysicalQubit:
    name: str
    instruction_set: str
    one_qubit_measurement_time: int
    t_gate_time: int
    t_gate_error_rate: float
    idle_error_rate: float
    # gate based
    one_qubit_gate_time: int | None = None
    two_qubit_gate_time: int | None = None
    one_qubit_measurement_error_rate: float = math.nan  # gate based: one number
    one_qubit_gate_error_rate: float = math.nan
    two_qubit_gate_error_rate: float = math.nan
    # Majorana: (process, readout) pairs
    two_qubit_joint_measurement_time: int | None = None
    one_qubit_measurement_error: tuple[float, float] = (math.nan, math.nan)
    two_qubit_joint_measurement_error: tuple[float, float] = (math.nan, math.nan)

    @property
    def is_majorana(self) -> bool:
        return self.instruction_set == MAJORANA

    @property
    def clifford_error_rate(self) -> float:
        if self.is_majorana:
            return max(self.idle_error_rate, self.one_qubit_measurement_error[0], self.two_qubit_joint_measurement_error[0])
        return max(self.one_qubit_gate_error_rate, self.two_qubit_gate_error_rate, self.idle_error_rate)

    @property
    def readout_error_rate(self) -> float:
        if self.is_majorana:
            return max(self.one_qubit_measurement_error[1], self.two_qubit_joint_measurement_error[1])
        return self.one_qubit_measurement_error_rate

    @property
    def physical_error_rate(self) -> float:
        """The rate the QEC model uses: max(clifford, readout)."""
        return max(self.clifford_error_rate, self.readout_error_rate)

    def time_variables(self) -> dict[str, float]:
        """Variables a logical-cycle-time formula may use."""
        out = {"oneQubitMeasurementTime": float(self.one_qubit_measurement_time)}
        if self.is_majorana:
            if self.two_qubit_joint_measurement_time is not None:
                out["twoQubitJointMeasurementTime"] = float(self.two_qubit_joint_measurement_time)
        else:
            if self.one_qubit_gate_time is not None:
                out["oneQubitGateTime"] = float(self.one_qubit_gate_time)
            if self.two_qubit_gate_time is not None:
                out["twoQubitGateTime"] = float(self.two_qubit_gate_time)
        return out

    def to_json(self) -> dict:
        """The resolved parameters as the reference reports them in jobParams.qubitParams."""
        ns = lambda t: f"{t} ns"
        if self.is_majorana:
            return {
                "instructionSet": MAJORANA,
                "name": self.name,
                "oneQubitMeasurementTime": ns(self.one_qubit_measurement_time),
                "twoQubitJointMeasurementTime": ns(self.two_qubit_joint_measurement_time),
                "tGateTime": ns(self.t_gate_time),
                "oneQubitMeasurementErrorRate": dict(zip(("process", "readout"), self.one_qubit_measurement_error)),
                "twoQubitJointMeasurementErrorRate": dict(
                    zip(("process", "readout"), self.two_qubit_joint_measurement_error)
                ),
                "tGateErrorRate": self.t_gate_error_rate,
                "idleErrorRate": self.idle_error_rate,
            }
        return {
            "instructionSet": GATE_BASED,
            "name": self.name,
            "oneQubitMeasurementTime": ns(self.one_qubit_measurement_time),
            "oneQubitGateTime": ns(self.one_qubit_gate_time),
            "twoQubitGateTime": ns(self.two_qubit_gate_time),
            "tGateTime": ns(self.t_gate_time),
            "oneQubitMeasurementErrorRate": self.one_qubit_measurement_error_rate,
            "oneQubitGateErrorRate": self.one_qubit_gate_error_rate,
            "twoQubitGateErrorRate": self.two_qubit_gate_error_rate,
            "tGateErrorRate": self.t_gate_error_rate,
            "idleErrorRate": self.idle_error_rate,
        }


def _gate(name, t_meas, t, err, t_err):
    return PhysicalQubit(
        name, GATE_BASED, one_qubit_measurement_time=t_meas, t_gate_time=t, t_gate_error_rate=t_err,
        idle_error_rate=err, one_qubit_gate_time=t, two_qubit_gate_time=t, one_qubit_measurement_error_rate=err,
        one_qubit_gate_error_rate=err, two_qubit_gate_error_rate=err,
    )


def _maj(name, err, t_err):
    return PhysicalQubit(
        name, MAJORANA, one_qubit_measurement_time=100, t_gate_time=100, t_gate_error_rate=t_err,
        idle_error_rate=err, two_qubit_joint_measurement_time=100, one_qubit_measurement_error=(err, err),
        two_qubit_joint_measurement_error=(err, err),
    )


# Table 4.1 of the reference notes (times in ns).
PRESETS: dict[str, PhysicalQubit] = {
    "qubit_gate_ns_e3": _gate("qubit_gate_ns_e3", 100, 50, 1e-3, 1e-3),
    "qubit_gate_ns_e4": _gate("qubit_gate_ns_e4", 100, 50, 1e-4, 1e-4),
    "qubit_gate_us_e3": _gate("qubit_gate_us_e3", 100_000, 100_000, 1e-3, 1e-6),
    "qubit_gate_us_e4": _gate("qubit_gate_us_e4", 100_000, 100_000, 1e-4, 1e-6),
    "qubit_maj_ns_e4": _maj("qubit_maj_ns_e4", 1e-4, 0.05),
    "qubit_maj_ns_e6": _maj("qubit_maj_ns_e6", 1e-6, 0.01),
}
DEFAULT_QUBIT = "qubit_gate_ns_e3"

_TIME_RE = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][-+]?[0-9]+)?)\s*(ns|us|µs|ms|s)?\s*$")
_UNIT = {"ns": 1, "us": 1_000, "µs": 1_000, "ms": 1_000_000, "s": 1_000_000_000, None: 1}


def parse_time(value, field: str) -> int:
    """A time as an integer number of ns: a number (ns) or a string like '100 ns', '1 us'."""
    if isinstance(value, bool):
        raise ModelError(f"{field}: expected a time, got {value!r}")
    if isinstance(value, (int, float)):
        t = float(value)
    elif isinstance(value, str) and (m := _TIME_RE.match(value)):
        t = float(m.group(1)) * _UNIT[m.group(2)]
    else:
        raise ModelError(f"{field}: expected a time such as 100 or '100 ns', got {value!r}")
    if not math.isfinite(t) or t <= 0 or t > 1e15:
        raise ModelError(f"{field}: time must be positive and finite, got {value!r}")
    return int(round(t))


def _rate(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0.0 < float(value) < 1.0):
        raise ModelError(f"{field}: expected an error rate between 0 and 1 (exclusive), got {value!r}")
    return float(value)


def _pair(value, field: str) -> tuple[float, float]:
    if isinstance(value, dict):
        unknown = set(value) - {"process", "readout"}
        if unknown or not {"process", "readout"} <= set(value):
            raise ModelError(f"{field}: expected {{process, readout}}, got keys {sorted(value)}")
        return _rate(value["process"], field + ".process"), _rate(value["readout"], field + ".readout")
    r = _rate(value, field)
    return r, r


_GATE_KEYS = {"name", "instructionSet", "oneQubitMeasurementTime", "oneQubitGateTime", "twoQubitGateTime",
              "tGateTime", "oneQubitMeasurementErrorRate", "oneQubitGateErrorRate", "twoQubitGateErrorRate",
              "tGateErrorRate", "idleErrorRate"}
_MAJ_KEYS = {"name", "instructionSet", "oneQubitMeasurementTime", "twoQubitJointMeasurementTime", "tGateTime",
             "oneQubitMeasurementErrorRate", "twoQubitJointMeasurementErrorRate", "tGateErrorRate", "idleErrorRate"}


def qubit_from_json(spec: dict | str | None) -> PhysicalQubit:
    """Resolve a qubitParams object (or a preset name) with the reference's defaulting rules."""
    if spec is None:
        return PRESETS[DEFAULT_QUBIT]
    if isinstance(spec, str):
        spec = {"name": spec}
    if not isinstance(spec, dict):
        raise ModelError("qubitParams must be an object or a preset name")
    name = spec.get("name", "")
    iset = spec.get("instructionSet")
    base = PRESETS.get(name) if isinstance(name, str) else None
    if iset is None:
        if base is None:
            raise ModelError(
                f"qubitParams: unknown preset {name!r} and no instructionSet (presets: {', '.join(PRESETS)})"
                if name else "qubitParams needs a preset name or an instructionSet"
            )
        iset = base.instruction_set
    if iset in ("gate_based", "gateBased", "gate-based", GATE_BASED):
        iset = GATE_BASED
    elif iset in ("Majorana", "majorana"):
        iset = MAJORANA
    else:
        raise ModelError(f"qubitParams.instructionSet: expected GateBased or Majorana, got {iset!r}")
    if base is not None and base.instruction_set != iset:
        base = None
    allowed = _MAJ_KEYS if iset == MAJORANA else _GATE_KEYS
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise ModelError(f"qubitParams: unknown field(s) {', '.join(unknown)} for a {iset} qubit")
    get = lambda k: spec.get(k)
    if iset == GATE_BASED:
        t1 = parse_time(get("oneQubitGateTime"), "oneQubitGateTime") if get("oneQubitGateTime") is not None else (
            base.one_qubit_gate_time if base else None)
        tm = parse_time(get("oneQubitMeasurementTime"), "oneQubitMeasurementTime") if get(
            "oneQubitMeasurementTime") is not None else (base.one_qubit_measurement_time if base else None)
        e1 = _rate(get("oneQubitGateErrorRate"), "oneQubitGateErrorRate") if get(
            "oneQubitGateErrorRate") is not None else (base.one_qubit_gate_error_rate if base else None)
        em = _rate(get("oneQubitMeasurementErrorRate"), "oneQubitMeasurementErrorRate") if get(
            "oneQubitMeasurementErrorRate") is not None else (base.one_qubit_measurement_error_rate if base else None)
        et = _rate(get("tGateErrorRate"), "tGateErrorRate") if get("tGateErrorRate") is not None else (
            base.t_gate_error_rate if base else None)
        missing = [k for k, v in (("oneQubitMeasurementTime", tm), ("tGateErrorRate", et),
                                  ("oneQubitMeasurementErrorRate", em), ("oneQubitGateTime", t1),
                                  ("oneQubitGateErrorRate", e1)) if v is None]
        if missing:
            raise ModelError(f"qubitParams: missing field(s) {', '.join(missing)}")
        t2 = parse_time(get("twoQubitGateTime"), "twoQubitGateTime") if get("twoQubitGateTime") is not None else (
            base.two_qubit_gate_time if base else t1)
        tt = parse_time(get("tGateTime"), "tGateTime") if get("tGateTime") is not None else (
            base.t_gate_time if base else t1)
        e2 = _rate(get("twoQubitGateErrorRate"), "twoQubitGateErrorRate") if get(
            "twoQubitGateErrorRate") is not None else (base.two_qubit_gate_error_rate if base else e1)
        ei = _rate(get("idleErrorRate"), "idleErrorRate") if get("idleErrorRate") is not None else (
            base.idle_error_rate if base else em)
        return PhysicalQubit(
            name or "", GATE_BASED, one_qubit_measurement_time=tm, t_gate_time=tt, t_gate_error_rate=et,
            idle_error_rate=ei, one_qubit_gate_time=t1, two_qubit_gate_time=t2, one_qubit_measurement_error_rate=em,
            one_qubit_gate_error_rate=e1, two_qubit_gate_error_rate=e2,
        )
    tm = parse_time(get("oneQubitMeasurementTime"), "oneQubitMeasurementTime") if get(
        "oneQubitMeasurementTime") is not None else (base.one_qubit_measurement_time if base else None)
    m1 = _pair(get("oneQubitMeasurementErrorRate"), "oneQubitMeasurementErrorRate") if get(
        "oneQubitMeasurementErrorRate") is not None else (base.one_qubit_measurement_error if base else None)
    et = _rate(get("tGateErrorRate"), "tGateErrorRate") if get("tGateErrorRate") is not None else (
        base.t_gate_error_rate if base else None)
    missing = [k for k, v in (("oneQubitMeasurementTime", tm), ("oneQubitMeasurementErrorRate", m1),
                              ("tGateErrorRate", et)) if v is None]
    if missing:
        raise ModelError(f"qubitParams: missing field(s) {', '.join(missing)}")
    t2 = parse_time(get("twoQubitJointMeasurementTime"), "twoQubitJointMeasurementTime") if get(
        "twoQubitJointMeasurementTime") is not None else (base.two_qubit_joint_measurement_time if base else tm)
    tt = parse_time(get("tGateTime"), "tGateTime") if get("tGateTime") is not None else (
        base.t_gate_time if base else tm)
    m2 = _pair(get("twoQubitJointMeasurementErrorRate"), "twoQubitJointMeasurementErrorRate") if get(
        "twoQubitJointMeasurementErrorRate") is not None else (
        base.two_qubit_joint_measurement_error if base else (m1[1], m1[1]))
    ei = _rate(get("idleErrorRate"), "idleErrorRate") if get("idleErrorRate") is not None else (
        base.idle_error_rate if base else m1[1])
    return PhysicalQubit(
        name or "", MAJORANA, one_qubit_measurement_time=tm, t_gate_time=tt, t_gate_error_rate=et,
        idle_error_rate=ei, two_qubit_joint_measurement_time=t2, one_qubit_measurement_error=m1,
        two_qubit_joint_measurement_error=m2,
    )


__all__ = ["DEFAULT_QUBIT", "PRESETS", "ModelError", "PhysicalQubit", "parse_time", "qubit_from_json"]

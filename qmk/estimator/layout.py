"""Logical counts and the layout model: algorithmic qubits, depth, T states, the error-budget split.

Formulas (the reference's ``logical_counts.rs`` and ``job_params.rs``, PSSPC layout of Beverland et al.,
arXiv:2211.07629, section IV):

- algorithmic logical qubits ``Q_alg = 2Q + ceil(sqrt(8Q)) + 1``;
- T states per rotation ``ceil(0.53 log2(R / eps_rot) + 4.86)`` (R > 0);
- algorithmic depth ``D = (M + R + T) + 3 (CCZ + CCiX) + tsPerRotation * RD``;
- T states ``N_T = 4 (CCZ + CCiX) + T + tsPerRotation * R``;
- a total budget eps splits into thirds with rotations, halves with T but no rotations, all-logical
  otherwise; an explicit split is checked and used as given.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

from .qubits import ModelError

COUNT_FIELDS = ("numQubits", "tCount", "rotationCount", "rotationDepth", "cczCount", "ccixCount", "measurementCount")
_EXTRA_FIELDS = ("numComputeQubits", "readFromMemoryCount", "writeToMemoryCount")
_MAX_COUNT = 2**53


@dataclass(frozen=True, slots=True)
class LogicalCounts:
    num_qubits: int
    t_count: int = 0
    rotation_count: int = 0
    rotation_depth: int = 0
    ccz_count: int = 0
    ccix_count: int = 0
    measurement_count: int = 0

    @classmethod
    def from_json(cls, data) -> LogicalCounts:
        """The reference's ``logicalCounts`` object (numQubits required, the rest default to 0)."""
        if isinstance(data, dict) and "logicalCounts" in data and isinstance(data["logicalCounts"], dict):
            data = data["logicalCounts"]
        if not isinstance(data, dict):
            raise ModelError("logical counts must be a JSON object with numQubits, tCount, ...")
        unknown = sorted(set(data) - set(COUNT_FIELDS) - set(_EXTRA_FIELDS))
        if unknown:
            raise ModelError(f"logical counts: unknown field(s) {', '.join(unknown)} (known: {', '.join(COUNT_FIELDS)})")
        if "numQubits" not in data:
            raise ModelError("logical counts: numQubits is required")
        values = []
        for key in COUNT_FIELDS:
            v = data.get(key, 0)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v < _MAX_COUNT:
                raise ModelError(f"logical counts: {key} must be a non-negative integer below 2^53, got {v!r}")
            values.append(v)
        return cls(*values)

    def to_json(self) -> dict:
        return {name: getattr(self, f.name) for name, f in zip(COUNT_FIELDS, fields(self))}

    # ------------------------------------------------------------------ layout

    @property
    def logical_qubits(self) -> int:
        return 2 * self.num_qubits + int(math.ceil(math.sqrt(float(8 * self.num_qubits)))) + 1

    @property
    def c3(self) -> int:
        return self.ccz_count + self.ccix_count

    @property
    def has_t(self) -> bool:
        return self.t_count > 0 or self.c3 > 0 or self.rotation_count > 0

    def ts_per_rotation(self, eps_rotations: float) -> int | None:
        if self.rotation_count == 0:
            return None
        return int(math.ceil(0.53 * math.log2(float(self.rotation_count) / eps_rotations) + 4.86))

    def logical_depth(self, eps_rotations: float) -> int:
        per_rot = self.ts_per_rotation(eps_rotations) or 0
        return (self.measurement_count + self.rotation_count + self.t_count) + 3 * self.c3 + per_rot * self.rotation_depth

    def num_t_states(self, eps_rotations: float) -> int:
        per_rot = self.ts_per_rotation(eps_rotations) or 0
        return 4 * self.c3 + self.t_count + per_rot * self.rotation_count


@dataclass(frozen=True, slots=True)
class ErrorBudget:
    logical: float
    tstates: float
    rotations: float

    def to_json(self) -> dict:
        return {"logical": self.logical, "tstates": self.tstates, "rotations": self.rotations}


def split_budget(spec, counts: LogicalCounts) -> ErrorBudget:
    """A total (number) or an explicit {logical, tStates, rotations} budget, as the reference splits it."""
    if spec is None:
        spec = 1e-3
    if isinstance(spec, bool):
        raise ModelError("errorBudget must be a number or {logical, tStates, rotations}")
    if isinstance(spec, (int, float)):
        total = float(spec)
        if not 0.0 < total < 1.0:
            raise ModelError(f"errorBudget must be between 0 and 1 (exclusive), got {spec}")
        if counts.has_t and counts.rotation_count > 0:
            return ErrorBudget(total / 3.0, total / 3.0, total / 3.0)
        if counts.has_t:
            return ErrorBudget(total / 2.0, total / 2.0, 0.0)
        return ErrorBudget(total, 0.0, 0.0)
    if not isinstance(spec, dict) or set(spec) != {"logical", "tStates", "rotations"}:
        raise ModelError("errorBudget as an object needs exactly logical, tStates and rotations")
    parts = []
    for key in ("logical", "tStates", "rotations"):
        v = spec[key]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ModelError(f"errorBudget.{key} must be a number, got {v!r}")
        parts.append(float(v))
    logical, tstates, rotations = parts
    if logical + tstates + rotations >= 1.0:
        raise ModelError(f"errorBudget parts add up to {logical + tstates + rotations}, which must be below 1")
    if logical <= 0.0:
        raise ModelError("errorBudget.logical must be positive")
    if tstates < 0.0 or (counts.has_t and tstates == 0.0):
        raise ModelError("errorBudget.tStates must be positive for a program with T states")
    if rotations < 0.0 or (counts.rotation_count > 0 and rotations == 0.0):
        raise ModelError("errorBudget.rotations must be positive for a program with rotations")
    return ErrorBudget(logical, tstates, rotations)

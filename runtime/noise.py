"""Noise models: logical Pauli faults from each qubit's QEC profile, or plain depolarizing noise.

``logical`` uses the logical error model of the reference estimator (Beverland et al., arXiv:2211.07629,
as read from the Azure Quantum Resource Estimator in /work/shared/reference/qre-model.md section 4.2):

    P_L(d) = a * (p / p_th) ** ((d + 1) // 2)          per logical qubit per logical cycle

with integer division in the exponent, as the estimator does. Each logical operation is taken to last one
logical cycle, so every qubit an operation touches suffers, with probability P_L, a Pauli fault drawn
uniformly from X, Y, Z (after a gate or preparation, before a measurement). Idle qubits get no faults.

Constants (a = crossing prefactor, p_th = threshold):

* ``surface_code``: a = 0.03, p_th = 0.01 — the estimator's gate-based surface code.
* ``floquet_code``: a = 0.07, p_th = 0.01 — the estimator's Floquet code (it defines it for Majorana
  qubits only; here it is applied to whatever p is given).
* ``color_code``, ``bacon_shor``, ``shyps``: no reference-estimator constants exist. They use the surface
  code's a = 0.03, p_th = 0.01 as a stated approximation, so that a profile naming them still runs; do
  not read their logical rates as predictions.

``depolarizing:p`` applies the same uniform X/Y/Z fault with probability p to every qubit of every
operation, regardless of profile, for physical-level studies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from qmk.diagnostics import UsageError
from qmk.profile import DEFAULT_PROFILE, ProfileError, parse_profile

# family -> (a, p_th, where the numbers come from)
CONSTANTS: dict[str, tuple[float, float, str]] = {
    "surface_code": (0.03, 0.01, "reference estimator, surface_code gate-based"),
    "floquet_code": (0.07, 0.01, "reference estimator, floquet_code"),
    "color_code": (0.03, 0.01, "approximation: surface-code constants"),
    "bacon_shor": (0.03, 0.01, "approximation: surface-code constants"),
    "shyps": (0.03, 0.01, "approximation: surface-code constants"),
}

DEFAULT_PHYSICAL_ERROR_RATE = 1e-3  # qubit_gate_ns_e3


def logical_error_rate(family: str, distance: int, p: float) -> float:
    """P_L = a (p/p_th)^((d+1)//2); p must be below the threshold."""
    a, p_th, _src = CONSTANTS[family]
    if not 0 <= p < p_th:
        raise UsageError(
            f"physical error rate {p} is not below the {family} threshold {p_th}; the logical model does not apply"
        )
    return a * (p / p_th) ** ((distance + 1) // 2)


@dataclass
class NoiseModel:
    """Per-qubit fault probabilities; ``rate(profile)`` is the probability of a fault per operation."""

    kind: str  # "logical" | "depolarizing"
    p: float
    _cache: dict = field(default_factory=dict, repr=False)

    def rate(self, profile: str | None) -> float:
        if self.kind == "depolarizing":
            return self.p
        key = profile or DEFAULT_PROFILE
        r = self._cache.get(key)
        if r is None:
            try:
                prof = parse_profile(key)
            except ProfileError as e:
                raise UsageError(f"cannot derive logical noise: {e}") from None
            r = logical_error_rate(prof.family, prof.distance, self.p)
            self._cache[key] = r
        return r

    def describe(self) -> str:
        if self.kind == "depolarizing":
            return f"depolarizing:{self.p!r}"
        return f"logical(p={self.p!r})"


def parse_noise(spec: str | None, physical_error_rate: float | None = None) -> NoiseModel | None:
    """``None``/``none`` -> no noise; ``logical``; ``depolarizing:P``."""
    if spec is None or spec.strip().lower() in ("", "none", "off"):
        if physical_error_rate is not None:
            raise UsageError("--physical-error-rate needs --noise logical")
        return None
    s = spec.strip().lower()
    if s == "logical":
        p = DEFAULT_PHYSICAL_ERROR_RATE if physical_error_rate is None else float(physical_error_rate)
        if not math.isfinite(p) or p < 0:
            raise UsageError(f"physical error rate must be a non-negative number, got {p}")
        return NoiseModel("logical", p)
    if s.startswith("depolarizing:"):
        raw = s.split(":", 1)[1]
        try:
            p = float(raw)
        except ValueError:
            raise UsageError(f"'{raw}' is not a probability (use e.g. depolarizing:0.001)") from None
        if not (math.isfinite(p) and 0 <= p <= 1):
            raise UsageError(f"depolarizing probability must lie in [0, 1], got {raw}")
        if physical_error_rate is not None:
            raise UsageError("--physical-error-rate applies to --noise logical only")
        return NoiseModel("depolarizing", p)
    raise UsageError(f"unknown noise model '{spec}' (use none, logical or depolarizing:P)")

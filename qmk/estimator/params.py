"""Job parameters: the reference's JSON shape (one object or a list = batch) and the seed's config shape.

Reference shape: ``{qubitParams, qecScheme, errorBudget, constraints, distillationUnitSpecifications,
estimateType}``, every key optional. The seed's shape (``qec_scheme`` with ``code_family``,
``code_distance``, ``logical_cycle_time_us``, ``physical_qubit_count``; ``error_budget`` holding
*physical* error rates; a ``decoder`` block) is translated: the code family names the scheme, the cycle
time and qubit count given at one distance become formulas scaled like the surface code's (time linear,
qubits quadratic in d), the physical rates make a custom gate-based qubit on top of qubit_gate_ns_e3, and
the decoder block is kept for the record only (the threshold model has no decoder term).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .layout import LogicalCounts, split_budget
from .physical import Config
from .qec import scheme_from_json
from .qubits import ModelError, parse_time, qubit_from_json
from .units import DEFAULT_TEMPLATES, template_from_json

_JOB_KEYS = {"qubitParams", "qecScheme", "errorBudget", "constraints", "distillationUnitSpecifications",
             "estimateType", "profiling"}
_SEED_KEYS = {"qec_scheme", "error_budget", "decoder"}
_CONSTRAINT_KEYS = {"logicalDepthFactor", "maxTFactories", "maxDuration", "maxPhysicalQubits", "maxDistillationRounds"}


@dataclass(slots=True)
class Job:
    raw: dict  # the reference-shaped params (after translating the seed shape)
    qubit: object
    scheme: object
    config: Config
    estimate_type: str
    seed: dict | None = None

    def budget(self, counts: LogicalCounts):
        return split_budget(self.raw.get("errorBudget"), counts)

    def job_params_json(self) -> dict:
        """jobParams as the reference reports them: everything resolved."""
        out = {
            "qecScheme": self.scheme.to_json(),
            "errorBudget": self.raw.get("errorBudget", 1e-3),
            "qubitParams": self.qubit.to_json(),
            "constraints": _constraints_json(self.config),
            "estimateType": self.estimate_type,
        }
        if self.raw.get("distillationUnitSpecifications"):
            out["distillationUnitSpecifications"] = self.raw["distillationUnitSpecifications"]
        if self.seed is not None:
            out["seedConfig"] = self.seed
        return out


def _constraints_json(c: Config) -> dict:
    out: dict = {}
    if c.logical_depth_factor is not None:
        out["logicalDepthFactor"] = c.logical_depth_factor
    if c.max_t_factories is not None:
        out["maxTFactories"] = c.max_t_factories
    if c.max_duration is not None:
        out["maxDuration"] = f"{c.max_duration} ns"
    if c.max_physical_qubits is not None:
        out["maxPhysicalQubits"] = c.max_physical_qubits
    out["maxDistillationRounds"] = c.max_rounds
    return out


def _int(v, what: str, lo: int, hi: int) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
        raise ModelError(f"{what} must be an integer from {lo} to {hi}, got {v!r}")
    return v


def translate_seed(cfg: dict) -> dict:
    """The seed's configuration shape as reference-shaped job parameters."""
    job: dict = {}
    qec = cfg.get("qec_scheme") or {}
    if not isinstance(qec, dict):
        raise ModelError("qec_scheme must be an object")
    fam = qec.get("code_family", "surface_code")
    scheme: dict = {"name": fam}
    d0 = qec.get("code_distance")
    if d0 is not None:
        d0 = _int(d0, "qec_scheme.code_distance", 1, 10_000)
        if qec.get("logical_cycle_time_us") is not None:
            t = float(qec["logical_cycle_time_us"]) * 1000.0
            if not (math.isfinite(t) and t > 0):
                raise ModelError("qec_scheme.logical_cycle_time_us must be positive")
            scheme["logicalCycleTime"] = f"{t!r} * codeDistance / {d0}"
        if qec.get("physical_qubit_count") is not None:
            n = _int(qec["physical_qubit_count"], "qec_scheme.physical_qubit_count", 1, 10**12)
            scheme["physicalQubitsPerLogicalQubit"] = f"{n} * codeDistance * codeDistance / {d0 * d0}"
    job["qecScheme"] = scheme
    eb = cfg.get("error_budget")
    if isinstance(eb, (int, float)) and not isinstance(eb, bool):
        job["errorBudget"] = eb
    elif isinstance(eb, dict):
        qubit = {"name": "qubit_gate_ns_e3", "instructionSet": "GateBased"}
        gate = eb.get("physical_gate_error_rate")
        if gate is not None:
            qubit.update(oneQubitGateErrorRate=gate, twoQubitGateErrorRate=gate, tGateErrorRate=gate)
        if eb.get("measurement_error_rate") is not None:
            qubit["oneQubitMeasurementErrorRate"] = eb["measurement_error_rate"]
        if eb.get("idle_error_rate") is not None:
            qubit["idleErrorRate"] = eb["idle_error_rate"]
        job["qubitParams"] = qubit
        if eb.get("total") is not None:
            job["errorBudget"] = eb["total"]
    elif eb is not None:
        raise ModelError("error_budget must be a number or an object of physical error rates")
    return job


def job_from_json(spec: dict | None, *, factory_search: str = "reference") -> Job:
    spec = dict(spec or {})
    seed = None
    if set(spec) & _SEED_KEYS and not set(spec) & _JOB_KEYS:
        seed = spec
        spec = translate_seed(spec)
    unknown = sorted(set(spec) - _JOB_KEYS)
    if unknown:
        raise ModelError(f"job parameters: unknown field(s) {', '.join(unknown)} (known: {', '.join(sorted(_JOB_KEYS))})")
    qubit = qubit_from_json(spec.get("qubitParams"))
    scheme = scheme_from_json(spec.get("qecScheme"), qubit)
    cons = spec.get("constraints") or {}
    if not isinstance(cons, dict):
        raise ModelError("constraints must be an object")
    bad = sorted(set(cons) - _CONSTRAINT_KEYS)
    if bad:
        raise ModelError(f"constraints: unknown field(s) {', '.join(bad)}")
    ldf = cons.get("logicalDepthFactor")
    if ldf is not None and (isinstance(ldf, bool) or not isinstance(ldf, (int, float)) or not math.isfinite(ldf)):
        raise ModelError("constraints.logicalDepthFactor must be a number")
    units = spec.get("distillationUnitSpecifications") or []
    if not isinstance(units, list):
        raise ModelError("distillationUnitSpecifications must be a list")
    templates = tuple(template_from_json(u) for u in units) or DEFAULT_TEMPLATES
    est = spec.get("estimateType", "singlePoint")
    if est not in ("singlePoint", "frontier"):
        raise ModelError(f"estimateType must be singlePoint or frontier, got {est!r}")
    config = Config(
        qubit=qubit,
        scheme=scheme,
        templates=templates,
        max_rounds=_int(cons.get("maxDistillationRounds", 3), "constraints.maxDistillationRounds", 1, 10),
        logical_depth_factor=float(ldf) if ldf is not None else None,
        max_t_factories=_int(cons["maxTFactories"], "constraints.maxTFactories", 0, 2**63)
        if cons.get("maxTFactories") is not None else None,
        max_duration=parse_time(cons["maxDuration"], "constraints.maxDuration") if cons.get("maxDuration") is not None else None,
        max_physical_qubits=_int(cons["maxPhysicalQubits"], "constraints.maxPhysicalQubits", 1, 2**63)
        if cons.get("maxPhysicalQubits") is not None else None,
        factory_search=factory_search,
    )
    if est == "frontier" and (config.max_duration or config.max_physical_qubits or config.max_t_factories is not None):
        raise ModelError("constraints (maxDuration, maxPhysicalQubits, maxTFactories) cannot be used with a frontier estimate")
    return Job(spec, qubit, scheme, config, est, seed)

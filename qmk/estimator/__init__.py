"""Fault-tolerant resource estimation with the reference estimator's model and numbers.

``estimate(counts, params)`` takes logical counts (a :class:`LogicalCounts` or the reference's
``logicalCounts`` JSON object) and job parameters in the reference's shape (one object or a list for a
batch) and returns one result dict per job, with the reference's raw field names and units. A job that
cannot be estimated gives ``{"status": "error", "code": ..., "message": ...}`` in its place, as the
reference does within a batch. Counting a QVM program is :func:`qmk.estimator.counts.count_program`.
"""

from __future__ import annotations

from .layout import ErrorBudget, LogicalCounts, split_budget
from .qubits import PRESETS, ModelError

__all__ = ["PRESETS", "ErrorBudget", "LogicalCounts", "ModelError", "estimate", "estimate_one", "split_budget"]


def estimate_one(counts: LogicalCounts, spec: dict | None, *, factory_search: str = "reference") -> dict:
    """One job; raises ModelError (or QuantileError/SearchError) when it cannot be estimated."""
    from .params import job_from_json
    from .physical import Estimator
    from .report import exhaustive_savings, frontier_json, result_json

    job = job_from_json(spec, factory_search=factory_search)
    est = Estimator(job.config, counts, job.budget(counts))
    if job.estimate_type == "frontier":
        return frontier_json(job, est.frontier())
    r = est.estimate()
    out = result_json(job, r)
    if factory_search == "exhaustive":
        out["exhaustiveSearch"] = exhaustive_savings(job, est, r)
    return out


def estimate(counts, params=None, *, factory_search: str = "reference") -> list[dict]:
    """Estimate for every job in ``params`` (None, one object, or a list of objects)."""
    from .quantile import QuantileError
    from .search import SearchError

    if not isinstance(counts, LogicalCounts):
        counts = LogicalCounts.from_json(counts)
    jobs = params if isinstance(params, list) else [params]
    out = []
    for spec in jobs:
        try:
            out.append(estimate_one(counts, spec, factory_search=factory_search))
        except (ModelError, QuantileError, SearchError) as e:
            out.append({"status": "error", "code": type(e).__name__, "message": str(e)})
    return out

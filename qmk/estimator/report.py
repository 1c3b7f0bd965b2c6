"""Results as the reference's raw JSON (field names and units), and as a rich table for people."""

from __future__ import annotations

from .params import Job
from .physical import Estimator, Result


def physical_counts(r: Result) -> dict:
    return {
        "physicalQubits": r.physical_qubits,
        "runtime": r.runtime,
        "rqops": r.rqops,
        "breakdown": {
            "algorithmicLogicalQubits": r.counts.logical_qubits,
            "algorithmicLogicalDepth": r.algorithmic_depth,
            "logicalDepth": r.num_cycles,
            "numTstates": r.num_t_states,
            "clockFrequency": 1e9 / float(r.patch.cycle_time),
            "numTfactories": r.copies,
            "numTfactoryRuns": r.runs,
            "physicalQubitsForTfactories": r.physical_qubits_for_factories,
            "physicalQubitsForAlgorithm": r.physical_qubits_for_algorithm,
            "requiredLogicalQubitErrorRate": r.required_rate,
            "requiredLogicalTstateErrorRate": r.required_t_rate,
            "numTsPerRotation": r.counts.ts_per_rotation(r.budget.rotations),
            "cliffordErrorRate": r.clifford_error_rate,
        },
    }


def logical_qubit(r: Result) -> dict:
    p = r.patch
    return {"codeDistance": p.code_distance, "physicalQubits": p.physical_qubits,
            "logicalCycleTime": p.cycle_time, "logicalErrorRate": p.error_rate}


def result_json(job: Job, r: Result) -> dict:
    out = {
        "status": "success",
        "jobParams": job.job_params_json(),
        "physicalCounts": physical_counts(r),
        "logicalQubit": logical_qubit(r),
    }
    if r.factory is not None:
        out["tfactory"] = r.factory.to_json()
    out["errorBudget"] = r.budget.to_json()
    out["logicalCounts"] = r.counts.to_json()
    return out


def frontier_json(job: Job, results: list[Result]) -> dict:
    entries = []
    for r in results:
        e = {"logicalQubit": logical_qubit(r), "tfactory": r.factory.to_json() if r.factory else None,
             "errorBudget": {"logical": r.budget.logical, "magic_states": r.budget.tstates,
                             "rotations": r.budget.rotations},
             "physicalCounts": physical_counts(r)}
        entries.append(e)
    return {"status": "success", "jobParams": job.job_params_json(),
            "logicalCounts": results[0].counts.to_json() if results else None, "frontierEntries": entries}


def exhaustive_savings(job: Job, est: Estimator, r: Result) -> dict | None:
    """With --factory-search exhaustive: what the reference's pruned search would have picked."""
    if r.factory is None:
        return None
    from dataclasses import replace

    ref_cfg = replace(est.cfg, factory_search="reference")
    ref = Estimator(ref_cfg, est.counts, est.budget).estimate()
    return {
        "referencePhysicalQubits": ref.physical_qubits,
        "referenceRuntime": ref.runtime,
        "referenceFactoryPhysicalQubits": ref.factory.physical_qubits if ref.factory else 0,
        "physicalQubitsSaved": ref.physical_qubits - r.physical_qubits,
        "runtimeSaved": ref.runtime - r.runtime,
    }


def fmt_time(ns: float) -> str:
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:g} ns"


def fmt_int(n: int) -> str:
    return f"{n:,}"


def summary_rows(d: dict) -> list[tuple[str, str]]:
    pc, b = d["physicalCounts"], d["physicalCounts"]["breakdown"]
    lq, jp = d["logicalQubit"], d["jobParams"]
    rows = [
        ("qubit / scheme", f"{jp['qubitParams']['name'] or 'custom'} / {jp['qecScheme']['name']}"),
        ("physical qubits", fmt_int(pc["physicalQubits"])),
        ("runtime", fmt_time(pc["runtime"])),
        ("rQOPS", fmt_int(pc["rqops"])),
        ("code distance", str(lq["codeDistance"])),
        ("logical cycle time", fmt_time(lq["logicalCycleTime"])),
        ("algorithmic logical qubits", fmt_int(b["algorithmicLogicalQubits"])),
        ("logical depth (algorithmic)", f"{fmt_int(b['logicalDepth'])} ({fmt_int(b['algorithmicLogicalDepth'])})"),
        ("T states", fmt_int(b["numTstates"])),
        ("T factories x runs", f"{b['numTfactories']} x {b['numTfactoryRuns']}"),
        ("qubits: algorithm / factories", f"{fmt_int(b['physicalQubitsForAlgorithm'])} / {fmt_int(b['physicalQubitsForTfactories'])}"),
    ]
    tf = d.get("tfactory")
    if tf:
        rounds = ", ".join(f"{n}x {u} @d={c}" for n, u, c in zip(tf["numUnitsPerRound"], tf["unitNamePerRound"], tf["codeDistancePerRound"]))
        rows.append(("T factory", f"{fmt_int(tf['physicalQubits'])} qubits, {fmt_time(tf['runtime'])}: {rounds}"))
    eb = d["errorBudget"]
    rows.append(("error budget (logical / T / rot.)", f"{eb['logical']:.3g} / {eb['tstates']:.3g} / {eb['rotations']:.3g}"))
    if d.get("exhaustiveSearch"):
        s = d["exhaustiveSearch"]
        rows.append(("exhaustive factory search saves", f"{fmt_int(s['physicalQubitsSaved'])} qubits, {fmt_time(s['runtimeSaved'])}"))
    return rows


def render_table(d: dict, console) -> None:
    from rich.table import Table

    if "frontierEntries" in d:
        t = Table(title="Frontier: runtime against physical qubits")
        for col in ("physical qubits", "runtime", "code distance", "T factories", "factory runs"):
            t.add_column(col, justify="right")
        for e in d["frontierEntries"]:
            pc = e["physicalCounts"]
            t.add_row(fmt_int(pc["physicalQubits"]), fmt_time(pc["runtime"]), str(e["logicalQubit"]["codeDistance"]),
                      str(pc["breakdown"]["numTfactories"]), str(pc["breakdown"]["numTfactoryRuns"]))
        console.print(t)
        return
    t = Table(title="Resource estimate", show_header=False)
    t.add_column("quantity", style="bold")
    t.add_column("value")
    for k, v in summary_rows(d):
        t.add_row(k, v)
    console.print(t)


def render_compare(rows: list[dict], console) -> None:
    from rich.table import Table

    t = Table(title="Comparison across qubits and QEC schemes")
    for col in ("qubit", "scheme", "physical qubits", "runtime", "d", "factories", "rQOPS", "note"):
        t.add_column(col, justify="left" if col in ("qubit", "scheme", "note") else "right")
    for r in rows:
        if r.get("status") != "success":
            t.add_row(r["qubit"], r["scheme"], "-", "-", "-", "-", "-", r.get("message", "error"))
            continue
        pc = r["physicalCounts"]
        t.add_row(r["qubit"], r["scheme"], fmt_int(pc["physicalQubits"]), fmt_time(pc["runtime"]),
                  str(r["logicalQubit"]["codeDistance"]), str(pc["breakdown"]["numTfactories"]), fmt_int(pc["rqops"]), "")
    console.print(t)

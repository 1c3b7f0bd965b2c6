"""qmk-estimate: fault-tolerant resource estimation with the Azure Quantum Resource Estimator's model.

Reads a QVM program (stdin by default), a QIR or OpenQASM file (lowered first), or logical counts
(--counts, or a counts JSON as input), and prints physical qubits, runtime, code distance and T
factories with the reference estimator's field names and units (--format json), or a table.
"""

from __future__ import annotations

import json
import os
import sys

import click

from . import common

EXAMPLES = """
\b
Examples:
  qmk-lower prog.ll | qmk-estimate --qubit-params qubit_gate_ns_e3
  qmk-estimate prog.ll --qubit-params qubit_maj_ns_e4 --qec-scheme floquet_code --format json
  qmk-estimate --counts counts.json --error-budget 0.01 --max-t-factories 10
  qmk-estimate --counts counts.json --params jobs.json      # a list of jobs is a batch
  qmk-estimate prog.qasm --frontier                        # runtime against physical qubits
  qmk-estimate prog.ll --compare                           # every preset and scheme in one table
  qmk-estimate prog.ll --factory-search exhaustive         # the truly smallest T factory

\b
Presets: qubit_gate_ns_e3 qubit_gate_ns_e4 qubit_gate_us_e3 qubit_gate_us_e4 qubit_maj_ns_e4
qubit_maj_ns_e6. Schemes: surface_code, floquet_code (Majorana), color_code, bacon_shor, shyps.
Exit codes: 0 success, 2 bad options, 3 bad input or an input that cannot be estimated, 4 I/O.
"""

_FAST_BYTES = 1 << 20  # QVM documents above this are counted from their bytes (same rules, same numbers)
_COMPARE_SCHEMES = ("surface_code", "floquet_code", "color_code", "bacon_shor", "shyps")


@click.command(help=__doc__ + EXAMPLES)
@common.input_argument
@common.output_option
@click.option("--counts", "counts_file", metavar="FILE", help="Logical counts JSON (the reference's logicalCounts fields).")
@click.option("--qubit-params", metavar="NAME|FILE", help="Qubit preset name or a qubitParams JSON file.")
@click.option("--qec-scheme", metavar="NAME|FILE", help="QEC scheme name or a qecScheme JSON file.")
@click.option("--error-budget", type=float, metavar="EPS", help="Total error budget (default 0.001).")
@click.option("--params", "params_file", metavar="FILE", help="Job parameters JSON (an object, or a list for a batch).")
@click.option("--max-t-factories", type=click.IntRange(min=0), metavar="N")
@click.option("--max-duration", metavar="TIME", help="Longest runtime, e.g. '1 s' or 5000000 (ns).")
@click.option("--max-physical-qubits", type=click.IntRange(min=1), metavar="N")
@click.option("--max-distillation-rounds", type=click.IntRange(min=1, max=10), metavar="N")
@click.option("--logical-depth-factor", type=float, metavar="F")
@click.option("--frontier", is_flag=True, help="Estimate the frontier of runtime against physical qubits.")
@click.option("--compare", is_flag=True, help="One table across every qubit preset and QEC scheme.")
@click.option("--factory-search", type=click.Choice(["reference", "exhaustive"]), default="reference",
              show_default=True, help="reference: the reference's pruned search (same numbers); "
              "exhaustive: every factory, reports what it saves.")
@click.option("--format", "fmt", type=click.Choice(["auto", "json", "table"]), default="auto", show_default=True,
              help="auto: a table on a terminal, JSON otherwise.")
@common.max_input_option
@common.version_option("qmk-estimate")
def cli(input, output, counts_file, qubit_params, qec_scheme, error_budget, params_file, max_t_factories,
        max_duration, max_physical_qubits, max_distillation_rounds, logical_depth_factor, frontier, compare,
        factory_search, fmt, max_input_bytes):
    from ..estimator import estimate

    jobs = _jobs(params_file, qubit_params, qec_scheme, error_budget, max_t_factories, max_duration,
                 max_physical_qubits, max_distillation_rounds, logical_depth_factor, frontier, compare)
    if not compare:  # in a comparison, a combination that does not work is a row that says so
        _validate(jobs, from_file=bool(params_file))
    counts = _counts(input, counts_file, max_input_bytes)
    results = estimate(counts, jobs, factory_search=factory_search)
    if fmt == "auto":
        fmt = "table" if output in (None, "-") and sys.stdout.isatty() else "json"
    failed = [r for r in results if r.get("status") != "success"]
    if fmt == "json":
        doc = results[0] if len(results) == 1 and not isinstance(jobs, list) else results
        common.write_output(json.dumps(doc, indent=2) + "\n", output)
    else:
        _tables(results, jobs, compare, output)
    if not compare:
        for r in failed:
            common.error(f"cannot estimate: {r.get('message')}")
    return common.EXIT_INPUT if failed and len(failed) == len(results) else common.EXIT_OK


def _tables(results, jobs, compare, output) -> None:
    from io import StringIO

    from rich.console import Console

    from ..estimator.report import render_compare, render_table

    to_file = output not in (None, "-")
    buf = StringIO() if to_file else None
    con = Console(file=buf or sys.stdout, width=140 if compare else 100, highlight=False,
                  force_terminal=False if to_file else None)
    if compare:
        rows = []
        for job, r in zip(jobs, results):
            rows.append({**r, "qubit": job["qubitParams"]["name"], "scheme": job["qecScheme"]["name"]})
        render_compare(rows, con)
    else:
        for r in results:
            if r.get("status") == "success":
                render_table(r, con)
    if to_file:
        common.write_output(buf.getvalue(), output)


def _validate(jobs, *, from_file: bool) -> None:
    """Bad parameters are a usage error (exit 2) from options and an input error (exit 3) from a file."""
    from ..estimator import ModelError
    from ..estimator.params import job_from_json

    for job in jobs if isinstance(jobs, list) else [jobs]:
        try:
            job_from_json(job)
        except ModelError as e:
            if from_file:
                raise common.InputError(f"job parameters: {e}") from None
            raise common.UsageError(str(e)) from None


def _load_json_arg(value: str, what: str):
    """A NAME or a FILE: a path that exists is read as JSON; anything else is a name."""
    if os.path.exists(value):
        try:
            with open(value, "rb") as fh:
                return json.loads(fh.read())
        except (OSError, ValueError) as e:
            raise common.InputError(f"{value}: cannot read {what} JSON: {e}") from None
    if value.endswith(".json"):
        raise common.QmkIOError(f"{value}: no such file")
    return {"name": value}


def _jobs(params_file, qubit_params, qec_scheme, error_budget, max_t_factories, max_duration,
          max_physical_qubits, max_distillation_rounds, logical_depth_factor, frontier, compare):
    from ..estimator.qubits import PRESETS

    base: dict | list = {}
    if params_file:
        base = _load_json_arg(params_file, "job parameters")
        if not isinstance(base, (dict, list)) or (isinstance(base, list) and not all(isinstance(x, dict) for x in base)):
            raise common.InputError(f"{params_file}: job parameters must be an object or a list of objects")
    overrides: dict = {}
    if qubit_params:
        overrides["qubitParams"] = _load_json_arg(qubit_params, "qubitParams")
    if qec_scheme:
        overrides["qecScheme"] = _load_json_arg(qec_scheme, "qecScheme")
    if error_budget is not None:
        if not 0.0 < error_budget < 1.0:
            raise common.UsageError(f"--error-budget must be between 0 and 1, got {error_budget}")
        overrides["errorBudget"] = error_budget
    cons = {k: v for k, v in (("maxTFactories", max_t_factories), ("maxDuration", max_duration),
                               ("maxPhysicalQubits", max_physical_qubits),
                               ("maxDistillationRounds", max_distillation_rounds),
                               ("logicalDepthFactor", logical_depth_factor)) if v is not None}
    if frontier:
        overrides["estimateType"] = "frontier"

    def merge(job: dict) -> dict:
        job = {**job, **overrides}
        if cons:
            job["constraints"] = {**(job.get("constraints") or {}), **cons}
        return job

    if compare:
        if isinstance(base, list):
            raise common.UsageError("--compare takes one job, not a batch")
        job = merge(base)
        out = []
        for q in PRESETS:
            for s in _COMPARE_SCHEMES:
                majorana = "maj" in q
                if (s == "floquet_code" and not majorana) or (s not in ("surface_code", "floquet_code") and majorana):
                    continue
                out.append({**job, "qubitParams": {"name": q}, "qecScheme": {"name": s}})
        return out
    return [merge(j) for j in base] if isinstance(base, list) else merge(base)


def _counts(input, counts_file, max_input_bytes):
    from ..estimator import ModelError
    from ..estimator.counts import count_program

    if counts_file:
        if input not in (None, "-"):
            raise common.UsageError("give either an INPUT program or --counts, not both")
        data = common.read_input(counts_file, max_input_bytes)
        return _parse_counts(data, counts_file)
    name = common.display_name(input)
    data = common.read_input(input, max_input_bytes)
    head = data[:4096].lstrip()
    if head.startswith(b"{") and (b'"numQubits"' in head or b'"logicalCounts"' in head) and b'"nodes"' not in head:
        return _parse_counts(data, name)
    if head.startswith(b"["):
        raise common.InputError(f"{name}: expected a QVM document, a QIR/OpenQASM program or a logical counts "
                                "object, not a JSON list")
    if head.startswith(b"{") and len(data) > _FAST_BYTES:
        from ..estimator.fastcount import count_qvm_bytes

        fast = count_qvm_bytes(data)  # None when it cannot vouch for the input: then the full loader
        if fast is not None:
            return fast
    try:
        from ..frontends import lower_bytes
    except ImportError:
        lower_bytes = None
    if lower_bytes is not None:
        program = lower_bytes(data, name)
    else:
        from ..qvmjson import loads

        program = loads(data, name)
    try:
        return count_program(program)
    except (ModelError, ValueError) as e:
        raise common.InputError(f"{name}: {e}") from None


def _parse_counts(data: bytes, name: str):
    from ..estimator import LogicalCounts, ModelError

    try:
        doc = json.loads(data)
    except ValueError as e:
        raise common.InputError(f"{name}: not valid JSON: {e}") from None
    try:
        return LogicalCounts.from_json(doc)
    except ModelError as e:
        raise common.InputError(f"{name}: {e}") from None


main = common.entry_point(cli, "qmk-estimate")

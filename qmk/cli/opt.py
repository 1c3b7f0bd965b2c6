"""qmk-opt: run optimization and analysis passes over a QVM program, in the style of LLVM's opt."""

from __future__ import annotations

import click

from . import common

EXAMPLES = """
\b
Examples:
  qmk-lower prog.qasm | qmk-opt -O2 > prog.opt.qvm.json
  qmk-opt -p 'cancel-inverses,merge-rotations,fixpoint(cancel-inverses,merge-rotations)' prog.qvm.json
  qmk-opt -p 'lower-to<cx,rz,sx,x>' --stats prog.qvm.json
  qmk-opt -O3 --time-passes --print-after=phase-folding prog.qvm.json > /dev/null
  qmk-opt --print-passes

\b
Exit codes: 0 success, 1 the input fails verification, 2 usage (bad pipeline),
3 input is not a QVM document, 4 I/O error, 70 a pass produced an invalid program.
"""


@click.command(help=__doc__ + "\n\nReads QVM JSON (a file or stdin) and writes the optimized QVM to stdout. "
               "The verifier runs on the input and on the output unless --disable-verify.\n" + EXAMPLES)
@common.input_argument
@common.output_option
@click.option("-p", "--passes", "passes", default=None, metavar="PIPELINE",
              help="Pass pipeline, e.g. 'cancel-inverses,fixpoint(merge-rotations,cancel-inverses)'.")
@click.option("-O", "opt_level", type=click.Choice(["0", "1", "2", "3"]), default=None,
              help="Preset pipeline -O0..-O3 (see --print-pipeline); not with -p.")
@click.option("--disable-verify", is_flag=True, help="Do not verify the input and the output.")
@click.option("--verify-each", is_flag=True, help="Verify after every pass; stop at the first invalid result.")
@click.option("--print-after-all", is_flag=True, help="Print a listing after every pass (stderr).")
@click.option("--print-after", "print_after", multiple=True, metavar="NAME",
              help="Print a listing after each run of pass NAME (stderr); repeatable.")
@click.option("--time-passes", is_flag=True, help="Print the time spent in each pass (stderr).")
@click.option("--stats", is_flag=True, help="Print per-pass counters (gates and T removed) and counts (stderr).")
@click.option("--print-passes", is_flag=True, help="List the registered passes and exit.")
@click.option("--print-pipeline", is_flag=True, help="Print the pipeline that would run and exit.")
@click.option("--emit", type=click.Choice(["qvm", "ll", "bc"]), default="qvm", show_default=True,
              help="Output format: QVM JSON, or QIR (LLVM text or bitcode) through the QIR writer.")
@common.max_input_option
@common.diagnostics_options
@common.version_option("qmk-opt")
def cli(input, output, passes, opt_level, disable_verify, verify_each, print_after_all, print_after, time_passes,
        stats, print_passes, print_pipeline, emit, max_input_bytes, diagnostics_format, quiet):
    from ..passes import pipeline as pl
    from ..passes.registry import all_passes

    if passes is not None and opt_level is not None:
        raise common.UsageError("-O and -p are exclusive: a preset is a pipeline", notes=["pick one of them"])
    if print_passes:
        _print_passes(all_passes())
        return common.EXIT_OK
    text = passes if passes is not None else pl.PRESETS[opt_level or "0"]
    try:
        items = pl.parse(text)
    except pl.PipelineError as e:
        raise common.UsageError(str(e)) from None
    known = all_passes()
    for name in print_after:
        if name not in known:
            raise common.UsageError(f"--print-after: unknown pass {name!r}")
    if print_pipeline:
        click.echo(pl.pipeline_str(items))
        return common.EXIT_OK
    from ..qvmjson import loads

    name = common.display_name(input)
    data = common.read_input(input, max_input_bytes)
    common.refuse_non_qvm(data, name, "qmk-opt")
    program = loads(data, name)
    if not quiet:
        _note_first_compile(len(program.nodes))
    if not disable_verify:
        _verify(program, "input", diagnostics_format, quiet)
    result, ctx, hooks = _run(program, items, verify_each, print_after_all, set(print_after), diagnostics_format)
    if not disable_verify:
        _verify(result, "output", diagnostics_format, quiet)
    if stats:
        _print_stats(ctx, program, result)
    if time_passes:
        _print_times(hooks.times)
    common.write_output(_serialize(result, emit), output)
    return common.EXIT_OK


def _note_first_compile(n_nodes: int) -> None:
    """Say so when this run will compile the optimizer's kernels (once per installation), so a long first
    run is not mistaken for a hang."""
    from ..passes import kernel_cache
    from ..passes.packed import use_kernels

    if use_kernels(n_nodes) and kernel_cache.cold():
        common.info("qmk-opt: compiling the optimizer's kernels for this installation (once; about 30 s)")


def _run(program, items, verify_each, print_after_all, print_after, fmt):
    from ..passes import pipeline as pl
    from ..passes.registry import PassContext

    ctx = PassContext()

    def after(name, prog):
        if print_after_all or name in print_after:
            common.console().print(f"[bold]*** after {name} ***[/bold]")
            common.info(str(prog))
        if verify_each:
            _verify(prog, f"result of {name}", fmt, False, internal=True)

    hooks = pl.Hooks(after=after)
    try:
        result = pl.run(program, items, ctx, hooks)
    except ValueError as e:  # a pass refused its parameters (e.g. an unknown gate set)
        raise common.UsageError(str(e)) from None
    return result, ctx, hooks


def _verify(program, what, fmt, quiet, internal=False):
    from ..passes.verify import verify

    diags = verify(program)
    errs = [d for d in diags if d.is_error]
    if what == "input":
        common.emit_diagnostics(diags, fmt, quiet=quiet)
    if errs:
        if internal or what != "input":
            common.emit_diagnostics(errs, fmt)
            raise common.QmkError(f"the {what} fails verification: this is a bug in the pass",
                                  notes=["rerun with --verify-each to find the pass; --disable-verify skips this"])
        raise common.FindingsError(f"the input fails verification ({len(errs)} error(s)); nothing optimized",
                                   notes=["qmk-verify shows the findings; --disable-verify skips this check"])


def _serialize(program, emit):
    from ..qvmjson import dumps

    if emit == "qvm":
        return dumps(program)
    from ..frontends.emit_qir import to_bitcode, to_ll

    return to_ll(program).encode("utf-8") if emit == "ll" else to_bitcode(program)


def _print_passes(passes) -> None:
    from rich.table import Table

    table = Table(title="registered passes", title_justify="left")
    for col in ("pass", "kind", "parameters", "what it does"):
        table.add_column(col)
    for name in sorted(passes):
        info = passes[name]
        params = ", ".join(f"{k}={d!r}" for k, (_, d, _h) in info.params.items())
        table.add_row(name, info.kind, params, info.doc)
    common.console().print(table)


def _print_stats(ctx, before, after) -> None:
    from rich.table import Table

    from ..passes.counts import counts_of

    table = Table(title="statistics", title_justify="left")
    for col in ("pass", "counter", "value"):
        table.add_column(col)
    table.columns[2].justify = "right"
    for (p, what), v in sorted(ctx.stats.items()):
        table.add_row(p, what, str(v))
    con = common.console()
    con.print(table)
    a, b = counts_of(before), counts_of(after)
    for key in ("gates", "t_count", "two_qubit", "depth", "t_depth"):
        con.print(f"{key:>10}: {a[key]} -> {b[key]}")


def _print_times(times) -> None:
    from rich.table import Table

    table = Table(title="time per pass", title_justify="left")
    for col in ("pass", "runs", "seconds"):
        table.add_column(col)
    total = 0.0
    for name, (calls, secs) in sorted(times.items(), key=lambda kv: -kv[1][1]):
        table.add_row(name, str(calls), f"{secs:.4f}")
        total += secs
    table.add_row("total", "", f"{total:.4f}")
    common.console().print(table)


main = common.entry_point(cli, "qmk-opt")

"""qmk-verify: check a QVM program against every rule of the QVM specification."""

from __future__ import annotations

import click

from . import common

EXAMPLES = """
\b
Examples:
  qmk-verify prog.qvm.json                       # findings on stderr; graph on stdout if clean
  qmk-lower prog.ll | qmk-verify | qmk-opt -O2   # inside a pipeline
  qmk-verify --show-rev --listing prog.qvm.json > /dev/null
  qmk-verify --diagnostics-format json bad.qvm.json

\b
Exit codes: 0 verified, 1 findings (errors, or warnings with --strict),
2 usage, 3 input is not a QVM document, 4 I/O error.
"""


@click.command(help=__doc__ + "\n\nOn success the normalized graph is written to stdout, so the command can sit "
               "in a pipeline; with findings nothing is written to stdout.\n" + EXAMPLES)
@common.input_argument
@common.output_option
@click.option("--strict", is_flag=True, help="Treat warnings as errors.")
@click.option("--show-rev", is_flag=True, help="Print the maximal reversible (REV) segments on stderr.")
@click.option("--listing", is_flag=True, help="Print a readable listing of the program on stderr.")
@click.option("--max-qubits", type=click.IntRange(min=0), default=None, metavar="N",
              help="Warn (QMK501) when more than N qubits are live at once.")
@click.option("--max-nodes", type=click.IntRange(min=0), default=None, metavar="N", help="Warn above N nodes.")
@click.option("--max-events", type=click.IntRange(min=0), default=None, metavar="N", help="Warn above N events.")
@click.option("--max-channels", type=click.IntRange(min=0), default=None, metavar="N", help="Warn above N channels.")
@common.max_input_option
@common.diagnostics_options
@common.version_option("qmk-verify")
def cli(input, output, strict, show_rev, listing, max_qubits, max_nodes, max_events, max_channels,
        max_input_bytes, diagnostics_format, quiet):
    from ..qvmjson import dumps, loads
    from ..passes.verify import verify

    name = common.display_name(input)
    data = common.read_input(input, max_input_bytes)
    common.refuse_non_qvm(data, name, "qmk-verify")
    program = loads(data, name)
    diags = verify(program, max_qubits=max_qubits, max_nodes=max_nodes, max_events=max_events,
                   max_channels=max_channels)
    if strict:
        for d in diags:
            if d.severity == "warning":
                d.severity = "error"
    common.emit_diagnostics(diags, diagnostics_format, quiet=quiet)
    if listing:
        common.info(str(program))
    if show_rev:
        _print_rev(program)
    failed = [d for d in diags if d.is_error]
    if failed:
        if not quiet and diagnostics_format == "text":
            common.console().print(f"[red]{len(failed)} error(s)[/red]; nothing written to stdout")
        return common.EXIT_FINDINGS
    common.write_output(dumps(program), output)
    return common.EXIT_OK


def _print_rev(program) -> None:
    from rich.table import Table

    from ..passes.rev import rev_segments

    segs = rev_segments(program)
    table = Table(title=f"REV segments ({len(segs)})", title_justify="left")
    for col in ("#", "first node", "last node", "nodes", "qubits", "compute/uncompute pairs", "identity"):
        table.add_column(col)
    for i, s in enumerate(segs):
        qubits = ", ".join(s.qubits[:6]) + (" ..." if len(s.qubits) > 6 else "")
        table.add_row(str(i), s.nodes[0], s.nodes[-1], str(len(s.nodes)), qubits, str(s.mirrored),
                      "yes" if s.identity else "")
    common.console().print(table)


main = common.entry_point(cli, "qmk-verify")

if __name__ == "__main__":
    main()

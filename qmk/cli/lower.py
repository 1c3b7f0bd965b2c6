"""qmk-lower: lower QIR (bitcode, LLVM text, relaxed text) or OpenQASM 2 to QVM, or QVM back to QIR."""

from __future__ import annotations

import click

from . import common

EXAMPLES = """
\b
Examples:
  qmk-lower prog.bc > prog.qvm.json                # format detected from the content
  qmk-lower prog.ll | qmk-verify | qmk-opt -O2     # inside a pipeline
  qmk-lower --entry main2 --profile 'logical:surface_code(d=11)' multi.ll
  qmk-lower --emit ll prog.qvm.json > back.ll      # QVM (or anything) back to QIR
  cat bell.qasm | qmk-lower --from qasm -

\b
Exit codes: 0 lowered, 2 usage, 3 bad input (parse error, unknown gate, bad ids,
control flow that cannot be made static: run such QIR with qmk-run), 4 I/O error.
"""


@click.command(
    help=__doc__ + "\n\nInput formats are recognised by content: LLVM bitcode (raw or wrapped), "
    "LLVM text, relaxed QIR text, OpenQASM 2 and QVM JSON.\n" + EXAMPLES
)
@common.input_argument
@common.output_option
@click.option(
    "--from",
    "fmt",
    type=click.Choice(["bc", "ll", "qir", "qasm", "qvm"]),
    default=None,
    help="Input format (default: detected from the content).",
)
@click.option(
    "--emit",
    type=click.Choice(["qvm", "ll", "bc"]),
    default="qvm",
    show_default=True,
    help="Output: QVM JSON, QIR as LLVM text, or QIR bitcode.",
)
@click.option("--entry", default=None, metavar="NAME", help="Entry point when the module has several.")
@click.option(
    "--profile",
    default=None,
    metavar="PROFILE",
    help="QEC profile of the allocated qubits (default logical:surface_code(d=9)).",
)
@click.option(
    "--max-qubits",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    metavar="N",
    help="Refuse programs that use more logical qubits than this.",
)
@common.max_input_option
@common.diagnostics_options
@common.version_option("qmk-lower")
def cli(input, output, fmt, emit, entry, profile, max_qubits, max_input_bytes, diagnostics_format, quiet):
    from ..frontends import lower_bytes

    name = common.display_name(input)
    data = common.read_input(input, max_input_bytes)
    program = lower_bytes(data, name, fmt=fmt, entry=entry, profile=profile, max_qubits=max_qubits)
    if emit == "qvm":
        from ..qvmjson import dumps

        common.write_output(dumps(program), output)
        return common.EXIT_OK
    from ..frontends.emit_qir import to_bitcode, to_ll

    if emit == "ll":
        common.write_output(to_ll(program), output)
    else:
        if output in (None, "-") and _stdout_is_tty():
            raise common.UsageError("refusing to write bitcode to a terminal; use -o FILE or a pipe")
        common.write_output(to_bitcode(program), output)
    return common.EXIT_OK


def _stdout_is_tty() -> bool:
    import sys

    return sys.stdout.isatty()


main = common.entry_point(cli, "qmk-lower")

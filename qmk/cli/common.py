"""What every QMK command shares: options, stream I/O, diagnostics output, exit codes, the error boundary.

Exit codes: 0 success, 1 findings, 2 usage, 3 bad input (parse, schema, profile), 4 I/O,
70 internal error, 130 interrupted, 141 closed pipe. Data goes to stdout only; everything for people
goes to stderr. Tracebacks are shown only with ``QMK_DEBUG=1``.
"""

from __future__ import annotations

import os
import sys
from typing import Callable, Iterable

import click

from .. import __version__
from ..diagnostics import Diagnostic, FindingsError, InputError, QmkError, QmkIOError, UsageError

EXIT_OK, EXIT_FINDINGS, EXIT_USAGE, EXIT_INPUT, EXIT_IO, EXIT_INTERNAL = 0, 1, 2, 3, 4, 70

_console = None


def console():
    """The one rich console, on stderr."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _console


def debug() -> bool:
    return os.environ.get("QMK_DEBUG", "") not in ("", "0")


# ------------------------------------------------------------------------------------ options

def input_argument(f):
    return click.argument("input", required=False, default="-", metavar="[INPUT]")(f)


def output_option(f):
    return click.option(
        "-o", "--output", default="-", metavar="FILE", help="Write the result here (default: stdout)."
    )(f)


def diagnostics_options(f):
    f = click.option("-q", "--quiet", is_flag=True, help="Print errors only (no warnings or notes).")(f)
    f = click.option(
        "--diagnostics-format",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="How findings are printed on stderr; json prints one object per line.",
    )(f)
    return f


def max_input_option(f):
    return click.option(
        "--max-input-bytes",
        type=click.IntRange(min=1),
        default=None,
        metavar="N",
        help="Refuse inputs larger than N bytes (default 400 MiB, or QMK_MAX_INPUT_BYTES).",
    )(f)


def version_option(prog: str):
    return click.version_option(__version__, "--version", prog_name=prog, message="%(prog)s %(version)s")


# ------------------------------------------------------------------------------------ I/O

def display_name(path: str | None) -> str:
    return "<stdin>" if path in (None, "-") else path


def read_input(path: str | None, max_bytes: int | None = None) -> bytes:
    """Read the whole input as bytes: a file path, or stdin for '-' / None."""
    from ..qvmjson import max_input_bytes, read_limited

    limit = max_bytes or max_input_bytes()
    if path in (None, "-"):
        if sys.stdin is None:
            raise QmkIOError("no standard input to read from")
        stream = getattr(sys.stdin, "buffer", sys.stdin)
        if hasattr(stream, "isatty") and stream.isatty():
            console().print("[dim]reading from stdin (Ctrl-D to end; pass a file name to read a file)[/dim]")
        data = read_limited(stream, limit, "<stdin>")
        _stdin_data[0] = data  # kept so diagnostics can quote source lines from stdin
        return data
    try:
        if os.path.isdir(path):
            raise QmkIOError(f"{path}: is a directory")
        size = os.path.getsize(path)
        if size > limit:
            raise InputError.from_diag(
                Diagnostic(
                    "QMK003",
                    f"{path}: input is {size / 2**20:.1f} MiB, larger than the {limit / 2**20:.1f} MiB limit",
                    notes=["raise the limit with --max-input-bytes or QMK_MAX_INPUT_BYTES"],
                )
            )
        with open(path, "rb") as fh:
            if os.path.isfile(path):  # size known: one read, no chunk list and no second copy
                data = fh.read(limit + 1)
                if len(data) <= limit:
                    return data
                fh.seek(0)
            return read_limited(fh, limit, path)
    except OSError as e:
        raise QmkIOError(f"{path}: {e.strerror or e}") from None


def refuse_non_qvm(data: bytes, name: str, command: str) -> None:
    """Exit 3 with a pointer to qmk-lower when a command that reads QVM is given QIR or OpenQASM."""
    head = data[:64].lstrip()
    if data[:4] in (b"BC\xc0\xde", b"\xde\xc0\x17\x0b") or head.startswith(
        (b"OPENQASM", b"define", b"; ModuleID", b"%", b"declare", b"source_filename")
    ):
        raise InputError(
            f"{name}: this is QIR or OpenQASM; {command} reads QVM",
            notes=[f"lower it first: qmk-lower FILE | {command}"],
        )


def write_output(data: bytes | str, path: str | None = "-") -> None:
    """Write data to a file or to stdout ('-')."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if path in (None, "-"):
        out = sys.stdout.buffer
        out.write(data)
        out.flush()
        return
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise QmkIOError(f"{path}: {e.strerror or e}") from None


# ------------------------------------------------------------------------------------ diagnostics

_source_cache: dict[str, list[str] | None] = {}
_stdin_data: list[bytes | None] = [None]


def _source_line(file: str, line: int, sources: dict | None) -> str | None:
    if sources and file in sources:
        text = sources[file]
        lines = text.splitlines() if isinstance(text, str) else None
    else:
        if file == "<stdin>" and file not in _source_cache and _stdin_data[0] is not None:
            _source_cache[file] = _stdin_data[0].decode("utf-8", "replace").splitlines()
        if file not in _source_cache:
            try:
                if os.path.getsize(file) > 64 * 2**20:
                    raise OSError
                with open(file, "rb") as fh:
                    _source_cache[file] = fh.read().decode("utf-8", "replace").splitlines()
            except OSError:
                _source_cache[file] = None
        lines = _source_cache[file]
    if lines is None or not (1 <= line <= len(lines)):
        return None
    return lines[line - 1]


def emit_diagnostics(
    diags: Iterable[Diagnostic], fmt: str = "text", *, quiet: bool = False, sources: dict | None = None
) -> None:
    """Print diagnostics on stderr, compiler style (text) or one JSON object per line."""
    diags = [d for d in diags if not quiet or d.is_error]
    if not diags:
        return
    if fmt == "json":
        import json

        for d in diags:
            sys.stderr.write(json.dumps(d.to_json()) + "\n")
        sys.stderr.flush()
        return
    from rich.markup import escape

    con = console()
    colors = {"error": "bold red", "warning": "bold yellow", "note": "bold cyan"}
    for d in diags:
        where = f"{d.loc}: " if d.loc else ""
        node = f" [dim](node '{escape(d.node)}')[/dim]" if d.node is not None else ""
        con.print(
            f"[bold]{escape(where)}[/bold][{colors.get(d.severity, 'bold')}]{d.severity}[{d.code}][/]: "
            f"{escape(d.message)}{node}".replace("[" + d.code + "]", "\\[" + d.code + "]")
        )
        if d.loc and d.loc.line:
            src = _source_line(d.loc.file, d.loc.line, sources)
            if src is not None:
                con.print("  " + escape(src.expandtabs(4)))
                if d.loc.col:
                    col = len(src[: d.loc.col - 1].expandtabs(4))
                    con.print("  " + " " * col + "[bold green]^[/bold green]")
        for note in d.notes:
            con.print(f"[bold cyan]note[/bold cyan]: {escape(note)}")


def error(message: str, notes: Iterable[str] = ()) -> None:
    from rich.markup import escape

    con = console()
    con.print(f"[bold red]error[/bold red]: {escape(message)}")
    for n in notes:
        con.print(f"[bold cyan]note[/bold cyan]: {escape(n)}")


def warn(message: str) -> None:
    from rich.markup import escape

    console().print(f"[bold yellow]warning[/bold yellow]: {escape(message)}")


def info(message: str) -> None:
    from rich.markup import escape

    console().print(escape(message))


# ------------------------------------------------------------------------------------ the boundary

def _report(e: QmkError, fmt: str) -> None:
    if e.diagnostics:
        emit_diagnostics(e.diagnostics, fmt)
        if e.notes:
            for n in e.notes:
                console().print(f"[bold cyan]note[/bold cyan]: {n}")
    else:
        error(e.message, e.notes)


def _quiet_stdout() -> None:
    # After EPIPE, point stdout at /dev/null so the interpreter's final flush stays quiet.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def entry_point(cmd: click.Command, prog: str) -> Callable[[list[str] | None], None]:
    """Wrap a click command into a console-script main with QMK's error boundary and exit codes."""

    def main(argv: list[str] | None = None) -> None:
        fmt = "json" if _wants_json(argv) else "text"
        try:
            rv = cmd.main(args=argv, prog_name=prog, standalone_mode=False)
            code = rv if isinstance(rv, int) else 0
        except click.exceptions.Exit as e:
            code = e.exit_code
        except click.exceptions.Abort:
            console().print("[red]interrupted[/red]")
            code = 130
        except click.exceptions.ClickException as e:
            e.show()
            code = EXIT_USAGE if isinstance(e, click.exceptions.UsageError) else e.exit_code
        except BrokenPipeError:
            _quiet_stdout()
            code = 141
        except KeyboardInterrupt:
            console().print("[red]interrupted[/red]")
            code = 130
        except QmkError as e:
            if debug():
                import traceback

                traceback.print_exc()
            _report(e, fmt)
            code = e.exit_code
        except MemoryError:
            error("out of memory", ["the input needs more memory than this machine can give; try a smaller program"])
            code = EXIT_INTERNAL
        except RecursionError:
            error("input nested too deeply to process")
            code = EXIT_INPUT
        except Exception as e:  # the last line of defence: never a traceback for users
            if debug():
                import traceback

                traceback.print_exc()
            error(
                f"internal error: {type(e).__name__}: {e}",
                ["this is a bug in QMK; rerun with QMK_DEBUG=1 for a traceback and report it"],
            )
            code = EXIT_INTERNAL
        try:
            sys.stdout.flush()
        except BrokenPipeError:
            _quiet_stdout()
            code = code or 141
        except (OSError, ValueError):
            pass
        sys.exit(code)

    return main


def _wants_json(argv) -> bool:
    args = sys.argv[1:] if argv is None else argv
    for i, a in enumerate(args):
        if a == "--diagnostics-format=json" or (a == "--diagnostics-format" and args[i + 1 : i + 2] == ["json"]):
            return True
    return False


__all__ = [
    "EXIT_OK",
    "EXIT_FINDINGS",
    "EXIT_USAGE",
    "EXIT_INPUT",
    "EXIT_IO",
    "EXIT_INTERNAL",
    "FindingsError",
    "InputError",
    "QmkError",
    "QmkIOError",
    "UsageError",
    "console",
    "emit_diagnostics",
    "entry_point",
    "error",
    "info",
    "warn",
    "read_input",
    "write_output",
    "input_argument",
    "output_option",
    "diagnostics_options",
    "max_input_option",
    "version_option",
    "display_name",
]

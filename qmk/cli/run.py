"""qmk-run: run a program (QVM JSON, QIR bitcode or text, OpenQASM 2) on the bundled simulators."""

from __future__ import annotations

import re
import sys
import time

import click

from . import common

EXAMPLES = """
\b
Examples:
  qmk-run --shots 1000 --seed 7 bell.qvm.json          # counts as JSON (histogram on a terminal)
  qmk-lower prog.ll | qmk-opt -O2 | qmk-run --shots 10000 --seed 7
  qmk-run --format records rus.ll                       # per-shot START/OUTPUT/END lines like qir-runner
  qmk-run --noise logical --physical-error-rate 1e-3 prog.qvm.json
  qmk-run --engine stabilizer --shots 1000 big_clifford.qvm.json

\b
Exit codes: 0 ran, 2 usage, 3 bad input or over a resource limit, 4 I/O, 130 cancelled or timed out.
"""

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str | None) -> int | None:
    """'4G', '512M', '1000000' -> bytes (powers of 1024)."""
    if text is None:
        return None
    m = _SIZE.match(text)
    if not m:
        raise common.UsageError(f"--max-memory '{text}' is not a size such as 512M or 4G")
    return int(float(m.group(1)) * 1024 ** " KMGT".index(m.group(2).upper() or " "))


@click.command(help=__doc__ + "\n\nThe result (counts, records, JSON or the histogram) goes to stdout; progress "
               "and messages go to stderr.\n" + EXAMPLES)
@common.input_argument
@common.output_option
@click.option("--shots", type=click.IntRange(min=1, max=10**9), default=1000, show_default=True, help="Number of shots.")
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Seed: the same seed gives the same output.")
@click.option("--engine", type=click.Choice(["auto", "statevector", "stabilizer"]), default="auto", show_default=True,
              help="auto takes the stabilizer engine (stim) for Clifford programs.")
@click.option("--noise", default=None, metavar="MODEL", help="none (default), logical, or depolarizing:P.")
@click.option("--physical-error-rate", type=float, default=None, metavar="P",
              help="Physical error rate for --noise logical (default 1e-3).")
@click.option("--max-memory", default=None, metavar="SIZE", help="Refuse runs whose state needs more (e.g. 4G).")
@click.option("--precision", type=click.Choice(["complex128", "complex64"]), default="complex128", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["counts", "records", "json", "histogram"]), default=None,
              help="Output format (default: histogram on a terminal, counts otherwise).")
@click.option("--per-shot", is_flag=True, help="With --format json, include every shot.")
@click.option("--entry", default=None, metavar="NAME", help="QIR entry point (default: the entry_point attribute).")
@click.option("--max-steps", type=click.IntRange(min=1), default=10_000_000, show_default=True,
              help="Step budget per shot for QIR run directly.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None, metavar="SECONDS",
              help="Wall-time limit for the whole run.")
@click.option("--kernel", "kernel", default=None, metavar="PATH", help="Submit to a qmk-kernel at this socket.")
@common.max_input_option
@common.version_option("qmk-run")
def cli(input, output, shots, seed, engine, noise, physical_error_rate, max_memory, precision, fmt, per_shot,
        entry, max_steps, timeout, kernel, max_input_bytes):
    name = common.display_name(input)
    max_bytes = parse_size(max_memory)
    if fmt is None:
        fmt = "histogram" if sys.stdout.isatty() and output == "-" else "counts"
    data = common.read_input(input, max_input_bytes)
    keep = fmt == "records" or per_shot
    if kernel is not None:
        result = _kernel(kernel, data, shots, seed, keep)
    else:
        with _Progress() as bar:
            result = _run_local(data, name, shots=shots, seed=seed, engine=engine, noise=noise,
                                physical_error_rate=physical_error_rate, max_memory=max_bytes, precision=precision,
                                keep_shots=keep, entry=entry, max_steps=max_steps, timeout=timeout,
                                progress=bar.update)
    if fmt == "histogram":
        text = histogram(result.counts)
        if output == "-":
            sys.stdout.write(text)
        else:
            common.write_output(text, output)
        return common.EXIT_OK
    if fmt == "records":
        common.write_output(result.records(), output)
    elif fmt == "json":
        common.write_output(result.dumps_json(), output)
    else:
        common.write_output(result.dumps_counts(), output)
    return common.EXIT_OK


def _run_local(data: bytes, name: str, *, entry, max_steps, timeout, progress, **kw):
    import threading

    from qmk.runtime.errors import RunCancelled

    from ..diagnostics import UsageError

    program = _load(data, name, entry)
    cancel = threading.Event()
    # The QIR JIT enforces the wall-time limit itself (it kills its worker); QVM runs use this timer.
    timer = threading.Timer(timeout, cancel.set) if timeout and program is not None else None
    try:
        if timer is not None:
            timer.daemon = True
            timer.start()
        if program is None:  # QIR that cannot be made static: run it directly
            try:
                from qmk.runtime.qir_jit import run_qir
            except ImportError:
                raise UsageError(f"{name}: this QIR cannot be lowered statically and the QIR JIT is not installed")
            if kw.get("noise") or kw.get("engine") == "stabilizer":
                raise UsageError("QIR run directly uses the state-vector engine without noise; "
                                 "--noise and --engine stabilizer do not apply")
            return run_qir(data, name=name, shots=kw["shots"], seed=kw["seed"], entry=entry, max_steps=max_steps,
                           timeout=timeout, precision=kw["precision"], cancel=cancel, keep_shots=kw["keep_shots"],
                           max_memory=kw["max_memory"], progress=progress)
        from qmk.runtime.api import run

        try:
            return run(program, cancel=cancel, progress=progress, **kw)
        except RunCancelled:
            if cancel.is_set() and timeout:
                raise RunCancelled(f"the run exceeded the {timeout:g} s time limit") from None
            raise
    finally:
        if timer is not None:
            timer.cancel()


def _load(data: bytes, name: str, entry):
    """A Program, or None when the input is QIR that only the JIT can run."""
    try:
        from ..frontends import NotStaticError, lower_bytes
    except ImportError:
        from ..qvmjson import loads

        return loads(data, name)
    try:
        return lower_bytes(data, name, entry=entry)
    except NotStaticError as e:
        common.console().print(f"[dim]{name}: not static ({e.message}); running the QIR directly[/dim]")
        return None


def _kernel(path: str, data: bytes, shots: int, seed, keep_shots: bool):
    """Submit to a qmk-kernel and wait; the result prints exactly like an in-process run's."""
    from qmk.runtime.kernel.client import submit_and_wait
    from qmk.runtime.result import RunResult

    d = submit_and_wait(path, program_bytes=data, shots=shots, seed=seed, keep_shots=keep_shots)
    return RunResult.from_json(d)


def histogram(counts: dict[str, int], width: int = 40, limit: int = 32) -> str:
    """A bar chart of the counts (most frequent first, at most ``limit`` rows), rendered by rich."""
    import io

    from rich.console import Console
    from rich.table import Table

    total = sum(counts.values()) or 1
    rows = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    top = rows[0][1] if rows else 1
    table = Table(show_edge=False, box=None, pad_edge=False)
    table.add_column("outcome", style="bold")
    table.add_column("count", justify="right")
    table.add_column("p", justify="right")
    table.add_column("")
    for k, v in rows[:limit]:
        table.add_row(k or "(empty)", str(v), f"{v / total:.4f}", "[cyan]" + "█" * max(1, round(width * v / top)) + "[/]")
    if len(rows) > limit:
        table.add_row(f"... {len(rows) - limit} more", str(sum(v for _, v in rows[limit:])), "", "")
    buf = io.StringIO()
    Console(file=buf, force_terminal=sys.stdout.isatty(), width=100).print(table)
    return buf.getvalue()


class _Progress:
    """A rich progress bar on stderr, shown only once a run has taken more than a second."""

    def __init__(self) -> None:
        self.t0 = time.monotonic()
        self.bar = None
        self.task = None

    def update(self, done: int, total: int) -> None:
        if self.bar is None:
            if time.monotonic() - self.t0 < 1.0 or not sys.stderr.isatty() or done >= total:
                return
            from rich.progress import Progress

            self.bar = Progress(console=common.console(), transient=True)
            self.bar.start()
            self.task = self.bar.add_task("running", total=total)
        self.bar.update(self.task, completed=done, total=total)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


main = common.entry_point(cli, "qmk-run")

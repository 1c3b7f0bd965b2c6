"""``qmk-kernel``: run the QMK kernel (``serve``) and check its audit log (``audit verify``)."""

from __future__ import annotations

import click

from .common import EXIT_FINDINGS, EXIT_OK, console, entry_point, version_option

SERVE_EXAMPLE = """
\b
Example:
  qmk-kernel serve --socket /tmp/qmk.sock --state ~/.qmk-kernel --config tenants.toml
  qmk-run --kernel /tmp/qmk.sock bell.qvm.json --shots 100
"""


@click.group(help="The QMK kernel: many tenants run QVM jobs over the qSyscall ABI (JSON-RPC on a Unix socket)."
             "\n\n\b\nExamples:\n"
             "  qmk-kernel serve --socket /tmp/qmk.sock --state /tmp/qmk-state &\n"
             "  qmk-run --kernel /tmp/qmk.sock --shots 1000 --seed 7 examples/qvm/bell.qvm.json\n"
             "  qmk-kernel audit verify --state /tmp/qmk-state\n\n"
             "See docs/kernel.md and docs/qsyscall.md.")
@version_option("qmk-kernel")
def cli() -> None:
    pass


@cli.command(help="Run the kernel until SIGTERM (which drains running jobs)." + SERVE_EXAMPLE)
@click.option("--socket", "socket_path", required=True, metavar="PATH", help="Unix socket to listen on.")
@click.option("--state", "state_dir", required=True, metavar="DIR",
              help="State directory: job store, kernel key, audit log (created owner-only).")
@click.option("--config", "config_path", default=None, metavar="FILE",
              help="Tenants and settings (TOML). Default: one tenant 'local' for this Unix user.")
@click.option("--workers", type=click.IntRange(min=1), default=None, help="Worker processes: jobs run at once (default: cores).")
@click.option("--durable", is_flag=True, help="fsync every commit (survives power loss, not only crashes).")
@click.option("-v", "--verbose", count=True,
              help="Log every job's end (-v) and every request (-vv) on stderr; default: start, stop, failures.")
def serve(socket_path: str, state_dir: str, config_path: str | None, workers: int | None, durable: bool,
          verbose: int) -> int:
    import dataclasses
    import faulthandler
    import logging
    import signal

    from qmk.runtime.kernel.config import load_config
    from qmk.runtime.kernel.server import serve as run_server

    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s qmk-kernel %(levelname)s: %(message)s")
    logging.getLogger("asyncio").setLevel(logging.WARNING)
    logging.getLogger("qmk.kernel.requests").setLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
    faulthandler.register(signal.SIGUSR1, all_threads=True)  # `kill -USR1 PID`: every thread's stack on stderr
    config = load_config(config_path)
    if workers is not None:
        config = dataclasses.replace(config, workers=workers)
    run_server(config, socket_path, state_dir, durable=durable)
    return EXIT_OK


@cli.group(help="The audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Check that the audit log is intact (exit 1 if any record was changed)."
               "\n\n\b\nExample:\n  qmk-kernel audit verify --state ~/.qmk-kernel")
@click.option("--state", "state_dir", required=True, metavar="DIR", help="The kernel's state directory.")
def audit_verify(state_dir: str) -> int:
    import os

    from qmk.runtime.kernel.audit import AUDIT_FILE, verify_log
    from qmk.runtime.kernel.security import load_existing_key
    from qmk.runtime.kernel.store import DB_FILE, Store

    key = load_existing_key(state_dir)
    head = None
    if os.path.exists(os.path.join(state_dir, DB_FILE)):
        store = Store(state_dir)
        head = store.audit_head()
        store.close()
    path = os.path.join(state_dir, AUDIT_FILE)
    problems = verify_log(path, key, head)
    if problems:
        for p in problems:
            console().print(f"[bold red]error[/bold red]: {path}: {p}")
        return EXIT_FINDINGS
    console().print(f"{path}: intact")
    return EXIT_OK


main = entry_point(cli, "qmk-kernel")

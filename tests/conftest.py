"""Shared test settings: paths, the CLI runner, and the hypothesis profile used in CI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED = ROOT.parent / "shared"
BIN = Path(sys.executable).parent

settings.register_profile(
    "qmk", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "qmk"))


def run_cli(prog: str, *args: str, input: bytes | str | None = None, env: dict | None = None, timeout: float = 120):
    """Run an installed console script; returns CompletedProcess with bytes stdout/stderr."""
    if isinstance(input, str):
        input = input.encode()
    full_env = dict(os.environ, **(env or {}))
    full_env.setdefault("COLUMNS", "200")
    return subprocess.run(
        [str(BIN / prog), *args], input=input, capture_output=True, env=full_env, timeout=timeout
    )


@pytest.fixture
def cli():
    return run_cli

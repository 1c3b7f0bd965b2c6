"""Fixtures for kernel tests (helpers in kernelfix.py)."""

from __future__ import annotations

import os
import shutil
import sys

import pytest

# The suite runs with --import-mode=importlib, which puts no test directory on sys.path; the kernel
# tests share helpers (kernelfix.py), so this directory is added once, here.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from kernelfix import KernelProc, config_text, short_tmpdir


@pytest.fixture
def kernel_factory():
    made: list[KernelProc] = []
    dirs: list[str] = []

    def make(config: str | None = None, start: bool = True) -> KernelProc:
        root = short_tmpdir()
        dirs.append(root)
        k = KernelProc(root, config if config is not None else config_text())
        made.append(k)
        return k.start() if start else k

    yield make
    for k in made:
        k.stop()
    for d in dirs:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def kernel(kernel_factory) -> KernelProc:
    return kernel_factory()


@pytest.fixture(scope="module")
def shared_kernel():
    """One kernel for tests that only read and submit small jobs (saves start-up time)."""
    root = short_tmpdir()
    k = KernelProc(root, config_text()).start()
    yield k
    k.stop()
    shutil.rmtree(root, ignore_errors=True)

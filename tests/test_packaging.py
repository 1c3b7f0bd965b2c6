"""The wheel carries every package and its data: build it, install it into a fresh venv, import everything."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_installs_and_imports_in_a_clean_venv(tmp_path):
    dist = tmp_path / "dist"
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist),
                        str(ROOT)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    (wheel,) = dist.glob("qmk-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    # Install the wheel by unpacking it (it is a zip with no scripts to run), then make the dependencies of
    # the test environment visible through a .pth line (its .pth files, including the editable install's
    # finder, are not processed from there, so `qmk` can only come from the wheel).
    import zipfile

    zipfile.ZipFile(wheel).extractall(site)
    deps = sysconfig.get_paths()["purelib"]
    (Path(site) / "zz_deps.pth").write_text(deps + "\n")
    check = r"""
import importlib, pkgutil, sys
import qmk, qmk.passes, qmk.runtime, qmk.grammar
assert qmk.__file__.startswith(sys.prefix), qmk.__file__
names = []
for pkg in (qmk, qmk.passes, qmk.runtime):
    for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + "."):
        importlib.import_module(m.name)
        names.append(m.name)
from importlib.resources import files
grammars = [p.name for p in files("qmk.grammar").iterdir() if p.name.endswith(".lark")]
assert (files("qmk") / "data" / "qvm.schema.json").is_file()
print(len(names), sorted(grammars))
"""
    out = subprocess.run([str(py), "-c", check], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-3000:]
    count, grammars = out.stdout.split(" ", 1)
    assert int(count) > 10
    assert ".lark" in grammars

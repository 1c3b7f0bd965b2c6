"""Keep numba's disk cache of the optimizer kernels in step with their sources.

numba checks a cached function against its own file only. The kernels call helpers compiled from
other files (kernels_folding.py, kernels_local.py), so after an edit to a helper a kernel could keep
running its stale compiled copy. ``sync(namespace)``, called at the end of every kernel module, compares
a digest of all kernel sources with the one recorded for that module when its cache was written, and
flushes that module's cached functions when they differ. Where the package directory is not writable
(an installed copy, whose sources do not change) nothing is recorded and nothing is flushed.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

_HERE = Path(__file__).resolve().parent


@cache
def _digest() -> str:
    h = hashlib.sha256()
    for path in sorted(_HERE.glob("kernels_*.py")):
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def sync(namespace: dict) -> None:
    """Flush the cached kernels of the module whose globals are ``namespace`` if any kernel source changed
    since they were cached."""
    from numba.core.registry import CPUDispatcher

    stamp = _HERE / "__pycache__" / f"{namespace['__name__'].rsplit('.', 1)[-1]}.kernels-digest"
    try:
        if stamp.exists() and stamp.read_text() == _digest():
            return
        for value in list(namespace.values()):
            if isinstance(value, CPUDispatcher) and value._cache is not None:
                value._cache.flush()
        stamp.parent.mkdir(exist_ok=True)
        stamp.write_text(_digest())
    except OSError:
        return


def cold() -> bool:
    """Whether the first use of the kernels in this installation is still to come, so they will be compiled
    (tens of seconds) rather than loaded from numba's cache: some kernel module has no compiled data or no
    record of the current sources beside it. False where the package directory is not writable (numba then
    keeps its cache elsewhere, and this cannot tell)."""
    import os

    cache = _HERE / "__pycache__"
    if not os.access(cache if cache.exists() else _HERE, os.W_OK):
        return False
    for path in _HERE.glob("kernels_*.py"):
        stamp = cache / f"{path.stem}.kernels-digest"
        if not stamp.exists() or stamp.read_text() != _digest() or not any(cache.glob(f"{path.stem}.*.nbc")):
            return True
    return False

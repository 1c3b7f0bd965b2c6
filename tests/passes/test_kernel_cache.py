"""kernel_cache: stale compiled kernels are flushed, and a cold cache is recognised (qmk-opt says so)."""

from __future__ import annotations

import pytest
from qmk.passes import kernel_cache


@pytest.fixture
def tree(tmp_path, monkeypatch):
    (tmp_path / "kernels_demo.py").write_text("x = 1\n")
    monkeypatch.setattr(kernel_cache, "_HERE", tmp_path)
    kernel_cache._digest.cache_clear()
    yield tmp_path
    kernel_cache._digest.cache_clear()


def test_cold_until_the_module_has_compiled_data_for_its_current_sources(tree):
    assert kernel_cache.cold()  # nothing recorded yet
    kernel_cache.sync({"__name__": "qmk.passes.kernels_demo"})  # records the digest
    assert kernel_cache.cold()  # ... but nothing compiled yet
    (tree / "__pycache__" / "kernels_demo.f-1.py311.1.nbc").write_bytes(b"")
    assert not kernel_cache.cold()
    (tree / "kernels_demo.py").write_text("x = 2\n")  # a source edit: the cached code is stale
    kernel_cache._digest.cache_clear()
    assert kernel_cache.cold()


def test_sync_flushes_cached_kernels_when_a_source_changed(tree):
    class Cache:
        flushed = 0

        def flush(self):
            Cache.flushed += 1

    from numba.core.registry import CPUDispatcher

    class Fake(CPUDispatcher):  # only the cache matters here
        def __init__(self):
            self._cache = Cache()

    ns = {"__name__": "qmk.passes.kernels_demo", "f": Fake()}
    kernel_cache.sync(ns)
    assert Cache.flushed == 1  # no record yet: flushed, then recorded
    kernel_cache.sync(ns)
    assert Cache.flushed == 1  # same sources: kept
    (tree / "kernels_demo.py").write_text("x = 3\n")
    kernel_cache._digest.cache_clear()
    kernel_cache.sync(ns)
    assert Cache.flushed == 2

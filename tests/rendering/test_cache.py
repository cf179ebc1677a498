"""The bounded cache behind every per-process preparation: memory stays flat however many credentials."""

import pytest

from learning_credentials.rendering.cache import BoundedCache

pytestmark = pytest.mark.rendering


def test_values_are_built_once_and_the_least_recently_used_goes_first():
    evicted = []
    cache = BoundedCache(max_entries=2, on_evict=evicted.append)
    assert cache.get("a", lambda: "A") == "A"
    assert cache.get("a", lambda: "other") == "A"
    cache.get("b", lambda: "B")
    cache.get("a", lambda: "other")  # a is now the most recently used
    cache.get("c", lambda: "C")
    assert ("a" in cache, "b" in cache, "c" in cache) == (True, False, True)
    assert evicted == ["B"]
    assert cache.builds == 3


def test_weight_bounds_the_cache_but_the_newest_value_always_stays():
    cache = BoundedCache(max_entries=10, max_weight=10, weigh=len)
    cache.get("a", lambda: b"12345")
    cache.get("b", lambda: b"12345")
    cache.get("c", lambda: b"1")
    assert len(cache) == 2 and "a" not in cache
    cache.get("big", lambda: b"x" * 50)
    assert len(cache) == 1 and "big" in cache


def test_a_failed_build_caches_nothing():
    cache = BoundedCache(max_entries=2)

    def fail():
        raise ValueError("broken")

    with pytest.raises(ValueError):
        cache.get("a", fail)
    assert "a" not in cache and cache.builds == 0

"""The worker's bounded caches drop the least recently used entry first."""
from workers.caches import Lru


def test_the_least_recently_used_entry_goes_first():
    cache = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1          # a is now the most recent
    cache.put("c", 3)                   # over the limit: b goes
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2
    cache.pop("a")
    assert cache.get("a") is None and len(cache) == 1

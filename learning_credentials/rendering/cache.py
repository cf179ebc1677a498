"""A bounded, thread-safe LRU: what rendering prepares once per process must not grow with the learners."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """Values by key, least recently used dropped first once ``max_entries`` or ``max_weight`` is exceeded."""

    def __init__(
        self,
        *,
        max_entries: int,
        max_weight: int = 0,
        weigh: Callable[[V], int] | None = None,
        on_evict: Callable[[V], None] | None = None,
    ):
        self.max_entries = max_entries
        self.max_weight = max_weight
        self._weigh = weigh
        self._on_evict = on_evict
        self._items: OrderedDict[K, V] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.builds = 0  # how many values were built: lets tests prove that nothing was prepared twice

    def get(self, key: K, build: Callable[[], V]) -> V:
        """The cached value of ``key``, built (outside the lock) when missing; a failed build caches nothing."""
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = build()
        with self._lock:
            self.builds += 1
            if key not in self._items:
                self._items[key] = value
                self._weight += self._weigh(value) if self._weigh else 0
                self._shrink()
            return self._items[key]

    def _shrink(self) -> None:
        while len(self._items) > 1 and (
            len(self._items) > self.max_entries or (self.max_weight and self._weight > self.max_weight)
        ):
            _, value = self._items.popitem(last=False)
            self._weight -= self._weigh(value) if self._weigh else 0
            if self._on_evict:
                self._on_evict(value)

    def __contains__(self, key: K) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def clear(self) -> None:
        with self._lock:
            for value in self._items.values():
                if self._on_evict:
                    self._on_evict(value)
            self._items.clear()
            self._weight = 0

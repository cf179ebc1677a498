"""Worker threads: small per-process pools for I/O (storage writes) and for on-demand generation."""

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ProcessThreads:
    """A thread pool started on first use, so each process (each prefork child) gets its own."""

    def __init__(self, *, name: str, size: Callable[[], int]):
        self._name, self._size = name, size
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._size(), thread_name_prefix=self._name)
        return self._pool.submit(fn, *args, **kwargs)

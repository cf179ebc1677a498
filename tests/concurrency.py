"""Racing threads, each with its own database connection, released at the same moment."""

import threading
from collections.abc import Callable
from typing import Any

from django.db import connections


def run_together(action: Callable[[], Any], *, workers: int, timeout: float = 60) -> list[Any]:
    """Run ``action`` in ``workers`` threads that start together; return the results, raising the first error."""
    barrier = threading.Barrier(workers)
    results: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            barrier.wait(10)
            results.append(action())
        except BaseException as exc:  # re-raised in the test's thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    if errors:
        raise errors[0]
    assert len(results) == workers, f"{workers - len(results)} threads did not finish in {timeout}s"
    return results

"""Lock-conflict retries: a write the database rolled back whole to settle a lock conflict is tried again."""

import functools
import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

from django.db import OperationalError, connection

log = logging.getLogger(__name__)
T = TypeVar("T")

# Lock conflicts after which the database rolled the transaction back whole, so trying again is safe:
# MySQL/MariaDB deadlock and lock wait timeout, PostgreSQL deadlock and serialization failure, SQLite's lock.
MYSQL_LOCK_ERRORS = (1205, 1213)
POSTGRES_LOCK_ERRORS = ("40P01", "40001")
# Tries of a write that lost a lock conflict (a MariaDB deadlock among racing first inserts).
LOCK_CONFLICT_ATTEMPTS = 5


def is_lock_conflict(exc: Exception) -> bool:
    """Whether a database error says another transaction held the rows (and this one was rolled back)."""
    cause = exc.__cause__
    if (
        getattr(cause, "pgcode", None) in POSTGRES_LOCK_ERRORS
        or getattr(cause, "sqlstate", None) in POSTGRES_LOCK_ERRORS
    ):
        return True
    if exc.args and exc.args[0] in MYSQL_LOCK_ERRORS:
        return True
    return "database is locked" in str(exc)


def lock_conflict_retried(function: Callable[..., T]) -> Callable[..., T]:
    """Run ``function`` again (up to LOCK_CONFLICT_ATTEMPTS times, with jitter) after a lock conflict.

    The database rolled the victim's transaction back whole, so trying again is safe, unless a
    caller's transaction is open: the database broke it, and only the caller can start over.
    """

    @functools.wraps(function)
    def retried(*args, **kwargs) -> T:
        for attempt in range(1, LOCK_CONFLICT_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                if attempt == LOCK_CONFLICT_ATTEMPTS or not is_lock_conflict(exc) or connection.in_atomic_block:
                    raise
                log.info("Retrying %s after a lock conflict: %s", function.__name__, exc)
                time.sleep(random.uniform(0.5, 1.5) * 0.02 * 2**attempt)
        raise AssertionError("unreachable")

    return retried

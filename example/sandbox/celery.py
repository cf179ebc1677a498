"""The sandbox's Celery app; settings come from Django's CELERY_* settings.

With ``SANDBOX_COUNT_QUERIES=<redis url>`` each worker process counts the SQL statements its
database connections execute (every statement, as Django's assertNumQueries does) and, after
each task, adds them to a Redis hash (``SANDBOX_COUNT_QUERIES_KEY``, default
``sandbox:queries``): fields ``queries``, ``tasks``, ``queries:<task name>``, ``tasks:<task name>``
and ``statements:<first SQL word>``. The benchmarks read it; it is off unless the variable is set.
"""

import os
from collections import Counter

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sandbox.settings")

app = Celery("sandbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class QueryCounter:
    """A connection execute_wrapper that counts statements in this process until they are published."""

    def __init__(self, redis_url: str, key: str):
        self.redis_url, self.key = redis_url, key
        self.counts: Counter = Counter()
        self._client = None

    def __call__(self, execute, sql, params, many, context):
        self.counts[str(sql).lstrip().split(None, 1)[0].upper() if str(sql).strip() else "?"] += 1
        return execute(sql, params, many, context)

    def install(self, connection, **kwargs) -> None:
        """Hook the connection of this process (a connection_created receiver)."""
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

    def reset(self, **kwargs) -> None:
        """A forked pool process starts from zero (its parent's counts are not its own)."""
        self.counts.clear()
        self._client = None
        from django.db import connections

        for connection in connections.all(initialized_only=True):
            self.install(connection)

    def publish(self, task=None, **kwargs) -> None:
        """After each task: add what this process executed since the last publication."""
        import redis

        if self._client is None:
            self._client = redis.Redis.from_url(self.redis_url)
        name = getattr(task, "name", "?")
        total = sum(self.counts.values())
        pipe = self._client.pipeline(transaction=False)
        pipe.hincrby(self.key, "queries", total)
        pipe.hincrby(self.key, "tasks", 1)
        pipe.hincrby(self.key, f"queries:{name}", total)
        pipe.hincrby(self.key, f"tasks:{name}", 1)
        for statement, count in self.counts.items():
            pipe.hincrby(self.key, f"statements:{statement}", count)
        pipe.execute()
        self.counts.clear()


if os.environ.get("SANDBOX_COUNT_QUERIES"):
    from django.db.backends.signals import connection_created

    _query_counter = QueryCounter(
        os.environ["SANDBOX_COUNT_QUERIES"], os.environ.get("SANDBOX_COUNT_QUERIES_KEY", "sandbox:queries")
    )
    connection_created.connect(_query_counter.install, weak=False)
    signals.worker_process_init.connect(_query_counter.reset, weak=False)
    signals.task_postrun.connect(_query_counter.publish, weak=False)

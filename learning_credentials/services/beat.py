"""Beat entries the app keeps for its periodic work (django-celery-beat's DatabaseScheduler runs them)."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask


def beat_entry_ensure(*, name: str, task: str, every_seconds: int, description: str) -> PeriodicTask:
    """A beat entry running ``task`` every ``every_seconds``; created once, an operator's later edits are kept."""
    every, _ = IntervalSchedule.objects.get_or_create(every=every_seconds, period=IntervalSchedule.SECONDS)
    entry, _ = PeriodicTask.objects.get_or_create(
        name=name, defaults={"task": task, "interval": every, "args": json.dumps([]), "description": description}
    )
    return entry

"""A real Celery worker and a real beat (DatabaseScheduler) with Redis, against the test database.

The schedule row created when the configuration is saved is what beat runs; the worker does
the rest; the test only watches the database.
"""

import time
from pathlib import Path

import pytest
from django.conf import settings

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialRun
from tests import factories

pytestmark = pytest.mark.integration
BROKER = "redis://127.0.0.1:6379/9"


@pytest.mark.django_db(transaction=True)
def test_beat_and_worker_issue_credentials(course, template_asset, celery_processes):
    learners = [factories.UserFactory(username=f"worker{i}") for i in range(3)]
    for user in learners:
        factories.enroll(user)
        factories.set_completion(user, course, 1.0)
    idle = factories.UserFactory(username="idle")
    factories.enroll(idle)
    configuration = factories.ConfigurationFactory(interval_every=2, interval_period="seconds")
    assert configuration.periodic_task.enabled

    celery = celery_processes(BROKER)
    celery.worker()
    celery.beat()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if Credential.objects.filter(status=Status.AVAILABLE).count() == 3:
            break
        time.sleep(1)
    credentials = Credential.objects.filter(configuration=configuration)
    assert sorted(c.user_id for c in credentials if c.status == Status.AVAILABLE) == sorted(u.pk for u in learners)
    assert not credentials.filter(user=idle).exists()
    for credential in credentials:
        assert (Path(settings.MEDIA_ROOT) / credential.artifact).read_bytes().startswith(b"%PDF-")
        assert credential.events.filter(kind="issued", source="schedule").exists()
    run = CredentialRun.objects.filter(configuration=configuration, issued=3).first()
    assert run is not None and run.source == "schedule"
    assert run.finished_at is not None

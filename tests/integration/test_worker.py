"""A real Celery worker and a real beat (DatabaseScheduler) with Redis, against the test database.

The schedule row created when the configuration is saved is what beat runs; the worker does
the rest; the test only watches the database.
"""

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialRun
from tests import factories

pytestmark = pytest.mark.integration
EXAMPLE = Path(__file__).resolve().parents[2] / "example"
BROKER = "redis://127.0.0.1:6379/9"


def database_url() -> str:
    """The URL of the test database this process uses, for the Celery processes to open too."""
    db = connection.settings_dict
    if "sqlite" in db["ENGINE"]:
        assert db["NAME"] and db["NAME"] != ":memory:" and "mode=memory" not in str(db["NAME"]), "needs a file database"
        return f"sqlite:///{db['NAME']}"
    scheme = "postgres" if "postgresql" in db["ENGINE"] else "mysql"
    user = db["USER"] or ""
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"{scheme}://{user}{password}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def celery_processes(tmp_path):
    queue = f"lc-test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": BROKER,
        "CELERY_ALWAYS_EAGER": "0",
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "LC_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LMS_ROOT_URL": settings.LMS_ROOT_URL,
        "DJANGO_SETTINGS_MODULE": "sandbox.settings",
    }
    celery = [sys.executable, "-m", "celery", "-A", "sandbox"]
    commands = {
        "worker": [*celery, "worker", "--pool=solo", "-Q", queue, "--without-mingle", "--without-gossip", "-l", "INFO"],
        "beat": [*celery, "beat", "-l", "INFO", "--max-interval", "1", "-s", str(tmp_path / "beat-schedule")],
    }
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in commands}
    processes = {}

    def start(*names):
        for name in names:
            processes[name] = subprocess.Popen(
                commands[name], cwd=EXAMPLE, env=env, stdout=logs[name], stderr=subprocess.STDOUT
            )

    yield start
    for process in processes.values():
        process.terminate()
    for name, process in processes.items():
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        logs[name].close()
    for name in processes:
        print(f"--- {name} log ---\n{(tmp_path / f'{name}.log').read_text()[-4000:]}")


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

    celery_processes("worker", "beat")
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

"""Crashes and outages with real Celery workers: kill -9 mid-generation, a broker that goes away.

The worker is held in the middle of generating by its artifact storage (``LatchStorage``,
named through the sandbox's ``LC_ARTIFACT_STORAGE``), so the test kills it at a known point:
the credential is GENERATING, its message taken but not acknowledged. The broker-outage tests
run their own redis-server on a free loopback port, never the shared one.
"""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from learning_credentials import api, conf
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.services import credential_issue
from learning_credentials.services.configuration import configuration_run
from tests import factories
from tests.integration.processes import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
BROKER = "redis://127.0.0.1:6379/10"  # test_worker.py uses /9
LATCH_STORAGE = "tests.integration.latch_storage.LatchStorage"


def available(credential: Credential, *, timeout: float) -> Credential:
    """Wait until the credential is AVAILABLE; check its file is a stored PDF."""
    credential = wait_for(
        lambda: Credential.objects.filter(pk=credential.pk, status=Status.AVAILABLE).first(),
        timeout=timeout,
        what=f"credential {credential.pk} to become available",
    )
    assert (Path(settings.MEDIA_ROOT) / credential.artifact).read_bytes().startswith(b"%PDF-")
    return credential


class Latch:
    """The directory LatchStorage reports to and waits on."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir()
        (path / "hold").touch()

    @property
    def env(self) -> dict[str, str]:
        return {"LC_ARTIFACT_STORAGE": LATCH_STORAGE, "LC_TEST_LATCH_DIR": str(self.path)}

    def started(self, *, timeout: float = 60) -> tuple[int, float]:
        """The pid of the process held in ``save()`` and when it got there (the first one)."""
        found = wait_for(
            lambda: sorted(self.path.glob("started-*")), timeout=timeout, what="a worker to reach the storage"
        )
        return int(found[0].name.removeprefix("started-")), found[0].stat().st_mtime

    def release(self) -> None:
        (self.path / "hold").unlink(missing_ok=True)


@pytest.fixture
def latch(tmp_path):
    latch = Latch(tmp_path / "latch")
    yield latch
    latch.release()


@pytest.fixture
def ready(course, template_asset, learner):
    """An eligible learner and a configuration (no beat runs it: the test issues)."""
    factories.set_completion(learner, course, 1.0)
    return factories.ConfigurationFactory(), learner


def generating(credential: Credential) -> None:
    assert Credential.objects.get(pk=credential.pk).status == Status.GENERATING


def issued_to_a_held_worker(celery_processes, latch, ready):
    """A one-process worker whose storage holds it on the latch, and a credential issued to it."""
    configuration, learner = ready
    celery = celery_processes(BROKER)
    celery.worker(pool="prefork", concurrency=1, **latch.env)
    with celery.publishing():
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")
    return celery, credential


class TestKilledWorker:
    @pytest.mark.parametrize("held", ["before-writing", "after-writing"])
    def test_a_killed_pool_process_is_redelivered_at_once_and_leaves_no_file_behind(
        self, celery_processes, latch, ready, held
    ):
        if held == "after-writing":
            (latch.path / "after-write").touch()
        celery, credential = issued_to_a_held_worker(celery_processes, latch, ready)

        child, _ = latch.started()
        generating(credential)
        folder = Path(settings.MEDIA_ROOT, conf.get("ARTIFACT_PREFIX"), credential.pk.hex[:2])
        stored_before_the_kill = list(folder.glob(f"{credential.pk}-*"))  # not yet recorded
        assert len(stored_before_the_kill) == (held == "after-writing")
        os.kill(child, signal.SIGKILL)
        latch.release()

        credential = available(credential, timeout=30)
        assert credential.attempts == 2
        assert "WorkerLostError" in celery.log("worker").read_text()
        assert list(folder.glob(f"{credential.pk}-*")) == [Path(settings.MEDIA_ROOT, credential.artifact)]

    def test_a_killed_worker_is_redelivered_to_the_next_worker(self, celery_processes, latch, ready):
        celery, credential = issued_to_a_held_worker(celery_processes, latch, ready)

        _, taken_at = latch.started()
        generating(credential)
        celery.kill("worker")  # the main process and its pool, as an OOM killer or a lost host would
        latch.release()
        generating(credential)

        visibility_timeout = 3
        time.sleep(max(0.0, taken_at + visibility_timeout + 0.5 - time.time()))
        celery.worker("worker-2", pool="prefork", concurrency=1, CELERY_VISIBILITY_TIMEOUT=str(visibility_timeout))

        credential = available(credential, timeout=45)
        assert credential.attempts == 2


# --- a broker that goes away -------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A private redis-server on a free loopback port, without persistence: a restart loses everything."""

    def __init__(self, directory: Path):
        self.directory, self.port = directory, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(self.directory),
            ],
            stdout=(self.directory / "redis.log").open("a"),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        client = redis.Redis.from_url(self.url, socket_timeout=1)
        wait_for(lambda: self._pings(client), timeout=10, interval=0.05, what="redis-server to start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)

    @staticmethod
    def _pings(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is needed for the broker-outage tests")
    directory = tmp_path / "redis"
    directory.mkdir()
    server = RedisServer(directory)
    server.start()
    yield server
    server.stop()


class TestBrokerOutage:
    def test_progress_reported_while_the_broker_is_down_is_issued_by_the_next_run(
        self, redis_server, celery_processes, ready, caplog
    ):
        configuration, learner = ready
        celery = celery_processes(redis_server.url)
        redis_server.stop()

        with celery.publishing():
            queued = api.notify_progress(user_id=learner.pk, context_key=str(configuration.learning_context_key))
            assert queued is True  # the caller goes on: nothing raised into it
            assert not Credential.objects.exists()
            refused = [r for r in caplog.records if "progress_not_queued" in r.getMessage()]
            assert refused and refused[0].learning_credentials["reason"] == "queue_unavailable"

            run = configuration_run(configuration_id=configuration.pk, source="schedule", inline=True)

        run.refresh_from_db()
        assert (run.issued, run.failed) == (1, 0)
        credential = available(Credential.objects.get(user=learner, configuration=configuration), timeout=0)
        assert credential.events.filter(kind="issued", source="schedule").exists()

    def test_a_worker_reconnects_after_the_broker_restarts(self, redis_server, celery_processes, ready, course):
        configuration, learner = ready
        later = factories.UserFactory(username="later")
        factories.enroll(later)
        factories.set_completion(later, course, 1.0)
        celery = celery_processes(redis_server.url)
        celery.worker()
        with celery.publishing():
            before = credential_issue(user_id=learner.pk, configuration=configuration, source="api")
        available(before, timeout=30)  # the worker's connections are in use

        redis_server.stop()
        time.sleep(1)
        redis_server.start()  # empty: the worker has to declare its queue again
        client = redis.Redis.from_url(redis_server.url)
        wait_for(lambda: client.exists(f"_kombu.binding.{celery.queue}"), timeout=30, what="the worker to reconnect")

        with celery.publishing():
            assert api.notify_progress(user_id=later.pk, context_key=str(configuration.learning_context_key))

        credential = wait_for(lambda: Credential.objects.filter(user=later).first(), timeout=30, what="the credential")
        credential = available(credential, timeout=30)
        assert credential.events.filter(kind="issued", source="api").exists()

"""The dispatch port: every Celery message leaves through it, by task name, after commit, failing fast.

Sends go to a real Redis (a queue of this test's own) or to a real address nobody listens on.
"""

import base64
import json
import logging
import uuid

import pytest
import redis
from celery import current_app
from django.db import transaction

from learning_credentials import tasks
from learning_credentials.exceptions import QueueUnavailable
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.services import dispatch
from tests import factories
from tests.logs import activity
from tests.publishing import celery_publishing

REDIS = "redis://127.0.0.1:6379/0"

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker():
    """Publishing (not eager) to the local Redis, into a queue of this test's own; yields a reader of that queue."""
    queue = f"lc-dispatch-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.fail("Redis on 127.0.0.1:6379 is needed for the dispatch tests (.ci/run starts it)")
    with celery_publishing(broker_url=REDIS, task_default_queue=queue):
        yield Queue(client, queue)
    client.delete(queue)


class Queue:
    def __init__(self, client: redis.Redis, name: str):
        self.client, self.name = client, name

    def messages(self) -> list[dict]:
        """Every message waiting in the queue, oldest first: its task, id, eta and positional arguments."""
        found = []
        for raw in reversed(self.client.lrange(self.name, 0, -1)):  # kombu pushes on the left
            message = json.loads(raw)
            args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
            headers = message["headers"]
            found.append({"task": headers["task"], "id": headers["id"], "eta": headers["eta"], "args": args})
        return found


def test_every_task_is_named_in_the_port_and_every_name_is_a_task():
    from learning_credentials.exams import tasks as exams_tasks  # as a worker's autodiscovery imports it

    # Only beat sends a sub-app's periodic task (its row names it); no code does, so the port need not.
    beat_only = {exams_tasks.EXPIRE_ATTEMPTS}
    ours = {name for name in current_app.tasks if name.startswith("learning_credentials.")}
    assert ours == set(dispatch.TASK_NAMES) | beat_only
    assert tasks.generate_credential.name == dispatch.GENERATE_CREDENTIAL


class TestOnARealBroker:
    def test_generation_is_sent_by_name_once_committed(self, broker, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            dispatch.generation_queue(credential_id="c0ffee00-0000-4000-8000-000000000000", task_id="task-1")
            assert broker.messages() == []  # nothing leaves before the commit
        [message] = broker.messages()
        assert message == {
            "task": dispatch.GENERATE_CREDENTIAL,
            "id": "task-1",
            "eta": None,
            "args": ["c0ffee00-0000-4000-8000-000000000000"],
        }

    def test_a_backup_is_sent_with_its_delay(self, broker, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.generation_queue(credential_id="c1", task_id="task-2", required=True, backup_after=300)
        [message] = broker.messages()
        assert message["id"] == "task-2" and message["eta"] is not None

    def test_a_rolled_back_transaction_sends_nothing(self, broker, django_capture_on_commit_callbacks):
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            dispatch.emails_queue(credential_ids=["c1"])
            raise RuntimeError("rolled back")
        assert callbacks == [] and broker.messages() == []

    def test_each_work_reaches_its_task(self, broker, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            dispatch.emails_queue(credential_ids=[uuid.UUID(int=1)])
            dispatch.chunk_queue(configuration_id=3, user_ids=[1, 2], run_id=7, source="schedule")
            dispatch.run_queue(configuration_id=3, source="schedule")
            dispatch.learner_check_queue(user_id=1, context_key="course-v1:A+B+C", source="event", order_reference="")
        task_id = dispatch.run_send(configuration_id=4, source="admin", actor_id=9)
        preview_id = dispatch.preview_send(configuration_id=4, preview_id="p1")
        assert [(message["task"], message["args"]) for message in broker.messages()] == [
            (dispatch.SEND_CREDENTIAL_EMAILS, [[str(uuid.UUID(int=1))]]),
            (dispatch.ISSUE_CHUNK, [3, [1, 2], 7, "schedule", None]),
            (dispatch.RUN_CONFIGURATION, [3, "schedule"]),
            (dispatch.CHECK_LEARNER, [1, "course-v1:A+B+C", "event", ""]),
            (dispatch.RUN_CONFIGURATION, [4, "admin", 9]),
            (dispatch.PREVIEW_CONFIGURATION, [4, "p1"]),
        ]
        assert [message["id"] for message in broker.messages()[-2:]] == [task_id, preview_id]

    def test_a_message_that_cannot_be_sent_is_logged_as_not_sent(
        self, broker, caplog, django_capture_on_commit_callbacks
    ):
        with (
            caplog.at_level(logging.ERROR, logger="learning_credentials.activity"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            dispatch.run_queue(configuration_id=object(), source="schedule")  # not serializable
        [failed] = activity(caplog, "run_not_queued")
        assert failed["reason"] == "send_failed" and broker.messages() == []


@pytest.mark.usefixtures("unreachable_broker")
class TestWithTheBrokerDown:
    @pytest.mark.parametrize(
        ("work", "send"),
        [
            ("generation", lambda: dispatch.generation_queue(credential_id="c1")),
            ("emails", lambda: dispatch.emails_queue(credential_ids=["c1", "c2"])),
            ("chunk", lambda: dispatch.chunk_queue(configuration_id=1, user_ids=[1], run_id=None, source="schedule")),
            ("run", lambda: dispatch.run_queue(configuration_id=1, source="schedule")),
            (
                "progress",
                lambda: dispatch.learner_check_queue(user_id=1, context_key="c", source="event", order_reference=""),
            ),
        ],
    )
    def test_work_something_else_recovers_is_logged_never_raised(
        self, work, send, caplog, django_capture_on_commit_callbacks
    ):
        with (
            caplog.at_level(logging.ERROR, logger="learning_credentials.activity"),
            django_capture_on_commit_callbacks(execute=True),
            transaction.atomic(),
        ):
            send()
        [failed] = activity(caplog, f"{work}_not_queued")
        assert failed["reason"] == "queue_unavailable" and "Connection refused" in failed["error"]

    def test_a_waiting_learner_is_told(self, django_capture_on_commit_callbacks):
        with (
            pytest.raises(QueueUnavailable, match="cannot be reached"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            dispatch.generation_queue(credential_id="c1", required=True)

    def test_generate_now_is_refused(self):
        with pytest.raises(QueueUnavailable, match="nothing was queued"):
            dispatch.run_send(configuration_id=1, source="admin")


class TestEager:
    """Eager mode (the sandbox without a broker, the tests) runs the task in-process after commit."""

    def test_generation_runs_after_commit(self, configuration, learner, django_capture_on_commit_callbacks):
        credential = factories.CredentialFactory(user=learner, configuration=configuration, status=Status.GENERATING)
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            dispatch.generation_queue(credential_id=credential.pk)
            assert Credential.objects.get(pk=credential.pk).status == Status.GENERATING
        assert Credential.objects.get(pk=credential.pk).status == Status.AVAILABLE

    def test_a_backup_is_not_run_in_the_caller(self, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            dispatch.generation_queue(credential_id="c1", required=True, backup_after=300)
        assert callbacks == []

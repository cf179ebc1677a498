"""Faults: a database error in the middle of issuing, a failing storage, credentials left generating.

Each fault goes in through a production seam: a connection ``execute_wrapper`` raising the
OperationalError a database raises, a real ``Storage`` class named in ``STORAGES``, a lease left
to expire. After each, the database and the storage must agree: no credential without its
audit row, no stored file that no credential points at, no credential pointing at a missing
file; and the next attempt, without the fault, must finish the job.

Transactional tests: each service commits (or rolls back) for real and its on-commit work (the
eager generation task) runs, as in production.
"""

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from celery import signals
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage, storages
from django.db import OperationalError, connection
from django.utils import timezone

from learning_credentials import conf
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialAsset, CredentialEvent
from learning_credentials.rendering import Artifact
from learning_credentials.services import credential_generate, credential_issue, generation
from learning_credentials.services.artifacts import artifact_save
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.generation import credentials_generate
from learning_credentials.services.issuance import credential_issue_or_get, credential_retry
from learning_credentials.services.sweeper import credentials_sweep
from learning_credentials.tasks import generate_credential, issue_chunk
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

Kind = CredentialEvent.Kind
ARTIFACTS = "lc-faults"  # the STORAGES alias of the failing storage


# --- the seams ---------------------------------------------------------------------------------


class FailOn:
    """A connection execute_wrapper raising OperationalError on matching statements, ``times`` times (None: always)."""

    def __init__(self, matches, *, times: int | None = None):
        self.matches, self.times = matches, times
        self.raised = 0

    def __call__(self, execute, sql, params, many, context):
        if (self.times is None or self.raised < self.times) and self.matches(sql, _flat(params)):
            self.raised += 1
            raise OperationalError("injected fault: the database went away")
        return execute(sql, params, many, context)


def _flat(params) -> list:
    values = []
    for value in params or ():
        values.extend(_flat(value) if isinstance(value, list | tuple) else [value])
    return values


def issued_event_insert(sql: str, params: list) -> bool:
    """The INSERT of a credential's "issued" audit row."""
    return sql.lstrip().upper().startswith("INSERT") and CredentialEvent._meta.db_table in sql and Kind.ISSUED in params


def available_update(sql: str, params: list) -> bool:
    """The UPDATE that makes a credential AVAILABLE (one row or many)."""
    return (
        sql.lstrip().upper().startswith("UPDATE")
        and Credential._meta.db_table in sql
        and CredentialEvent._meta.db_table not in sql
        and Status.AVAILABLE in params
    )


class FlakyStorage(FileSystemStorage):
    """A storage whose first ``failures`` saves fail as a network store that is briefly away does."""

    def __init__(self, *, failures: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.failures, self.saves = failures, 0

    def save(self, name, content, max_length=None):
        self.saves += 1
        if self.saves <= self.failures:
            raise ConnectionError(f"injected fault: the storage is unreachable (save {self.saves})")
        return super().save(name, content, max_length=max_length)


@pytest.fixture
def flaky_storage(settings):
    """Artifacts go to a FlakyStorage (through STORAGES and LEARNING_CREDENTIALS["STORAGE"]); call it with N."""

    def configure(failures: int) -> FlakyStorage:
        settings.STORAGES = {
            **settings.STORAGES,
            ARTIFACTS: {"BACKEND": f"{__name__}.FlakyStorage", "OPTIONS": {"failures": failures}},
        }
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "STORAGE": ARTIFACTS}
        storage = storages[ARTIFACTS]
        assert isinstance(storage, FlakyStorage) and storage.failures == failures
        return storage

    return configure


@pytest.fixture
def task_retries():
    """The Celery retries of our tasks while the test runs: (task name, countdown) in order."""
    retries = []

    def record(sender=None, reason=None, **kwargs):
        if sender is not None and sender.name.startswith("learning_credentials."):
            retries.append((sender.name, getattr(reason, "when", None)))

    signals.task_retry.connect(record, weak=False)
    yield retries
    signals.task_retry.disconnect(record)


# --- what must hold after any fault ------------------------------------------------------------


def stored_artifacts() -> set[str]:
    """Every file under the artifact folder of MEDIA_ROOT, as storage names."""
    root = Path(settings.MEDIA_ROOT)
    folder = root / conf.get("ARTIFACT_PREFIX")
    return (
        {path.relative_to(root).as_posix() for path in folder.rglob("*") if path.is_file()}
        if folder.exists()
        else set()
    )


def assert_consistent() -> None:
    """Storage and database agree, and every credential has exactly one audit row of its issue."""
    credentials = list(Credential.objects.all())
    assert stored_artifacts() == {c.artifact for c in credentials if c.artifact}
    for credential in credentials:
        assert credential.events.filter(kind=Kind.ISSUED).count() == 1, credential
        assert bool(credential.artifact) == (credential.status == Status.AVAILABLE), credential
    assert not CredentialEvent.objects.exclude(credential__in=credentials).exists()


def assert_available(credential: Credential) -> Credential:
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE, credential.error_message
    assert (Path(settings.MEDIA_ROOT) / credential.artifact).read_bytes().startswith(b"%PDF-")
    assert credential.lease_expires_at is None
    return credential


def transitions(credential: Credential) -> list[tuple[str, str]]:
    return [
        (event.from_status, event.to_status)
        for event in credential.events.filter(kind=Kind.STATUS_CHANGED).order_by("created", "pk")
    ]


@pytest.fixture
def learners(course):
    users = [factories.UserFactory(username=f"faulty{i}") for i in range(3)]
    for user in users:
        factories.enroll(user)
        factories.set_completion(user, course, 1.0)
    return users


def run_chunk(configuration, learners) -> dict:
    """One chunk of a scheduled run for these learners, as the issue_chunk task runs it."""
    return configuration_issue_chunk(
        configuration_id=configuration.pk, user_ids=[user.pk for user in learners], run_id=None, source="schedule"
    )


# --- a database error in the middle of issuing -------------------------------------------------


class TestDatabaseErrorMidIssue:
    def test_a_failed_audit_row_rolls_the_issue_back_and_the_next_attempt_issues(self, configuration, learner):
        fault = FailOn(issued_event_insert)
        with connection.execute_wrapper(fault), pytest.raises(OperationalError):
            credential_issue(user_id=learner.pk, configuration=configuration, source="api")

        assert fault.raised == 1
        assert not Credential.objects.exists()  # the credential row went with its audit row
        assert not CredentialEvent.objects.exists()
        assert stored_artifacts() == set()

        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")
        assert_available(credential)
        assert transitions(credential) == [(Status.GENERATING, Status.AVAILABLE)]
        assert_consistent()

    def test_a_failed_status_update_rolls_the_generation_back_and_removes_its_file(self, configuration, learner):
        credential, _ = credential_issue_or_get(
            user_id=learner.pk, configuration=configuration, source="api", queue=False
        )
        fault = FailOn(available_update)
        with connection.execute_wrapper(fault), pytest.raises(OperationalError):
            credential_generate(credential_id=credential.pk)

        assert fault.raised == 1
        credential.refresh_from_db()
        assert credential.status == Status.GENERATING
        assert credential.artifact == ""
        assert transitions(credential) == []
        assert stored_artifacts() == set()  # the file rendered for the rolled-back row is gone
        assert_consistent()

        assert_available(credential_generate(credential_id=credential.pk))
        assert transitions(credential) == [(Status.GENERATING, Status.AVAILABLE)]
        assert_consistent()

    def test_the_generation_task_retries_a_database_error_by_itself(self, configuration, learner, task_retries):
        fault = FailOn(available_update, times=1)
        with connection.execute_wrapper(fault):
            credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")

        assert fault.raised == 1
        assert [name for name, _ in task_retries] == [generate_credential.name]
        credential = assert_available(credential)
        assert credential.attempts == 1  # the try a transient error cut short is not counted
        assert transitions(credential) == [(Status.GENERATING, Status.AVAILABLE)]
        assert_consistent()  # the first attempt's file was deleted, the second one's kept

    def test_a_chunk_whose_audit_rows_fail_issues_nothing_and_its_rerun_issues_all(self, configuration, learners):
        fault = FailOn(issued_event_insert)
        with connection.execute_wrapper(fault), pytest.raises(OperationalError):
            run_chunk(configuration, learners)  # raised for the issue_chunk task to retry

        assert fault.raised >= 1
        assert not Credential.objects.exists()
        assert not CredentialEvent.objects.exists()
        assert stored_artifacts() == set()

        assert run_chunk(configuration, learners) == {"issued": len(learners), "failed": 0, "renewed": 0}
        for credential in Credential.objects.all():
            assert_available(credential)
        assert_consistent()

    def test_a_chunk_whose_status_update_fails_keeps_no_file_and_its_rerun_finishes_it(self, configuration, learners):
        fault = FailOn(available_update)
        with connection.execute_wrapper(fault), pytest.raises(OperationalError):
            run_chunk(configuration, learners)

        assert fault.raised >= 1
        assert Credential.objects.count() == len(learners)  # issued (and audited) before generating
        assert set(Credential.objects.values_list("status", flat=True)) == {Status.GENERATING}
        assert stored_artifacts() == set()  # the files rendered for the rolled-back rows are gone
        assert_consistent()

        assert run_chunk(configuration, learners) == {"issued": len(learners), "failed": 0, "renewed": 0}
        for credential in Credential.objects.all():
            assert_available(credential)
            assert transitions(credential) == [(Status.GENERATING, Status.AVAILABLE)]
        assert_consistent()

    def test_the_chunk_task_retries_a_database_error_by_itself(self, configuration, learners, task_retries):
        fault = FailOn(available_update, times=1)
        with connection.execute_wrapper(fault):
            result = issue_chunk.apply(args=[configuration.pk, [user.pk for user in learners], None, "schedule"])

        assert fault.raised == 1
        assert [name for name, _ in task_retries] == [issue_chunk.name]
        assert result.successful() and result.result == {"issued": len(learners), "failed": 0, "renewed": 0}
        for credential in Credential.objects.all():
            assert_available(credential)
            assert credential.attempts == 1  # the try a transient error cut short is not counted
        assert_consistent()


# --- a failing storage -------------------------------------------------------------------------


class TestFailingStorage:
    def test_transient_errors_are_retried_with_backoff_until_the_credential_is_available(
        self, configuration, learner, flaky_storage, task_retries
    ):
        storage = flaky_storage(failures=2)
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")

        assert storage.saves == 3
        assert [name for name, _ in task_retries] == [generate_credential.name] * 2
        assert all(countdown is not None and countdown >= 0 for _, countdown in task_retries)
        assert generate_credential.retry_backoff and generate_credential.max_retries >= 2
        credential = assert_available(credential)
        assert credential.error_message == ""
        assert credential.attempts == 1  # tries cut short by the outage are not counted
        assert transitions(credential) == [(Status.GENERATING, Status.AVAILABLE)]  # never ERROR in between
        assert_consistent()

    def test_transient_errors_past_the_retries_leave_the_credential_to_the_sweeper(
        self, configuration, learner, flaky_storage, task_retries
    ):
        storage = flaky_storage(failures=100)
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")

        assert storage.saves == generate_credential.max_retries + 1
        credential.refresh_from_db()
        assert credential.status == Status.GENERATING
        assert credential.lease_expires_at <= timezone.now()  # given up: the next sweep takes it
        assert transitions(credential) == []
        assert_consistent()

        # Tries cut short by an outage are not counted: the sweep sends it to ERROR and retries it at once.
        assert credential.attempts == 0
        assert credentials_sweep() == {"errored": 1, "retried": 1, "emails_queued": 0}
        credential.refresh_from_db()
        assert credential.status == Status.GENERATING  # the outage goes on: the retry met it too
        assert storage.saves == 2 * (generate_credential.max_retries + 1)
        assert transitions(credential) == [(Status.GENERATING, Status.ERROR), (Status.ERROR, Status.GENERATING)]
        assert "lease expired" in credential.events.filter(to_status=Status.ERROR).get().reason
        assert_consistent()

        storage.failures = 0  # the storage is back: the next sweep finishes it
        assert credentials_sweep() == {"errored": 1, "retried": 1, "emails_queued": 0}
        assert_available(credential)
        assert_consistent()

    def test_a_bad_template_is_a_permanent_error_reported_once(
        self, configuration, learner, flaky_storage, task_retries
    ):
        not_a_pdf = b"<html>this template was uploaded as a web page</html>"
        name = default_storage.save("learning_credentials/assets/broken.pdf", ContentFile(not_a_pdf))
        # Written past the upload validation, as a file replaced in the storage would be.
        CredentialAsset.objects.filter(slug="certificate-template").update(
            file=name, content_hash=hashlib.sha256(not_a_pdf).hexdigest()
        )
        storage = flaky_storage(failures=0)

        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="api")

        credential.refresh_from_db()
        assert credential.status == Status.ERROR
        assert "certificate-template" in credential.error_message and "PDF" in credential.error_message
        assert "Traceback" not in credential.error_message
        assert credential.attempts == 1
        assert task_retries == []
        assert storage.saves == 0
        assert transitions(credential) == [(Status.GENERATING, Status.ERROR)]
        assert_consistent()


# --- files left by a killed attempt ------------------------------------------------------------


def left_behind(credential: Credential) -> str:
    """A file stored for ``credential`` by an attempt whose process was killed before recording it."""
    return artifact_save(credential=credential, artifact=Artifact(b"%PDF-1.7 orphan", "application/pdf", "pdf"))


class TestOrphanedFiles:
    def test_the_attempt_that_finishes_deletes_what_a_killed_one_stored(self, configuration, learners):
        """As after a pool process killed between storing and recording: the message comes back."""
        credential = stuck(learners[0], configuration, lease=timedelta(minutes=5))
        orphan = left_behind(credential)
        folder, _ = orphan.rsplit("/", 1)
        # Another credential's file in the same folder, and this credential's share image, stay.
        neighbour = default_storage.save(
            f"{folder}/{uuid.UUID(credential.pk.hex[:2] + '0' * 30)}-x.pdf", ContentFile(b"x")
        )
        share = default_storage.save(
            f"{conf.get('ARTIFACT_PREFIX')}/{credential.pk}/share-public.png", ContentFile(b"x")
        )

        credentials_generate(credential_ids=[credential.pk])

        generated = assert_available(credential)
        assert generated.attempts == 2
        assert not default_storage.exists(orphan)
        assert default_storage.exists(generated.artifact)
        assert default_storage.exists(neighbour) and default_storage.exists(share)
        default_storage.delete(neighbour)
        default_storage.delete(share)
        assert_consistent()

    def test_an_error_keeps_them_the_success_after_deletes_them(self, configuration, learner, monkeypatch):
        """An ERROR may be retried at once, by a run or staff: only an AVAILABLE row may clean up."""
        credential = stuck(learner, configuration, lease=timedelta(minutes=5))
        orphan = left_behind(credential)
        render = generation._render

        def crash_once(*args, **kwargs):
            monkeypatch.setattr(generation, "_render", render)
            raise RuntimeError("renderer crashed")

        monkeypatch.setattr(generation, "_render", crash_once)
        credentials_generate(credential_ids=[credential.pk])
        credential.refresh_from_db()
        assert credential.status == Status.ERROR and credential.attempts == 2
        assert default_storage.exists(orphan)

        credential_retry(credential=credential, source="admin")  # runs eagerly here

        credential = assert_available(credential)
        assert credential.attempts == 3
        assert not default_storage.exists(orphan)
        assert_consistent()

    def test_a_storage_that_refuses_to_delete_leaves_the_credential_right(self, configuration, learner, settings):
        settings.STORAGES = {**settings.STORAGES, ARTIFACTS: {"BACKEND": f"{__name__}.UndeletableStorage"}}
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "STORAGE": ARTIFACTS}
        credential = stuck(learner, configuration, lease=timedelta(minutes=5))
        orphan = left_behind(credential)

        credentials_generate(credential_ids=[credential.pk])

        credential = assert_available(credential)
        assert storages[ARTIFACTS].exists(orphan)  # left for later, logged
        FileSystemStorage.delete(storages[ARTIFACTS], orphan)
        assert_consistent()


class UndeletableStorage(FileSystemStorage):
    """A store that answers writes but refuses deletes, as one whose credentials lack the permission."""

    def delete(self, name):
        raise PermissionError("injected fault: deleting is not allowed")


# --- the sweeper -------------------------------------------------------------------------------


def stuck(user, configuration, *, lease: timedelta, attempts: int = 1) -> Credential:
    """A GENERATING credential whose attempt started and whose worker then vanished (no task running)."""
    credential, _ = credential_issue_or_get(
        user_id=user.pk, configuration=configuration, source="schedule", queue=False
    )
    Credential.objects.filter(pk=credential.pk).update(lease_expires_at=timezone.now() + lease, attempts=attempts)
    credential.refresh_from_db()
    return credential


class TestSweeper:
    def test_an_expired_lease_goes_to_error_and_is_retried_a_live_one_is_left_alone(self, configuration, learners):
        expired = stuck(learners[0], configuration, lease=-timedelta(seconds=1))
        running = stuck(learners[1], configuration, lease=timedelta(minutes=5))

        assert credentials_sweep() == {"errored": 1, "retried": 1, "emails_queued": 0}

        expired = assert_available(expired)
        assert transitions(expired) == [
            (Status.GENERATING, Status.ERROR),
            (Status.ERROR, Status.GENERATING),
            (Status.GENERATING, Status.AVAILABLE),
        ]
        assert expired.events.get(to_status=Status.ERROR).reason  # says why
        assert expired.attempts == 2
        running_after = Credential.objects.get(pk=running.pk)
        assert running_after.status == Status.GENERATING
        assert running_after.lease_expires_at == running.lease_expires_at
        assert transitions(running_after) == []
        assert_consistent()

    def test_a_credential_whose_message_was_lost_is_swept_when_its_first_lease_ends(self, configuration, learner):
        credential, _ = credential_issue_or_get(
            user_id=learner.pk, configuration=configuration, source="schedule", queue=False
        )  # the generation message never reaches a worker
        lease = timedelta(seconds=conf.get("GENERATION_LEASE_SECONDS"))
        assert credentials_sweep(now=timezone.now() + lease - timedelta(seconds=5)) == {
            "errored": 0,
            "retried": 0,
            "emails_queued": 0,
        }
        assert credentials_sweep(now=timezone.now() + lease + timedelta(seconds=5)) == {
            "errored": 1,
            "retried": 1,
            "emails_queued": 0,
        }
        assert_available(credential)
        assert_consistent()

    def test_a_row_from_before_leases_is_judged_by_its_last_change(self, configuration, learners):
        lease = timedelta(seconds=conf.get("GENERATION_LEASE_SECONDS"))
        old = stuck(learners[0], configuration, lease=lease)
        recent = stuck(learners[1], configuration, lease=lease)
        Credential.objects.filter(pk=old.pk).update(lease_expires_at=None, modified=timezone.now() - 2 * lease)
        Credential.objects.filter(pk=recent.pk).update(lease_expires_at=None)

        assert credentials_sweep() == {"errored": 1, "retried": 1, "emails_queued": 0}
        assert_available(old)
        assert Credential.objects.get(pk=recent.pk).status == Status.GENERATING

    def test_after_max_attempts_it_stays_in_error(self, configuration, learner):
        credential = stuck(learner, configuration, lease=-timedelta(seconds=1), attempts=conf.get("MAX_ATTEMPTS"))

        assert credentials_sweep() == {"errored": 1, "retried": 0, "emails_queued": 0}
        credential.refresh_from_db()
        assert credential.status == Status.ERROR
        assert credential.error_message
        assert credential.lease_expires_at is None
        events = credential.events.count()

        assert credentials_sweep() == {"errored": 0, "retried": 0, "emails_queued": 0}
        credential.refresh_from_db()
        assert credential.status == Status.ERROR
        assert credential.events.count() == events
        assert_consistent()

    def test_the_sweeper_deletes_nothing_the_retry_does(self, configuration, learner, monkeypatch):
        """A lost attempt may still be alive (a storage write hanging past its lease) and record its
        file: the sweeper leaves the files alone, the retry that records the credential deletes them."""
        credential = stuck(learner, configuration, lease=-timedelta(seconds=1))
        orphan = left_behind(credential)
        queued = []
        monkeypatch.setattr(generate_credential, "apply_async", lambda *args, **kwargs: queued.append(kwargs))

        assert credentials_sweep() == {"errored": 1, "retried": 1, "emails_queued": 0}
        assert len(queued) == 1 and default_storage.exists(orphan)

        credentials_generate(credential_ids=[credential.pk])
        credential = assert_available(credential)
        assert not default_storage.exists(orphan)
        assert default_storage.exists(credential.artifact)  # the retry's own file
        assert_consistent()

    def test_an_email_never_queued_is_queued_again(self, configuration, learners):
        """The broker was down when the credential became available: the sweep queues its email."""
        from django.core import mail

        sent, unsent, failed = (factories.CredentialFactory(user=u, configuration=configuration) for u in learners)
        Credential.objects.filter(pk=sent.pk).update(notified_at=timezone.now())
        CredentialEvent.objects.create(credential=failed, kind=CredentialEvent.Kind.EMAIL_FAILED, source="system")
        Credential.objects.update(modified=timezone.now() - timedelta(minutes=30))
        fresh = factories.CredentialFactory(configuration=configuration)  # its own email task may still be coming

        assert credentials_sweep()["emails_queued"] == 1
        assert [message.to for message in mail.outbox] == [[unsent.user.email]]
        unsent.refresh_from_db()
        assert unsent.notified_at is not None
        assert Credential.objects.get(pk=fresh.pk).notified_at is None
        assert credentials_sweep()["emails_queued"] == 0


def test_every_task_is_redelivered_when_its_worker_dies():
    tasks = {
        name: task for name, task in generate_credential.app.tasks.items() if name.startswith("learning_credentials.")
    }
    assert "learning_credentials.sweep_generating" in tasks
    for name, task in tasks.items():
        assert task.acks_late and task.reject_on_worker_lost, name

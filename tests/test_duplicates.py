"""Attempts to issue a credential the learner already holds: counted on the credential, audited once per hour."""

import logging
from datetime import timedelta

import pytest
from django.utils import timezone

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_issue
from learning_credentials.services.configuration import configuration_issue_chunk
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db
Source = CredentialEvent.Source


@pytest.fixture
def clock(monkeypatch):
    """django.utils.timezone.now, moved forward at will (audit rows take their time from it too)."""

    class Clock:
        now = timezone.now()

        def advance(self, **delta):
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


@pytest.fixture
def held(configuration, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source=Source.SCHEDULE)
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


def attempt(credential, source=Source.EVENT, actor_id=None):
    return credential_issue(
        user_id=credential.user_id, configuration=credential.configuration, source=source, actor_id=actor_id
    )


def duplicate_events(credential):
    return list(
        CredentialEvent.objects.filter(credential=credential, kind="duplicate_attempt").values_list(
            "source", "details", "created"
        )
    )


def test_every_attempt_is_counted_and_the_first_per_hour_audited(held, clock):
    assert (held.duplicate_attempts, held.last_duplicate_at) == (0, None)
    for _ in range(5):
        clock.advance(minutes=10)
        assert attempt(held).pk == held.pk
    held.refresh_from_db()
    assert held.duplicate_attempts == 5
    assert held.last_duplicate_at == clock.now
    first_at = clock.now - timedelta(minutes=40)
    assert duplicate_events(held) == [("event", {"duplicate_attempts": 1}, first_at)]
    assert Credential.objects.count() == 1


def test_an_hour_after_the_last_audited_attempt_the_next_is_audited_again(held, staff_user, clock):
    attempt(held)
    clock.advance(minutes=59)
    attempt(held, source=Source.SCHEDULE)
    assert len(duplicate_events(held)) == 1
    clock.advance(minutes=2)  # 61 minutes after the audited one, 2 after the last attempt
    attempt(held, source=Source.ADMIN, actor_id=staff_user.pk)
    events = CredentialEvent.objects.filter(credential=held, kind="duplicate_attempt")
    assert [(e.source, e.actor_id, e.details) for e in events] == [
        ("event", None, {"duplicate_attempts": 1}),
        ("admin", staff_user.pk, {"duplicate_attempts": 3}),
    ]
    held.refresh_from_db()
    assert held.duplicate_attempts == 3


def test_counting_leaves_the_credential_as_it_was(held):
    before = Credential.objects.values().get(pk=held.pk)
    attempt(held)
    after = Credential.objects.values().get(pk=held.pk)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"duplicate_attempts", "last_duplicate_at"}  # not even `modified`


def test_a_run_chunk_racing_another_path_counts_a_duplicate(held, course):
    factories.set_completion(held.user, course, 1.0)
    counts = configuration_issue_chunk(
        configuration_id=held.configuration_id, user_ids=[held.user_id], run_id=None, source=Source.SCHEDULE
    )
    assert counts == {"issued": 0, "failed": 0, "renewed": 0}
    held.refresh_from_db()
    assert held.duplicate_attempts == 1


def test_every_attempt_writes_a_log_line(held, caplog):
    with caplog.at_level(logging.INFO, logger="learning_credentials.activity"):
        attempt(held)
        attempt(held, source=Source.API)
    lines = [r.learning_credentials for r in caplog.records if r.learning_credentials["action"] == "duplicate_attempt"]
    assert [(line["source"], line["duplicate_attempts"], line["audited"]) for line in lines] == [
        ("event", 1, True),
        ("api", 2, False),
    ]
    assert lines[0]["credential"] == str(held.pk) and lines[0]["configuration"] == held.configuration_id
    assert lines[0]["user_id"] == held.user_id and lines[0]["status"] == "available"
    assert "duration_ms" in lines[0]
    assert f"learning_credentials.duplicate_attempt credential={held.pk}" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_concurrent_attempts_are_all_counted_and_audited_once(configuration, learner):
    """Threads racing: the row lock (on SQLite the write lock) serialises the counting and the hourly rule."""
    credential = credential_issue(user_id=learner.pk, configuration=configuration, source=Source.SCHEDULE)
    workers = 6
    assert all(found.pk == credential.pk for found in run_together(lambda: attempt(credential), workers=workers))
    credential.refresh_from_db()
    assert credential.duplicate_attempts == workers
    assert len(duplicate_events(credential)) == 1
    assert Credential.objects.count() == 1

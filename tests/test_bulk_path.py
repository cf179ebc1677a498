"""The business rules of issuance hold on both paths: one learner (events, staff, on demand) and a run's bulk chunk.

The single path (``credential_issue`` then its generation task) and the bulk path
(``configuration_issue_chunk``) share their building blocks (``credentials_generate`` is the
generation of both); these tests pin that they also share the outcomes.
"""

import os
from pathlib import Path

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from sandbox.lms import models as lms

from learning_credentials.exceptions import ConfigurationDisabled, IssuanceDisabled, PreviouslyInvalidated
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialAsset, CredentialEvent, LanguageTemplate
from learning_credentials.services import credential_invalidate, credential_issue
from learning_credentials.services.configuration import configuration_issue_chunk
from tests import factories

Source = CredentialEvent.Source
Kind = CredentialEvent.Kind


def single(configuration, user) -> None:
    credential_issue(user_id=user.pk, configuration=configuration, source=Source.EVENT)


def bulk(configuration, user) -> None:
    configuration_issue_chunk(
        configuration_id=configuration.pk, user_ids=[user.pk], run_id=None, source=Source.SCHEDULE
    )


@pytest.fixture(params=[single, bulk], ids=["single", "bulk"])
def issue(request, django_capture_on_commit_callbacks):
    """Issue on one path, running what it queues after commit (generation, email) as a worker would."""

    def run(configuration, user, *, errors: tuple[type[Exception], ...] = ()):
        with django_capture_on_commit_callbacks(execute=True):
            try:
                request.param(configuration, user)
            except errors as exc:
                return exc
        return None

    run.path = request.param.__name__
    return run


@pytest.fixture
def completed(learner, course):
    factories.set_completion(learner, course, 1.0)
    return learner


def stored_files(settings) -> set[str]:
    root = Path(settings.MEDIA_ROOT)
    return {str(path.relative_to(root)) for path in root.rglob("*.pdf")} if root.exists() else set()


def test_an_eligible_learner_gets_one_available_credential_with_its_audit_trail(issue, configuration, completed):
    issue(configuration, completed)
    credential = Credential.objects.get(user=completed, configuration=configuration)
    assert credential.status == Status.AVAILABLE and credential.active is True
    assert credential.learner_name == "Ada Lovelace"  # the snapshot is normalised
    assert credential.context_name == "Introduction to Computing"
    assert credential.attempts == 1 and credential.lease_expires_at is None
    assert credential.artifact and credential.template_version
    kinds = list(credential.events.exclude(kind=Kind.EMAIL_SENT).values_list("kind", "from_status", "to_status"))
    assert kinds == [(Kind.ISSUED, "", Status.GENERATING), (Kind.STATUS_CHANGED, Status.GENERATING, Status.AVAILABLE)]
    assert [message.to for message in mail.outbox] == [[completed.email]]
    assert credential.events.filter(kind=Kind.EMAIL_SENT).count() == 1


def test_a_learner_holding_the_credential_gets_no_second_one(issue, configuration, completed):
    issue(configuration, completed)
    issue(configuration, completed)
    assert Credential.objects.filter(user=completed, configuration=configuration).count() == 1
    assert Credential.objects.get(user=completed).duplicate_attempts == 1
    assert len(mail.outbox) == 1


def test_an_invalidated_credential_is_not_issued_again_automatically(issue, configuration, completed):
    issue(configuration, completed)
    credential_invalidate(credential=Credential.objects.get(user=completed), category="refunded", source=Source.ADMIN)
    error = issue(configuration, completed, errors=(PreviouslyInvalidated,))
    assert (error is not None) == (issue.path == "single")
    assert list(Credential.objects.filter(user=completed).values_list("status", flat=True)) == [Status.INVALIDATED]


@pytest.mark.parametrize("switch", ["configuration", "kill_switch"])
def test_nothing_is_issued_while_issuance_is_off(issue, configuration, completed, settings, switch):
    if switch == "configuration":
        configuration.enabled = False
        configuration.save()
    else:
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
    error = issue(configuration, completed, errors=(ConfigurationDisabled, IssuanceDisabled))
    assert (error is not None) == (issue.path == "single")
    assert not Credential.objects.exists()


def test_an_ineligible_learner_gets_nothing_from_a_run(configuration, learner, course):
    factories.set_completion(learner, course, 0.5)
    counts = configuration_issue_chunk(
        configuration_id=configuration.pk, user_ids=[learner.pk], run_id=None, source=Source.SCHEDULE
    )
    assert counts == {"issued": 0, "failed": 0, "renewed": 0} and not Credential.objects.exists()


def test_a_broken_template_sends_the_credential_to_error_once_and_stores_nothing(
    issue, configuration, completed, template_asset, settings
):
    CredentialAsset.objects.filter(pk=template_asset.pk).update(content_hash="")
    path = template_asset.file.path
    with open(path, "wb") as file:
        file.write(b"this is not a PDF")
    issue(configuration, completed)
    credential = Credential.objects.get(user=completed)
    assert credential.status == Status.ERROR and credential.attempts == 1
    assert "PDF" in credential.error_message
    assert credential.lease_expires_at is None and not credential.artifact
    assert stored_files(settings) == {os.path.relpath(path, settings.MEDIA_ROOT)}  # only the template itself
    assert credential.events.filter(kind=Kind.STATUS_CHANGED, to_status=Status.ERROR).count() == 1
    assert mail.outbox == []


def test_a_chunk_runs_a_fixed_number_of_queries_whatever_its_size(
    configuration, course, settings, django_capture_on_commit_callbacks
):
    """Bulk reads and writes: ten times the learners, the same queries (the scale benchmark counts them in a worker),
    also when the configuration has a template per language and the learners read different languages."""
    LanguageTemplate.objects.create(configuration=configuration, language="fr", template="certificate-template")

    def run(size: int, offset: int) -> int:
        users = [factories.UserFactory(username=f"bulk{offset + i}") for i in range(size)]
        for index, user in enumerate(users):
            lms.Profile.objects.filter(user=user).update(language=("en", "fr", "es")[index % 3])
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            counts = configuration_issue_chunk(
                configuration_id=configuration.pk, user_ids=[u.pk for u in users], run_id=None, source=Source.SCHEDULE
            )
        assert counts == {"issued": size, "failed": 0, "renewed": 0}
        return len(queries)

    small, large = run(3, 0), run(30, 100)
    assert Credential.objects.filter(status=Status.AVAILABLE).count() == 33
    assert len(mail.outbox) == 33
    media = Path(settings.MEDIA_ROOT)
    assert not [*media.rglob("*.png"), *media.rglob("*.jpg")]  # share images wait for their first request
    assert large <= small + 4, (small, large)  # SQLite splits big inserts into a few batches
    assert set(Credential.objects.values_list("language", flat=True)) == {"en", "fr", "es"}

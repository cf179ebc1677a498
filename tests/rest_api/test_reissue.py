"""POST /api/learning_credentials/v1/credentials/<uuid>/reissue/: the holder's reissue after a name change."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_issue
from tests import factories

API = "/api/learning_credentials/v1"
SCHEDULE = CredentialEvent.Source.SCHEDULE


def url(credential) -> str:
    return f"{API}/credentials/{credential.uuid}/reissue/"


def rename(user, name: str) -> None:
    user.profile.full_name = name
    user.profile.save()


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def available(configuration, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SCHEDULE)
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE and credential.learner_name == "Ada Lovelace"
    return credential


def reissue(api, credential, capture):
    with capture(execute=True):
        return api.post(url(credential))


@pytest.mark.django_db
class TestNameChange:
    def test_refused_when_the_name_is_unchanged(self, api, available, learner):
        rename(learner, " Ada  Lovelace")  # the same name once normalised, as printed
        api.force_authenticate(learner)
        response = api.post(url(available))
        assert response.status_code == 409 and response.json()["code"] == "name_unchanged"
        available.refresh_from_db()
        assert available.status == Status.AVAILABLE and Credential.objects.count() == 1

    def test_reissued_under_the_new_name(self, api, available, learner, django_capture_on_commit_callbacks):
        rename(learner, "Ada King")
        api.force_authenticate(learner)
        response = reissue(api, available, django_capture_on_commit_callbacks)
        assert response.status_code == 202  # generation is queued; the status URL follows it
        new = Credential.objects.get(replaces=available)
        assert response["Location"] == f"{API}/credentials/{new.uuid}/"
        assert response.json()["uuid"] == str(new.uuid)
        new.refresh_from_db()
        available.refresh_from_db()
        assert new.status == Status.AVAILABLE and new.learner_name == "Ada King"
        assert available.status == Status.INVALIDATED and available.invalidation_reason == "superseded"
        assert available.learner_name == "Ada Lovelace"  # snapshots never change
        invalidated = available.events.get(kind=CredentialEvent.Kind.INVALIDATED)
        assert (invalidated.reason, invalidated.source, invalidated.actor_id) == ("name_change", "learner", learner.pk)
        for credential in (available, new):
            event = credential.events.get(kind=CredentialEvent.Kind.REISSUED)
            assert (event.reason, event.source, event.actor_id) == ("name_change", "learner", learner.pk)

    def test_once_per_period(self, api, available, learner, django_capture_on_commit_callbacks):
        rename(learner, "Ada King")
        api.force_authenticate(learner)
        reissue(api, available, django_capture_on_commit_callbacks)
        new = Credential.objects.get(replaces=available)
        rename(learner, "Ada Byron")
        response = api.post(url(new))
        assert response.status_code == 429
        assert response.json()["code"] == "reissue_too_soon"
        assert 29 * 86400 < int(response["Retry-After"]) <= 30 * 86400
        new.refresh_from_db()
        assert new.status == Status.AVAILABLE and Credential.objects.count() == 2
        CredentialEvent.objects.filter(kind=CredentialEvent.Kind.REISSUED).update(
            created=timezone.now() - timedelta(days=30, minutes=1)
        )
        response = reissue(api, new, django_capture_on_commit_callbacks)
        assert response.status_code == 202
        assert Credential.objects.get(replaces=new).learner_name == "Ada Byron"

    def test_period_is_a_setting(self, api, available, learner, settings, django_capture_on_commit_callbacks):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "NAME_CHANGE_REISSUE_PERIOD_DAYS": 0}
        api.force_authenticate(learner)
        rename(learner, "Ada King")
        reissue(api, available, django_capture_on_commit_callbacks)
        rename(learner, "Ada Byron")
        response = reissue(api, Credential.objects.get(replaces=available), django_capture_on_commit_callbacks)
        assert response.status_code == 202

    def test_staff_reissues_do_not_count(self, api, available, learner, staff_user, django_capture_on_commit_callbacks):
        from learning_credentials.services import credential_reissue

        with django_capture_on_commit_callbacks(execute=True):
            staff_new = credential_reissue(
                credential=available, source=CredentialEvent.Source.ADMIN, actor_id=staff_user.pk, reason="typo"
            )
        rename(learner, "Ada King")
        api.force_authenticate(learner)
        assert reissue(api, staff_new, django_capture_on_commit_callbacks).status_code == 202

    def test_only_an_available_credential(self, api, configuration, learner):
        rename(learner, "Ada King")
        api.force_authenticate(learner)
        for status in ("generating", "error"):
            credential = factories.CredentialFactory(user=learner, configuration=configuration, status=status)
            response = api.post(url(credential))
            assert response.status_code == 409 and response.json()["code"] == "invalid_transition"
            credential.delete()
        invalidated = factories.CredentialFactory(
            user=learner, configuration=configuration, status="invalidated", active=None
        )
        assert api.post(url(invalidated)).status_code == 409
        assert Credential.objects.count() == 1

    def test_kill_switch(self, api, available, learner, settings):
        rename(learner, "Ada King")
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        api.force_authenticate(learner)
        response = api.post(url(available))
        assert response.status_code == 409 and response.json()["code"] == "issuance_disabled"
        assert Credential.objects.count() == 1

    def test_a_disabled_configuration_still_corrects_names(
        self, api, available, learner, configuration, django_capture_on_commit_callbacks
    ):
        configuration.enabled = False
        configuration.save()
        rename(learner, "Ada King")
        api.force_authenticate(learner)
        assert reissue(api, available, django_capture_on_commit_callbacks).status_code == 202


@pytest.mark.django_db
class TestAccess:
    def test_requires_sign_in(self, api, available):
        assert api.post(url(available)).status_code in (401, 403)

    def test_other_learners_get_404(self, api, available):
        api.force_authenticate(factories.UserFactory(username="mallory"))
        assert api.post(url(available)).status_code == 404

    def test_staff_are_told_to_use_the_admin(self, api, available, learner, staff_user):
        rename(learner, "Ada King")
        teacher = factories.UserFactory(username="teacher")
        lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
        for user in (staff_user, teacher):
            api.force_authenticate(user)
            response = api.post(url(available))
            assert response.status_code == 403 and response.json()["code"] == "access_denied"
        assert Credential.objects.count() == 1

    @pytest.mark.parametrize("junk", ["not-a-uuid", "%00", "😀", "12345678123412341234123456789"])
    def test_malformed_uuid_is_404(self, api, learner, junk):
        api.force_authenticate(learner)
        assert api.post(f"{API}/credentials/{junk}/reissue/").status_code == 404

    def test_only_post(self, api, available, learner):
        api.force_authenticate(learner)
        assert api.get(url(available)).status_code == 405


@pytest.mark.django_db(transaction=True)
def test_ready_within_the_request_is_201(configuration, learner):
    credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SCHEDULE)
    rename(learner, "Ada King")
    api = APIClient()
    api.force_authenticate(learner)
    response = api.post(url(credential))  # committed at once; the eager task generates it before the answer
    assert response.status_code == 201
    assert response.json()["status"] == "available" and response.json()["learner_name"] == "Ada King"


@pytest.mark.django_db
def test_a_broker_that_cannot_be_reached_leaves_the_reissue_to_the_sweeper(
    api, available, learner, django_capture_on_commit_callbacks, monkeypatch, caplog
):
    """The reissue is committed: the learner gets it (202), its generation is logged as not queued
    and the sweeper generates it once its lease ends, instead of a 500 after the fact."""
    from kombu.exceptions import OperationalError

    from learning_credentials.services.sweeper import credentials_sweep
    from learning_credentials.tasks import generate_credential

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    rename(learner, "Ada King")
    api.force_authenticate(learner)
    with monkeypatch.context() as broker:
        broker.setattr(generate_credential, "apply_async", down)
        response = reissue(api, available, django_capture_on_commit_callbacks)

    assert response.status_code == 202, response.content
    new = Credential.objects.get(uuid=response.json()["uuid"])
    assert new.status == Status.GENERATING and new.learner_name == "Ada King"
    assert new.lease_expires_at is not None
    available.refresh_from_db()
    assert available.status == Status.INVALIDATED
    assert any(
        "generation_not_queued" in r.getMessage() and "queue_unavailable" in r.getMessage() for r in caplog.records
    )

    with django_capture_on_commit_callbacks(execute=True):
        swept = credentials_sweep(now=new.lease_expires_at + timedelta(seconds=1))
    assert swept["errored"] == 1 and swept["retried"] == 1
    new.refresh_from_db()
    assert new.status == Status.AVAILABLE and new.learner_name == "Ada King"

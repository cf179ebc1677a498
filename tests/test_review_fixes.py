"""Defects found in review: each test failed before its fix."""

import pytest
from django.core.files.storage import FileSystemStorage, storages

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.services import credential_generate, credential_issue_or_get
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.refunds import refund_parse
from tests import factories

pytestmark = pytest.mark.django_db


class FullDisk(FileSystemStorage):
    """A storage whose writes fail as a full disk does: the production seam for storage faults."""

    def _save(self, name, content):
        raise OSError(28, "No space left on device")


def test_a_storage_failure_sends_the_credential_to_error_not_limbo(configuration, learner, settings, caplog):
    settings.STORAGES = {**settings.STORAGES, "lc-full": {"BACKEND": "tests.test_review_fixes.FullDisk"}}
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "STORAGE": "lc-full"}
    storages._storages.pop("lc-full", None)
    credential, _ = credential_issue_or_get(
        user_id=learner.pk, configuration=configuration, source="schedule", queue=False
    )
    result = credential_generate(credential_id=credential.pk)
    assert result.status == Status.ERROR
    # Staff read where the details are; the exception's own text goes to the log only.
    assert result.error_message == (
        f"Generating the credential failed unexpectedly; the server log of credential {credential.pk} has the details."
    )
    assert "No space left on device" in caplog.text


def test_a_redelivered_chunk_finishes_a_credential_left_generating(configuration, learner, course):
    factories.set_completion(learner, course, 1.0)
    credential, _ = credential_issue_or_get(
        user_id=learner.pk, configuration=configuration, source="schedule", queue=False
    )
    assert credential.status == Status.GENERATING  # the worker died here
    counts = configuration_issue_chunk(
        configuration_id=configuration.pk, user_ids=[learner.pk], run_id=None, source="schedule"
    )
    assert counts == {"issued": 1, "failed": 0, "renewed": 0}
    assert Credential.objects.get(pk=credential.pk).status == Status.AVAILABLE


def test_share_image_is_never_cached_publicly_once_private(client, configuration, learner):
    credential = factories.CredentialFactory(configuration=configuration, user=learner)
    url = f"/learning_credentials/verify/{credential.verify_uuid}/image.png"
    assert client.get(url)["Cache-Control"] == "public, max-age=60"
    credential.visibility = "private"
    credential.save()
    client.force_login(learner)
    cache_control = client.get(url)["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control and "public" not in cache_control


@pytest.mark.parametrize(
    "url",
    [
        "/learning_credentials/courses/course-v1:DemoX+CS101+2026/%00/certificate/",
        "/api/learning_credentials/v1/credentials/?username=%00",
        "/api/learning_credentials/v1/eligibility/course-v1:DemoX+CS101+2026/?username=%00",
    ],
)
def test_nul_bytes_are_a_4xx_on_every_database(client, course, staff_user, url):
    client.force_login(staff_user)
    assert 400 <= client.get(url).status_code < 500


def test_learner_reissue_page_when_issuance_is_switched_off(client, configuration, learner, settings):
    credential = factories.CredentialFactory(configuration=configuration, user=learner)
    learner.profile.full_name = "Ada King"
    learner.profile.save()
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
    client.force_login(learner)
    response = client.post(f"/learning_credentials/credentials/{credential.uuid}/reissue/", follow=True)
    assert response.status_code == 200
    assert Credential.objects.filter(user=learner).count() == 1


def test_a_huge_integer_refund_amount_is_a_validation_error():
    import json

    from learning_credentials.exceptions import WebhookPayloadInvalid

    body = {
        "event_id": "e",
        "order_reference": "",
        "username": "ada",
        "context_key": "course-v1:DemoX+CS101+2026",
        "amount": 10**400,
        "amount_refunded": 1,
        "currency": "EUR",
    }
    with pytest.raises(WebhookPayloadInvalid):
        refund_parse(json.dumps(body).encode())


def test_head_never_issues_on_the_certificate_route(client, configuration, learner, course):
    factories.set_completion(learner, course, 1.0)
    client.force_login(learner)
    slug = configuration.credential_type.slug
    response = client.head(f"/learning_credentials/courses/{configuration.learning_context_key}/{slug}/certificate/")
    assert response.status_code == 405
    assert not Credential.objects.exists()

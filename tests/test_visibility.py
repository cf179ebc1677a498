"""Public or private: a private credential is, to everyone but its holder and staff, exactly an unknown one."""

import uuid

import pytest

from learning_credentials.exceptions import InvalidOptions
from learning_credentials.models import CredentialEvent
from learning_credentials.services import credential_reissue, credential_set_visibility
from tests import factories

pytestmark = pytest.mark.django_db
PUBLIC_URLS = (
    "/learning_credentials/verify/{v}/",
    "/learning_credentials/verify/{v}/credential.pdf",
    "/learning_credentials/verify/{v}/image.png",
    "/api/learning_credentials/v1/metadata/{v}/",
)


@pytest.fixture
def credential(configuration, learner, django_capture_on_commit_callbacks):
    from learning_credentials.services import credential_issue

    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    return credential


def responses(client, verify_uuid):
    return [(url, client.get(url.format(v=verify_uuid))) for url in PUBLIC_URLS]


def test_private_is_indistinguishable_from_unknown(client, credential, learner, staff_user):
    assert credential.visibility == "public"
    assert all(response.status_code == 200 for _, response in responses(client, credential.verify_uuid))
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    unknown = uuid.uuid4()
    for viewer in (None, factories.UserFactory(username="stranger")):
        if viewer:
            client.force_login(viewer)
        for (url, private), (_, missing) in zip(
            responses(client, credential.verify_uuid), responses(client, unknown), strict=True
        ):
            assert private.status_code == missing.status_code == 404, url
            assert private.content == missing.content, url
    for viewer in (learner, staff_user):
        client.force_login(viewer)
        assert all(response.status_code == 200 for _, response in responses(client, credential.verify_uuid))


def test_changes_are_audited_once(credential, learner):
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    events = credential.events.filter(kind=CredentialEvent.Kind.VISIBILITY_CHANGED)
    assert [(e.details, e.actor_id) for e in events] == [({"from": "public", "to": "private"}, learner.pk)]
    with pytest.raises(InvalidOptions):
        credential_set_visibility(credential=credential, visibility="secret", source="learner")


def test_site_default_and_reissue_keep_the_learners_choice(credential, settings, learner, configuration):
    credential_set_visibility(credential=credential, visibility="private", source="learner")
    new = credential_reissue(credential=credential, source="learner", reason="name_change")
    assert new.visibility == "private"
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "DEFAULT_VISIBILITY": "private"}
    assert factories.CredentialFactory(configuration=configuration).visibility == "private"


def test_a_private_newer_credential_is_not_linked_from_the_superseded_one(client, credential, learner):
    new = credential_reissue(credential=credential, source="learner", reason="name_change")
    new.status, new.visibility = "available", "private"
    new.save()
    body = client.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/").json()
    assert body["status"] == "superseded" and body["superseded_by"] is None

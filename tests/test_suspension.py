"""Suspension: staff hold a valid credential back (audited, outside the lifecycle); every public surface says so."""

import pytest
from django.urls import reverse

from learning_credentials.exceptions import InvalidTransition
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.suspension import credential_suspend, credential_suspension_lift
from tests import factories

ADMIN = CredentialEvent.Source.ADMIN
pytestmark = pytest.mark.django_db


@pytest.fixture
def credential(configuration, learner):
    return factories.CredentialFactory(user=learner, configuration=configuration)


def metadata(client, credential) -> dict:
    return client.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/").json()


def test_suspended_then_lifted_every_public_surface_follows(client, credential, learner, staff_user):
    credential_suspend(credential=credential, reason="an inquiry into the exam", source=ADMIN, actor_id=staff_user.pk)
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE and credential.suspended_at is not None
    page = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()
    assert 'data-status="suspended"' in page and "This credential has been suspended since" in page
    assert "inquiry" not in page  # staff's reason stays with staff
    answer = metadata(client, credential)
    assert answer["status"] == "suspended" and answer["suspended_at"]
    client.force_login(learner)
    own = client.get(f"/learning_credentials/credentials/{credential.uuid}/").content.decode()
    assert "Suspended since" in own
    event = credential.events.get(kind=CredentialEvent.Kind.SUSPENDED)
    assert (event.reason, event.actor_id, event.source) == ("an inquiry into the exam", staff_user.pk, ADMIN)

    credential_suspension_lift(credential=credential, source=ADMIN, actor_id=staff_user.pk)
    assert metadata(client, credential)["status"] == "valid"
    assert credential.events.filter(kind=CredentialEvent.Kind.SUSPENSION_LIFTED).count() == 1
    credential_suspension_lift(credential=credential, source=ADMIN)  # again: nothing more recorded
    assert credential.events.filter(kind=CredentialEvent.Kind.SUSPENSION_LIFTED).count() == 1


def test_revoked_comes_before_suspended(client, credential):
    credential_suspend(credential=credential, reason="inquiry", source=ADMIN)
    credential_invalidate(credential=Credential.objects.get(pk=credential.pk), category="issued_in_error", source=ADMIN)
    assert metadata(client, credential)["status"] == "revoked"


def test_only_a_valid_credential_can_be_suspended(configuration):
    generating = factories.CredentialFactory(configuration=configuration, status=Status.GENERATING)
    with pytest.raises(InvalidTransition, match="Only a valid credential can be suspended"):
        credential_suspend(credential=generating, reason="x", source=ADMIN)


def test_staff_suspend_and_lift_from_the_admin(admin_client, admin_user, credential):
    changelist = reverse("admin:learning_credentials_credential_changelist")
    selected = {"action": "suspend", "_selected_action": [credential.pk]}
    form_page = admin_client.post(changelist, selected)
    assert form_page.status_code == 200 and "reason" in form_page.context["form"].fields
    admin_client.post(changelist, {**selected, "apply": "1", "reason": "plagiarism report"})
    credential.refresh_from_db()
    assert credential.suspended_at is not None and credential.suspension_reason == "plagiarism report"
    admin_client.post(changelist, {"action": "lift_suspension", "_selected_action": [credential.pk]})
    credential.refresh_from_db()
    assert credential.suspended_at is None

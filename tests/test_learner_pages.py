"""The learner pages: "My credentials", a credential's page, the public/private switch and the name-change reissue."""

import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from learning_credentials.identifiers import format_code
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_invalidate, credential_issue, credential_set_visibility
from tests import factories

pytestmark = pytest.mark.django_db
BASE = "/learning_credentials/credentials"


@pytest.fixture
def credential(configuration, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


@pytest.fixture
def stranger(db):
    return factories.UserFactory(username="stranger")


def page_urls(credential) -> list[tuple[str, str]]:
    return [
        ("get", f"{BASE}/{credential.uuid}/"),
        ("post", f"{BASE}/{credential.uuid}/visibility/"),
        ("post", f"{BASE}/{credential.uuid}/reissue/"),
    ]


def rename(user, name: str) -> None:
    user.profile.full_name = name
    user.profile.save()


def test_sign_in_required(client, credential):
    for method, url in [("get", f"{BASE}/"), *page_urls(credential)]:
        response = getattr(client, method)(url, {"visibility": "private"} if method == "post" else None)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next="), url
    credential.refresh_from_db()
    assert credential.visibility == "public"


def test_my_credentials_lists_only_mine(client, credential, learner, configuration, stranger):
    theirs = factories.CredentialFactory(user=stranger, configuration=configuration, context_name="Their course")
    generating = factories.CredentialFactory(user=learner, status=Status.GENERATING)
    client.force_login(learner)
    response = client.get(f"{BASE}/")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"{BASE}/{credential.uuid}/" in body and f"{BASE}/{credential.uuid}/download/" in body
    assert f"{BASE}/{generating.uuid}/" in body and f"{BASE}/{generating.uuid}/download/" not in body
    assert str(theirs.uuid) not in body and "Their course" not in body
    assert "Valid" in body and "Being prepared" in body and "Introduction to Computing" in body
    assert "<main" in body and "<h1>My credentials</h1>" in body and '<th scope="col">' in body
    detail = client.get(f"{BASE}/{generating.uuid}/").content.decode()
    assert "Your credential is being prepared" in detail and "Download the PDF" not in detail
    assert 'id="copy-link"' not in detail and "Reissue under" not in detail


def test_my_credentials_empty(client, stranger):
    client.force_login(stranger)
    assert "You have no credentials yet" in client.get(f"{BASE}/").content.decode()


def test_credential_page_has_everything_to_share(client, credential, learner):
    client.force_login(learner)
    response = client.get(f"{BASE}/{credential.uuid}/")
    assert response.status_code == 200
    body = response.content.decode()
    verify = f"https://lms.example.com/learning_credentials/verify/{credential.verify_uuid}/"
    assert f"{BASE}/{credential.uuid}/download/" in body
    assert f"/learning_credentials/verify/{credential.verify_uuid}/image.png" in body
    assert f'data-url="{verify}"' in body and 'id="copy-link"' in body
    assert format_code(credential.verification_code) in body
    assert 'name="csrfmiddlewaretoken"' in body and 'value="private"' in body and "Make private" in body
    assert "Reissue under my current name" in body
    linkedin = response.context["linkedin_url"]
    assert linkedin.replace("&", "&amp;") in body
    parts = urlsplit(linkedin)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com", "/profile/add")
    created = timezone.localtime(credential.created)
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"],
        "name": [f"{credential.type_name}: Introduction to Computing"],
        "organizationName": ["DemoX"],
        "issueYear": [str(created.year)],
        "issueMonth": [str(created.month)],
        "certUrl": [verify],
        "certId": [format_code(credential.verification_code)],
    }
    assert " " not in linkedin and "%3A%2F%2F" in linkedin  # the certificate URL is encoded


def test_somebody_elses_or_unknown_uuid_is_404_everywhere(client, credential, stranger, staff_user):
    for user in (stranger, staff_user):
        client.force_login(user)
        for method, url in page_urls(credential):
            response = getattr(client, method)(url, {"visibility": "private"} if method == "post" else None)
            assert response.status_code == 404, (user, url)
    client.force_login(credential.user)
    for raw in (str(uuid.uuid4()), "not-a-uuid", "%00", "x" * 300, "😀"):
        assert client.get(f"{BASE}/{raw}/").status_code == 404, raw
        assert client.post(f"{BASE}/{raw}/visibility/", {"visibility": "private"}).status_code == 404, raw
    credential.refresh_from_db()
    assert credential.visibility == "public" and Credential.objects.count() == 1
    assert not credential.events.filter(kind=CredentialEvent.Kind.VISIBILITY_CHANGED).exists()


def test_switch_to_private_and_back(client, credential, learner):
    client.force_login(learner)
    response = client.post(f"{BASE}/{credential.uuid}/visibility/", {"visibility": "private"}, follow=True)
    assert response.redirect_chain == [(f"{BASE}/{credential.uuid}/", 302)]
    body = response.content.decode()
    assert "Your credential is now private" in body and "Make public" in body
    assert "linkedin_url" not in response.context and 'id="copy-link"' not in body
    credential.refresh_from_db()
    assert credential.visibility == "private"
    event = credential.events.get(kind=CredentialEvent.Kind.VISIBILITY_CHANGED)
    assert (event.source, event.actor_id, event.details) == ("learner", learner.pk, {"from": "public", "to": "private"})
    client.post(f"{BASE}/{credential.uuid}/visibility/", {"visibility": "public"})
    credential.refresh_from_db()
    assert credential.visibility == "public"


def test_switch_rejects_bad_input_get_and_missing_csrf(client, credential, learner):
    client.force_login(learner)
    url = f"{BASE}/{credential.uuid}/visibility/"
    response = client.post(url, {"visibility": "secret"}, follow=True)
    assert "Choose whether the credential is public or private." in response.content.decode()
    assert client.get(url).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(learner)
    assert strict.post(url, {"visibility": "private"}).status_code == 403
    credential.refresh_from_db()
    assert credential.visibility == "public"


def test_reissue_refused_when_the_name_is_unchanged(client, credential, learner):
    client.force_login(learner)
    response = client.post(f"{BASE}/{credential.uuid}/reissue/", follow=True)
    assert response.redirect_chain == [(f"{BASE}/{credential.uuid}/", 302)]
    assert "there is nothing to change" in response.content.decode()
    assert Credential.objects.count() == 1


def test_reissue_under_the_new_name_then_too_soon(client, credential, learner, django_capture_on_commit_callbacks):
    rename(learner, "Ada King")
    client.force_login(learner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{BASE}/{credential.uuid}/reissue/")
    new = Credential.objects.exclude(pk=credential.pk).get()
    assert response.status_code == 302 and response["Location"] == f"{BASE}/{new.uuid}/"
    assert new.learner_name == "Ada King" and new.status == Status.AVAILABLE
    credential.refresh_from_db()
    assert credential.status == Status.INVALIDATED and credential.invalidation_reason == "superseded"
    old_page = client.get(f"{BASE}/{credential.uuid}/").content.decode()
    assert "Superseded on" in old_page and f"{BASE}/{new.uuid}/" in old_page
    assert "Reissue under my current name" not in old_page and f"{BASE}/{credential.uuid}/download/" not in old_page
    rename(learner, "Ada Byron")
    response = client.post(f"{BASE}/{new.uuid}/reissue/", follow=True)
    assert "you can ask again after" in response.content.decode()
    assert Credential.objects.count() == 2


def test_revoked_credential_says_so_and_offers_no_sharing(client, credential, learner):
    credential_invalidate(credential=credential, category="refunded", source="staff", note="internal")
    client.force_login(learner)
    body = client.get(f"{BASE}/{credential.uuid}/").content.decode()
    assert "Revoked on" in body and "Reason: Refunded" in body and "internal" not in body
    assert 'id="copy-link"' not in body and "linkedin.com" not in body and "Reissue under" not in body
    assert "Revoked on" in client.get(f"{BASE}/").content.decode()


def test_private_credential_page_explains_sharing(client, credential, learner):
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    client.force_login(learner)
    body = client.get(f"{BASE}/{credential.uuid}/").content.decode()
    assert "This credential is private" in body and "Make public" in body and "linkedin.com" not in body

import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
MALFORMED = [
    "not-a-uuid",
    "x" * 5000,
    "%00",
    "%F0%9F%98%80" * 8,
    "12345678-1234-1234-1234-1234567890ab%00",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "12345678123412341234123456789",
    "😀😀😀",
]


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def available(configuration):
    user = factories.UserFactory(username="grace", email="grace@example.com", profile__full_name="Grace Hopper")
    return factories.CredentialFactory(user=user, configuration=configuration, score="91.50")


def _invalidate(credential, reason="refunded", note="internal: chargeback"):
    credential.status, credential.active = "invalidated", None
    credential.invalidated_at, credential.invalidation_reason, credential.invalidation_note = (
        timezone.now(),
        reason,
        note,
    )
    credential.save()


class TestMetadata:
    def test_public_fields_of_a_valid_credential(self, client, available):
        response = client.get(f"{API}/metadata/{available.verify_uuid}/")
        assert response.status_code == 200
        body = response.json()
        assert body["holder_name"] == "Grace Hopper"
        assert body["credential_type"] == available.type_name
        assert body["context_key"] == factories.COURSE_KEY
        assert body["context_name"] == "Introduction to Computing"
        assert body["issuer"] == "DemoX"
        assert body["issue_date"] == available.created.date().isoformat()
        assert body["score"] == "91.50"
        assert body["status"] == "valid" and body["revoked_at"] is None and body["superseded_by"] is None
        assert body["verify_url"] == f"https://lms.example.com/learning_credentials/verify/{available.verify_uuid}/"

    def test_never_exposes_private_fields(self, client, available):
        _invalidate(available)
        raw = client.get(f"{API}/metadata/{available.verify_uuid}/").content.decode()
        for secret in ("grace@example.com", '"grace"', str(available.uuid), "chargeback", '"user"', "order_reference"):
            assert secret not in raw

    def test_revoked_shows_date_and_category(self, client, available):
        _invalidate(available, reason="issued_in_error")
        body = client.get(f"{API}/metadata/{available.verify_uuid}/").json()
        assert body["status"] == "revoked"
        assert body["reason"] == "issued_in_error" and body["reason_label"] == "Issued in error"
        assert body["revoked_at"].startswith(available.invalidated_at.date().isoformat())

    def test_superseded_links_to_the_newer_credential_once_available(self, client, available):
        _invalidate(available, reason="superseded", note="")
        newer = factories.CredentialFactory(
            user=available.user, configuration=available.configuration, replaces=available, status="generating"
        )
        body = client.get(f"{API}/metadata/{available.verify_uuid}/").json()
        assert body["status"] == "superseded" and body["superseded_by"] is None
        newer.status = "available"
        newer.save()
        body = client.get(f"{API}/metadata/{available.verify_uuid}/").json()
        assert body["superseded_by"] == f"https://lms.example.com/learning_credentials/verify/{newer.verify_uuid}/"

    @pytest.mark.parametrize("status", ["generating", "error"])
    def test_unfinished_credentials_are_not_public(self, client, configuration, status):
        credential = factories.CredentialFactory(configuration=configuration, status=status)
        response = client.get(f"{API}/metadata/{credential.verify_uuid}/")
        assert response.status_code == 404
        assert response.json() == client.get(f"{API}/metadata/{uuid.uuid4()}/").json()

    @pytest.mark.parametrize("junk", MALFORMED)
    def test_malformed_identifiers_are_a_plain_404(self, client, junk, django_assert_num_queries):
        with django_assert_num_queries(0):
            response = client.get(f"{API}/metadata/{junk}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}

    def test_no_authentication_needed_and_session_ignored(self, client, available):
        client.force_authenticate(factories.UserFactory(username="someone"))
        assert client.get(f"{API}/metadata/{available.verify_uuid}/").status_code == 200


class TestCredentialList:
    def test_requires_sign_in(self, client):
        assert client.get(f"{API}/credentials/").status_code in (401, 403)

    def test_learner_sees_only_their_own(self, client, available, configuration):
        factories.CredentialFactory(configuration=configuration)  # someone else's
        client.force_authenticate(available.user)
        body = client.get(f"{API}/credentials/").json()
        assert body["count"] == 1
        item = body["results"][0]
        assert item["uuid"] == str(available.uuid) and item["status"] == "available"
        assert item["type_key"] == configuration.credential_type.slug
        assert item["public_status"]["status"] == "valid"
        assert item["invalidation_reason"] is None and item["invalidated_at"] is None
        assert item["score"] == "91.50" and item["username"] == "grace"
        assert "invalidation_note" not in item

    def test_learner_may_name_themselves_but_nobody_else(self, client, available, configuration):
        other = factories.CredentialFactory(configuration=configuration)
        client.force_authenticate(available.user)
        assert client.get(f"{API}/credentials/", {"username": "grace"}).json()["count"] == 1
        response = client.get(f"{API}/credentials/", {"username": other.user.username})
        assert response.status_code == 403
        response = client.get(
            f"{API}/credentials/", {"username": other.user.username, "context_key": factories.COURSE_KEY}
        )
        assert response.status_code == 403

    def test_global_staff_may_filter_by_username(self, client, available, staff_user):
        client.force_authenticate(staff_user)
        body = client.get(f"{API}/credentials/", {"username": "grace"}).json()
        assert [item["uuid"] for item in body["results"]] == [str(available.uuid)]
        assert client.get(f"{API}/credentials/", {"username": "nobody"}).status_code == 404

    def test_course_staff_need_a_context_they_staff(self, client, available):
        teacher = factories.UserFactory(username="teacher")
        lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
        client.force_authenticate(teacher)
        assert client.get(f"{API}/credentials/", {"username": "grace"}).status_code == 403
        other_course = "course-v1:DemoX+Other+2026"
        assert client.get(f"{API}/credentials/", {"username": "grace", "context_key": other_course}).status_code == 403
        body = client.get(f"{API}/credentials/", {"username": "grace", "context_key": factories.COURSE_KEY}).json()
        assert body["count"] == 1

    def test_context_filter_and_malformed_key(self, client, available):
        client.force_authenticate(available.user)
        assert client.get(f"{API}/credentials/", {"context_key": "course-v1:DemoX+Other+2026"}).json()["count"] == 0
        response = client.get(f"{API}/credentials/", {"context_key": "garbage\x00"})
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_context_key"


class TestCredentialDetail:
    def test_owner_sees_status(self, client, available):
        client.force_authenticate(available.user)
        body = client.get(f"{API}/credentials/{available.uuid}/").json()
        assert body["status"] == "available" and body["learner_name"] == "Grace Hopper"

    def test_staff_and_course_staff_see_it(self, client, available, staff_user):
        client.force_authenticate(staff_user)
        assert client.get(f"{API}/credentials/{available.uuid}/").status_code == 200
        teacher = factories.UserFactory(username="teacher")
        lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
        client.force_authenticate(teacher)
        assert client.get(f"{API}/credentials/{available.uuid}/").status_code == 200

    def test_anyone_else_gets_404(self, client, available):
        client.force_authenticate(factories.UserFactory(username="mallory"))
        assert client.get(f"{API}/credentials/{available.uuid}/").status_code == 404

    def test_generating_credential_has_no_public_link_yet(self, client, configuration):
        credential = factories.CredentialFactory(configuration=configuration, status="generating")
        client.force_authenticate(credential.user)
        body = client.get(f"{API}/credentials/{credential.uuid}/").json()
        assert body["status"] == "generating" and body["verify_url"] is None and body["public_status"] is None

    @pytest.mark.parametrize("junk", MALFORMED)
    def test_malformed_uuid_is_404(self, client, available, junk):
        client.force_authenticate(available.user)
        assert client.get(f"{API}/credentials/{junk}/").status_code == 404

"""GET /api/learning_credentials/v1/verify/<code>/: the metadata body, found by verification code."""

import uuid

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from learning_credentials.models import Visibility
from tests import factories
from tests.rest_api.test_v1 import API, MALFORMED, _invalidate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def available(configuration):
    user = factories.UserFactory(username="grace", email="grace@example.com", profile__full_name="Grace Hopper")
    return factories.CredentialFactory(user=user, configuration=configuration, score="91.50")


def by_code(client, code):
    return client.get(f"{API}/verify/{code}/")


def metadata(client, credential):
    return client.get(f"{API}/metadata/{credential.verify_uuid}/")


@pytest.mark.parametrize("state", ["valid", "revoked", "superseded"])
def test_same_body_as_the_metadata_endpoint(client, available, state):
    if state != "valid":
        _invalidate(available, reason="refunded" if state == "revoked" else "superseded")
    if state == "superseded":
        factories.CredentialFactory(user=available.user, configuration=available.configuration, replaces=available)
    response = by_code(client, available.verification_code)
    assert response.status_code == 200
    assert response.json() == metadata(client, available).json()
    body = response.json()
    assert body["status"] == state and body["holder_name"] == "Grace Hopper" and body["score"] == "91.50"
    assert body["verify_url"] == f"https://lms.example.com/learning_credentials/verify/{available.verify_uuid}/"
    if state == "revoked":
        assert body["reason"] == "refunded" and body["reason_label"] == "Refunded" and body["revoked_at"]
    if state == "superseded":
        assert body["superseded_by"].startswith("https://lms.example.com/learning_credentials/verify/")


@pytest.mark.parametrize("form", ["lower", "hyphen", "spaces", "confusables"])
def test_case_hyphens_and_spaces_do_not_matter(client, configuration, form):
    credential = factories.CredentialFactory(configuration=configuration, verification_code="AB1CD0EF23")
    typed = {
        "lower": "ab1cd0ef23",
        "hyphen": "AB1CD-0EF23",
        "spaces": "ab1 cd0 ef 23",
        "confusables": "abicdoef23",  # I reads as 1 and O as 0 (Crockford)
    }[form]
    response = by_code(client, typed)
    assert response.status_code == 200
    assert response.json()["verify_uuid"] == str(credential.verify_uuid)


def test_never_exposes_private_fields(client, available):
    _invalidate(available)
    raw = by_code(client, available.verification_code).content.decode()
    for secret in ("grace@example.com", '"grace"', str(available.uuid), "chargeback", "order_reference"):
        assert secret not in raw


@pytest.mark.parametrize("status", ["generating", "error"])
def test_unfinished_credentials_are_not_public(client, configuration, status):
    credential = factories.CredentialFactory(configuration=configuration, status=status)
    response = by_code(client, credential.verification_code)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("junk", [*MALFORMED, "ZZZZZZZZZZ", str(uuid.uuid4()), "a/b/c"])
def test_unknown_and_malformed_codes_are_a_plain_404(client, junk):
    response = by_code(client, junk)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


def test_private_is_exactly_unknown_except_for_holder_and_staff(client, available, staff_user):
    available.visibility = Visibility.PRIVATE
    available.save()
    unknown = by_code(client, "ZZZZZZZZZZ")
    for viewer in (None, factories.UserFactory(username="stranger")):
        client.force_authenticate(viewer)
        private = by_code(client, available.verification_code)
        assert private.status_code == unknown.status_code == 404
        assert private.content == unknown.content
    for viewer in (available.user, staff_user):
        client.force_authenticate(viewer)
        assert by_code(client, available.verification_code).status_code == 200

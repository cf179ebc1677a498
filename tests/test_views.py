import uuid

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from tests import factories
from tests.rest_api.test_v1 import MALFORMED

pytestmark = pytest.mark.django_db


@pytest.fixture
def available(configuration):
    user = factories.UserFactory(username="grace", profile__full_name="Grace Hopper")
    return factories.CredentialFactory(user=user, configuration=configuration, score="91.50")


def page(client, credential_or_id):
    identifier = getattr(credential_or_id, "verify_uuid", credential_or_id)
    return client.get(f"/learning_credentials/verify/{identifier}/")


def test_valid_credential_page(client, available):
    response = page(client, available)
    html = response.content.decode()
    assert response.status_code == 200
    for expected in ("Grace Hopper", "Introduction to Computing", "DemoX", "This credential is valid.", "91.50%"):
        assert expected in html
    code = available.verification_code
    assert f"{code[:5]}-{code[5:]}" in html


def test_revoked_page_says_so_with_reason_but_not_the_note(client, available):
    available.status, available.active = "invalidated", None
    available.invalidated_at, available.invalidation_reason = timezone.now(), "refunded"
    available.invalidation_note = "chargeback from bank"
    available.save()
    html = page(client, available).content.decode()
    date = date_filter(available.invalidated_at, "DATE_FORMAT")
    assert f"This credential was revoked on {date}. Reason: Refunded." in html
    assert "chargeback" not in html


@pytest.mark.parametrize("junk", [*MALFORMED, str(uuid.uuid4())])
def test_unknown_and_malformed_are_404(client, db, junk):
    assert page(client, junk).status_code == 404


def test_generating_is_404(client, configuration):
    assert (
        page(client, factories.CredentialFactory(configuration=configuration, status="generating")).status_code == 404
    )

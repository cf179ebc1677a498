"""Status lists: indexes drawn at issue, the revocation bit set with the invalidation, the list a verifier reads."""

import pytest
from django.db import transaction
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from learning_credentials.models import CredentialEvent
from learning_credentials.open_badges import status
from learning_credentials.open_badges.issuers import did_document, issuer_for_context
from learning_credentials.open_badges.models import StatusEntry, StatusList
from learning_credentials.open_badges.signing import multikey_public_decode, proof_verify
from learning_credentials.open_badges.status_list import bit_get, bitstring_decode
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.suspension import credential_suspend, credential_suspension_lift
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

SOURCE = CredentialEvent.Source.ADMIN
Purpose = StatusList.Purpose
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]


def issue(configuration, count: int):
    users = [factories.UserFactory() for _ in range(count)]
    for user in users:
        factories.enroll(user)
    return [credential_issue(user_id=user.pk, configuration=configuration, source=SOURCE) for user in users]


def entries(credential) -> dict[str, StatusEntry]:
    return {entry.purpose: entry for entry in StatusEntry.objects.filter(credential=credential)}


def test_each_credential_gets_a_random_index_per_purpose_in_its_issuer_s_lists(configuration):
    credentials = issue(configuration, 12)
    issuer = issuer_for_context(configuration.learning_context_key)
    for purpose in Purpose.values:
        (status_list,) = StatusList.objects.filter(issuer=issuer, purpose=purpose)
        indexes = [entries(c)[purpose].index for c in credentials]
        assert len(set(indexes)) == 12 and status_list.used == 12 and status_list.size == 131_072
        assert indexes != sorted(indexes)  # drawn at random, not in issue order (1 chance in 12! to fail)
        assert not any(bit_get(bytes(status_list.bits), index) for index in indexes)


def test_a_full_list_opens_the_next(configuration, monkeypatch):
    monkeypatch.setattr(status, "LIST_FILL", 5)
    issue(configuration, 7)
    lists = StatusList.objects.filter(purpose=Purpose.REVOCATION).order_by("number")
    assert [(status_list.number, status_list.used) for status_list in lists] == [(1, 5), (2, 2)]


def test_the_revocation_bit_is_set_with_the_invalidation_and_rolled_back_with_it(configuration):
    (credential,) = issue(configuration, 1)
    entry = entries(credential)[Purpose.REVOCATION]

    def bit() -> bool:
        return bit_get(bytes(StatusList.objects.get(pk=entry.status_list_id).bits), entry.index)

    with pytest.raises(RuntimeError), transaction.atomic():
        credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
        assert bit()
        raise RuntimeError("the invalidation fails after the bit was set")
    assert not bit()
    credential.refresh_from_db()
    credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
    assert bit()
    suspension = entries(credential)[Purpose.SUSPENSION]
    assert not bit_get(bytes(StatusList.objects.get(pk=suspension.status_list_id).bits), suspension.index)


def test_the_signed_list_shows_the_bit_verifies_and_changes_its_etag(client, configuration):
    (credential,) = issue(configuration, 1)
    entry = entries(credential)[Purpose.REVOCATION]
    url = f"/learning_credentials/status/{entry.status_list.public_id}/"
    first = client.get(url)
    assert first.status_code == 200 and "max-age=60" in first["Cache-Control"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    document = first.json()
    assert document["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert document["credentialSubject"]["statusPurpose"] == "revocation"
    issuer = entry.status_list.issuer

    def resolve(method: str):
        (found,) = [m for m in did_document(issuer)["verificationMethod"] if m["id"] == method]
        return multikey_public_decode(found["publicKeyMultibase"])

    assert proof_verify(document, resolve_key=resolve)
    assert not bit_get(bitstring_decode(document["credentialSubject"]["encodedList"]), entry.index)

    credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
    second = client.get(url)
    assert second["ETag"] != first["ETag"]
    assert bit_get(bitstring_decode(second.json()["credentialSubject"]["encodedList"]), entry.index)
    assert proof_verify(second.json(), resolve_key=resolve)
    tampered = second.json()
    tampered["credentialSubject"]["encodedList"] = document["credentialSubject"]["encodedList"]
    assert not proof_verify(tampered, resolve_key=resolve)

    token = client.get(f"/learning_credentials/status/{entry.status_list.public_id}.jwt").content.decode()
    (p256,) = [m for m in did_document(issuer)["verificationMethod"] if m["type"] == "JsonWebKey"]
    claims = jose_jwt.decode(token, ECKey.import_key(p256["publicKeyJwk"]), algorithms=["ES256"]).claims
    assert claims["iss"] == issuer.did and bit_get(
        bitstring_decode(claims["credentialSubject"]["encodedList"]), entry.index
    )


@pytest.mark.parametrize("list_id", ["nobody-revocation-1", "platform-expiry-1", "platform-revocation-x", "x"])
def test_an_unknown_list_is_a_404(client, list_id):
    assert client.get(f"/learning_credentials/status/{list_id}/").status_code == 404


def test_the_suspension_bit_follows_a_suspension_and_its_lifting(configuration):
    (credential,) = issue(configuration, 1)
    entry = entries(credential)[Purpose.SUSPENSION]

    def bit() -> bool:
        return bit_get(bytes(StatusList.objects.get(pk=entry.status_list_id).bits), entry.index)

    credential.status = "available"
    credential.save()
    credential_suspend(credential=credential, reason="inquiry", source=SOURCE)
    assert bit()
    credential_suspension_lift(credential=credential, source=SOURCE)
    assert not bit()


def test_a_renewal_sets_the_old_credential_s_revocation_bit_and_the_new_one_gets_its_own_entries(configuration):
    from datetime import timedelta

    from django.utils import timezone

    from learning_credentials.lifecycle import Status
    from learning_credentials.models import Credential
    from learning_credentials.services.issuance import credential_renew

    (credential,) = issue(configuration, 1)
    Credential.objects.filter(pk=credential.pk).update(
        status=Status.AVAILABLE, expires_at=timezone.now() + timedelta(days=5)
    )
    credential.refresh_from_db()
    entry = entries(credential)[Purpose.REVOCATION]
    new = credential_renew(credential=credential, source=SOURCE, reason="annual review")
    assert bit_get(bytes(StatusList.objects.get(pk=entry.status_list_id).bits), entry.index)
    fresh = entries(new)[Purpose.REVOCATION]
    assert not bit_get(bytes(StatusList.objects.get(pk=fresh.status_list_id).bits), fresh.index)

"""A credential as a signed Open Badge: ob3.json (Data Integrity) and ob3.jwt, under the verification page's rules."""

import base64
import json
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from learning_credentials.models import Credential, CredentialEvent, Visibility
from learning_credentials.open_badges.issuers import did_document, issuer_for_context
from learning_credentials.open_badges.models import SignedCredential, SigningKey, StatusEntry, StatusList
from learning_credentials.open_badges.signing import multikey_public_decode, proof_verify
from learning_credentials.open_badges.status_list import bit_get, bitstring_decode
from learning_credentials.open_badges.verification import credential_verify
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.retirement import learner_retire
from tests import factories
from tests.open_badges.test_documents import validate
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]


@pytest.fixture
def credential(configuration, learner):
    return factories.CredentialFactory(user=learner, configuration=configuration, score=Decimal("87.50"))


def url(credential, suffix: str) -> str:
    return f"/learning_credentials/verify/{credential.verify_uuid}/ob3.{suffix}"


def methods(credential) -> dict:
    issuer = issuer_for_context(credential.configuration.learning_context_key)
    return {method["id"]: method for method in did_document(issuer)["verificationMethod"]}


def test_ob3_json_is_a_valid_open_badge_whose_proof_verifies_through_the_issuer_s_did(client, credential):
    response = client.get(url(credential, "json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/vc+ld+json"
    document = response.json()
    validate(document)
    assert document["id"] == f"urn:uuid:{credential.verify_uuid}"
    assert document["credentialSubject"]["identifier"][1]["identityHash"] == credential.learner_name
    assert document["credentialSubject"]["result"][0]["value"] == "87.5"
    found = methods(credential)
    assert proof_verify(document, resolve_key=lambda m: multikey_public_decode(found[m]["publicKeyMultibase"]))
    tampered = json.loads(json.dumps(document))
    tampered["credentialSubject"]["identifier"][1]["identityHash"] = "Mallory"
    assert not proof_verify(tampered, resolve_key=lambda m: multikey_public_decode(found[m]["publicKeyMultibase"]))


def test_a_stored_document_is_served_as_it_was_signed_with_at_most_three_queries(
    client, credential, django_assert_max_num_queries
):
    first = client.get(url(credential, "json")).content
    with django_assert_max_num_queries(3):
        again = client.get(url(credential, "json"))
    assert again.content == first
    assert SignedCredential.objects.get(credential=credential).document is not None


def test_ob3_jwt_verifies_with_the_issuer_s_p256_key(client, credential):
    token = client.get(url(credential, "jwt")).content.decode()
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    key = methods(credential)[header["kid"]]["publicKeyJwk"]
    claims = jose_jwt.decode(token, ECKey.import_key(key), algorithms=["ES256"]).claims
    assert claims["jti"] == f"urn:uuid:{credential.verify_uuid}" and claims["iss"] == header["kid"].split("#")[0]
    assert claims["credentialSubject"]["achievement"]["name"] == credential.type_name
    assert client.get(url(credential, "jwt")).content.decode() == token  # kept


def test_a_revoked_credential_is_still_served_and_its_status_bit_says_revoked(client, credential):
    document = client.get(url(credential, "json")).json()
    credential_invalidate(credential=credential, category="issued_in_error", source=CredentialEvent.Source.ADMIN)
    assert client.get(url(credential, "json")).json() == document
    entry = document["credentialStatus"]
    status_list = client.get(urlsplit(entry["statusListCredential"]).path).json()
    assert bit_get(bitstring_decode(status_list["credentialSubject"]["encodedList"]), int(entry["statusListIndex"]))


def test_private_is_private_and_unfinished_is_not_found(client, credential, learner, configuration):
    credential.visibility = Visibility.PRIVATE
    credential.save()
    assert client.get(url(credential, "json")).status_code == 404
    assert client.get(url(credential, "jwt")).status_code == 404
    client.force_login(learner)
    assert client.get(url(credential, "json")).status_code == 200
    generating = factories.CredentialFactory(configuration=configuration, status="generating")
    assert client.get(url(generating, "json")).status_code == 404


def test_a_retired_learner_s_signed_documents_go_and_the_bit_says_revoked(client, credential, learner):
    entry_url = client.get(url(credential, "json")).json()["credentialStatus"]
    assert SignedCredential.objects.filter(credential=credential).exists()
    learner_retire(user_id=learner.pk, source=CredentialEvent.Source.ADMIN)
    assert not SignedCredential.objects.filter(credential=credential).exists()
    status_list = client.get(urlsplit(entry_url["statusListCredential"]).path).json()
    assert bit_get(bitstring_decode(status_list["credentialSubject"]["encodedList"]), int(entry_url["statusListIndex"]))


def test_a_revoked_key_s_credentials_fail_until_re_signed(client, credential):
    document = client.get(url(credential, "json")).json()
    signer = SigningKey.objects.get(algorithm=SigningKey.Algorithm.ED25519)
    call_command("credential_keys", "rotate", "--issuer", signer.issuer.slug)
    SigningKey.objects.exclude(pk=signer.pk).update(signs_from=signer.signs_from)  # the delay has passed
    call_command("credential_keys", "revoke", "--key", f"{signer.issuer.slug}#{signer.key_id}", "--reason", "leaked")

    def resolve(method):
        found = did_document(signer.issuer)
        assert method in found["assertionMethod"]
        return multikey_public_decode({m["id"]: m for m in found["verificationMethod"]}[method]["publicKeyMultibase"])

    assert not proof_verify(document, resolve_key=resolve)
    call_command("credential_keys", "resign", "--key", f"{signer.issuer.slug}#{signer.key_id}")
    resigned = client.get(url(credential, "json")).json()
    assert resigned["proof"][0]["verificationMethod"] != document["proof"][0]["verificationMethod"]
    assert proof_verify(resigned, resolve_key=resolve)
    assert {k: v for k, v in resigned.items() if k != "proof"} == {k: v for k, v in document.items() if k != "proof"}


def test_the_backfill_gives_older_credentials_their_entries_and_bits(configuration):
    older = [factories.CredentialFactory(configuration=configuration) for _ in range(3)]
    revoked = factories.CredentialFactory(configuration=configuration, status="invalidated", active=None)
    call_command("open_badges_backfill", "--batch", "2")
    entries = StatusEntry.objects.filter(credential__in=[*older, revoked])
    assert entries.count() == 8  # two purposes each
    entry = entries.get(credential=revoked, purpose=StatusList.Purpose.REVOCATION)
    assert bit_get(bytes(entry.status_list.bits), entry.index)
    call_command("open_badges_backfill")  # again: nothing more
    assert StatusEntry.objects.count() == 8


def test_the_learner_s_page_and_the_verification_page_offer_both_signed_documents(client, credential, learner):
    links = (url(credential, "json"), url(credential, "jwt"))
    public_page = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()
    assert "Check it yourself" in public_page and all(f'href="{link}"' in public_page for link in links)
    client.force_login(learner)
    own_page = client.get(f"/learning_credentials/credentials/{credential.uuid}/").content.decode()
    assert all(f'href="{link}" download' in own_page for link in links)
    assert all(client.get(link).status_code == 200 for link in links)


def test_a_site_without_signing_set_up_offers_nothing_and_answers_503_in_words(client, credential, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
    page = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()
    assert "Check it yourself" not in page
    response = client.get(url(credential, "json"))
    assert response.status_code == 503 and response.content == b"Signed credentials are not available on this site yet."


def test_the_jwt_is_signed_on_first_request_and_then_served_as_it_was(client, configuration, learner):
    issued = credential_issue(user_id=learner.pk, configuration=configuration, source=CredentialEvent.Source.ADMIN)
    assert not SignedCredential.objects.filter(credential=issued).exists()  # issuing signs nothing (its cost)
    issued.refresh_from_db()
    issued.status = "available"
    issued.save()
    token = client.get(url(issued, "jwt")).content.decode()
    stored = SignedCredential.objects.get(credential=issued)
    assert stored.jwt == token and stored.document is None
    assert client.get(url(issued, "jwt")).content.decode() == token


def test_without_signing_set_up_an_issue_still_succeeds(configuration, learner, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
    issued = credential_issue(user_id=learner.pk, configuration=configuration, source=CredentialEvent.Source.ADMIN)
    assert not SignedCredential.objects.filter(credential=issued).exists()
    assert StatusEntry.objects.filter(credential=issued).count() == 2


def test_an_expiring_credential_carries_valid_until_and_exp_and_the_verifier_says_expired(client, credential):
    expires = (timezone.now() + timedelta(days=30)).replace(microsecond=0)
    Credential.objects.filter(pk=credential.pk).update(expires_at=expires)
    document = client.get(url(credential, "json")).json()
    validate(document)
    assert document["validUntil"] == expires.strftime("%Y-%m-%dT%H:%M:%SZ")
    token = client.get(url(credential, "jwt")).content.decode()
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["exp"] == int(expires.timestamp())
    assert credential_verify(data=token).verdict == "valid"
    later = credential_verify(data=token, now=expires + timedelta(days=1))
    validity = next(check for check in later.checks if check.name == "validity")
    assert later.verdict == "invalid" and validity.result == "fail" and "expired on" in validity.reason

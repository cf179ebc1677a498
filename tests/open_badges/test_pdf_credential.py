"""Every PDF issued carries its signed credential (credential.jwt) and says in its metadata how to verify it.

The core asks for attachments before rendering (``signals.credential_attachments``); this sub-app answers
with the VC-JWTs of the whole chunk, signed in bulk and kept, so the file carries the one stored token.
"""

import base64
import hashlib
import io
import json
import logging

import pytest
from cryptography.fernet import Fernet
from django.core.files.storage import storages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey
from pypdf import PdfReader

from learning_credentials import conf
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.open_badges.credentials import credential_jwt
from learning_credentials.open_badges.issuers import did_document, issuer_for_context
from learning_credentials.open_badges.models import SignedCredential
from learning_credentials.selectors import public_code, verify_url
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.generation import credential_generate
from learning_credentials.services.issuance import credential_issue
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

pytestmark = pytest.mark.django_db
Source = CredentialEvent.Source


def stored_pdf(credential: Credential) -> bytes:
    with storages[conf.get("STORAGE")].open(credential.artifact) as file:
        return file.read()


def issued(configuration, django_capture_on_commit_callbacks, user=None) -> Credential:
    user = user or factories.UserFactory()
    factories.enroll(user)
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=user.pk, configuration=configuration, source=Source.ADMIN)
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE, credential.error_message
    return credential


@pytest.mark.usefixtures("kek")
def test_the_pdf_carries_the_stored_vc_jwt_which_verifies_with_the_issuer_s_key(
    configuration, learner, django_capture_on_commit_callbacks
):
    credential = issued(configuration, django_capture_on_commit_callbacks, learner)
    pdf = PdfReader(io.BytesIO(stored_pdf(credential)))
    (token,) = pdf.attachments["credential.jwt"]
    assert token.decode() == credential_jwt(credential=credential) == SignedCredential.objects.get().jwt
    header = json.loads(base64.urlsafe_b64decode(token.split(b".")[0] + b"=="))
    issuer = issuer_for_context(configuration.learning_context_key)
    (method,) = [m for m in did_document(issuer)["verificationMethod"] if m["id"] == header["kid"]]
    claims = jose_jwt.decode(token, ECKey.import_key(method["publicKeyJwk"]), algorithms=["ES256"]).claims
    assert claims["jti"] == f"urn:uuid:{credential.verify_uuid}"
    assert claims["credentialSubject"]["identifier"][-1]["identityHash"] == "Ada Lovelace"
    info = pdf.metadata
    assert info["/VerificationURL"] == verify_url(credential) and info["/VerificationCode"] == public_code(credential)
    assert public_code(credential) in info["/Keywords"] and verify_url(credential) in info["/Subject"]


@pytest.mark.usefixtures("kek")
def test_the_file_s_sha256_is_recorded_at_issue(configuration, django_capture_on_commit_callbacks):
    credential = issued(configuration, django_capture_on_commit_callbacks)
    assert credential.artifact_sha256 == hashlib.sha256(stored_pdf(credential)).hexdigest()


@pytest.mark.usefixtures("kek")
def test_a_chunk_signs_its_credentials_with_a_fixed_number_of_queries(
    configuration, course, django_capture_on_commit_callbacks
):
    """The whole chunk, issuing, signing and rendering: ten times the learners, the same queries."""

    def run(size: int, offset: int) -> list[str]:
        users = [factories.UserFactory(username=f"ob{offset + i}") for i in range(size)]
        for user in users:
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            configuration_issue_chunk(
                configuration_id=configuration.pk, user_ids=[u.pk for u in users], run_id=None, source=Source.SCHEDULE
            )
        return len(queries)

    run(1, 0)  # the first chunk makes the issuer, its keys and its status lists
    small, large = run(2, 10), run(20, 100)
    assert large <= small + 4, (small, large)  # SQLite splits a big insert into batches
    assert SignedCredential.objects.exclude(jwt="").count() == 23
    for credential in Credential.objects.all():
        (token,) = PdfReader(io.BytesIO(stored_pdf(credential))).attachments["credential.jwt"]
        assert token.decode() == credential.open_badge.jwt


@pytest.mark.usefixtures("kek")
def test_a_token_signed_before_the_file_is_reused(configuration, django_capture_on_commit_callbacks):
    user = factories.UserFactory()
    factories.enroll(user)
    credential = credential_issue(user_id=user.pk, configuration=configuration, source=Source.ADMIN)  # queued on commit
    assert credential.status == Status.GENERATING
    early = credential_jwt(credential=credential)
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_generate(credential_id=credential.pk)
    (token,) = PdfReader(io.BytesIO(stored_pdf(credential))).attachments["credential.jwt"]
    assert token.decode() == early


def test_a_site_that_cannot_sign_issues_its_pdfs_without_the_file(
    configuration, django_capture_on_commit_callbacks, settings
):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
    credential = issued(configuration, django_capture_on_commit_callbacks)
    pdf = PdfReader(io.BytesIO(stored_pdf(credential)))
    assert pdf.attachments == {}
    assert pdf.metadata["/VerificationCode"] == public_code(credential)
    assert not SignedCredential.objects.exists()


def test_a_key_that_cannot_be_read_is_logged_and_the_pdf_is_issued_without_the_file(
    request, configuration, django_capture_on_commit_callbacks, caplog
):
    use_keys = request.getfixturevalue("kek")
    first = issued(configuration, django_capture_on_commit_callbacks)  # the issuer's keys, under the first KEK
    assert PdfReader(io.BytesIO(stored_pdf(first))).attachments
    use_keys(Fernet.generate_key())  # the stored keys no longer decrypt
    with caplog.at_level(logging.ERROR, logger="learning_credentials.open_badges.receivers"):
        credential = issued(configuration, django_capture_on_commit_callbacks)
    assert PdfReader(io.BytesIO(stored_pdf(credential))).attachments == {}
    assert "PDFs issued without their signed credential" in caplog.text


@pytest.mark.usefixtures("kek")
def test_when_another_attempt_signed_first_its_stored_token_is_the_one_returned(configuration, monkeypatch):
    import learning_credentials.open_badges.credentials as signed

    users = [factories.UserFactory() for _ in range(2)]
    for user in users:
        factories.enroll(user)
    credentials = [credential_issue(user_id=u.pk, configuration=configuration, source=Source.ADMIN) for u in users]
    facts_of = signed._facts_of

    def meanwhile(pending, **kwargs):  # another attempt stores the first credential's token while this one signs
        facts = facts_of(pending, **kwargs)
        SignedCredential.objects.create(credential=credentials[0], salt="0" * 32, jwt="their.token.here")
        return facts

    monkeypatch.setattr(signed, "_facts_of", meanwhile)
    tokens = signed.credentials_jwt(credentials=credentials)
    assert tokens[credentials[0].pk] == "their.token.here"
    assert tokens[credentials[1].pk] == SignedCredential.objects.get(credential=credentials[1]).jwt != ""


@pytest.mark.usefixtures("kek")
def test_a_chunk_holding_a_copy_read_before_a_retirement_signs_nothing_for_it(
    configuration, django_capture_on_commit_callbacks
):
    from learning_credentials.open_badges.receivers import signed_credentials_attached
    from learning_credentials.services.retirement import learner_retire

    user = factories.UserFactory(profile__full_name="Grace Hopper")
    factories.enroll(user)
    credential = credential_issue(user_id=user.pk, configuration=configuration, source=Source.ADMIN)  # GENERATING
    stale = Credential.objects.select_related("configuration__credential_type").get(pk=credential.pk)  # a chunk's read
    learner_retire(user_id=user.pk)  # meanwhile: the name erased, the credential invalidated
    assert signed_credentials_attached(sender=Credential, credentials=[stale]) == {}
    assert not SignedCredential.objects.filter(credential=credential).exists()

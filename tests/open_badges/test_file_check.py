"""'Check a file': is this PDF (or .json, .jwt) genuine, unchanged and valid? Every outcome, through the page.

PDFs are our generation's own (credential.jwt embedded, SHA-256 recorded at issue); tampered ones are
changed in place so that they still parse. Nothing is fetched from any other host.
"""

import io
import json
import re
import tracemalloc
import zlib
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.files.storage import storages
from django.core.management import call_command
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzzing
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from learning_credentials import conf
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, Visibility
from learning_credentials.open_badges.credentials import (
    credential_jwt,
    credential_signed_document,
    signed_credentials_resign,
)
from learning_credentials.open_badges.documents import credential_document, vc_jwt
from learning_credentials.open_badges.file_check import file_check
from learning_credentials.open_badges.issuers import issuer_for_context
from learning_credentials.open_badges.keys import key_revoke, keys_rotate
from learning_credentials.open_badges.models import SigningKey
from learning_credentials.rendering import format_date
from learning_credentials.selectors import verify_url
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.suspension import credential_suspend
from tests import factories
from tests.open_badges.test_documents import facts
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture
from tests.open_badges.test_verification import PAST, did_jwk, jwt_with_did_jwk, profile

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]
URL = "/learning_credentials/check-file/"
SOURCE = CredentialEvent.Source.ADMIN


@pytest.fixture
def issue(configuration, django_capture_on_commit_callbacks):
    def issue(name: str = "Ada Lovelace") -> tuple[Credential, bytes]:
        user = factories.UserFactory(profile__full_name=name)
        factories.enroll(user)
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=user.pk, configuration=configuration, source=SOURCE)
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE, credential.error_message
        with storages[conf.get("STORAGE")].open(credential.artifact) as file:
            return credential, file.read()

    return issue


def check(client, data: bytes, name: str = "credential.pdf", status: int = 200):
    upload = io.BytesIO(data)
    upload.name = name
    response = client.post(URL, {"file": upload})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def verdict(response) -> str:
    return re.search(r'id="verdict">(.*?)</p>', response.content.decode(), re.S).group(1).strip()


def results(response) -> dict[str, str]:
    return {check["label"]: check["result"] for check in response.context["checks"]}


def issued_before_embedding(credential: Credential, pdf: bytes) -> bytes:
    """The credential's stored file replaced by the same page without the attachment, and no hash recorded: as
    PDFs were issued before they carried their credential. Returns that file."""
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(pdf)).pages[0])
    out = io.BytesIO()
    writer.write(out)
    storage = storages[conf.get("STORAGE")]
    storage.delete(credential.artifact)
    name = storage.save(credential.artifact, io.BytesIO(out.getvalue()))
    Credential.objects.filter(pk=credential.pk).update(artifact=name, artifact_sha256="")
    return out.getvalue()


def same_length_edit(pdf: bytes, old: bytes, new: bytes) -> bytes:
    assert len(old) == len(new) and pdf.count(old) == 1
    return pdf.replace(old, new)


def altered_token(token: str) -> str:
    header, payload, signature = token.split(".")
    middle = len(payload) // 2
    return ".".join(
        [header, payload[:middle] + ("A" if payload[middle] != "A" else "B") + payload[middle + 1 :], signature]
    )


def test_a_genuine_pdf_is_genuine_unchanged_and_valid(client, issue):
    credential, pdf = issue()
    response = check(client, pdf)
    assert response.context["result"].verdict == "valid"
    issuer = issuer_for_context(credential.configuration.learning_context_key).name
    assert verdict(response) == "This is a genuine credential; it is valid."
    facts = {name: value for name, _label, value in response.context["result"].facts}
    issued_on = format_date(credential.created.date())
    assert facts == {
        "credential": credential.type_name,
        "issuer": issuer,
        "holder": "Ada Lovelace",
        "issued_on": issued_on,
    }
    assert f'<dt>Issuer</dt><dd data-fact="issuer">{issuer}</dd>' in response.content.decode()
    assert set(results(response).values()) == {"pass"}
    assert next(iter(results(response))) == "The file is the one issued"
    assert response.context["page_url"] == verify_url(credential)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_pdf_changed_after_issue_is_told_apart_from_its_genuine_credential(client, issue):
    _credential, pdf = issue()
    changed = same_length_edit(pdf, b"/Producer(learning-credentials)", b"/Producer(learning-credentialz)")
    response = check(client, changed)
    assert response.context["result"].verdict == "invalid"
    assert verdict(response).startswith("This file was changed after it was issued: do not rely on what it shows.")
    assert "The credential inside it is genuine" in verdict(response)
    found = results(response)
    assert found["The file is the one issued"] == "fail" and found["Signature"] == "pass"


def test_a_pdf_whose_embedded_credential_was_altered_is_not_genuine(client, issue):
    credential, pdf = issue()
    token = credential_jwt(credential=credential)
    response = check(client, same_length_edit(pdf, token.encode(), altered_token(token).encode()))
    assert verdict(response).startswith("This is not a genuine credential")
    found = results(response)
    assert found["The file is the one issued"] == "fail" and found["Signature"] == "fail"
    assert response.context["page_url"] == ""  # a forged file does not lead to the real credential's page


def test_a_pdf_of_another_issuer_is_not_from_this_site(client):
    token, _key, _document = jwt_with_did_jwk()
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("credential.jwt", token.encode())
    out = io.BytesIO()
    writer.write(out)
    response = check(client, out.getvalue())
    found = results(response)
    assert found["The file is the one issued"] == "fail" and found["Signature"] == "pass"
    assert "This site did not issue this file" in response.content.decode()
    assert verdict(response).startswith("This credential was not issued here.")
    assert response.context["result"].verdict == "invalid" and response.context["page_url"] == ""


def test_a_revoked_credential_s_pdf_is_genuine_but_revoked(client, issue):
    credential, pdf = issue()
    credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
    response = check(client, pdf)
    assert verdict(response).endswith("but it has been revoked.") and verdict(response).startswith("This is a genuine")
    assert results(response)["Not revoked"] == "fail"


@pytest.mark.parametrize("path", ["renewed", "reissued"])
@pytest.mark.usefixtures("unlimited")  # the module's checks stay within the rate limit the others count on
def test_a_pdf_a_newer_credential_replaced_says_so_not_revoked(client, issue, path):
    from datetime import timedelta

    from django.utils import timezone

    from learning_credentials.models import Credential
    from learning_credentials.services.issuance import credential_reissue, credential_renew

    credential, pdf = issue()
    if path == "renewed":
        Credential.objects.filter(pk=credential.pk).update(expires_at=timezone.now() + timedelta(days=5))
        credential.refresh_from_db()
        credential_renew(credential=credential, source=SOURCE, reason="annual review")
        words = "; it was renewed on"
    else:
        credential_reissue(credential=credential, source=SOURCE, reason="corrected name")
        words = "; it was superseded on"
    response = check(client, pdf)
    assert verdict(response).startswith("This is a genuine") and words in verdict(response), verdict(response)
    assert "revoked" not in verdict(response)
    assert response.context["page_url"] == verify_url(credential)  # its page links the newer one


def test_a_suspended_credential_s_pdf_is_genuine_but_suspended(client, issue):
    credential, pdf = issue()
    credential_suspend(credential=credential, reason="inquiry", source=SOURCE)
    response = check(client, pdf)
    assert verdict(response).endswith("but it is suspended.")
    assert results(response)["Not suspended"] == "fail"


def test_a_file_signed_with_a_key_later_revoked_and_re_signed_is_checked_against_the_re_signed_credential(
    client, issue
):
    credential, pdf = issue()
    issuer = issuer_for_context(credential.configuration.learning_context_key)
    old = issuer.keys.get(algorithm=SigningKey.Algorithm.P256)
    keys_rotate(issuer=issuer, now=datetime.now(UTC) - timedelta(days=30))  # the new keys sign at once
    key_revoke(key=old, reason="leaked")

    before = check(client, pdf)  # revoked, not yet re-signed: the file's own signature is all there is
    assert results(before)["Key not revoked"] == "fail" and before.context["result"].verdict == "invalid"

    assert signed_credentials_resign(key=old) == 1
    after = check(client, pdf)
    assert after.context["result"].verdict == "valid", results(after)
    assert "This file predates the re-signing" in " ".join(after.context["result"].notes)
    assert results(after)["The file is the one issued"] == "pass"


def test_a_pdf_issued_before_pdfs_carried_their_credential_is_checked_by_its_hash(client, issue):
    credential, pdf = issue()
    old = issued_before_embedding(credential, pdf)

    unknown = check(client, old)  # nothing in it names the credential, and its hash is not recorded yet
    assert unknown.context["result"].verdict == "invalid" and "matches no file issued here" in unknown.content.decode()
    call_command("credential_hashes_backfill", stdout=io.StringIO(), stderr=io.StringIO())
    response = check(client, old)
    assert response.context["result"].verdict == "valid", results(response)
    assert "issued before credential PDFs carried their signed credential" in " ".join(response.context["result"].notes)

    stranger = check(client, old.replace(b"%%EOF", b"%%EOF\n% added\n"))
    assert stranger.context["result"].verdict == "invalid"
    assert "matches no file issued here" in stranger.content.decode()


def test_on_a_site_that_does_not_sign_an_identical_file_is_confirmed_and_its_page_says_the_rest(
    client, issue, settings
):
    credential, pdf = issue()
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
    old = issued_before_embedding(credential, pdf)
    call_command("credential_hashes_backfill", stdout=io.StringIO(), stderr=io.StringIO())
    response = check(client, old)
    assert response.context["result"].verdict == "incomplete"
    assert verdict(response).startswith("This file is the one issued here on ")
    assert results(response) == {"The file is the one issued": "pass"}
    assert response.context["page_url"] == verify_url(credential)


def test_a_pdf_whose_hash_was_not_recorded_is_hashed_once_when_checked(client, issue):
    credential, pdf = issue()
    Credential.objects.filter(pk=credential.pk).update(artifact_sha256="")  # issued before, not backfilled
    response = check(client, pdf)  # its embedded credential names it
    assert results(response)["The file is the one issued"] == "pass"
    assert Credential.objects.get(pk=credential.pk).artifact_sha256 == credential.artifact_sha256


def test_a_private_credential_s_file_is_checked_without_a_link_to_its_page(client, issue):
    credential, pdf = issue()
    Credential.objects.filter(pk=credential.pk).update(visibility=Visibility.PRIVATE)
    response = check(client, pdf)
    assert response.context["result"].verdict == "valid" and response.context["page_url"] == ""


def test_a_json_and_a_jwt_go_to_the_verifier(client, issue):
    credential, _pdf = issue()
    document = credential_signed_document(credential=credential)
    as_json = check(client, json.dumps(document).encode(), "credential.json")
    as_jwt = check(client, credential_jwt(credential=credential).encode(), "credential.jwt")
    for response in (as_json, as_jwt):
        assert response.context["result"].verdict == "valid"
        assert "The file is the one issued" not in results(response)
        assert response.context["page_url"] == verify_url(credential)


def test_an_expired_credential_file_fails_its_validity(client):
    token, _key, _document = jwt_with_did_jwk(valid_until=datetime(2025, 6, 1, tzinfo=UTC))
    response = check(client, token.encode(), "elsewhere.jwt")
    assert results(response)["Validity dates"] == "fail" and response.context["result"].verdict == "invalid"
    assert "it expired on" in response.content.decode().lower()


def forged(credential: Credential) -> str:
    """A VC-JWT anyone can make: signed with a did:jwk of their own, naming our issuer and our credential's id."""
    private = ec.generate_private_key(ec.SECP256R1())
    did = did_jwk(private)
    issuer = {**profile(did), "name": issuer_for_context(credential.configuration.learning_context_key).name}
    changes = {"verify_uuid": credential.verify_uuid, "holder_name": "Mallory Forger", "score": None}
    document = credential_document(facts(issuer=issuer, status=None, valid_from=PAST, **changes))
    return vc_jwt(document, key=private, kid=f"{did}#0")


def test_a_self_signed_credential_naming_ours_is_never_called_genuine_nor_linked(client, issue):
    credential, _pdf = issue()
    response = check(client, forged(credential).encode(), "forged.jwt")
    assert response.context["result"].verdict == "incomplete"
    assert verdict(response).startswith("This credential was not issued here. Its signature holds, but the key")
    assert verdict(response).endswith("nothing confirms who issued it.")
    assert dict((name, value) for name, _label, value in response.context["result"].facts)["issuer"] == "Sandbox LMS"
    assert response.context["page_url"] == ""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_attachment("credential.jwt", forged(credential).encode())
    out = io.BytesIO()
    writer.write(out)
    in_pdf = check(client, out.getvalue())
    assert in_pdf.context["result"].verdict == "invalid" and in_pdf.context["page_url"] == ""
    assert verdict(in_pdf).startswith("This credential was not issued here.")


def inflating_pdf(size: int) -> bytes:
    """A small PDF whose credential.jwt inflates to ``size`` bytes."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    attachment = writer.add_attachment("credential.jwt", b"")
    stream = attachment.pdf_object["/EF"]["/F"].get_object()
    stream[NameObject("/Filter")] = NameObject("/FlateDecode")
    stream.set_data(zlib.compress(b"0" * size, 9))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_an_embedded_file_that_inflates_to_megabytes_is_refused_without_inflating_it(client):
    data = inflating_pdf(70_000_000)
    assert len(data) < 200_000
    tracemalloc.start()
    response = check(client, data, status=400)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert response.context["error"] == "The file embedded as the credential is too large to be one."
    assert peak < 20_000_000, peak


@pytest.mark.parametrize(
    ("data", "name", "status", "words"),
    [
        (b"%PDF-1.7\n1 0 obj <<", "broken.pdf", 400, "The PDF cannot be read: it is damaged or incomplete."),
        (b"\x00\x01garbage", "thing.bin", 400, ""),
        (b'{"a": 1,}', "credential.json", 400, "Line 1"),
        (b"", "empty.pdf", 400, ""),
        (b"A" * (300 * 1024), "big.jwt", 413, "It is larger than 256 KB"),
    ],
)
def test_files_that_cannot_be_checked_are_refused_in_words_never_a_500(client, data, name, status, words):
    response = check(client, data, name, status=status)
    error = response.context["error"]
    assert error and words in error and "Traceback" not in error and "b'" not in error


def test_a_file_over_10_mb_is_refused_before_it_is_read(client):
    response = check(client, b"%PDF-1.7\n" + b"0" * (10 * 1024 * 1024 + 1), "huge.pdf", status=413)
    assert response.context["error"] == "The file is larger than 10 MB."  # the view's own, before reading


def test_no_file_and_the_form(client):
    assert check(client, b"", status=400)  # an empty upload: nothing to check
    response = client.post(URL, {})
    assert response.status_code == 400 and response.context["error"] == "Choose a file to check."
    page = client.get(URL)
    assert (
        page.status_code == 200 and b'type="file"' in page.content and b'enctype="multipart/form-data"' in page.content
    )


def test_the_check_needs_no_csrf_token_and_the_lookup_page_offers_it(issue):
    _credential, pdf = issue()
    client = Client(enforce_csrf_checks=True)
    assert check(client, pdf).context["result"].verdict == "valid"
    lookup = client.get("/learning_credentials/verify/").content.decode()
    assert f'action="{URL}"' in lookup and "Check a file" in lookup


def test_the_command_checks_a_pdf_as_the_page_does(issue, tmp_path):
    _credential, pdf = issue()
    path = tmp_path / "ada.pdf"
    path.write_bytes(pdf)
    out = io.StringIO()
    call_command("verify_credential", str(path), stdout=out, stderr=io.StringIO())
    lines = out.getvalue().splitlines()
    assert lines[0] == "verdict: valid (pdf)" and lines[1] == "This is a genuine credential; it is valid."
    assert lines[3] == "Issuer: Sandbox LMS" and lines[4] == "Holder: Ada Lovelace"
    assert lines[6].startswith("pass        file: This file is byte for byte the file issued on ")
    path.write_bytes(pdf.replace(b"/Producer(learning-credentials)", b"/Producer(learning-credentialz)"))
    with pytest.raises(SystemExit) as exited:
        call_command("verify_credential", str(path), stdout=out, stderr=io.StringIO())
    assert exited.value.code == 1


def test_the_service_answers_the_same_as_the_page(issue):
    credential, pdf = issue()
    result = file_check(data=pdf, name="x.pdf")
    assert result.credential == credential and result.kind == "pdf" and result.verdict == "valid"


@pytest.fixture
def genuine_pdf(issue) -> bytes:
    return issue()[1]


@pytest.fixture
def unlimited(settings):
    """Many files in a row: no rate limit to hide an answer behind a 429."""
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS_ENABLED": False}


@fuzzing(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.sampled_from(["a.pdf", "a.json", "a.jwt", "a", "ä😀.PDF"]),
    data=st.one_of(
        st.binary(max_size=2000),
        st.binary(max_size=500).map(lambda tail: b"%PDF-1.7\n" + tail),
        st.text(max_size=300).map(str.encode),
        st.builds(lambda a, b, c: f"{a}.{b}.{c}".encode(), *[st.text("AZaz09-_", max_size=60)] * 3),
    ),
)
def test_random_files_get_an_answer_or_a_refusal_never_a_500(client, unlimited, name, data):
    upload = io.BytesIO(data)
    upload.name = name
    assert client.post(URL, {"file": upload}).status_code in (200, 400, 413)


@fuzzing(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_a_genuine_pdf_with_bytes_changed_anywhere_is_never_valid_and_never_a_500(
    client, unlimited, genuine_pdf, flips
):
    damaged = bytearray(genuine_pdf)
    for where, value in flips:
        damaged[int(where * len(damaged))] = value
    upload = io.BytesIO(bytes(damaged))
    upload.name = "damaged.pdf"
    response = client.post(URL, {"file": upload})
    assert response.status_code in (200, 400)
    if bytes(damaged) != genuine_pdf and response.status_code == 200:
        assert response.context["result"].verdict != "valid"


def test_a_fact_the_credential_does_not_give_is_a_row_of_its_own_not_words_in_the_sentence(client):
    """ "Not named" stands alone in its row: no "an unnamed holder" is put into a sentence a language must inflect."""
    token, _key, _document = jwt_with_did_jwk(holder_name="")
    response = check(client, token.encode(), "elsewhere.jwt")
    facts = {name: value for name, _label, value in response.context["result"].facts}
    assert facts["holder"] == "Not named" and facts["issuer"] == "Elsewhere Academy"
    assert "unnamed" not in verdict(response) and "Not named" not in verdict(response)
    assert '<dt>Holder</dt><dd data-fact="holder">Not named</dd>' in response.content.decode()

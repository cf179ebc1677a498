"""manage.py verify_credential: the API's verifier for a file or standard input; the exit status says the verdict."""

import io
import json
from decimal import Decimal

import pytest
from django.core.management import call_command

from learning_credentials.models import CredentialEvent
from learning_credentials.open_badges.credentials import credential_jwt, credential_signed_document
from learning_credentials.open_badges.documents import StatusEntry
from learning_credentials.open_badges.management.commands.verify_credential import file_verify
from learning_credentials.open_badges.verification import CHECKS, MAX_BYTES, credential_verify
from learning_credentials.services.invalidation import credential_invalidate
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture
from tests.open_badges.test_verification import signed_with_did_key

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]


@pytest.fixture
def credential(configuration, learner):
    return factories.CredentialFactory(user=learner, configuration=configuration, score=Decimal("87.50"))


def run(*args, **options) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_credential", *args, stdout=out, stderr=err, **options)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_a_valid_credential_prints_its_verdict_and_each_check_and_exits_0(credential, tmp_path):
    path = tmp_path / "ob3.json"
    path.write_text(json.dumps(credential_signed_document(credential=credential)))
    status, out, err = run(str(path))
    lines = out.splitlines()
    assert status == 0 and err == ""
    assert lines[0] == "verdict: valid (json-ld)"
    assert lines[1] == "This is a genuine credential; it is valid."
    assert lines[2].startswith("Credential: Certificate of Completion") and lines[4] == "Holder: Ada Lovelace"
    assert [line.split()[:2] for line in lines[6:]] == [["pass", f"{name}:"] for name in CHECKS]
    assert "claims: It is not a JWT: there are no claims to match." in lines[11]


def test_json_prints_the_api_s_answer(credential, tmp_path):
    path = tmp_path / "ob3.jwt"
    token = credential_jwt(credential=credential)
    path.write_text(token)
    status, out, _err = run(str(path), "--json")
    answer = json.loads(out)
    assert status == 0 and {key: answer[key] for key in credential_verify(data=token).as_json()} == (
        credential_verify(data=token).as_json()
    )
    assert answer["sentence"].startswith("This is a genuine") and answer["notes"] == []


def test_invalid_exits_1_and_so_does_incomplete(credential, tmp_path):
    path = tmp_path / "ob3.jwt"
    path.write_text(credential_jwt(credential=credential))
    credential_invalidate(credential=credential, category="issued_in_error", source=CredentialEvent.Source.ADMIN)
    status, out, _err = run(str(path))
    assert status == 1 and out.startswith("verdict: invalid (jwt)")
    assert "fail        revocation: The issuer revoked" in out
    foreign = StatusEntry("https://elsewhere.example/status/1", 3, "revocation")
    document, _did = signed_with_did_key(status=foreign)
    status, out, _err = run("-", stdin=io.BytesIO(json.dumps(document).encode()))
    assert status == 1 and out.startswith("verdict: incomplete (json-ld)")
    assert "not_checked revocation: Status lists of other hosts are not fetched." in out


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"\x89PNG\r\n\x1a\n", "It is not UTF-8 text: send the credential as JSON, or its VC-JWT."),
        (
            b"just some words",
            "It is neither a credential as a JSON object nor a VC-JWT (three base64url parts separated by dots).",
        ),
        (
            b'{"a": 1,}',
            ("It is not valid JSON. Line 1, column 9: a comma before a closing brace or bracket is one too many."),
        ),
        (b" " * (MAX_BYTES + 1), "It is larger than 256 KB, the most a signed credential (.json or .jwt) may weigh."),
    ],
)
def test_unreadable_input_exits_2_with_the_reason_on_stderr(tmp_path, content, words):
    path = tmp_path / "input"
    path.write_bytes(content)
    status, out, err = run(str(path))
    assert status == 2 and out == "" and err.strip() == f"{path}: {words}"


def test_a_missing_file_exits_2_and_json_gives_the_api_s_error_body(tmp_path):
    status, _out, err = run(str(tmp_path / "missing.json"))
    assert status == 2 and "missing.json: There is no such file." in err
    status, out, _err = run("-", "--json", stdin=io.BytesIO(b"garbage"))
    assert status == 2 and json.loads(out)["code"] == "unreadable_credential"


def test_the_printing_is_a_function_of_the_file_s_bytes_and_name(credential):
    printed = file_verify(data=credential_jwt(credential=credential).encode(), name="ob3.jwt")
    assert printed.status == 0 and printed.text.startswith("verdict: valid (jwt)\nThis is a genuine")
    assert "\npass        format: A JWT" in printed.text
    refused = file_verify(data=b"%PDF-1.7", name="credential.pdf")
    assert (
        refused.status == 2 and refused.text == "credential.pdf: The PDF cannot be read: it is damaged or incomplete."
    )
    words = file_verify(data=b"just words", name="credential.txt")
    assert words.status == 2 and words.text.startswith("credential.txt: It is neither")

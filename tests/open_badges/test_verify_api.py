"""POST /api/learning_credentials/v1/open-badges/verify/: public, rate-limited, capped, one shape, never a 500."""

import io
import json
import types
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from learning_credentials import conf
from learning_credentials.exceptions import BadRequest, PayloadTooLarge
from learning_credentials.open_badges.credentials import credential_jwt, credential_signed_document
from learning_credentials.open_badges.verification import CHECKS, MAX_BYTES
from learning_credentials.rest_api.v1.views import body_read
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture
from tests.test_rate_limits import _fresh_counters, clock  # noqa: F401 - the fixtures

URL = "/api/learning_credentials/v1/open-badges/verify/"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kek")]


@pytest.fixture
def credential(configuration, learner):
    return factories.CredentialFactory(user=learner, configuration=configuration, score=Decimal("87.50"))


@pytest.fixture
def unlimited(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS_ENABLED": False}


def post(body: bytes | str, content_type: str = "application/json", client=None):
    return (client or APIClient()).generic("POST", URL, body, content_type=content_type)


def test_json_ld_and_jwt_get_the_same_shape_of_answer(credential):
    as_json_ld = post(json.dumps(credential_signed_document(credential=credential)))
    as_jwt = post(credential_jwt(credential=credential), "application/vc+jwt")
    for response, form in ((as_json_ld, "json-ld"), (as_jwt, "jwt")):
        assert response.status_code == 200, response.content
        body = response.json()
        assert set(body) == {"verdict", "format", "checks", "credential"}
        assert (body["verdict"], body["format"]) == ("valid", form)
        assert [check["check"] for check in body["checks"]] == list(CHECKS)
        assert all(
            set(check) == {"check", "result", "reason"} and check["result"] == "pass" for check in body["checks"]
        )
        assert body["credential"]["holder_name"] == credential.learner_name
        assert body["credential"]["id"] == f"urn:uuid:{credential.verify_uuid}"
    assert as_json_ld.json()["credential"] == as_jwt.json()["credential"]


def test_the_content_type_does_not_matter_the_content_does(credential):
    token = credential_jwt(credential=credential)
    assert post(token, "application/json").json()["format"] == "jwt"
    assert post(f"\n  {token}\n", "text/plain").json()["verdict"] == "valid"


def test_public_without_csrf_and_whatever_authorization_is_sent(credential, learner):
    client = Client(enforce_csrf_checks=True)
    client.force_login(learner)  # a session cookie without a CSRF token: no session authentication here
    response = client.post(URL, credential_jwt(credential=credential), content_type="text/plain")
    assert response.status_code == 200
    wrong = post(credential_jwt(credential=credential), client=APIClient(HTTP_AUTHORIZATION="Basic bm9ib2R5Ondyb25n"))
    assert wrong.status_code == 200


def test_a_tampered_credential_is_a_200_that_says_invalid(credential):
    document = credential_signed_document(credential=credential)
    document["name"] = "Doctorate"
    body = post(json.dumps(document)).json()
    assert body["verdict"] == "invalid"
    signature = next(check for check in body["checks"] if check["check"] == "signature")
    assert signature == {
        "check": "signature",
        "result": "fail",
        "reason": "The signature does not match the document: something signed was changed.",
    }


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (
            b'{\n  "id": "urn:x",\n  "type" ["VerifiableCredential"]\n}',
            "Line 3, column 10: expected a colon after the field name.",
        ),
        (b"\xff\xfe\x00{", "It is not UTF-8 text"),
        (b"hello, verifier", "It is neither a credential as a JSON object nor a VC-JWT"),
        (b"[1, 2, 3]", "It is neither a credential as a JSON object nor a VC-JWT"),
        (b"", "It is empty"),
    ],
)
def test_what_is_neither_a_json_object_nor_a_jwt_is_a_400_in_words(body, words):
    response = post(body)
    assert response.status_code == 400
    assert response.json()["code"] == "unreadable_credential" and words in response.json()["detail"]


def test_an_oversized_body_is_refused_by_its_content_length_with_a_413():
    response = post(b"{" + b" " * MAX_BYTES + b"}")
    assert response.status_code == 413
    assert response.json() == {"detail": f"The body is larger than {MAX_BYTES} bytes.", "code": "payload_too_large"}
    assert post(b" " * (MAX_BYTES - 2) + b"{}").status_code == 200  # at the limit: read


def test_the_body_is_refused_by_its_length_too_and_a_broken_content_length_is_a_400():
    lying = types.SimpleNamespace(META={"CONTENT_LENGTH": "10"}, stream=io.BytesIO(b"x" * (MAX_BYTES + 10)))
    with pytest.raises(PayloadTooLarge):
        body_read(lying, limit=MAX_BYTES)
    with pytest.raises(BadRequest, match="Content-Length"):
        body_read(types.SimpleNamespace(META={"CONTENT_LENGTH": "ten"}, stream=None), limit=MAX_BYTES)


@pytest.mark.usefixtures("clock")
def test_the_verify_scope_limits_requests_per_client(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS": {"verify": "2/m"}}
    assert [post(b"{}").status_code for _ in range(2)] == [200, 200]
    limited = post(b"{}")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert limited.json()["code"] == "throttled"
    other_client = APIClient(REMOTE_ADDR="203.0.113.9")
    assert post(b"{}", client=other_client).status_code == 200


def test_the_default_rate_is_30_a_minute():
    assert conf.DEFAULTS["RATE_LIMITS"]["verify"] == "30/m"


def test_only_post():
    assert APIClient().get(URL).status_code == 405


@pytest.mark.usefixtures("unlimited")
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.lists(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABC0123456789-_", max_size=40), min_size=3, max_size=3)
        .map(".".join)
        .map(str.encode),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda children: (
                st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
            ),
            max_leaves=20,
        ).map(lambda value: json.dumps({"proof": value, "credentialStatus": value}).encode()),
    )
)
def test_never_a_500(body):
    response = post(body)
    assert response.status_code in (200, 400), (body, response.status_code, response.content[:300])

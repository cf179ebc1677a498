"""The OpenBadgeCredential from a credential's facts (pure): the official schema, the JWT with a second JOSE library."""

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import jsonschema
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from joserfc import jwt as jose_jwt
from joserfc.errors import BadSignatureError
from joserfc.jwk import ECKey

import learning_credentials.open_badges as open_badges
from learning_credentials.open_badges.documents import (
    BadgeFacts,
    StatusEntry,
    credential_document,
    identity_hash,
    vc_jwt,
)

SCHEMA = json.loads((Path(open_badges.__file__).parent / "schema" / "achievementcredential.json").read_text())
ISSUER = {
    "id": "did:web:lms.example.com:learning_credentials:issuers:demox",
    "type": ["Profile"],
    "name": "DemoX",
    "url": "https://lms.example.com/",
}


def facts(**changes) -> BadgeFacts:
    values = {
        "verify_uuid": uuid.UUID("6a092373-7cbd-43ed-a95a-700f65b951c5"),
        "issuer": ISSUER,
        "valid_from": datetime(2026, 12, 7, 15, 4, 5, 123456, tzinfo=UTC),
        "valid_until": None,
        "name": "Certificate of Completion: Introduction to Computing",
        "achievement_id": "https://lms.example.com/learning_credentials/achievements/completion/course-v1:DemoX+CS101+2026",
        "achievement_name": "Certificate of Completion",
        "achievement_description": "Completed Introduction to Computing.",
        "criteria": "Complete 80% of the course.",
        "achievement_image": None,
        "email_hash": identity_hash("Ada@Example.com ", "s4lt"),
        "email_salt": "s4lt",
        "holder_name": "Ada Lovelace",
        "score": Decimal("87.50"),
        "status": StatusEntry(
            "https://lms.example.com/learning_credentials/status/revocation-1/", 70_123, "revocation"
        ),
        "evidence_url": "https://lms.example.com/learning_credentials/verify/6a092373-7cbd-43ed-a95a-700f65b951c5/",
    }
    return BadgeFacts(**{**values, **changes})


def public_jwk(key) -> ECKey:
    """The public key as the second library reads it (PEM: every joserfc release takes it)."""
    return ECKey.import_key(key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo))


def validate(document: dict) -> None:
    jsonschema.Draft201909Validator(SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER).validate(
        document
    )


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"score": None, "email_hash": None, "email_salt": None, "status": None},
        {"valid_until": datetime(2028, 1, 1, tzinfo=UTC), "achievement_image": "https://lms.example.com/badge.png"},
    ],
)
def test_the_document_validates_against_the_official_schema(changes):
    document = credential_document(facts(**changes))
    validate(document)
    assert document["id"] == "urn:uuid:6a092373-7cbd-43ed-a95a-700f65b951c5"
    assert document["validFrom"] == "2026-12-07T15:04:05Z"


def test_the_learner_is_named_by_a_salted_email_hash_and_by_the_printed_name():
    identifiers = credential_document(facts())["credentialSubject"]["identifier"]
    email, name = identifiers
    assert email["identityHash"] == identity_hash("ada@example.com", "s4lt") and email["hashed"] is True
    assert "ada@example.com" not in json.dumps(email).lower()
    assert (name["identityType"], name["hashed"], name["identityHash"]) == ("name", False, "Ada Lovelace")


def test_the_status_index_is_a_string_and_the_score_a_result():
    document = credential_document(facts())
    assert document["credentialStatus"]["statusListIndex"] == "70123"
    assert document["credentialSubject"]["result"][0]["value"] == "87.5"


def test_the_jwt_verifies_with_another_jose_library_and_carries_the_claims():
    key = ec.generate_private_key(ec.SECP256R1())
    document = credential_document(facts(valid_until=datetime(2028, 1, 1, tzinfo=UTC)))
    token = vc_jwt(document, key=key, kid=f"{ISSUER['id']}#key-1")
    public = public_jwk(key)
    decoded = jose_jwt.decode(token, public, algorithms=["ES256"])
    assert decoded.header == {"alg": "ES256", "kid": f"{ISSUER['id']}#key-1", "typ": "JWT"}
    claims = decoded.claims
    assert (claims["iss"], claims["jti"], claims["nbf"]) == (ISSUER["id"], document["id"], 1796655845)
    assert claims["exp"] == 1830297600
    assert claims["credentialSubject"] == document["credentialSubject"]


def test_a_tampered_jwt_does_not_verify():
    key = ec.generate_private_key(ec.SECP256R1())
    token = vc_jwt(credential_document(facts()), key=key, kid="k")
    header, _payload, signature = token.split(".")
    other = vc_jwt(credential_document(facts(holder_name="Mallory")), key=key, kid="k").split(".")[1]
    with pytest.raises(BadSignatureError):
        jose_jwt.decode(f"{header}.{other}.{signature}", public_jwk(key), algorithms=["ES256"])

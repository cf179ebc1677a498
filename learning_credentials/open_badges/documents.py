"""An Open Badges 3.0 ``OpenBadgeCredential`` from a credential's facts, and its VC-JWT (pure).

The facts are frozen data read by the caller; the document validates against the official JSON
Schema (the tests check every one). Rules the standards leave easy to get wrong: every ``type`` is
an array except ``IdentityObject``'s, ``Image``'s and ``credentialStatus``'s; ``statusListIndex``
is a string; the learner is named twice, by a salted hash of their email (so a verifier holding
the email can match it, nobody else can read it) and by the printed name, not hashed, as on the PDF.
"""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePrivateKey

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CONTEXTS = [VC_CONTEXT, OB_CONTEXT]
JWT_ALGORITHM = "ES256"  # the 1EdTech validator accepts RS256 and ES256 only; Ed25519 signs the Data Integrity proof


@dataclass(frozen=True)
class StatusEntry:
    """A credential's place in a Bitstring Status List."""

    list_url: str
    index: int
    purpose: str  # revocation or suspension

    def as_json(self) -> dict:
        return {
            "id": f"{self.list_url}#{self.index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(self.index),
            "statusListCredential": self.list_url,
        }


@dataclass(frozen=True)
class BadgeFacts:
    """What an OpenBadgeCredential says, read from the credential, its configuration and its issuer."""

    verify_uuid: uuid.UUID
    issuer: dict  # the issuer's Profile: id (its DID), type, name, url, ...
    valid_from: datetime
    valid_until: datetime | None
    name: str  # "<credential type>: <context name>"
    achievement_id: str  # stable per type and context
    achievement_name: str
    achievement_description: str
    criteria: str
    achievement_image: str | None
    email_hash: str | None  # identity_hash(email, salt)
    email_salt: str | None
    holder_name: str
    score: Decimal | None
    status: StatusEntry | None
    evidence_url: str


def identity_hash(email: str, salt: str) -> str:
    """``sha256$`` + hex(SHA-256(email + salt)): the OB 3.0 form a verifier recomputes from an email it holds."""
    return "sha256$" + hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()


def xsd_datetime(moment: datetime) -> str:
    """XML Schema dateTime in UTC, to the second (what every verifier parses)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def credential_document(facts: BadgeFacts) -> dict:
    """The unsigned OpenBadgeCredential."""
    identifiers = []
    if facts.email_hash:
        identifiers.append(
            {
                "type": "IdentityObject",
                "identityType": "emailAddress",
                "hashed": True,
                "identityHash": facts.email_hash,
                "salt": facts.email_salt,
            }
        )
    identifiers.append(
        {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": facts.holder_name}
    )
    achievement = {
        "id": facts.achievement_id,
        "type": ["Achievement"],
        "name": facts.achievement_name,
        "description": facts.achievement_description,
        "criteria": {"narrative": facts.criteria},
    }
    if facts.achievement_image:
        achievement["image"] = {"id": facts.achievement_image, "type": "Image"}
    subject = {"type": ["AchievementSubject"], "identifier": identifiers, "achievement": achievement}
    if facts.score is not None:
        score = format(facts.score.normalize(), "f")
        achievement["resultDescription"] = [
            {
                "id": f"{facts.achievement_id}#score",
                "type": ["ResultDescription"],
                "name": "Score",
                "resultType": "Percent",
            }
        ]
        subject["result"] = [{"type": ["Result"], "resultDescription": f"{facts.achievement_id}#score", "value": score}]
    document = {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{facts.verify_uuid}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": facts.issuer,
        "validFrom": xsd_datetime(facts.valid_from),
        "name": facts.name,
        "credentialSubject": subject,
        "evidence": [{"id": facts.evidence_url, "type": ["Evidence"], "name": "Verification page"}],
    }
    if facts.valid_until is not None:
        document["validUntil"] = xsd_datetime(facts.valid_until)
    if facts.status is not None:
        document["credentialStatus"] = facts.status.as_json()
    return document


def vc_jwt(document: dict, *, key: EllipticCurvePrivateKey, kid: str) -> str:
    """The VC-JWT of OB 3.0: the credential as the payload with ``iss``, ``jti``, ``nbf`` (and ``exp``), ES256."""
    issuer = document["issuer"]
    claims = {
        **document,
        "iss": issuer["id"] if isinstance(issuer, dict) else issuer,
        "jti": document["id"],
        "nbf": int(datetime.fromisoformat(document["validFrom"].replace("Z", "+00:00")).timestamp()),
    }
    if "validUntil" in document:
        claims["exp"] = int(datetime.fromisoformat(document["validUntil"].replace("Z", "+00:00")).timestamp())
    subject_id = document["credentialSubject"].get("id")
    if subject_id:
        claims["sub"] = subject_id
    return jwt.encode(claims, key, algorithm=JWT_ALGORITHM, headers={"kid": kid, "typ": "JWT"})


def status_list_document(*, url: str, issuer_id: str, purpose: str, encoded_list: str, valid_from: datetime) -> dict:
    """The unsigned BitstringStatusListCredential a verifier downloads to read a credential's bit."""
    return {
        "@context": [VC_CONTEXT],
        "id": url,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": issuer_id,
        "validFrom": xsd_datetime(valid_from),
        "credentialSubject": {
            "id": f"{url}#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded_list,
        },
    }

"""The verifier of Open Badges 3.0 credentials: every check, for JSON-LD and VC-JWT, ours and others', offline."""

import base64
import json
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import base58
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from learning_credentials.exceptions import CredentialUnreadable
from learning_credentials.models import CredentialEvent
from learning_credentials.open_badges.credentials import credential_jwt, credential_signed_document
from learning_credentials.open_badges.documents import StatusEntry, credential_document, vc_jwt
from learning_credentials.open_badges.keys import key_revoke, public_jwk
from learning_credentials.open_badges.models import SigningKey
from learning_credentials.open_badges.signing import multikey_public, proof_create
from learning_credentials.open_badges.verification import (
    CHECKS,
    Check,
    Verification,
    credential_verify,
)
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.suspension import credential_suspend
from tests import factories
from tests.open_badges.test_documents import facts
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

SOURCE = CredentialEvent.Source.ADMIN
PAST = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _no_network(monkeypatch):
    """The verifier fetches nothing: any connection attempt fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError("the verifier tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def credential(db, kek, configuration, learner):  # noqa: F811 - the fixture
    return factories.CredentialFactory(user=learner, configuration=configuration, score=Decimal("87.50"))


OUR_LIST = "https://lms.example.com/learning_credentials/status/platform-revocation-1/"
# Values that reach the checks' branches: contexts, suites, DIDs, status lists, dates, blank nodes.
MEANINGFUL = [
    "eddsa-rdfc-2022",
    "DataIntegrityProof",
    "assertionMethod",
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK#z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
    "did:jwk:e30#0",
    "did:web:lms.example.com:learning_credentials:issuers:platform#k",
    "revocation",
    "suspension",
    OUR_LIST,
    "urn:uuid:6a092373-7cbd-43ed-a95a-700f65b951c5",
    "2025-01-02T03:04:05Z",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+14:00",
    "_:b0",
    "z",
    "131071",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(MEANINGFUL),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["id", "type", "@context", "@id", "name", "statusPurpose"]), children, max_size=4
        )
    ),
    max_leaves=20,
)
FIELDS = [
    ("@context",),
    ("id",),
    ("type",),
    ("issuer",),
    ("issuer", "id"),
    ("validFrom",),
    ("validUntil",),
    ("credentialSubject",),
    ("credentialSubject", "identifier"),
    ("credentialSubject", "achievement"),
    ("credentialStatus",),
    ("credentialStatus", "statusListCredential"),
    ("credentialStatus", "statusListIndex"),
    ("credentialStatus", "statusPurpose"),
    ("proof",),
    ("proof", 0, "verificationMethod"),
    ("proof", 0, "proofValue"),
    ("proof", 0, "cryptosuite"),
    ("proof", 0, "type"),
]


def results(verification: Verification) -> dict[str, str]:
    return {check.name: check.result for check in verification.checks}


def reason(verification: Verification, name: str) -> str:
    return next(check.reason for check in verification.checks if check.name == name)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def did_key(private: Ed25519PrivateKey) -> str:
    multikey = multikey_public(private.public_key())
    return f"did:key:{multikey}"


def did_jwk(private: ec.EllipticCurvePrivateKey) -> str:
    return "did:jwk:" + b64url(json.dumps(public_jwk(private.public_key())).encode())


def profile(did: str) -> dict:
    return {"id": did, "type": ["Profile"], "name": "Elsewhere Academy", "url": "https://elsewhere.example/"}


def signed_with_did_key(*, status: StatusEntry | None = None, **changes) -> tuple[dict, str]:
    """A credential of another issuer, signed with an Ed25519 did:key made here; and that DID."""
    private = Ed25519PrivateKey.generate()
    did = did_key(private)
    document = credential_document(facts(**{"issuer": profile(did), "status": status, "valid_from": PAST, **changes}))
    method = f"{did}#{did.removeprefix('did:key:')}"
    return proof_create(document, key=private, verification_method=method, created="2025-01-02T03:04:05Z"), did


def jwt_with_did_jwk(**changes) -> tuple[str, ec.EllipticCurvePrivateKey, dict]:
    """A VC-JWT of another issuer, signed with a P-256 did:jwk made here; its key and its credential."""
    private = ec.generate_private_key(ec.SECP256R1())
    did = did_jwk(private)
    document = credential_document(facts(**{"issuer": profile(did), "status": None, "valid_from": PAST, **changes}))
    return vc_jwt(document, key=private, kid=f"{did}#0"), private, document


def tampered_jwt(token: str, change) -> str:
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    change(claims)
    return ".".join([header, b64url(json.dumps(claims).encode()), signature])


class TestOurCredentials:
    def test_the_json_ld_of_ours_passes_every_check(self, credential):
        document = credential_signed_document(credential=credential)
        verification = credential_verify(data=json.dumps(document).encode())
        assert verification.verdict == "valid", verification.checks
        assert [check.name for check in verification.checks] == list(CHECKS)
        assert verification.format == "json-ld" and verification.credential == document
        key = SigningKey.objects.get(algorithm=SigningKey.Algorithm.ED25519)
        assert verification.key == key and verification.verification_method == key.verification_method
        assert "nothing was fetched" in reason(verification, "issuer_key")
        assert reason(verification, "claims") == "It is not a JWT: there are no claims to match."
        summary = verification.summary
        assert summary.credential_id == f"urn:uuid:{credential.verify_uuid}"
        assert (summary.holder_name, summary.achievement_name) == (credential.learner_name, credential.type_name)
        assert summary.issuer_id == key.issuer.did and summary.issuer_name == key.issuer.name
        assert summary.valid_from == credential.created.replace(microsecond=0) and summary.valid_until is None

    def test_the_jwt_of_ours_passes_the_same_checks_in_the_same_order(self, credential):
        verification = credential_verify(data=credential_jwt(credential=credential))
        assert verification.verdict == "valid", verification.checks
        assert [check.name for check in verification.checks] == list(CHECKS)
        assert verification.format == "jwt" and verification.key.algorithm == SigningKey.Algorithm.P256
        assert reason(verification, "claims") == "The JWT's claims iss, jti, nbf match the credential."
        assert reason(verification, "format") == "A JWT signed with ES256, the credential as its payload."
        assert verification.summary.holder_name == credential.learner_name

    def test_a_tampered_document_fails_its_signature_and_its_status_proves_nothing(self, credential):
        document = credential_signed_document(credential=credential)
        document["credentialSubject"]["identifier"][1]["identityHash"] = "Mallory"
        verification = credential_verify(data=json.dumps(document))
        assert verification.verdict == "invalid"
        assert results(verification)["signature"] == "fail"
        assert "something signed was changed" in reason(verification, "signature")
        assert results(verification)["issuer_key"] == "pass"  # the key is still ours; what it signed is not this
        assert reason(verification, "revocation").startswith("Could not be checked")
        assert verification.summary.holder_name == "Mallory"  # the summary says what the document says

    def test_a_tampered_jwt_payload_fails_its_signature(self, credential):
        token = tampered_jwt(
            credential_jwt(credential=credential),
            lambda claims: claims["credentialSubject"]["achievement"].update(name="Doctorate"),
        )
        verification = credential_verify(data=token)
        assert results(verification)["signature"] == "fail" and verification.verdict == "invalid"
        assert reason(verification, "signature") == "The JWT's signature does not match: something signed was changed."

    def test_not_yet_valid_then_valid(self, credential):
        data = credential_jwt(credential=credential)
        early = credential_verify(data=data, now=credential.created - timedelta(days=1))
        assert results(early)["validity"] == "fail" and "not valid yet" in reason(early, "validity")
        assert results(credential_verify(data=data))["validity"] == "pass"

    @pytest.mark.parametrize("form", ["json-ld", "jwt"])
    def test_revoked(self, credential, form):
        data = self.data(credential, form)
        credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
        verification = credential_verify(data=data)
        assert verification.verdict == "invalid"
        credential.refresh_from_db()
        assert reason(verification, "revocation") == f"The issuer revoked it on {credential.invalidated_at:%Y-%m-%d}."
        assert results(verification)["suspension"] == "pass"

    @pytest.mark.parametrize("form", ["json-ld", "jwt"])
    def test_suspended_though_its_document_names_only_its_revocation_entry(self, credential, form):
        data = self.data(credential, form)
        assert "suspension" not in json.dumps(credential_signed_document(credential=credential))
        credential_suspend(credential=credential, reason="inquiry", source=SOURCE)
        verification = credential_verify(data=data)
        assert results(verification)["revocation"] == "pass"
        assert results(verification)["suspension"] == "fail" and verification.verdict == "invalid"
        assert reason(verification, "suspension").startswith("The issuer suspended it on ")

    @pytest.mark.parametrize("form", ["json-ld", "jwt"])
    def test_a_revoked_key_fails_key_revoked_though_the_signature_holds(self, credential, form):
        data = self.data(credential, form)
        algorithm = SigningKey.Algorithm.ED25519 if form == "json-ld" else SigningKey.Algorithm.P256
        key = key_revoke(key=SigningKey.objects.get(algorithm=algorithm), reason="leaked")
        verification = credential_verify(data=data)
        assert results(verification)["signature"] == "pass"
        revoked = f"The key that signed it was revoked on {key.revoked_at:%Y-%m-%d}."
        assert reason(verification, "key_revoked") == revoked
        assert verification.verdict == "invalid"

    def test_a_key_id_the_issuer_does_not_have(self, credential):
        document = credential_signed_document(credential=credential)
        document["proof"][0]["verificationMethod"] += "-gone"
        verification = credential_verify(data=json.dumps(document))
        assert results(verification)["issuer_key"] == "fail" and " has no key " in reason(verification, "issuer_key")
        assert reason(verification, "signature").startswith("Could not be checked")
        assert reason(verification, "key_revoked").startswith("Could not be checked")

    @pytest.mark.parametrize(
        ("list_name", "words"),
        [
            ("revocation-1", "Its revocation entry names the status list of another issuer."),
            ("revocation-9", "Its revocation entry names a status list this site does not have."),
            ("suspension-1", "Its revocation entry names the status list of another issuer."),
        ],
    )
    def test_a_status_list_of_this_site_that_is_not_the_issuer_s(self, credential, list_name, words):
        document = credential_signed_document(credential=credential)
        entry = document["credentialStatus"]
        url = entry["statusListCredential"].replace("revocation-1", list_name)
        resigned = self.resigned_by_did_key(
            document, Ed25519PrivateKey.generate(), credentialStatus={**entry, "statusListCredential": url}
        )
        verification = credential_verify(data=json.dumps(resigned))
        assert results(verification)["signature"] == "pass" and reason(verification, "revocation") == words

    @staticmethod
    def resigned_by_did_key(document: dict, private: Ed25519PrivateKey, **changes) -> dict:
        did = did_key(private)
        unsigned = {key: value for key, value in document.items() if key != "proof"}
        unsigned = {**unsigned, "issuer": {**unsigned["issuer"], "id": did}, **changes}
        method = f"{did}#{did.removeprefix('did:key:')}"
        return proof_create(unsigned, key=private, verification_method=method, created="2025-01-02T03:04:05Z")

    @staticmethod
    def data(credential, form: str) -> str:
        if form == "jwt":
            return credential_jwt(credential=credential)
        return json.dumps(credential_signed_document(credential=credential))


@pytest.mark.django_db
class TestOtherIssuers:
    def test_a_did_key_ed25519_credential_without_status_is_valid(self):
        document, did = signed_with_did_key()
        verification = credential_verify(data=json.dumps(document))
        assert verification.verdict == "valid", verification.checks
        assert (
            reason(verification, "issuer_key")
            == "The key is the issuer's did:key identifier itself (nothing was fetched)."
        )
        assert reason(verification, "key_revoked") == "A did:key key cannot be revoked: the key is its own identifier."
        assert (
            reason(verification, "revocation")
            == reason(verification, "suspension")
            == ("The issuer gave it no status list entry.")
        )
        assert verification.key is None and verification.verification_method.startswith(did + "#z6Mk")

    def test_a_did_jwk_p256_jwt_is_valid(self):
        token, _private, document = jwt_with_did_jwk()
        verification = credential_verify(data=token)
        assert verification.verdict == "valid", verification.checks
        assert verification.credential == document
        assert reason(verification, "signature") == "The JWT's ES256 signature holds: nothing signed was changed."
        assert "did:jwk" in reason(verification, "issuer_key")

    def test_the_older_vc_claim_form_is_read(self):
        _token, private, document = jwt_with_did_jwk()
        claims = {"vc": document, "iss": document["issuer"]["id"], "jti": document["id"], "nbf": int(PAST.timestamp())}
        token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": document["issuer"]["id"] + "#0"})
        verification = credential_verify(data=token)
        assert verification.verdict == "valid", verification.checks
        assert reason(verification, "format") == "A JWT signed with ES256, the credential in its vc claim."

    def test_an_eddsa_jwt_signed_with_a_did_key(self):
        private = Ed25519PrivateKey.generate()
        did = did_key(private)
        document = credential_document(facts(issuer=profile(did), status=None, valid_from=PAST))
        claims = {**document, "iss": did, "jti": document["id"], "nbf": int(PAST.timestamp())}
        token = jwt.encode(claims, private, algorithm="EdDSA", headers={"kid": f"{did}#{did[8:]}"})
        assert credential_verify(data=token).verdict == "valid"

    def test_an_es256_jwt_signed_with_a_p256_did_key(self):
        private = ec.generate_private_key(ec.SECP256R1())
        point = private.public_key().public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
        multikey = "z" + base58.b58encode(b"\x80\x24" + point).decode()
        did = f"did:key:{multikey}"
        assert multikey.startswith("zDn")
        document = credential_document(facts(issuer=profile(did), status=None, valid_from=PAST))
        token = vc_jwt(document, key=private, kid=f"{did}#{multikey}")
        verification = credential_verify(data=token)
        assert verification.verdict == "valid", verification.checks

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            (lambda proof: proof.update(verificationMethod=proof["verificationMethod"] + "x"), "wrong fragment"),
            (lambda proof: proof.update(verificationMethod="did:key:zQ3sh#zQ3sh"), "holds no Ed25519 or P-256 key"),
            (lambda proof: proof.update(verificationMethod="did:jwk:bm90IGpzb24#0"), "holds no Ed25519 or P-256 key"),
        ],
    )
    def test_a_key_identifier_that_does_not_hold_the_key(self, change, words):
        document, _did = signed_with_did_key()
        change(document["proof"][0])
        verification = credential_verify(data=json.dumps(document))
        assert results(verification)["issuer_key"] == "fail" and words in reason(verification, "issuer_key")

    @pytest.mark.parametrize(
        ("change", "words"),
        [
            (lambda document: document.pop("proof"), "It carries no proof."),
            (lambda document: document["proof"].append(dict(document["proof"][0])), "more than one eddsa-rdfc-2022"),
            (lambda document: document["proof"][0].update(cryptosuite="ecdsa-rdfc-2019"), "no eddsa-rdfc-2022 Data"),
            (lambda document: document["proof"][0].update(proofPurpose="authentication"), "proofPurpose assertion"),
            (lambda document: document["proof"][0].update(proofValue="u" + "A" * 86), "Its proofValue is not"),
        ],
    )
    def test_why_a_proof_fails_is_said(self, change, words):
        document, _did = signed_with_did_key()
        change(document)
        verification = credential_verify(data=json.dumps(document))
        assert results(verification)["signature"] == "fail" and words in reason(verification, "signature")

    def test_claims_that_do_not_match_the_credential(self):
        token, private, document = jwt_with_did_jwk()
        claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
        claims |= {"jti": "urn:uuid:00000000-0000-4000-8000-000000000000", "nbf": claims["nbf"] + 3600, "exp": 1}
        token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": document["issuer"]["id"] + "#0"})
        verification = credential_verify(data=token)
        assert results(verification)["signature"] == "pass" and results(verification)["claims"] == "fail"
        assert reason(verification, "claims") == (
            "The JWT's jti claim is not the credential's id. The JWT's nbf claim is not the credential's validFrom. "
            "The JWT has a exp claim, but the credential gives no validUntil."
        )

    def test_a_foreign_did_web_fails_issuer_key_without_any_network_access(self):
        private = Ed25519PrivateKey.generate()
        did = "did:web:elsewhere.example:issuers:1"
        document = credential_document(facts(issuer=profile(did), status=None, valid_from=PAST))
        signed = proof_create(document, key=private, verification_method=f"{did}#key-1", created="2025-01-02T00:00:00Z")
        verification = credential_verify(data=json.dumps(signed))
        assert results(verification)["issuer_key"] == "fail" and verification.verdict == "invalid"
        words = f"It names the key {did}#key-1: keys are not fetched from other hosts."
        assert reason(verification, "issuer_key") == words
        assert reason(verification, "signature").startswith("Could not be checked")

    @pytest.mark.parametrize("method", ["https://elsewhere.example/keys/1", "did:example:123#key-1"])
    def test_any_other_key_is_not_fetched(self, method):
        document, _did = signed_with_did_key()
        document["proof"][0]["verificationMethod"] = method
        assert "keys are not fetched from other hosts" in reason(
            credential_verify(data=json.dumps(document)), "issuer_key"
        )

    def test_a_key_that_is_not_the_issuer_s_fails_issuer_key(self):
        document, _did = signed_with_did_key()
        other = Ed25519PrivateKey.generate()
        resigned = TestOurCredentials.resigned_by_did_key(document, other)
        resigned["issuer"]["id"] = "did:key:" + multikey_public(Ed25519PrivateKey.generate().public_key())
        verification = credential_verify(data=json.dumps(resigned))
        assert reason(verification, "issuer_key").startswith(
            f"The key that signed it belongs to {did_key(other)}, not to"
        )

    def test_a_status_list_of_another_host_is_not_checked_and_the_verdict_incomplete(self):
        status = StatusEntry("https://elsewhere.example/status/revocation-1", 42, "revocation")
        document, _did = signed_with_did_key(status=status)
        verification = credential_verify(data=json.dumps(document))
        assert results(verification)["revocation"] == "not_checked"
        assert reason(verification, "revocation") == "Status lists of other hosts are not fetched."
        assert results(verification)["suspension"] == "pass" and verification.verdict == "incomplete"

    @pytest.mark.parametrize(
        ("changes", "result", "words"),
        [
            ({"valid_until": PAST + timedelta(days=1)}, "fail", "It expired on 2025-01-03 03:04 UTC."),
            ({"valid_from": datetime.now(UTC) + timedelta(days=2)}, "fail", "It is not valid yet: it is valid from "),
            ({"valid_until": datetime.now(UTC) + timedelta(days=2)}, "pass", "Valid from 2025-01-02 03:04 UTC until "),
        ],
    )
    def test_the_validity_window(self, changes, result, words):
        document, _did = signed_with_did_key(**changes)
        verification = credential_verify(data=json.dumps(document))
        assert results(verification)["validity"] == result and reason(verification, "validity").startswith(words)
        assert results(verification)["signature"] == "pass"

    def test_a_schema_failure_in_words(self):
        document, _did = signed_with_did_key()
        del document["credentialSubject"]["achievement"]["criteria"]
        document["validFrom"] = 20250102
        verification = credential_verify(data=json.dumps(document))
        words = reason(verification, "schema")
        assert results(verification)["schema"] == "fail"
        assert "credentialSubject.achievement lacks criteria." in words
        assert "validFrom should be of type string, not number." in words
        assert "required property" not in words and "20250102 is not" not in words

    def test_named_blank_nodes_are_refused_before_canonicalisation(self):
        """Seven blank nodes that all name each other took 8 seconds to canonicalise; eight, 106 seconds."""
        document, _did = signed_with_did_key()
        nodes = [
            {"id": f"_:b{i}", "type": ["Alignment"], "alignment": [{"id": f"_:b{j}"} for j in range(8) if j != i]}
            for i in range(8)
        ]
        document["credentialSubject"]["achievement"]["alignment"] = nodes
        assert "names blank nodes" in reason(credential_verify(data=json.dumps(document)), "signature")

    def test_an_inline_context_is_refused(self):
        document, _did = signed_with_did_key()
        document["@context"] = [*document["@context"], {"favourite": "https://example.com/favourite"}]
        assert reason(credential_verify(data=json.dumps(document)), "signature").startswith(
            "Its @context must name only the contexts held here"
        )


class TestHostileInput:
    @pytest.mark.parametrize(
        ("data", "words"),
        [
            (b"\xff\xfe{}", "It is not UTF-8 text"),
            (b"", "It is empty"),
            (b"hello world", "It is neither a credential as a JSON object nor a VC-JWT"),
            (
                b'{\n  "a": 1,\n  "b" 2\n}',
                "It is not valid JSON. Line 3, column 7: expected a colon after the field name",
            ),
            (
                b'{"a": 1} {"b": 2}',
                "It is not valid JSON. Line 1, column 10: more text follows the end of the JSON value.",
            ),
            (b'{"a":' * 100_000, "It is nested too deeply to be read."),
        ],
    )
    def test_what_is_neither_json_nor_a_jwt_is_unreadable_in_words(self, data, words):
        with pytest.raises(CredentialUnreadable, match=words.replace("(", r"\(").replace(".", r"\.")):
            credential_verify(data=data)

    @pytest.mark.parametrize(
        ("data", "words"),
        [
            ('{"a": ' * 40 + "1" + "}" * 40, "It is nested more than 32 levels deep, deeper than any credential."),
            ('{"a": ' + "9" * 5000 + "}", "It holds a number with thousands of digits."),
            ('{"a": NaN}', "It holds NaN or Infinity, which JSON does not allow."),
            ('{"id": "urn:a", "id": "urn:b"}', "It repeats a field in one object, which readers can take two ways."),
            (b64url(b'{"alg":"ES256"}') + ".e30.", "The JWT carries no signature."),
            ("e30.e30.c2ln", "The JWT names no algorithm; ES256 and EdDSA are the algorithms checked here."),
            ("bm90IGpzb24.e30.c2ln", "The JWT's header cannot be used. It is not base64url-encoded JSON."),
            (b64url(b'{"alg":"none"}') + ".e30.c2ln", "The JWT is not signed (its algorithm is “none”)."),
            (b64url(b'{"alg":"HS256"}') + ".e30.c2ln", "The JWT is signed with HS256; ES256 and EdDSA are the algor"),
            (b64url(b'{"alg":"ES256"}') + "." + b64url(b"[1]") + ".c2ln", "The JWT's payload cannot be used."),
            (b64url(b'{"alg":"ES256","crit":["b64"]}') + ".e30.c2ln", "The JWT's header asks for extensions"),
        ],
    )
    def test_input_that_cannot_be_a_credential_fails_the_format_check_and_everything_after(self, db, data, words):
        verification = credential_verify(data=data)
        assert verification.checks[0].result == "fail" and reason(verification, "format").startswith(words)
        assert all(check.result == "fail" for check in verification.checks)
        assert (
            reason(verification, "validity")
            == "Could not be checked: the input is not a credential that can be read (see the format check)."
        )
        assert verification.summary is None and verification.credential is None

    def test_wrong_types_everywhere_are_failed_checks(self, db):
        document = {
            "@context": 5,
            "id": ["urn:x"],
            "issuer": [1, {"id": None}],
            "validFrom": {"at": "now"},
            "validUntil": 10**30,
            "credentialSubject": "Ada",
            "proof": {"cryptosuite": "eddsa-rdfc-2022", "verificationMethod": 7, "proofValue": 3},
            "credentialStatus": [1, {"statusPurpose": "revocation", "statusListCredential": 5}],
        }
        verification = credential_verify(data=json.dumps(document))
        assert verification.verdict == "invalid" and [c.name for c in verification.checks] == list(CHECKS)
        assert reason(verification, "issuer_key") == "It names no key to check its signature with."
        assert verification.summary.issuer_id is None and verification.summary.holder_name is None

    def test_a_jwt_with_a_signature_of_the_wrong_length_or_the_wrong_key_kind(self, db):
        token, _private, _document = jwt_with_did_jwk()
        header, payload, _signature = token.split(".")
        short = credential_verify(data=f"{header}.{payload}.{b64url(b'short')}")
        assert reason(short, "signature") == "The JWT's signature does not match: something signed was changed."
        eddsa = b64url(
            json.dumps({"alg": "EdDSA", "kid": json.loads(base64.urlsafe_b64decode(header + "=="))["kid"]}).encode()
        )
        assert reason(credential_verify(data=f"{eddsa}.{payload}.{b64url(b'x' * 64)}"), "signature") == (
            "The JWT is signed with EdDSA, which the key it names cannot do."
        )

    def test_text_from_the_input_is_shortened_and_cleaned_in_reasons(self, db):
        document, _did = signed_with_did_key()
        document["proof"][0]["verificationMethod"] = "https://evil.example/" + "\x00\ud800" + "k" * 5000
        words = reason(credential_verify(data=json.dumps(document)), "issuer_key")
        assert len(words) < 200 and "\x00" not in words and "\ud800" not in words
        words.encode("utf-8")  # shown as it is, never a broken code point

    @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(value=json_values, where=st.sampled_from(FIELDS))
    def test_any_value_anywhere_in_a_credential_gives_checks_never_an_error(self, db, value, where):
        document, _did = signed_with_did_key(status=StatusEntry(OUR_LIST, 7, "revocation"))
        *path, last = where
        parent = document
        for step in path:
            parent = parent[step]
        parent[last] = value
        verification = credential_verify(data=json.dumps(document))
        assert [check.name for check in verification.checks] == list(CHECKS)
        json.dumps(verification.as_json(), ensure_ascii=False).encode("utf-8")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(header=json_values, payload=json_values, signature=st.binary(max_size=70))
    def test_any_jwt_gives_checks_never_an_error(self, db, header, payload, signature):
        parts = [b64url(json.dumps(part).encode()) or "e30" for part in (header, payload)]
        verification = credential_verify(data=".".join([*parts, b64url(signature)]))
        assert [check.name for check in verification.checks] == list(CHECKS)


class TestVerdict:
    @pytest.mark.parametrize(
        ("outcomes", "verdict"),
        [(["pass", "pass"], "valid"), (["pass", "not_checked"], "incomplete"), (["not_checked", "fail"], "invalid")],
    )
    def test_the_verdict_follows_the_worst_result(self, outcomes, verdict):
        checks = tuple(Check(name, outcome, "") for name, outcome in zip(CHECKS, outcomes, strict=False))
        verification = Verification("jwt", checks, None, None, "", None)
        assert verification.verdict == verdict
        assert replace(verification, checks=checks[:1]).verdict == ("valid" if outcomes[0] == "pass" else "incomplete")

    def test_the_api_s_json_has_one_shape(self, db):
        document, _did = signed_with_did_key()
        body = credential_verify(data=json.dumps(document)).as_json()
        assert set(body) == {"verdict", "format", "checks", "credential"}
        assert body["checks"][0] == {"check": "format", "result": "pass", "reason": "A JSON object, read as JSON-LD."}
        assert body["credential"]["valid_from"] == "2025-01-02T03:04:05Z" and body["credential"]["valid_until"] is None
        assert body["credential"]["holder_name"] == "Ada Lovelace" and body["credential"]["id"] == document["id"]

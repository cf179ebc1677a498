"""Issuers and their keys: did:web documents, encryption at rest, rotation with a delay, revocation, the command."""

from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey

from learning_credentials.exceptions import ConfigurationError
from learning_credentials.open_badges import keys as signing_keys
from learning_credentials.open_badges.conf import open_badges_settings
from learning_credentials.open_badges.issuers import (
    did_document,
    issuer_create,
    issuer_did,
    issuer_for_context,
    issuer_platform,
    jwks,
)
from learning_credentials.open_badges.models import SigningKey
from learning_credentials.open_badges.signing import multikey_public_decode, proof_create, proof_verify
from tests.open_badges.test_signing import ob_document

ED25519, P256 = SigningKey.Algorithm.ED25519, SigningKey.Algorithm.P256


@pytest.fixture
def kek(settings):
    """A key-encryption key of this test's own, and a setter for the list."""

    def use(*keys: bytes) -> None:
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "OPEN_BADGES": {"KEY_ENCRYPTION_KEYS": [key.decode() for key in keys]},
        }

    first = Fernet.generate_key()
    use(first)
    use.first = first
    return use


@pytest.fixture
def issuer(kek):
    return issuer_create(organization="DemoX", name="DemoX", url="https://demox.example/")


class TestSettings:
    @pytest.mark.parametrize(
        ("value", "words"),
        [
            ({"KEY_ENCRYPTION_KEYS": ["not a key"]}, "not a Fernet key"),
            ({"KEY_ENCRYPTION_KEY": []}, "unknown keys: KEY_ENCRYPTION_KEY"),
            ({"PRIVATE_KEYS": {"demox#k": "/etc/key.pem"}}, "'env:VARIABLE' or 'file:"),
            ({"SIGNING_DELAY_SECONDS": -1}, "0 or more"),
        ],
    )
    def test_a_wrong_setting_stops_with_its_name(self, settings, value, words):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": value}
        with pytest.raises(ImproperlyConfigured, match=words):
            open_badges_settings()


@pytest.mark.django_db
class TestIssuers:
    def test_the_did_is_fixed_at_creation_and_a_port_is_percent_encoded(self, issuer):
        assert issuer_did(slug="demox", base_url="https://lms.example.com:8443") == (
            "did:web:lms.example.com%3A8443:learning_credentials:issuers:demox"
        )
        did = issuer.did
        issuer.name = "DemoX Academy"
        issuer.save()
        issuer.refresh_from_db()
        assert issuer.did == did and did.endswith(":learning_credentials:issuers:demox")

    def test_a_context_s_issuer_is_its_organisation_s_or_the_platform_s(self, issuer):
        assert issuer_for_context(CourseKey.from_string("course-v1:DemoX+CS101+2026")) == issuer
        platform = issuer_for_context(CourseKey.from_string("course-v1:OtherU+CS101+2026"))
        assert platform.organization == "" and platform == issuer_platform()


@pytest.mark.django_db
class TestKeys:
    def test_private_keys_are_stored_encrypted_and_need_a_key_encryption_key(self, issuer, kek, settings):
        ed25519, p256 = signing_keys.keys_ensure(issuer=issuer)
        for key in (ed25519, p256):
            assert key.private_key and b"PRIVATE" not in key.private_key.encode()
            assert signing_keys.public_jwk(signing_keys.private_key(key).public_key()) == key.public_jwk
        kek(Fernet.generate_key())  # the KEK that encrypted them is gone
        with pytest.raises(ConfigurationError, match="No key of OPEN_BADGES\\['KEY_ENCRYPTION_KEYS'\\] decrypts"):
            signing_keys.private_key(ed25519)
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
        with pytest.raises(ConfigurationError, match="never stored in clear"):
            signing_keys.key_create(issuer=issuer, algorithm=ED25519)

    def test_key_encryption_keys_rotate(self, issuer, kek):
        (key, _p256) = signing_keys.keys_ensure(issuer=issuer)
        newer = Fernet.generate_key()
        kek(newer, kek.first)  # a new KEK first, the old one still listed
        assert signing_keys.keys_reencrypt() == 2
        kek(newer)  # the old one removed: everything still decrypts
        key.refresh_from_db()
        assert signing_keys.public_jwk(signing_keys.private_key(key).public_key()) == key.public_jwk

    def test_a_key_read_from_the_environment_must_match_its_published_half(self, issuer, kek, settings, monkeypatch):
        (_ed, p256) = signing_keys.keys_ensure(issuer=issuer)
        pem = signing_keys.private_key(p256).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        sources = {f"demox#{p256.key_id}": "env:DEMOX_P256"}
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "OPEN_BADGES": {"KEY_ENCRYPTION_KEYS": [kek.first.decode()], "PRIVATE_KEYS": sources},
        }
        monkeypatch.setenv("DEMOX_P256", pem.decode())
        assert signing_keys.public_jwk(signing_keys.private_key(p256).public_key()) == p256.public_jwk
        other = ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        monkeypatch.setenv("DEMOX_P256", other.decode())
        with pytest.raises(ConfigurationError, match="not the private half"):
            signing_keys.private_key(p256)
        monkeypatch.delenv("DEMOX_P256")
        with pytest.raises(ConfigurationError, match=r"DEMOX_P256 .* is not set"):
            signing_keys.private_key(p256)

    def test_rotation_publishes_at_once_and_signs_after_the_delay(self, issuer):
        old_ed, _old_p = signing_keys.keys_ensure(issuer=issuer)
        now = timezone.now()
        new_ed, _new_p = signing_keys.keys_rotate(issuer=issuer, now=now)
        methods = {m["id"] for m in did_document(issuer)["verificationMethod"]}
        assert {old_ed.verification_method, new_ed.verification_method} <= methods  # both published
        assert signing_keys.signing_key_current(issuer=issuer, algorithm=ED25519, now=now) == old_ed
        later = now + timedelta(seconds=open_badges_settings().signing_delay_seconds + 1)
        assert signing_keys.signing_key_current(issuer=issuer, algorithm=ED25519, now=later) == new_ed

    def test_what_an_old_key_signed_verifies_through_the_did_document_until_it_is_revoked(self, issuer):
        (key, _p256) = signing_keys.keys_ensure(issuer=issuer)
        signed = proof_create(
            ob_document(),
            key=signing_keys.private_key(key),
            verification_method=key.verification_method,
            created="2026-12-07T00:00:00Z",
        )

        def resolve(method: str):
            document = did_document(issuer)
            assert method in document["assertionMethod"], "not an assertion method"
            (found,) = [m for m in document["verificationMethod"] if m["id"] == method]
            return multikey_public_decode(found["publicKeyMultibase"])

        signing_keys.keys_rotate(issuer=issuer)
        assert proof_verify(signed, resolve_key=resolve)
        signing_keys.key_revoke(key=key, reason="leaked")
        assert not proof_verify(signed, resolve_key=resolve)
        (method,) = [m for m in did_document(issuer)["verificationMethod"] if m["id"] == key.verification_method]
        assert method["revoked"].endswith("Z")
        assert key.verification_method not in {entry["kid"] for entry in jwks(issuer)["keys"]}
        with pytest.raises(ConfigurationError, match="no Ed25519 key that signs now"):
            signing_keys.signing_key_current(issuer=issuer, algorithm=ED25519)


@pytest.mark.django_db
class TestPublicDocuments:
    def test_profile_did_document_and_jwks_are_public_json_with_an_etag(self, client, issuer):
        signing_keys.keys_ensure(issuer=issuer)
        base = "/learning_credentials/issuers/demox/"
        for path, content_type in (
            ("", "application/ld+json"),
            ("did.json", "application/did+ld+json"),
            ("jwks.json", "application/jwk-set+json"),
        ):
            response = client.get(base + path)
            assert response.status_code == 200 and response["Content-Type"] == content_type
            assert "public" in response["Cache-Control"] and response["ETag"]
            assert client.get(base + path, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
        document = client.get(base + "did.json").json()
        assert document["id"] == issuer.did
        assert all(method["controller"] == issuer.did for method in document["verificationMethod"])
        assert client.get(base).json()["type"] == ["Profile"]

    def test_an_unknown_issuer_is_a_404(self, client):
        assert client.get("/learning_credentials/issuers/nobody/did.json").status_code == 404


@pytest.mark.django_db
class TestCommand:
    def test_create_list_rotate_and_revoke(self, kek, capsys):
        call_command(
            "credential_keys", "create", "--organization", "DemoX", "--name", "DemoX", "--url", "https://d.example/"
        )
        call_command("credential_keys", "rotate", "--issuer", "demox")
        call_command("credential_keys", "list", "--issuer", "demox")
        listed = capsys.readouterr().out
        key_id = SigningKey.objects.filter(issuer__slug="demox", algorithm=ED25519).order_by("pk").first().key_id
        assert listed.count("demox\t") == 4
        with pytest.raises(CommandError, match="Say why with --reason"):
            call_command("credential_keys", "revoke", "--key", f"demox#{key_id}")
        call_command("credential_keys", "revoke", "--key", f"demox#{key_id}", "--reason", "laptop stolen")
        assert SigningKey.objects.get(key_id=key_id).revoked_reason == "laptop stolen"
        with pytest.raises(CommandError, match="No issuer 'nobody'"):
            call_command("credential_keys", "rotate", "--issuer", "nobody")

    def test_without_a_key_encryption_key_it_says_what_to_set(self, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "OPEN_BADGES": {}}
        with pytest.raises(
            CommandError, match="Set LEARNING_CREDENTIALS\\['OPEN_BADGES'\\]\\['KEY_ENCRYPTION_KEYS'\\]"
        ):
            call_command("credential_keys", "create")

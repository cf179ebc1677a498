"""Issuers' signing keys: created, rotated, revoked; private halves encrypted or kept outside the database.

Rotation publishes the new keys at once and signs with them after OPEN_BADGES'
SIGNING_DELAY_SECONDS, so that verifiers that cache an issuer's DID document see a key before the
first credential it signs; old public keys stay published, so what they signed keeps verifying.
"""

import base64
import os
import secrets
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.fernet import InvalidToken
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.db import transaction
from django.utils import timezone

from ..exceptions import ConfigurationError
from .conf import open_badges_settings
from .models import Issuer, SigningKey

Algorithm = SigningKey.Algorithm
PrivateKey = Ed25519PrivateKey | ec.EllipticCurvePrivateKey
PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
KEY_ID_PREFIX = {Algorithm.ED25519: "ed25519", Algorithm.P256: "p256"}


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_jwk(key: PublicKey) -> dict:
    """The public key as a JSON Web Key (RFC 8037 OKP for Ed25519, RFC 7518 EC for P-256)."""
    if isinstance(key, Ed25519PublicKey):
        raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64url(raw)}
    numbers = key.public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }


def jwk_public_key(jwk: dict) -> PublicKey:
    """The public key a JSON Web Key holds (Ed25519 or P-256); ValueError for any other, or a malformed one."""
    try:
        if jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519":
            return Ed25519PublicKey.from_public_bytes(_unb64url(jwk["x"]))
        if jwk.get("kty") == "EC" and jwk.get("crv") == "P-256":
            x, y = (int.from_bytes(_unb64url(jwk[axis]), "big") for axis in ("x", "y"))
            return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()  # off the curve: ValueError
    except (KeyError, TypeError, AttributeError) as exc:
        raise ValueError("a malformed JSON Web Key") from exc
    raise ValueError("not an Ed25519 or P-256 JSON Web Key")


def public_key(key: SigningKey) -> PublicKey:
    try:
        return jwk_public_key(key.public_jwk)
    except ValueError:
        raise ConfigurationError(f"Signing key {key} has a public key of an unknown kind.") from None


def _generate(algorithm: str) -> PrivateKey:
    return Ed25519PrivateKey.generate() if algorithm == Algorithm.ED25519 else ec.generate_private_key(ec.SECP256R1())


def _encrypt(private: PrivateKey) -> str:
    encryption = open_badges_settings().key_encryption
    if encryption is None:
        raise ConfigurationError(
            "Set LEARNING_CREDENTIALS['OPEN_BADGES']['KEY_ENCRYPTION_KEYS'] before creating signing keys: "
            "private keys are never stored in clear."
        )
    der = private.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return encryption.encrypt(der).decode("ascii")


def private_key(key: SigningKey) -> PrivateKey:
    """The key's private half: from its PRIVATE_KEYS source when it has one, else decrypted from the database."""
    config = open_badges_settings()
    source = config.private_keys.get(f"{key.issuer.slug}#{key.key_id}")
    if source is not None:
        return _load_source(source, key)
    if not key.private_key:
        raise ConfigurationError(f"Signing key {key} has no private key here and no PRIVATE_KEYS source.")
    if config.key_encryption is None:
        raise ConfigurationError("OPEN_BADGES['KEY_ENCRYPTION_KEYS'] is empty: the stored private keys cannot be read.")
    try:
        der = config.key_encryption.decrypt(key.private_key.encode("ascii"))
    except InvalidToken:
        raise ConfigurationError(
            f"No key of OPEN_BADGES['KEY_ENCRYPTION_KEYS'] decrypts signing key {key}: keep the older keys listed "
            "after a new one until 'credential_keys reencrypt' has run."
        ) from None
    return serialization.load_der_private_key(der, password=None)


def _load_source(source: str, key: SigningKey) -> PrivateKey:
    kind, _, name = source.partition(":")
    if kind == "env":
        pem = os.environ.get(name)
        if not pem:
            raise ConfigurationError(f"The environment variable {name} (signing key {key}) is not set.")
        data = pem.encode()
    else:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise ConfigurationError(f"Cannot read {name} (signing key {key}): {exc.strerror}.") from None
    try:
        loaded = serialization.load_pem_private_key(data, password=None)
    except ValueError:
        raise ConfigurationError(f"{source} (signing key {key}) is not an unencrypted PEM private key.") from None
    if public_jwk(loaded.public_key()) != key.public_jwk:
        raise ConfigurationError(f"{source} is not the private half of signing key {key}'s published public key.")
    return loaded


def key_create(*, issuer: Issuer, algorithm: str, delay_seconds: int = 0, now: datetime | None = None) -> SigningKey:
    """A new key pair for the issuer, published now and signing ``delay_seconds`` later."""
    now = now or timezone.now()
    private = _generate(algorithm)
    return SigningKey.objects.create(
        issuer=issuer,
        key_id=f"{KEY_ID_PREFIX[algorithm]}-{now:%Y%m%d}-{secrets.token_hex(3)}",
        algorithm=algorithm,
        public_jwk=public_jwk(private.public_key()),
        private_key=_encrypt(private),
        signs_from=now + timedelta(seconds=delay_seconds),
    )


def keys_ensure(*, issuer: Issuer) -> list[SigningKey]:
    """The issuer's first keys (one per algorithm), signing at once; what it has when it has some."""
    with transaction.atomic():
        Issuer.objects.select_for_update().filter(pk=issuer.pk).first()
        existing = {key.algorithm: key for key in issuer.keys.filter(revoked_at__isnull=True)}
        return [existing.get(algorithm) or key_create(issuer=issuer, algorithm=algorithm) for algorithm in Algorithm]


def keys_rotate(*, issuer: Issuer, now: datetime | None = None) -> list[SigningKey]:
    """New keys for both algorithms, published now, signing after SIGNING_DELAY_SECONDS."""
    delay = open_badges_settings().signing_delay_seconds
    return [key_create(issuer=issuer, algorithm=algorithm, delay_seconds=delay, now=now) for algorithm in Algorithm]


def key_revoke(*, key: SigningKey, reason: str, now: datetime | None = None) -> SigningKey:
    """Mark a compromised key: what it signed stops verifying until re-signed with a current key."""
    if key.revoked_at is None:
        key.revoked_at, key.revoked_reason = now or timezone.now(), reason
        key.save(update_fields=["revoked_at", "revoked_reason"])
    return key


def signing_key_current(*, issuer: Issuer, algorithm: str, now: datetime | None = None) -> SigningKey:
    """The key that signs now: the newest not revoked whose signing time has come."""
    now = now or timezone.now()
    key = (
        issuer.keys.filter(algorithm=algorithm, revoked_at__isnull=True, signs_from__lte=now)
        .order_by("-signs_from", "-pk")
        .first()
    )
    if key is None:
        raise ConfigurationError(
            f"Issuer {issuer.slug} has no {algorithm} key that signs now: run 'credential_keys create'."
        )
    return key


def keys_reencrypt() -> int:
    """Encrypt every stored private key with the newest key-encryption key (after adding one first in the list)."""
    encryption = open_badges_settings().key_encryption
    if encryption is None:
        raise ConfigurationError("OPEN_BADGES['KEY_ENCRYPTION_KEYS'] is empty: nothing to re-encrypt with.")
    count = 0
    for key in SigningKey.objects.exclude(private_key=""):
        key.private_key = encryption.rotate(key.private_key.encode("ascii")).decode("ascii")
        key.save(update_fields=["private_key"])
        count += 1
    return count


def signing_configured() -> bool:
    """Whether this site can sign: a key-encryption key to make keys with, or keys read from PRIVATE_KEYS."""
    config = open_badges_settings()
    return config.key_encryption is not None or bool(config.private_keys)

"""The Open Badges settings: ``LEARNING_CREDENTIALS["OPEN_BADGES"]`` merged over DEFAULTS, read at call time.

Private signing keys are never stored in clear. In the database they are encrypted with the
key-encryption keys listed here (Fernet keys, newest first: new keys are encrypted with the first,
every listed one still decrypts, so they rotate); or a key is read from an environment variable
or a file named in PRIVATE_KEYS. ``SECRET_KEY`` is never used: operators rotate it for other reasons.
"""

from dataclasses import dataclass

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

SETTING = "LEARNING_CREDENTIALS['OPEN_BADGES']"
DEFAULTS = {
    # Fernet keys (Fernet.generate_key()), newest first, that encrypt private keys kept in the database.
    "KEY_ENCRYPTION_KEYS": [],
    # "<issuer slug>#<key id>" -> "env:VARIABLE" or "file:/path/to/key.pem": private keys kept outside the database.
    "PRIVATE_KEYS": {},
    # Seconds between publishing a rotated key and signing with it, so that verifiers' caches of the
    # issuer's DID document have it before the first credential it signs.
    "SIGNING_DELAY_SECONDS": 24 * 3600,
}


@dataclass(frozen=True)
class OpenBadgesSettings:
    key_encryption: MultiFernet | None
    private_keys: dict[str, str]
    signing_delay_seconds: int


def _fernets(value) -> MultiFernet | None:
    if not isinstance(value, list | tuple) or not all(isinstance(key, str | bytes) for key in value):
        raise ImproperlyConfigured(f"{SETTING}['KEY_ENCRYPTION_KEYS'] must be a list of Fernet keys, newest first.")
    if not value:
        return None
    try:
        return MultiFernet([Fernet(key) for key in value])
    except ValueError:
        raise ImproperlyConfigured(
            f"{SETTING}['KEY_ENCRYPTION_KEYS'] holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes, e.g. from cryptography.fernet.Fernet.generate_key())."
        ) from None


def _sources(value) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(name, str) and "#" in name and isinstance(source, str) and source.startswith(("env:", "file:"))
        for name, source in value.items()
    ):
        raise ImproperlyConfigured(
            f"{SETTING}['PRIVATE_KEYS'] maps '<issuer slug>#<key id>' to 'env:VARIABLE' or 'file:/path/to/key.pem'."
        )
    return dict(value)


def open_badges_settings() -> OpenBadgesSettings:
    """The settings now; ImproperlyConfigured for an unknown key or an impossible value."""
    overrides = getattr(settings, "LEARNING_CREDENTIALS", {}).get("OPEN_BADGES") or {}
    if not isinstance(overrides, dict):
        raise ImproperlyConfigured(f"{SETTING} must be a dictionary.")
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"{SETTING} has unknown keys: {', '.join(unknown)}; known: {', '.join(DEFAULTS)}.")
    merged = {**DEFAULTS, **overrides}
    delay = merged["SIGNING_DELAY_SECONDS"]
    if isinstance(delay, bool) or not isinstance(delay, int) or delay < 0:
        raise ImproperlyConfigured(f"{SETTING}['SIGNING_DELAY_SECONDS'] must be a whole number of seconds, 0 or more.")
    return OpenBadgesSettings(
        key_encryption=_fernets(merged["KEY_ENCRYPTION_KEYS"]),
        private_keys=_sources(merged["PRIVATE_KEYS"]),
        signing_delay_seconds=delay,
    )

"""Issuers: who signs a context's credentials, their did:web identifiers and what those resolve to.

``did:web:<host>:learning_credentials:issuers:<slug>`` resolves, by the did:web method, to
``https://<host>/learning_credentials/issuers/<slug>/did.json``: the DID document lists the
issuer's public keys (Ed25519 as Multikey, P-256 as JsonWebKey) under ``assertionMethod``, with the
DID as their controller. A revoked key stays listed, marked revoked and out of ``assertionMethod``,
so verifiers refuse what it signed.
"""

from urllib.parse import quote, urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from .. import conf
from .documents import CONTEXTS
from .keys import public_key
from .models import Issuer, SigningKey
from .signing import multikey_public

DID_CONTEXTS = [
    "https://www.w3.org/ns/did/v1",
    "https://w3id.org/security/multikey/v1",
    "https://w3id.org/security/jwk/v1",
]
PATH = ("learning_credentials", "issuers")


def issuer_did(*, slug: str, base_url: str) -> str:
    """The did:web for an issuer served under ``base_url`` (a port is percent-encoded, as did:web requires)."""
    host = urlsplit(base_url).netloc
    return ":".join(["did:web", quote(host, safe=""), *PATH, slug])


def issuer_create(*, organization: str, name: str, url: str, slug: str = "", base_url: str = "", **fields) -> Issuer:
    """An issuer with its DID fixed now, from its slug and the host it is served on (the platform's by default)."""
    slug = slug or slugify(organization) or "platform"
    base_url = (base_url or conf.base_url()).rstrip("/")
    did = issuer_did(slug=slug, base_url=base_url)
    return Issuer.objects.create(
        organization=organization, name=name, url=url, slug=slug, base_url=base_url, did=did, **fields
    )


def _organization(context_key) -> str:
    return str(getattr(context_key, "org", "") or "")


def issuer_for_context(context_key) -> Issuer:
    """The issuer of the context's organisation, or the platform's (created on first need)."""
    found = Issuer.objects.filter(organization=_organization(context_key)).first()
    return found or issuer_platform()


def issuer_platform() -> Issuer:
    """The platform's issuer, for contexts whose organisation has none: created from the site on first need."""
    found = Issuer.objects.filter(organization="").first()
    if found is not None:
        return found
    name = getattr(settings, "PLATFORM_NAME", "") or urlsplit(conf.base_url()).hostname or "Learning platform"
    try:
        with transaction.atomic():
            return issuer_create(organization="", name=name, url=conf.base_url() + "/", slug="platform")
    except IntegrityError:  # created meanwhile by another process
        return Issuer.objects.get(organization="")


def _method(issuer: Issuer, key: SigningKey) -> dict:
    method = {"id": f"{issuer.did}#{key.key_id}", "controller": issuer.did}
    if key.algorithm == SigningKey.Algorithm.ED25519:
        method |= {"type": "Multikey", "publicKeyMultibase": multikey_public(public_key(key))}
    else:
        method |= {"type": "JsonWebKey", "publicKeyJwk": key.public_jwk}
    if key.revoked_at is not None:
        method["revoked"] = key.revoked_at.isoformat().replace("+00:00", "Z")
    return method


def did_document(issuer: Issuer) -> dict:
    keys = list(issuer.keys.order_by("created", "pk"))
    return {
        "@context": DID_CONTEXTS,
        "id": issuer.did,
        "verificationMethod": [_method(issuer, key) for key in keys],
        "assertionMethod": [f"{issuer.did}#{key.key_id}" for key in keys if key.revoked_at is None],
    }


def issuer_profile(issuer: Issuer) -> dict:
    """The OB 3.0 Profile of the issuer (what credentials embed as ``issuer``, with the contexts here)."""
    profile = {"id": issuer.did, "type": ["Profile"], "name": issuer.name, "url": issuer.url}
    if issuer.email:
        profile["email"] = issuer.email
    if issuer.description:
        profile["description"] = issuer.description
    if issuer.image:
        profile["image"] = {"id": issuer.image, "type": "Image"}
    return profile


def issuer_profile_document(issuer: Issuer) -> dict:
    return {"@context": list(CONTEXTS), **issuer_profile(issuer)}


def jwks(issuer: Issuer) -> dict:
    """The issuer's public keys for JOSE verifiers (``kid``: the verification method id); revoked ones left out."""
    return {
        "keys": [
            {
                **key.public_jwk,
                "kid": f"{issuer.did}#{key.key_id}",
                "use": "sig",
                "alg": "EdDSA" if key.algorithm == SigningKey.Algorithm.ED25519 else "ES256",
            }
            for key in issuer.keys.filter(revoked_at__isnull=True).order_by("created", "pk")
        ]
    }

"""The issuers' public documents: the OB 3.0 Profile, the DID document did:web resolves to, the JWKS.

Public and cacheable like a credential's page (``PUBLIC_CACHE_SECONDS``, with an ETag): a new or
revoked key reaches verifiers within that time. An unknown issuer is the host's 404.
"""

from django.http import Http404, JsonResponse

from ..public_http import cache_publicly, public_route
from ..throttling import rate_limit
from .issuers import did_document, issuer_profile_document, jwks
from .models import Issuer


def _issuer(slug: str) -> Issuer:
    issuer = Issuer.objects.filter(slug=slug).first()
    if issuer is None:
        raise Http404()
    return issuer


def _json(request, document: dict, content_type: str = "application/json"):
    return cache_publicly(request, JsonResponse(document, content_type=content_type, json_dumps_params={"indent": 2}))


@public_route
@rate_limit("page")
def issuer_profile_view(request, slug: str):
    return _json(request, issuer_profile_document(_issuer(slug)), "application/ld+json")


@public_route
@rate_limit("page")
def issuer_did_view(request, slug: str):
    return _json(request, did_document(_issuer(slug)), "application/did+ld+json")


@public_route
@rate_limit("page")
def issuer_jwks_view(request, slug: str):
    return _json(request, jwks(_issuer(slug)), "application/jwk-set+json")

"""Public documents: a credential's signed Open Badge; an issuer's OB 3.0 Profile, DID document and JWKS; the
status lists.

Public and cacheable like a credential's page (``PUBLIC_CACHE_SECONDS``, with an ETag): a new or
revoked key reaches verifiers within that time. An unknown issuer is the host's 404.
"""

import hashlib
import logging
from functools import wraps

from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from ..exceptions import ConfigurationError, CredentialUnreadable, PayloadTooLarge
from ..languages import in_request_language
from ..lifecycle import Status
from ..models import Credential, VerificationChannel, Visibility
from ..public_http import cache_privately, cache_publicly, public_route
from ..selectors import PublicRecord, credential_get_public
from ..services.verification_counts import verification_count
from ..throttling import rate_limit, seconds_to_wait, too_many_requests
from .credentials import credential_jwt, credential_signed_document
from .file_check import MAX_FILE_BYTES, file_check
from .issuers import did_document, issuer_profile_document, jwks
from .models import Issuer
from .status import status_list_get, status_list_jwt, status_list_signed
from .verification import FAIL, NOT_CHECKED, PASS

log = logging.getLogger(__name__)


def _signing_unavailable(view):
    """A site that has not set up signing yet (no key-encryption key): a 503 in words, not an error page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except ConfigurationError:
            log.exception("open_badges: signing is not set up")
            return HttpResponse(
                _("Signed credentials are not available on this site yet."), status=503, content_type="text/plain"
            )

    return wrapped


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
    """The issuer's Open Badges profile (JSON-LD), which its credentials name."""
    return _json(request, issuer_profile_document(_issuer(slug)), "application/ld+json")


@public_route
@rate_limit("page")
def issuer_did_view(request, slug: str):
    """The issuer's did:web DID document: the public keys verifiers check its signatures with."""
    return _json(request, did_document(_issuer(slug)), "application/did+ld+json")


@public_route
@rate_limit("page")
def issuer_jwks_view(request, slug: str):
    """The issuer's public keys as a JSON Web Key Set, for VC-JWT verifiers."""
    return _json(request, jwks(_issuer(slug)), "application/jwk-set+json")


def _status_list(list_id: str):
    status_list = status_list_get(list_id)
    if status_list is None:
        raise Http404()
    return status_list


def _etag(status_list) -> str:
    """The list's bits decide what a verifier reads: unchanged bits, unchanged answer (304)."""
    return hashlib.sha256(bytes(status_list.bits)).hexdigest()[:32]


@public_route
@rate_limit("file")
@_signing_unavailable
def status_list_view(request, list_id: str):
    """The BitstringStatusListCredential, with its Data Integrity proof; cached at most PUBLIC_CACHE_SECONDS."""
    status_list = _status_list(list_id)
    response = JsonResponse(status_list_signed(status_list), content_type="application/vc+ld+json")
    return cache_publicly(request, response, etag=_etag(status_list))


@public_route
@rate_limit("file")
@_signing_unavailable
def status_list_jwt_view(request, list_id: str):
    """The same status list as a signed VC-JWT."""
    status_list = _status_list(list_id)
    response = HttpResponse(status_list_jwt(status_list), content_type="application/vc+jwt")
    return cache_publicly(request, response, etag=_etag(status_list) + "-jwt")


def _public_credential(request, verify_uuid: str) -> Credential:
    """As the verification page finds it (private: the same 404 as unknown); issued or since revoked."""
    found = credential_get_public(verify_uuid=verify_uuid, viewer=request.user)
    credential = found.credential if isinstance(found, PublicRecord) else found
    if credential is None or credential.status not in (Status.AVAILABLE, Status.INVALIDATED):
        raise Http404()
    return credential


def _private_or_public(request, credential: Credential, response: HttpResponse) -> HttpResponse:
    # A signed document never changes: its ETag is its bytes'. A private one is kept by no cache.
    verification_count(request=request, credential=credential, channel=VerificationChannel.OPEN_BADGES)
    return response if credential.visibility == Visibility.PRIVATE else cache_publicly(request, response)


@public_route
@rate_limit("file")
@_signing_unavailable
def credential_ob3_view(request, verify_uuid: str):
    """The OpenBadgeCredential with its Data Integrity proof (eddsa-rdfc-2022)."""
    credential = _public_credential(request, verify_uuid)
    response = JsonResponse(
        credential_signed_document(credential=credential),
        content_type="application/vc+ld+json",
        json_dumps_params={"indent": 2},
    )
    response["Content-Disposition"] = f'inline; filename="{credential.verify_uuid}.ob3.json"'
    return _private_or_public(request, credential, response)


@public_route
@rate_limit("file")
@_signing_unavailable
def credential_jwt_view(request, verify_uuid: str):
    """The same credential as a VC-JWT (ES256)."""
    credential = _public_credential(request, verify_uuid)
    response = HttpResponse(credential_jwt(credential=credential), content_type="application/vc+jwt")
    response["Content-Disposition"] = f'inline; filename="{credential.verify_uuid}.ob3.jwt"'
    return _private_or_public(request, credential, response)


# What each check is called on the page, in the order they are shown.
CHECK_LABELS = {
    "file": gettext_lazy("The file is the one issued"),
    "format": gettext_lazy("A credential that can be read"),
    "schema": gettext_lazy("Open Badges 3.0 format"),
    "signature": gettext_lazy("Signature"),
    "issuer_key": gettext_lazy("The issuer's key"),
    "key_revoked": gettext_lazy("Key not revoked"),
    "claims": gettext_lazy("JWT claims"),
    "validity": gettext_lazy("Validity dates"),
    "revocation": gettext_lazy("Not revoked"),
    "suspension": gettext_lazy("Not suspended"),
}
RESULT_WORDS = {
    PASS: pgettext_lazy("a check's result", "Passed"),
    FAIL: pgettext_lazy("a check's result", "Failed"),
    NOT_CHECKED: pgettext_lazy("a check's result", "Not checked"),
}
VERDICT_STYLES = {"valid": "valid", "incomplete": "suspended", "invalid": "revoked"}
# The multipart body around a 10 MB file: its headers and boundaries.
UPLOAD_OVERHEAD = 64 * 1024


@csrf_exempt  # anonymous and harmless: it changes nothing and acts for nobody
@require_http_methods(["GET", "HEAD", "POST"])
@in_request_language
def check_file_view(request):
    """'Check a file': an employer's PDF, .json or .jwt, checked; the verdict in words first, then each check."""
    request.user.is_authenticated  # noqa: B018 - read the session first, as every public page does
    wait = seconds_to_wait(request, "verify" if request.method == "POST" else "page")
    if wait is not None:
        return too_many_requests(request, wait)
    if request.method != "POST":
        return cache_privately(_check_page(request, {}))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_FILE_BYTES + UPLOAD_OVERHEAD:  # refused before the upload is read
        return cache_privately(_check_page(request, {"error": _("The file is larger than 10 MB.")}, status=413))
    upload = request.FILES.get("file")
    if upload is None:
        return cache_privately(_check_page(request, {"error": _("Choose a file to check.")}, status=400))
    if upload.size > MAX_FILE_BYTES:
        return cache_privately(_check_page(request, {"error": _("The file is larger than 10 MB.")}, status=413))
    data = upload.read()
    try:
        result = file_check(data=data, name=upload.name or "")
    except (CredentialUnreadable, PayloadTooLarge) as exc:
        status = 413 if isinstance(exc, PayloadTooLarge) else 400
        return cache_privately(_check_page(request, {"error": exc.message, "file_name": upload.name}, status=status))
    if result.credential is not None and result.genuine:  # ours by proof: a file anyone could forge counts nothing
        verification_count(request=request, credential=result.credential, channel=VerificationChannel.FILE_CHECK)
    context = {
        "result": result,
        "style": VERDICT_STYLES[result.verdict],
        "checks": [
            {
                "label": CHECK_LABELS.get(check.name, check.name),
                "result": check.result,
                "word": RESULT_WORDS[check.result],
                "reason": check.reason,
            }
            for check in result.checks
        ],
        "page_url": result.page_url,
        "file_name": upload.name,
        "file_size": len(data),
        "file_sha256": hashlib.sha256(data).hexdigest(),
    }
    return cache_privately(_check_page(request, context))


def _check_page(request, context: dict, status: int = 200):
    return render(
        request,
        "learning_credentials/open_badges/check_file.html",
        {"max_mb": MAX_FILE_BYTES // 2**20, **context},
        status=status,
    )

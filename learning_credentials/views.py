"""Server-rendered public pages."""

import hashlib

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.utils.translation import get_language, get_language_bidi
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import conf
from .adapters import get_adapter
from .exceptions import (
    InvalidContextKey,
    IssuanceRefused,
    LearnerNotEligible,
    NotConfigured,
    NotEnrolled,
    QueueUnavailable,
)
from .identifiers import MAX_CODE_INPUT, parse_context_key
from .languages import in_learner_language
from .lifecycle import Status
from .models import Credential, VerificationChannel, Visibility
from .public_http import cache_privately, cache_publicly, public_route, request_from_another_site
from .selectors import (
    PublicRecord,
    configuration_get_for_type,
    credential_documents_offered,
    credential_get_by_code,
    credential_get_for_download,
    credential_get_public,
    credential_public_status,
    credential_site,
    public_code,
    public_identity,
    verify_url,
)
from .services.artifacts import artifact_storage
from .services.on_demand import credential_request
from .services.sharing import credential_share_image
from .services.verification_counts import verification_count
from .throttling import rate_limit, seconds_to_wait, too_many_requests


def _share_image_path(credential: Credential) -> str:
    return reverse(
        "learning_credentials:verify-image", kwargs={"verify_uuid": credential.verify_uuid, "extension": "png"}
    )


def _qr_svg(url: str) -> str:
    """An inline SVG QR code of ``url`` for the printed page; its title names it for screen readers."""
    return mark_safe(
        segno.make(url, error="m").svg_inline(
            scale=3, border=2, title=_("QR code of this verification page"), svgclass="qr", lineclass="qr-line"
        )
    )


# The parameter a code lookup and the QR link add to the page they lead to: the page counts the visit as theirs.
# Counted where the verifier lands, not at the redirect: a link copied from the address bar is still counted
# (as the channel it names), and a redirect nobody follows counts nothing.
VIA = "via"
VIA_CHANNELS = (VerificationChannel.CODE, VerificationChannel.QR)


def _redirect_via(credential, channel: str) -> HttpResponseRedirect:
    """To the credential's page, which counts the verification as ``channel``."""
    page = reverse("learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid})
    return HttpResponseRedirect(f"{page}?{VIA}={channel}")


@public_route
@rate_limit("page")
def verify_page(request, verify_uuid: str):
    """Public verification page: holder, credential, context, issuer, date, score and status in words."""
    credential = credential_get_public(verify_uuid=verify_uuid, viewer=request.user)
    if credential is None:
        raise Http404()
    via = request.GET.get(VIA)
    channel = via if via in VIA_CHANNELS else VerificationChannel.PAGE
    verification_count(request=request, credential=credential, channel=channel)
    context_key = credential.configuration.learning_context_key
    site = credential_site(credential)
    page_url = verify_url(credential, site=site)
    # One credential of a chain a record stands for (a certification): its page links to the record's.
    in_chain = public_identity(credential).verify_uuid != credential.verify_uuid
    # A retired learner's name is erased with the rest of their data (services.retirement).
    holder = credential.learner_name or _("(name withdrawn at the holder's request)")
    public_status = credential_public_status(credential, site=site)
    response = render(
        request,
        "learning_credentials/verify.html",
        {
            "credential": credential,
            "holder": holder,
            "public_status": public_status,
            # The PDF verify_pdf serves, linked while the credential is valid (never a revoked or expired one's).
            "pdf_url": reverse("learning_credentials:verify-pdf", kwargs={"verify_uuid": credential.verify_uuid})
            if conf.get("PUBLIC_PDF") and credential.status == Status.AVAILABLE and public_status.status == "valid"
            else None,
            "issuer": get_adapter().get_organization_name(context_key),
            "page_url": page_url,
            # Absolute for link previews (Open Graph, Twitter); relative on the page itself.
            "image_url": site.base_url + _share_image_path(credential),
            "image_path": _share_image_path(credential),
            "image_size": conf.get("SHARE_IMAGE_SIZE"),
            "qr_svg": _qr_svg(page_url),
            "image_alt": _("%(type)s awarded to %(name)s for %(context)s")
            % {"type": credential.type_name, "name": holder, "context": credential.context_name},
            "is_private": credential.visibility == Visibility.PRIVATE,
            "record_url": page_url if in_chain else None,
            # A record (a certification's stable page) shows its most recent score and that score's date.
            "record": credential if isinstance(credential, PublicRecord) else None,
            "documents": credential_documents_offered(
                credential.credential if isinstance(credential, PublicRecord) else credential
            ),
            "code": public_code(credential),
        },
    )
    # A private page is for its holder only: kept by no cache (public_route's default).
    return response if credential.visibility == Visibility.PRIVATE else cache_publicly(request, response)


@public_route
def verify_lookup(request):
    """The form employers type a verification code into; a known code leads to the credential's page."""
    raw = request.GET.get("code")
    if raw is None or not raw.strip():
        wait = seconds_to_wait(request, "page")
        if wait is not None:
            return too_many_requests(request, wait)
        return render(request, "learning_credentials/verify_lookup.html", {"code": "", **_check_file_form()})
    wait = seconds_to_wait(request, "code")
    if wait is not None:
        return too_many_requests(request, wait)
    credential = credential_get_by_code(code=raw, viewer=request.user)
    if credential is not None:
        return _redirect_via(credential, VerificationChannel.CODE)
    # Unknown, malformed and private codes alike: the same answer, without telling which.
    return render(
        request,
        "learning_credentials/verify_lookup.html",
        {"code": raw[:MAX_CODE_INPUT], "not_found": True, **_check_file_form()},
        status=404,
    )


def _check_file_form() -> dict:
    """Where the lookup page's "Check a file" form posts, when a sub-app that checks files is installed."""
    try:
        return {"check_file_url": reverse("learning_credentials:open-badges-check-file")}
    except NoReverseMatch:
        return {}


@public_route
@rate_limit("code")
def verify_code(request, code: str):
    """``/verify/code/<code>/``: the credential's page for a code typed any way (case, hyphens, spaces)."""
    return _code_redirect(request, code, VerificationChannel.CODE)


@public_route
@rate_limit("code")
def verify_short(request, code: str):
    """``/v/<code>``, the short link the PDF's QR code encodes: as ``verify_code``, counted as the QR link."""
    return _code_redirect(request, code, VerificationChannel.QR)


def _code_redirect(request, code: str, channel: str):
    credential = credential_get_by_code(code=code, viewer=request.user)
    if credential is None:
        raise Http404()
    return _redirect_via(credential, channel)


def _pdf_response(credential: Credential, *, disposition: str):
    """Stream the stored artifact; never a redirect to a storage URL."""
    if not credential.artifact:
        raise Http404()
    try:
        handle = artifact_storage().open(credential.artifact, "rb")
    except (FileNotFoundError, OSError):
        raise Http404() from None
    filename = f"{slugify(credential.type_name) or 'credential'}-{credential.verification_code}.pdf"
    return FileResponse(
        handle, content_type="application/pdf", as_attachment=disposition == "attachment", filename=filename
    )


@login_required
def credential_download(request, uuid: str):
    """The owner's (or staff's) PDF; 404 for anyone else. Only staff get an invalidated credential's archive."""
    credential = credential_get_for_download(uuid=uuid, user=request.user)
    if credential is None:
        raise Http404()
    return _pdf_response(credential, disposition="attachment")


@public_route
@rate_limit("file")
def verify_pdf(request, verify_uuid: str):
    """The public PDF of a valid credential, when LEARNING_CREDENTIALS['PUBLIC_PDF'] allows it."""
    credential = credential_get_public(verify_uuid=verify_uuid, viewer=request.user)
    if not conf.get("PUBLIC_PDF") or credential is None or credential.status != Status.AVAILABLE:
        raise Http404()
    response = _pdf_response(credential, disposition="inline")
    verification_count(request=request, credential=credential, channel=VerificationChannel.PDF)
    if credential.visibility == Visibility.PRIVATE:
        return response
    # Each generation writes a file of its own name: the name identifies the bytes.
    return cache_publicly(request, response, etag=hashlib.sha256(credential.artifact.encode()).hexdigest()[:32])


@public_route
@rate_limit("file")
def verify_image(request, verify_uuid: str, extension: str):
    """The share image of a public credential (PNG or JPEG), with a REVOKED/SUPERSEDED label when so."""
    credential = credential_get_public(verify_uuid=verify_uuid, viewer=request.user)
    if credential is None:
        raise Http404()
    content, content_type = credential_share_image(credential=credential, extension=extension)
    response = HttpResponse(content, content_type=content_type)
    return response if credential.visibility == Visibility.PRIVATE else cache_publicly(request, response)


def _message_page(title: str, message: str, *, status: int, refresh: int | None = None) -> HttpResponse:
    response = HttpResponse(
        format_html(
            '<!DOCTYPE html><html lang="{}" dir="{}"><head><meta charset="utf-8"><title>{}</title></head>'
            "<body><main><h1>{}</h1><p>{}</p></main></body></html>",
            get_language() or settings.LANGUAGE_CODE,
            "rtl" if get_language_bidi() else "ltr",
            title,
            title,
            message,
        ),
        status=status,
    )
    if refresh:
        response["Refresh"] = str(refresh)
        response["Retry-After"] = str(refresh)
    return response


def _confirmation_page(request, configuration) -> HttpResponse:
    context_key = configuration.learning_context_key
    context_name = get_adapter().get_context_names([context_key]).get(context_key, str(context_key))
    response = render(
        request,
        "learning_credentials/confirm_certificate.html",
        {"type_name": configuration.credential_type.name, "context_name": context_name},
    )
    return cache_privately(response)


@login_required
@in_learner_language
@require_http_methods(["GET", "POST"])  # not HEAD: this GET may issue (lazy issuance), a HEAD must not
@transaction.non_atomic_requests
def credential_on_demand(request, context_key: str, type_key: str):
    """The signed-in learner's PDF, issued on this first request when they qualify (seed 002's route).

    The rules of POST /api/learning_credentials/v1/eligibility/<context_key>/<type_key>/; a
    credential still being generated gets a page that reloads itself until the PDF is ready.
    One click from the platform's own pages; a link on another site gets a confirmation page
    whose button POSTs with the CSRF token, so no other site can issue in the learner's name.
    """
    try:
        configuration = configuration_get_for_type(context_key=parse_context_key(context_key), type_key=type_key)
        if request.method == "GET" and request_from_another_site(request):
            return _confirmation_page(request, configuration)
        credential, _outcome = credential_request(user=request.user, configuration=configuration)
    except (InvalidContextKey, NotConfigured, NotEnrolled):
        raise Http404() from None
    except LearnerNotEligible as exc:
        return _message_page(_("Not available yet"), exc.message, status=403)
    except IssuanceRefused as exc:
        return _message_page(_("Not available"), exc.message, status=409)
    except QueueUnavailable:
        message = _("Your credential could not be prepared just now. Please try again in a few minutes.")
        return _message_page(_("Please try again"), message, status=503, refresh=60)
    if credential.status == Status.AVAILABLE:
        return _pdf_response(credential, disposition="attachment")
    if credential.status == Status.GENERATING:
        message = _("Your credential is being generated. This page reloads by itself until it is ready.")
        return _message_page(_("Almost there"), message, status=202, refresh=5)
    message = _("Your credential could not be generated yet; it will be tried again. Please come back later.")
    return _message_page(_("Not ready"), message, status=503)

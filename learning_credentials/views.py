"""Server-rendered public pages."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.text import slugify

from . import conf
from .adapters import get_adapter
from .identifiers import format_code
from .lifecycle import Status
from .models import Credential
from .selectors import credential_get_for_download, credential_get_public, credential_public_status
from .services.common import artifact_storage
from .services.sharing import credential_share_image


def verify_page(request, verify_uuid: str):
    """Public verification page: holder, credential, context, date and status in words."""
    credential = credential_get_public(verify_uuid=verify_uuid)
    if credential is None:
        raise Http404()
    context_key = credential.configuration.learning_context_key
    return render(
        request,
        "learning_credentials/verify.html",
        {
            "credential": credential,
            "public_status": credential_public_status(credential),
            "issuer": get_adapter().get_organization_name(context_key),
            "code": format_code(credential.verification_code),
        },
    )


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


def verify_pdf(request, verify_uuid: str):
    """The public PDF of a valid credential, when LEARNING_CREDENTIALS['PUBLIC_PDF'] allows it."""
    credential = credential_get_public(verify_uuid=verify_uuid)
    if not conf.get("PUBLIC_PDF") or credential is None or credential.status != Status.AVAILABLE:
        raise Http404()
    return _pdf_response(credential, disposition="inline")


def verify_image(request, verify_uuid: str, extension: str):
    """The share image of a public credential (PNG or JPEG), with a REVOKED/SUPERSEDED label when so."""
    credential = credential_get_public(verify_uuid=verify_uuid)
    if credential is None:
        raise Http404()
    content, content_type = credential_share_image(credential=credential, extension=extension)
    response = HttpResponse(content, content_type=content_type)
    response["Cache-Control"] = "public, max-age=300"
    return response

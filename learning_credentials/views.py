"""Server-rendered public pages."""

from django.http import Http404
from django.shortcuts import render

from .adapters import get_adapter
from .identifiers import format_code
from .selectors import credential_get_public, credential_public_status


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

"""Previews: a sample PDF and share image under options not yet saved; nothing is written."""

import base64
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from .. import conf
from ..adapters import get_adapter
from ..models import CredentialType, check_asset_references
from ..registry import resolve_options, validate_options
from ..rendering import CredentialData
from ..rendering.share_image import ShareImageData, format_date, render_share_image, share_image_options
from .asset_loading import asset_load

SAMPLE_UUID = "00000000-0000-4000-8000-000000000000"
SAMPLE_CODE = "SAMPL-E0000"


@dataclass(frozen=True)
class Preview:
    pdf: bytes
    image: bytes
    image_type: str

    def data_uri(self, kind: str) -> str:
        content, mime = (self.pdf, "application/pdf") if kind == "pdf" else (self.image, self.image_type)
        return f"data:{mime};base64,{base64.b64encode(content).decode()}"


def credential_preview(*, credential_type: CredentialType, options: dict, context_key=None) -> Preview:
    """Render a sample credential of ``credential_type`` under ``options`` (merged, unsaved).

    Raises InvalidOptions (with the errors by option) or GenerationFailed; creates no records.
    """
    declarations = credential_type.option_declarations()
    validate_options(declarations, options)
    check_asset_references(declarations, options)
    _, generate = credential_type.functions()
    context_name = "Sample course"
    issuer = "Sample organisation"
    if context_key is not None:
        adapter = get_adapter()
        context_name = adapter.get_context_names([context_key]).get(context_key, str(context_key))
        issuer = adapter.get_organization_name(context_key)
    verify_url = f"{conf.base_url()}/learning_credentials/verify/{SAMPLE_UUID}/"
    today = timezone.now().date()
    data = CredentialData(
        learner_name="Alex Sample-Learner",
        context_name=context_name,
        context_key=str(context_key or "course-v1:Sample+Course+Run"),
        type_name=credential_type.name or "Sample credential",
        issue_date=today,
        verify_url=verify_url,
        verify_uuid=SAMPLE_UUID,
        verify_code=SAMPLE_CODE,
        score=Decimal("92.50"),
        qr_url=conf.base_url()
        + reverse("learning_credentials:verify-short", kwargs={"code": SAMPLE_CODE.replace("-", "")}),
    )
    artifact = generate(data=data, options=resolve_options(generate, options), load_asset=asset_load)
    image, image_type = render_share_image(
        data=ShareImageData(
            learner_name=data.learner_name,
            type_name=data.type_name,
            context_name=context_name,
            issuer=issuer,
            issue_date=format_date(today),
            verify_url=verify_url,
            verify_code=SAMPLE_CODE,
            score="92.5%",
        ),
        options=resolve_options(share_image_options, options)["share_image"],
        load_asset=asset_load,
        size=conf.get("SHARE_IMAGE_SIZE"),
        image_format="png",
    )
    return Preview(pdf=artifact.content, image=image, image_type=image_type)

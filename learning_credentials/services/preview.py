"""Previews: a sample PDF and share image under options not yet saved; nothing is written."""

import base64
from dataclasses import dataclass
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from .. import conf
from ..adapters import get_adapter
from ..languages import site_language
from ..models import CredentialType, check_asset_references
from ..registry import resolve_options, validate_options
from ..rendering import CredentialData, local_date
from ..rendering.share_image import ShareImageData, render_share_image, share_image_options
from ..selectors import context_site
from .asset_loading import asset_load
from .wording import credential_wording, date_text, right_to_left

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


def credential_preview(
    *, credential_type: CredentialType, options: dict, context_key=None, language: str = ""
) -> Preview:
    """Render a sample credential of ``credential_type`` under ``options`` (merged, unsaved), in ``language``
    (the site's default when empty): its fixed text and dates as a learner of that language gets them.

    Raises InvalidOptions (with the errors by option) or GenerationFailed; creates no records.
    """
    language = site_language(language or None)
    declarations = credential_type.option_declarations()
    validate_options(declarations, options)
    check_asset_references(declarations, options)
    _, generate = credential_type.functions()
    context_name = "Sample course"
    issuer = "Sample organisation"
    site = None
    if context_key is not None:  # as the context's credentials will read, with its site's links and dates
        adapter = get_adapter()
        context_name = adapter.get_context_names([context_key]).get(context_key, str(context_key))
        issuer = adapter.get_organization_name(context_key)
        site = context_site(context_key=context_key)
    base_url = site.base_url if site else conf.base_url()
    date_format = (site.date_format or "") if site else ""
    today = local_date(timezone.now(), site.time_zone if site else None)
    verify_url = base_url + reverse("learning_credentials:verify", kwargs={"verify_uuid": SAMPLE_UUID})
    wording = credential_wording(language=language)
    issue_date = date_text(today, language=language, date_format=date_format)
    data = CredentialData(
        learner_name="Alex Sample-Learner",
        context_name=context_name,
        context_key=str(context_key or "course-v1:Sample+Course+Run"),
        type_name=credential_type.name or "Sample credential",
        issue_date=today,
        date_format=date_format,
        verify_url=verify_url,
        verify_uuid=SAMPLE_UUID,
        verify_code=SAMPLE_CODE,
        score=Decimal("92.50"),
        qr_url=base_url + reverse("learning_credentials:verify-short", kwargs={"code": SAMPLE_CODE.replace("-", "")}),
        language=language,
        wording=wording,
        issue_date_text=issue_date,
    )
    artifact = generate(data=data, options=resolve_options(generate, options), load_asset=asset_load)
    image, image_type = render_share_image(
        data=ShareImageData(
            learner_name=data.learner_name,
            type_name=data.type_name,
            context_name=context_name,
            issuer=issuer,
            issue_date=issue_date,
            verify_url=verify_url,
            verify_code=SAMPLE_CODE,
            score="92.5%",
            wording=wording,
            right_to_left=right_to_left(language),
        ),
        options=resolve_options(share_image_options, options)["share_image"],
        load_asset=asset_load,
        size=conf.get("SHARE_IMAGE_SIZE"),
        image_format="png",
    )
    return Preview(pdf=artifact.content, image=image, image_type=image_type)

"""Share images of public credentials: rendered on first request, then served from storage."""

import logging

from django.core.files.base import ContentFile

from .. import conf
from ..adapters import get_adapter
from ..exceptions import LearningCredentialsError
from ..languages import site_language
from ..models import Credential, InvalidationReason
from ..registry import resolve_options
from ..rendering import local_date
from ..rendering.share_image import ShareImageData, render_share_image, share_image_options
from ..selectors import PublicRecord, credential_public_status, credential_site, public_code, verify_url
from .artifacts import artifact_storage, share_image_folder
from .asset_loading import asset_load
from .wording import credential_options, credential_wording, date_text, right_to_left

log = logging.getLogger(__name__)
EXTENSIONS = {"png": "png", "jpg": "jpeg"}


def credential_share_image(*, credential: Credential, extension: str) -> tuple[bytes, str]:
    """The share image of a public credential as (bytes, content type), cached in storage.

    The cache key holds everything that can change what may be shown (public status,
    visibility, size, format), so a revoked credential never keeps its 'valid' picture.
    """
    image_format = EXTENSIONS[extension]
    site = credential_site(credential)
    public = credential_public_status(credential, site=site)
    stamped = InvalidationReason.RENEWED.value if public.reason == InvalidationReason.RENEWED else public.status
    width, height = conf.get("SHARE_IMAGE_SIZE")
    state = f"{stamped}-{credential.visibility}"
    if isinstance(credential, PublicRecord):
        # A certification's page shows its current credential with the record's score: a picture of its own.
        state += f"-{credential.verify_uuid.hex[:12]}-{credential.score}"
    name = f"{share_image_folder(credential.pk)}/share-{state}-{width}x{height}.{extension}"
    storage = artifact_storage()
    content_type = "image/png" if image_format == "png" else "image/jpeg"
    if storage.exists(name):
        with storage.open(name, "rb") as cached:
            return cached.read(), content_type
    context_key = credential.configuration.learning_context_key
    language = credential.language or site_language(None)
    data = ShareImageData(
        learner_name=credential.learner_name,
        type_name=credential.type_name,
        context_name=credential.context_name,
        issuer=get_adapter().get_organization_name(context_key),
        issue_date=date_text(
            local_date(credential.created, site.time_zone), language=language, date_format=site.date_format or ""
        ),
        verify_url=verify_url(credential, site=site),
        verify_code=public_code(credential),
        score="" if credential.score is None else f"{credential.score.normalize():f}%",
        public_status=stamped,
        wording=credential_wording(language=language),
        right_to_left=right_to_left(language),
    )
    options = credential_options(configuration=credential.configuration, language=language)
    options = resolve_options(share_image_options, options)["share_image"]
    try:
        content, content_type = render_share_image(
            data=data, options=options, load_asset=asset_load, size=(width, height), image_format=image_format
        )
    except LearningCredentialsError as exc:  # a removed background or font must not break previews
        log.warning("Share image of %s without its assets: %s", credential.pk, exc.message)
        content, content_type = render_share_image(
            data=data, options={}, load_asset=asset_load, size=(width, height), image_format=image_format
        )
    if not storage.exists(name):
        storage.save(name, ContentFile(content))
    return content, content_type

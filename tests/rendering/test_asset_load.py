"""asset_load: the loader services hand to generation functions (version now, bytes on first use), end to end."""

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from learning_credentials.exceptions import AssetMissing
from learning_credentials.models import CredentialAsset
from learning_credentials.rendering import asset_bytes_cache
from learning_credentials.rendering.share_image import ShareImageData, render_share_image
from learning_credentials.services.asset_loading import asset_load
from learning_credentials.services.issuance import credential_issue
from tests.factories import template_pdf
from tests.rendering.conftest import DEJAVU, image_bytes

pytestmark = [pytest.mark.rendering, pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _empty_bytes_cache():
    asset_bytes_cache.clear()


def test_version_and_kind_come_at_once_and_the_file_is_read_once_per_version(template_asset, monkeypatch):
    opened = []
    original_open = default_storage.open
    monkeypatch.setattr(default_storage, "open", lambda *a, **k: opened.append(a[0]) or original_open(*a, **k))
    first = asset_load("certificate-template")
    assert (first.slug, first.kind, first.content_hash) == (
        "certificate-template",
        "pdf_template",
        template_asset.content_hash,
    )
    assert opened == []
    assert first.data.startswith(b"%PDF-")
    assert asset_load("certificate-template").data == first.data
    assert len(opened) == 1


def test_a_replaced_file_is_a_new_version(template_asset):
    before = asset_load("certificate-template")
    before.data  # noqa: B018 - fills the cache with the old version
    replacement = template_pdf("DIPLOMA")
    template_asset.file = ContentFile(replacement, name="other.pdf")
    template_asset.save()
    after = asset_load("certificate-template")
    assert after.content_hash != before.content_hash
    assert after.data == replacement


def test_missing_asset_or_file_is_asset_missing(template_asset):
    with pytest.raises(AssetMissing, match="no credential asset with the slug 'nope'"):
        asset_load("nope")
    default_storage.delete(template_asset.file.name)
    loaded = asset_load("certificate-template")
    with pytest.raises(AssetMissing, match="file of credential asset 'certificate-template' cannot be read"):
        loaded.data  # noqa: B018


def test_assets_without_a_recorded_hash_are_hashed_from_their_bytes(template_asset):
    CredentialAsset.objects.filter(pk=template_asset.pk).update(content_hash="")
    assert asset_load("certificate-template").content_hash == template_asset.content_hash


def test_issued_credentials_record_the_template_version(
    configuration, learner, template_asset, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="manual")
    credential.refresh_from_db()
    assert credential.status == "available"
    assert credential.template_version == template_asset.content_hash


def test_share_images_load_their_font_and_background_through_asset_load(db):
    CredentialAsset.objects.create(
        slug="dejavu", kind="font", file=ContentFile(DEJAVU.read_bytes(), name="DejaVuSans.ttf")
    )
    CredentialAsset.objects.create(slug="bg", kind="image", file=ContentFile(image_bytes((9, 9, 9)), name="bg.png"))
    data = ShareImageData(
        learner_name="Zoë Ångström",
        type_name="Certificate",
        context_name="Computing",
        issuer="DemoX",
        issue_date="23 November 2026",
        verify_url="https://lms.example.com/v/",
        verify_code="7KQ2M-XW4PD",
    )
    content, content_type = render_share_image(
        data=data,
        options={"font_asset": "dejavu", "background": "bg"},
        load_asset=asset_load,
        size=(600, 314),
        image_format="png",
    )
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(content)).getpixel((5, 300)) == (9, 9, 9)

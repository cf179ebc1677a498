"""Uploading credential assets: limits read from the header before decoding, and page-sized copies."""

import re
from pathlib import Path

import pytest
import reportlab
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image

from learning_credentials.assets import validate_asset_file
from learning_credentials.models import CredentialAsset
from learning_credentials.services.asset_loading import asset_load
from learning_credentials.services.assets import asset_replace_file
from tests.rendering.conftest import gradient, image_bytes, png_header

VERA = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"


def messages_of(kind: str, data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as error:
        validate_asset_file(kind=kind, file=ContentFile(data, name="upload"))
    return error.value.messages


class TestImageLimits:
    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # outside tests it only warns
    def test_the_reviewers_png_is_refused_by_its_pixels_before_decoding(self):
        """12000 x 12000 pixels in a few dozen bytes: far under the byte limit, 576 MB once decoded."""
        data = png_header(12000, 12000)
        assert len(data) < 100
        assert messages_of("image", data) == [
            "The image cannot be used: it is 12000 x 12000 pixels (144 megapixels); "
            "images may have at most 25 megapixels."
        ]

    def test_pillow_s_own_bomb_guard_is_a_form_error_too(self):
        """20000 x 20000 trips Pillow's DecompressionBombError before our check sees the size."""
        (message,) = messages_of("image", png_header(20000, 20000))
        assert message.startswith("The image cannot be used: it has more than 179 megapixels")
        assert message.endswith("images may have at most 25 megapixels.")

    def test_the_pixel_limit_is_a_setting(self, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "IMAGE_MAX_PIXELS": 100 * 100}
        facts = validate_asset_file(kind="image", file=ContentFile(gradient((100, 100)), name="ok.png"))
        assert (facts.width, facts.height) == (100, 100)
        (message,) = messages_of("image", gradient((101, 100)))
        assert "101 x 100 pixels (0.0101 megapixels); images may have at most 0.01 megapixels" in message

    def test_the_byte_limit_is_a_setting_and_checked_before_reading(self, settings):
        data = gradient((300, 300))
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "IMAGE_MAX_BYTES": len(data) - 1}
        (message,) = messages_of("image", data)
        assert re.fullmatch(r"The file is [\d.]+ MB; it may be at most [\d.]+ MB\.", message)

        class Unreadable(ContentFile):
            def read(self, *args):
                raise AssertionError("an upload over the limit must not be read")

        with pytest.raises(ValidationError, match="may be at most"):
            validate_asset_file(kind="image", file=Unreadable(data, name="big.png"))

    @pytest.mark.parametrize(
        "data,message",
        [
            (image_bytes((1, 2, 3), (40, 40), "GIF", "P"), "it is not a PNG or JPEG image"),
            (png_header(40, 40), "it is damaged or incomplete"),  # a header, no pixel data
            (gradient((400, 300))[:-200], "it is damaged or incomplete"),
        ],
    )
    def test_other_formats_and_damaged_pixels_are_refused(self, data, message):
        assert messages_of("image", data) == [f"The image cannot be used: {message}."]


@pytest.mark.django_db
class TestPageSizedCopy:
    @pytest.fixture(autouse=True)
    def _small_page(self, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "IMAGE_PAGE_PIXELS": 200}

    @pytest.mark.parametrize("fmt,extension", [("PNG", "png"), ("JPEG", "jpg")])
    def test_a_large_upload_keeps_its_original_and_a_copy_sized_for_the_page(self, fmt, extension):
        original = gradient((1000, 500), fmt)
        asset = CredentialAsset.objects.create(slug="banner", kind="image", file=ContentFile(original, name="b.img"))
        asset.refresh_from_db()
        assert (asset.width, asset.height) == (1000, 500)
        assert asset.file.read() == original
        with Image.open(asset.page_copy) as copy:
            assert (copy.format, copy.size) == (fmt, (200, 100))
        assert asset.page_copy.name.endswith(f".{extension}")
        assert asset_load("banner").data == asset.page_copy.open("rb").read()

    def test_an_image_within_the_page_is_drawn_as_uploaded(self):
        original = gradient((200, 80))
        asset = CredentialAsset.objects.create(slug="logo", kind="image", file=ContentFile(original, name="l.png"))
        assert (asset.width, asset.height, asset.page_copy.name) == (200, 80, "")
        assert asset_load("logo").data == original

    def test_replacing_the_file_replaces_the_copy_and_deletes_the_old_one(
        self, configuration, django_capture_on_commit_callbacks
    ):
        asset = CredentialAsset.objects.create(
            slug="banner", kind="image", file=ContentFile(gradient((1000, 500)), name="b.png")
        )
        old_file, old_copy = asset.file.name, asset.page_copy.name
        with django_capture_on_commit_callbacks(execute=True):
            asset_replace_file(asset=asset, new_file=ContentFile(gradient((150, 150)), name="small.png"))
        asset.refresh_from_db()
        assert (asset.width, asset.height, asset.page_copy.name) == (150, 150, "")
        assert not default_storage.exists(old_file) and not default_storage.exists(old_copy)

    def test_other_kinds_get_no_pixel_size(self, template_asset):
        assert (template_asset.width, template_asset.height, template_asset.page_copy.name) == (None, None, "")

    def test_the_admin_shows_the_pixel_size(self, admin_client):
        asset = CredentialAsset.objects.create(
            slug="banner", kind="image", file=ContentFile(gradient((1000, 500)), name="b.png")
        )
        html = admin_client.get(f"/admin/learning_credentials/credentialasset/{asset.pk}/change/").content.decode()
        assert "1000 x 500 pixels (0.5 megapixels); credentials draw a copy scaled down to the page" in html

    @pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
    def test_the_admin_says_when_a_stored_image_is_over_the_limit(self, admin_client):
        """Saved before the limits existed: its header is read and the page says why it cannot be used."""
        asset = CredentialAsset.objects.create(slug="logo", kind="image", file=ContentFile(gradient((10, 10)), "l.png"))
        default_storage.delete(asset.file.name)
        default_storage.save(asset.file.name, ContentFile(png_header(12000, 12000)))
        CredentialAsset.objects.filter(pk=asset.pk).update(width=None, height=None)
        html = admin_client.get(f"/admin/learning_credentials/credentialasset/{asset.pk}/change/").content.decode()
        assert "The image cannot be used: it is 12000 x 12000 pixels" in html

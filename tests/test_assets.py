"""Uploading credential assets: limits read from the header before decoding, page-sized copies, and no 500s.

The property-based test feeds mutated PNG, JPEG, PDF and TrueType files to the validator and to
the admin's form: each is accepted or refused with a message in plain words, never an exception.
"""

import re
from pathlib import Path

import pytest
import reportlab
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from PIL import Image

from learning_credentials.assets import validate_asset_file
from learning_credentials.models import CredentialAsset
from learning_credentials.services.asset_loading import asset_load
from learning_credentials.services.assets import asset_replace_file
from tests import factories
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
            "The image is 12000 x 12000 pixels (144 megapixels); images may have at most 25 megapixels."
        ]

    def test_pillow_s_own_bomb_guard_is_a_form_error_too(self):
        """20000 x 20000 trips Pillow's DecompressionBombError before our check sees the size."""
        (message,) = messages_of("image", png_header(20000, 20000))
        assert message.startswith("The image has more than 179 megapixels")
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
            (image_bytes((1, 2, 3), (40, 40), "GIF", "P"), "The file is not an image we can read (PNG or JPEG)."),
            (b"%PDF-1.7 a document", "The file is not an image we can read (PNG or JPEG)."),
            (png_header(40, 40), "The image is damaged or incomplete."),  # a header, no pixel data
            (gradient((400, 300))[:-200], "The image is damaged or incomplete."),
        ],
    )
    def test_other_formats_and_damaged_pixels_are_refused(self, data, message):
        assert messages_of("image", data) == [message]


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
        assert "The image is 12000 x 12000 pixels" in html


@pytest.mark.django_db
class TestAdminForm:
    """The add form answers every upload with a page, an error next to the field when it is unusable."""

    @pytest.mark.parametrize(
        "kind,name,data,message",
        [
            ("image", "bomb.png", png_header(20000, 20000), "images may have at most 25 megapixels"),
            ("font", "cut.ttf", VERA.read_bytes()[:1000], "The font cannot be read: it is damaged"),
            ("pdf_template", "cut.pdf", factories.template_pdf()[:300], "The PDF cannot be read: it is damaged"),
        ],
    )
    def test_unusable_uploads_are_form_errors(self, admin_client, kind, name, data, message):
        response = admin_client.post(
            "/admin/learning_credentials/credentialasset/add/",
            {"slug": "upload", "kind": kind, "file": SimpleUploadedFile(name, data)},
        )
        assert response.status_code == 200
        assert any(message in error for error in response.context["adminform"].form.errors["file"])
        assert not CredentialAsset.objects.exists()


# --- Property-based: mutated files -----------------------------------------------------------

SAMPLES = {
    "image": {"png": gradient((64, 48), mode="RGBA"), "jpeg": gradient((64, 48), "JPEG")},
    "pdf_template": {"pdf": factories.template_pdf()},
    "font": {"ttf": VERA.read_bytes()},
}
SAMPLE_KINDS = [(kind, name) for kind, samples in SAMPLES.items() for name in samples]
# What a message in plain words never holds: Python reprs of bytes, exception class names, calls.
NOT_PLAIN = re.compile(r"""b'|b"|\\x[0-9a-f]{2}|[A-Za-z]+(Error|Exception|Warning)\b|\w\(|struct|unpack|Traceback""")


@st.composite
def mutated(draw, kind: str, sample: str) -> bytes:
    """The sample after a few byte flips, insertions, deletions and a possible truncation, mostly in its head.

    Headers and tables sit at the start of these formats, so positions favour the first 2 KB.
    """
    data = bytearray(SAMPLES[kind][sample])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        edit = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        at = draw(st.one_of(st.integers(0, min(2048, len(data) - 1)), st.integers(0, len(data) - 1)))
        if edit == "flip":
            data[at] = draw(st.integers(0, 255))
        elif edit == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=16))
        elif edit == "delete":
            del data[at : at + draw(st.integers(1, 64))]
        else:
            del data[at:]
    return bytes(data)


class Mutant(bytes):
    """Bytes whose repr is their size: a failing example is reported without 200 KB of font."""

    def __repr__(self) -> str:
        return f"<{len(self)} bytes>"


def outcome(kind: str, data: bytes) -> list[str]:
    """The validator's messages ([] when accepted); anything but ValidationError fails the test."""
    try:
        validate_asset_file(kind=kind, file=ContentFile(data, name="upload"))
    except ValidationError as exc:
        return exc.messages
    return []


@pytest.mark.django_db
@pytest.mark.parametrize("kind,sample", SAMPLE_KINDS)
@hypothesis_settings(
    max_examples=50,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_mutated_files_are_accepted_or_refused_in_plain_words(kind, sample, data):
    mutant = data.draw(mutated(kind, sample).map(Mutant), label="file")
    messages = outcome(kind, mutant)
    for message in messages:
        assert message and not NOT_PLAIN.search(message), message
    form_class = modelform_factory(CredentialAsset, fields=("slug", "kind", "description", "file"))
    form = form_class(data={"slug": "mutant", "kind": kind}, files={"file": SimpleUploadedFile("f", mutant)})
    assert form.is_valid() == (not messages)
    for message in form.errors.get("file", []):  # the form's own wording for an empty file, else the validator's
        assert message in messages or message == "The submitted file is empty."


def test_the_samples_themselves_are_accepted():
    """The mutations start from files the validator accepts, so a refusal is the mutation's doing."""
    for kind, sample in SAMPLE_KINDS:
        assert outcome(kind, SAMPLES[kind][sample]) == []

"""Images at generation: drawn page-sized, refused over the pixel limit unread, and the peak memory of a render.

Assets stored before the limits existed are written straight to the table and the storage here,
as an older release would have left them.
"""

import hashlib
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from pypdf import PdfReader

from learning_credentials import conf
from learning_credentials.exceptions import GenerationFailed
from learning_credentials.models import CredentialAsset
from learning_credentials.rendering.builtin import render_pdf
from learning_credentials.services.asset_loading import asset_load
from learning_credentials.services.issuance import credential_issue
from tests import factories
from tests.rendering.conftest import DATA, DEJAVU_SERIF, gradient, png_header

pytestmark = pytest.mark.rendering
ROOT = Path(__file__).resolve().parents[2]
LOGO = {"logo": {"image": "logo", "x": 40, "y": 40, "width": 300}}
# Bytes a render may add to the process per pixel it draws: Pillow holds 4 a pixel decoded, the
# band-wise conversion and compression a little more; a second full-size copy would pass it.
RENDER_BYTES_PER_PIXEL = 8
# Decoding an image at the limit to scale it down (on upload, or a stored original as it is drawn):
# the original and the result, 4 a pixel each at most, the bands between them and a little slack.
# Resizing in one piece would pass it: an RGBA original's premultiplied copy alone is 4 a pixel more.
UPLOAD_BYTES_PER_PIXEL = 10


def drawn_images(content: bytes) -> list[tuple[int, int]]:
    """(width, height) of every image XObject the page draws, inside forms too."""
    sizes = []

    def walk(resources) -> None:
        for ref in resources.get("/XObject", {}).values():
            xobject = ref.get_object()
            if xobject["/Subtype"] == "/Image":
                sizes.append((int(xobject["/Width"]), int(xobject["/Height"])))
            else:
                walk(xobject.get("/Resources", {}))

    walk(PdfReader(io.BytesIO(content)).pages[0]["/Resources"])
    return sizes


def store_as_an_older_release_did(asset: CredentialAsset, data: bytes) -> None:
    """Replace the asset's stored file without validation, recording its hash and no pixel size or copy."""
    default_storage.delete(asset.file.name)
    default_storage.save(asset.file.name, ContentFile(data))
    CredentialAsset.objects.filter(pk=asset.pk).update(
        content_hash=hashlib.sha256(data).hexdigest(), width=None, height=None, page_copy=""
    )


@pytest.fixture
def small_page(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "IMAGE_PAGE_PIXELS": 200}


@pytest.mark.parametrize("fast", [True, False])
def test_an_original_larger_than_the_page_is_drawn_page_sized(render, assets, small_page, fast):
    assets.add("logo", gradient((1000, 500)), "image")
    assert drawn_images(render(images=LOGO, fast=fast).content) == [(200, 100)]


@pytest.mark.django_db
def test_the_pdf_draws_the_page_sized_copy_of_an_upload(small_page, tmp_path):
    factories.TemplateAssetFactory()
    CredentialAsset.objects.create(slug="logo", kind="image", file=ContentFile(gradient((1000, 500)), name="l.png"))
    options = {"template": "certificate-template", "images": LOGO}
    content = render_pdf(data=DATA, options=options, load_asset=asset_load).content
    assert drawn_images(content) == [(200, 100)]


@pytest.mark.parametrize(
    "data,reason",
    [
        (
            png_header(8000, 8000),
            "The image is 8000 x 8000 pixels (64 megapixels); images may have at most 25 megapixels.",
        ),
        (png_header(300, 200), "The image is damaged or incomplete."),
    ],
)
def test_an_image_that_cannot_be_drawn_is_a_generation_error_naming_it(render, assets, data, reason):
    assets.add("logo", data, "image")
    with pytest.raises(GenerationFailed) as error:
        render(images=LOGO)
    assert error.value.message == f"The image 'logo' cannot be used. {reason}"


@pytest.mark.django_db
class TestCredentialErrors:
    """What staff read on a credential whose asset was stored before it would have been refused."""

    @pytest.fixture
    def issue(self, course, learner, template_asset, django_capture_on_commit_callbacks):
        def issue(**options):
            credential_type = factories.CredentialTypeFactory(
                custom_options={"template": "certificate-template", "required_completion": 0, **options}
            )
            configuration = factories.ConfigurationFactory(credential_type=credential_type)
            with django_capture_on_commit_callbacks(execute=True):
                credential = credential_issue(user_id=learner.pk, configuration=configuration, source="manual")
            credential.refresh_from_db()
            return credential

        return issue

    def test_a_font_that_cannot_be_read(self, issue):
        font = CredentialAsset.objects.create(
            slug="demo-serif", kind="font", file=ContentFile(DEJAVU_SERIF.read_bytes(), name="serif.ttf")
        )
        store_as_an_older_release_did(font, DEJAVU_SERIF.read_bytes()[:-50000])
        credential = issue(font="demo-serif")
        assert credential.status == "error"
        assert credential.error_message == "The font 'demo-serif' cannot be read: it is damaged or not a TrueType font."

    @pytest.mark.parametrize("side", [8000, 20000])  # under and over Pillow's own guard
    def test_an_image_over_the_pixel_limit(self, issue, side):
        logo = CredentialAsset.objects.create(slug="logo", kind="image", file=ContentFile(gradient((20, 20)), "l.png"))
        store_as_an_older_release_did(logo, png_header(side, side))
        credential = issue(images=LOGO)
        assert credential.status == "error"
        assert credential.error_message.startswith("The image 'logo' cannot be used. The image ")
        assert credential.error_message.endswith("images may have at most 25 megapixels.")


# --- Peak memory ----------------------------------------------------------------------------------


def peak_growth(step: str, image: Path) -> int:
    """Bytes the process's peak resident size grew by over ``step`` on ``image``, in a fresh process."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "sandbox.settings"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.rendering.peak_memory", step, str(image)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    measured = json.loads(result.stdout.splitlines()[-1])
    assert (measured["max_pixels"], measured["page_pixels"]) == (
        conf.get("IMAGE_MAX_PIXELS"),
        conf.get("IMAGE_PAGE_PIXELS"),
    )
    return measured["peak_growth"]


@pytest.fixture(scope="module")
def largest_allowed(tmp_path_factory) -> Path:
    """A square RGBA PNG (the costliest to scale) of exactly IMAGE_MAX_PIXELS (5000 x 5000), under the byte limit."""
    side = math.isqrt(conf.DEFAULTS["IMAGE_MAX_PIXELS"])
    path = tmp_path_factory.mktemp("largest") / "largest.png"
    path.write_bytes(gradient((side, side), mode="RGBA"))
    assert path.stat().st_size <= conf.DEFAULTS["IMAGE_MAX_BYTES"]
    return path


@pytest.mark.django_db
def test_rendering_the_largest_allowed_image_is_bounded_by_the_page_size(largest_allowed, tmp_path):
    """A worker draws what asset_load serves: for the largest allowed upload, its page-sized copy."""
    CredentialAsset.objects.create(slug="huge", kind="image", file=ContentFile(largest_allowed.read_bytes(), "h.png"))
    served = tmp_path / "served.png"
    served.write_bytes(asset_load("huge").data)
    page = conf.get("IMAGE_PAGE_PIXELS")
    assert peak_growth("render", served) <= RENDER_BYTES_PER_PIXEL * page * page


def test_an_upload_and_a_stored_original_at_the_limit_are_bounded_by_it(largest_allowed):
    """Saving the asset decodes it once to make the copy; a stored original without one is scaled as it is drawn."""
    bound = UPLOAD_BYTES_PER_PIXEL * conf.get("IMAGE_MAX_PIXELS")
    assert peak_growth("upload", largest_allowed) <= bound
    assert peak_growth("render", largest_allowed) <= bound

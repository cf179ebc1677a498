import io
from dataclasses import replace

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from PIL import Image

from learning_credentials.models import CredentialEvent
from learning_credentials.rendering.share_image import ShareImageData, render_share_image
from learning_credentials.services import credential_invalidate
from tests import factories
from tests.rendering.conftest import LONG_NAME_WORDS, long_name

REVOKED_RED = (0xB3, 0x26, 0x1E)
SHARE_DATA = ShareImageData(
    learner_name="Zoë Ångström",
    type_name="Certificate",
    context_name="Course",
    issuer="DemoX",
    issue_date="23 November 2026",
    verify_url="https://lms.example.com/learning_credentials/verify/x/",
    verify_code="7KQ2M-XW4PD",
)


def red_pixels(image: Image.Image) -> int:
    raw = image.convert("RGB").tobytes()
    pixels = zip(raw[0::3], raw[1::3], raw[2::3], strict=True)
    return sum(1 for pixel in pixels if sum(abs(a - b) for a, b in zip(pixel, REVOKED_RED, strict=True)) < 40)


@pytest.fixture
def credential(configuration):
    user = factories.UserFactory(username="grace", profile__full_name="Grace Hopper")
    return factories.CredentialFactory(user=user, configuration=configuration, score="91.50")


def fetch(client, credential, extension="png"):
    return client.get(f"/learning_credentials/verify/{credential.verify_uuid}/image.{extension}")


@pytest.mark.django_db
class TestShareImageView:
    def test_png_of_a_valid_credential_is_cached(self, client, credential):
        response = fetch(client, credential)
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        image = Image.open(io.BytesIO(response.content))
        assert image.size == (1200, 627) and image.format == "PNG"
        assert red_pixels(image) == 0
        cached = f"learning_credentials/credentials/{credential.pk}/share-valid-public-1200x627.png"
        assert default_storage.exists(cached)
        assert fetch(client, credential).content == response.content

    def test_jpeg_and_configured_size(self, client, credential, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "SHARE_IMAGE_SIZE": (600, 314)}
        response = fetch(client, credential, "jpg")
        image = Image.open(io.BytesIO(response.content))
        assert response["Content-Type"] == "image/jpeg" and image.format == "JPEG" and image.size == (600, 314)

    def test_revoked_credential_gets_a_new_labelled_picture(self, client, credential):
        valid = Image.open(io.BytesIO(fetch(client, credential).content))
        credential_invalidate(credential=credential, category="refunded", source=CredentialEvent.Source.ADMIN)
        revoked = Image.open(io.BytesIO(fetch(client, credential).content))
        assert red_pixels(valid) == 0
        assert red_pixels(revoked) > 2000

    @pytest.mark.parametrize("status", ["generating", "error"])
    def test_unfinished_credentials_have_no_image(self, client, configuration, status):
        assert fetch(client, factories.CredentialFactory(configuration=configuration, status=status)).status_code == 404

    @pytest.mark.parametrize(
        "path", ["not-a-uuid/image.png", "12345678-1234-1234-1234-1234567890ab/image.png", "%00/image.jpg"]
    )
    def test_unknown_and_malformed_are_404(self, client, db, path):
        assert client.get(f"/learning_credentials/verify/{path}").status_code == 404

    def test_bad_share_image_options_are_refused(self, template_asset):
        with pytest.raises(ValidationError, match="share_image"):
            factories.CredentialTypeFactory(
                custom_options={"template": "certificate-template", "share_image": {"colour": "red"}}
            )


@pytest.mark.rendering
@pytest.mark.parametrize(
    "name", ["Zoë Ångström", "Γιώργος Παπαδόπουλος", "Пётр Чайковский", "山田 太郎", "محمد عبد الله", "דוד כהן"]
)
def test_every_script_gets_a_font_that_has_all_its_glyphs(name):
    from learning_credentials.rendering.share_image import _coverage, _font_chain, _font_for

    font = _font_for(name, _font_chain({}, load_asset=lambda slug: b""), 40)
    assert {ord(ch) for ch in name if not ch.isspace()} <= _coverage(font.path), font.path
    content, content_type = render_share_image(
        data=replace(SHARE_DATA, learner_name=name),
        options={},
        load_asset=lambda slug: b"",
        size=(1200, 627),
        image_format="png",
    )
    assert content_type == "image/png"
    assert Image.open(io.BytesIO(content)).size == (1200, 627)


@pytest.mark.rendering
@pytest.mark.parametrize("status", ["valid", "revoked"])
@pytest.mark.parametrize("length", [20, 95, 255])
@pytest.mark.parametrize("script", LONG_NAME_WORDS)
def test_a_long_name_fits_its_area_of_the_share_image(script, length, status):
    """Measured by Pillow: the name's lines stay inside the image's margins and off every other text."""
    from PIL import ImageDraw

    from learning_credentials.rendering.share_image import _font_chain, share_image_texts

    name = long_name(script, length)
    data = replace(SHARE_DATA, learner_name=name, score="91.5%", public_status=status)
    size = (1200, 627)
    draw = ImageDraw.Draw(Image.new("RGB", size))
    texts = share_image_texts(
        draw, data=data, chain=_font_chain({}, load_asset=lambda slug: b""), size=size, color="#000", accent="#00f"
    )
    boxes = {id(text): draw.textbbox(text.xy, text.text, font=text.font) for text in texts}
    lines = [text for text in texts if text.role == "name"]
    others = [text for text in texts if text.role != "name"]
    assert "".join(line.text for line in lines).replace(" ", "") == name.replace(" ", "")
    assert len({line.font.size for line in lines}) == 1
    if length == 255:
        assert len(lines) > 1
    if length == 20 and status == "valid":
        assert len(lines) == 1
    margin = size[0] // 14
    right = min([size[0] - margin] + [boxes[id(text)][0] for text in others if text.role == "stamp"])
    for line in lines:
        left, top, end, bottom = boxes[id(line)]
        assert margin - 8 <= left and end <= right and top >= 0 and bottom <= size[1], (line.text, boxes[id(line)])
        for other in others:
            o = boxes[id(other)]
            assert not (left < o[2] and o[0] < end and top < o[3] and o[1] < bottom), (line.text, other.role)
    for text in others:  # and nothing else was pushed out of the picture
        assert boxes[id(text)][1] >= 0 and boxes[id(text)][3] <= size[1], text.role


@pytest.mark.rendering
@pytest.mark.parametrize("script", LONG_NAME_WORDS)
def test_a_255_character_name_leaves_the_right_margin_of_the_share_image_blank(script):
    """In the drawn picture: no ink right of the text column, where an unwrapped name would run off the image."""
    content, _ = render_share_image(
        data=replace(SHARE_DATA, learner_name=long_name(script, 255)),
        options={},
        load_asset=lambda slug: b"",
        size=(1200, 627),
        image_format="png",
    )
    image = Image.open(io.BytesIO(content)).convert("RGB")
    margin = 1200 // 14
    strip = image.crop((1200 - margin + 2, 15, 1200, 627))  # below the accent bar
    assert strip.getcolors() == [(strip.width * strip.height, (0xF7, 0xF5, 0xEF))]

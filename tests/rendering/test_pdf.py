"""The PDF itself: QR code, images, template pages, the template cache, both paths, bad input."""

import io
from dataclasses import replace

import pytest
from PIL import ImageChops
from pypdf import PdfReader, PdfWriter

from learning_credentials.exceptions import GenerationFailed
from learning_credentials.rendering.builtin import generate_pdf_credential
from tests.factories import template_pdf
from tests.rendering.conftest import (
    DATA,
    decode_qr,
    drawn_runs,
    image_bytes,
    page_text,
    qpdf_check,
    rasterise,
    rotated_template,
    run_of,
)

pytestmark = pytest.mark.rendering

DPI = 150
SCALE = DPI / 72


def crop(image, x, y, size, page_height=612):
    """The square at (x, y) points (PDF: from the bottom) in a raster of the page."""
    return image.crop(
        (int(x * SCALE), int((page_height - y - size) * SCALE), int((x + size) * SCALE), int((page_height - y) * SCALE))
    )


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_the_qr_code_encodes_the_short_link_and_the_page_still_prints_the_full_url(render, tmp_path, fast):
    short = "https://lms.example.com/learning_credentials/v/7K3M9XQ2PA"
    rendered = render(replace(DATA, qr_url=short), qr={"x": 60, "y": 300, "size": 90}, fast=fast)
    page = rasterise(rendered.content, tmp_path, dpi=DPI)
    assert decode_qr(crop(page, 60, 300, 90), tmp_path) == [short]
    assert f"Verify at {DATA.verify_url}" in page_text(rendered.content)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_qr_code_decodes_from_the_rasterised_page_where_the_options_put_it(render, tmp_path, fast):
    rendered = render(qr={"x": 60, "y": 300, "size": 90, "color": "#1a237e"}, fast=fast)
    page = rasterise(rendered.content, tmp_path, dpi=DPI)
    assert decode_qr(crop(page, 60, 300, 90), tmp_path) == [DATA.verify_url]
    assert decode_qr(crop(page, 400, 300, 90), tmp_path) == []
    assert (26, 35, 126) in {color for _, color in crop(page, 60, 300, 90).getcolors(1 << 16)}


def test_qr_code_background_is_a_colour_or_none(render, tmp_path):
    """Over the template's blue border: a background hides it behind the code, null lets it show."""

    def colours(background) -> set:
        rendered = render(qr={"x": 10, "y": 200, "size": 72, "background": background})
        area = crop(rasterise(rendered.content, tmp_path, dpi=DPI), 10, 200, 72)
        return {color for _, color in area.getcolors(1 << 16)}

    def shows_border(found: set) -> bool:
        return any(abs(r - 26) + abs(g - 77) + abs(b - 153) < 6 for r, g, b in found)

    assert (255, 255, 0) in colours("#ffff00") and not shows_border(colours("#ffff00"))
    assert shows_border(colours(None))


def test_qr_code_documented_placement_and_off_by_default(render, tmp_path):
    page = rasterise(render(qr=True).content, tmp_path, dpi=DPI)
    assert decode_qr(crop(page, 792 - 36 - 72, 36, 72), tmp_path) == [DATA.verify_url]
    assert decode_qr(rasterise(render().content, tmp_path, dpi=DPI), tmp_path) == []


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_images_are_placed_and_scaled_keeping_their_aspect_ratio(render, tmp_path, fast):
    images = {
        # logo: 200x100 px red PNG with alpha, given a width: 120 x 60 pt.
        "logo": {"image": "logo", "x": 40, "y": 450, "width": 120},
        # photo: 100x100 px blue JPEG in a 200 x 50 box: 50 x 50 pt.
        "photo": {"image": "photo", "x": 500, "y": 450, "width": 200, "height": 50},
    }
    page = rasterise(render(images=images, fast=fast).content, tmp_path, dpi=DPI)
    red, blue, white = (200, 30, 30), (30, 30, 200), (255, 255, 255)

    def at(x, y):
        return page.getpixel((int(x * SCALE), int((612 - y) * SCALE)))

    assert at(45, 455) == red and at(155, 505) == red
    assert at(165, 455) == white and at(45, 515) == white
    assert max(abs(a - b) for a, b in zip(at(525, 475), blue, strict=True)) < 8  # JPEG
    assert at(555, 475) == white and at(525, 505) == white


def test_template_page_selection_keeps_that_page_and_its_size(render):
    first = render(template="rich")
    second = render(template="rich", template_page=2)
    assert "FIRST PAGE" in page_text(first.content) and "SECOND PAGE" not in page_text(first.content)
    assert "SECOND PAGE" in page_text(second.content)
    reader = PdfReader(io.BytesIO(second.content))
    assert len(reader.pages) == 1
    assert [round(float(v)) for v in reader.pages[0].mediabox] == [0, 0, 595, 842]
    name = run_of(second.content, DATA.learner_name)
    assert name.y == pytest.approx(0.55 * float(reader.pages[0].mediabox.height), abs=0.01)


def test_a_template_page_that_does_not_exist_is_a_generation_error(render):
    with pytest.raises(GenerationFailed, match=r"'rich' has 2 page\(s\); template_page 3 does not exist"):
        render(template="rich", template_page=3)


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_template_content_is_kept_intact(render, assets, tmp_path, fast):
    """With nothing drawn over it, the credential looks exactly like the template page."""
    hidden = {e: False for e in ("name", "context_name", "issue_date", "score", "verify_url", "verify_code")}
    rendered = render(template="rich", elements=hidden, fast=fast)
    template_only = PdfWriter(clone_from=io.BytesIO(assets("rich").data))
    template_only.remove_page(1)
    out = io.BytesIO()
    template_only.write(out)
    expected = rasterise(out.getvalue(), tmp_path, dpi=72, name="template")
    assert ImageChops.difference(rasterise(rendered.content, tmp_path, dpi=72), expected).getbbox() is None


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_a_rotated_template_is_laid_out_as_it_is_seen(render, assets, tmp_path, fast):
    assets.add("rotated", rotated_template(90), "pdf_template")
    rendered = render(template="rotated", qr={"x": 30, "y": 30, "size": 100}, fast=fast)
    page = rasterise(rendered.content, tmp_path, dpi=DPI)
    assert page.size == (int(792 * SCALE), int(612 * SCALE))  # shown landscape
    assert decode_qr(crop(page, 30, 30, 100), tmp_path) == [DATA.verify_url]
    assert DATA.learner_name in page_text(rendered.content)


class TestTemplateCache:
    def test_an_unchanged_template_is_not_read_or_parsed_again(self, render, assets):
        render(template="rich")
        render(replace(DATA, learner_name="Someone Else"), template="rich")
        render(template="rich", template_page=2)
        assert assets.reads["rich"] == 1

    def test_a_changed_template_is_picked_up(self, render, assets):
        assert "CERTIFICATE" in page_text(render().content)
        assets.add("tpl", template_pdf("DIPLOMA"), "pdf_template")
        rendered = render()
        assert "DIPLOMA" in page_text(rendered.content) and "CERTIFICATE" not in page_text(rendered.content)
        assert rendered.template_version == assets("tpl").content_hash


OPTION_SETS = {
    "defaults": {},
    "everything": {
        "font": "dejavu",
        "elements": {"name": {"letter_spacing": 1.5, "color": "#884400", "uppercase": True}},
        "images": {"logo": {"image": "logo", "x": 40, "y": 450, "width": 120}},
        "qr": {"x": 650, "y": 60, "size": 100},
    },
    "fallback": {"elements": {"motto": {"text": "Ελευθερία {verify_code}", "y": 500, "font": "Times-Roman"}}},
}


@pytest.mark.parametrize("options", OPTION_SETS.values(), ids=OPTION_SETS)
def test_fast_and_general_paths_draw_the_same_credential(render, tmp_path, options):
    fast, general = render(fast=True, **options), render(fast=False, **options)
    assert (fast.fast, general.fast) == (True, False)
    assert " ".join(page_text(fast.content)).split() == " ".join(page_text(general.content)).split()
    assert [(r.text, r.size, round(r.x, 2), round(r.y, 2)) for r in drawn_runs(fast.content)] == [
        (r.text, r.size, round(r.x, 2), round(r.y, 2)) for r in drawn_runs(general.content)
    ]
    assert len(PdfReader(io.BytesIO(fast.content)).pages) == len(PdfReader(io.BytesIO(general.content)).pages) == 1
    difference = ImageChops.difference(
        rasterise(fast.content, tmp_path, dpi=72, name="fast"), rasterise(general.content, tmp_path, dpi=72)
    ).convert("L")
    assert sum(difference.histogram()[65:]) < 20  # pixels that differ visibly


def test_generate_pdf_credential_returns_the_artifact_and_the_template_version(assets, tmp_path):
    artifact = generate_pdf_credential(data=DATA, options={"template": "tpl"}, load_asset=assets)
    qpdf_check(artifact.content, tmp_path)
    assert (artifact.content_type, artifact.extension) == ("application/pdf", "pdf")
    assert artifact.template_version == assets("tpl").content_hash


def test_a_loader_may_still_return_bytes(tmp_path):
    artifact = generate_pdf_credential(data=DATA, options={"template": "tpl"}, load_asset=lambda slug: template_pdf())
    qpdf_check(artifact.content, tmp_path)
    assert DATA.learner_name in page_text(artifact.content)
    assert len(artifact.template_version) == 64


def encrypted_template() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(template_pdf()))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    "slug,data,kind,options,message",
    [
        ("bad", b"GIF89a not a pdf", "pdf_template", {"template": "bad"}, "'bad' cannot be used: it is not a PDF"),
        ("bad", b"%PDF-1.4 junk", "pdf_template", {"template": "bad"}, "'bad' cannot be used: "),
        ("bad", template_pdf()[:400], "pdf_template", {"template": "bad"}, "'bad' cannot be used: "),
        ("bad", encrypted_template(), "pdf_template", {"template": "bad"}, "'bad' cannot be used: it is encrypted"),
        ("cff", b"OTTO\x00\x0a" + bytes(200), "font", {"font": "cff"}, "'cff' is a CFF .* only TrueType-outline"),
        (
            "junk",
            b"\x00\x01\x00\x00junk",
            "font",
            {"font": "junk"},
            "The font 'junk' cannot be read: it is damaged or not a TrueType font",
        ),
        (
            "logo",
            b"not an image",
            "image",
            {"images": {"l": {"image": "logo", "x": 1, "y": 1, "width": 9}}},
            "The image 'logo' cannot be used. The file is not an image we can read",
        ),
        ("pic", image_bytes((1, 2, 3)), "image", {"font": "pic"}, "'pic' is of kind 'image', not a font"),
    ],
)
def test_bad_assets_are_readable_generation_errors(render, assets, slug, data, kind, options, message):
    assets.add(slug, data, kind)
    with pytest.raises(GenerationFailed, match=message):
        render(**options)


@pytest.mark.parametrize(
    "options,message",
    [
        ({"template": "missing"}, "The template 'missing' cannot be loaded: There is no credential asset"),
        ({"font": "missing"}, "The font 'missing' cannot be loaded"),
        ({"elements": {"name": {"font": "missing"}}}, "The font 'missing' cannot be loaded"),
        ({"fallback_font": "missing"}, "The fallback font 'missing' cannot be loaded"),
        ({"images": {"sig": {"image": "missing", "x": 1, "y": 1, "width": 9}}}, "The image 'missing' cannot be loaded"),
    ],
)
def test_missing_assets_are_readable_generation_errors(render, options, message):
    with pytest.raises(GenerationFailed, match=message):
        render(**options)

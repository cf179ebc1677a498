"""The built-in PDF generation function, called directly: pure, no database."""

import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from learning_credentials.exceptions import GenerationFailed
from learning_credentials.registry import resolve_options
from learning_credentials.rendering import CredentialData, check_placeholders
from learning_credentials.rendering.builtin import generate_pdf_credential
from tests.factories import template_pdf

pytestmark = pytest.mark.rendering

DATA = CredentialData(
    learner_name="Zoë Ångström",
    context_name="Introduction to Computing",
    context_key="course-v1:DemoX+CS101+2026",
    type_name="Certificate of Completion",
    issue_date=date(2026, 11, 23),
    verify_url="https://lms.example.com/learning_credentials/verify/5f0c/",
    verify_uuid="5f0c",
    verify_code="7KQ2M-XW4PD",
    score=Decimal("92.50"),
)


def render(data=DATA, **options):
    options = resolve_options(generate_pdf_credential, {"template": "tpl", **options})
    artifact = generate_pdf_credential(data=data, options=options, load_asset=lambda slug: template_pdf())
    reader = PdfReader(io.BytesIO(artifact.content))
    return artifact, reader, reader.pages[0].extract_text()


def test_standard_elements_are_printed_over_the_template():
    artifact, reader, text = render()
    assert artifact.content_type == "application/pdf" and artifact.extension == "pdf"
    assert len(reader.pages) == 1
    for expected in ("Zoë Ångström", "Introduction to Computing", "23 November 2026", DATA.verify_url, "CERTIFICATE"):
        assert expected in text
    template = PdfReader(io.BytesIO(template_pdf())).pages[0]
    assert reader.pages[0].mediabox == template.mediabox


def test_elements_can_be_hidden_moved_and_added():
    _, _, text = render(
        elements={
            "issue_date": False,
            "code": {
                "text": "Code {verify_code} - score {score} - {{literal}}",
                "y": 40,
                "x": 30,
                "align": "left",
                "size": 8,
            },
        }
    )
    assert "23 November 2026" not in text
    assert "Code 7KQ2M-XW4PD - score 92.5% - {literal}" in text


def test_score_placeholder_is_empty_without_a_score():
    from dataclasses import replace

    _, _, text = render(replace(DATA, score=None), elements={"s": {"text": "Score:{score}."}})
    assert "Score:." in text


def test_unusable_template_is_a_generation_error():
    with pytest.raises(GenerationFailed, match="template 'tpl' cannot be used"):
        generate_pdf_credential(
            data=DATA,
            options=resolve_options(generate_pdf_credential, {"template": "tpl"}),
            load_asset=lambda slug: b"%PDF-1.4 junk",
        )


@pytest.mark.parametrize(
    "text,message",
    [("{unknown}", "unknown placeholder {unknown}"), ("{name", "malformed text"), ("}", "malformed text")],
)
def test_placeholder_errors(text, message):
    with pytest.raises(ValueError, match=message):
        check_placeholders(text)


def test_known_placeholders_and_escapes_pass():
    check_placeholders("{name} earned {type_name} on {issue_date}; {{not a placeholder}}")


def test_truetype_font_asset_prints_names_beyond_latin1():
    from pathlib import Path

    import reportlab

    vera = (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf").read_bytes()
    options = resolve_options(generate_pdf_credential, {"template": "tpl", "font_asset": "vera"})
    assets = {"tpl": template_pdf(), "vera": vera}
    artifact = generate_pdf_credential(data=DATA, options=options, load_asset=assets.__getitem__)
    reader = PdfReader(io.BytesIO(artifact.content))
    fonts = {str(f.get_object()["/BaseFont"]) for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("Vera" in font for font in fonts)
    assert "Zoë Ångström" in reader.pages[0].extract_text()


def test_generated_pdf_passes_qpdf_check(tmp_path):
    import shutil
    import subprocess

    assert shutil.which("qpdf"), "qpdf is missing: run `make sysdeps`"
    artifact, _, _ = render()
    path = tmp_path / "credential.pdf"
    path.write_bytes(artifact.content)
    result = subprocess.run(["qpdf", "--check", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr

"""Both PDF paths embed the files they are handed (the signed credential) and say in their metadata how to verify.

Every file is read back by three parsers: pypdf, qpdf (--check) and poppler (pdfdetach, pdfinfo).
"""

import dataclasses
import hashlib
import io
import subprocess

import pytest
from pypdf import PdfReader

from learning_credentials.rendering import Attachment
from learning_credentials.rendering.builtin import generate_pdf_credential, render_pdf
from learning_credentials.rendering.embedding import pdf_name, pdf_text
from tests.rendering.conftest import DATA, page_text

TOKEN = b"eyJhbGciOiJFUzI1NiJ9." + b"A" * 1500 + b".sig"
JWT = Attachment(name="credential.jwt", content=TOKEN, mime_type="application/jwt", description="The signed credential")
OTHER = Attachment(name="é (1).txt", content=b"hello", mime_type="text/plain")


def reader(content: bytes) -> PdfReader:
    return PdfReader(io.BytesIO(content))


def poppler(tool: str, content: bytes, tmp_path, *args: str) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(content)
    return subprocess.run([tool, *args, str(path)], capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_the_attachment_is_embedded_as_an_associated_file_and_extracted_as_it_was_given(render, fast, tmp_path):
    rendered = render(dataclasses.replace(DATA, attachments=(JWT,)), fast=fast)
    assert rendered.fast is fast
    pdf = reader(rendered.content)
    assert pdf.attachments == {"credential.jwt": [TOKEN]}
    catalog = pdf.trailer["/Root"]
    (spec,) = catalog["/AF"]
    spec = spec.get_object()
    assert spec["/AFRelationship"] == "/Data" and spec["/UF"] == "credential.jwt"
    assert spec["/Desc"] == "The signed credential"
    assert spec["/EF"]["/F"].get_object()["/Subtype"] == "/application/jwt"
    assert "credential.jwt" in poppler("pdfdetach", rendered.content, tmp_path, "-list")
    out = tmp_path / "out.jwt"
    poppler("pdfdetach", rendered.content, tmp_path, "-save", "1", "-o", str(out))
    assert out.read_bytes() == TOKEN
    assert "Zoë Ångström" in "\n".join(page_text(rendered.content))  # the page is still drawn


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "general"])
def test_the_metadata_names_the_credential_and_how_to_verify_it(render, fast, tmp_path):
    rendered = render(DATA, fast=fast)
    info = reader(rendered.content).metadata
    assert info["/Title"] == "Certificate of Completion: Introduction to Computing"
    assert DATA.verify_url in info["/Subject"] and DATA.verify_code in info["/Subject"]
    assert "Zoë Ångström" in info["/Subject"]
    assert info["/Keywords"] == f"{DATA.verify_code}, {DATA.verify_url}"
    assert info["/VerificationURL"] == DATA.verify_url and info["/VerificationCode"] == DATA.verify_code
    assert info["/Producer"] == "learning-credentials"
    shown = poppler("pdfinfo", rendered.content, tmp_path)
    assert "Title:           Certificate of Completion: Introduction to Computing" in shown
    assert f"Keywords:        {DATA.verify_code}, {DATA.verify_url}" in shown
    assert reader(rendered.content).attachments == {}


def test_several_files_with_names_outside_ascii_are_listed_in_name_order(render, tmp_path):
    rendered = render(dataclasses.replace(DATA, attachments=(OTHER, JWT)))
    assert rendered.fast
    attachments = reader(rendered.content).attachments
    assert list(attachments) == ["credential.jwt", "é (1).txt"]
    assert attachments["é (1).txt"] == [b"hello"]


def test_the_fast_path_gives_the_file_s_sha256_from_its_prepared_part_s_hash(assets):
    for data in (DATA, dataclasses.replace(DATA, learner_name="Grace Hopper", attachments=(JWT,))):
        artifact = generate_pdf_credential(data=data, options={"template": "tpl"}, load_asset=assets)
        assert artifact.sha256 == hashlib.sha256(artifact.content).hexdigest()
    general = render_pdf(data=DATA, options={"template": "tpl"}, load_asset=assets, allow_fast=False)
    assert general.sha256 == ""  # the caller hashes what the general path made


def test_each_credential_s_file_differs_and_the_skeleton_is_shared(render):
    first = render(dataclasses.replace(DATA, attachments=(JWT,))).content
    other = dataclasses.replace(JWT, content=TOKEN.replace(b"A", b"B"))
    second = render(dataclasses.replace(DATA, attachments=(other,))).content
    assert reader(first).attachments["credential.jwt"] == [TOKEN]
    assert reader(second).attachments["credential.jwt"] == [other.content]
    common = len(first) - len(TOKEN) - 1000
    assert first[:common] == second[:common]  # the prepared part is the same bytes; the update differs


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("plain (text) \\ here", b"(plain \\(text\\) \\\\ here)"),
        ("Zoë", b"<FEFF005A006F00EB>"),
        ("tab\there", b"<FEFF00740061006200090068006500720065>"),
    ],
)
def test_text_strings_are_escaped_or_written_as_utf16(text, written):
    assert pdf_text(text) == written


def test_names_escape_delimiters_and_non_ascii():
    assert pdf_name("application/jwt") == b"/application#2Fjwt"
    assert pdf_name("a b#é") == b"/a#20b#23#C3#A9"

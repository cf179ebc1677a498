"""The sandbox demo, run as `make demo` runs it: every PDF it makes is sound and says who and where to verify."""

import shutil
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf import PdfReader

from learning_credentials.models import Credential, CredentialRun
from learning_credentials.selectors import verify_short_url, verify_url


@pytest.mark.django_db(transaction=True)  # commits as `make demo` does, so on-commit work runs in order
def test_demo_issues_sound_pdfs(capsys, tmp_path):
    call_command("demo")
    out = capsys.readouterr().out
    credentials = list(Credential.objects.select_related("configuration"))
    assert len(credentials) >= 20
    assert {c.type_name for c in credentials} == {
        "Certificate of Completion",
        "Certificate of Achievement",
        "Professional Certificate",  # cert09's, issued by a passed final exam
    }
    assert all(c.status == "available" for c in credentials)
    assert not CredentialRun.objects.exclude(error="").exists()
    assert shutil.which("qpdf"), "qpdf is missing: run `make sysdeps`"
    for credential in credentials:
        path = default_storage.path(credential.artifact)
        check = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout
        text = "".join(PdfReader(path).pages[0].extract_text().split())
        assert "".join(credential.learner_name.split()) in text
        assert verify_url(credential) in text
        assert verify_url(credential) in out
        assert credential.template_version
    sample = default_storage.path(credentials[0].artifact)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", sample, str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert decoded.stdout.strip() == verify_short_url(credentials[0])  # the QR code reads back as the short link
    achievement = next(c for c in credentials if c.type_name == "Certificate of Achievement")
    assert achievement.score is not None
    call_command("demo")  # running it again issues nothing more
    assert Credential.objects.count() == len(credentials)

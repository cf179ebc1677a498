"""In Chromium and in the mail: a Spanish learner's credential, from the email to the PDF and their pages (issue #23).

The expected words come from the shipped Spanish catalogue (``translation.override("es")``), and each is
checked to differ from the English, so the test fails if the catalogue lacks them.
"""

import re
import subprocess

import pytest
from django.core import mail
from django.utils import formats, translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from learning_credentials.lifecycle import Status
from learning_credentials.selectors import verify_url
from learning_credentials.services import credential_issue
from learning_credentials.services.artifacts import artifact_storage
from tests.browser.test_certification_pages import assert_accessible

pytestmark = pytest.mark.browser


def spanish(english: str) -> str:
    with translation.override("es"):
        words = gettext(english)
    assert words != english, f"no Spanish for {english!r} in the catalogue"
    return words


@pytest.fixture
def spanish_credential(configuration, learner_with_password):
    """Ada reads Spanish (her profile's language); her credential is issued and generated in it."""
    learner_with_password.profile.language = "es"
    learner_with_password.profile.save(update_fields=["language"])
    mail.outbox.clear()
    credential = credential_issue(user_id=learner_with_password.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE, credential.status
    return credential


def test_the_email_is_in_spanish(spanish_credential):
    [email] = mail.outbox
    assert email.extra_headers["Content-Language"] == "es"
    with translation.override("es"):
        subject = gettext("Your %(type_name)s for %(context_name)s is ready") % {
            "type_name": spanish_credential.type_name,
            "context_name": spanish_credential.context_name,
        }
    assert email.subject == subject and not subject.startswith("Your ")
    assert verify_url(spanish_credential) in email.body


def test_the_pdf_is_in_spanish(spanish_credential, tmp_path):
    assert spanish_credential.language == "es"
    pdf = tmp_path / "credential.pdf"
    with artifact_storage().open(spanish_credential.artifact, "rb") as file:
        pdf.write_bytes(file.read())
    text = " ".join(
        subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode().split()
    )
    code_label = spanish("Verification code: {verify_code}").split("{")[0].strip()
    assert code_label in text, text
    with translation.override("es"):
        issued_on = formats.date_format(spanish_credential.created, "DATE_FORMAT")
    assert re.search(r"\d+ de \w+ de \d{4}", issued_on) and issued_on in text, (issued_on, text)


def test_the_learner_pages_and_the_verification_page_are_in_spanish(browser, spanish_credential):
    detail = f"/learning_credentials/credentials/{spanish_credential.uuid}/"
    public = verify_url(spanish_credential)  # the ORM before the browser starts (see conftest)
    my_credentials = spanish("My credentials")
    page = browser.sign_in(browser.new_page(), "ada", next_url="/learning_credentials/credentials/")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.locator("html")).to_have_attribute("dir", "ltr")
    expect(page.locator("h1")).to_have_text(my_credentials)
    expect(page.get_by_role("navigation", name=spanish("Learner pages"))).to_contain_text(my_credentials)
    assert_accessible(page)
    browser.screenshot(page, "credentials-es")
    page.goto(detail)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("button", name=spanish("Copy link"))).to_be_visible()
    assert_accessible(page)
    browser.screenshot(page, "credential-es")
    reader = browser.new_page(locale="es")  # an employer whose browser asks for Spanish
    response = reader.goto(public)
    assert response.headers["content-language"] == "es"
    expect(reader.locator("html")).to_have_attribute("lang", "es")
    expect(reader.get_by_role("link", name=spanish("Open the credential (PDF)"))).to_be_visible()
    assert_accessible(reader)
    browser.screenshot(reader, "verify-es")

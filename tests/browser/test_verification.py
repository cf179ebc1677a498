"""Employers' and the platform's side in a real browser: code lookup, checking a file, and a refund that revokes."""

import hashlib
import hmac
import io
import json
import re
import time

import pytest
from django.core.files.storage import storages
from playwright.sync_api import expect
from pypdf import PdfReader, PdfWriter

from learning_credentials import conf
from learning_credentials.identifiers import format_code
from learning_credentials.selectors import verify_url
from learning_credentials.services.suspension import credential_suspend
from tests.browser.test_certification_pages import assert_accessible
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

SECRET = "s" * 40


def test_employer_finds_a_credential_by_its_code(browser, available_credential):
    page = browser.new_page()
    page.goto("/learning_credentials/verify/")
    typed = format_code(available_credential.verification_code).lower().replace("-", " ")
    page.get_by_label(re.compile("code", re.IGNORECASE)).fill(typed)
    page.get_by_role("button", name=re.compile("^(verify|look up)$", re.IGNORECASE)).click()
    page.wait_for_url(f"**/learning_credentials/verify/{available_credential.verify_uuid}/?via=code")
    expect(page.locator("main")).to_contain_text("Ada Lovelace")
    browser.screenshot(page, "code-lookup")


def test_full_refund_webhook_makes_the_page_say_revoked(browser, available_credential, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": SECRET}
    body = json.dumps(
        {
            "event_id": "evt-1",
            "order_reference": "",
            "username": "ada",
            "context_key": str(available_credential.configuration.learning_context_key),
            "amount": "49.00",
            "amount_refunded": "49.00",
            "currency": "EUR",
        }
    ).encode()
    timestamp = str(int(time.time()))
    signature = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    url = verify_url(available_credential)  # before the browser's event loop runs: it may read the database
    page = browser.new_page()
    response = page.request.post(
        "/api/learning_credentials/v1/webhooks/refund/",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Learning-Credentials-Timestamp": timestamp,
            "X-Learning-Credentials-Signature": f"sha256={signature}",
        },
    )
    assert response.status == 200 and response.json()["status"] == "revoked"
    page.goto(url)
    expect(page.locator("main")).to_contain_text(re.compile(r"revoked on .+\. Reason: Refunded\."))
    browser.screenshot(page, "revoked")


def test_a_retired_learners_credential_says_so_without_a_name(browser, available_credential):
    from learning_credentials.services.retirement import learner_retire

    # Before the browser starts, the ORM in this thread: the retirement, and the site the link is on.
    learner_retire(user_id=available_credential.user_id)
    url = verify_url(available_credential)
    page = browser.new_page()
    page.goto(url)
    main = page.locator("main")
    expect(main).to_contain_text("Reason: No longer available at the holder's request")
    expect(main).to_contain_text("name withdrawn at the holder's request")
    expect(main).not_to_contain_text("Ada Lovelace")
    assert "Ada Lovelace" not in page.title()
    browser.screenshot(page, "retired")


def test_a_suspended_credential_says_since_when_and_not_why(browser, available_credential):
    credential_suspend(credential=available_credential, reason="inquiry into the exam", source="admin")
    url = verify_url(available_credential)  # before the browser's event loop runs: it may read the database
    page = browser.new_page()
    page.goto(url)
    status = page.locator("[data-status]")
    expect(status).to_have_text(
        re.compile(r"This credential has been suspended since .+: its issuer is reviewing it\.")
    )
    expect(page.locator("main")).not_to_contain_text("inquiry")
    expect(page.get_by_role("img", name=re.compile("Certificate"))).to_be_visible()
    browser.screenshot(page, "suspended")
    assert_accessible(page)


@pytest.mark.usefixtures("kek")  # a site that signs: its PDFs carry their credential
def test_employer_drops_a_genuine_then_a_modified_pdf_on_the_page(browser, available_credential):
    """The PDF the learner was given, then the same PDF saved again by an editor with its title changed."""
    with storages[conf.get("STORAGE")].open(available_credential.artifact) as file:
        genuine = file.read()
    edited = PdfWriter(clone_from=PdfReader(io.BytesIO(genuine)))
    edited.add_metadata({"/Title": "Certificate of Excellence"})
    out = io.BytesIO()
    edited.write(out)
    modified = out.getvalue()

    page = browser.new_page()
    page.goto("/learning_credentials/verify/")
    expect(page.get_by_role("heading", name="Check a file")).to_be_visible()
    browser.screenshot(page, "lookup-with-check-a-file")
    page.get_by_label(re.compile("credential PDF", re.IGNORECASE)).set_input_files(
        {"name": "ada-lovelace.pdf", "mimeType": "application/pdf", "buffer": genuine}
    )
    page.get_by_role("button", name="Check the file").click()
    verdict = page.locator("#verdict")
    expect(verdict).to_have_text("This is a genuine credential; it is valid.")
    expect(page.locator('#facts [data-fact="holder"]')).to_have_text("Ada Lovelace")
    expect(page.get_by_role("row", name=re.compile("The file is the one issued"))).to_contain_text("Passed")
    expect(page.get_by_role("link", name="See this credential's verification page")).to_be_visible()
    assert_accessible(page)
    browser.screenshot(page, "check-file-genuine")

    page.get_by_label(re.compile("credential PDF", re.IGNORECASE)).set_input_files(
        {"name": "ada-lovelace.pdf", "mimeType": "application/pdf", "buffer": modified}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(verdict).to_contain_text("This file was changed after it was issued")
    expect(page.get_by_role("row", name=re.compile("The file is the one issued"))).to_contain_text("Failed")
    expect(page.get_by_role("row", name=re.compile("Signature"))).to_contain_text("Passed")
    assert_accessible(page)
    browser.screenshot(page, "check-file-modified")

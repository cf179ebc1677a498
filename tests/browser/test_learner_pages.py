"""In Chromium: an employer verifies a public credential; the learner makes it private and copies its link."""

import re
from urllib.parse import quote

import pytest
from playwright.sync_api import expect

from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.selectors import verify_short_url, verify_url

pytestmark = pytest.mark.browser


def test_employer_opens_the_qr_url_of_a_public_credential(browser, available_credential):
    qr_url = verify_short_url(available_credential)  # what the PDF's QR code encodes
    page = browser.new_page()
    response = page.goto(qr_url)
    assert response.status == 200 and page.url.endswith(
        f"/learning_credentials/verify/{available_credential.verify_uuid}/?via=qr"  # counted as the QR code's
    )
    expect(page.locator("main")).to_contain_text(re.compile(r"\bvalid\b", re.IGNORECASE))
    expect(page.locator("main")).to_contain_text("Ada Lovelace")
    browser.screenshot(page, "verify")


def test_learner_makes_the_credential_private_then_strangers_get_404(browser, orm, available_credential):
    credential_page = f"/learning_credentials/credentials/{available_credential.uuid}/"
    public_url = verify_url(available_credential)
    page = browser.sign_in(browser.new_page(), "ada", next_url="/learning_credentials/credentials/")
    expect(page.get_by_role("heading", level=1)).to_have_text("My credentials")
    page.get_by_role("link", name=re.compile(r"^Details")).click()
    page.wait_for_url(f"**{credential_page}")
    expect(page.get_by_role("heading", level=1)).to_have_text(available_credential.type_name)
    browser.screenshot(page, "credential-public")

    page.get_by_role("button", name="Make private").click()
    page.wait_for_url(f"**{credential_page}")
    expect(page.get_by_role("status").first).to_contain_text("now private")
    expect(page.get_by_role("button", name="Make public")).to_be_visible()
    browser.screenshot(page, "credential-private")

    def audited():
        credential = Credential.objects.get(pk=available_credential.pk)
        event = credential.events.get(kind=CredentialEvent.Kind.VISIBILITY_CHANGED)
        return credential.visibility, event.source, event.actor.get_username()

    assert orm(audited) == ("private", "learner", "ada")

    stranger = browser.new_page()  # a new context: no session cookie
    response = stranger.goto(public_url)
    assert response.status == 404
    browser.screenshot(stranger, "anonymous-404")
    assert page.goto(public_url).status == 200  # the holder still sees it


def test_learner_copies_the_share_link(browser, available_credential):
    public_url = verify_url(available_credential)
    credential_page = f"/learning_credentials/credentials/{available_credential.uuid}/"
    page = browser.new_page(permissions=("clipboard-read", "clipboard-write"))
    browser.sign_in(page, "ada", next_url=credential_page)
    share_image = page.get_by_role("img", name=re.compile("awarded to Ada Lovelace"))
    expect(share_image).to_be_visible()
    assert page.evaluate("(img) => img.complete && img.naturalWidth", share_image.element_handle()) > 0

    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#copy-status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == public_url
    linkedin = page.get_by_role("link", name=re.compile("Add to LinkedIn profile"))
    assert f"certUrl={quote(public_url, safe='')}" in linkedin.get_attribute("href")
    browser.screenshot(page, "copied")


def test_a_certificate_link_on_another_site_asks_the_learner_first(
    browser, orm, configuration, learner_with_password, course, settings, monkeypatch
):
    """A page elsewhere links to the certificate route: the learner confirms before anything is issued."""
    from sandbox.lms import signals

    from tests import factories

    with monkeypatch.context() as muted:
        muted.setattr(signals, "notify_progress", lambda **kwargs: None)  # only the route may issue
        factories.set_completion(learner_with_password, course, 1.0)
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ON_DEMAND_BUDGET_SECONDS": 0}
    context_key, type_key = configuration.learning_context_key, configuration.credential_type.slug
    route = f"{browser.base_url}/learning_credentials/courses/{context_key}/{type_key}/certificate/"
    page = browser.sign_in(browser.new_page(), "ada", next_url="/learning_credentials/credentials/")
    elsewhere = "https://elsewhere.example.net/"
    page.route(elsewhere, lambda r: r.fulfill(content_type="text/html", body=f'<a href="{route}">Claim</a>'))
    page.goto(elsewhere)
    page.get_by_role("link", name="Claim").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Get your certificate")
    browser.screenshot(page, "confirm")
    assert orm(lambda: Credential.objects.filter(user=learner_with_password).count()) == 0

    page.get_by_role("button", name="Get my certificate").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Almost there")
    assert orm(lambda: Credential.objects.filter(user=learner_with_password).count()) == 1

"""A 255-character name without a space (the snapshot's limit) on a 360 px wide phone: no page scrolls sideways."""

import pytest
from playwright.sync_api import expect

from learning_credentials.lifecycle import Status
from learning_credentials.selectors import verify_url
from learning_credentials.services import credential_issue

PHONE = {"width": 360, "height": 740}
LONG_NAME = ("Wolfeschlegelsteinhausenbergerdorff" * 8)[:255]


@pytest.fixture
def long_named_credential(configuration, learner_with_password):
    """Issued under the longest name a snapshot keeps, so the PDF and the share image carry it too."""
    profile = learner_with_password.profile
    profile.full_name = LONG_NAME
    profile.save()
    credential = credential_issue(user_id=learner_with_password.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert (credential.status, credential.learner_name) == (Status.AVAILABLE, LONG_NAME)
    return credential


def assert_no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_the_verification_page_wraps_a_long_name_on_a_phone(browser, long_named_credential):
    url = verify_url(long_named_credential)
    page = browser.new_page(viewport=PHONE)
    page.goto(url)
    expect(page.locator("main")).to_contain_text(LONG_NAME)
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "verify-360")


def test_the_learners_pages_wrap_a_long_name_on_a_phone(browser, long_named_credential):
    detail = f"/learning_credentials/credentials/{long_named_credential.uuid}/"
    page = browser.sign_in(browser.new_page(viewport=PHONE), "ada", next_url="/learning_credentials/credentials/")
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "list-360")
    page.goto(detail)
    expect(page.locator("main")).to_contain_text(LONG_NAME)
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "detail-360")

"""In Chromium: a certification's certificate as its learner and an employer see it (issue 18 point 6).

The learner's own page and the stable public page show the most recent score and its date, say
"revoked" in words once a retake scored at or below the pass mark, and link to the certification's
one stable URL; axe-core finds no serious or critical violation; at 360 px no sideways scrolling.
"""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from learning_credentials.exams.models import Certification
from tests.browser.test_certification_pages import PHONE, assert_accessible, assert_no_sideways_scroll, for_sale
from tests.exams.conftest import COURSE, grant, start, take

pytestmark = pytest.mark.browser
__all__ = ["for_sale"]  # the fixture, shared with the course pages' tests


@dataclass(frozen=True)
class Shown:
    """What the pages are opened with, read before the browser starts (no ORM inside Playwright's loop)."""

    public_id: str
    credential_uuid: str


def shown() -> Shown:
    certification = Certification.objects.select_related("credential").get()
    return Shown(public_id=str(certification.public_id), credential_uuid=str(certification.credential.uuid))


@pytest.fixture
def certified(for_sale, learner_with_password) -> Shown:
    grant(learner_with_password, COURSE)
    take(learner_with_password, start(learner_with_password), 40)  # 80%
    return shown()


@pytest.fixture
def revoked(certified, learner_with_password) -> Shown:
    take(learner_with_password, start(learner_with_password), 25)  # 50%: at the pass mark, revoked
    return shown()


def own_page(browser, certification: Shown, **page_options):
    page = browser.sign_in(browser.new_page(**page_options), "ada", next_url="/learning_credentials/credentials/")
    page.goto(f"/learning_credentials/credentials/{certification.credential_uuid}/")
    return page


def details(page) -> dict[str, str]:
    terms = page.locator("main dt").all_inner_texts()
    return dict(zip(terms, page.locator("main dd").all_inner_texts(), strict=True))


def test_certified_the_learner_shares_the_stable_link_with_the_most_recent_score(certified, browser):
    page = own_page(browser, certified)
    shown = details(page)
    assert shown["Most recent score"] == "80%" and "Score" not in shown
    stable = f"/learning_credentials/verify/{certified.public_id}/"
    expect(page.get_by_role("textbox", name="Public verification link")).to_have_value(re.compile(re.escape(stable)))
    browser.screenshot(page, "certificate-learner")
    assert_accessible(page)

    page.goto(stable)
    expect(page.locator("[data-status]")).to_have_text(re.compile("This credential is valid"))
    shown = details(page)
    assert shown["Most recent score"] == "80%" and "Issue date" not in shown and "Scored on" in shown
    browser.screenshot(page, "certificate-public")
    assert_accessible(page)


def test_revoked_by_a_retake_both_pages_say_so_in_words(revoked, browser):
    page = own_page(browser, revoked)
    revoked_words = re.compile(r"Revoked on .+\. Reason: Most recent exam score 50% or below")
    expect(page.locator("main")).to_contain_text(revoked_words)
    assert details(page)["Most recent score"] == "50%"
    expect(page.get_by_role("link", name="Download the PDF")).to_have_count(0)
    browser.screenshot(page, "certificate-learner-revoked")
    assert_accessible(page)

    page.get_by_role("link", name="See what employers see").click()
    page.wait_for_url(re.compile(rf"/verify/{revoked.public_id}/$"))
    expect(page.locator("[data-status]")).to_have_text(
        re.compile(r"This credential was revoked on .+\. Reason: Most recent exam score 50% or below\.")
    )
    assert details(page)["Most recent score"] == "50%"
    browser.screenshot(page, "certificate-public-revoked")
    assert_accessible(page)

    phone = own_page(browser, revoked, viewport=PHONE)
    assert_no_sideways_scroll(phone)
    browser.screenshot(phone, "certificate-learner-revoked-360")


def test_made_private_the_stable_page_is_not_found_for_anyone_else(certified, browser):
    page = own_page(browser, certified)
    page.get_by_role("button", name="Make private").click()
    expect(page.locator("main")).to_contain_text("Your credential is now private")
    stable = f"/learning_credentials/verify/{certified.public_id}/"
    assert page.goto(stable).status == 200  # its holder still sees it, marked private
    expect(page.locator("main")).to_contain_text("This credential is private")

    employer = browser.new_page()
    assert employer.goto(stable).status == 404
    browser.screenshot(employer, "certificate-private-anonymous")

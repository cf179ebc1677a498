"""In Chromium: an Arabic reader's verification page and an Arabic learner's pages, right to left (issue #23, point 7).

The words are English until the Arabic catalogue is translated; the layout must mirror already: the
page says lang="ar" dir="rtl", what starts a line sits on the right, table columns run from the right,
and axe-core finds no serious or critical violation.
"""

import pytest
from playwright.sync_api import expect

from learning_credentials.selectors import verify_url
from tests.browser.test_certification_pages import assert_accessible

pytestmark = pytest.mark.browser


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


def assert_right_to_left(page) -> None:
    expect(page.locator("html")).to_have_attribute("lang", "ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    main = box(page, "main")
    heading = page.locator("h1").first
    # The heading's text starts at the right edge of the page's main box (less its padding), not the left.
    text_right = page.evaluate(
        "h => { const r = document.createRange(); r.selectNodeContents(h); return r.getBoundingClientRect().right; }",
        heading.element_handle(),
    )
    assert main["x"] + main["width"] - text_right < 40, (main, text_right)
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # nothing sideways


def test_an_arabic_reader_verifies_a_credential_right_to_left(browser, available_credential):
    url = verify_url(available_credential)  # the ORM before the browser starts (see conftest)
    page = browser.new_page(locale="ar")  # the browser's Accept-Language
    response = page.goto(url)
    assert response.status == 200 and response.headers["content-language"] == "ar"
    assert_right_to_left(page)
    # The header mirrors: the site's name at the right, the lookup link at the left.
    assert box(page, ".site-name")["x"] > box(page, ".site-header nav")["x"]
    assert_accessible(page)
    browser.screenshot(page, "verify-ar")
    page.goto("/learning_credentials/verify/?code=NOPE-NOPE")
    assert_right_to_left(page)
    assert_accessible(page)
    browser.screenshot(page, "lookup-ar")


def test_an_arabic_learner_reads_their_credentials_right_to_left(browser, orm, available_credential):
    def arabic(user):
        user.profile.language = "ar"
        user.profile.save(update_fields=["language"])

    orm(arabic, available_credential.user)
    detail = f"/learning_credentials/credentials/{available_credential.uuid}/"
    page = browser.sign_in(browser.new_page(), "ada", next_url="/learning_credentials/credentials/")
    assert_right_to_left(page)
    # The table's first column is its rightmost.
    headers = page.locator("thead th")
    assert headers.count() > 1
    assert headers.nth(0).bounding_box()["x"] > headers.nth(1).bounding_box()["x"]
    assert_accessible(page)
    browser.screenshot(page, "credentials-ar")
    page.goto(detail)
    assert_right_to_left(page)
    # The link is a URL: it reads left to right inside the Arabic page, so its start is never cut off.
    expect(page.locator("#share-link")).to_have_attribute("dir", "ltr")
    assert page.locator("#share-link").evaluate("e => e.scrollLeft") == 0
    assert_accessible(page)
    browser.screenshot(page, "credential-ar")
    home = browser.new_page(locale="ar")  # the sandbox's own pages follow the browser, and mirror too
    home.goto("/")
    expect(home.locator("html")).to_have_attribute("dir", "rtl")
    # Nothing sticks out sideways (a skip link parked at left: -999rem made the page 17,000 px wide in Arabic).
    assert home.evaluate("document.documentElement.scrollWidth") <= home.viewport_size["width"]
    browser.screenshot(home, "home-ar")

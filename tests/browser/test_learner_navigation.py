"""In Chromium: a learner signs in (landing on My credentials), finds their way and signs out; the sandbox's home and
404 pages; the verification page's PDF link. Light and dark, at 360 px too; axe-core checks every page."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_certification_pages import PHONE, assert_accessible, assert_no_sideways_scroll
from tests.exams.conftest import COURSE, certification_offer

pytestmark = pytest.mark.browser

MINE = "/learning_credentials/credentials/"
COURSES = "/learning_credentials/certification/"


def sign_in_without_next(browser, page, username: str = "ada"):
    """Through the login form as somebody who opened it directly: no ``next``."""
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("correct horse battery staple")
    page.get_by_role("button", name="Sign in").click()
    return page


def test_a_learner_signs_in_finds_their_way_and_signs_out(browser, available_credential):
    page = browser.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sandbox LMS")
    assert_accessible(page)
    browser.screenshot(page, "home-anonymous")
    page.get_by_role("link", name="Sign in").click()
    page.wait_for_url("**/accounts/login/")
    browser.screenshot(page, "login")

    sign_in_without_next(browser, page)
    page.wait_for_url(f"**{MINE}")  # My credentials, not the admin
    nav = page.get_by_role("navigation", name="Learner pages")
    expect(nav.get_by_role("link", name="My credentials")).to_have_attribute("aria-current", "page")
    expect(nav.get_by_role("link", name="Dashboard")).to_have_attribute("href", "/")
    expect(nav.get_by_role("link", name="My courses")).to_have_count(0)  # no certification course
    assert_accessible(page)
    browser.screenshot(page, "my-credentials")

    page.get_by_role("link", name=re.compile(r"^Details")).click()
    page.wait_for_url(f"**{MINE}{available_credential.uuid}/")
    expect(nav.get_by_role("link", name="My credentials")).not_to_have_attribute("aria-current", "page")
    browser.screenshot(page, "credential")

    # With the keyboard: after the skip link, the navigation's links and then its sign-out button.
    page.goto(MINE)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    for name in ("My credentials", "Dashboard"):
        page.keyboard.press("Tab")
        expect(nav.get_by_role("link", name=name)).to_be_focused()
    page.keyboard.press("Tab")
    sign_out = nav.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_focused()
    browser.screenshot(page, "sign-out-focused")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    assert page.goto(MINE).url.endswith(f"/accounts/login/?next={MINE}")  # signed out indeed


def test_staff_sign_in_lands_on_my_credentials_and_reach_the_admin_from_home(browser, learner_with_password, orm):
    def make_staff():
        learner_with_password.is_staff = learner_with_password.is_superuser = True
        learner_with_password.save()

    orm(make_staff)
    page = sign_in_without_next(browser, browser.new_page())
    page.wait_for_url(f"**{MINE}")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_role("link", name="Administration").click()
    page.wait_for_url("**/admin/")
    expect(page.locator("#site-name")).to_be_visible()


def test_certification_in_the_navigation_light_and_dark_at_360_px(browser, available_credential, configuration, orm):
    orm(certification_offer, COURSE, configuration)
    for scheme in ("light", "dark"):
        page = browser.new_page(viewport=PHONE, color_scheme=scheme)
        browser.sign_in(page, "ada", next_url=MINE)
        nav = page.get_by_role("navigation", name="Learner pages")
        expect(nav.get_by_role("link", name="My courses")).to_be_visible()
        assert_no_sideways_scroll(page)
        assert_accessible(page)
        browser.screenshot(page, f"my-credentials-phone-{scheme}")
        nav.get_by_role("link", name="My courses").click()
        page.wait_for_url(f"**{COURSES}")
        expect(nav.get_by_role("link", name="My courses")).to_have_attribute("aria-current", "page")
        expect(nav.get_by_role("link", name="My credentials")).not_to_have_attribute("aria-current", "page")
        assert_no_sideways_scroll(page)
        assert_accessible(page)
        browser.screenshot(page, f"my-courses-phone-{scheme}")


def test_the_verification_page_links_the_pdf(browser, available_credential):
    page = browser.new_page()
    page.goto(f"/learning_credentials/verify/{available_credential.verify_uuid}/")
    link = page.get_by_role("link", name="Open the credential (PDF)")
    expect(link).to_be_visible()
    assert_accessible(page)
    browser.screenshot(page, "verify-with-pdf-link")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_home_and_404_pages(browser, db, scheme):
    page = browser.new_page(color_scheme=scheme)
    page.goto("/")
    for name in ("My credentials", "Verify a credential", "Administration", "My courses (certification)"):
        expect(page.get_by_role("link", name=name)).to_be_visible()
    assert_accessible(page)
    browser.screenshot(page, f"home-{scheme}")
    response = page.goto("/learning_credentials/no-such-page/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    assert_accessible(page)
    browser.screenshot(page, f"404-{scheme}")
    phone = browser.new_page(viewport=PHONE, color_scheme=scheme)
    phone.goto("/")
    assert_no_sideways_scroll(phone)
    browser.screenshot(phone, f"home-phone-{scheme}")
    page.get_by_role("link", name="Go to the home page").click()
    page.wait_for_url(re.compile(r"/$"))

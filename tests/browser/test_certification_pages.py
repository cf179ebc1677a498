"""In Chromium: a learner's "My courses" in every state, and the "Get certificate" page (issue 18 points 2 and 3).

Bought through the sandbox's fake checkout and back, redeemed with points (with the keyboard), too few
points, an unavailable course; at 360 px too. axe-core checks every page of ours: no serious or critical
violation.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from opaque_keys.edx.keys import CourseKey
from playwright.sync_api import expect

from learning_credentials.exams.models import Entitlement, PointsAccount
from learning_credentials.exams.services import points_grant
from tests import factories
from tests.exams.conftest import COURSE, certificate_by_exam, certification_offer, grant, make_pool, start, take

pytestmark = pytest.mark.browser

COURSES = "/learning_credentials/certification/"
PAGE = f"/learning_credentials/certification/{COURSE}/"
PHONE = {"width": 360, "height": 740}
UNAVAILABLE = "Certification unavailable. Contact the course creator."
AXE = Axe()


def assert_accessible(page) -> None:
    """axe-core's rules on the page as it stands: no violation of serious or critical impact."""
    violations = AXE.run(page).response["violations"]
    grave = [
        (v["id"], v["impact"], v["help"], [node["target"] for node in v["nodes"]])
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
    assert grave == []


def assert_no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def open_signed_in(browser, url: str, **page_options):
    """A page signed in as ada, at ``url`` (a course key's "+" would not survive the login form's plain ``next``)."""
    page = browser.sign_in(browser.new_page(**page_options), "ada", next_url=COURSES)
    page.goto(url)
    return page


def link_name(action: str, course: str) -> re.Pattern:
    """A call to action's accessible name: its words, then the course's (visually hidden, so screen readers
    tell the links apart); Chromium puts a space around the hidden part."""
    return re.compile(rf"^{re.escape(action)}\s*: {re.escape(course)}$")


def course_item(page, name: str):
    return page.locator("li").filter(has=page.get_by_role("heading", level=2, name=name))


@pytest.fixture
def for_sale(configuration, learner_with_password):
    """The demo course: completed, for sale at 49.00 USD or 60 points; its certificate needs a passed exam."""
    certificate_by_exam(configuration)
    factories.set_completion(learner_with_password, factories.make_course(), 1.0)
    make_pool(COURSE, 150)
    return certification_offer(COURSE, configuration)


def offer(learner, for_sale, code: str, name: str, *, completion: float = 1.0, own_pool: bool = False):
    """Another course the learner is enrolled in, drawing from the demo course's pool unless ``own_pool``."""
    key = CourseKey.from_string(f"course-v1:DemoX+{code}+2026")
    factories.set_completion(learner, factories.make_course(str(key), name), completion)
    factories.enroll(learner, str(key))
    configuration = factories.ConfigurationFactory(
        learning_context_key=key, credential_type=for_sale.configuration.credential_type
    )
    certification_offer(key, configuration, pool_context_key=None if own_pool else COURSE)
    return key


@pytest.fixture
def every_state(for_sale, learner_with_password):
    """Besides the demo course (certificate available): certified, unlocked, revoked, unavailable, in progress."""
    learner = learner_with_password
    certified = offer(learner, for_sale, "ALG", "Algorithms")
    grant(learner, certified)
    take(learner, start(learner, certified), 45)  # 90%
    grant(learner, offer(learner, for_sale, "ECO", "Economics"))
    revoked = offer(learner, for_sale, "FRE", "French")
    grant(learner, revoked)
    take(learner, start(learner, revoked), 40)  # 80%: certified
    take(learner, start(learner, revoked), 20)  # 40%: revoked
    offer(learner, for_sale, "COM", "Compilers", own_pool=True)  # an empty pool: unavailable
    offer(learner, for_sale, "DAT", "Databases", completion=0.4)
    return learner


def test_my_courses_shows_each_course_s_chip_call_to_action_and_helper(browser, every_state):
    page = browser.sign_in(browser.new_page(), "ada", next_url=COURSES)
    expect(page.get_by_role("heading", level=1)).to_have_text("My courses")
    expected = {
        "Algorithms": ("Certified", "Most recent score: 90%.", "View certificate"),
        "Compilers": ("Certification unavailable", UNAVAILABLE, None),
        "Databases": ("In progress", None, None),
        "Economics": ("Certification unlocked", None, "Start final exam"),
        "French": ("Certification revoked", "Most recent score: 40%.", "Start final exam"),
        "Introduction to Computing": ("Completed, certificate available", None, "Get certificate"),
    }
    assert page.get_by_role("heading", level=2).all_inner_texts() == list(expected)  # by name
    for name, (chip, helper, cta) in expected.items():
        item = course_item(page, name)
        expect(item.locator(".chip")).to_have_text(re.compile(rf"^Status: \W\s*{re.escape(chip)}$"))
        if helper:
            expect(item.locator(".helper")).to_have_text(helper)
        else:
            expect(item.locator(".helper")).to_have_count(0)
        if cta:
            expect(item.get_by_role("link")).to_have_accessible_name(link_name(cta, name))
        else:
            expect(item.get_by_role("link")).to_have_count(0)
    browser.screenshot(page, "my-courses")
    assert_accessible(page)

    page.get_by_role("link", name=link_name("View certificate", "Algorithms")).click()
    page.wait_for_url(re.compile(r"/learning_credentials/credentials/[^/]+/$"))
    expect(page.locator("main")).to_contain_text("90%")
    browser.screenshot(page, "view-certificate")

    page.goto("/learning_credentials/certification/course-v1:DemoX+ALG+2026/")
    expect(page.locator("main")).to_contain_text("Your certificate shows your most recent score: 90%.")
    expect(page.get_by_role("link", name="View certificate")).to_be_visible()
    browser.screenshot(page, "get-certificate-certified")
    assert_accessible(page)
    page.goto("/learning_credentials/certification/course-v1:DemoX+FRE+2026/")
    expect(page.locator("main")).to_contain_text("Most recent score: 40%.")
    expect(page.locator("main")).to_contain_text("a most recent score of 50% or below revokes it")
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)  # nothing starts an exam here
    browser.screenshot(page, "get-certificate-revoked")
    assert_accessible(page)

    phone = browser.sign_in(browser.new_page(viewport=PHONE), "ada", next_url=COURSES)
    assert_no_sideways_scroll(phone)
    browser.screenshot(phone, "my-courses-360")
    assert_accessible(phone)


def test_completed_without_entitlement_buys_through_the_checkout_and_comes_back_entitled(browser, orm, for_sale):
    page = browser.sign_in(browser.new_page(), "ada", next_url=COURSES)
    page.get_by_role("link", name=link_name("Get certificate", "Introduction to Computing")).click()
    page.wait_for_url(f"**{PAGE}")
    main = page.locator("main")
    expect(page.get_by_role("heading", level=1)).to_have_text("Introduction to Computing")
    expect(main).to_contain_text(
        re.compile(r"Price\s*49\.00 USD\s*Price in points\s*60 points\s*Your points\s*0 points")
    )
    browser.screenshot(page, "get-certificate")
    assert_accessible(page)

    page.get_by_role("link", name="Pay 49.00 USD").click()
    page.wait_for_url(f"**/checkout/{COURSE}/?next=*")
    browser.screenshot(page, "fake-checkout")
    page.get_by_role("button", name="Pay 49.00 USD").click()
    page.wait_for_url(re.compile(rf"{re.escape(PAGE)}\?payment_reference=SBX-[0-9A-F]+$"))
    reference = page.url.rsplit("payment_reference=", 1)[1]
    expect(main).to_contain_text(f"You paid at the checkout (reference {reference}).")
    assert orm(lambda: Entitlement.objects.count()) == 0  # coming back bought nothing by itself
    expect(main).to_contain_text("Until this purchase is complete, you cannot pay again or redeem points")
    expect(page.get_by_role("link", name=re.compile("^Pay"))).to_have_count(0)  # no way to pay twice
    expect(page.get_by_role("button", name=re.compile("^Redeem"))).to_have_count(0)
    browser.screenshot(page, "complete-purchase")
    assert_accessible(page)

    page.get_by_role("button", name="Complete purchase").click()
    page.wait_for_url(f"**{PAGE}")
    expect(page.get_by_role("status")).to_contain_text("Your payment is confirmed: you are entitled to the final exam.")
    expect(main).to_contain_text("You are entitled to take the final exam of this course.")
    expect(main.locator(".chip")).to_contain_text("Certification unlocked")
    expect(page.get_by_role("link", name=re.compile("^Pay"))).to_have_count(0)
    browser.screenshot(page, "entitled-paid")
    assert_accessible(page)
    assert orm(lambda: list(Entitlement.objects.values_list("source", "reference"))) == [("paid", reference)]

    page.get_by_role("link", name="Take the final exam").click()  # the next step, on the same page
    page.wait_for_url(f"**{PAGE}exam/")
    expect(page.get_by_role("button", name="Start final exam")).to_be_visible()
    page.go_back()

    page.get_by_role("link", name="My courses").first.click()
    item = course_item(page, "Introduction to Computing")
    expect(item.locator(".chip")).to_contain_text("Certification unlocked")
    expect(item.get_by_role("link")).to_have_accessible_name(link_name("Start final exam", "Introduction to Computing"))


def test_redeeming_points_with_the_keyboard(browser, orm, for_sale, learner_with_password):
    points_grant(user_id=learner_with_password.pk, amount=100, activity_source="admin")
    page = open_signed_in(browser, PAGE)
    expect(page.locator("#points-balance")).to_have_text("100 points")
    redeem = page.get_by_role("button", name="Redeem 60 points")
    for _press in range(30):  # Tab through the page until the button has the focus, as a keyboard user would
        if redeem.evaluate("(button) => button === document.activeElement"):
            break
        page.keyboard.press("Tab")
    expect(redeem).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_load_state()
    expect(page.get_by_role("status")).to_contain_text("You redeemed 60 points: you are entitled to the final exam.")
    expect(page.locator("main")).to_contain_text("Obtained Redeemed with points")
    browser.screenshot(page, "entitled-points")
    assert_accessible(page)
    assert orm(lambda: PointsAccount.objects.get(user=learner_with_password).balance) == 40


def test_too_few_points_is_a_sentence(browser, orm, for_sale, learner_with_password):
    points_grant(user_id=learner_with_password.pk, amount=50, activity_source="admin")
    page = open_signed_in(browser, PAGE, viewport=PHONE)
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "get-certificate-360")
    page.get_by_role("button", name="Redeem 60 points").click()
    expect(page.get_by_role("status")).to_have_text("Certification costs 60 points; your balance is 50.")
    expect(page.get_by_role("button", name="Redeem 60 points")).to_be_visible()
    assert_no_sideways_scroll(page)
    browser.screenshot(page, "too-few-points-360")
    assert_accessible(page)
    assert orm(lambda: (Entitlement.objects.count(), PointsAccount.objects.get().balance)) == (0, 50)


def test_an_unavailable_course_offers_nothing(browser, for_sale, learner_with_password):
    unavailable = offer(learner_with_password, for_sale, "COM", "Compilers", own_pool=True)
    page = open_signed_in(browser, f"/learning_credentials/certification/{unavailable}/")
    expect(page.locator("#unavailable")).to_have_text(UNAVAILABLE)
    expect(page.get_by_role("main").get_by_role("button")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^(Pay|Redeem)"))).to_have_count(0)
    browser.screenshot(page, "unavailable")
    assert_accessible(page)

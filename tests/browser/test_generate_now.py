"""In Chromium: a configuration for an unknown course refused, then Generate now's preview, confirmation and result."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from learning_credentials.models import CredentialConfiguration, CredentialRun
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.test_certification_pages import AXE

pytestmark = pytest.mark.browser
UNKNOWN = "course-v1:DemoX+NOPE+2026"


def assert_no_violations(page, context: str) -> None:
    violations = AXE.run(page, context=context).response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == []


@pytest.fixture
def superuser(db):
    user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def signed_in(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    browser.sign_in(page, "root", next_url="/admin/")
    page.goto(url)
    return page


def add_learners(course, completions: dict[str, float]) -> None:
    for name, completion in completions.items():
        user = factories.UserFactory(username=name)
        factories.enroll(user)
        factories.set_completion(user, course, completion)


def test_an_unknown_course_is_refused_unless_staff_say_it_does_not_exist_yet(browser, configuration, superuser, orm):
    page = signed_in(browser, reverse("admin:learning_credentials_credentialconfiguration_add"))
    page.get_by_label("Learning context key").fill(UNKNOWN)
    page.get_by_label("Credential type").select_option(str(configuration.credential_type.pk))
    page.get_by_role("button", name="Save", exact=True).click()

    error = page.locator(".field-learning_context_key .errorlist")
    expect(error).to_contain_text(f"The platform has no course or learning path {UNKNOWN}.")
    expect(error).to_contain_text("tick 'The course does not exist yet'")
    browser.screenshot(page, "refused")
    assert_no_violations(page, ".field-learning_context_key, .field-context_not_created_yet")

    page.get_by_label("The course does not exist yet").check()
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".fieldBox.field-context_confirmation")).to_contain_text("by root on")
    browser.screenshot(page, "accepted")
    assert orm(lambda: CredentialConfiguration.objects.get(learning_context_key=UNKNOWN).context_not_created_yet_by_id)


def test_generate_now_previews_then_issues(browser, configuration, course, superuser, orm):
    add_learners(course, {"ada": 1.0, "grace": 0.95, "half": 0.5})
    page = signed_in(
        browser, reverse("admin:learning_credentials_credentialconfiguration_change", args=[configuration.pk])
    )
    page.get_by_role("button", name="Generate now").click()

    expect(page.locator('[data-figure="to_issue"]')).to_have_text("2")
    expect(page.locator('[data-reason="completion_below"]')).to_contain_text("Completion below 90%")
    confirm = page.get_by_role("button", name="Issue 2 credentials now")
    expect(confirm).to_be_visible()
    assert orm(CredentialRun.objects.count) == 0
    browser.screenshot(page, "preview")
    assert_no_violations(page, "#content-main")

    confirm.click()
    panel = page.locator("#lc-latest-run")
    expect(panel.locator('[data-run-level="success"]')).to_contain_text("2 issued and 0 renewed in")
    expect(panel).to_contain_text("by root")
    browser.screenshot(page, "result")
    assert_no_violations(page, "#lc-latest-run")


def test_generate_now_warns_when_nothing_can_be_issued(browser, configuration, course, superuser):
    add_learners(course, {"ada": 0.2, "grace": 0.4})
    page = signed_in(
        browser, reverse("admin:learning_credentials_credentialconfiguration_change", args=[configuration.pk])
    )
    page.get_by_role("button", name="Generate now").click()

    warning = page.locator("[data-preview-warning]")
    expect(warning).to_contain_text("Every learner fails for the same reason (Completion below 90%)")
    expect(page.get_by_role("button", name="Issue", exact=False)).to_have_count(0)
    browser.screenshot(page, "preview-warning")
    assert_no_violations(page, "#content-main")

    page.get_by_role("button", name="Run anyway (retries credentials in error)").click()
    result = page.locator('#lc-latest-run [data-run-level="warning"]')
    expect(result).to_contain_text("The run issued nothing: no learner is eligible.")
    browser.screenshot(page, "result-warning")
    assert_no_violations(page, "#lc-latest-run")

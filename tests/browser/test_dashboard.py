"""In Chromium: a configuration's admin page with its dashboard, credentials in several states, checked by axe."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from learning_credentials.lifecycle import Status
from learning_credentials.models import CredentialConfiguration
from tests import factories
from tests.browser.conftest import PASSWORD
from tests.browser.test_certification_pages import AXE
from tests.test_dashboard import make

pytestmark = pytest.mark.browser


@pytest.fixture
def busy_configuration(configuration):
    """A year's worth of credentials in every state, some weeks empty."""
    CredentialConfiguration.objects.filter(pk=configuration.pk).update(validity_period=12)
    now = timezone.now()
    for index in range(60):
        week = index % 23
        created = now - timedelta(weeks=week, days=index % 5)
        if week in (4, 5, 11):
            continue  # quiet weeks
        expires = created + timedelta(days=365)
        make(configuration, created=created, expires_at=expires - timedelta(days=300 if index % 7 == 0 else 0))
    for days in (2, 6, 25, 70):
        make(configuration, expires_at=now + timedelta(days=days), learner_name=f"Learner expiring in {days} days")
    make(configuration, suspended_at=now - timedelta(days=3))
    make(configuration, Status.INVALIDATED, reason="refunded")
    make(configuration, Status.INVALIDATED, reason="issued_in_error")
    make(configuration, Status.INVALIDATED, reason="renewed")
    make(configuration, Status.INVALIDATED, reason="superseded")
    make(configuration, visibility="private")
    make(configuration, Status.GENERATING)
    for message in [
        "The font 'demo-serif' cannot be read: it is damaged or not a TrueType font.",
        "The font 'demo-serif' cannot be read: it is damaged or not a TrueType font.",
        "There is no credential asset with the slug 'seal-2026'.",
    ]:
        make(configuration, Status.ERROR, error_message=message)
    return configuration


@pytest.fixture
def superuser():
    user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_a_configuration_page_shows_its_dashboard(browser, busy_configuration, superuser):
    url = reverse("admin:learning_credentials_credentialconfiguration_change", args=[busy_configuration.pk])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    browser.sign_in(page, "root", next_url="/admin/")
    page.goto(url)

    dashboard = page.locator("section.lc-dashboard")
    expect(dashboard.get_by_role("heading", name="Dashboard")).to_be_visible()
    chart = dashboard.get_by_role("img", name="Credentials issued per week")
    expect(chart).to_be_visible()
    assert chart.bounding_box()["width"] > 500
    expect(dashboard.locator('[data-figure="error"]')).to_have_text("3")
    expect(dashboard.locator('[data-figure="renewed"]')).to_have_text("1")
    expect(dashboard.get_by_text("Learner expiring in 2 days")).to_be_visible()
    table = dashboard.locator("details table")
    expect(table).to_be_hidden()
    browser.screenshot(page, "dashboard")

    dashboard.get_by_text("Issued per week as a table").click()
    expect(table).to_be_visible()
    violations = AXE.run(page, context="section.lc-dashboard").response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == []
    browser.screenshot(page, "dashboard-table")

    dashboard.get_by_role("link", name="All 3 credentials in error").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)


def test_the_dashboard_in_the_dark_theme(browser, busy_configuration, superuser):
    """The admin follows the system's dark mode; the chart and tables take its colours and stay readable."""
    url = reverse("admin:learning_credentials_credentialconfiguration_change", args=[busy_configuration.pk])
    page = browser.new_page(viewport={"width": 1280, "height": 900}, color_scheme="dark")
    browser.sign_in(page, "root", next_url="/admin/")
    page.goto(url)
    bar = page.locator("section.lc-dashboard rect.lc-bar").last
    expect(bar).to_be_visible()
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 255, 255)"
    violations = AXE.run(page, context="section.lc-dashboard").response["violations"]
    assert [(v["id"], v["impact"], [n["target"] for n in v["nodes"]]) for v in violations] == []
    browser.screenshot(page, "dashboard-dark")

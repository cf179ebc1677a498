"""In Chromium: an employer opens an expired credential; its holder sees the badge; a renewed one links the new one."""

import re
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from learning_credentials.models import Credential, CredentialConfiguration
from learning_credentials.selectors import verify_url
from learning_credentials.services.issuance import credential_renew
from tests.browser.test_certification_pages import assert_accessible

pytestmark = pytest.mark.browser


def expire(credential: Credential) -> Credential:
    expires = timezone.now() - timedelta(days=3)
    Credential.objects.filter(pk=credential.pk).update(
        created=expires - timedelta(days=365), valid_from=expires - timedelta(days=365), expires_at=expires
    )
    credential.refresh_from_db()
    return credential


def test_employer_sees_expired_and_the_holder_the_badge(browser, available_credential):
    expired = expire(available_credential)  # the ORM before the browser's event loop runs
    url = verify_url(expired)
    page = browser.new_page()
    page.goto(url)
    status = page.locator("[data-status]")
    expect(status).to_have_attribute("data-status", "expired")
    expect(status).to_contain_text(re.compile(r"This credential expired on .+ it has not been revoked"))
    expect(page.locator("main")).to_contain_text("Expired on")
    assert_accessible(page)
    browser.screenshot(page, "expired")

    own = browser.sign_in(browser.new_page(), "ada", next_url="/learning_credentials/credentials/")
    badge = own.locator("span.status.expired")
    expect(badge).to_have_text(re.compile(r"^Expired on "))
    assert_accessible(own)
    browser.screenshot(own, "learner-list-expired")
    own.get_by_role("link", name=re.compile(r"^Details")).click()
    how_to_renew = re.compile(r"It expired on .+\s+To renew it, meet the requirements")
    expect(own.locator("#renewal")).to_contain_text(how_to_renew)
    assert_accessible(own)
    browser.screenshot(own, "learner-detail-how-to-renew")


def test_a_renewed_credential_links_the_new_one(browser, available_credential):
    CredentialConfiguration.objects.filter(pk=available_credential.configuration_id).update(validity_period=12)
    expired = expire(available_credential)
    new = credential_renew(credential=expired, source="admin", reason="annual review")
    old_url, new_url = verify_url(expired), verify_url(Credential.objects.get(pk=new.pk))
    page = browser.new_page()
    page.goto(old_url)
    expect(page.locator("[data-status]")).to_contain_text("This credential was renewed on")
    page.get_by_role("link", name="See the renewed credential").click()
    page.wait_for_url(new_url)
    expect(page.locator("[data-status]")).to_have_attribute("data-status", "valid")
    expect(page.locator("main")).to_contain_text("Valid until")
    browser.screenshot(page, "renewed-new")


def test_the_holder_sees_how_often_employers_verified_and_can_stop_counting(browser, orm, available_credential):
    from learning_credentials.services import verification_counts as counting

    url = verify_url(available_credential)
    code_url = f"/learning_credentials/verify/code/{available_credential.verification_code}/"
    for target in (url, url, code_url):  # three employers, each with a browser of their own (its cache too)
        assert browser.new_page().goto(target).status == 200
    flushed = orm(lambda: counting.verification_counts_flush(now=time.time() + 3600))
    assert flushed["verifications"] == 3

    page = browser.sign_in(
        browser.new_page(), "ada", next_url=f"/learning_credentials/credentials/{available_credential.uuid}/"
    )
    expect(page.locator("#verifications-count")).to_have_text(re.compile(r"^Verified 3 times, last on "))
    assert_accessible(page)
    browser.screenshot(page, "verified-count")
    page.get_by_role("button", name="Stop counting verifications").click()
    expect(page.locator("#counting-state")).to_contain_text("Counting is off")
    assert orm(lambda: Credential.objects.get(pk=available_credential.pk).verifications_counted) is False
    browser.screenshot(page, "counting-off")

"""In Chromium: invalidating in the admin: no reason chosen in advance, the public words, a confirmation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.selectors import public_code
from tests import factories
from tests.browser.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def superuser():
    user = factories.UserFactory(username="root", is_staff=True, is_superuser=True)
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


@pytest.fixture
def credential(configuration, learner):
    credential = factories.CredentialFactory(configuration=configuration, user=learner, learner_name="Ada Lovelace")
    credential.code_shown = public_code(credential)
    return credential


def test_invalidating_shows_the_public_words_and_asks_for_confirmation(browser, credential, superuser, orm):
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    browser.sign_in(page, "root", next_url="/admin/")
    page.goto(reverse("admin:learning_credentials_credential_changelist"))
    page.locator(f'input[name="_selected_action"][value="{credential.pk}"]').check()
    page.locator('select[name="action"]').select_option("invalidate")
    page.get_by_role("button", name="Go").click()

    expect(page.get_by_role("heading", name="Invalidate the credential")).to_be_visible()
    expect(page.locator("[data-final]")).to_contain_text("Invalidation is final")
    radios = page.locator('input[name="category"]')
    assert radios.count() >= 4
    assert not any(radios.nth(index).is_checked() for index in range(radios.count()))
    preview = page.locator("[data-public-wording-preview]")
    expect(preview).to_contain_text("choose a reason below")
    browser.screenshot(page, "form")

    # Nothing chosen, nothing confirmed: refused, and nothing changed.
    page.get_by_role("button", name="Invalidate the credential").click()
    expect(page.get_by_text("Choose the reason the verification page will give.")).to_be_visible()
    expect(page.get_by_text("Tick this box to confirm that the invalidation is final.")).to_be_visible()
    assert orm(lambda: Credential.objects.get(pk=credential.pk).status) == Status.AVAILABLE

    # Choosing a reason shows, at once, what the verification page will say.
    page.locator('input[name="category"][value="refunded"]').check()
    expect(preview).to_contain_text("This credential was revoked on")
    expect(preview).to_contain_text("Reason: Refunded.")
    page.locator('input[name="category"][value="issued_in_error"]').check()
    expect(preview).to_contain_text("Reason: Issued in error.")
    browser.screenshot(page, "reason-chosen")

    page.get_by_label("I understand that invalidation is final").check()
    page.get_by_role("button", name="Invalidate the credential").click()
    expect(page.locator(".messagelist")).to_contain_text("1 credential invalidated.")
    assert orm(lambda: Credential.objects.get(pk=credential.pk).invalidation_reason) == "issued_in_error"
    browser.screenshot(page, "done")

    # The public page says what the form said it would.
    page.goto(reverse("learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid}))
    expect(page.locator("[data-status]")).to_contain_text("This credential was revoked on")
    expect(page.locator("[data-status]")).to_contain_text("Reason: Issued in error.")
    expect(page.locator("dd.code")).to_have_text(credential.code_shown)

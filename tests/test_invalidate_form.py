"""The admin's "Invalidate" step: no reason chosen in advance, the public wording shown, a confirmation asked."""

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.html import strip_tags

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.selectors import public_code
from tests import factories

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/learning_credentials/credential/"


def words(html: str) -> str:
    return " ".join(strip_tags(html).split())


def public_sentence(client, credential: Credential) -> str:
    """What the verification page says about the credential's status, as text."""
    html = client.get(reverse("learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid}))
    return words(re.search(r'<p class="status[^"]*"[^>]*>(.*?)</p>', html.content.decode(), re.S).group(1))


def form_page(admin_client, *credentials: Credential, **data) -> str:
    selected = {"action": "invalidate", "_selected_action": [c.pk for c in credentials]}
    response = admin_client.post(CHANGELIST, {**selected, **data})
    assert response.status_code == 200
    return response


def test_no_reason_is_chosen_in_advance(admin_client, configuration):
    html = form_page(admin_client, factories.CredentialFactory(configuration=configuration)).content.decode()
    radios = re.findall(r'<input type="radio" name="category"[^>]*>', html)
    assert len(radios) >= 4
    assert not any("checked" in radio for radio in radios)
    assert "Invalidation is final" in html
    assert 'name="confirm"' in html


@pytest.mark.parametrize("reason", ["refunded", "issued_in_error", "superseded", "retired", "other"])
def test_each_reason_shows_the_words_the_verification_page_will_use(admin_client, client, configuration, reason):
    credential = factories.CredentialFactory(configuration=configuration)
    html = form_page(admin_client, credential).content.decode()
    radio = rf'<label[^>]*><input type="radio" name="category" value="{reason}"[^>]*>(.*?)</label>'
    label = re.search(radio, html, re.S)
    shown = words(re.search(r"data-public-wording>(.*?)</span>\s*$", label.group(1), re.S).group(1))

    admin_client.post(CHANGELIST, {**_selected(credential), "apply": "1", "category": reason, "confirm": "on"})

    credential.refresh_from_db()
    assert credential.status == Status.INVALIDATED
    assert shown == public_sentence(client, credential)


def test_an_extra_reason_of_the_operator_is_worded_as_the_page_words_it(admin_client, configuration, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXTRA_INVALIDATION_REASONS": {"fraud": "Fraud"}}
    html = form_page(admin_client, factories.CredentialFactory(configuration=configuration)).content.decode()
    assert re.search(r'value="fraud".*?This credential was revoked on .*?\. Reason: Fraud\.', html, re.S)


def _selected(*credentials: Credential) -> dict:
    return {"action": "invalidate", "_selected_action": [c.pk for c in credentials]}


def test_without_a_reason_or_the_confirmation_nothing_changes(admin_client, configuration):
    credential = factories.CredentialFactory(configuration=configuration)
    response = form_page(admin_client, credential, apply="1", note="chargeback")
    errors = response.context["form"].errors
    assert errors["category"] == ["Choose the reason the verification page will give."]
    assert errors["confirm"] == ["Tick this box to confirm that the invalidation is final."]

    response = form_page(admin_client, credential, apply="1", category="refunded")
    assert list(response.context["form"].errors) == ["confirm"]
    html = response.content.decode()
    # The reason chosen stays chosen, and the preview shows its sentence without JavaScript.
    assert re.search(r'<input type="radio" name="category" value="refunded"[^>]*checked', html)
    preview = re.search(r"data-public-wording-preview>(.*?)</div>", html, re.S).group(1)
    assert "This credential was revoked on" in preview and "Reason: Refunded." in preview
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE


def test_messages_print_codes_as_the_public_page_shows_them(admin_client, client, configuration):
    fine = factories.CredentialFactory(configuration=configuration)
    already = factories.CredentialFactory(configuration=configuration)
    admin_client.post(CHANGELIST, {**_selected(already), "apply": "1", "category": "refunded", "confirm": "on"})
    response = admin_client.post(
        CHANGELIST, {**_selected(fine, already), "apply": "1", "category": "other", "confirm": "on"}
    )
    messages = [str(message) for message in get_messages(response.wsgi_request)][-2:]  # this request's
    assert messages[0] == "1 credential invalidated."
    code = public_code(already)
    assert re.fullmatch(r"[0-9A-Z]+-[0-9A-Z]+", code)
    assert messages[1].startswith(f"Not changed: {code}: ")
    assert already.verification_code not in messages[1].replace(code, "")  # never also the ungrouped form
    page = client.get(reverse("learning_credentials:verify", kwargs={"verify_uuid": already.verify_uuid}))
    assert f'<dd class="code">{code}</dd>' in page.content.decode()


def test_the_page_counts_what_it_will_invalidate_and_warns_without_an_error_style(admin_client, configuration):
    one = form_page(admin_client, factories.CredentialFactory(configuration=configuration))
    assert one.context["title"] == "Invalidate the credential"
    html = one.content.decode()
    assert 'class="warning" data-final' in html and 'class="errornote" data-final' not in html  # nothing is wrong yet
    two = form_page(admin_client, *factories.CredentialFactory.create_batch(2, configuration=configuration))
    assert two.context["title"] == "Invalidate 2 credentials"
    assert (
        'value="Invalidate 2 credentials"' in two.content.decode()
        or ">Invalidate 2 credentials<" in two.content.decode()
    )

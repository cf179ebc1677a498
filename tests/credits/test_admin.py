"""The credits admin: types as data, a read-only ledger with "Void", and credits inline on configurations."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Permission
from django.urls import reverse

from learning_credentials.credits.models import ConfigurationCredit, CreditLedgerEntry, CreditType
from learning_credentials.models import CredentialConfiguration
from tests import factories

from .conftest import issue

pytestmark = pytest.mark.django_db


def url(model, view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def configuration_form(configuration, *lines: dict, initial: int = 0) -> dict:
    data = factories.configuration_form_data(
        context_key=str(configuration.learning_context_key),
        credential_type_id=configuration.credential_type.pk,
        **{"credits-TOTAL_FORMS": len(lines), "credits-INITIAL_FORMS": initial},
    )
    for index, line in enumerate(lines):
        data.update({f"credits-{index}-{key}": value for key, value in line.items()})
    return data


def credits_formset(response):
    """The credits inline's formset among the configuration page's inlines."""
    return next(
        inline.formset for inline in response.context["inline_admin_formsets"] if inline.formset.prefix == "credits"
    )


def test_every_credits_page_renders(admin_client, credited, completed):
    credential = issue(credited, completed)
    entry = CreditLedgerEntry.objects.first()
    for model, obj in ((CreditType, entry.credit_type), (CreditLedgerEntry, entry)):
        assert admin_client.get(url(model, "changelist")).status_code == 200
        assert admin_client.get(url(model, "change", obj.pk)).status_code == 200
    assert admin_client.get(url(CreditType, "add")).status_code == 200
    page = admin_client.get(url(CredentialConfiguration, "change", credited.pk)).content.decode()
    assert "credits-TOTAL_FORMS" in page and "24-DEMO1" in page
    assert admin_client.get(url(CredentialConfiguration, "add")).status_code == 200
    page = admin_client.get(url(type(credential), "change", credential.pk)).content.decode()
    assert "continuing-education credits" in page.lower() and "HR-555" in page


def test_staff_add_a_credit_type_without_a_schema_change(admin_client):
    data = {"code": "cpe", "name": "Continuing Professional Education", "unit": "hour", "active": "on"}
    assert admin_client.post(url(CreditType, "add"), data).status_code == 302
    assert CreditType.objects.get(code="CPE").label(Decimal("2")) == "2.00 CPE hours"


def test_credits_are_added_on_the_configuration_page(admin_client, configuration, shrm, hrci):
    lines = (
        {"credit_type": shrm.pk, "amount": "1.50", "activity_id": "24-DEMO1"},
        {"credit_type": hrci.pk, "amount": "2", "activity_id": "HR-555"},
    )
    data = configuration_form(configuration, *lines)
    response = admin_client.post(url(CredentialConfiguration, "change", configuration.pk), data)
    assert response.status_code == 302
    assert sorted(configuration.credits.values_list("credit_type__code", "amount")) == [
        ("HRCI", Decimal("2.00")),
        ("SHRM", Decimal("1.50")),
    ]


@pytest.mark.parametrize(
    "line,field",
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "-1"}, "amount"),
        ({"amount": "100"}, "amount"),
        ({"amount": "1.555"}, "amount"),
        ({"amount": "many"}, "amount"),
        ({"credit_type": 987654}, "credit_type"),
        ({"credit_type": "inactive"}, "credit_type"),
    ],
)
def test_bad_credit_lines_are_shown_on_their_field_and_nothing_is_saved(admin_client, configuration, shrm, line, field):
    if line.get("credit_type") == "inactive":
        inactive = CreditType.objects.create(code="OLD", name="Retired", unit="credit", active=False)
        line = {"credit_type": inactive.pk}
    data = configuration_form(configuration, {"credit_type": shrm.pk, "amount": "1.50", "activity_id": "A", **line})
    response = admin_client.post(url(CredentialConfiguration, "change", configuration.pk), data)
    assert response.status_code == 200
    assert field in credits_formset(response).forms[0].errors
    assert not ConfigurationCredit.objects.exists()


def test_two_lines_of_one_type_are_refused(admin_client, configuration, shrm):
    line = {"credit_type": shrm.pk, "amount": "1.50", "activity_id": "A"}
    data = configuration_form(configuration, line, {**line, "amount": "2.00"})
    response = admin_client.post(url(CredentialConfiguration, "change", configuration.pk), data)
    assert response.status_code == 200
    assert "duplicate" in str(credits_formset(response).non_form_errors())
    assert not ConfigurationCredit.objects.exists()


class TestLedger:
    def test_entries_are_never_added_edited_or_deleted_here(self, admin_client, credited, completed):
        issue(credited, completed)
        entry = CreditLedgerEntry.objects.first()
        assert admin_client.get(url(CreditLedgerEntry, "add")).status_code == 403
        assert admin_client.get(url(CreditLedgerEntry, "delete", entry.pk)).status_code == 403
        page = admin_client.get(url(CreditLedgerEntry, "change", entry.pk)).content.decode()
        assert 'name="_save"' not in page
        admin_client.post(url(CreditLedgerEntry, "change", entry.pk), {"amount": "99.99"})
        entry.refresh_from_db()
        assert entry.amount == Decimal("1.50")

    def test_void_asks_for_a_reason_then_voids(self, admin_client, credited, completed):
        issue(credited, completed)
        entries = list(CreditLedgerEntry.objects.order_by("id"))
        selection = {"action": "void", ACTION_CHECKBOX_NAME: [entries[0].pk]}
        response = admin_client.post(url(CreditLedgerEntry, "changelist"), selection)
        assert response.status_code == 200 and b"Reason" in response.content
        response = admin_client.post(url(CreditLedgerEntry, "changelist"), {**selection, "apply": "1", "reason": ""})
        assert response.status_code == 200  # the reason is required
        assert CreditLedgerEntry.objects.filter(active=True).count() == 2
        data = {**selection, "apply": "1", "reason": "SHRM rejected the activity"}
        assert admin_client.post(url(CreditLedgerEntry, "changelist"), data).status_code == 302
        voided = CreditLedgerEntry.objects.get(pk=entries[0].pk)
        assert voided.active is None and voided.void_reason == "SHRM rejected the activity"
        assert voided.voided_by.username == "admin"
        assert CreditLedgerEntry.objects.get(pk=entries[1].pk).active is True

    def test_voiding_needs_its_permission(self, client, credited, completed):
        issue(credited, completed)
        entry = CreditLedgerEntry.objects.first()
        clerk = factories.UserFactory(username="clerk", is_staff=True)
        clerk.user_permissions.add(Permission.objects.get(codename="view_creditledgerentry"))
        client.force_login(clerk)
        data = {"action": "void", ACTION_CHECKBOX_NAME: [entry.pk], "apply": "1", "reason": "no"}
        client.post(url(CreditLedgerEntry, "changelist"), data)
        assert CreditLedgerEntry.objects.get(pk=entry.pk).active is True
        clerk.user_permissions.add(Permission.objects.get(codename="void_creditledgerentry"))
        client.post(url(CreditLedgerEntry, "changelist"), data)
        assert CreditLedgerEntry.objects.get(pk=entry.pk).active is None

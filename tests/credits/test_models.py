"""Credit types as data, validated credit lines, and the ledger's database constraints on every engine."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.utils import timezone

from learning_credentials.credits.models import ConfigurationCredit, CreditLedgerEntry, CreditType
from tests import factories

pytestmark = pytest.mark.django_db


def test_models_and_migrations_agree():
    out = io.StringIO()
    call_command("makemigrations", "learning_credentials_credits", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_the_data_migration_offers_shrm_and_hrci():
    types = {kind.code: kind for kind in CreditType.objects.filter(code__in=["SHRM", "HRCI"])}
    assert set(types) == {"SHRM", "HRCI"}
    assert types["SHRM"].active and types["SHRM"].unit == "PDC"
    assert types["HRCI"].label(Decimal("1.5")) == "1.50 HRCI credits"


def test_staff_add_types_as_data_with_codes_in_capitals():
    cpe = CreditType.objects.create(code=" cpe ", name="Continuing Professional Education", unit="hour")
    assert cpe.code == "CPE"
    assert cpe.label(Decimal("1")) == "1.00 CPE hour"
    assert cpe.label(Decimal("2.5")) == "2.50 CPE hours"
    duplicate = CreditType(code="Cpe", name="Again", unit="hour")
    with pytest.raises(ValidationError) as caught:
        duplicate.full_clean()
    assert "code" in caught.value.message_dict


class TestCreditLines:
    def line(self, configuration, credit_type, amount="1.50", **kwargs) -> ConfigurationCredit:
        return ConfigurationCredit(configuration=configuration, credit_type=credit_type, amount=amount, **kwargs)

    @pytest.mark.parametrize(
        "amount", ["0", "0.00", "-1.50", "100", "99.999", "1.555", "abc", "", None, "NaN", "Infinity"]
    )
    def test_a_bad_amount_is_refused_on_the_field_and_nothing_is_saved(self, configuration, shrm, amount):
        with pytest.raises(ValidationError) as caught:
            self.line(configuration, shrm, amount).save()
        assert "amount" in caught.value.message_dict
        assert not ConfigurationCredit.objects.exists()

    @pytest.mark.parametrize("amount", ["0.01", "1.5", "99.99", 3])
    def test_amounts_from_a_hundredth_to_99_99_are_saved(self, configuration, shrm, amount):
        line = self.line(configuration, shrm, amount)
        line.save()
        line.refresh_from_db()
        assert line.amount == Decimal(str(amount))

    def test_an_inactive_type_cannot_be_added(self, configuration, shrm):
        shrm.active = False
        shrm.save()
        with pytest.raises(ValidationError) as caught:
            self.line(configuration, shrm).save()
        assert "inactive" in caught.value.message_dict["credit_type"][0]

    def test_an_unknown_type_is_refused_on_the_field(self, configuration):
        with pytest.raises(ValidationError) as caught:
            ConfigurationCredit(configuration=configuration, credit_type_id=987654, amount="1.00").save()
        assert "credit_type" in caught.value.message_dict

    def test_a_line_keeps_its_type_after_the_type_is_deactivated(self, configuration, shrm):
        line = self.line(configuration, shrm)
        line.save()
        CreditType.objects.filter(pk=shrm.pk).update(active=False)
        line = ConfigurationCredit.objects.get(pk=line.pk)
        line.activity_id = "NEW-ID"
        line.save()  # editing another field of an existing line is allowed

    def test_one_line_per_credit_type_per_configuration(self, configuration, shrm, hrci):
        self.line(configuration, shrm).save()
        self.line(configuration, hrci).save()
        with pytest.raises(ValidationError) as caught:
            self.line(configuration, shrm, "2.00").save()
        assert "already awards this credit type" in str(caught.value)
        with pytest.raises(IntegrityError), transaction.atomic():
            ConfigurationCredit.objects.bulk_create([self.line(configuration, shrm, "2.00")])  # bypasses validation
        assert ConfigurationCredit.objects.filter(configuration=configuration).count() == 2


class TestLedgerConstraints:
    def entry(self, learner, credit_type, **kwargs) -> CreditLedgerEntry:
        return CreditLedgerEntry(
            user=learner, context_key=factories.COURSE_KEY, credit_type=credit_type, amount=Decimal("1.50"), **kwargs
        )

    def test_a_manual_insert_duplicating_an_active_entry_fails_on_the_database_constraint(self, learner, shrm):
        """The seed's check: uniqueness is the database's, not only the service's."""
        self.entry(learner, shrm).save()
        with pytest.raises(IntegrityError) as caught, transaction.atomic():
            self.entry(learner, shrm).save()
        message = str(caught.value).lower()
        assert "lcc_one_active_entry_per_user_context_type" in message or "unique constraint failed" in message
        assert CreditLedgerEntry.objects.count() == 1

    def test_validation_explains_the_duplicate_in_words(self, learner, shrm):
        self.entry(learner, shrm).save()
        with pytest.raises(ValidationError, match="earns each credit type once per context"):
            self.entry(learner, shrm).full_clean()

    def test_voided_entries_do_not_count_against_the_one_active_entry(self, learner, shrm, hrci):
        now = timezone.now()
        self.entry(learner, shrm, active=None, voided_at=now, void_reason="refunded").save()
        self.entry(learner, shrm, active=None, voided_at=now, void_reason="refunded again").save()
        self.entry(learner, shrm).save()
        self.entry(learner, hrci).save()
        other = factories.UserFactory()
        self.entry(other, shrm).save()
        assert CreditLedgerEntry.objects.filter(active=True).count() == 3

    @pytest.mark.parametrize(
        "fields",
        [
            {"active": None},  # not voided but not active
            {"voided_at": "now"},  # voided but still active
            {"active": False},  # only True or NULL
        ],
    )
    def test_the_active_flag_cannot_drift_from_voided_at(self, learner, shrm, fields):
        fields = {key: timezone.now() if value == "now" else value for key, value in fields.items()}
        with pytest.raises(IntegrityError), transaction.atomic():
            self.entry(learner, shrm, **fields).save()

    @pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-1")])
    def test_the_database_refuses_amounts_out_of_range(self, learner, shrm, amount):
        entry = self.entry(learner, shrm)
        entry.amount = amount
        with pytest.raises(IntegrityError), transaction.atomic():
            entry.save()

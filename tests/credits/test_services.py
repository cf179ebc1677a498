"""Awarding with the credential, once; voiding or re-linking on invalidation; moving on reissue."""

from decimal import Decimal

import pytest
from django.db import transaction

from learning_credentials.credits.models import CreditLedgerEntry, CreditType
from learning_credentials.credits.selectors import credit_entries, credit_totals
from learning_credentials.credits.services import credit_entry_void, credits_award
from learning_credentials.exceptions import CreditError, CreditTypeInactive, InvalidCreditAmount, UnknownCreditType
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.refunds import RefundNotice, refund_process
from tests import factories

from .conftest import OTHER_COURSE, SOURCE, award_lines, issue, second_configuration

pytestmark = pytest.mark.django_db


def active(user) -> list[tuple[str, Decimal]]:
    return sorted(CreditLedgerEntry.objects.filter(user=user, active=True).values_list("credit_type__code", "amount"))


def totals(user) -> dict[str, Decimal]:
    return {total.code: total.total for total in credit_totals(credit_entries(user_id=user.pk))}


class TestAward:
    def test_awarding_twice_returns_the_existing_entry_only(self, learner, shrm):
        """The seed's check: the second call returns the first entry's id and creates nothing."""
        first = credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount="1.50")
        second = credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type="shrm", amount="3")
        assert second.pk == first.pk and second.amount == Decimal("1.50")
        assert CreditLedgerEntry.objects.count() == 1

    def test_the_same_type_in_another_context_is_another_entry(self, learner, shrm):
        credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount=1)
        credits_award(user_id=learner.pk, context_key=OTHER_COURSE, credit_type=shrm, amount=2)
        assert totals(learner) == {"SHRM": Decimal("3.00")}

    @pytest.mark.parametrize(
        "credit_type,amount,error",
        [
            ("CEU", "1.00", UnknownCreditType),
            ("SH\x00RM", "1.00", UnknownCreditType),
            ("SHRM", "0", InvalidCreditAmount),
            ("SHRM", "-1", InvalidCreditAmount),
            ("SHRM", "100", InvalidCreditAmount),
            ("SHRM", "1.555", InvalidCreditAmount),
            ("SHRM", "lots", InvalidCreditAmount),
            ("SHRM", True, InvalidCreditAmount),
            ("SHRM", None, InvalidCreditAmount),
        ],
    )
    def test_bad_input_is_refused_and_changes_nothing(self, learner, shrm, credit_type, amount, error):
        with pytest.raises(error):
            credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=credit_type, amount=amount)
        assert not CreditLedgerEntry.objects.exists()

    def test_an_inactive_type_cannot_be_awarded(self, learner, shrm):
        CreditType.objects.filter(pk=shrm.pk).update(active=False)
        with pytest.raises(CreditTypeInactive):
            credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type="SHRM", amount="1")
        assert not CreditLedgerEntry.objects.exists()


class TestWithIssuance:
    def test_issuing_awards_the_configurations_credits_in_the_same_transaction(self, credited, completed):
        credential = issue(credited, completed)
        entries = list(CreditLedgerEntry.objects.filter(user=completed).order_by("id"))
        assert [(e.credit_type.code, e.amount, e.activity_id) for e in entries] == [
            ("SHRM", Decimal("1.50"), "24-DEMO1"),
            ("HRCI", Decimal("1.50"), "HR-555"),
        ]
        assert all(e.credential_id == credential.pk and str(e.context_key) == factories.COURSE_KEY for e in entries)

    def test_credits_roll_back_with_the_credential(self, credited, completed):
        with pytest.raises(RuntimeError), transaction.atomic():
            issue(credited, completed)
            raise RuntimeError("the issue fails after the insert")
        assert not Credential.objects.exists() and not CreditLedgerEntry.objects.exists()

    def test_a_repeated_issue_awards_nothing_more(self, credited, completed):
        issue(credited, completed)
        issue(credited, completed)
        assert CreditLedgerEntry.objects.count() == 2

    def test_a_run_awards_every_learner_of_its_chunk(self, credited, course, django_capture_on_commit_callbacks):
        users = [factories.UserFactory(username=f"chunk{i}") for i in range(5)]
        for user in users:
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
        with django_capture_on_commit_callbacks(execute=True):
            configuration_issue_chunk(
                configuration_id=credited.pk, user_ids=[u.pk for u in users], run_id=None, source=SOURCE
            )
        assert CreditLedgerEntry.objects.filter(active=True).count() == 10
        for user in users:
            assert active(user) == [("HRCI", Decimal("1.50")), ("SHRM", Decimal("1.50"))]

    def test_two_configurations_of_a_context_award_a_credit_type_once(self, credited, completed, shrm, hrci):
        """The seed's rule: no duplicate award per learner, context and credit type."""
        other = second_configuration()
        award_lines(other, (shrm, "3.00", "24-OTHER"))
        first = issue(credited, completed)
        second = issue(other, completed, manual=True)
        assert active(completed) == [("HRCI", Decimal("1.50")), ("SHRM", Decimal("1.50"))]
        assert not CreditLedgerEntry.objects.filter(credential=second).exists()
        assert CreditLedgerEntry.objects.filter(credential=first).count() == 2

    def test_an_inactive_type_on_a_configuration_is_not_awarded(self, credited, completed, hrci):
        CreditType.objects.filter(pk=hrci.pk).update(active=False)
        issue(credited, completed)
        assert active(completed) == [("SHRM", Decimal("1.50"))]

    def test_no_credits_configured_no_entries(self, configuration, completed):
        issue(configuration, completed)
        assert not CreditLedgerEntry.objects.exists()


class TestReversal:
    @pytest.mark.parametrize("category", ["refunded", "issued_in_error"])
    def test_invalidation_voids_the_credits_and_the_audit_trail_says_so(self, credited, completed, category):
        credential = issue(credited, completed)
        credential_invalidate(credential=credential, category=category, source=SOURCE)
        entries = CreditLedgerEntry.objects.filter(credential=credential)
        assert entries.count() == 2  # voided, never deleted
        assert all(e.active is None and e.voided_at and category in e.void_reason for e in entries)
        assert totals(completed) == {}
        event = credential.events.filter(kind=CredentialEvent.Kind.INVALIDATED, details__has_key="credits").get()
        assert event.details["credits"] == {"voided": ["1.50 SHRM PDCs", "1.50 HRCI credits"], "relinked": {}}

    def test_a_full_refund_through_the_webhook_service_voids_the_credits(self, credited, completed):
        credential = issue(credited, completed)
        notice = RefundNotice(
            event_id="evt_credits",
            context_key=credited.learning_context_key,
            amount=Decimal("49"),
            amount_refunded=Decimal("49"),
            currency="EUR",
            username=completed.username,
        )
        result = refund_process(notice=notice)
        assert result.credentials == [str(credential.pk)]
        assert active(completed) == []
        assert CreditLedgerEntry.objects.filter(credential=credential, voided_at__isnull=False).count() == 2

    def test_credits_another_live_credential_awards_are_relinked_not_voided(self, credited, completed, shrm):
        other = second_configuration()
        award_lines(other, (shrm, "2.00", "24-OTHER"))
        first = issue(credited, completed)
        second = issue(other, completed, manual=True)
        credential_invalidate(credential=first, category="refunded", source=SOURCE)
        shrm_entry = CreditLedgerEntry.objects.get(credit_type=shrm, active=True)
        assert shrm_entry.credential_id == second.pk
        assert (shrm_entry.amount, shrm_entry.activity_id) == (Decimal("2.00"), "24-OTHER")
        assert shrm_entry.metadata["relinked_from"] == str(first.pk)
        assert active(completed) == [("SHRM", Decimal("2.00"))]  # HRCI came only with the refunded credential
        details = first.events.get(details__has_key="credits").details["credits"]
        assert details == {"voided": ["1.50 HRCI credits"], "relinked": {"2.00 SHRM PDCs": str(second.verify_uuid)}}

    def test_a_credential_in_another_context_does_not_keep_them(self, credited, completed, shrm):
        factories.make_course(OTHER_COURSE, "Another course")
        other = second_configuration(OTHER_COURSE)
        award_lines(other, (shrm, "2.00", "24-OTHER"))
        first = issue(credited, completed)
        issue(other, completed, manual=True)
        credential_invalidate(credential=first, category="refunded", source=SOURCE)
        assert active(completed) == [("SHRM", Decimal("2.00"))]
        assert CreditLedgerEntry.objects.get(credit_type=shrm, active=True).context_key == other.learning_context_key

    def test_a_reissue_moves_the_credits_to_the_new_credential(self, credited, completed):
        old = issue(credited, completed)
        before = list(CreditLedgerEntry.objects.order_by("id").values_list("pk", flat=True))
        new = credential_reissue(credential=old, source=SOURCE, reason="name change")
        entries = CreditLedgerEntry.objects.order_by("id")
        assert list(entries.values_list("pk", flat=True)) == before  # moved, not voided and awarded again
        assert all(entry.credential_id == new.pk and entry.active for entry in entries)
        assert totals(completed) == {"HRCI": Decimal("1.50"), "SHRM": Decimal("1.50")}

    def test_a_credential_superseded_by_hand_releases_its_credits_after_commit(
        self, credited, completed, django_capture_on_commit_callbacks
    ):
        credential = issue(credited, completed)
        with django_capture_on_commit_callbacks(execute=True):
            credential_invalidate(credential=credential, category="superseded", source=SOURCE)
        assert active(completed) == []
        assert CreditLedgerEntry.objects.filter(voided_at__isnull=False).count() == 2

    def test_after_a_refund_a_staff_award_awards_the_credits_again(self, credited, completed):
        credential = issue(credited, completed)
        credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        again = credential_issue(user_id=completed.pk, configuration=credited, source=SOURCE, manual=True)
        assert active(completed) == [("HRCI", Decimal("1.50")), ("SHRM", Decimal("1.50"))]
        assert CreditLedgerEntry.objects.filter(credential=again, active=True).count() == 2
        assert CreditLedgerEntry.objects.count() == 4


class TestVoidByHand:
    def test_staff_void_an_entry_with_a_reason_once(self, learner, shrm, staff_user):
        entry = credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount="1")
        voided = credit_entry_void(entry=entry, reason="Accrediting body rejected the activity", actor_id=staff_user.pk)
        assert voided.active is None and voided.voided_by == staff_user
        again = credit_entry_void(entry=entry, reason="twice", actor_id=staff_user.pk)
        assert again.void_reason == "Accrediting body rejected the activity"
        assert totals(learner) == {}

    def test_a_reason_is_required(self, learner, shrm):
        entry = credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount="1")
        with pytest.raises(CreditError):
            credit_entry_void(entry=entry, reason="  ")
        entry.refresh_from_db()
        assert entry.active is True


def test_totals_add_up_active_entries_per_type(learner, shrm, hrci):
    credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount="1.50")
    credits_award(user_id=learner.pk, context_key=OTHER_COURSE, credit_type=shrm, amount="2.25")
    voided = credits_award(user_id=learner.pk, context_key=OTHER_COURSE, credit_type=hrci, amount="5")
    credit_entry_void(entry=voided, reason="rejected")
    credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type=hrci, amount="1")
    listed = credit_totals(credit_entries(user_id=learner.pk))
    assert [(t.code, t.total, t.label) for t in listed] == [
        ("HRCI", Decimal("1.00"), "1.00 HRCI credit"),
        ("SHRM", Decimal("3.75"), "3.75 SHRM PDCs"),
    ]

"""Reminders before a credential expires, and renewal when its holder meets the criteria again."""

import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from sandbox.lms import models as lms

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.exceptions import InvalidTransition
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, CredentialRun, ExpiryReminder
from learning_credentials.selectors import credential_public_status
from learning_credentials.services import credential_issue
from learning_credentials.services.configuration import configuration_plan, configuration_run
from learning_credentials.services.issuance import credential_renew
from learning_credentials.services.on_demand import Outcome, credential_request
from learning_credentials.services.progress import learner_progress_check
from learning_credentials.services.renewal import expiry_reminders_send, reminders_schedule_ensure
from learning_credentials.services.suspension import credential_suspend
from tests import factories
from tests.concurrency import run_together
from tests.credits.conftest import award_lines, credit_type

SOURCE = CredentialEvent.Source.API
Kind = CredentialEvent.Kind
DAY = timedelta(days=1)


@pytest.fixture
def yearly(configuration):
    """Valid for 12 months, reminders 60 and 7 days before expiry."""
    configuration.validity_period = 12
    configuration.reminder_days = "60, 7"
    configuration.renewal_instructions = "Complete the refresher module."
    configuration.save()
    return configuration


@pytest.fixture
def completed(learner, course):
    factories.set_completion(learner, course, 1.0)
    return learner


@pytest.fixture
def held(yearly, completed, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=completed.pk, configuration=yearly, source=SOURCE)
    mail.outbox.clear()
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


def age(credential: Credential, *, expires_in: timedelta) -> Credential:
    """As if the credential had been issued a year before the given expiry."""
    expires = timezone.now() + expires_in
    Credential.objects.filter(pk=credential.pk).update(created=expires - 365 * DAY, expires_at=expires)
    credential.refresh_from_db()
    return credential


def progress_dated(user, course, when) -> None:
    """The learner's completion as the host dates it (auto_now would say 'now')."""
    lms.Completion.objects.filter(user=user, course=course).update(modified=when)


@pytest.mark.django_db
class TestReminders:
    def test_each_offset_once_then_the_nearer_one(self, held, learner):
        age(held, expires_in=45 * DAY)
        assert expiry_reminders_send() == {"sent": 1, "failed": 0}
        assert expiry_reminders_send() == {"sent": 0, "failed": 0}
        [email] = mail.outbox
        assert email.to == [learner.email] and "expires on" in email.subject
        assert "expires in 45 days" in email.body and "Complete the refresher module." in email.body
        assert email.extra_headers["Content-Language"] == "en"
        assert f"/learning_credentials/credentials/{held.uuid}/" in email.body
        age(held, expires_in=5 * DAY)
        assert expiry_reminders_send() == {"sent": 1, "failed": 0}
        assert expiry_reminders_send()["sent"] == 0
        assert sorted(ExpiryReminder.objects.values_list("days_before", flat=True)) == [7, 60]
        assert [e.details["days_before"] for e in held.events.filter(kind=Kind.EXPIRY_REMINDED)] == [60, 7]

    def test_a_late_run_sends_only_the_nearer_reminder(self, held):
        age(held, expires_in=3 * DAY)
        assert expiry_reminders_send()["sent"] == 1
        assert list(ExpiryReminder.objects.values_list("days_before", flat=True)) == [7]
        assert expiry_reminders_send()["sent"] == 0

    def test_in_the_learner_s_language(self, held, learner):
        learner.profile.language = "fr"
        learner.profile.save()
        age(held, expires_in=6 * DAY)
        expiry_reminders_send()
        assert mail.outbox[0].extra_headers["Content-Language"] == "fr"
        assert held.events.get(kind=Kind.EXPIRY_REMINDED).details["language"] == "fr"

    @pytest.mark.parametrize("state", ["suspended", "invalidated", "expired", "never_expires", "not_yet"])
    def test_no_reminder_when_it_would_mean_nothing(self, held, state):
        age(held, expires_in=5 * DAY)
        if state == "suspended":
            credential_suspend(credential=held, reason="inquiry", source="admin")
        elif state == "invalidated":
            Credential.objects.filter(pk=held.pk).update(status=Status.INVALIDATED, active=None)
        elif state == "expired":
            age(held, expires_in=-DAY)
        elif state == "never_expires":
            Credential.objects.filter(pk=held.pk).update(expires_at=None)
        else:
            age(held, expires_in=90 * DAY)
        assert expiry_reminders_send() == {"sent": 0, "failed": 0}
        assert not mail.outbox and not ExpiryReminder.objects.exists()

    def test_a_failed_email_is_audited_and_sent_at_the_next_run(self, held, settings):
        age(held, expires_in=5 * DAY)
        settings.EMAIL_BACKEND = "tests.test_renewal.RefusingBackend"
        assert expiry_reminders_send() == {"sent": 0, "failed": 1}
        assert not ExpiryReminder.objects.exists()
        assert "mail server said no" in held.events.get(kind=Kind.EMAIL_FAILED).reason
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert expiry_reminders_send() == {"sent": 1, "failed": 0}

    def test_a_fixed_number_of_queries_per_batch(self, yearly, course):
        def queries(count: int) -> int:
            credentials = []
            for _ in range(count):
                user = factories.UserFactory()
                credentials.append(factories.CredentialFactory(user=user, configuration=yearly))
            for credential in credentials:
                Credential.objects.filter(pk=credential.pk).update(
                    created=timezone.now() - 300 * DAY, expires_at=timezone.now() + 5 * DAY
                )
            with CaptureQueriesContext(connection) as captured:
                assert expiry_reminders_send()["sent"] == count
            return len(captured)

        assert queries(2) == queries(7)

    def test_the_beat_entry_runs_hourly(self, db):
        entry = reminders_schedule_ensure()
        assert entry.task == "learning_credentials.send_expiry_reminders" and entry.interval.every == 3600


class RefusingBackend:
    def __init__(self, *args, **kwargs):
        pass

    def open(self):
        raise ConnectionRefusedError("the mail server said no")

    def close(self):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("the mail server said no")


@pytest.mark.django_db(transaction=True)
def test_concurrent_reminder_runs_send_each_reminder_once(yearly, course):
    users = [factories.UserFactory() for _ in range(6)]
    for user in users:
        credential = factories.CredentialFactory(user=user, configuration=yearly)
        Credential.objects.filter(pk=credential.pk).update(
            created=timezone.now() - 300 * DAY, expires_at=timezone.now() + 5 * DAY
        )
    results = run_together(expiry_reminders_send, workers=4)
    assert sum(result["sent"] for result in results) == 6
    assert len(mail.outbox) == 6 and ExpiryReminder.objects.count() == 6


def renewed_pair(old: Credential) -> tuple[Credential, Credential]:
    old.refresh_from_db()
    return old, Credential.objects.get(replaces=old)


def assert_renewed(old: Credential, new: Credential) -> None:
    assert old.status == Status.INVALIDATED and old.invalidation_reason == "renewed"
    assert new.status == Status.AVAILABLE and new.active
    assert new.expires_at > old.expires_at and new.expires_at.year == new.created.year + 1
    assert old.events.filter(kind=Kind.RENEWED).exists() and new.events.filter(kind=Kind.RENEWED).exists()


@pytest.mark.django_db
class TestRenewal:
    def test_a_run_renews_the_holders_it_is_due_for_and_no_one_else(
        self, held, yearly, course, django_capture_on_commit_callbacks
    ):
        other = factories.UserFactory()
        factories.enroll(other)
        factories.set_completion(other, course, 1.0)
        not_due = credential_issue(user_id=other.pk, configuration=yearly, source=SOURCE)
        age(not_due, expires_in=200 * DAY)
        age(held, expires_in=5 * DAY)
        assert configuration_plan(configuration=yearly).to_renew == [held.user_id]
        dry = io.StringIO()
        call_command("generate_credentials", "--configuration", str(yearly.pk), "--dry-run", stdout=dry)
        assert f"would renew '{yearly.credential_type.slug}' of user {held.user_id}" in dry.getvalue()
        with django_capture_on_commit_callbacks(execute=True):
            run = configuration_run(configuration_id=yearly.pk, source="schedule", inline=True)
        old, new = renewed_pair(held)
        assert_renewed(old, new)
        assert (run.renewed, run.issued, run.failed) == (1, 1, 0)
        [email] = mail.outbox  # the learner hears of the renewed credential as of any new one
        assert email.to == [held.user.email] and "is ready" in email.subject
        assert not Credential.objects.filter(replaces=not_due).exists()
        # Renewed once: the next run finds nothing due.
        assert configuration_run(configuration_id=yearly.pk, source="schedule", inline=True).renewed == 0

    def test_an_expired_credential_is_renewed_too_but_not_for_a_learner_who_no_longer_qualifies(
        self, held, yearly, course, learner
    ):
        age(held, expires_in=-30 * DAY)
        factories.set_completion(learner, course, 0.5)
        assert configuration_plan(configuration=yearly).to_renew == []
        factories.set_completion(learner, course, 1.0)
        configuration_run(configuration_id=yearly.pk, source="schedule", inline=True)
        assert_renewed(*renewed_pair(held))

    def test_the_old_page_says_renewed_by_with_a_link(self, client, held, django_capture_on_commit_callbacks):
        age(held, expires_in=5 * DAY)
        with django_capture_on_commit_callbacks(execute=True):
            new = credential_renew(credential=held, source=SOURCE, reason="renewal")
        new.refresh_from_db()
        held.refresh_from_db()
        page = client.get(f"/learning_credentials/verify/{held.verify_uuid}/").content.decode()
        assert 'data-status="superseded"' in page and "This credential was renewed on" in page
        assert f'href="https://lms.example.com/learning_credentials/verify/{new.verify_uuid}/" data-renewed-by' in page
        answer = client.get(f"/api/learning_credentials/v1/metadata/{held.verify_uuid}/").json()
        assert (answer["status"], answer["reason"]) == ("superseded", "renewed")
        assert answer["superseded_by"].endswith(f"/verify/{new.verify_uuid}/")

    def test_a_progress_event_renews(self, held, learner):
        age(held, expires_in=5 * DAY)
        outcomes = learner_progress_check(
            user_id=learner.pk, context_key=str(held.configuration.learning_context_key), source="event"
        )
        assert outcomes == {held.configuration_id: "issued"}
        assert_renewed(*renewed_pair(held))

    def test_a_progress_event_of_a_holder_not_due_is_a_duplicate(self, held, learner):
        age(held, expires_in=100 * DAY)
        outcomes = learner_progress_check(
            user_id=learner.pk, context_key=str(held.configuration.learning_context_key), source="event"
        )
        assert outcomes == {held.configuration_id: "duplicate"}

    def test_on_demand_renews_when_due_and_qualified_else_gives_what_is_held(self, held, learner, course):
        age(held, expires_in=-DAY)
        factories.set_completion(learner, course, 0.2)
        same, _ = credential_request(user=learner, configuration=held.configuration)
        assert same.pk == held.pk
        factories.set_completion(learner, course, 1.0)
        new, outcome = credential_request(user=learner, configuration=held.configuration, budget_seconds=0)
        assert new.replaces_id == held.pk and outcome == Outcome.QUEUED  # generated in the background
        held.refresh_from_db()
        assert held.invalidation_reason == "renewed" and new.expires_at > held.expires_at

    def test_credits_move_to_the_renewed_credential(self, yearly, completed, django_capture_on_commit_callbacks):
        shrm = credit_type("SHRM", "SHRM Professional Development Credits", "PDC", "PDCs")
        award_lines(yearly, (shrm, "1.50", "24-DEMO1"))
        with django_capture_on_commit_callbacks(execute=True):
            held = credential_issue(user_id=completed.pk, configuration=yearly, source=SOURCE)
        age(held, expires_in=5 * DAY)
        with django_capture_on_commit_callbacks(execute=True):
            new = credential_renew(credential=held, source=SOURCE)
        entries = CreditLedgerEntry.objects.filter(user=completed)
        assert entries.count() == 1
        assert entries.get().credential_id == new.pk and entries.get().active

    def test_the_fresh_achievement_rule(self, held, yearly, learner, course):
        yearly.renewal_requires_fresh_achievement = True
        yearly.save()
        age(held, expires_in=5 * DAY)
        progress_dated(learner, course, held.created - DAY)  # completed before the credential was issued
        assert configuration_plan(configuration=yearly).to_renew == []
        outcomes = learner_progress_check(
            user_id=learner.pk, context_key=str(yearly.learning_context_key), source="event"
        )
        assert outcomes == {yearly.pk: "duplicate"}
        progress_dated(learner, course, timezone.now())  # a new completion since
        assert configuration_plan(configuration=yearly).to_renew == [learner.pk]
        configuration_run(configuration_id=yearly.pk, source="schedule", inline=True)
        assert_renewed(*renewed_pair(held))

    def test_a_suspended_credential_is_not_renewed(self, held, yearly):
        age(held, expires_in=5 * DAY)
        credential_suspend(credential=held, reason="inquiry", source="admin")
        assert configuration_plan(configuration=yearly).to_renew == []
        with pytest.raises(InvalidTransition, match="lift the suspension before renewing"):
            credential_renew(credential=held, source="admin")

    def test_staff_renew_from_the_admin_with_a_reason(self, admin_client, admin_user, held):
        changelist = reverse("admin:learning_credentials_credential_changelist")
        selected = {"action": "renew", "_selected_action": [held.pk]}
        assert "reason" in admin_client.post(changelist, selected).context["form"].fields
        admin_client.post(changelist, {**selected, "apply": "1", "reason": "renewed at the annual review"})
        old, new = renewed_pair(held)
        event = new.events.get(kind=Kind.RENEWED)
        assert (event.actor_id, event.reason) == (admin_user.pk, "renewed at the annual review")
        assert old.invalidation_reason == "renewed" and new.expires_at > old.expires_at

    def test_a_renewed_credential_is_valid_with_its_new_expiry(self, held):
        age(held, expires_in=-DAY)
        assert credential_public_status(held).status == "expired"
        new = credential_renew(credential=held, source=SOURCE)
        status = credential_public_status(new)
        assert status.status == "valid" and status.expires_at == new.expires_at

    def test_run_counts_are_recorded(self, held, yearly):
        age(held, expires_in=5 * DAY)
        configuration_run(configuration_id=yearly.pk, source="schedule", inline=True)
        assert CredentialRun.objects.get(configuration=yearly).renewed == 1

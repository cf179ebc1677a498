"""Reminders before a credential expires, and renewal when its holder meets the criteria again."""

import io
import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from sandbox.lms import models as lms

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.exceptions import InvalidTransition
from learning_credentials.lifecycle import Status
from learning_credentials.models import (
    Credential,
    CredentialConfiguration,
    CredentialEvent,
    CredentialRun,
    ExpiryReminder,
)
from learning_credentials.selectors import credential_public_status
from learning_credentials.services import credential_issue
from learning_credentials.services.configuration import configuration_plan, configuration_run
from learning_credentials.services.issuance import credential_reissue, credential_renew
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
    Credential.objects.filter(pk=credential.pk).update(
        created=expires - 365 * DAY, valid_from=expires - 365 * DAY, expires_at=expires
    )
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

    def test_without_instructions_one_sentence_says_how_to_renew(self, held, client, learner):
        CredentialConfiguration.objects.filter(pk=held.configuration_id).update(renewal_instructions="")
        age(held, expires_in=45 * DAY)
        assert expiry_reminders_send()["sent"] == 1
        [email] = mail.outbox
        sentence = f"To renew it, meet the requirements of {held.context_name} again."
        assert sentence in email.body and sentence in email.alternatives[0][0]
        client.force_login(learner)
        page = client.get(f"/learning_credentials/credentials/{held.uuid}/").content.decode()
        assert sentence in page and "To renew it:" not in page

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

    def test_a_failed_email_is_audited_and_tried_at_the_next_runs_three_times_at_most(self, held, settings):
        age(held, expires_in=5 * DAY)
        settings.EMAIL_BACKEND = "tests.test_renewal.RefusingBackend"
        hour = timedelta(hours=1)
        assert expiry_reminders_send() == {"sent": 0, "failed": 1}
        reminder = ExpiryReminder.objects.get()
        assert (reminder.days_before, reminder.attempts, reminder.sent_at) == (7, 1, None)
        assert "mail server said no" in held.events.get(kind=Kind.EMAIL_FAILED).reason
        assert expiry_reminders_send() == {"sent": 0, "failed": 0}  # claimed a moment ago: left alone
        assert expiry_reminders_send(now=timezone.now() + hour) == {"sent": 0, "failed": 1}
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert expiry_reminders_send(now=timezone.now() + 2 * hour) == {"sent": 1, "failed": 0}
        reminder.refresh_from_db()
        assert reminder.attempts == 3 and reminder.sent_at is not None and len(mail.outbox) == 1
        assert expiry_reminders_send(now=timezone.now() + 3 * hour)["sent"] == 0

    def test_a_reminder_that_keeps_failing_is_given_up_after_three_tries(self, held, settings):
        age(held, expires_in=5 * DAY)
        settings.EMAIL_BACKEND = "tests.test_renewal.RefusingBackend"
        for hours in range(6):
            expiry_reminders_send(now=timezone.now() + timedelta(hours=hours))
        assert ExpiryReminder.objects.get().attempts == 3
        assert held.events.filter(kind=Kind.EMAIL_FAILED).count() == 3

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


@pytest.mark.django_db
def test_a_chunk_renews_in_bulk_with_a_fixed_number_of_queries(yearly, course):
    from learning_credentials.services.configuration import configuration_issue_chunk

    shrm = credit_type("SHRM", "SHRM Professional Development Credits", "PDC", "PDCs")
    award_lines(yearly, (shrm, "1.50", "24-DEMO1"))

    def queries(count: int) -> int:
        users = [factories.UserFactory() for _ in range(count)]
        for user in users:
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
            credential = credential_issue(user_id=user.pk, configuration=yearly, source=SOURCE)
            Credential.objects.filter(pk=credential.pk).update(status=Status.AVAILABLE, lease_expires_at=None)
            age(credential, expires_in=5 * DAY)
        with CaptureQueriesContext(connection) as captured:
            counts = configuration_issue_chunk(
                configuration_id=yearly.pk, user_ids=[u.pk for u in users], run_id=None, source="schedule"
            )
        assert counts == {"issued": count, "failed": 0, "renewed": count}
        renewed = Credential.objects.filter(user__in=users, replaces__isnull=False, status=Status.AVAILABLE)
        assert renewed.count() == count
        credits = CreditLedgerEntry.objects.filter(user__in=users, active=True)
        assert {entry.credential_id for entry in credits} == set(renewed.values_list("pk", flat=True))
        return len(captured)

    assert queries(2) == queries(6)


class SlowBackend(LocmemBackend):
    """A mail server that takes its time: a batch is sending while the test acts."""

    def send_messages(self, messages):
        time.sleep(2)
        return super().send_messages(messages)


@pytest.mark.django_db(transaction=True)
def test_staff_save_the_configuration_and_renew_while_reminders_are_being_sent(yearly, settings):
    """No lock is held while the emails go out: neither the configuration nor another credential waits for them."""
    settings.EMAIL_BACKEND = "tests.test_renewal.SlowBackend"
    reminded = factories.CredentialFactory(user=factories.UserFactory(), configuration=yearly)
    age(reminded, expires_in=5 * DAY)
    other = factories.CredentialFactory(user=factories.UserFactory(), configuration=yearly)
    Credential.objects.filter(pk=other.pk).update(expires_at=timezone.now() + 200 * DAY)
    sending = threading.Thread(target=lambda: (expiry_reminders_send(), connections.close_all()))
    sending.start()
    time.sleep(1)  # the batch is sending its email now
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL lock_timeout = '500ms'")
        elif connection.vendor == "mysql":
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")
        CredentialConfiguration.objects.filter(pk=yearly.pk).update(renewal_instructions="Retake it.")
        renewed = credential_renew(credential=other, source="admin", reason="extended")
    sending.join()
    reminders = [email for email in mail.outbox if "expires on" in email.subject]
    assert len(reminders) == 1 and renewed.replaces_id == other.pk


@pytest.mark.django_db(transaction=True)
def test_two_paths_renewing_at_once_both_end_with_the_one_renewed_credential(yearly, course, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ON_DEMAND_BUDGET_SECONDS": 0}
    for _ in range(4):
        user = factories.UserFactory()
        factories.enroll(user)
        factories.set_completion(user, course, 1.0)
        credential = factories.CredentialFactory(user=user, configuration=yearly)
        age(credential, expires_in=5 * DAY)
        results = run_together(lambda u=user: credential_request(user=u, configuration=yearly)[0].pk, workers=2)
        renewed = Credential.objects.get(replaces=credential)
        assert set(results) == {renewed.pk}  # a double click: the second gets the first's renewal, no error


@pytest.mark.django_db
class TestReviewFindings:
    def test_a_reissue_inside_the_window_keeps_it_open(self, held, learner, django_capture_on_commit_callbacks):
        age(held, expires_in=30 * DAY)
        assert expiry_reminders_send()["sent"] == 1  # "expires in 30 days: complete the refresher to renew"
        with django_capture_on_commit_callbacks(execute=True):
            newer = credential_reissue(credential=held, source="api", reason="The learner corrected their name.")
        newer.refresh_from_db()
        assert (newer.expires_at, newer.valid_from) == (held.expires_at, held.valid_from)
        outcomes = learner_progress_check(
            user_id=learner.pk, context_key=str(held.configuration.learning_context_key), source="event"
        )
        assert outcomes == {held.configuration_id: "issued"}  # renewed: the window the reminder announced is open
        assert Credential.objects.get(replaces=newer).invalidation_reason == ""

    @pytest.mark.parametrize(
        ("period", "unit", "words"),
        [
            ("-3", "months", "Enter a whole number of months from 1 to 1200"),
            ("0", "days", "Enter a whole number of days from 1 to 36500"),
            ("100000", "months", "Enter a whole number of months from 1 to 1200"),
        ],
    )
    def test_validity_out_of_range_is_refused_in_one_message(self, yearly, period, unit, words):
        from django.core.exceptions import ValidationError

        yearly.validity_period, yearly.validity_unit = int(period), unit
        with pytest.raises(ValidationError) as refused:
            yearly.full_clean()
        assert refused.value.message_dict == {
            "validity_period": [words + ", or leave it empty for credentials that never expire."]
        }

    def test_reminder_days_of_other_digits_are_refused_in_words(self):
        from learning_credentials.expiry import reminder_days_parse

        with pytest.raises(ValueError, match="'²' is not a number of days"):
            reminder_days_parse("²")

    def test_staff_cannot_renew_a_credential_that_never_expires(self, configuration, learner):
        credential = factories.CredentialFactory(user=learner, configuration=configuration)
        with pytest.raises(InvalidTransition, match="never expires"):
            credential_renew(credential=credential, source="admin")

    def test_renewed_is_not_a_reason_staff_choose(self):
        from learning_credentials.forms import InvalidateForm

        choices = dict(InvalidateForm().fields["category"].choices)
        assert "renewed" not in choices and "superseded" in choices

    def test_the_expiry_filter_follows_the_public_precedence(self, admin_client, held):
        age(held, expires_in=-10 * DAY)
        new = credential_renew(credential=held, source="admin")
        expired = factories.CredentialFactory(configuration=held.configuration)
        age(expired, expires_in=-DAY)
        page = admin_client.get("/admin/learning_credentials/credential/?expiry=expired")
        listed = {credential.pk for credential in page.context["cl"].result_list}
        assert listed == {expired.pk}  # not the renewed one, whose date has passed too
        assert new.pk not in listed

    def test_the_learner_reads_how_to_renew_and_the_old_page_no_valid_until(self, client, held, learner):
        age(held, expires_in=5 * DAY)
        client.force_login(learner)
        own = client.get(f"/learning_credentials/credentials/{held.uuid}/").content.decode()
        assert 'id="renewal"' in own and "It expires on" in own and "Complete the refresher module." in own
        credential_renew(credential=held, source="admin")
        page = client.get(f"/learning_credentials/verify/{held.verify_uuid}/").content.decode()
        assert "This credential was renewed on" in page and "Valid until" not in page

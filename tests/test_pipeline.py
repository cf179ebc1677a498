"""Schedules, runs, retries, downloads and email: the pipeline around the core services."""

import smtplib

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from learning_credentials.exceptions import EmailNotDelivered
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, CredentialRun
from learning_credentials.services import credential_invalidate
from learning_credentials.services.configuration import configuration_run
from learning_credentials.services.notification import credential_notify
from tests import factories

pytestmark = pytest.mark.django_db
SCHEDULE = CredentialEvent.Source.SCHEDULE

FLAKY_PLUGIN = """
from learning_credentials.rendering.builtin import generate_pdf_credential

def generate_flaky_pdf(*, data, options, load_asset):
    if "Fail" in data.learner_name:
        raise RuntimeError("renderer crashed for this learner")
    return generate_pdf_credential(data=data, options=options, load_asset=load_asset)

generate_flaky_pdf.options = generate_pdf_credential.options
"""


@pytest.fixture
def cohort(course):
    """Six enrolled learners: four complete (one named to make the flaky renderer fail), two not."""
    users = {}
    for name, completion in [
        ("Ann Done", 1),
        ("Bob Done", 1),
        ("Cy Done", 0.95),
        ("Dee Fail", 1),
        ("Ed Half", 0.5),
        ("Flo Zero", 0),
    ]:
        user = factories.UserFactory(username=name.split()[0].lower(), profile__full_name=name)
        factories.enroll(user)
        factories.set_completion(user, course, completion)
        users[user.username] = user
    return users


def run(configuration, django_capture_on_commit_callbacks, source=SCHEDULE):
    with django_capture_on_commit_callbacks(execute=True):
        result = configuration_run(configuration_id=configuration.pk, source=source)
    result.refresh_from_db()
    return result


class TestSchedule:
    def test_created_with_the_configuration_and_deleted_with_it(self, configuration):
        task = PeriodicTask.objects.get(pk=configuration.periodic_task_id)
        assert task.task == "learning_credentials.run_configuration"
        assert task.args == f"[{configuration.pk}]"
        assert task.enabled
        assert (task.interval.every, task.interval.period, task.crontab) == (1, "hours", None)
        configuration.delete()
        assert not PeriodicTask.objects.filter(pk=task.pk).exists()

    def test_migrate_schedules_the_sweeper_every_minute(self, db):
        task = PeriodicTask.objects.get(task="learning_credentials.sweep_generating")
        assert task.enabled and (task.interval.every, task.interval.period) == (60, "seconds")

    def test_kept_in_sync_on_every_save(self, configuration):
        configuration.enabled = False
        configuration.schedule_type = "crontab"
        configuration.crontab = "30 2 * * 1-5"
        configuration.save()
        task = PeriodicTask.objects.get(pk=configuration.periodic_task_id)
        assert not task.enabled
        assert task.interval is None
        assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_week) == ("30", "2", "1-5")
        configuration.enabled, configuration.schedule_type, configuration.interval_every = True, "interval", 15
        configuration.interval_period = "minutes"
        configuration.save()
        task.refresh_from_db()
        assert task.enabled and task.crontab is None and (task.interval.every, task.interval.period) == (15, "minutes")
        assert PeriodicTask.objects.filter(task="learning_credentials.run_configuration").count() == 1

    @pytest.mark.parametrize(
        "crontab,message",
        [("0 3 * *", "five fields"), ("61 3 * * *", "Invalid crontab"), ("0 3 * * mon-xyz", "Invalid crontab")],
    )
    def test_invalid_crontab_is_a_field_error(self, configuration, crontab, message):
        configuration.schedule_type, configuration.crontab = "crontab", crontab
        with pytest.raises(ValidationError) as error:
            configuration.save()
        assert message in " ".join(error.value.message_dict["crontab"])
        assert PeriodicTask.objects.get(pk=configuration.periodic_task_id).crontab is None


class TestRun:
    def test_issues_to_eligible_learners_and_records_the_run(
        self, configuration, cohort, django_capture_on_commit_callbacks
    ):
        result = run(configuration, django_capture_on_commit_callbacks)
        issued = Credential.objects.filter(configuration=configuration)
        assert sorted(c.learner_name for c in issued) == ["Ann Done", "Bob Done", "Cy Done", "Dee Fail"]
        assert all(c.status == Status.AVAILABLE for c in issued)
        assert (result.eligible, result.already_held, result.issued, result.failed) == (4, 0, 4, 0)
        assert result.finished_at is not None and result.chunks_done == result.chunks_total == 1
        issued_event = issued.get(learner_name="Ann Done").events.get(kind="issued")
        assert issued_event.source == "schedule"
        assert issued_event.details["eligibility"]["completion"] == 100.0
        assert len(mail.outbox) == 4

    def test_running_again_duplicates_nothing(self, configuration, cohort, django_capture_on_commit_callbacks):
        run(configuration, django_capture_on_commit_callbacks)
        again = run(configuration, django_capture_on_commit_callbacks)
        assert (again.eligible, again.already_held, again.issued) == (4, 4, 0)
        assert Credential.objects.count() == 4
        assert len(mail.outbox) == 4

    def test_overlapping_runs_duplicate_nothing(self, configuration, cohort, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=True):
            first = configuration_run(configuration_id=configuration.pk, source=SCHEDULE)
            second = configuration_run(
                configuration_id=configuration.pk, source=SCHEDULE
            )  # planned before any chunk ran
        assert first.eligible == second.eligible == 4 and first.already_held == second.already_held == 0
        assert Credential.objects.count() == 4
        assert CredentialEvent.objects.filter(kind="issued").count() == 4
        assert CredentialEvent.objects.filter(kind="email_sent").count() == 4
        assert len(mail.outbox) == 4

    def test_invalidated_learners_are_never_reissued_by_runs(
        self, configuration, cohort, django_capture_on_commit_callbacks
    ):
        run(configuration, django_capture_on_commit_callbacks)
        refunded = Credential.objects.get(user=cohort["ann"])
        credential_invalidate(credential=refunded, category="refunded", source=CredentialEvent.Source.WEBHOOK)
        again = run(configuration, django_capture_on_commit_callbacks)
        assert again.already_held == 4 and again.issued == 0
        assert Credential.objects.filter(user=cohort["ann"]).count() == 1

    def test_one_failure_does_not_stop_the_others_and_retries_are_bounded(
        self, configuration, cohort, installed_plugin, django_capture_on_commit_callbacks, settings
    ):
        installed_plugin(FLAKY_PLUGIN, "[learning_credentials.generation]\nflaky = lc_test_plugin:generate_flaky_pdf\n")
        configuration.credential_type.generation_func = "flaky"
        configuration.credential_type.save()
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "MAX_ATTEMPTS": 3, "CHUNK_SIZE": 2}
        first = run(configuration, django_capture_on_commit_callbacks)
        assert (first.issued, first.failed, first.chunks_total) == (3, 1, 2)
        failed = Credential.objects.get(user=cohort["dee"])
        assert failed.status == Status.ERROR
        assert failed.error_message == (
            f"Generating the credential failed unexpectedly; the server log of credential {failed.pk} has the details."
        )
        assert Credential.objects.filter(status=Status.AVAILABLE).count() == 3
        retried = [run(configuration, django_capture_on_commit_callbacks).retried for _ in range(3)]
        failed.refresh_from_db()
        assert retried == [1, 1, 0]  # attempts 2 and 3, then no more automatic retries
        assert failed.attempts == 3 and failed.status == Status.ERROR

    def test_disabled_configuration_or_kill_switch_runs_nothing(self, configuration, cohort, settings):
        configuration.enabled = False
        configuration.save()
        assert configuration_run(configuration_id=configuration.pk, source=SCHEDULE) is None
        configuration.enabled = True
        configuration.save()
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        assert configuration_run(configuration_id=configuration.pk, source=SCHEDULE) is None
        assert not Credential.objects.exists() and not CredentialRun.objects.exists()

    def test_context_unknown_to_the_host_records_a_readable_error(
        self, template_asset, django_capture_on_commit_callbacks
    ):
        credential_type = factories.CredentialTypeFactory(
            retrieval_func="subsection_grades", custom_options={"template": "certificate-template"}
        )
        configuration = factories.ConfigurationFactory(
            credential_type=credential_type, learning_context_key="course-v1:Nowhere+X+1"
        )
        user = factories.UserFactory()
        factories.enroll(user, "course-v1:Nowhere+X+1")
        result = run(configuration, django_capture_on_commit_callbacks)
        assert "no course course-v1:Nowhere+X+1" in result.error
        assert result.finished_at is not None
        assert not Credential.objects.exists()


class TestCommand:
    def test_dry_run_lists_and_changes_nothing(self, configuration, cohort, capsys):
        call_command("generate_credentials", "--configuration", str(configuration.pk), "--dry-run")
        out = capsys.readouterr().out
        assert out.count("would issue") == 4
        assert "dry run" in out
        assert not Credential.objects.exists()

    def test_sync_issues_and_prints_a_summary(self, configuration, cohort, capsys):
        call_command("generate_credentials", "--all", "--sync")
        out = capsys.readouterr().out
        lines = [line.split() for line in out.splitlines()]
        assert lines[0][:2] == ["configuration", "eligible"]
        assert "done in" in out
        assert Credential.objects.filter(status=Status.AVAILABLE).count() == 4

    def test_unknown_configuration_is_an_error(self, db):
        with pytest.raises(CommandError, match="No credential configuration with id 999"):
            call_command("generate_credentials", "--configuration", "999")


class TestDownloads:
    @pytest.fixture
    def credential(self, configuration, learner, django_capture_on_commit_callbacks):
        from learning_credentials.services import credential_issue

        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SCHEDULE)
        credential.refresh_from_db()
        return credential

    def url(self, credential):
        return f"/learning_credentials/credentials/{credential.uuid}/download/"

    def test_owner_and_staff_stream_the_pdf(self, client, credential, learner, staff_user):
        for user in (learner, staff_user):
            client.force_login(user)
            response = client.get(self.url(credential))
            assert response.status_code == 200
            assert response["Content-Type"] == "application/pdf"
            assert b"".join(response.streaming_content).startswith(b"%PDF-")
            assert "attachment" in response["Content-Disposition"]

    def test_strangers_get_404_and_anonymous_users_sign_in(self, client, credential):
        assert client.get(self.url(credential)).status_code == 302
        client.force_login(factories.UserFactory(username="mallory"))
        assert client.get(self.url(credential)).status_code == 404
        for junk in ("not-a-uuid", "%00", "😀"):
            assert client.get(f"/learning_credentials/credentials/{junk}/download/").status_code == 404

    def test_invalidated_pdf_only_for_staff(self, client, credential, learner, staff_user):
        credential_invalidate(credential=credential, category="refunded", source=CredentialEvent.Source.ADMIN)
        client.force_login(learner)
        assert client.get(self.url(credential)).status_code == 404
        client.force_login(staff_user)
        assert client.get(self.url(credential)).status_code == 200
        assert client.get(f"/learning_credentials/verify/{credential.verify_uuid}/credential.pdf").status_code == 404

    def test_public_pdf_of_a_valid_credential(self, client, credential, settings):
        url = f"/learning_credentials/verify/{credential.verify_uuid}/credential.pdf"
        response = client.get(url)
        assert response.status_code == 200 and "inline" in response["Content-Disposition"]
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "PUBLIC_PDF": False}
        assert client.get(url).status_code == 404

    def test_no_raw_storage_url_anywhere(self, client, credential, learner):
        client.force_login(learner)
        body = client.get(f"/api/learning_credentials/v1/credentials/{credential.uuid}/").content.decode()
        assert credential.artifact not in body and "/media/" not in body


class TestEmail:
    def issue(self, configuration, user, capture):
        from learning_credentials.services import credential_issue

        with capture(execute=True):
            credential = credential_issue(user_id=user.pk, configuration=configuration, source=SCHEDULE)
        credential.refresh_from_db()
        return credential

    def test_sent_once_in_the_learners_language(self, configuration, learner, django_capture_on_commit_callbacks):
        learner.profile.language = "fr"
        learner.profile.save()
        credential = self.issue(configuration, learner, django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == [learner.email]
        assert message.extra_headers["Content-Language"] == "fr"
        html = message.alternatives[0][0]
        assert 'lang="fr"' in html
        assert f"/learning_credentials/credentials/{credential.uuid}/download/" in message.body
        assert f"/learning_credentials/verify/{credential.verify_uuid}/" in html
        assert credential.notified_at is not None
        assert credential.events.get(kind="email_sent").details == {"channel": "django", "language": "fr"}
        assert credential_notify(credential_id=credential.pk) is False
        assert len(mail.outbox) == 1

    def test_failure_never_rolls_back_the_credential(
        self, configuration, learner, settings, django_capture_on_commit_callbacks
    ):
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 1, 2  # nothing listens there
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_ENABLED": False}
        credential = self.issue(configuration, learner, django_capture_on_commit_callbacks)
        with pytest.raises(ConnectionRefusedError):
            credential_notify(credential_id=credential.pk)
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE and credential.notified_at is None
        failure = credential.events.get(kind="email_failed")
        assert "Connection refused" in failure.reason
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert credential_notify(credential_id=credential.pk) is True  # the retry succeeds
        assert len(mail.outbox) == 1

    def test_a_batch_shares_one_connection_to_the_mail_server(self, configuration, course, settings):
        """An SMTP session per batch, not per email; a server that cannot be reached fails the batch at once."""
        from learning_credentials.services.notification import credentials_notify

        credentials = []
        for number in range(3):
            user = factories.UserFactory(username=f"batch{number}")
            credentials.append(factories.CredentialFactory(user=user, configuration=configuration, notified_at=None))
        settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
        CountingBackend.opened = 0
        assert credentials_notify(credential_ids=[c.pk for c in credentials]) == 3
        assert CountingBackend.opened == 1 and len(mail.outbox) == 3

        more = [
            factories.CredentialFactory(user=factories.UserFactory(username=f"down{n}"), configuration=configuration)
            for n in range(3)
        ]
        CountingBackend.refuse = True
        try:
            with pytest.raises(ConnectionRefusedError):
                credentials_notify(credential_ids=[c.pk for c in more])
        finally:
            CountingBackend.refuse = False
        assert CountingBackend.opened == 2  # tried once for the whole batch
        assert CredentialEvent.objects.filter(credential__in=more, kind="email_failed").count() == 3
        assert not Credential.objects.filter(pk__in=[c.pk for c in more], notified_at__isnull=False).exists()

    @pytest.fixture
    def ace(self, settings):
        """edx-ace with its Django email channel, as an LMS configures it."""
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_VIA_ACE": True}
        settings.ACE_ENABLED_CHANNELS = ["django_email"]
        settings.ACE_ENABLED_POLICIES = []
        settings.ACE_CHANNEL_DEFAULT_EMAIL = settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
        settings.DEFAULT_FROM_EMAIL = "credentials@example.com"
        settings.PLATFORM_NAME = "Acme Learning"

    def test_edx_ace_path_when_configured(self, ace, configuration, learner, django_capture_on_commit_callbacks):
        credential = self.issue(configuration, learner, django_capture_on_commit_callbacks)
        assert len(mail.outbox) == 1
        assert "is ready" in mail.outbox[0].subject
        assert "Acme Learning" in mail.outbox[0].body  # signed with the platform's name, not the organisation's
        assert credential.events.get(kind="email_sent").details == {
            "channel": "ace",
            "ace_channels": ["DjangoEmailChannel"],
            "language": "en",
        }

    def test_an_edx_ace_channel_that_fails_is_audited_and_retried(
        self, ace, configuration, learner, settings, django_capture_on_commit_callbacks
    ):
        """edx-ace logs and swallows the SMTP error of its channel: the email is not recorded as sent."""
        settings.EMAIL_BACKEND = f"{__name__}.DisconnectingBackend"
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_ENABLED": False}
        credential = self.issue(configuration, learner, django_capture_on_commit_callbacks)
        with pytest.raises(EmailNotDelivered):
            credential_notify(credential_id=credential.pk)
        credential.refresh_from_db()
        assert credential.notified_at is None and not credential.events.filter(kind="email_sent").exists()
        assert "no channel delivered it" in credential.events.get(kind="email_failed").reason
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert credential_notify(credential_id=credential.pk) is True  # the retry succeeds
        assert len(mail.outbox) == 1 and credential.events.filter(kind="email_sent").count() == 1

    def test_the_django_path_signs_with_the_platform_name(
        self, configuration, learner, settings, django_capture_on_commit_callbacks
    ):
        settings.PLATFORM_NAME = "Acme Learning"
        self.issue(configuration, learner, django_capture_on_commit_callbacks)
        assert "Acme Learning" in mail.outbox[0].body


def test_a_chunk_looks_each_asset_up_once_not_per_learner(configuration, course):
    """Asset look-ups in a chunk do not grow with its learners (the hot path of a run)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from learning_credentials.services.configuration import configuration_issue_chunk

    def asset_queries(count: int, prefix: str) -> int:
        users = [factories.UserFactory(username=f"{prefix}{i}") for i in range(count)]
        for user in users:
            factories.enroll(user)
            factories.set_completion(user, course, 1.0)
        with CaptureQueriesContext(connection) as queries:
            counts = configuration_issue_chunk(
                configuration_id=configuration.pk, user_ids=[u.pk for u in users], run_id=None, source=SCHEDULE
            )
        assert counts == {"issued": count, "failed": 0, "renewed": 0}
        return sum("learning_credentials_credentialasset" in q["sql"] for q in queries.captured_queries)

    assert asset_queries(1, "one") == asset_queries(6, "six") > 0


class DisconnectingBackend(LocmemBackend):
    """A mail server that hangs up on every message (an SMTP error, which edx-ace's channel swallows)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("injected: the mail server hung up")


class CountingBackend(LocmemBackend):
    """Django's in-memory backend, counting the connections opened (and refusing them on demand)."""

    opened = 0
    refuse = False

    def open(self):
        CountingBackend.opened += 1
        if CountingBackend.refuse:
            raise ConnectionRefusedError("injected: the mail server refuses connections")
        return True

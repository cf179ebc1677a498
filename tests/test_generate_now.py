"""The admin's "Generate now": a preview, staff's confirmation, then the run's outcome on the configuration's page."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.urls import reverse

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialConfiguration, CredentialEvent, CredentialRun
from learning_credentials.runs import duration_words
from tests import factories

pytestmark = pytest.mark.django_db
UNKNOWN = "course-v1:DemoX+NOPE+2026"


def url(view: str, *args) -> str:
    return reverse(f"admin:learning_credentials_credentialconfiguration_{view}", args=args)


@pytest.fixture
def admin_user(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw")


@pytest.fixture
def staff_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def ready(configuration, learner, course):
    """One learner eligible (complete), one not (half way)."""
    factories.set_completion(learner, course, 1.0)
    other = factories.UserFactory(username="half")
    factories.enroll(other)
    factories.set_completion(other, course, 0.5)
    return configuration


class TestPreviewThenConfirm:
    def test_the_preview_shows_counts_and_reasons_and_writes_nothing(self, staff_client, ready):
        response = staff_client.post(url("generate_now", ready.pk))
        assert response.status_code == 200
        preview = response.context["preview"]
        assert (preview.evaluated, preview.eligible, preview.to_issue) == (2, 1, 1)
        html = response.content.decode()
        assert "Completion below 90%" in html
        assert "Issue 1 credential now" in html
        assert not CredentialRun.objects.exists() and not Credential.objects.exists()

    def test_confirming_runs_in_the_staff_members_name_and_the_page_shows_the_outcome(
        self, staff_client, admin_user, ready, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = staff_client.post(url("generate_now_confirm", ready.pk))
        assert response["Location"] == url("change", ready.pk)
        run = CredentialRun.objects.get()
        assert (run.actor, run.issued) == (admin_user, 1)
        issued = CredentialEvent.objects.get(kind=CredentialEvent.Kind.ISSUED)
        assert issued.actor == admin_user
        page = staff_client.get(url("change", ready.pk))
        panel = page.context["latest_run"]
        assert 'data-run-level="success"' in panel
        assert "1 issued and 0 renewed in less than a second." in panel
        assert "by root" in panel
        assert "data-refresh-url" not in panel  # finished: nothing to refresh

    def test_a_run_in_progress_refreshes_its_panel(self, staff_client, ready):
        CredentialRun.objects.create(configuration=ready, source="admin", chunks_total=2, chunks_done=1, issued=3)
        panel = staff_client.get(url("latest_run", ready.pk)).content.decode()
        assert 'data-run-level="info"' in panel
        assert "1 of 2 chunks done, 3 issued" in panel
        assert f'data-refresh-url="{url("latest_run", ready.pk)}"' in panel

    def test_errors_are_listed_with_their_messages(self, staff_client, ready):
        run = CredentialRun.objects.create(configuration=ready, source="admin", eligible=2, issued=1, failed=1)
        CredentialRun.objects.filter(pk=run.pk).update(finished_at=run.started_at + timedelta(seconds=75))
        factories.CredentialFactory(configuration=ready, status=Status.ERROR, error_message="The template is missing.")
        panel = staff_client.get(url("latest_run", ready.pk)).content.decode()
        assert 'data-run-level="error"' in panel
        assert "1 issued and 0 renewed in 1 minute 15 seconds, but 1 failed" in panel
        assert "The template is missing. (1 credential)" in panel

    def test_the_list_action_previews_every_selected_configuration_then_runs_them(
        self, staff_client, ready, django_capture_on_commit_callbacks
    ):
        changelist = url("changelist")
        page = staff_client.post(changelist, {"action": "generate_now", "_selected_action": [ready.pk]})
        assert page.status_code == 200 and "Completion below 90%" in page.content.decode()
        assert not CredentialRun.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(changelist, {"action": "generate_now", "_selected_action": [ready.pk], "confirm": "yes"})
        assert CredentialRun.objects.get().issued == 1


class TestNothingToIssue:
    def test_the_preview_warns_when_misconfigured(self, staff_client, configuration, course):
        for name in ("a", "b"):
            user = factories.UserFactory(username=name)
            factories.enroll(user)
            factories.set_completion(user, course, 0.2)
        html = staff_client.post(url("generate_now", configuration.pk)).content.decode()
        assert 'data-preview-warning="same_reason_for_all"' in html
        assert "Issue " not in html

    def test_a_run_that_issued_nothing_is_a_warning_never_a_success(
        self, staff_client, configuration, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            staff_client.post(url("generate_now_confirm", configuration.pk))
        panel = staff_client.get(url("change", configuration.pk)).context["latest_run"]
        assert 'data-run-level="warning"' in panel
        assert "The run issued nothing: no learner is eligible." in panel


class TestLargeContexts:
    def test_the_preview_runs_as_a_task_with_a_self_refreshing_page(self, settings, staff_client, ready):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "PREVIEW_INLINE_MAX_LEARNERS": 1}
        response = staff_client.post(url("generate_now", ready.pk))
        assert response.status_code == 302
        page = staff_client.get(response["Location"])  # eager: the task is done already
        assert page.context["preview"].to_issue == 1

    def test_a_page_still_waiting_refreshes_itself(self, settings, staff_client, ready):
        from learning_credentials.services import run_preview

        run_preview._store("waiting", {"configuration_id": ready.pk, "done": 200, "total": 1000, "preview": None})
        html = staff_client.get(url("generate_now_preview", ready.pk, "waiting")).content.decode()
        assert '<meta http-equiv="refresh" content="2">' in html
        assert "200 of 1000 learners evaluated" in html

    def test_an_expired_preview_sends_back_to_the_configuration(self, staff_client, ready):
        response = staff_client.get(url("generate_now_preview", ready.pk, "gone"))
        assert response["Location"] == url("change", ready.pk)
        (message,) = get_messages(response.wsgi_request)
        assert "no longer available" in str(message)


class TestUnknownContext:
    def form(self, configuration, key: str, **extra) -> dict:
        return factories.configuration_form_data(
            context_key=key, credential_type_id=configuration.credential_type.pk, **extra
        )

    def test_refused_with_a_clear_message(self, staff_client, configuration):
        response = staff_client.post(url("add"), self.form(configuration, UNKNOWN))
        assert response.status_code == 200
        errors = response.context["adminform"].form.errors["learning_context_key"]
        assert errors == [
            "The platform has no course or learning path course-v1:DemoX+NOPE+2026. Check the key; to configure a "
            "course that is still to be created, tick 'The course does not exist yet'."
        ]
        assert not CredentialConfiguration.objects.filter(learning_context_key=UNKNOWN).exists()

    def test_accepted_with_the_tick_which_records_who_and_when(self, staff_client, admin_user, configuration):
        data = self.form(configuration, UNKNOWN, context_not_created_yet="on")
        assert staff_client.post(url("add"), data).status_code == 302
        saved = CredentialConfiguration.objects.get(learning_context_key=UNKNOWN)
        assert saved.context_not_created_yet_by == admin_user and saved.context_not_created_yet_at is not None
        html = staff_client.get(url("change", saved.pk)).content.decode()
        assert "by root on" in html

    def test_a_missing_grade_category_is_refused(self, staff_client, configuration):
        configuration.credential_type.retrieval_func = "subsection_grades"
        configuration.credential_type.custom_options = {"template": "certificate-template"}
        configuration.credential_type.save()
        data = self.form(configuration, factories.COURSE_KEY, custom_options='{"required_grades": {"Labs": 50}}')
        response = staff_client.post(url("change", configuration.pk), data)
        assert response.status_code == 200
        (error,) = response.context["adminform"].form.errors["custom_options"]
        assert "has no grade category 'Labs'" in error


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(0.089, "less than a second"), (1, "1 second"), (75, "1 minute 15 seconds"), (7260, "2 hours 1 minute")],
)
def test_durations_in_words(seconds, words):
    assert duration_words(timedelta(seconds=seconds)) == words


def test_a_run_that_could_not_go_ahead_is_a_warning(staff_client, configuration):
    run = CredentialRun.objects.create(configuration=configuration, source="admin", error="The course is gone.")
    CredentialRun.objects.filter(pk=run.pk).update(finished_at=run.started_at)
    panel = staff_client.get(url("latest_run", configuration.pk)).content.decode()
    assert 'data-run-level="warning"' in panel
    assert "The run could not go ahead: The course is gone." in panel


def test_a_run_just_started_is_working_out_who_is_eligible(staff_client, configuration):
    CredentialRun.objects.create(configuration=configuration, source="admin")
    panel = staff_client.get(url("latest_run", configuration.pk)).content.decode()
    assert "Running: working out who is eligible." in panel and "data-refresh-url" in panel

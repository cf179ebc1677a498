"""Progress-driven issuance: notify_progress, the check task and the sandbox host's notifications."""

import logging

import pytest
from opaque_keys.edx.keys import CourseKey
from sandbox.lms import models as lms

from learning_credentials.api import notify_progress
from learning_credentials.exceptions import InvalidContextKey
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_invalidate
from learning_credentials.services import progress as progress_service
from learning_credentials.services.progress import (
    configurations_for_progress,
    learner_progress_check,
    progress_may_matter,
)
from learning_credentials.tasks import check_learner
from tests import factories
from tests.logs import activity

pytestmark = pytest.mark.django_db
COURSE_KEY = factories.COURSE_KEY
SECOND_KEY = "course-v1:DemoX+STAT2+2026"
PATH_KEY = "path-v1:DemoX+data-science+2026+all"
API = CredentialEvent.Source.API


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what the block queues on commit (and what that queues), as a committed transaction would."""

    def capture():
        return django_capture_on_commit_callbacks(execute=True)

    return capture


@pytest.fixture
def completed(learner, course):
    factories.set_completion(learner, course, 1.0)
    return learner


class TestNotifyProgress:
    def test_issues_at_once_when_eligible(self, configuration, completed, commit, caplog):
        caplog.set_level(logging.DEBUG, logger="learning_credentials.activity")
        with commit() as callbacks:
            assert notify_progress(user_id=completed.pk, context_key=COURSE_KEY) is True
        assert callbacks  # queued on commit, not inline
        credential = Credential.objects.get(user=completed)
        assert credential.status == Status.AVAILABLE
        assert credential.events.get(kind="issued").source == API
        [issued] = activity(caplog, "issued")
        assert issued["credential"] == str(credential.pk) and issued["configuration"] == configuration.pk
        assert issued["source"] == "api" and issued["duration_ms"] >= 0
        [checked] = activity(caplog, "progress_checked")
        assert checked["outcomes"] == {str(configuration.pk): "issued"}

    def test_nothing_runs_before_commit(self, configuration, completed, django_capture_on_commit_callbacks):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            assert notify_progress(user_id=completed.pk, context_key=CourseKey.from_string(COURSE_KEY))
        assert len(callbacks) == 1
        assert not Credential.objects.exists()

    def test_the_order_reference_is_stored_on_the_credential(self, configuration, completed, commit):
        with commit():
            notify_progress(user_id=completed.pk, context_key=COURSE_KEY, order_reference="order-42")
        assert Credential.objects.get(user=completed).order_reference == "order-42"

    def test_a_held_credential_keeps_its_order_reference(self, configuration, completed, commit):
        with commit():
            notify_progress(user_id=completed.pk, context_key=COURSE_KEY, order_reference="order-1")
            notify_progress(user_id=completed.pk, context_key=COURSE_KEY, order_reference="order-2")
        credential = Credential.objects.get(user=completed)
        assert credential.order_reference == "order-1"
        assert credential.duplicate_attempts == 1

    @pytest.mark.parametrize("key", ["not a key", "", "course-v1:\x00", "x" * 300])
    def test_malformed_context_keys_are_refused(
        self, configuration, completed, key, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(InvalidContextKey):
            notify_progress(user_id=completed.pk, context_key=key)
        assert callbacks == [] and not Credential.objects.exists()

    @pytest.mark.parametrize("user_id", [None, "7", True, 0, -3])
    def test_user_ids_must_be_positive_integers(self, configuration, user_id):
        with pytest.raises(ValueError, match="user_id"):
            notify_progress(user_id=user_id, context_key=COURSE_KEY)

    def test_an_order_reference_longer_than_the_field_is_refused(self, configuration, completed):
        with pytest.raises(ValueError, match="order_reference"):
            notify_progress(user_id=completed.pk, context_key=COURSE_KEY, order_reference="x" * 256)

    def test_nothing_is_queued_without_an_enabled_configuration(
        self, configuration, completed, settings, django_capture_on_commit_callbacks
    ):
        other = "course-v1:Other+X+1"
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            assert notify_progress(user_id=completed.pk, context_key=other) is False
            configuration.enabled = False
            configuration.save()
            assert notify_progress(user_id=completed.pk, context_key=COURSE_KEY) is False
            configuration.enabled = True
            configuration.save()
            settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
            assert notify_progress(user_id=completed.pk, context_key=COURSE_KEY) is False
        assert callbacks == [] and not Credential.objects.exists()


class TestCheck:
    def check(self, user, key=COURSE_KEY, source=API, **kwargs):
        return learner_progress_check(user_id=user.pk, context_key=key, source=source, **kwargs)

    def test_outcomes_per_configuration(self, configuration, learner, course, commit):
        second_type = factories.CredentialTypeFactory(
            retrieval_func="subsection_grades", custom_options={"template": "certificate-template"}
        )
        graded = factories.ConfigurationFactory(credential_type=second_type)
        factories.set_completion(learner, course, 1.0)
        with commit():
            assert self.check(learner) == {configuration.pk: "issued", graded.pk: "not_eligible"}
        with commit():
            assert self.check(learner) == {configuration.pk: "duplicate", graded.pk: "not_eligible"}
        stranger = factories.UserFactory(username="stranger")
        assert self.check(stranger) == {configuration.pk: "not_enrolled", graded.pk: "not_enrolled"}
        assert Credential.objects.count() == 1

    def test_the_task_returns_the_outcomes(self, configuration, completed, commit):
        with commit():
            result = check_learner.delay(completed.pk, COURSE_KEY, "event", "order-7").get()
        assert result == {str(configuration.pk): "issued"}
        credential = Credential.objects.get()
        assert credential.order_reference == "order-7"
        assert credential.events.get(kind="issued").source == "event"

    def test_never_reissued_after_invalidation_and_not_evaluated(self, configuration, completed, commit, monkeypatch):
        with commit():
            self.check(completed)
        credential_invalidate(credential=Credential.objects.get(), category="refunded", source=API)
        evaluated = []
        monkeypatch.setattr(
            "learning_credentials.services.progress.configuration_evaluate",
            lambda **kwargs: evaluated.append(kwargs) or {},
        )
        assert self.check(completed) == {configuration.pk: "previously_invalidated"}
        assert evaluated == []
        assert Credential.objects.count() == 1

    def test_holders_are_counted_without_evaluating(self, configuration, completed, commit, monkeypatch):
        with commit():
            self.check(completed)
        monkeypatch.setattr(
            "learning_credentials.services.progress.configuration_evaluate",
            lambda **kwargs: pytest.fail("a holder must not be evaluated"),
        )
        assert self.check(completed) == {configuration.pk: "duplicate"}
        assert Credential.objects.get().duplicate_attempts == 1

    def test_disabled_configurations_and_the_kill_switch(self, configuration, completed, settings):
        configuration.enabled = False
        configuration.save()
        assert self.check(completed) == {}
        configuration.enabled = True
        configuration.save()
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        assert self.check(completed) == {}
        assert not Credential.objects.exists()

    def test_unknown_users_are_ignored_with_a_log_line(self, configuration, caplog):
        with caplog.at_level(logging.WARNING, logger="learning_credentials.activity"):
            assert learner_progress_check(user_id=987654, context_key=COURSE_KEY, source=API) == {}
        [ignored] = activity(caplog, "progress_ignored")
        assert ignored == {
            "action": "progress_ignored",
            "user_id": 987654,
            "context": COURSE_KEY,
            "source": "api",
            "reason": "unknown_user",
        }
        assert "learning_credentials.progress_ignored user_id=987654" in caplog.text

    def test_one_broken_configuration_does_not_stop_the_others(self, configuration, completed, commit, caplog):
        broken_type = factories.CredentialTypeFactory(
            retrieval_func="subsection_grades",
            custom_options={"template": "certificate-template", "required_grades": {"Labs": 50}},
        )
        broken = factories.ConfigurationFactory(credential_type=broken_type)
        with commit(), caplog.at_level(logging.INFO, logger="learning_credentials.activity"):
            outcomes = self.check(completed)
        assert outcomes == {configuration.pk: "issued", broken.pk: "configuration_error"}
        [refused] = activity(caplog, "progress_refused")
        assert refused["configuration"] == broken.pk and "does not grade: Labs" in refused["error"]

    def test_unexpected_errors_are_logged_and_the_others_go_on(self, configuration, completed, commit, monkeypatch):
        real = progress_service.configuration_evaluate
        second = factories.ConfigurationFactory()

        def evaluate(*, configuration, user_ids):
            if configuration.pk == second.pk:
                raise RuntimeError("host down")
            return real(configuration=configuration, user_ids=user_ids)

        monkeypatch.setattr("learning_credentials.services.progress.configuration_evaluate", evaluate)
        with commit():
            assert self.check(completed) == {configuration.pk: "issued", second.pk: "failed"}

    def test_transient_database_errors_propagate_for_a_retry(self, configuration, completed, monkeypatch):
        from django.db import OperationalError

        def evaluate(**kwargs):
            raise OperationalError("server closed the connection")

        monkeypatch.setattr("learning_credentials.services.progress.configuration_evaluate", evaluate)
        with pytest.raises(OperationalError):
            self.check(completed)


class TestLearningPaths:
    @pytest.fixture
    def path(self, course, template_asset):
        second = factories.make_course(SECOND_KEY, "Statistics")
        path = lms.LearningPath.objects.create(key=PATH_KEY, display_name="Data science", organization="DemoX")
        lms.LearningPathStep.objects.create(path=path, course=course, order=1)
        lms.LearningPathStep.objects.create(path=path, course=second, order=2)
        configuration = factories.ConfigurationFactory(learning_context_key=PATH_KEY)
        return configuration, second

    def test_a_course_event_checks_the_paths_it_is_a_step_of(self, path, learner, course, commit):
        configuration, second = path
        factories.enroll(learner, PATH_KEY)
        factories.set_completion(learner, course, 1.0)
        factories.set_completion(learner, second, 1.0)
        assert progress_may_matter(context_key=SECOND_KEY)
        assert configurations_for_progress(context_key=SECOND_KEY) == [configuration]
        with commit():
            assert notify_progress(user_id=learner.pk, context_key=SECOND_KEY)
        assert Credential.objects.get(user=learner).configuration == configuration

    def test_courses_outside_the_path_do_not_check_it(self, path, learner):
        factories.make_course("course-v1:Other+X+1", "Other")
        assert configurations_for_progress(context_key="course-v1:Other+X+1") == []
        assert configurations_for_progress(context_key=PATH_KEY) == [path[0]]


class TestSandboxHost:
    """The sandbox reports its grade and completion changes through notify_progress."""

    @pytest.fixture(autouse=True)
    def _notifies(self, settings):
        settings.SANDBOX_NOTIFY_PROGRESS = True

    def test_completing_the_course_issues_at_once(self, configuration, learner, course, commit):
        with commit():
            factories.set_completion(learner, course, 0.5)
        assert not Credential.objects.exists()
        with commit():
            factories.set_completion(learner, course, 1.0)
        credential = Credential.objects.get(user=learner)
        assert credential.status == Status.AVAILABLE
        assert credential.events.get(kind="issued").source == API

    def test_grades_are_reported_too(self, learner, course, template_asset, commit):
        perfect = factories.CredentialTypeFactory(
            retrieval_func="completion_and_perfect_assessments", custom_options={"template": "certificate-template"}
        )
        factories.ConfigurationFactory(credential_type=perfect)
        factories.list_assessment(course, "quiz", "Exam")
        with commit():
            factories.set_completion(learner, course, 1.0)
        assert not Credential.objects.exists()
        with commit():
            factories.set_grade(learner, course, "quiz", "Exam", 1.0)
        assert Credential.objects.get(user=learner).status == Status.AVAILABLE

    def test_switched_off_it_reports_nothing(self, configuration, learner, course, settings, commit):
        settings.SANDBOX_NOTIFY_PROGRESS = False
        with commit() as callbacks:
            factories.set_completion(learner, course, 1.0)
        assert callbacks == [] and not Credential.objects.exists()


class TestGenerationInTheCheck:
    """The check generates the credential itself: no second message between progress and the PDF."""

    def test_the_check_generates_without_queueing_a_generation_task(self, configuration, completed, monkeypatch):
        from learning_credentials import tasks

        queued = []
        monkeypatch.setattr(tasks.generate_credential, "apply_async", lambda *a, **k: queued.append(a))
        outcomes = learner_progress_check(user_id=completed.pk, context_key=COURSE_KEY, source=API)
        assert outcomes == {configuration.pk: "issued"}
        assert Credential.objects.get(user=completed).status == Status.AVAILABLE
        assert queued == []

    @pytest.mark.parametrize("lease_expired", [True, False])
    def test_a_stalled_credential_is_finished_by_the_next_check(self, configuration, completed, lease_expired):
        """A check whose generation failed on a transient error gives its lease up; the retry finishes it."""
        from datetime import timedelta

        from django.utils import timezone

        from learning_credentials.services import credential_issue_or_get

        credential, _ = credential_issue_or_get(
            user_id=completed.pk, configuration=configuration, source=API, queue=False
        )
        lease = timezone.now() + timedelta(minutes=-1 if lease_expired else 5)
        Credential.objects.filter(pk=credential.pk).update(lease_expires_at=lease)
        assert learner_progress_check(user_id=completed.pk, context_key=COURSE_KEY, source=API) == {
            configuration.pk: "duplicate"
        }
        credential.refresh_from_db()
        # A live lease belongs to a running attempt: the check leaves the credential to it.
        assert credential.status == (Status.AVAILABLE if lease_expired else Status.GENERATING)

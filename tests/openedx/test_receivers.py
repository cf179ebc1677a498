"""Event-driven issuance: the receivers of COURSE_PASSING_STATUS_UPDATED and PERSISTENT_GRADE_SUMMARY_CHANGED,
wired by edx-django-utils as the LMS wires them, fed with real openedx-events data objects."""

import logging
from datetime import UTC, datetime

import pytest
from opaque_keys.edx.keys import CourseKey
from openedx_events.data import EventsMetadata
from openedx_events.learning.data import (
    CourseData,
    CoursePassingStatusData,
    PersistentCourseGradeData,
    UserData,
    UserPersonalData,
)
from openedx_events.learning.signals import COURSE_PASSING_STATUS_UPDATED, PERSISTENT_GRADE_SUMMARY_CHANGED

from learning_credentials import handlers
from learning_credentials.apps import LearningCredentialsConfig
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from tests import factories
from tests.logs import activity

from . import fakes

pytestmark = pytest.mark.django_db
COURSE = CourseKey.from_string(factories.COURSE_KEY)
UNCONFIGURED = CourseKey.from_string("course-v1:Other+X+1")
RECEIVERS = LearningCredentialsConfig.plugin_app["signals_config"]["lms.djangoapp"]["receivers"]


@pytest.fixture
def wired(monkeypatch):
    """Our receivers connected to the real signals by edx-django-utils, as the LMS connects them; then removed.

    The platform's own signals (learner retirement) come from the fakes of edx-platform."""
    fakes.install(monkeypatch)
    fakes.connect_our_receivers(monkeypatch)
    yield
    for signal in (COURSE_PASSING_STATUS_UPDATED, PERSISTENT_GRADE_SUMMARY_CHANGED):
        for config in RECEIVERS:
            signal.disconnect(dispatch_uid=config["dispatch_uid"])


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def graded_configuration(template_asset, course):
    """Completion of 90 % and the course's own pass mark (70 %)."""
    credential_type = factories.CredentialTypeFactory(
        retrieval_func="completion_and_grades",
        custom_options={"template": "certificate-template", "required_completion": 90},
    )
    return factories.ConfigurationFactory(credential_type=credential_type)


@pytest.fixture
def passing(learner, course):
    factories.set_completion(learner, course, 1.0)
    factories.set_grade(learner, course, "hw1", "Homework", 0.8)
    factories.set_grade(learner, course, "exam", "Exam", 0.9)
    return learner


def user_data(user) -> UserData:
    return UserData(
        id=user.pk,
        is_active=True,
        pii=UserPersonalData(username=user.username, email=user.email, name=user.profile.full_name),
    )


def passing_status(user, course_key=COURSE, is_passing=True) -> CoursePassingStatusData:
    return CoursePassingStatusData(
        is_passing=is_passing,
        course=CourseData(course_key=course_key, display_name="Introduction to Computing"),
        user=user_data(user),
    )


def grade_summary(user_id: int, course_key=COURSE, percent=0.86) -> PersistentCourseGradeData:
    now = datetime.now(UTC)
    return PersistentCourseGradeData(
        user_id=user_id,
        course=CourseData(course_key=course_key),
        course_edited_timestamp=now,
        course_version="65f1e6a7c8d9e0f1a2b3c4d5",
        grading_policy_hash="5d8d4c0f1a2b",
        percent_grade=percent,
        letter_grade="Pass",
        passed_timestamp=now,
    )


def platform_kwargs(signal, **payload) -> dict:
    """What the platform's send_event passes a receiver: signal, sender, payload, metadata, from_event_bus."""
    return {
        "signal": signal,
        "sender": None,
        "metadata": EventsMetadata(event_type=signal.event_type, minorversion=0),
        "from_event_bus": False,
        **payload,
    }


def test_the_plugin_config_names_the_real_signals_and_our_receivers():
    assert [(c["signal_path"], c["receiver_func_name"]) for c in RECEIVERS] == [
        ("openedx_events.learning.signals.COURSE_PASSING_STATUS_UPDATED", "handle_course_passing_status_updated"),
        (
            "openedx_events.learning.signals.PERSISTENT_GRADE_SUMMARY_CHANGED",
            "handle_persistent_grade_summary_changed",
        ),
        ("openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_CRITICAL", "handle_user_retired"),
        ("openedx.core.djangoapps.user_api.accounts.signals.USER_RETIRE_LMS_MISC", "handle_user_retired"),
    ]
    assert all(hasattr(handlers, config["receiver_func_name"]) for config in RECEIVERS)


class TestCoursePassingStatusUpdated:
    def test_passing_issues_at_once(self, wired, graded_configuration, passing, commit, caplog):
        caplog.set_level(logging.INFO, logger="learning_credentials.activity")
        with commit():
            COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=passing_status(passing))
        credential = Credential.objects.get(user=passing)
        assert credential.status == Status.AVAILABLE
        issued = credential.events.get(kind="issued")
        assert issued.source == "event"
        assert issued.details["eligibility"]["completion"] == 100.0
        [received] = activity(caplog, "event_received")
        assert received["event_type"] == "org.openedx.learning.course.passing.status.updated.v1"
        assert received["queued"] is True and received["user_id"] == passing.pk

    def test_repeats_issue_nothing_more(self, wired, graded_configuration, passing, commit):
        for _ in range(3):
            with commit():
                COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=passing_status(passing))
        credential = Credential.objects.get(user=passing)
        assert credential.duplicate_attempts == 2
        assert credential.events.filter(kind="duplicate_attempt").count() == 1
        assert credential.events.filter(kind="issued").count() == 1

    def test_not_passing_is_ignored(self, graded_configuration, passing, commit):
        with commit() as callbacks:
            handlers.handle_course_passing_status_updated(
                **platform_kwargs(
                    COURSE_PASSING_STATUS_UPDATED,
                    course_passing_status=passing_status(passing, COURSE, is_passing=False),
                )
            )
        assert callbacks == [] and not Credential.objects.exists()

    def test_a_learner_not_yet_eligible_gets_nothing(self, wired, graded_configuration, learner, course, commit):
        factories.set_grade(learner, course, "exam", "Exam", 1.0)  # passes the grade, completion 0 %
        with commit():
            COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=passing_status(learner))
        assert not Credential.objects.exists()

    def test_from_the_event_bus_works_the_same(self, graded_configuration, passing, commit):
        kwargs = platform_kwargs(COURSE_PASSING_STATUS_UPDATED, course_passing_status=passing_status(passing))
        with commit():
            handlers.handle_course_passing_status_updated(**{**kwargs, "from_event_bus": True})
        assert Credential.objects.get(user=passing).status == Status.AVAILABLE


class TestPersistentGradeSummaryChanged:
    def test_a_grade_change_issues_at_once(self, wired, graded_configuration, passing, commit):
        with commit():
            PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=grade_summary(passing.pk))
        credential = Credential.objects.get(user=passing)
        assert credential.status == Status.AVAILABLE
        assert credential.score is not None
        assert credential.events.get(kind="issued").source == "event"

    def test_completion_only_types_are_checked_by_grade_events_too(self, wired, configuration, learner, course, commit):
        factories.set_completion(learner, course, 1.0)
        with commit():
            PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=grade_summary(learner.pk))
        assert Credential.objects.get(user=learner).status == Status.AVAILABLE

    def test_both_events_for_one_change_make_one_credential(self, wired, graded_configuration, passing, commit):
        with commit():
            PERSISTENT_GRADE_SUMMARY_CHANGED.send_event(grade=grade_summary(passing.pk))
            COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=passing_status(passing))
        assert Credential.objects.filter(user=passing).count() == 1
        assert Credential.objects.get(user=passing).duplicate_attempts == 1

    def test_an_unknown_user_is_ignored_with_a_log_line(self, graded_configuration, commit, caplog):
        with commit(), caplog.at_level(logging.WARNING, logger="learning_credentials.activity"):
            handlers.handle_persistent_grade_summary_changed(
                **platform_kwargs(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade_summary(424242))
            )
        assert not Credential.objects.exists()
        [ignored] = activity(caplog, "progress_ignored")
        assert (ignored["user_id"], ignored["reason"], ignored["source"]) == (424242, "unknown_user", "event")

    def test_an_unconfigured_course_queues_nothing(self, graded_configuration, passing, commit, caplog):
        with commit() as callbacks, caplog.at_level(logging.DEBUG, logger="learning_credentials.activity"):
            handlers.handle_persistent_grade_summary_changed(
                **platform_kwargs(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade_summary(passing.pk, UNCONFIGURED))
            )
        assert callbacks == [] and not Credential.objects.exists()
        [received] = activity(caplog, "event_received")
        assert received["queued"] is False and received["context"] == str(UNCONFIGURED)

    def test_a_disabled_configuration_queues_nothing(self, graded_configuration, passing, commit):
        graded_configuration.enabled = False
        graded_configuration.save()
        with commit() as callbacks:
            handlers.handle_persistent_grade_summary_changed(
                **platform_kwargs(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade_summary(passing.pk))
            )
        assert callbacks == [] and not Credential.objects.exists()


class Incomplete:
    """A payload from a future or broken sender: attributes missing."""


@pytest.mark.parametrize(
    "handler,kwargs,reason",
    [
        ("handle_persistent_grade_summary_changed", {}, "no_user_id"),
        ("handle_persistent_grade_summary_changed", {"grade": None}, "no_user_id"),
        ("handle_persistent_grade_summary_changed", {"grade": Incomplete()}, "no_user_id"),
        ("handle_persistent_grade_summary_changed", {"grade": "user 7 passed"}, "no_user_id"),
        ("handle_course_passing_status_updated", {}, "no_user_id"),
        ("handle_course_passing_status_updated", {"course_passing_status": Incomplete()}, "no_user_id"),
    ],
)
def test_malformed_payloads_are_ignored_with_a_log_line(graded_configuration, handler, kwargs, reason, caplog, commit):
    with commit() as callbacks, caplog.at_level(logging.WARNING, logger="learning_credentials.activity"):
        assert getattr(handlers, handler)(signal=None, sender=None, **kwargs) is None
    assert callbacks == [] and not Credential.objects.exists()
    [ignored] = activity(caplog, "event_ignored")
    assert ignored["reason"] == reason


@pytest.mark.parametrize(
    "user_id,course_key,reason",
    [
        ("7", COURSE, "no_user_id"),
        (True, COURSE, "no_user_id"),
        (0, COURSE, "no_user_id"),
        (7, None, "no_course_key"),
        (7, "not-a-course-key", "invalid_course_key"),
        (7, "x" * 1000, "invalid_course_key"),
    ],
)
def test_payloads_with_wrong_fields_are_ignored(graded_configuration, user_id, course_key, reason, caplog, commit):
    grade = PersistentCourseGradeData(
        user_id=user_id,
        course=CourseData(course_key=course_key),
        course_edited_timestamp=None,
        course_version="",
        grading_policy_hash="",
        percent_grade=1.0,
        letter_grade="",
        passed_timestamp=None,
    )
    with commit() as callbacks, caplog.at_level(logging.WARNING, logger="learning_credentials.activity"):
        handlers.handle_persistent_grade_summary_changed(
            **platform_kwargs(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade)
        )
    assert callbacks == []
    [ignored] = activity(caplog, "event_ignored")
    assert ignored["reason"] == reason
    assert ignored["event_type"] == "org.openedx.learning.course.persistent_grade_summary.changed.v1"


def test_a_course_key_as_text_is_accepted(graded_configuration, passing, commit):
    with commit():
        handlers.handle_persistent_grade_summary_changed(
            **platform_kwargs(PERSISTENT_GRADE_SUMMARY_CHANGED, grade=grade_summary(passing.pk, str(COURSE)))
        )
    assert Credential.objects.filter(user=passing).exists()


def test_receivers_never_raise(graded_configuration, passing, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("database is on fire")

    monkeypatch.setattr(handlers, "learner_progress_queue", broken)
    with caplog.at_level(logging.ERROR, logger="learning_credentials.handlers"):
        handlers.handle_course_passing_status_updated(
            **platform_kwargs(COURSE_PASSING_STATUS_UPDATED, course_passing_status=passing_status(passing))
        )
    assert "database is on fire" in caplog.text
    assert not Credential.objects.exists()


@pytest.mark.usefixtures("unreachable_broker")
def test_a_broker_that_cannot_be_reached_is_logged_not_raised(wired, graded_configuration, passing, caplog, commit):
    with commit(), caplog.at_level(logging.ERROR, logger="learning_credentials.activity"):
        COURSE_PASSING_STATUS_UPDATED.send_event(course_passing_status=passing_status(passing))
    [failed] = activity(caplog, "progress_not_queued")
    assert failed["reason"] == "queue_unavailable" and "Connection refused" in failed["error"]
    assert not Credential.objects.exists()

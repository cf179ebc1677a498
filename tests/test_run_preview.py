"""What "Generate now", --dry-run and the API show before a run: the run's own plan, counted, with reasons."""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from opaque_keys.edx.keys import CourseKey
from sandbox.lms import models as lms

from learning_credentials.eligibility import Reason
from learning_credentials.eligibility import reasons as codes
from learning_credentials.models import CredentialConfiguration, CredentialEvent, CredentialRun
from learning_credentials.services.configuration import configuration_run
from learning_credentials.services.run_preview import (
    NO_LEARNER_IN_ELIGIBLE_MODE,
    NO_LEARNERS,
    SAME_REASON_FOR_ALL,
    UNKNOWN_CONTEXT,
    RunPreview,
    configuration_preview,
    configuration_preview_start,
    preview_state,
)
from tests import factories

pytestmark = pytest.mark.django_db
UNKNOWN = "course-v1:DemoX+NOPE+2026"


def learner(name: str, course, completion: float | None, mode: str = "verified"):
    user = factories.UserFactory(username=name)
    lms.Enrollment.objects.create(user=user, context_key=str(course.key), mode=mode)
    if completion is not None:
        factories.set_completion(user, course, completion)
    return user


@pytest.fixture
def cohort(course):
    """Two who would be issued, one holding already, two below the mark, one in audit."""
    return {
        "done": learner("done", course, 1.0),
        "also_done": learner("also_done", course, 0.95),
        "holder": learner("holder", course, 1.0),
        "half": learner("half", course, 0.5),
        "idle": learner("idle", course, None),
        "audit": learner("audit", course, 1.0, mode="audit"),
    }


@pytest.fixture
def verified_only(configuration):
    configuration.custom_options = {"enrollment_modes": ["verified"]}
    configuration.save()
    return configuration


def test_counts_and_reasons(verified_only, cohort):
    factories.CredentialFactory(configuration=verified_only, user=cohort["holder"])
    preview = configuration_preview(configuration=verified_only)
    assert (preview.enrolled, preview.evaluated, preview.eligible) == (6, 5, 3)
    assert (preview.already_held, preview.to_issue, preview.to_renew) == (1, 2, 0)
    assert dict(preview.reasons) == {
        Reason.of(codes.COMPLETION_BELOW, required=90.0): 2,
        Reason.of(codes.ENROLLMENT_MODE): 1,
    }
    assert preview.reason_lines()[0] == (codes.COMPLETION_BELOW, "Completion below 90%", 2)
    assert preview.would_act and preview.warning() == ""


def test_the_preview_agrees_with_the_run_that_follows(verified_only, cohort, django_capture_on_commit_callbacks):
    factories.CredentialFactory(configuration=verified_only, user=cohort["holder"])
    preview = configuration_preview(configuration=verified_only)
    with django_capture_on_commit_callbacks(execute=True):
        run = configuration_run(configuration_id=verified_only.pk, source="admin", inline=True)
    assert (run.eligible, run.already_held, run.issued, run.renewed) == (
        preview.eligible,
        preview.already_held,
        preview.to_issue,
        preview.to_renew,
    )


def test_a_large_context_is_planned_in_chunks_with_the_same_counts(settings, verified_only, cohort):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "CHUNK_SIZE": 2}
    heard = []
    chunked = configuration_preview(configuration=verified_only, on_progress=lambda done, total: heard.append(done))
    assert heard == [2, 4, 6]
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "CHUNK_SIZE": 200}
    assert chunked == configuration_preview(configuration=verified_only)


def test_the_preview_writes_nothing(verified_only, cohort):
    configuration_preview(configuration=verified_only)
    assert not CredentialRun.objects.exists() and not CredentialEvent.objects.exists()


def test_a_function_without_reasons_counts_as_no_reason_given(configuration, cohort, installed_plugin):
    installed_plugin(
        "from learning_credentials.eligibility import Eligibility\n"
        "def retrieve_nobody(*, adapter, context_key, options, user_ids=None):\n"
        "    ids = adapter.get_enrolled_user_ids(context_key, user_ids)\n"
        "    return {uid: Eligibility(eligible=False) for uid in ids}\n",
        "[learning_credentials.retrieval]\nnobody = lc_test_plugin:retrieve_nobody\n",
    )
    configuration.credential_type.retrieval_func = "nobody"
    configuration.credential_type.custom_options = {"template": "certificate-template"}
    configuration.credential_type.save()
    preview = configuration_preview(configuration=CredentialConfiguration.objects.get(pk=configuration.pk))
    assert preview.reasons == ((Reason.of(codes.NO_REASON_GIVEN), 6),)
    assert preview.reason_lines()[0][1] == "Not eligible (no reason given)"


class TestWarnings:
    def test_an_unknown_context(self, configuration):
        CredentialConfiguration.objects.filter(pk=configuration.pk).update(
            learning_context_key=CourseKey.from_string(UNKNOWN)
        )
        preview = configuration_preview(configuration=CredentialConfiguration.objects.get(pk=configuration.pk))
        assert preview.warning_code() == UNKNOWN_CONTEXT
        assert "does not know course-v1:DemoX+NOPE+2026" in preview.warning()

    def test_no_learners(self, configuration):
        assert configuration_preview(configuration=configuration).warning_code() == NO_LEARNERS

    def test_no_learner_in_an_eligible_mode(self, verified_only, course):
        learner("audit", course, 1.0, mode="audit")
        preview = configuration_preview(configuration=verified_only)
        assert preview.warning_code() == NO_LEARNER_IN_ELIGIBLE_MODE
        assert "enrollment_modes" in preview.warning()

    def test_every_learner_failing_for_the_same_reason(self, configuration, course):
        configuration.custom_options = {"required_completion": 100}
        configuration.save()
        for name in ("a", "b", "c"):
            learner(name, course, 0.99)
        preview = configuration_preview(configuration=configuration)
        assert preview.warning_code() == SAME_REASON_FOR_ALL
        assert "Completion below 100%" in preview.warning()
        assert not preview.would_act

    def test_a_run_that_cannot_go_ahead(self, configuration, course):
        configuration.credential_type.retrieval_func = "subsection_grades"
        configuration.credential_type.custom_options = {"template": "certificate-template"}
        configuration.credential_type.save()
        configuration.custom_options = {"required_grades": {"Labs": 50}}
        configuration.save()  # in code: only forms ask the host
        learner("a", course, 1.0)
        preview = configuration_preview(configuration=CredentialConfiguration.objects.get(pk=configuration.pk))
        assert preview.error and "Labs" in preview.warning()

    def test_holders_alone_are_no_warning(self, configuration, course):
        factories.CredentialFactory(configuration=configuration, user=learner("a", course, 1.0))
        preview = configuration_preview(configuration=configuration)
        assert preview.warning_code() is None and not preview.would_act


class TestLargeContextsInATask:
    def test_above_the_threshold_a_task_leaves_progress_then_the_result(self, settings, verified_only, cohort):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "PREVIEW_INLINE_MAX_LEARNERS": 3}
        preview_id = configuration_preview_start(configuration=verified_only)
        assert isinstance(preview_id, str)
        state = preview_state(preview_id=preview_id)  # eager: the task has run
        assert state.configuration_id == verified_only.pk and (state.done, state.total) == (6, 6)
        assert state.preview == configuration_preview(configuration=verified_only)

    def test_small_contexts_answer_inline(self, verified_only, cohort):
        assert isinstance(configuration_preview_start(configuration=verified_only), RunPreview)

    def test_an_unknown_preview(self):
        assert preview_state(preview_id="nope") is None


class TestSavingAConfiguration:
    """Forms (the model's clean) ask the host about the context."""

    def make(self, configuration, **fields) -> CredentialConfiguration:
        candidate = CredentialConfiguration(
            credential_type=configuration.credential_type,
            learning_context_key=CourseKey.from_string(fields.pop("key", UNKNOWN)),
            **fields,
        )
        return candidate

    def test_an_unknown_course_is_refused(self, configuration):
        with pytest.raises(ValidationError) as refused:
            self.make(configuration).full_clean()
        (message,) = refused.value.message_dict["learning_context_key"]
        assert message == (
            "The platform has no course or learning path course-v1:DemoX+NOPE+2026. Check the key; to configure a "
            "course that is still to be created, tick 'The course does not exist yet'."
        )

    def test_accepted_when_staff_say_it_does_not_exist_yet(self, configuration):
        self.make(configuration, context_not_created_yet=True).full_clean()

    def test_a_grade_category_the_course_lacks_is_refused(self, configuration):
        configuration.credential_type.retrieval_func = "subsection_grades"
        configuration.credential_type.custom_options = {"template": "certificate-template"}
        configuration.credential_type.save()
        candidate = self.make(configuration, key=factories.COURSE_KEY, custom_options={"required_grades": {"Labs": 50}})
        candidate.credential_type = configuration.credential_type
        with pytest.raises(ValidationError) as refused:
            candidate.clean()
        (message,) = refused.value.message_dict["custom_options"]
        assert "course-v1:DemoX+CS101+2026 has no grade category 'Labs'" in message
        candidate.custom_options = {"required_grades": {"Exam": 50}}
        candidate.clean()


def test_the_commands_dry_run_prints_the_preview_in_words(verified_only, cohort):
    out = io.StringIO()
    call_command("generate_credentials", "--configuration", str(verified_only.pk), "--dry-run", stdout=out)
    text = out.getvalue()
    assert text.count("would issue") == 3
    assert "5 learners evaluated, 3 eligible, 0 already holding; 3 to issue, 0 to renew." in text
    assert "  not eligible: Completion below 90% (2)" in text
    assert "  not eligible: Not enrolled in a mode that earns this credential (1)" in text
    assert not CredentialRun.objects.exists()


def test_the_dry_run_warns_of_a_configuration_that_can_issue_nothing(configuration):
    out = io.StringIO()
    call_command("generate_credentials", "--configuration", str(configuration.pk), "--dry-run", stdout=out)
    assert "  warning: No learner is enrolled in course-v1:DemoX+CS101+2026" in out.getvalue()

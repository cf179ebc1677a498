"""The final exam: start, one sitting, answers, submit, discard, idle expiry (seed 004 §2.5-2.7, §6.3, §9)."""

import json
from datetime import timedelta

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from opaque_keys.edx.keys import CourseKey
from rest_framework.test import APIClient

from learning_credentials.exams import attempts as exam
from learning_credentials.exams.exceptions import (
    AlreadyAnswered,
    AttemptClosed,
    CertificationUnavailable,
    CourseNotCompleted,
    NoEntitlement,
    StartLimitReached,
)
from learning_credentials.exams.models import Attempt, CertificationEvent, Question
from learning_credentials.exceptions import BadRequest, ObjectNotFound
from tests import factories
from tests.concurrency import run_together

from .conftest import CHILD, COURSE, SOURCE, answer, grant, make_pool, right_options, start, take, wrong_options

API = "/api/learning_credentials/v1/certification"


def options_in(value):
    """Every option object anywhere in a JSON document."""
    if isinstance(value, dict):
        yield from value.get("options", []) if isinstance(value.get("options"), list) else []
        for item in value.values():
            yield from options_in(item)
    elif isinstance(value, list):
        for item in value:
            yield from options_in(item)


def walk(value):
    """Every key anywhere in a JSON document."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


@pytest.mark.django_db
class TestStart:
    def test_draws_the_exam_size_of_distinct_pool_questions_and_keeps_a_snapshot(self, ready, learner):
        attempt = start(learner)
        drawn = [question["question"] for question in attempt.questions]
        assert attempt.size == 50 and len(drawn) == 50 and len(set(drawn)) == 50
        assert set(drawn) <= set(Question.objects.filter(pool_context_key=COURSE).values_list("pk", flat=True))
        assert attempt.status == "in_progress" and attempt.pool_count == 150
        Question.objects.filter(pk=drawn[0]).update(text="Edited afterwards")
        attempt.refresh_from_db()
        assert attempt.questions[0]["text"] != "Edited afterwards"  # editing the pool changes no attempt

    def test_ids_in_the_attempt_are_random_tokens_not_bank_ids(self, ready, learner):
        attempt = start(learner)
        bank_ids = {str(pk) for pk in Question.objects.values_list("pk", flat=True)}
        tokens = [q["id"] for q in attempt.questions] + [o["id"] for q in attempt.questions for o in q["options"]]
        assert len(set(tokens)) == len(tokens) and not set(tokens) & bank_ids

    def test_true_false_keeps_its_option_order(self, ready, learner):
        Question.objects.filter(pool_context_key=COURSE).delete()
        make_pool(COURSE, 60, kind=Question.Kind.TRUE_FALSE)
        attempt = start(learner)
        assert all([o["text"] for o in q["options"]] == ["True", "False"] for q in attempt.questions)

    def test_a_child_course_draws_its_size_from_the_parent_pool(self, ready, learner):
        factories.make_course(str(CHILD), "Essentials")
        factories.enroll(learner, str(CHILD))
        factories.set_completion(learner, factories.make_course(str(CHILD)), 1.0)
        child_configuration = factories.ConfigurationFactory(
            learning_context_key=CHILD, credential_type=ready.configuration.credential_type
        )
        ready.__class__.objects.create(
            context_key=CHILD,
            enabled=True,
            pool_context_key=COURSE,
            exam_size=10,
            configuration=child_configuration,
            price_points=10,
        )
        grant(learner, CHILD)
        attempt = start(learner, CHILD)
        assert attempt.size == 10 and len({q["question"] for q in attempt.questions}) == 10
        assert str(attempt.pool_context_key) == str(COURSE)

    def test_refusals_in_the_seed_s_words(self, ready, learner, settings):
        factories.set_completion(learner, factories.make_course(), 0.5)
        with pytest.raises(CourseNotCompleted, match="Complete the course"):
            start(learner)
        factories.set_completion(learner, factories.make_course(), 1.0)
        ready.enabled = False
        ready.save()
        with pytest.raises(CertificationUnavailable, match="Contact the course creator"):
            start(learner)

    def test_no_entitlement_no_exam(self, for_sale_exam, learner):
        with pytest.raises(NoEntitlement):
            start(learner)
        assert not Attempt.objects.exists()

    def test_a_per_course_completion_threshold(self, ready, learner):
        factories.set_completion(learner, factories.make_course(), 0.85)
        with pytest.raises(CourseNotCompleted):
            start(learner)
        ready.required_completion = 80
        ready.save()
        assert start(learner).status == "in_progress"

    def test_the_optional_daily_cap(self, ready, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"MAX_STARTS_PER_DAY": 2}}
        now = timezone.now()
        start(learner, now=now - timedelta(hours=25))
        start(learner, now=now - timedelta(hours=3))
        start(learner, now=now - timedelta(hours=1))
        with pytest.raises(StartLimitReached) as refused:
            start(learner, now=now)
        assert (
            21 * 3600 <= refused.value.extra["retry_after"] <= 21 * 3600 + 2
        )  # when the older of the two leaves the day


@pytest.mark.django_db(transaction=True)
class TestOneSitting:
    def test_a_new_start_discards_the_one_in_progress(self, ready, learner):
        first = start(learner)
        second = start(learner)
        first.refresh_from_db()
        assert (first.status, first.discard_reason) == ("discarded", "superseded")
        assert Attempt.objects.get(in_progress=True) == second

    def test_the_database_allows_one_attempt_in_progress(self, ready, learner):
        attempt = start(learner)
        with pytest.raises(IntegrityError), transaction.atomic():
            Attempt.objects.create(
                user=learner,
                context_key=COURSE,
                pool_context_key=COURSE,
                size=1,
                pool_count=1,
                started_at=attempt.started_at,
                last_activity_at=attempt.started_at,
            )

    def test_concurrent_starts_leave_one_in_progress(self, ready, learner):
        results = run_together(lambda: start(learner), workers=2)
        assert all(isinstance(result, Attempt) for result in results), results
        assert Attempt.objects.filter(in_progress=True).count() == 1
        assert Attempt.objects.filter(discard_reason="superseded").count() == 1


@pytest.mark.django_db
class TestAnswers:
    def test_each_answer_says_whether_it_was_right_and_moves_on(self, ready, learner):
        attempt = start(learner)
        first, second = attempt.questions[:2]
        assert exam.current_question(attempt)["id"] == first["id"]
        assert answer(learner, attempt, first, right=True).correct is True
        result = answer(learner, attempt, second, right=False)
        assert result.correct is False and exam.current_question(result.attempt)["id"] == attempt.questions[2]["id"]

    def test_the_first_answer_is_final(self, ready, learner):
        attempt = start(learner)
        answer(learner, attempt, attempt.questions[0], right=False)
        with pytest.raises(AlreadyAnswered):
            answer(learner, attempt, attempt.questions[0], right=True)
        attempt.refresh_from_db()
        assert attempt.answers[attempt.questions[0]["id"]]["correct"] is False

    def test_malformed_answers_are_refused_in_words(self, ready, learner):
        attempt = start(learner)
        first, second = attempt.questions[:2]
        cases = [
            ("nope", [first["options"][0]["id"]], "no such question"),
            (first["id"], [second["options"][0]["id"]], "options"),
            (first["id"], [o["id"] for o in first["options"][:2]], "exactly one"),
            (first["id"], [], "options"),
        ]
        for question, options, words in cases:
            with pytest.raises(BadRequest, match=words):
                exam.attempt_answer(
                    attempt_id=str(attempt.pk),
                    user_id=learner.pk,
                    question=question,
                    options=options,
                    activity_source=SOURCE,
                )
        attempt.refresh_from_db()
        assert attempt.answers == {}

    def test_multiple_choice_needs_all_and_only_the_correct_options(self, ready, learner):
        Question.objects.filter(pool_context_key=COURSE).delete()
        questions = make_pool(COURSE, 60, kind=Question.Kind.MULTIPLE)
        for question in questions:
            question.options.filter(position=1).update(correct=True)  # A and B are right
        attempt = start(learner)
        q1, q2, q3 = attempt.questions[:3]
        right = right_options(q1)
        assert len(right) == 2
        assert answer(learner, attempt, q1, right=True).correct is True
        partial = exam.attempt_answer(
            attempt_id=str(attempt.pk),
            user_id=learner.pk,
            question=q2["id"],
            options=right_options(q2)[:1],
            activity_source=SOURCE,
        )
        everything = exam.attempt_answer(
            attempt_id=str(attempt.pk),
            user_id=learner.pk,
            question=q3["id"],
            options=[o["id"] for o in q3["options"]],
            activity_source=SOURCE,
        )
        assert (partial.correct, everything.correct) == (False, False)

    def test_another_learner_s_attempt_does_not_exist_for_them(self, ready, learner):
        attempt = start(learner)
        other = factories.UserFactory()
        with pytest.raises(ObjectNotFound):
            exam.attempt_read(attempt_id=str(attempt.pk), user_id=other.pk, activity_source=SOURCE)
        with pytest.raises(ObjectNotFound):
            exam.attempt_read(attempt_id="not-a-uuid", user_id=learner.pk, activity_source=SOURCE)

    def test_answers_cost_the_same_queries_whatever_the_pool_size(self, ready, learner):
        def queries_per_answer():
            attempt = start(learner)
            with CaptureQueriesContext(connection) as queries:
                answer(learner, attempt, attempt.questions[0], right=True)
            return len(queries)

        small = queries_per_answer()
        make_pool(COURSE, 1000, start=1000)
        assert queries_per_answer() == small


@pytest.mark.django_db
class TestIdleAndDiscard:
    def test_an_idle_attempt_expires_on_its_next_access(self, ready, learner, settings):
        attempt = start(learner)
        later = attempt.last_activity_at + timedelta(seconds=901)
        with pytest.raises(AttemptClosed) as closed:
            answer(learner, attempt, attempt.questions[0], right=True, now=later)
        assert closed.value.extra == {"status": "discarded", "reason": "expired"}
        assert str(closed.value) == (
            "This exam was discarded because it was idle for longer than the idle timeout; start a new one."
        )
        attempt.refresh_from_db()
        assert (attempt.status, attempt.discard_reason, attempt.answers) == ("discarded", "expired", {})

    def test_an_answer_keeps_it_alive(self, ready, learner):
        attempt = start(learner)
        step = timedelta(seconds=600)
        for number, question in enumerate(attempt.questions[:3], start=1):
            answer(learner, attempt, question, right=True, now=attempt.started_at + number * step)
        attempt.refresh_from_db()
        assert attempt.status == "in_progress" and len(attempt.answers) == 3

    def test_the_sweep_discards_idle_attempts_only(self, ready, learner):
        idle = start(learner)
        other = factories.UserFactory()
        factories.enroll(other)
        factories.set_completion(other, factories.make_course(), 1.0)
        grant(other)
        fresh = start(other)
        assert exam.attempts_expire(now=idle.started_at + timedelta(seconds=899)) == 0
        Attempt.objects.filter(pk=idle.pk).update(last_activity_at=timezone.now() - timedelta(hours=1))
        assert exam.attempts_expire() == 1
        idle.refresh_from_db()
        fresh.refresh_from_db()
        assert (idle.status, idle.discard_reason, fresh.status) == ("discarded", "expired", "in_progress")

    def test_a_discarded_attempt_takes_no_answer_or_submit(self, ready, learner):
        attempt = start(learner)
        exam.attempt_discard(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        with pytest.raises(AttemptClosed) as closed:
            answer(learner, attempt, attempt.questions[0], right=True)
        assert closed.value.extra == {"status": "discarded", "reason": "left"}
        assert str(closed.value) == "This exam was discarded because you left it; start a new one."
        with pytest.raises(AttemptClosed):
            exam.attempt_submit(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        kinds = CertificationEvent.objects.filter(kind__startswith="attempt").values_list("kind", "details__reason")
        assert sorted(kinds) == [("attempt_discarded", "left"), ("attempt_started", None)]


@pytest.mark.django_db
class TestSubmit:
    @pytest.mark.parametrize(
        ("correct", "score", "passed"),
        [(29, 58, True), (26, 52, True), (25, 50, False), (0, 0, False), (50, 100, True)],
    )
    def test_score_and_pass(self, ready, learner, correct, score, passed):
        grade = take(learner, start(learner), correct)
        assert (grade.attempt.score, grade.attempt.passed, grade.attempt.correct_count) == (score, passed, correct)

    def test_unanswered_questions_count_as_wrong(self, ready, learner):
        grade = take(learner, start(learner), 26, answered=30)  # 26 of 50: 52
        assert (grade.attempt.score, grade.attempt.passed) == (52, True)
        grade = take(learner, start(learner), 25, answered=25)
        assert (grade.attempt.score, grade.attempt.passed) == (50, False)

    def test_a_fail_lists_the_wrong_questions_without_answers(self, ready, learner):
        attempt = start(learner)
        grade = take(learner, attempt, 20, answered=40)
        assert grade.wrong_questions == [q["text"] for q in attempt.questions[20:]]
        assert grade.correct_answers is None

    def test_correct_answers_only_when_the_setting_says_so(self, ready, learner, settings):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"SHOW_CORRECT_ANSWERS_ON_FAIL": True},
        }
        attempt = start(learner)
        grade = take(learner, attempt, 0, answered=0)
        assert grade.correct_answers[0] == {"question": attempt.questions[0]["text"], "correct_options": ["A"]}

    def test_a_pass_lists_nothing(self, ready, learner):
        grade = take(learner, start(learner), 40)
        assert grade.wrong_questions == [] and grade.correct_answers is None

    def test_a_second_submit_is_refused(self, ready, learner):
        attempt = start(learner)
        take(learner, attempt, 40)
        with pytest.raises(AttemptClosed) as closed:
            exam.attempt_submit(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        assert closed.value.extra == {"status": "graded", "reason": None}


@pytest.mark.django_db(transaction=True)
def test_double_submits_grade_once_with_one_certificate(ready, learner):
    attempt = start(learner)
    for question in attempt.questions[:40]:
        answer(learner, attempt, question, right=True)

    def submit():
        try:
            return exam.attempt_submit(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        except AttemptClosed as refused:
            return refused

    results = run_together(submit, workers=2)
    assert sorted(type(result).__name__ for result in results) == ["AttemptClosed", "Grade"], results
    assert CertificationEvent.objects.filter(kind="attempt_graded").count() == 1
    assert CertificationEvent.objects.filter(kind="certificate_issued").count() == 1
    assert ready.configuration.credentials.count() == 1


@pytest.mark.django_db
class TestApi:
    def client(self, user, **kwargs) -> APIClient:
        client = APIClient(**kwargs)
        client.force_login(user)
        return client

    def test_a_whole_exam_through_the_api_never_shows_correctness_data(self, ready, learner):
        client = self.client(learner)
        started = client.post(f"{API}/{COURSE}/attempts/")
        assert started.status_code == 201, started.content
        body = started.json()
        assert body["size"] == 50 and body["question"]["number"] == 1
        attempt = Attempt.objects.get(pk=body["id"])
        replies = [json.dumps(body)]
        for number, question in enumerate(attempt.questions):
            options = right_options(question) if number < 30 else wrong_options(question)
            reply = client.post(
                f"{API}/attempts/{attempt.pk}/answer/", {"question": question["id"], "options": options}, format="json"
            )
            assert reply.status_code == 200, reply.content
            assert reply.json()["correct"] is (number < 30)
            replies.append(reply.content.decode())
        assert reply.json()["attempt"]["question"] is None
        submitted = client.post(f"{API}/attempts/{attempt.pk}/submit/")
        assert submitted.status_code == 200
        assert {k: submitted.json()[k] for k in ("score", "passed", "correct", "size")} == {
            "score": 60,
            "passed": True,
            "correct": 30,
            "size": 50,
        }
        keys = {key for reply in replies for key in walk(json.loads(reply))}
        assert not keys & {"explanation", "weight", "correct_options", "is_correct", "external_id", "lesson"}
        shown = [o for reply in replies for o in options_in(json.loads(reply))]
        assert len(shown) > 100 and all(set(option) == {"id", "text"} for option in shown)

    def test_the_current_question_is_the_same_on_every_read(self, ready, learner):
        client = self.client(learner)
        attempt_id = client.post(f"{API}/{COURSE}/attempts/").json()["id"]
        first, again = (client.get(f"{API}/attempts/{attempt_id}/").json()["question"] for _ in range(2))
        assert first == again and first["number"] == 1

    def test_error_codes(self, ready, learner):
        client = self.client(learner)
        attempt = Attempt.objects.get(pk=client.post(f"{API}/{COURSE}/attempts/").json()["id"])
        question = attempt.questions[0]
        url = f"{API}/attempts/{attempt.pk}"
        client.post(f"{url}/answer/", {"question": question["id"], "options": right_options(question)}, format="json")
        again = client.post(
            f"{url}/answer/", {"question": question["id"], "options": right_options(question)}, format="json"
        )
        assert (again.status_code, again.json()["code"]) == (409, "already_answered")
        unknown = client.post(f"{url}/answer/", {"question": "x", "options": ["y"]}, format="json")
        assert (unknown.status_code, unknown.json()["code"]) == (400, "bad_request")
        malformed = client.post(f"{url}/answer/", {"question": ["x"]}, format="json")
        assert (malformed.status_code, malformed.json()["code"]) == (400, "invalid")
        assert client.get(f"{API}/attempts/{'0' * 32}/").status_code == 404
        assert client.post(f"{url}/discard/").json()["discard_reason"] == "left"
        closed = client.post(f"{url}/submit/")
        assert closed.status_code == 409
        assert {k: closed.json()[k] for k in ("code", "status", "reason")} == {
            "code": "attempt_closed",
            "status": "discarded",
            "reason": "left",
        }
        assert client.post(f"{API}/not-a-key/attempts/").status_code == 400

    def test_start_refusals(self, for_sale_exam, learner, settings):
        client = self.client(learner)
        refused = client.post(f"{API}/{COURSE}/attempts/")
        assert (refused.status_code, refused.json()["code"]) == (403, "no_entitlement")
        grant(learner)
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"MAX_STARTS_PER_DAY": 1}}
        assert client.post(f"{API}/{COURSE}/attempts/").status_code == 201
        limited = client.post(f"{API}/{COURSE}/attempts/")
        assert (limited.status_code, limited.json()["code"]) == (429, "start_limit")
        assert limited.json()["retry_after"] > 0 and int(limited["Retry-After"]) == limited.json()["retry_after"]

    def test_a_browser_beacon_discards_with_a_form_post_and_its_csrf_token(self, ready, learner):
        client = self.client(learner, enforce_csrf_checks=True)
        client.get("/")  # nothing needed: the token is any valid one set in the cookie
        from django.middleware.csrf import _get_new_csrf_string

        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        attempt_id = client.post(f"{API}/{COURSE}/attempts/", HTTP_X_CSRFTOKEN=token).json()["id"]
        without = client.post(f"{API}/attempts/{attempt_id}/discard/", {}, format="multipart")
        assert without.status_code == 403
        beacon = client.post(
            f"{API}/attempts/{attempt_id}/discard/", {"csrfmiddlewaretoken": token}, format="multipart"
        )
        assert beacon.status_code == 200 and beacon.json()["status"] == "discarded"


@pytest.mark.django_db
def test_retirement_discards_the_exam_in_progress_and_erases_every_answer(ready, learner):
    from learning_credentials.services.retirement import learner_retire

    graded = start(learner)
    take(learner, graded, 30)
    ongoing = start(learner)
    answer(learner, ongoing, ongoing.questions[0], right=True)
    learner_retire(user_id=learner.pk)
    graded.refresh_from_db()
    ongoing.refresh_from_db()
    assert (graded.answers, graded.score) == ({}, 60)  # the grade is a fact about the exam; the answers were theirs
    assert (ongoing.status, ongoing.discard_reason, ongoing.answers) == ("discarded", "retired", {})
    assert not CertificationEvent.objects.exclude(details={}).exists()


@pytest.mark.django_db
def test_beat_runs_the_sweep_every_minute(ready, learner):
    from django_celery_beat.models import PeriodicTask

    from learning_credentials.exams.tasks import expire_attempts

    entry = PeriodicTask.objects.get(task=exam.EXPIRE_ATTEMPTS)  # created after the exams' migrations
    assert (entry.enabled, entry.interval.every, entry.interval.period) == (True, 60, "seconds")
    attempt = start(learner)
    Attempt.objects.filter(pk=attempt.pk).update(last_activity_at=timezone.now() - timedelta(hours=1))
    assert expire_attempts.apply().get() == 1


@pytest.mark.django_db
def test_staff_read_attempts_and_certifications_in_the_admin(admin_client, sit, learner):
    from learning_credentials.exams.models import Certification
    from learning_credentials.identifiers import format_code

    sit(45)
    attempt, certification = Attempt.objects.get(), Certification.objects.get()
    for url in (
        "/admin/learning_credentials_exams/attempt/",
        f"/admin/learning_credentials_exams/attempt/{attempt.pk}/change/",
        "/admin/learning_credentials_exams/certification/",
        f"/admin/learning_credentials_exams/certification/{certification.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url
    listed = admin_client.get("/admin/learning_credentials_exams/certification/").content.decode()
    assert format_code(certification.code) in listed  # grouped, as the public page and admin messages print it
    page = admin_client.get(f"/admin/learning_credentials_exams/attempt/{attempt.pk}/change/").content.decode()
    assert attempt.questions[0]["text"] not in page  # the drawn questions and answers are not shown
    assert admin_client.get("/admin/learning_credentials_exams/attempt/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/learning_credentials_exams/attempt/{attempt.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )


@pytest.mark.django_db
class TestSeedIntegration:
    """Seed 004 §9.2, end to end through the API a learner's pages call."""

    def test_paywall_purchase_start_pass_certificate(self, for_sale_exam, learner, django_capture_on_commit_callbacks):
        from sandbox.lms.models import Order

        client = APIClient()
        client.force_login(learner)
        status = client.get(f"{API}/{COURSE}/").json()
        assert status["available"] and not status["entitlement_owned"]
        assert client.post(f"{API}/{COURSE}/attempts/").json()["code"] == "no_entitlement"  # the paywall
        Order.objects.create(
            reference="ord-1",
            user=learner,
            context_key=str(COURSE),
            amount="49.00",
            currency="USD",
            paid_at=timezone.now(),
        )
        bought = client.post(f"{API}/{COURSE}/purchase/", {"payment_reference": "ord-1"}, format="json")
        assert bought.status_code == 201
        attempt = Attempt.objects.get(pk=client.post(f"{API}/{COURSE}/attempts/").json()["id"])
        for question in attempt.questions:
            client.post(
                f"{API}/attempts/{attempt.pk}/answer/",
                {"question": question["id"], "options": right_options(question)},
                format="json",
            )
        with django_capture_on_commit_callbacks(execute=True):
            graded = client.post(f"{API}/attempts/{attempt.pk}/submit/").json()
        assert (graded["score"], graded["passed"]) == (100, True)
        credential = for_sale_exam.configuration.credentials.get()
        assert (credential.user_id, credential.score, credential.status) == (learner.pk, 100, "available")

    def test_a_short_course_draws_a_full_exam_from_the_master_pool(self, ready, learner):
        short = "course-v1:DemoX+CS101-SHORT+2026"
        factories.make_course(short, "Short")
        factories.enroll(learner, short)
        factories.set_completion(learner, factories.make_course(short), 1.0)
        ready.__class__.objects.create(
            context_key=short,
            enabled=True,
            pool_context_key=COURSE,
            configuration=factories.ConfigurationFactory(
                learning_context_key=CourseKey.from_string(short), credential_type=ready.configuration.credential_type
            ),
        )
        grant(learner, short)
        attempt = start(learner, short)
        assert attempt.size == 50 and len({q["question"] for q in attempt.questions}) == 50

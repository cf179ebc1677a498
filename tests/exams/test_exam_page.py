"""The final exam page and its result through Django's test client (issue 18 points 4 and 5), and the revocation email.

A GET never starts or discards; a start is a POST with CSRF, redirected (303) to the one GET that
shows the sitting; any later GET says the attempt cannot be resumed. Refusals are sentences.
"""

import json
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from sandbox.lms import models as lms

from learning_credentials.exams import attempts as exam
from learning_credentials.exams.models import Attempt, CertificationSettings
from learning_credentials.exams.notifications import certificate_revoked_notify
from learning_credentials.models import Credential, CredentialEvent
from tests import factories
from tests.test_credential_languages import use_catalogues

from .conftest import COURSE, SOURCE, start, take
from .test_pages import text

EXAM = f"/learning_credentials/certification/{COURSE}/exam/"
CANNOT_RESUME = "Your exam in progress cannot be resumed"
LEFT = "Your previous attempt was discarded because you left the exam."


@pytest.fixture
def client(learner):
    client = Client()
    client.force_login(learner)
    return client


def sitting_config(response) -> dict | None:
    """The attempt state the sitting page hands exam.js; None on any other page."""
    found = re.search(r'<script id="exam-config" type="application/json">(.*?)</script>', response.content.decode())
    return json.loads(found.group(1)) if found else None


def start_on_page(client) -> tuple[Attempt, str]:
    """POST "Start final exam"; the new attempt and where the 303 leads."""
    response = client.post(EXAM)
    assert response.status_code == 303, response.status_code
    return Attempt.objects.get(status=Attempt.Status.IN_PROGRESS), response["Location"]


def attempts() -> list[tuple]:
    return list(Attempt.objects.order_by("started_at").values_list("status", "discard_reason", "sitting_shown_at"))


@pytest.mark.django_db
class TestStartAndSitting:
    def test_a_get_starts_nothing_and_offers_the_start_as_a_post_form(self, client, ready):
        response = client.get(EXAM)
        assert response.status_code == 200
        assert Attempt.objects.count() == 0
        page = response.content.decode()
        assert re.search(rf'<form method="post" action="{re.escape(EXAM)}"', page)
        assert "csrfmiddlewaretoken" in page
        assert "Start final exam" in text(response)
        assert "50 questions, one at a time" in text(response)
        assert sitting_config(response) is None
        assert "Cache-Control" not in response or "no-store" not in response["Cache-Control"]

    def test_a_start_without_the_csrf_token_is_refused(self, learner, ready):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(learner)
        assert strict.post(EXAM).status_code == 403
        assert Attempt.objects.count() == 0

    def test_the_start_redirects_to_the_sitting_shown_once_and_never_again(self, client, ready):
        attempt, location = start_on_page(client)
        assert location == f"{EXAM}?sitting={attempt.pk}"
        first = client.get(location)
        config = sitting_config(first)
        assert config["attempt"]["id"] == str(attempt.pk)
        assert config["attempt"]["question"]["number"] == 1
        assert all(set(option) == {"id", "text"} for option in config["attempt"]["question"]["options"])
        assert config["urls"]["discard"] == f"/api/learning_credentials/v1/certification/attempts/{attempt.pk}/discard/"
        assert config["urls"]["result"] == f"{EXAM}{attempt.pk}/"
        assert config["csrfToken"]
        assert len(config["strings"]["unanswered"]) == 50
        assert config["strings"]["unanswered"][0] == "1 question is not answered; it will count as wrong."
        assert "exams/exam.js" in first.content.decode()
        assert "no-store" not in first.get("Cache-Control", "")  # back/forward cache eligible

        for again in (location, EXAM):  # a reload, a second tab, a replayed link
            response = client.get(again)
            assert sitting_config(response) is None
            assert CANNOT_RESUME in text(response)
            assert "Start again" in text(response)
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.IN_PROGRESS  # saying so discards nothing
        assert attempt.sitting_shown_at is not None

    def test_a_head_request_does_not_use_up_the_showing(self, client, ready):
        attempt, location = start_on_page(client)
        assert client.head(location).status_code == 200
        assert sitting_config(client.get(location))["attempt"]["id"] == str(attempt.pk)

    def test_another_learner_cannot_claim_the_sitting(self, client, ready):
        _attempt, location = start_on_page(client)
        other = factories.UserFactory(username="grace")
        factories.enroll(other)
        intruder = Client()
        intruder.force_login(other)
        assert sitting_config(intruder.get(location)) is None
        assert sitting_config(client.get(location)) is not None

    def test_start_again_supersedes_the_attempt_that_cannot_be_resumed(self, client, ready):
        first, location = start_on_page(client)
        client.get(location)
        second, second_location = start_on_page(client)
        assert second.pk != first.pk
        first.refresh_from_db()
        assert (first.status, first.discard_reason) == ("discarded", "superseded")
        assert sitting_config(client.get(second_location))["attempt"]["id"] == str(second.pk)

    def test_coming_back_after_leaving_says_the_attempt_was_discarded(self, client, ready, learner):
        attempt, location = start_on_page(client)
        client.get(location)
        exam.attempt_discard(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        response = client.get(EXAM)
        assert LEFT in text(response)
        assert "Start again" in text(response)
        assert sitting_config(client.get(location)) is None  # the old link shows nothing either

    def test_an_attempt_idle_past_the_timeout_is_shown_expired_without_being_discarded(self, client, ready, learner):
        attempt = start(learner, now=timezone.now() - timedelta(hours=1))
        response = client.get(EXAM)
        assert "discarded because no question was answered for 15 minutes" in text(response)
        assert sitting_config(client.get(f"{EXAM}?sitting={attempt.pk}")) is None
        attempt.refresh_from_db()
        assert attempt.status == Attempt.Status.IN_PROGRESS  # the sweep discards it, not a page view

    def test_the_beacon_s_form_post_discards(self, client, ready):
        attempt, location = start_on_page(client)
        config = sitting_config(client.get(location))
        strict = Client(enforce_csrf_checks=True)
        strict.cookies = client.cookies
        response = strict.post(config["urls"]["discard"], {"csrfmiddlewaretoken": config["csrfToken"]})
        assert response.status_code == 200
        attempt.refresh_from_db()
        assert (attempt.status, attempt.discard_reason) == ("discarded", "left")

    def test_a_certified_learner_is_warned_before_a_retake(self, client, sit):
        sit(45)
        response = client.get(EXAM)
        assert (
            "Taking the exam again replaces your most recent score: a score of 50% or below revokes your certificate."
            in text(response)
        )

    def test_the_warning_uses_the_configured_pass_mark(self, client, sit, settings):
        sit(45)
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"PASS_MARK": 70}}
        assert "a score of 70% or below revokes your certificate" in text(client.get(EXAM))


@pytest.mark.django_db
class TestRefusals:
    def assert_refused(self, client, sentence: str):
        page = client.get(EXAM)
        assert page.status_code == 200
        assert sentence in text(page)
        assert "Start final exam" not in text(page)
        response = client.post(EXAM, follow=True)
        assert response.redirect_chain == [(EXAM, 303)]
        assert sentence.split(" (")[0].rstrip(".") in text(response)
        assert "Traceback" not in text(response) and "Error(" not in text(response)
        assert Attempt.objects.count() == 0

    def test_not_completed(self, client, ready, learner):
        factories.set_completion(learner, factories.make_course(), 0.5)
        self.assert_refused(client, "Complete the course before taking the final exam.")

    def test_no_entitlement(self, client, for_sale_exam):
        self.assert_refused(client, "Get certification for this course before taking the final exam.")
        assert 'href="/learning_credentials/certification/' in client.get(EXAM).content.decode()

    def test_unavailable(self, client, ready):
        CertificationSettings.objects.update(enabled=False)
        self.assert_refused(client, "Certification unavailable. Contact the course creator.")

    def test_the_daily_start_limit_is_a_sentence(self, client, ready, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"MAX_STARTS_PER_DAY": 1}}
        start_on_page(client)
        response = client.post(EXAM, follow=True)
        assert response.status_code == 200
        assert "You have started this exam 1 time in the last 24 hours; try again later." in text(response)
        assert Attempt.objects.count() == 1

    def test_a_course_the_learner_is_not_enrolled_in_is_not_found(self, client, ready):
        other = "/learning_credentials/certification/course-v1:DemoX+NOPE+2026/exam/"
        assert client.get(other).status_code == 404
        assert client.post(other).status_code == 404
        assert client.get("/learning_credentials/certification/not-a-key/exam/").status_code == 404


@pytest.mark.django_db
class TestResult:
    def result(self, client, grade):
        return client.get(f"{EXAM}{grade.attempt.pk}/")

    def test_a_pass_shows_the_score_in_words_and_the_certificate(self, client, sit):
        grade = sit(45)
        response = self.result(client, grade)
        words = text(response)
        assert "Your score: 90% (45 of 50 questions right)." in words
        assert "You passed: your score is above 50%." in words
        credential = Credential.objects.get(active=True)
        assert f'href="/learning_credentials/credentials/{credential.uuid}/"' in response.content.decode()
        assert "View certificate" in words
        assert "Start final exam" not in words

    def test_a_fail_lists_the_wrong_questions_without_their_answers(self, client, ready, learner):
        attempt = start(learner)
        grade = take(learner, attempt, 20, answered=40)  # 20 right, 20 wrong, 10 unanswered: 40%
        response = self.result(client, grade)
        words = text(response)
        assert "Your score: 40% (20 of 50 questions right)." in words
        assert "You did not pass: a score of 50% or below does not pass." in words
        listed = re.findall(r"<li>(Question \d+\?)</li>", response.content.decode())
        assert listed == [question["text"] for question in attempt.questions[20:]]
        assert "Correct answer" not in words
        assert "View certificate" not in words
        assert re.search(rf'<form method="post" action="{re.escape(EXAM)}"', response.content.decode())
        assert "Start final exam" in words

    def test_correct_answers_only_where_the_settings_say_so(self, client, ready, learner, settings):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXAMS": {"SHOW_CORRECT_ANSWERS_ON_FAIL": True},
        }
        grade = take(learner, start(learner), 10)
        assert "Correct answer: A" in text(self.result(client, grade))

    def test_a_revoking_fail_says_the_certificate_is_revoked(self, client, sit):
        sit(45)
        grade = sit(20)
        assert "Your certificate is revoked." in text(self.result(client, grade))

    def test_only_its_learner_sees_a_result(self, sit):
        grade = sit(45)
        other = factories.UserFactory(username="grace")
        factories.enroll(other)
        intruder = Client()
        intruder.force_login(other)
        assert intruder.get(f"{EXAM}{grade.attempt.pk}/").status_code == 404
        assert Client().get(f"{EXAM}{grade.attempt.pk}/").status_code == 302  # to the login page

    def test_an_attempt_not_graded_has_no_result(self, client, ready, learner):
        attempt = start(learner)
        assert client.get(f"{EXAM}{attempt.pk}/").status_code == 404
        assert client.get(f"{EXAM}00000000-0000-4000-8000-000000000000/").status_code == 404

    def test_a_graded_attempt_is_pointed_at_from_the_exam_page(self, client, sit):
        grade = sit(45)
        response = client.get(EXAM)
        assert "Your most recent final exam scored 90%." in text(response)
        assert f'href="{EXAM}{grade.attempt.pk}/"' in response.content.decode()


def revocation_emails() -> list:
    return [message for message in mail.outbox if "revoked" in message.subject]


@pytest.mark.django_db
class TestRevocationEmail:
    def test_a_retake_that_revokes_emails_the_learner_once(self, sit, learner):
        sit(45)
        mail.outbox.clear()
        grade = sit(20)
        [email] = revocation_emails()
        assert email.to == [learner.email]
        revoked = Credential.objects.get(invalidation_reason="exam_failed")
        assert email.subject == f"Your {revoked.type_name} for Introduction to Computing was revoked"
        assert "Your most recent final exam score in Introduction to Computing is 40%." in email.body
        assert "A score of 50% or below revokes the certificate" in email.body
        assert f"https://lms.example.com{EXAM}" in email.body
        html = email.alternatives[0][0]
        assert "40%" in html
        sent = revoked.events.filter(kind=CredentialEvent.Kind.EMAIL_SENT, details__email="certificate_revoked")
        assert sent.count() == 1
        # A redelivered task sends nothing more.
        assert certificate_revoked_notify(credential_id=str(revoked.pk), attempt_id=str(grade.attempt.pk)) is False
        assert len(revocation_emails()) == 1

    def test_in_the_learners_language(self, sit, learner, tmp_path, settings):
        subject = "Your %(type_name)s for %(context_name)s was revoked"
        use_catalogues(tmp_path, settings, {"es": {subject: "Su %(type_name)s de %(context_name)s fue revocado"}})
        lms.Profile.objects.filter(user=learner).update(language="es")
        sit(45)
        mail.outbox.clear()
        sit(20)
        revoked = Credential.objects.get(invalidation_reason="exam_failed")
        assert [email.subject for email in mail.outbox] == [
            f"Su {revoked.type_name} de Introduction to Computing fue revocado"
        ]
        assert mail.outbox[0].extra_headers["Content-Language"] == "es"

    def test_through_edx_ace_when_configured(self, sit, settings):
        """The exams' own message type and templates, as an LMS with edx-ace sends them."""
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_VIA_ACE": True}
        settings.ACE_ENABLED_CHANNELS = ["django_email"]
        settings.ACE_ENABLED_POLICIES = []
        settings.ACE_CHANNEL_DEFAULT_EMAIL = settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
        sit(45)
        mail.outbox.clear()
        sit(20)
        [email] = revocation_emails()
        assert "Your most recent final exam score in Introduction to Computing is 40%." in email.body
        revoked = Credential.objects.get(invalidation_reason="exam_failed")
        assert revoked.events.get(
            kind=CredentialEvent.Kind.EMAIL_SENT, details__email="certificate_revoked"
        ).details == {
            "email": "certificate_revoked",
            "channel": "ace",
            "ace_channels": ["DjangoEmailChannel"],
            "language": "en",
        }

    def test_no_email_for_a_fail_without_a_certificate_or_for_a_pass(self, sit):
        sit(20)
        sit(45)
        sit(40)  # a new score that passes: updated, not revoked
        assert revocation_emails() == []

    def test_no_email_while_emails_are_off(self, sit, settings):
        sit(45)
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_ENABLED": False}
        sit(10)
        assert revocation_emails() == []

    def test_a_failed_email_is_audited_and_raised_for_the_retry(self, sit, settings, monkeypatch):
        sit(45)
        from learning_credentials.exams import notifications

        def refuse(**kwargs):
            raise ConnectionError("the mail server is down")

        monkeypatch.setattr(notifications, "learner_email_send", refuse)
        grade = sit(20)  # the task's error stays in the task (eager, not propagated): the grade stands
        revoked = Credential.objects.get(invalidation_reason="exam_failed")
        assert revoked.events.filter(kind=CredentialEvent.Kind.EMAIL_FAILED).count() >= 1
        with pytest.raises(ConnectionError):
            certificate_revoked_notify(credential_id=str(revoked.pk), attempt_id=str(grade.attempt.pk))
        assert grade.attempt.score == 40

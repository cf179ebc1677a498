"""The certificate follows the most recent graded exam: issued, reissued, revoked, reinstated (seed 004 §2.8)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from learning_credentials.exams import attempts as exam
from learning_credentials.exams.certificates import EXAM_FAILED, _may_replace
from learning_credentials.exams.models import Certification, CertificationEvent, Entitlement
from learning_credentials.exams.services import entitlement_revoke
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.selectors import configuration_evaluate, invalidation_reasons
from learning_credentials.services.codes import code_allocate, credential_codes_settle
from learning_credentials.services.invalidation import credential_invalidate
from tests import factories

from .conftest import COURSE, SOURCE, grant, start


def chain(configuration) -> list[tuple]:
    return [
        (credential.score, credential.status, credential.invalidation_reason, credential.replaces_id is not None)
        for credential in Credential.objects.filter(configuration=configuration).order_by("created")
    ]


def certification_kinds() -> list[str]:
    return list(
        CertificationEvent.objects.filter(kind__startswith="certificate").order_by("id").values_list("kind", flat=True)
    )


@pytest.mark.django_db
class TestMostRecentWins:
    def test_a_pass_issues_the_certificate_with_its_score(self, sit, ready, learner):
        sit(45)
        credential = Credential.objects.get(configuration=ready.configuration)
        assert (credential.score, credential.status, credential.user_id) == (Decimal(90), Status.AVAILABLE, learner.pk)
        certification = Certification.objects.get(user=learner, context_key=COURSE)
        assert (certification.credential, certification.score, certification.passed) == (credential, 90, True)
        issued = credential.events.get(kind=CredentialEvent.Kind.ISSUED)
        assert issued.source == "exam" and issued.details["eligibility"]["score"] == 90

    def test_the_chain_80_60_50_70_on_one_certification(self, sit, ready, learner):
        sit(40)
        code = Certification.objects.get().code
        sit(30)
        sit(25)
        assert Certification.objects.get().credential.status == Status.INVALIDATED
        sit(35)
        assert chain(ready.configuration) == [
            (Decimal(80), Status.INVALIDATED, "superseded", False),
            (Decimal(60), Status.INVALIDATED, EXAM_FAILED, True),
            (Decimal(70), Status.AVAILABLE, "", True),
        ]
        certification = Certification.objects.get()
        assert (certification.code, certification.score) == (code, 70)
        assert certification.credential == Credential.objects.get(status=Status.AVAILABLE)
        assert certification_kinds() == [
            "certificate_issued",
            "certificate_updated",
            "certificate_revoked",
            "certificate_issued",
        ]
        reinstated = certification.credential.events.get(kind=CredentialEvent.Kind.REISSUED)
        assert reinstated.details["replaces"] == str(Credential.objects.get(score=60).verify_uuid)

    def test_the_same_score_again_changes_nothing(self, sit, ready):
        sit(40)
        sit(40)
        assert len(chain(ready.configuration)) == 1 and certification_kinds() == ["certificate_issued"]

    def test_a_first_fail_issues_nothing_and_revokes_nothing(self, sit, ready, learner):
        sit(20)
        assert not Credential.objects.exists()
        certification = Certification.objects.get()
        assert (certification.score, certification.passed, certification.credential) == (40, False, None)
        assert certification_kinds() == []

    def test_a_discarded_attempt_changes_nothing(self, sit, ready, learner):
        sit(40)
        attempt = start(learner)
        exam.attempt_discard(attempt_id=str(attempt.pk), user_id=learner.pk, activity_source=SOURCE)
        assert Certification.objects.get().score == 80 and len(chain(ready.configuration)) == 1

    def test_the_public_words_of_exam_failed(self):
        assert invalidation_reasons()[EXAM_FAILED] == "Most recent exam score 50% or below"


@pytest.mark.django_db
class TestReinstatement:
    def test_a_refunded_certificate_comes_back_only_after_buying_again(self, sit, ready, learner):
        sit(40)
        entitlement = Entitlement.objects.get(active=True)
        credential = Credential.objects.get()
        entitlement_revoke(entitlement=entitlement, reason="refunded", activity_source="webhook")
        credential_invalidate(credential=credential, category="refunded", source="webhook")
        credential.refresh_from_db()
        older = Entitlement(created=credential.invalidated_at - timedelta(seconds=1))
        newer = Entitlement(created=credential.invalidated_at + timedelta(seconds=1))
        assert (_may_replace(older)(credential), _may_replace(newer)(credential), _may_replace(None)(credential)) == (
            False,
            True,
            False,
        )
        grant(learner)  # bought again
        sit(45)
        assert chain(ready.configuration)[-1] == (Decimal(90), Status.AVAILABLE, "", True)

    def test_after_issued_in_error_only_staff_issue_again(self, sit, ready, learner):
        sit(40)
        credential_invalidate(credential=Credential.objects.get(), category="issued_in_error", source="admin")
        grade = sit(45)
        assert grade.attempt.passed and not Credential.objects.filter(active=True).exists()
        pending = CertificationEvent.objects.get(kind="certificate_pending")
        assert "only staff" in pending.details["reason"]
        assert Certification.objects.get().score == 90  # the grade stands; the certificate waits for staff

    def test_with_issuance_off_the_grade_stands_and_a_later_run_issues(self, sit, ready, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        sit(45)
        assert not Credential.objects.exists() and certification_kinds() == ["certificate_pending"]
        verdicts = configuration_evaluate(configuration=ready.configuration)
        assert {uid: (v.eligible, v.score) for uid, v in verdicts.items()} == {learner.pk: (True, Decimal(90))}


@pytest.mark.django_db
class TestRetrievalFunction:
    def test_only_the_most_recent_graded_exam_decides(self, sit, ready, learner):
        other = factories.UserFactory()
        factories.enroll(other)
        assert configuration_evaluate(configuration=ready.configuration) == {}  # nobody sat an exam
        sit(40)
        sit(20)
        verdict = configuration_evaluate(configuration=ready.configuration, user_ids=[learner.pk, other.pk])
        assert list(verdict) == [learner.pk] and verdict[learner.pk].eligible is False

    def test_a_scheduled_run_issues_no_certificate_without_an_exam(self, ready, learner):
        from learning_credentials.services.configuration import configuration_issue_chunk

        configuration_issue_chunk(
            configuration_id=ready.configuration.pk, user_ids=[learner.pk], run_id=None, source="schedule"
        )
        assert not Credential.objects.exists()


@pytest.mark.django_db
class TestCodes:
    def test_a_certification_code_is_never_a_credential_s(self, monkeypatch, configuration):
        held = factories.CredentialFactory(configuration=configuration).verification_code
        draws = iter([held, "ZZZZZZZZZZ"])
        monkeypatch.setattr("learning_credentials.services.codes.generate_code", lambda length: next(draws))
        assert code_allocate() == "ZZZZZZZZZZ"

    def test_a_new_credential_never_takes_a_certification_s_code(self, monkeypatch, configuration, learner):
        Certification.objects.create(user=learner, context_key=COURSE, code="YYYYYYYYYY")
        credential = Credential(verification_code="YYYYYYYYYY")
        monkeypatch.setattr("learning_credentials.services.codes.generate_code", lambda length: "XXXXXXXXXX")
        credential_codes_settle([credential])
        assert credential.verification_code == "XXXXXXXXXX"


@pytest.mark.django_db
def test_the_certification_row_keeps_the_time_of_the_most_recent_grade(sit, ready):
    before = timezone.now()
    sit(40)
    assert Certification.objects.get().scored_at >= before

"""The course list's chip, CTA and helper through real data, and the list endpoint (seed 004 §3; issue #17, point 6)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from opaque_keys.edx.keys import CourseKey
from rest_framework.test import APIClient

from learning_credentials.exams.models import Certification, CertificationSettings, Entitlement, Question
from learning_credentials.exams.rules import CTA, Chip
from learning_credentials.exams.selectors import (
    certification_status,
    certification_statuses,
    certification_url,
    pool_count,
    pool_counts,
    valid_questions,
)
from learning_credentials.exams.services import certification_status_read, entitlement_revoke
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.services.invalidation import credential_invalidate
from tests import factories

from .conftest import CHILD, COURSE, course_key, make_pool

API = "/api/learning_credentials/v1/certification"
UNAVAILABLE = "Certification unavailable. Contact the course creator."


def chip(learner, context_key=COURSE) -> tuple:
    status = certification_status(user=learner, context_key=context_key)
    return status.chip, status.cta, status.helper


@pytest.fixture
def api(learner):
    client = APIClient()
    client.force_authenticate(learner)
    return client


@pytest.mark.django_db
class TestTheTable:
    """Each rule of rules.CHIP_RULES, first match wins, from rows a learner's real history leaves."""

    def test_1_not_completed_is_in_progress_whatever_else_holds(self, sit, learner):
        sit(45)  # certified, entitled, available: completion still comes first
        factories.set_completion(learner, factories.make_course(), 0.5)
        assert chip(learner) == (Chip.IN_PROGRESS, None, "")
        assert certification_status(user=learner, context_key=COURSE).completed is False

    def test_completion_is_judged_against_the_course_s_required_completion(self, for_sale_exam, learner):
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(required_completion=29)
        factories.set_completion(learner, factories.make_course(), 0.29)  # 28.999999999999996%: the host's rounding
        assert chip(learner)[0] == Chip.AVAILABLE
        factories.set_completion(learner, factories.make_course(), 0.28)
        assert chip(learner)[0] == Chip.IN_PROGRESS

    def test_2_a_course_without_certification_settings_reads_completed(self, learner):
        factories.set_completion(learner, factories.make_course(), 1.0)
        assert chip(learner) == (Chip.COMPLETED, None, "")
        factories.set_completion(learner, factories.make_course(), 0.99)  # without settings, 100% is required
        assert chip(learner) == (Chip.IN_PROGRESS, None, "")

    def test_3_a_passed_exam_reads_certified_with_its_score_and_the_stable_link(self, sit, learner):
        sit(45)
        status = certification_status(user=learner, context_key=COURSE)
        assert (status.chip, status.cta, status.helper) == (
            Chip.CERTIFIED,
            CTA.VIEW_CERTIFICATE,
            "Most recent score: 90%.",
        )
        certification = Certification.objects.get(user=learner)
        assert status.score == 90 and status.completed
        assert status.certification_url == certification_url(certification)
        assert (
            status.certification_url
            == f"https://lms.example.com/learning_credentials/verify/{certification.public_id}/"
        )

    @pytest.mark.parametrize(
        "change",
        [{"enabled": False}, {"configuration": None}, "small pool"],
        ids=["disabled", "no certificate", "pool too small"],
    )
    def test_4_unavailable_certification_says_so(self, ready, learner, change):
        if change == "small pool":
            Question.objects.filter(pk__in=list(Question.objects.values_list("pk", flat=True)[:101])).update(
                active=False
            )
        else:
            CertificationSettings.objects.filter(pk=ready.pk).update(**change)
        assert chip(learner) == (Chip.UNAVAILABLE, None, UNAVAILABLE)

    def test_5_completed_without_an_entitlement_is_offered_the_certificate(self, for_sale_exam, learner):
        assert chip(learner) == (Chip.AVAILABLE, CTA.GET_CERTIFICATE, "")

    def test_6_a_certificate_revoked_by_a_failed_exam(self, sit, learner):
        sit(40)
        sit(20)
        status = certification_status(user=learner, context_key=COURSE)
        assert (status.chip, status.cta, status.helper) == (Chip.REVOKED, CTA.START_EXAM, "Most recent score: 40%.")
        assert status.certification_url is not None  # the chain has a (revoked) certificate: its page says so

    def test_7_entitled_without_a_certificate_is_unlocked(self, ready, learner):
        status = certification_status(user=learner, context_key=COURSE)
        assert (status.chip, status.cta, status.helper) == (Chip.UNLOCKED, CTA.START_EXAM, "")
        assert (status.score, status.certification_url) == (None, None)


@pytest.mark.django_db
class TestSettledOverlaps:
    @pytest.mark.parametrize("change", [{"enabled": False}, {"configuration": None}], ids=["disabled", "unset"])
    def test_a_certified_learner_stays_certified_when_staff_switch_certification_off(self, sit, ready, learner, change):
        sit(45)
        CertificationSettings.objects.filter(pk=ready.pk).update(**change)
        assert chip(learner) == (Chip.CERTIFIED, CTA.VIEW_CERTIFICATE, "Most recent score: 90%.")

    def test_a_certified_learner_stays_certified_when_the_entitlement_ends(self, sit, learner):
        sit(45)
        entitlement_revoke(entitlement=Entitlement.objects.get(), reason="staff", activity_source="admin")
        assert chip(learner)[0] == Chip.CERTIFIED

    def test_a_first_failed_exam_is_unlocked_with_its_score_not_revoked(self, sit, learner):
        sit(20)
        status = certification_status(user=learner, context_key=COURSE)
        assert (status.chip, status.cta, status.helper) == (Chip.UNLOCKED, CTA.START_EXAM, "Most recent score: 40%.")
        assert status.certification_url is None  # no certificate yet: no public page to show

    def test_a_refund_reads_completed_certificate_available(self, sit, learner):
        sit(40)
        entitlement_revoke(entitlement=Entitlement.objects.get(), reason="refunded", activity_source="webhook")
        credential_invalidate(credential=Credential.objects.get(), category="refunded", source="webhook")
        assert chip(learner) == (Chip.AVAILABLE, CTA.GET_CERTIFICATE, "")

    def test_staff_s_own_invalidation_is_no_revocation_by_exam(self, sit, learner):
        sit(40)
        credential_invalidate(credential=Credential.objects.get(), category="issued_in_error", source="admin")
        assert chip(learner)[:2] == (Chip.UNLOCKED, CTA.START_EXAM)  # still entitled; not "Certification revoked"

    @pytest.mark.parametrize("status", [Status.GENERATING, Status.ERROR])
    def test_a_certificate_still_generating_or_failed_to_render_counts_as_valid(self, sit, learner, status):
        sit(45)
        Credential.objects.update(status=status)
        assert chip(learner)[:2] == (Chip.CERTIFIED, CTA.VIEW_CERTIFICATE)

    def test_a_certificate_issued_outside_an_exam_counts_too(self, ready, learner):
        factories.CredentialFactory(configuration=ready.configuration, user=learner, status=Status.GENERATING)
        status = certification_status(user=learner, context_key=COURSE)
        assert (status.chip, status.score, status.certification_url) == (Chip.CERTIFIED, None, None)


@pytest.mark.django_db
class TestPools:
    def test_pool_counts_of_several_pools_in_one_query_agree_with_pool_count(self, django_assert_num_queries):
        make_pool(COURSE, 7)
        make_pool(CHILD, 3, start=100)
        Question.objects.filter(pool_context_key=CHILD).first().options.update(correct=False)  # unanswerable
        empty = CourseKey.from_string("course-v1:DemoX+EMPTY+2026")
        with django_assert_num_queries(1):
            counts = pool_counts(pool_context_keys=[COURSE, CHILD, empty])
        assert counts == {COURSE: 7, CHILD: 2, empty: 0}
        assert [pool_count(pool_context_key=key) for key in (COURSE, CHILD, empty)] == [7, 2, 0]

    def test_valid_questions_takes_one_pool_or_several(self):
        make_pool(COURSE, 2)
        make_pool(CHILD, 1, start=100)
        assert valid_questions(pool_context_keys=[COURSE, CHILD]).count() == 3
        with pytest.raises(ValueError, match="not both or neither"):
            valid_questions()
        with pytest.raises(ValueError, match="not both or neither"):
            valid_questions(pool_context_key=COURSE, pool_context_keys=[CHILD])


@pytest.mark.django_db
class TestListEndpoint:
    def test_statuses_in_the_order_asked_each_course_once(self, api, for_sale_exam, learner):
        other = CourseKey.from_string("course-v1:DemoX+OTHER+2026")
        factories.set_completion(learner, factories.make_course(str(other)), 1.0)
        response = api.get(f"{API}/", {"context_key": [str(other), str(COURSE), str(CHILD), str(other)]})
        assert response.status_code == 200
        results = response.json()["results"]
        assert [(r["context_key"], r["chip"], r["chip_label"]) for r in results] == [
            (str(other), "completed", "Completed"),
            (str(COURSE), "available", "Completed, certificate available"),
            (str(CHILD), "in_progress", "In progress"),
        ]
        assert (results[1]["cta"], results[1]["cta_label"]) == ("get_certificate", "Get certificate")

    def test_the_list_and_the_single_status_agree(self, api, sit, learner):
        sit(45)
        single = api.get(f"{API}/{COURSE}/").json()
        assert api.get(f"{API}/", {"context_key": str(COURSE)}).json() == {"results": [single]}

    @pytest.mark.parametrize(
        ("asked", "code", "words"),
        [
            ([], "bad_request", "at least one course"),
            ([str(COURSE)] * 101, "bad_request", "at most 100 courses at a time; this request asks about 101"),
            (
                [str(COURSE), "not-a-key"],
                "invalid_context_key",
                "context_key number 2: 'not-a-key' is not a course key",
            ),
        ],
        ids=["none", "too many", "malformed"],
    )
    def test_refusals(self, api, for_sale, asked, code, words):
        response = api.get(f"{API}/", {"context_key": asked})
        assert response.status_code == 400
        assert response.json()["code"] == code and words in response.json()["detail"]

    def test_a_hundred_courses_are_answered(self, api, for_sale):
        asked = [str(course_key(number)) for number in range(100)]
        results = api.get(f"{API}/", {"context_key": asked}).json()["results"]
        assert [r["context_key"] for r in results] == asked

    def test_the_number_of_queries_does_not_grow_with_the_courses(self, api, course_list, learner):
        counts = []
        for keys in (course_list[:1], course_list):
            with CaptureQueriesContext(connection) as queries:
                response = api.get(f"{API}/", {"context_key": [str(key) for key in keys]})
            assert response.status_code == 200 and len(response.json()["results"]) == len(keys)
            assert {r["chip"] for r in response.json()["results"]} == {"certified"}
            counts.append(len(queries))
        assert counts[0] == counts[1], counts

    def test_the_selector_reads_each_table_once(self, course_list, learner, django_assert_max_num_queries):
        with django_assert_max_num_queries(7):
            statuses = certification_statuses(user=learner, context_keys=course_list)
        assert list(statuses) == course_list
        assert all(s.certification_url and s.chip == Chip.CERTIFIED for s in statuses.values())
        assert {s.pool_count for s in statuses.values()} == {50, 150}  # own pools and the parent's

    def test_staff_read_another_learner_s_list(self, for_sale_exam, learner, staff_user):
        staff = APIClient()
        staff.force_authenticate(staff_user)
        body = staff.get(f"{API}/", {"context_key": str(COURSE), "username": learner.username}).json()
        assert body["results"][0]["username"] == learner.username and body["results"][0]["chip"] == "available"
        assert staff.get(f"{API}/", {"context_key": str(COURSE), "username": "nobody"}).status_code == 404

    def test_others_lists_are_refused_and_course_staff_see_only_their_courses(self, api, for_sale_exam, learner):
        from sandbox.lms.models import CourseStaff

        other = factories.UserFactory(username="other")
        assert api.get(f"{API}/", {"context_key": str(COURSE), "username": "other"}).status_code == 403
        CourseStaff.objects.create(user=learner, context_key=str(COURSE))
        assert api.get(f"{API}/", {"context_key": str(COURSE), "username": "other"}).status_code == 200
        both = {"context_key": [str(COURSE), str(CHILD)], "username": other.username}
        assert api.get(f"{API}/", both).status_code == 403

    def test_anonymous_callers_are_refused(self, for_sale):
        assert APIClient().get(f"{API}/", {"context_key": str(COURSE)}).status_code == 401

    def test_premium_access_shows_in_the_list_once_the_course_s_status_was_read(self, api, for_sale_exam, learner):
        """The list does not ask the host about enrollments course by course (see certification_statuses)."""
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(premium_includes_certification=True)
        listed = {"context_key": str(COURSE)}
        assert api.get(f"{API}/", listed).json()["results"][0]["chip"] == "available"
        assert not Entitlement.objects.exists()
        assert api.get(f"{API}/{COURSE}/").json()["chip"] == "unlocked"  # the learner's enrollment is verified
        assert api.get(f"{API}/", listed).json()["results"][0]["chip"] == "unlocked"


@pytest.mark.django_db
class TestSingleStatus:
    def test_the_status_carries_the_chip_the_score_and_the_public_link(self, api, sit, learner):
        sit(45)
        body = api.get(f"{API}/{COURSE}/").json()
        certification = Certification.objects.get(user=learner)
        assert {key: body[key] for key in body if key not in PART_1} == {
            "completed": True,
            "chip": "certified",
            "chip_label": "Certified",
            "cta": "view_certificate",
            "cta_label": "View certificate",
            "helper": "Most recent score: 90%.",
            "most_recent_score": 90,
            "certification_url": certification_url(certification),
        }

    def test_the_read_service_grants_premium_then_reads_the_chip(self, for_sale_exam, learner):
        CertificationSettings.objects.filter(pk=for_sale_exam.pk).update(premium_includes_certification=True)
        status = certification_status_read(user=learner, context_key=COURSE, activity_source="api")
        assert (status.chip, status.entitlement.source) == (Chip.UNLOCKED, "included_in_premium")


PART_1 = {
    "context_key",
    "enabled",
    "available",
    "message",
    "pool_count",
    "exam_size",
    "price",
    "price_points",
    "premium_includes_certification",
    "entitlement_owned",
    "entitlement",
    "points_balance",
    "username",
}

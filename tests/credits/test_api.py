"""The credits API: learners read their own, staff everyone's, course staff their context's; nobody writes."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.credits.services import credit_entry_void
from learning_credentials.services import credential_invalidate
from tests import factories

from .conftest import OTHER_COURSE, SOURCE, award_lines, issue, second_configuration

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
REPORT = f"{API}/credits/report/{factories.COURSE_KEY}/"
CSV = f"{REPORT}csv/"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture
def holder(credited, completed):
    """Ada holds the course's credential with 1.50 SHRM PDCs and 1.50 HRCI credits."""
    issue(credited, completed)
    return completed


@pytest.fixture
def grace(credited, course):
    user = factories.UserFactory(username="grace", email="grace@example.com", profile__full_name="=Grace Hopper")
    factories.enroll(user)
    factories.set_completion(user, course, 1.0)
    issue(credited, user)
    return user


@pytest.fixture
def teacher(db):
    user = factories.UserFactory(username="teacher")
    lms.CourseStaff.objects.create(user=user, context_key=factories.COURSE_KEY)
    return user


class TestLearnerCredits:
    def test_a_learner_reads_their_entries_and_totals(self, client, holder, grace):
        entry = CreditLedgerEntry.objects.get(user=holder, credit_type__code="HRCI")
        credit_entry_void(entry=entry, reason="internal: rejected by HRCI")
        client.force_authenticate(holder)
        body = client.get(f"{API}/credits/").json()
        assert body["username"] == "ada" and body["count"] == 2
        assert {(item["credit_type"], item["status"]) for item in body["results"]} == {
            ("SHRM", "active"),
            ("HRCI", "voided"),
        }
        assert all("void_reason" not in item for item in body["results"])  # staff text stays with staff
        assert body["totals"] == [
            {
                "code": "SHRM",
                "name": "SHRM Professional Development Credits",
                "unit": "PDC",
                "total": "1.50",
                "label": "1.50 SHRM PDCs",
            }
        ]

    def test_a_learner_may_not_read_anybody_else(self, client, holder, grace):
        client.force_authenticate(holder)
        assert client.get(f"{API}/credits/", {"username": "grace"}).status_code == 403
        response = client.get(f"{API}/credits/", {"username": "grace", "context_key": factories.COURSE_KEY})
        assert response.status_code == 403 and response.json()["code"] == "access_denied"
        assert client.get(f"{API}/credits/", {"username": "ada"}).json()["username"] == "ada"

    def test_staff_read_everyone(self, client, holder, grace, staff_user):
        client.force_authenticate(staff_user)
        body = client.get(f"{API}/credits/", {"username": "grace"}).json()
        assert body["username"] == "grace" and body["count"] == 2
        assert client.get(f"{API}/credits/", {"username": "nobody"}).status_code == 404

    def test_course_staff_read_learners_only_within_their_context(self, client, holder, teacher, shrm):
        from learning_credentials.credits.services import credits_award

        credits_award(user_id=holder.pk, context_key=OTHER_COURSE, credit_type=shrm, amount="4")
        client.force_authenticate(teacher)
        assert client.get(f"{API}/credits/", {"username": "ada"}).status_code == 403
        assert client.get(f"{API}/credits/", {"username": "ada", "context_key": OTHER_COURSE}).status_code == 403
        body = client.get(f"{API}/credits/", {"username": "ada", "context_key": factories.COURSE_KEY}).json()
        assert body["count"] == 2 and {t["total"] for t in body["totals"]} == {"1.50"}

    def test_credits_awarded_on_their_own_are_listed_without_a_credential(self, client, learner, shrm):
        from learning_credentials.credits.services import credits_award

        credits_award(user_id=learner.pk, context_key=OTHER_COURSE, credit_type=shrm, amount="4")
        client.force_authenticate(learner)
        [item] = client.get(f"{API}/credits/").json()["results"]
        assert (item["credential"], item["label"], item["context_key"]) == (None, "4.00 SHRM PDCs", OTHER_COURSE)

    def test_sign_in_is_required_and_malformed_keys_are_400(self, client, holder):
        assert client.get(f"{API}/credits/").status_code in (401, 403)
        client.force_authenticate(holder)
        assert client.get(f"{API}/credits/", {"context_key": "garbage"}).status_code == 400


class TestNoWriteApi:
    @pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
    @pytest.mark.parametrize(
        "path", ["/credits/", f"/credits/report/{factories.COURSE_KEY}/", "/summary/", "/catalog/credentials/"]
    )
    def test_nobody_creates_or_changes_entries_through_the_api(self, client, holder, staff_user, method, path):
        before = list(CreditLedgerEntry.objects.values_list("pk", "amount", "active", "credential_id"))
        for user in (holder, staff_user):
            client.force_authenticate(user)
            data = {"user_id": holder.pk, "credit_type": "SHRM", "amount": "99.99", "context_key": OTHER_COURSE}
            assert getattr(client, method)(f"{API}{path}", data, format="json").status_code == 405
        assert list(CreditLedgerEntry.objects.values_list("pk", "amount", "active", "credential_id")) == before


class TestReport:
    def test_staff_and_course_staff_read_the_context_report(self, client, holder, grace, staff_user, teacher):
        for user in (staff_user, teacher):
            client.force_authenticate(user)
            body = client.get(REPORT).json()
            assert body["count"] == 4
            assert body["totals"] == {"HRCI": "3.00", "SHRM": "3.00"}
            row = next(r for r in body["results"] if r["username"] == "ada" and r["credit_type"] == "SHRM")
            assert row["learner_name"] == "Ada Lovelace" and row["email"] == "ada@example.com"
            assert row["activity_id"] == "24-DEMO1" and row["amount"] == "1.50"
            assert row["completion_date"] == timezone.localdate().isoformat()

    def test_learners_and_staff_of_other_contexts_may_not(self, client, holder):
        client.force_authenticate(holder)
        assert client.get(REPORT).status_code == 403
        assert client.get(CSV).status_code == 403
        assert client.get(CSV, {"start": "bad"}).status_code == 403
        outsider = factories.UserFactory(username="outsider")
        lms.CourseStaff.objects.create(user=outsider, context_key=OTHER_COURSE)
        client.force_authenticate(outsider)
        assert client.get(REPORT).status_code == 403
        assert client.get(f"{API}/credits/report/{OTHER_COURSE}/").status_code == 200

    def test_the_date_range_includes_both_days_and_voided_entries_are_left_out(self, client, holder, grace, staff_user):
        today = timezone.localdate()
        CreditLedgerEntry.objects.filter(user=grace).update(awarded_at=timezone.now() - timedelta(days=10))
        credential_invalidate(credential=holder.learning_credentials.get(), category="issued_in_error", source=SOURCE)
        third = factories.UserFactory(username="third")
        factories.enroll(third)
        factories.set_completion(third, factories.make_course(), 1.0)
        issue(holder.learning_credentials.get().configuration, third)
        client.force_authenticate(staff_user)
        body = client.get(REPORT, {"start": today.isoformat(), "end": today.isoformat()}).json()
        assert {row["username"] for row in body["results"]} == {"third"}
        ten_days_ago = (today - timedelta(days=10)).isoformat()
        body = client.get(REPORT, {"start": ten_days_ago, "end": ten_days_ago}).json()
        assert {row["username"] for row in body["results"]} == {"grace"}
        assert client.get(REPORT, {"end": ten_days_ago}).json()["count"] == 2

    @pytest.mark.parametrize(
        "params", [{"start": "yesterday"}, {"end": "2026-02-30"}, {"start": "2026-03-02", "end": "2026-03-01"}]
    )
    def test_bad_dates_are_400(self, client, staff_user, params):
        client.force_authenticate(staff_user)
        assert client.get(REPORT, params).status_code == 400
        assert client.get(CSV, params).status_code == 400

    def test_a_malformed_context_is_400(self, client, staff_user):
        client.force_authenticate(staff_user)
        assert client.get(f"{API}/credits/report/garbage/").status_code == 400

    def test_the_csv_has_the_columns_accrediting_bodies_ask_for(self, client, holder, grace, staff_user):
        client.force_authenticate(staff_user)
        response = client.get(CSV, {"start": "2020-01-01"})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="credits-course-v1_DemoX_CS101_2026-2020-01-01.csv"' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows[0] == ["Learner name", "Email", "Activity/program ID", "Credit type", "Amount", "Completion date"]
        today = timezone.localdate().isoformat()
        assert sorted(rows[1:]) == sorted(
            [
                ["Ada Lovelace", "ada@example.com", "24-DEMO1", "SHRM", "1.50", today],
                ["Ada Lovelace", "ada@example.com", "HR-555", "HRCI", "1.50", today],
                # A name a spreadsheet would run as a formula is quoted.
                ["'=Grace Hopper", "grace@example.com", "24-DEMO1", "SHRM", "1.50", today],
                ["'=Grace Hopper", "grace@example.com", "HR-555", "HRCI", "1.50", today],
            ]
        )


class TestSummary:
    def test_dashboard_counts_credentials_by_status_and_credits_by_type(self, client, holder, credited, shrm):
        other = second_configuration(OTHER_COURSE)
        factories.make_course(OTHER_COURSE, "Another course")
        award_lines(other, (shrm, "2.00", "24-OTHER"))
        refunded = issue(other, holder, manual=True)
        credential_invalidate(credential=refunded, category="refunded", source=SOURCE)
        client.force_authenticate(holder)
        body = client.get(f"{API}/summary/").json()
        assert body["credentials"] == {
            "total": 2,
            "by_status": {"generating": 1, "available": 0, "error": 0, "invalidated": 1},
        }
        assert [(c["code"], c["total"]) for c in body["credits"]] == [("HRCI", "1.50"), ("SHRM", "1.50")]

    def test_a_new_learner_sees_zeros(self, client, learner):
        client.force_authenticate(learner)
        body = client.get(f"{API}/summary/").json()
        assert body["credentials"]["total"] == 0 and body["credits"] == []
        assert client.get(f"{API}/summary/", {"username": "someone"}).json()["credentials"]["total"] == 0


class TestCatalog:
    def test_the_collection_count_grows_when_a_context_starts_offering_credentials(
        self, client, learner, credited, shrm
    ):
        """The seed's check: the certifications collection counts contexts that offer credentials."""
        client.force_authenticate(learner)
        before = client.get(f"{API}/catalog/credentials/").json()
        assert before["count"] == 1
        factories.make_course(OTHER_COURSE, "Another course")
        disabled = second_configuration(OTHER_COURSE, enabled=False)
        assert client.get(f"{API}/catalog/credentials/").json()["count"] == 1  # a disabled one offers nothing
        disabled.enabled = True
        disabled.save()
        award_lines(disabled, (shrm, "2.00", "24-OTHER"))
        after = client.get(f"{API}/catalog/credentials/").json()
        assert after["count"] == 2
        offered = {item["context_key"]: item for item in after["results"]}
        assert offered[OTHER_COURSE]["context_name"] == "Another course"
        credits = offered[factories.COURSE_KEY]["credential_types"][0]["credits"]
        assert [(c["credit_type"], c["amount"], c["label"], c["activity_id"]) for c in credits] == [
            ("SHRM", "1.50", "1.50 SHRM PDCs", "24-DEMO1"),
            ("HRCI", "1.50", "1.50 HRCI credits", "HR-555"),
        ]
        second_configuration(OTHER_COURSE)  # another type in a context already counted
        assert client.get(f"{API}/catalog/credentials/").json()["count"] == 2

    def test_sign_in_is_required(self, client):
        assert client.get(f"{API}/catalog/credentials/").status_code in (401, 403)


def test_the_holder_reads_in_their_audit_trail_which_credits_were_voided(client, holder):
    credential = holder.learning_credentials.get()
    credential_invalidate(credential=credential, category="refunded", source=SOURCE)
    client.force_authenticate(holder)
    events = client.get(f"{API}/credentials/{credential.pk}/events/").json()["results"]
    [credits_event] = [event for event in events if "credits" in event["details"]]
    assert credits_event["kind"] == "invalidated"
    assert credits_event["details"]["credits"]["voided"] == ["1.50 SHRM PDCs", "1.50 HRCI credits"]

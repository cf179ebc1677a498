"""GET /api/learning_credentials/v1/credentials/<uuid>/events/: the holder's audit trail, and staff's."""

import pytest
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from learning_credentials.models import CredentialEvent
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
Source = CredentialEvent.Source
STAFF_SECRETS = ("officer-bob", "bob@staff.example", "Chargeback filed by Acme Bank", "fraud ticket 42")


def url(credential) -> str:
    return f"{API}/credentials/{credential.uuid}/events/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def officer(db):
    return factories.UserFactory(username="officer-bob", email="bob@staff.example", is_staff=True)


@pytest.fixture
def history(configuration, learner, officer, django_capture_on_commit_callbacks):
    """Issued by the schedule, generated, emailed, then invalidated by a staff member with a reason and a note."""
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source=Source.SCHEDULE)
    credential_invalidate(
        credential=credential,
        category="refunded",
        source=Source.ADMIN,
        actor_id=officer.pk,
        reason="Chargeback filed by Acme Bank",
        note="fraud ticket 42",
    )
    return credential


def by_kind(body, kind):
    return [entry for entry in body["results"] if entry["kind"] == kind]


class TestHolder:
    def test_sees_every_entry_of_their_credential(self, api, history, learner):
        api.force_authenticate(learner)
        response = api.get(url(history))
        assert response.status_code == 200
        body = response.json()
        kinds = [entry["kind"] for entry in body["results"]]
        assert body["count"] == history.events.count() == len(kinds)
        assert kinds[0] == "issued" and kinds[-1] == "invalidated"
        assert {"status_changed", "email_sent"} <= set(kinds)
        available = next(e for e in by_kind(body, "status_changed") if e["to_status"] == "available")
        assert available["from_status"] == "generating" and available["actor_role"] == "system"

    def test_without_staff_text_or_identities(self, api, history, learner):
        api.force_authenticate(learner)
        response = api.get(url(history))
        raw = response.content.decode()
        for secret in STAFF_SECRETS:
            assert secret not in raw
        (invalidated,) = by_kind(response.json(), "invalidated")
        assert invalidated["actor_role"] == "staff"
        assert "actor" not in invalidated
        assert invalidated["reason"] is None
        assert invalidated["details"] == {"category": "refunded"}  # the public category stays
        (email,) = by_kind(response.json(), "email_sent")
        assert email["details"] == {}  # delivery details are for staff

    def test_other_peoples_acts_carry_no_identity(self, api, available_pair, learner):
        old, _new = available_pair
        api.force_authenticate(learner)
        body = api.get(url(old)).json()
        for entry in body["results"]:
            assert "actor" not in entry
        reissued = by_kind(body, "reissued")[0]
        assert reissued["actor_role"] == "staff" and reissued["reason"] is None
        assert set(reissued["details"]) == {"replaces", "replaced_by"}

    def test_their_own_requests_show_their_reason(
        self, api, configuration, learner, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=learner.pk, configuration=configuration, source=Source.SCHEDULE)
        learner.profile.full_name = "Ada King"
        learner.profile.save()
        api.force_authenticate(learner)
        with django_capture_on_commit_callbacks(execute=True):
            assert api.post(f"{API}/credentials/{credential.uuid}/reissue/").status_code == 202
        (invalidated,) = by_kind(api.get(url(credential)).json(), "invalidated")
        assert invalidated["actor_role"] == "learner" and invalidated["reason"] == "name_change"
        assert invalidated["details"] == {"category": "superseded"}

    def test_other_learners_get_404(self, api, history):
        api.force_authenticate(factories.UserFactory(username="mallory"))
        assert api.get(url(history)).status_code == 404

    def test_requires_sign_in(self, api, history):
        assert api.get(url(history)).status_code in (401, 403)

    @pytest.mark.parametrize("junk", ["not-a-uuid", "%00", "😀", "x" * 5000])
    def test_malformed_uuid_is_404(self, api, learner, junk):
        api.force_authenticate(learner)
        assert api.get(f"{API}/credentials/{junk}/events/").status_code == 404


@pytest.fixture
def available_pair(configuration, learner, officer, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        old = credential_issue(user_id=learner.pk, configuration=configuration, source=Source.SCHEDULE)
    with django_capture_on_commit_callbacks(execute=True):
        new = credential_reissue(credential=old, source=Source.ADMIN, actor_id=officer.pk, reason="fraud ticket 42")
    return old, new


class TestStaff:
    def test_global_staff_read_everything(self, api, history, officer, staff_user):
        api.force_authenticate(staff_user)
        body = api.get(url(history)).json()
        (invalidated,) = by_kind(body, "invalidated")
        assert invalidated["actor"] == "officer-bob" and invalidated["actor_role"] == "staff"
        assert invalidated["reason"] == "Chargeback filed by Acme Bank"
        (email,) = by_kind(body, "email_sent")
        assert email["details"]["channel"] == "django" and email["actor"] is None

    def test_course_staff_read_everything_in_their_context(self, api, history):
        teacher = factories.UserFactory(username="teacher")
        lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
        api.force_authenticate(teacher)
        (invalidated,) = by_kind(api.get(url(history)).json(), "invalidated")
        assert invalidated["actor"] == "officer-bob"
        lms.CourseStaff.objects.filter(user=teacher).update(context_key="course-v1:DemoX+Other+2026")
        assert api.get(url(history)).status_code == 404

    def test_paginated(self, api, history, staff_user):
        api.force_authenticate(staff_user)
        body = api.get(url(history), {"page_size": 2}).json()
        assert len(body["results"]) == 2 and body["next"] and body["count"] > 2

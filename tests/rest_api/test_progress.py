"""POST /api/learning_credentials/v1/progress/: a host reports that a learner's progress changed."""

import logging

import pytest
from django.contrib.auth.models import Group, Permission
from rest_framework.test import APIClient

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from tests import factories

pytestmark = pytest.mark.django_db
URL = "/api/learning_credentials/v1/progress/"
COURSE_KEY = factories.COURSE_KEY


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def permission():
    return Permission.objects.get(content_type__app_label="learning_credentials", codename="report_progress")


@pytest.fixture
def service_user(db, permission):
    """A machine account of the host, granted only the permission."""
    user = factories.UserFactory(username="lms-service")
    user.user_permissions.add(permission)
    return user


@pytest.fixture
def completed(learner, course):
    factories.set_completion(learner, course, 1.0)
    return learner


@pytest.fixture
def post(api, django_capture_on_commit_callbacks):
    """POST as ``user`` and run what the request queued on commit."""

    def _post(user, body):
        if user is not None:
            api.force_authenticate(user)
        with django_capture_on_commit_callbacks(execute=True):
            return api.post(URL, body, format="json")

    return _post


class TestPermissions:
    def test_the_permission_is_declared(self, permission):
        assert permission.name.startswith("Can report learners' progress")

    def test_anonymous_callers_are_refused(self, post, configuration, completed):
        assert post(None, {"username": "ada", "context_key": COURSE_KEY}).status_code in (401, 403)
        assert not Credential.objects.exists()

    def test_learners_cannot_report_even_their_own_progress(self, post, configuration, completed):
        response = post(completed, {"username": "ada", "context_key": COURSE_KEY})
        assert response.status_code == 403
        assert not Credential.objects.exists()

    def test_refused_before_the_body_is_read(self, post, completed):
        assert post(completed, {"context_key": "junk"}).status_code == 403

    def test_staff_may_report(self, post, configuration, completed, staff_user):
        assert post(staff_user, {"username": "ada", "context_key": COURSE_KEY}).status_code == 202
        assert Credential.objects.get(user=completed).status == Status.AVAILABLE

    def test_service_users_with_the_permission_may_report(self, post, configuration, completed, service_user):
        assert not service_user.is_staff
        assert post(service_user, {"user_id": completed.pk, "context_key": COURSE_KEY}).status_code == 202
        assert Credential.objects.filter(user=completed).exists()

    def test_the_permission_may_come_from_a_group(self, post, configuration, completed, permission):
        group = Group.objects.create(name="progress reporters")
        group.permissions.add(permission)
        user = factories.UserFactory(username="payments")
        user.groups.add(group)
        assert post(user, {"username": "ada", "context_key": COURSE_KEY}).status_code == 202


class TestReporting:
    def test_accepted_and_issued_with_the_order_reference(self, post, configuration, completed, service_user, caplog):
        with caplog.at_level(logging.INFO, logger="learning_credentials.activity"):
            response = post(
                service_user, {"username": "ada", "context_key": COURSE_KEY, "order_reference": "order-2026-17"}
            )
        assert response.status_code == 202
        assert response.json() == {
            "user_id": completed.pk,
            "context_key": COURSE_KEY,
            "order_reference": "order-2026-17",
            "queued": True,
        }
        credential = Credential.objects.get(user=completed)
        assert credential.order_reference == "order-2026-17"
        assert credential.events.get(kind="issued").source == "api"
        assert "learning_credentials.progress_queued" in caplog.text

    def test_a_learner_not_yet_eligible_is_accepted_and_gets_nothing(self, post, configuration, learner, service_user):
        response = post(service_user, {"user_id": learner.pk, "context_key": COURSE_KEY})
        assert response.status_code == 202 and response.json()["queued"] is True
        assert not Credential.objects.exists()

    def test_a_context_without_configurations_queues_nothing(self, post, course, learner, service_user):
        response = post(service_user, {"username": "ada", "context_key": COURSE_KEY})
        assert response.status_code == 202 and response.json()["queued"] is False

    def test_repeats_make_one_credential(self, post, configuration, completed, service_user):
        for _ in range(3):
            assert post(service_user, {"username": "ada", "context_key": COURSE_KEY}).status_code == 202
        credential = Credential.objects.get(user=completed)
        assert credential.duplicate_attempts == 2

    def test_unknown_users_are_404(self, post, configuration, service_user):
        assert post(service_user, {"username": "nobody", "context_key": COURSE_KEY}).status_code == 404
        assert post(service_user, {"user_id": 987654, "context_key": COURSE_KEY}).status_code == 404

    def test_learners_not_enrolled_are_404(self, post, configuration, course, service_user):
        outsider = factories.UserFactory(username="outsider")
        factories.set_completion(outsider, course, 1.0)
        response = post(service_user, {"username": "outsider", "context_key": COURSE_KEY})
        assert response.status_code == 404 and "not enrolled" in response.json()["detail"]
        factories.enroll(outsider, active=False)
        assert post(service_user, {"username": "outsider", "context_key": COURSE_KEY}).status_code == 404
        assert not Credential.objects.exists()

    @pytest.mark.parametrize(
        "body,field",
        [
            ({"context_key": COURSE_KEY}, "non_field_errors"),
            ({"username": "ada", "user_id": 1, "context_key": COURSE_KEY}, "non_field_errors"),
            ({"username": "ada"}, "context_key"),
            ({"username": "ada", "context_key": "not-a-key"}, "context_key"),
            ({"username": "ada", "context_key": "course-v1:\x00"}, "context_key"),
            ({"username": "ada", "context_key": "x" * 300}, "context_key"),
            ({"user_id": "abc", "context_key": COURSE_KEY}, "user_id"),
            ({"user_id": 0, "context_key": COURSE_KEY}, "user_id"),
            ({"user_id": 10**30, "context_key": COURSE_KEY}, "user_id"),
            ({"username": "ada", "context_key": COURSE_KEY, "order_reference": "o" * 256}, "order_reference"),
            ({"username": "ada\x00", "context_key": COURSE_KEY}, "username"),
        ],
    )
    def test_malformed_bodies_are_400(self, post, configuration, completed, service_user, body, field):
        response = post(service_user, body)
        assert response.status_code == 400
        body = response.json()
        assert body["code"] == "invalid" and field in body["errors"]
        assert not Credential.objects.exists()

    def test_only_post(self, api, service_user):
        api.force_authenticate(service_user)
        assert api.get(URL).status_code == 405

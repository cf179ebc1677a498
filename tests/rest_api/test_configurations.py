"""A context's configurations and their run previews through the API, for the context's course staff."""

import pytest
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from learning_credentials.models import Credential, CredentialRun
from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
OTHER_COURSE = "course-v1:DemoX+Other+2026"


@pytest.fixture
def ready(configuration, learner, course):
    factories.set_completion(learner, course, 1.0)
    other = factories.UserFactory(username="half")
    factories.enroll(other)
    factories.set_completion(other, course, 0.5)
    return configuration


def signed_in(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def teacher(db):
    user = factories.UserFactory(username="teacher")
    lms.CourseStaff.objects.create(user=user, context_key=factories.COURSE_KEY)
    return user


@pytest.fixture
def other_teacher(db):
    user = factories.UserFactory(username="other_teacher")
    lms.CourseStaff.objects.create(user=user, context_key=OTHER_COURSE)
    return user


class TestList:
    def test_course_staff_list_their_contexts_configurations(self, teacher, ready):
        response = signed_in(teacher).get(f"{API}/configurations/", {"context_key": factories.COURSE_KEY})
        assert response.status_code == 200
        assert response.json() == {
            "context_key": factories.COURSE_KEY,
            "configurations": [
                {
                    "id": ready.pk,
                    "context_key": factories.COURSE_KEY,
                    "type_key": ready.credential_type.slug,
                    "credential_type": ready.credential_type.name,
                    "enabled": True,
                    "context_not_created_yet": False,
                }
            ],
        }

    def test_a_key_typed_unencoded_into_the_query_string_works(self, teacher, ready):
        # "course-v1:DemoX+CS101+2026" as typed: the query string reads its "+" as spaces.
        response = signed_in(teacher).get(f"{API}/configurations/?context_key={factories.COURSE_KEY}")
        assert response.status_code == 200
        assert response.json()["context_key"] == factories.COURSE_KEY

    def test_platform_staff_too(self, staff_user, ready):
        response = signed_in(staff_user).get(f"{API}/configurations/", {"context_key": factories.COURSE_KEY})
        assert [c["id"] for c in response.json()["configurations"]] == [ready.pk]

    @pytest.mark.parametrize("who", ["learner", "other_teacher"])
    def test_others_are_refused(self, request, who, ready):
        response = signed_in(request.getfixturevalue(who)).get(
            f"{API}/configurations/", {"context_key": factories.COURSE_KEY}
        )
        assert response.status_code == 403
        assert response.json()["code"] == "access_denied"

    def test_anonymous_is_a_401(self, ready):
        assert APIClient().get(f"{API}/configurations/", {"context_key": factories.COURSE_KEY}).status_code == 401

    @pytest.mark.parametrize(
        ("params", "detail"),
        [
            ({}, "Pass context_key: the course or learning path whose configurations to list."),
            (
                {"context_key": "not a key"},
                "'not a key' is not a course key (course-v1:...) or a learning path key (path-v1:...).",
            ),
        ],
    )
    def test_the_context_key_is_required_and_checked(self, staff_user, params, detail):
        response = signed_in(staff_user).get(f"{API}/configurations/", params)
        assert response.status_code == 400
        assert response.json()["detail"] == detail


class TestPreview:
    def test_course_staff_see_what_a_run_would_do(self, teacher, ready):
        response = signed_in(teacher).get(f"{API}/configurations/{ready.pk}/preview/")
        assert response.status_code == 200
        body = response.json()
        assert {k: body[k] for k in ("evaluated", "eligible", "already_held", "to_issue", "to_renew")} == {
            "evaluated": 2,
            "eligible": 1,
            "already_held": 0,
            "to_issue": 1,
            "to_renew": 0,
        }
        assert body["reasons"] == [
            {"code": "completion_below", "params": {"required": 90.0}, "detail": "Completion below 90%", "learners": 1}
        ]
        assert body["warning"] is None
        assert not CredentialRun.objects.exists() and not Credential.objects.exists()

    def test_a_warning_when_nothing_can_be_issued(self, staff_user, configuration):
        body = signed_in(staff_user).get(f"{API}/configurations/{configuration.pk}/preview/").json()
        assert body["warning"]["code"] == "no_learners"
        assert "No learner is enrolled" in body["warning"]["detail"]

    @pytest.mark.parametrize("who", ["learner", "other_teacher"])
    def test_others_get_a_404(self, request, who, ready):
        response = signed_in(request.getfixturevalue(who)).get(f"{API}/configurations/{ready.pk}/preview/")
        assert response.status_code == 404

    @pytest.mark.parametrize("configuration_id", ["999999", "x", "99999999999999999999999", "²"])
    def test_unknown_ids_are_a_404(self, staff_user, configuration_id):
        response = signed_in(staff_user).get(f"{API}/configurations/{configuration_id}/preview/")
        assert response.status_code == 404


def test_the_schema_documents_both_operations(client):
    schema = client.get(f"{API}/schema/?format=json").json()
    assert "get" in schema["paths"]["/api/learning_credentials/v1/configurations/"]
    preview = schema["paths"]["/api/learning_credentials/v1/configurations/{configuration_id}/preview/"]["get"]
    assert set(preview["responses"]) >= {"200", "401", "403", "404"}
    assert "RunPreview" in schema["components"]["schemas"]

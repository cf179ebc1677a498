"""GET /api/learning_credentials/v1/eligibility/<context_key>/: progress, eligibility and credential per type."""

import pytest
from opaque_keys.edx.keys import LearningContextKey
from rest_framework.test import APIClient
from sandbox.lms import models as lms

from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
URL = f"{API}/eligibility/{factories.COURSE_KEY}/"
PATH_KEY = "path-v1:DemoX+data-science+2026+all"


@pytest.fixture
def client():
    return APIClient()


def entry(body, type_key):
    return next(item for item in body["credential_types"] if item["type_key"] == type_key)


class TestAccess:
    def test_requires_sign_in(self, client, configuration):
        assert client.get(URL).status_code in (401, 403)

    def test_learner_sees_themselves(self, client, configuration, learner):
        client.force_authenticate(learner)
        response = client.get(URL)
        assert response.status_code == 200
        body = response.json()
        assert body["context_key"] == factories.COURSE_KEY
        assert body["context_name"] == "Introduction to Computing"
        assert body["username"] == "ada" and body["enrolled"] is True and body["issuance_enabled"] is True
        assert client.get(URL, {"username": "ada"}).status_code == 200

    def test_learner_naming_somebody_else_gets_403(self, client, configuration, learner):
        other = factories.UserFactory(username="bob")
        factories.enroll(other)
        client.force_authenticate(learner)
        response = client.get(URL, {"username": "bob"})
        assert response.status_code == 403
        assert response.json()["code"] == "access_denied"
        assert client.get(URL, {"username": "nobody-at-all"}).status_code == 403  # no probing for usernames

    def test_invalid_context_key_is_400(self, client, configuration, learner):
        client.force_authenticate(learner)
        for junk in ("garbage", "course-v1:only-org", "%00"):
            response = client.get(f"{API}/eligibility/{junk}/")
            assert response.status_code == 400, junk
            assert response.json()["code"] == "invalid_context_key"

    def test_not_enrolled_is_404(self, client, configuration, learner):
        stranger = factories.UserFactory(username="stranger")
        client.force_authenticate(stranger)
        response = client.get(URL)
        assert response.status_code == 404
        assert response.json()["code"] == "not_enrolled"
        factories.enroll(stranger, active=False)
        assert client.get(URL).status_code == 404
        client.force_authenticate(learner)
        assert client.get(f"{API}/eligibility/course-v1:DemoX+Other+2026/").status_code == 404

    def test_global_staff_may_name_any_learner(self, client, configuration, learner, course, staff_user):
        factories.set_completion(learner, course, 0.5)
        client.force_authenticate(staff_user)
        body = client.get(URL, {"username": "ada"}).json()
        assert body["username"] == "ada"
        assert entry(body, configuration.credential_type.slug)["progress"]["completion"] == 50.0
        response = client.get(URL, {"username": "nobody"})
        assert response.status_code == 404 and response.json()["code"] == "unknown_learner"

    def test_staff_see_learners_who_are_not_enrolled(self, client, configuration, staff_user):
        factories.UserFactory(username="dropout")
        client.force_authenticate(staff_user)
        body = client.get(URL, {"username": "dropout"}).json()
        assert body["enrolled"] is False
        item = entry(body, configuration.credential_type.slug)
        assert item["eligible"] is False and item["progress"] is None
        assert client.get(URL).json()["enrolled"] is False  # staff looking at themselves

    def test_course_staff_only_for_their_context(self, client, configuration, learner):
        teacher = factories.UserFactory(username="teacher")
        lms.CourseStaff.objects.create(user=teacher, context_key=factories.COURSE_KEY)
        client.force_authenticate(teacher)
        assert client.get(URL, {"username": "ada"}).json()["username"] == "ada"
        other = "course-v1:DemoX+Other+2026"
        lms.CourseStaff.objects.filter(user=teacher).update(context_key=other)
        assert client.get(URL, {"username": "ada"}).status_code == 403


class TestListing:
    def test_progress_against_requirements(self, client, configuration, learner, course):
        factories.set_completion(learner, course, 0.5)
        client.force_authenticate(learner)
        body = client.get(URL).json()
        item = entry(body, configuration.credential_type.slug)
        assert item["type_name"] == configuration.credential_type.name
        assert item["eligible"] is False
        assert item["progress"] == {"completion": 50.0, "required_completion": 90}
        assert item["credential"] is None and item["error"] is None

    def test_grades_show_current_and_required(self, client, configuration, learner, course):
        graded = factories.ConfigurationFactory(
            credential_type=factories.CredentialTypeFactory(
                name="Achievement",
                slug="achievement",
                retrieval_func="subsection_grades",
                custom_options={"template": "certificate-template", "required_grades": {"Exam": 80}},
            )
        )
        factories.set_grade(learner, course, "exam1", "Exam", 0.9)
        factories.set_grade(learner, course, "hw1", "Homework", 0.5)
        client.force_authenticate(learner)
        item = entry(client.get(URL).json(), graded.credential_type.slug)
        assert item["eligible"] is True
        assert item["score"] == "74.00"
        assert item["progress"]["grades"] == {"Homework": 50.0, "Exam": 90.0}
        assert item["progress"]["required_grades"] == {"Exam": 80}
        assert item["progress"]["total"] == 74.0 and item["progress"]["required_total"] == 70.0

    def test_only_enabled_types_are_listed(self, client, configuration, learner):
        disabled = factories.ConfigurationFactory(enabled=False)
        client.force_authenticate(learner)
        keys = [item["type_key"] for item in client.get(URL).json()["credential_types"]]
        assert keys == [configuration.credential_type.slug]
        assert disabled.credential_type.slug not in keys

    def test_existing_credential_and_its_public_link(self, client, configuration, learner, course):
        factories.set_completion(learner, course, 1.0)
        credential = factories.CredentialFactory(user=learner, configuration=configuration)
        client.force_authenticate(learner)
        item = entry(client.get(URL).json(), configuration.credential_type.slug)
        assert item["eligible"] is True
        assert item["credential"]["uuid"] == str(credential.uuid)
        assert item["credential"]["status"] == "available"
        assert item["credential"]["verify_url"] == (
            f"https://lms.example.com/learning_credentials/verify/{credential.verify_uuid}/"
        )
        credential.status = "generating"
        credential.save()
        item = entry(client.get(URL).json(), configuration.credential_type.slug)
        assert item["credential"]["status"] == "generating" and item["credential"]["verify_url"] is None

    def test_live_credential_wins_over_an_older_invalidated_one(self, client, configuration, learner):
        old = factories.CredentialFactory(user=learner, configuration=configuration, status="invalidated", active=None)
        new = factories.CredentialFactory(user=learner, configuration=configuration, replaces=old)
        client.force_authenticate(learner)
        item = entry(client.get(URL).json(), configuration.credential_type.slug)
        assert item["credential"]["uuid"] == str(new.uuid)
        new.delete()
        item = entry(client.get(URL).json(), configuration.credential_type.slug)
        assert item["credential"]["uuid"] == str(old.uuid) and item["credential"]["status"] == "invalidated"

    def test_a_misconfigured_type_does_not_hide_the_others(self, client, configuration, learner):
        unknown_course = "course-v1:DemoX+Ghost+2026"
        factories.enroll(learner, unknown_course)
        type_ = configuration.credential_type
        factories.ConfigurationFactory(learning_context_key=unknown_course, credential_type=type_)
        factories.ConfigurationFactory(
            learning_context_key=unknown_course,
            credential_type=factories.CredentialTypeFactory(
                slug="graded", retrieval_func="subsection_grades", custom_options={"template": "certificate-template"}
            ),
        )
        client.force_authenticate(learner)
        body = client.get(f"{API}/eligibility/{unknown_course}/").json()
        assert entry(body, "graded")["error"] == "configuration_error"
        assert entry(body, "graded")["eligible"] is False and entry(body, "graded")["progress"] is None
        assert entry(body, configuration.credential_type.slug)["error"] is None

    def test_kill_switch_is_reported(self, client, configuration, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        client.force_authenticate(learner)
        assert client.get(URL).json()["issuance_enabled"] is False


class TestLearningPath:
    @pytest.fixture
    def path_configuration(self, course, template_asset):
        second = factories.make_course("course-v1:DemoX+STAT2+2026", "Statistics")
        path = lms.LearningPath.objects.create(key=PATH_KEY, display_name="Data science", organization="DemoX")
        lms.LearningPathStep.objects.create(path=path, course=course, order=1)
        lms.LearningPathStep.objects.create(path=path, course=second, order=2)
        configuration = factories.ConfigurationFactory(learning_context_key=LearningContextKey.from_string(PATH_KEY))
        return configuration, course, second

    def test_progress_per_step(self, client, path_configuration):
        configuration, first, second = path_configuration
        user = factories.UserFactory(username="walker")
        factories.enroll(user, PATH_KEY)
        factories.set_completion(user, first, 1.0)
        factories.set_completion(user, second, 0.2)
        client.force_authenticate(user)
        response = client.get(f"{API}/eligibility/{PATH_KEY}/")
        assert response.status_code == 200
        body = response.json()
        assert body["context_name"] == "Data science"
        item = entry(body, configuration.credential_type.slug)
        assert item["eligible"] is False
        steps = item["progress"]["steps"]
        assert list(steps) == [str(first.key), str(second.key)]  # in the path's order
        assert steps[str(first.key)] == {"eligible": True, "completion": 100.0, "required_completion": 90}
        assert steps[str(second.key)] == {"eligible": False, "completion": 20.0, "required_completion": 90}

    def test_course_enrolment_is_not_path_enrolment(self, client, path_configuration, learner):
        client.force_authenticate(learner)  # enrolled in the first course only
        assert client.get(f"{API}/eligibility/{PATH_KEY}/").status_code == 404

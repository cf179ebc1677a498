"""On-demand issuance: POST .../eligibility/<context_key>/<type_key>/ and the browser certificate route."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.urls import resolve
from kombu.exceptions import OperationalError as BrokerDown
from rest_framework.test import APIClient
from sandbox.lms import models as lms
from sandbox.lms import signals

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_invalidate, credential_issue, generation, on_demand
from tests import factories
from tests.concurrency import run_together

API = "/api/learning_credentials/v1"


def post_url(configuration, context_key=factories.COURSE_KEY):
    return f"{API}/eligibility/{context_key}/{configuration.credential_type.slug}/"


def page_url(configuration, context_key=factories.COURSE_KEY):
    return f"/learning_credentials/courses/{context_key}/{configuration.credential_type.slug}/certificate/"


def status_url(credential_uuid) -> str:
    return f"{API}/credentials/{credential_uuid}/"


@pytest.fixture
def api():
    return APIClient()


@pytest.fixture
def eligible(learner, course, monkeypatch):
    """A learner who completed the course, unknown to the automatic paths: only a request can issue."""
    with monkeypatch.context() as muted:
        muted.setattr(signals, "notify_progress", lambda **kwargs: None)  # the sandbox's progress report
        factories.set_completion(learner, course, 1.0)
    return learner


@pytest.fixture
def budget(settings):
    def set_budget(seconds):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ON_DEMAND_BUDGET_SECONDS": seconds}

    return set_budget


@pytest.fixture
def generation_pool(monkeypatch):
    """The service's generation threads, drained before the test database is flushed."""
    pool = ThreadPoolExecutor(max_workers=on_demand.GENERATION_THREADS)
    monkeypatch.setattr(on_demand, "_threads", pool)
    yield pool
    pool.shutdown(wait=True)


@pytest.fixture
def slow_generation(monkeypatch) -> threading.Event:
    """Generation waits until the test sets the returned event (at most 30 s), so a request outlasts its budget."""
    real = on_demand.credential_generate
    release = threading.Event()

    def slow(**kwargs):
        release.wait(30)
        return real(**kwargs)

    monkeypatch.setattr(on_demand, "credential_generate", slow)
    return release


def wait_for_status(credential_uuid, status, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if Credential.objects.filter(pk=credential_uuid, status=status).exists():
            return
        time.sleep(0.05)
    raise AssertionError(f"credential {credential_uuid} never became {status}")


@pytest.mark.django_db
class TestRefusals:
    def test_requires_sign_in(self, api, configuration):
        assert api.post(post_url(configuration)).status_code in (401, 403)
        assert not Credential.objects.exists()

    def test_not_eligible_is_403_with_the_progress(self, api, configuration, learner, course):
        factories.set_completion(learner, course, 0.4)
        api.force_authenticate(learner)
        response = api.post(post_url(configuration))
        assert response.status_code == 403
        body = response.json()
        assert body["code"] == "not_eligible" and body["eligible"] is False
        assert body["progress"] == {"completion": 40.0, "required_completion": 90}
        assert not Credential.objects.exists()

    def test_not_enrolled_is_404(self, api, configuration, course):
        stranger = factories.UserFactory(username="stranger")
        factories.set_completion(stranger, course, 1.0)
        api.force_authenticate(stranger)
        response = api.post(post_url(configuration))
        assert response.status_code == 404 and response.json()["code"] == "not_enrolled"
        factories.enroll(stranger, active=False)
        assert api.post(post_url(configuration)).status_code == 404
        assert not Credential.objects.exists()

    def test_an_enrollment_mode_that_does_not_earn_it_is_403(self, api, configuration, eligible):
        """Enrolled, but in a mode the credential does not count: not eligible, and told why, not 'not enrolled'."""
        configuration.custom_options = {"enrollment_modes": ["verified"]}
        configuration.save()
        lms.Enrollment.objects.filter(user=eligible).update(mode="audit")
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 403 and response.json()["code"] == "not_eligible"
        assert "does not earn" in response.json()["detail"]
        assert not Credential.objects.exists()

    def test_type_not_configured_in_the_context_is_404(self, api, configuration, eligible):
        api.force_authenticate(eligible)
        response = api.post(f"{API}/eligibility/{factories.COURSE_KEY}/no-such-type/")
        assert response.status_code == 404 and response.json()["code"] == "not_configured"
        other = factories.ConfigurationFactory(learning_context_key="course-v1:DemoX+Other+2026")
        assert api.post(post_url(other)).status_code == 404  # configured, but elsewhere
        assert not Credential.objects.exists()

    def test_invalid_context_key_is_400(self, api, configuration, eligible):
        api.force_authenticate(eligible)
        response = api.post(f"{API}/eligibility/not-a-key/{configuration.credential_type.slug}/")
        assert response.status_code == 400 and response.json()["code"] == "invalid_context_key"

    def test_invalidated_credential_is_409_and_never_reissued(self, api, configuration, eligible):
        credential = factories.CredentialFactory(user=eligible, configuration=configuration)
        credential_invalidate(credential=credential, category="refunded", source=CredentialEvent.Source.WEBHOOK)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 409 and response.json()["code"] == "previously_invalidated"
        factories.enroll(eligible, active=False)  # refunds often unenrol: still 409, not 404
        assert api.post(post_url(configuration)).json()["code"] == "previously_invalidated"
        assert Credential.objects.count() == 1

    def test_disabled_configuration_and_kill_switch_are_409(self, api, configuration, eligible, settings):
        api.force_authenticate(eligible)
        configuration.enabled = False
        configuration.save()
        response = api.post(post_url(configuration))
        assert response.status_code == 409 and response.json()["code"] == "configuration_disabled"
        configuration.enabled = True
        configuration.save()
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        response = api.post(post_url(configuration))
        assert response.status_code == 409 and response.json()["code"] == "issuance_disabled"
        assert not Credential.objects.exists()

    def test_only_post(self, api, configuration, eligible):
        api.force_authenticate(eligible)
        assert api.get(post_url(configuration)).status_code == 405
        assert not Credential.objects.exists()


@pytest.mark.django_db
class TestIssue:
    def test_queued_is_202_with_the_status_url(
        self, api, configuration, eligible, budget, django_capture_on_commit_callbacks
    ):
        budget(0)
        api.force_authenticate(eligible)
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(post_url(configuration))
        assert response.status_code == 202
        credential = Credential.objects.get()
        assert response["Location"] == status_url(credential.uuid)
        assert response.json()["uuid"] == str(credential.uuid) and response.json()["status"] == "generating"
        issued = credential.events.get(kind=CredentialEvent.Kind.ISSUED)
        assert (issued.source, issued.actor_id) == ("learner", eligible.pk)
        assert issued.details["eligibility"] == {"completion": 100.0, "required_completion": 90}
        follow = api.get(response["Location"])  # the eager task has run: the status URL says so
        assert follow.status_code == 200 and follow.json()["status"] == "available"

    def test_existing_credential_is_200_and_never_a_second(self, api, configuration, eligible, settings):
        credential = factories.CredentialFactory(user=eligible, configuration=configuration)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 200
        assert response.json()["uuid"] == str(credential.uuid) and "Location" not in response
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        configuration.enabled = False
        configuration.save()
        factories.enroll(eligible, active=False)
        assert api.post(post_url(configuration)).status_code == 200  # holding is not issuing
        assert Credential.objects.count() == 1

    def test_staff_cannot_issue_for_someone_else(self, api, configuration, eligible, staff_user):
        api.force_authenticate(staff_user)
        response = api.post(post_url(configuration) + "?username=ada")
        assert response.status_code == 404  # the signed-in user is the learner; staff are not enrolled
        assert not Credential.objects.exists()

    def test_views_run_outside_atomic_requests(self, configuration):
        assert "default" in resolve(post_url(configuration)).func._non_atomic_requests
        assert "default" in resolve(page_url(configuration)).func._non_atomic_requests


@pytest.mark.django_db(transaction=True)
class TestWithinTheBudget:
    """Committed transactions, as in production: the generation thread sees the new credential."""

    def test_generated_in_the_request_is_201(self, api, configuration, eligible, budget, generation_pool):
        budget(60)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 201
        credential = Credential.objects.get()
        assert credential.status == Status.AVAILABLE and credential.artifact
        assert response["Location"] == status_url(credential.uuid)
        body = response.json()
        assert body["status"] == "available" and body["uuid"] == str(credential.uuid)
        assert body["verify_url"].endswith(f"/learning_credentials/verify/{credential.verify_uuid}/")
        assert api.post(post_url(configuration)).status_code == 200

    def test_slow_generation_is_202_and_finishes_in_the_background(
        self, api, configuration, eligible, budget, slow_generation, generation_pool
    ):
        budget(0.2)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        slow_generation.set()
        assert response.status_code == 202
        credential = Credential.objects.get()
        assert response["Location"] == status_url(credential.uuid)
        assert response.json()["status"] == "generating"
        wait_for_status(credential.uuid, Status.AVAILABLE)

    @pytest.mark.usefixtures("unreachable_broker")
    def test_a_backup_the_broker_refuses_does_not_fail_a_generation_still_running(
        self, api, configuration, eligible, budget, slow_generation, generation_pool
    ):
        """The backup task is best effort: the learner waits for the generation in its thread, not for the queue."""
        budget(0.2)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        slow_generation.set()
        assert response.status_code == 202 and response.json()["status"] == "generating"
        wait_for_status(Credential.objects.get().uuid, Status.AVAILABLE)

    def test_failed_generation_within_the_budget_is_201_in_error(
        self, api, configuration, eligible, budget, monkeypatch, generation_pool
    ):
        def broken(credential):
            raise RuntimeError("renderer crashed")

        monkeypatch.setattr(generation, "_render", broken)
        budget(60)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 201
        assert response.json()["status"] == "error"
        assert Credential.objects.get().status == Status.ERROR

    def test_unreachable_queue_is_503_and_the_credential_is_kept(
        self, api, configuration, eligible, budget, monkeypatch
    ):
        from learning_credentials.tasks import generate_credential

        def down(*args, **kwargs):
            raise BrokerDown("connection refused")

        monkeypatch.setattr(generate_credential, "apply_async", down)
        budget(0)
        api.force_authenticate(eligible)
        response = api.post(post_url(configuration))
        assert response.status_code == 503 and response.json()["code"] == "queue_unavailable"
        credential = Credential.objects.get()
        assert credential.status == Status.GENERATING
        response = api.post(post_url(configuration))
        assert response.status_code == 200 and response.json()["uuid"] == str(credential.uuid)

    def test_concurrent_first_requests_make_one_credential(
        self, configuration, eligible, budget, monkeypatch, generation_pool
    ):
        """Six requests pass every check, then issue at the same moment; the database settles it."""
        budget(60)
        workers = 6
        at_issue = threading.Barrier(workers)
        arrived = threading.local()
        real_issue = on_demand.credential_issue_or_get

        def issue_together(**kwargs):
            if not getattr(arrived, "yes", False):  # a retry after a lock conflict does not wait again
                arrived.yes = True
                at_issue.wait(10)
            return real_issue(**kwargs)

        monkeypatch.setattr(on_demand, "credential_issue_or_get", issue_together)

        def request():
            client = APIClient()
            client.force_authenticate(eligible)
            response = client.post(post_url(configuration))
            return response.status_code, response.json().get("uuid")

        results = run_together(request, workers=workers)
        credential = Credential.objects.get(user=eligible, configuration=configuration)
        assert {uuid for _, uuid in results} == {str(credential.uuid)}
        codes = sorted(code for code, _ in results)
        assert codes.count(200) == workers - 1 and codes[-1] in (201, 202)
        assert credential.events.filter(kind=CredentialEvent.Kind.ISSUED).count() == 1
        wait_for_status(credential.uuid, Status.AVAILABLE)


class TestBrowserRoute:
    @pytest.mark.django_db
    def test_anonymous_users_sign_in_first(self, client, configuration):
        response = client.get(page_url(configuration))
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=")
        assert not Credential.objects.exists()

    @pytest.mark.django_db(transaction=True)
    def test_first_request_streams_the_pdf(self, client, configuration, eligible, budget, generation_pool):
        budget(60)
        client.force_login(eligible)
        response = client.get(page_url(configuration))
        assert response.status_code == 200
        assert response["Content-Type"] == "application/pdf"
        assert "attachment" in response["Content-Disposition"]
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        credential = Credential.objects.get()
        assert credential.events.get(kind=CredentialEvent.Kind.ISSUED).source == "learner"
        again = client.get(page_url(configuration))
        assert again.status_code == 200 and Credential.objects.count() == 1

    @pytest.mark.django_db
    def test_queued_page_reloads_until_the_pdf_is_ready(
        self, client, configuration, eligible, budget, django_capture_on_commit_callbacks
    ):
        budget(0)
        client.force_login(eligible)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.get(page_url(configuration))
        assert response.status_code == 202 and response["Refresh"] == "5"
        assert b"being generated" in response.content
        response = client.get(page_url(configuration))
        assert response.status_code == 200 and response["Content-Type"] == "application/pdf"

    @pytest.mark.django_db
    def test_refusals(self, client, configuration, learner, course):
        client.force_login(learner)
        factories.set_completion(learner, course, 0.5)
        response = client.get(page_url(configuration))
        assert response.status_code == 403 and b"requirements" in response.content
        garbage = f"/learning_credentials/courses/garbage/{configuration.credential_type.slug}/certificate/"
        assert client.get(garbage).status_code == 404
        assert client.get(f"/learning_credentials/courses/{factories.COURSE_KEY}/nope/certificate/").status_code == 404
        client.force_login(factories.UserFactory(username="stranger"))
        assert client.get(page_url(configuration)).status_code == 404
        assert not Credential.objects.exists()

    @pytest.mark.django_db
    def test_invalidated_is_409(self, client, configuration, eligible):
        credential = factories.CredentialFactory(user=eligible, configuration=configuration)
        credential_invalidate(credential=credential, category="refunded", source=CredentialEvent.Source.WEBHOOK)
        client.force_login(eligible)
        response = client.get(page_url(configuration))
        assert response.status_code == 409 and b"invalidated" in response.content
        assert Credential.objects.count() == 1

    @pytest.mark.django_db
    def test_the_existing_pdf_of_an_earlier_issue(
        self, client, configuration, eligible, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(
                user_id=eligible.pk, configuration=configuration, source=CredentialEvent.Source.SCHEDULE
            )
        client.force_login(eligible)
        response = client.get(page_url(configuration))
        assert response.status_code == 200
        assert f"-{credential.verification_code}.pdf" in response["Content-Disposition"]
        # POST is the confirmation page's (a link from another site); nothing else.
        assert client.put(page_url(configuration)).status_code == 405

"""Schemathesis over the API's own OpenAPI schema: generated requests, anonymous and signed in, never get a
5xx or an answer the schema does not describe (status, content type, body).

A short pass (three examples per operation) runs with the suite, a longer one in CI's smoke stage;
the outside review's long run used the same checks.
"""

import base64
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from learning_credentials.rest_api.schema import OncePerProcessGenerator
from tests import factories

API = "/api/learning_credentials/v1"
PASSWORD = "a-long-test-password"
# A few examples per operation, the same ones every run; CI's smoke stage asks for more (SCHEMATHESIS_EXAMPLES).
HYPOTHESIS = settings(
    max_examples=int(os.environ.get("SCHEMATHESIS_EXAMPLES", "3")),
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def api_schema(db, monkeypatch, settings):
    """The schema the API serves, read through the WSGI application that then answers the requests."""
    monkeypatch.setattr(OncePerProcessGenerator, "made", type(OncePerProcessGenerator.made)(max_entries=16))
    # Every feature on (the refund and payment webhooks answer 503 without their secrets), no rate limits.
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "RATE_LIMITS_ENABLED": False,
        "REFUND_WEBHOOK_SECRET": "s" * 40,
        "EXAMS": {"PAYMENT_WEBHOOK_SECRET": "p" * 40},
    }
    # As Django's test client does: the test's transaction outlives each request.
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield schemathesis.openapi.from_wsgi(f"{API}/schema/?format=json", get_wsgi_application())
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def _basic(user) -> dict[str, str]:
    user.set_password(PASSWORD)
    user.save()
    token = base64.b64encode(f"{user.username}:{PASSWORD}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def viewers(configuration, learner, staff_user) -> dict[str, dict[str, str]]:
    """Request headers of each kind of caller: nobody, a learner with a credential, staff, a wrong password."""
    factories.CredentialFactory(configuration=configuration, user=learner)
    return {
        "anonymous": {},
        "learner": _basic(learner),
        "staff": _basic(staff_user),
        "wrong password": {"Authorization": "Basic " + base64.b64encode(b"nobody:wrong").decode()},
    }


def test_the_api_answers_as_its_schema_says(api_schema, viewers):
    """Every operation, a few generated requests each, as every kind of caller."""
    failures = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @HYPOTHESIS
        def check(case):
            for headers in viewers.values():
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # every operation's failure is reported at the end
            failures[operation.label] = str(exc)[:2000]
    assert not failures, "\n\n".join(f"{label}: {failure}" for label, failure in failures.items())

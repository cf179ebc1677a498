"""The API's OpenAPI schema: valid, complete, and true to what the endpoints actually return."""

import re

import jsonschema
import pytest
from django.urls import URLPattern, URLResolver
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from learning_credentials.rest_api.schema import OncePerProcessGenerator, SchemaView
from learning_credentials.rest_api.v1 import urls as v1_urls
from tests import factories
from tests.credits.conftest import award_lines, credit_type, issue

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
SPECTACULAR = "drf_spectacular.openapi.AutoSchema"


@pytest.fixture
def client():
    return APIClient()


@pytest.fixture(autouse=True)
def _fresh_schema(monkeypatch):
    """Each test generates the schema under its own settings."""
    monkeypatch.setattr(OncePerProcessGenerator, "made", type(OncePerProcessGenerator.made)(max_entries=16))


def fetch(client) -> dict:
    GENERATOR_STATS.reset()
    response = client.get(f"{API}/schema/", {"format": "json"})
    assert response.status_code == 200, response.content[:500]
    return response.json()


@pytest.fixture
def schema(client) -> dict:
    return fetch(client)


def routes(patterns, prefix: str = "") -> dict[str, type]:
    """Our API's paths in OpenAPI form ({name} for each converter) and their view classes."""
    found = {}
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found.update(routes(pattern.url_patterns, route))
        elif isinstance(pattern, URLPattern) and getattr(pattern.callback, "view_class", None) is not SchemaView:
            found[re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", f"{API}/{route}")] = pattern.callback.view_class
    return found


def matches(body, schema: dict, component: str) -> None:
    """Validate ``body`` against a component: no field the schema does not describe, and OpenAPI 3.0's
    ``nullable`` read as JSON Schema's null type."""

    def strict(node):
        if isinstance(node, list):
            return [strict(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: strict(value) for key, value in node.items()}
        if "properties" in node:
            node.setdefault("additionalProperties", False)
        if node.pop("nullable", False):
            return {"anyOf": [node, {"type": "null"}]}
        return node

    document = {"$ref": f"#/components/{component}", "components": strict(schema["components"])}
    jsonschema.validate(body, document)


@pytest.mark.parametrize("host_schema_class", [None, SPECTACULAR], ids=["drf-default", "spectacular-default"])
def test_the_schema_is_valid_openapi_and_made_without_warnings(client, settings, host_schema_class):
    """Whatever the host's DEFAULT_SCHEMA_CLASS (Open edX releases before 2026 keep DRF's)."""
    if host_schema_class:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_SCHEMA_CLASS": host_schema_class}
    schema = fetch(client)

    validate_schema(schema)
    assert not GENERATOR_STATS._warn_cache and not GENERATOR_STATS._error_cache
    assert schema["info"]["title"] == "learning-credentials API"


def test_every_endpoint_is_described_with_the_methods_it_has(schema):
    expected = routes(v1_urls.urlpatterns)
    assert expected, "no routes found"
    assert set(schema["paths"]) == set(expected)
    for path, view in expected.items():
        methods = {m for m in ("get", "post", "put", "patch", "delete") if hasattr(view, m)}
        assert set(schema["paths"][path]) == methods, path


def test_verification_needs_no_sign_in_and_learner_endpoints_do(schema):
    for path in ("/metadata/{verify_uuid}/", "/verify/{code}/"):
        assert schema["paths"][API + path]["get"].get("security", []) in ([], [{}]), path
    for path in ("/credentials/", "/credits/", "/summary/"):
        security = schema["paths"][API + path]["get"]["security"]
        assert security and {} not in security, path


def test_bodies_and_errors_are_described(schema):
    progress = schema["paths"][f"{API}/progress/"]["post"]
    body = progress["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert schema["components"]["schemas"][body]["required"] == ["context_key"]
    assert set(progress["responses"]) == {"202", "400", "401", "403", "404"}
    on_demand = schema["paths"][f"{API}/eligibility/{{context_key}}/{{type_key}}/"]["post"]
    assert {"200", "201", "202", "403", "409", "503"} <= set(on_demand["responses"])
    csv = schema["paths"][f"{API}/credits/report/{{context_key}}/csv/"]["get"]["responses"]["200"]
    assert list(csv["content"]) == ["text/csv"]


class TestResponsesMatchTheSchema:
    @pytest.fixture
    def available(self, configuration):
        return factories.CredentialFactory(configuration=configuration, score="91.50")

    def test_public_metadata_with_its_status(self, client, schema, available):
        body = client.get(f"{API}/metadata/{available.verify_uuid}/").json()
        matches(body, schema, "schemas/Metadata")
        assert body["status"] == "valid"  # the public status is part of the described body

    def test_a_page_of_the_learners_credentials(self, client, schema, available):
        client.force_authenticate(available.user)
        body = client.get(f"{API}/credentials/").json()
        assert body["count"] == 1
        matches(body, schema, "schemas/CredentialPage")

    def test_eligibility_and_a_progress_report(self, client, schema, learner, course, configuration, staff_user):
        client.force_authenticate(learner)
        eligibility = client.get(f"{API}/eligibility/{factories.COURSE_KEY}/").json()
        matches(eligibility, schema, "schemas/EligibilityListing")

        client.force_authenticate(staff_user)
        queued = client.post(
            f"{API}/progress/", {"username": learner.username, "context_key": factories.COURSE_KEY}, format="json"
        )
        assert queued.status_code == 202
        matches(queued.json(), schema, "schemas/ProgressQueued")

    @pytest.fixture
    def issued(self, configuration, learner, course, django_capture_on_commit_callbacks):
        """A credential issued and generated through the services, so that it has an audit trail."""
        factories.set_completion(learner, course, 1.0)
        with django_capture_on_commit_callbacks(execute=True):
            return issue(configuration, learner)

    def test_the_audit_trail_as_the_holder_and_as_staff_see_it(self, client, schema, issued, staff_user):
        available = issued
        client.force_authenticate(available.user)
        holder = client.get(f"{API}/credentials/{available.uuid}/events/").json()
        assert holder["count"] >= 1 and "actor" not in holder["results"][0]
        matches(holder, schema, "schemas/AuditEntryPage")
        client.force_authenticate(staff_user)
        staff = client.get(f"{API}/credentials/{available.uuid}/events/").json()
        assert "actor" in staff["results"][0]
        matches(staff, schema, "schemas/AuditEntryPage")

    def test_credits_summary_and_catalog(self, client, schema, configuration, learner, course, staff_user):
        award_lines(
            configuration,
            (credit_type("SHRM", "SHRM Professional Development Credits", "PDC", "PDCs"), "1.50", "24-DEMO1"),
            (credit_type("HRCI", "HRCI Recertification Credits", "credit", "credits"), "1.50", "HR-555"),
        )
        factories.set_completion(learner, course, 1.0)
        issue(configuration, learner)
        client.force_authenticate(learner)
        credits = client.get(f"{API}/credits/").json()
        assert credits["count"] == 2 and len(credits["totals"]) == 2
        matches(credits, schema, "schemas/CreditEntryPage")
        matches(client.get(f"{API}/summary/").json(), schema, "schemas/Summary")
        catalog = client.get(f"{API}/catalog/credentials/").json()
        assert catalog["count"] == 1
        matches(catalog, schema, "schemas/CatalogPage")
        client.force_authenticate(staff_user)
        report = client.get(f"{API}/credits/report/{factories.COURSE_KEY}/").json()
        assert report["count"] == 2
        matches(report, schema, "schemas/CreditReportPage")

    def test_errors(self, client, schema, learner):
        missing = client.get(f"{API}/metadata/00000000-0000-4000-8000-000000000000/")
        assert missing.status_code == 404
        matches(missing.json(), schema, "schemas/Error")
        client.force_authenticate(learner)
        refused = client.get(f"{API}/credentials/", {"context_key": "not a key"})
        assert refused.status_code == 400
        matches(refused.json(), schema, "schemas/Error")
        beyond = client.get(f"{API}/credentials/", {"page": 9})
        assert beyond.status_code == 404 and "404" in schema["paths"][f"{API}/credentials/"]["get"]["responses"]
        matches(beyond.json(), schema, "schemas/Error")
        client.force_authenticate(None)
        anonymous = client.get(f"{API}/credentials/")
        assert str(anonymous.status_code) in schema["paths"][f"{API}/credentials/"]["get"]["responses"]
        matches(anonymous.json(), schema, "schemas/Error")
        with pytest.raises(jsonschema.ValidationError):  # the check can fail
            matches({"detail": 404}, schema, "schemas/Error")


def test_the_schema_is_generated_once_per_process(client):
    first = fetch(client)
    assert fetch(client) == first
    assert client.get(f"{API}/schema/").content.startswith(b"openapi: 3")  # YAML, rendered from the same schema
    assert OncePerProcessGenerator.made.builds == 1

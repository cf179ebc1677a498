"""The HTTP conventions of every public route (learning_credentials.public_http), checked route by route.

The routes come from the URL patterns themselves, so a route added later is checked too: a route
whose parameters this module does not know fails ``test_every_route_parameter_is_known``.
"""

import base64
import uuid

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, reverse
from rest_framework.test import APIClient

from learning_credentials import urls as our_urls
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, Visibility
from learning_credentials.services.generation import credentials_generate
from learning_credentials.services.invalidation import credential_invalidate
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_rate_limits(settings):
    """Many requests per test; the rate limits are tested on their own (TestErrorFormat, test_rate_limits)."""
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS_ENABLED": False}


# Route parameters that name a credential, and how to fill them for a credential and for no credential.
CREDENTIAL_PARAMETERS = {
    "verify_uuid": (lambda credential: str(credential.verify_uuid), str(uuid.uuid4())),
    "uuid": (lambda credential: str(credential.uuid), str(uuid.uuid4())),
    "code": (lambda credential: credential.verification_code, "ZZZZZZZZZZ"),
}
# Parameters that name something else: filled alike for both sides of a comparison.
OTHER_PARAMETERS = {
    "extension": "png",
    "context_key": factories.COURSE_KEY,
    "type_key": "completion",
    "path": "no/such/path",
    "attempt_id": str(uuid.uuid4()),
    "slug": "platform",  # an Open Badges issuer
    "list_id": "platform-revocation-1",  # one of its status lists
    "configuration_id": 1,  # a configuration (the API answers it to its context's staff only)
}


def _patterns(resolvers=our_urls.urlpatterns, prefix=""):
    """(namespaced name, parameter names) of every named route of ours, included ones too."""
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"learning_credentials:{entry.name}", tuple(entry.pattern.regex.groupindex)


ROUTES = sorted(set(_patterns()))
CREDENTIAL_ROUTES = [(name, params) for name, params in ROUTES if set(params) & set(CREDENTIAL_PARAMETERS)]


def test_every_route_parameter_is_known():
    unknown = {param for _name, params in ROUTES for param in params} - {*CREDENTIAL_PARAMETERS, *OTHER_PARAMETERS}
    assert not unknown, f"Say in CREDENTIAL_PARAMETERS or OTHER_PARAMETERS how to fill {unknown}."
    assert len(CREDENTIAL_ROUTES) >= 10


def _url(name: str, params: tuple[str, ...], credential) -> tuple[str, list[str]]:
    """The route's URL for ``credential`` (None: for no credential), and the identifiers it carries."""
    kwargs, identifiers = {}, []
    for param in params:
        if param in CREDENTIAL_PARAMETERS:
            for_credential, for_nothing = CREDENTIAL_PARAMETERS[param]
            kwargs[param] = for_credential(credential) if credential is not None else for_nothing
            identifiers.append(kwargs[param])
        else:
            kwargs[param] = OTHER_PARAMETERS[param]
    return reverse(name, kwargs=kwargs), identifiers


def _answer(client, method: str, url: str, identifiers: list[str]) -> tuple:
    """Status, headers and body with the identifiers masked: what may not differ between private and unknown."""
    response = getattr(client, method.lower())(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content

    def mask(text: str) -> str:
        for identifier in identifiers:
            text = text.replace(identifier, "<identifier>")
        return text

    headers = sorted((name, mask(value)) for name, value in response.headers.items() if name not in ("Date",))
    return response.status_code, headers, mask(body.decode("utf-8", "replace"))


@pytest.fixture
def private_credential(configuration, learner):
    credential = factories.CredentialFactory(configuration=configuration, user=learner, status=Status.GENERATING)
    credentials_generate(credential_ids=[credential.pk])
    credential.refresh_from_db()
    credential.visibility = Visibility.PRIVATE
    credential.save()
    return credential


@pytest.mark.parametrize("viewer", ["anonymous", "another learner"])
@pytest.mark.parametrize("method", ["GET", "HEAD", "POST", "OPTIONS"])
@pytest.mark.parametrize(("name", "params"), CREDENTIAL_ROUTES, ids=[name for name, _ in CREDENTIAL_ROUTES])
def test_private_and_unknown_answer_alike_down_to_the_headers(private_credential, viewer, method, name, params):
    client = Client()
    if viewer == "another learner":
        client.force_login(factories.UserFactory(username="stranger"))
    private_url, private_ids = _url(name, params, private_credential)
    unknown_url, unknown_ids = _url(name, params, None)
    assert _answer(client, method, private_url, private_ids) == _answer(client, method, unknown_url, unknown_ids)


@pytest.mark.parametrize("viewer", ["anonymous", "another learner"])
def test_the_code_lookup_form_answers_private_and_unknown_alike(private_credential, viewer):
    client = Client()
    if viewer == "another learner":
        client.force_login(factories.UserFactory(username="stranger"))
    lookup = reverse("learning_credentials:verify-lookup")
    code = private_credential.verification_code
    private = _answer(client, "GET", f"{lookup}?code={code}", [code])
    assert private[0] == 404
    assert private == _answer(client, "GET", f"{lookup}?code=ZZZZZZZZZZ", ["ZZZZZZZZZZ"])


def test_the_comparison_sees_a_header_difference(private_credential):
    """The holder gets their private credential: the comparison above would notice any difference."""
    client = Client()
    client.force_login(private_credential.user)
    name, params = "learning_credentials:verify", ("verify_uuid",)
    private_url, private_ids = _url(name, params, private_credential)
    unknown_url, unknown_ids = _url(name, params, None)
    assert _answer(client, "GET", private_url, private_ids) != _answer(client, "GET", unknown_url, unknown_ids)


@pytest.fixture
def public_credential(configuration, learner):
    credential = factories.CredentialFactory(configuration=configuration, user=learner, status=Status.GENERATING)
    credentials_generate(credential_ids=[credential.pk])
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


def _public_urls(credential) -> dict[str, str]:
    return {
        "page": reverse("learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid}),
        "pdf": reverse("learning_credentials:verify-pdf", kwargs={"verify_uuid": credential.verify_uuid}),
        "image": reverse(
            "learning_credentials:verify-image", kwargs={"verify_uuid": credential.verify_uuid, "extension": "png"}
        ),
        "metadata": reverse("learning_credentials:api-v1-metadata", kwargs={"verify_uuid": credential.verify_uuid}),
        "verify api": reverse("learning_credentials:api-v1-verify", kwargs={"code": credential.verification_code}),
    }


class TestCaching:
    """A public credential's answers may be cached PUBLIC_CACHE_SECONDS and revalidated; nothing else is kept."""

    @pytest.mark.parametrize("what", ["page", "pdf", "image", "metadata", "verify api"])
    def test_a_public_credential_is_cached_briefly_and_revalidated(self, public_credential, what, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "PUBLIC_CACHE_SECONDS": 45}
        client, url = Client(), _public_urls(public_credential)[what]
        first = client.get(url)
        assert first.status_code == 200
        assert first["Cache-Control"] == "public, max-age=45"
        assert "Cookie" in first["Vary"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again["ETag"] == first["ETag"]

    @pytest.mark.parametrize("what", ["page", "image", "metadata", "verify api"])
    def test_a_revocation_changes_the_etag(self, public_credential, what):
        client, url = Client(), _public_urls(public_credential)[what]
        before = client.get(url)["ETag"]
        credential_invalidate(credential=public_credential, category="issued_in_error", source="admin")
        after = client.get(url, HTTP_IF_NONE_MATCH=before)
        assert after.status_code == 200 and after["ETag"] != before

    @pytest.mark.parametrize("what", ["page", "pdf", "image", "metadata", "verify api"])
    def test_the_holders_private_credential_is_kept_by_no_cache(self, public_credential, what):
        public_credential.visibility = Visibility.PRIVATE
        public_credential.save()
        client = Client()
        client.force_login(public_credential.user)
        response = client.get(_public_urls(public_credential)[what])
        assert response.status_code == 200
        assert response["Cache-Control"] == "private, no-store"
        assert not response.has_header("ETag")

    @pytest.mark.parametrize(("name", "params"), CREDENTIAL_ROUTES, ids=[name for name, _ in CREDENTIAL_ROUTES])
    def test_a_refusal_is_kept_by_no_cache(self, db, name, params):
        response = Client().get(_url(name, params, None)[0])
        assert response.status_code >= 300
        if response.status_code != 302:  # the login redirect of signed-in routes is Django's own
            assert "no-store" in response["Cache-Control"], (name, response.status_code)


class TestMethods:
    PUBLIC = ("verify", "verify-pdf", "verify-image", "verify-code", "verify-short", "verify-lookup")

    @pytest.mark.parametrize("name", PUBLIC)
    def test_options_answers_without_a_body_and_other_methods_are_405(self, public_credential, name):
        kwargs = {
            "verify": {"verify_uuid": public_credential.verify_uuid},
            "verify-pdf": {"verify_uuid": public_credential.verify_uuid},
            "verify-image": {"verify_uuid": public_credential.verify_uuid, "extension": "jpg"},
            "verify-code": {"code": public_credential.verification_code},
            "verify-short": {"code": public_credential.verification_code},
            "verify-lookup": {},
        }[name]
        url, client = reverse(f"learning_credentials:{name}", kwargs=kwargs), Client()
        options = client.options(url)
        assert options.status_code == 200 and options.content == b""
        assert options["Allow"] == "GET, HEAD, OPTIONS"
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url)
            assert response.status_code == 405, method
            assert response["Allow"] == "GET, HEAD, OPTIONS"


class TestCrossSiteIssuance:
    """The certificate route issues on a GET from the platform's own pages, never from another site's link."""

    @pytest.fixture
    def url(self, configuration) -> str:
        return f"/learning_credentials/courses/{factories.COURSE_KEY}/{configuration.credential_type.slug}/certificate/"

    @pytest.fixture
    def eligible(self, learner, course, monkeypatch, settings):
        """A learner who completed the course, signed in; issuance queues the generation (no waiting here)."""
        from sandbox.lms import signals

        with monkeypatch.context() as muted:
            muted.setattr(signals, "notify_progress", lambda **kwargs: None)  # only the route may issue
            factories.set_completion(learner, course, 1.0)
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ON_DEMAND_BUDGET_SECONDS": 0}
        client = Client(enforce_csrf_checks=True)
        client.force_login(learner)
        return client

    @pytest.mark.parametrize(
        "headers",
        [
            {"HTTP_SEC_FETCH_SITE": "cross-site", "HTTP_REFERER": "https://elsewhere.example.net/page"},
            {"HTTP_REFERER": "https://elsewhere.example.net/page"},  # an older browser: no Sec-Fetch-Site
        ],
        ids=["sec-fetch-site", "referer"],
    )
    def test_a_link_on_another_site_asks_first_and_issues_on_the_confirming_post(self, eligible, learner, url, headers):
        page = eligible.get(url, **headers)
        assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
        assert b'method="post"' in page.content and b"csrfmiddlewaretoken" in page.content
        assert page["Cache-Control"] == "private, no-store"
        assert not Credential.objects.filter(user=learner).exists()
        # The form's own POST carries the token, and issues.
        confirmed = eligible.post(url, {"csrfmiddlewaretoken": page.context["csrf_token"]})
        assert confirmed.status_code == 202
        assert Credential.objects.filter(user=learner).count() == 1

    def test_another_sites_form_cannot_post(self, eligible, learner, url):
        response = eligible.post(url, HTTP_SEC_FETCH_SITE="cross-site")
        assert response.status_code == 403
        assert not Credential.objects.filter(user=learner).exists()

    @pytest.mark.parametrize(
        "headers",
        [
            {"HTTP_SEC_FETCH_SITE": "same-origin"},
            {"HTTP_SEC_FETCH_SITE": "same-site"},  # the platform's apps on sibling subdomains
            {"HTTP_SEC_FETCH_SITE": "none"},  # a typed address, a bookmark
            {"HTTP_REFERER": "http://testserver/dashboard"},
            {"HTTP_REFERER": "https://apps.example.org/learning/"},  # in CSRF_TRUSTED_ORIGINS
            {},
        ],
        ids=["same-origin", "same-site", "none", "own referer", "trusted origin", "no header"],
    )
    def test_the_platforms_own_links_issue_in_one_click(self, eligible, learner, url, headers, settings):
        settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.org"]
        response = eligible.get(url, **headers)
        assert response.status_code == 202
        assert Credential.objects.filter(user=learner).count() == 1


class TestErrorFormat:
    """Every refusal of the API is JSON with detail and code, whoever refuses."""

    API = "/api/learning_credentials/v1"

    @pytest.mark.parametrize("path", ["/api/learning_credentials/v1/nope/", "/api/learning_credentials/v2/x/"])
    @pytest.mark.parametrize("method", ["get", "post", "delete"])
    def test_an_unknown_api_path_is_a_json_404(self, db, path, method):
        response = getattr(Client(enforce_csrf_checks=True), method)(path)
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found.", "code": "not_found"}
        assert response["Cache-Control"] == "private, no-store"

    def test_a_missing_final_slash_still_redirects(self, db):
        response = Client().get(f"{self.API}/credentials?page=2")
        assert response.status_code == 301 and response["Location"] == f"{self.API}/credentials/?page=2"

    def test_a_wrong_password_is_a_401_with_its_challenge(self, learner):
        token = base64.b64encode(f"{learner.username}:wrong".encode()).decode()
        response = Client().get(f"{self.API}/credentials/", HTTP_AUTHORIZATION=f"Basic {token}")
        assert response.status_code == 401
        assert response["WWW-Authenticate"].startswith("Basic")
        assert response.json() == {"detail": "Invalid username/password.", "code": "authentication_failed"}

    def test_not_signed_in_is_a_401(self, db):
        response = Client().get(f"{self.API}/credentials/")
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"

    def test_no_permission_and_too_many_requests_have_codes(self, learner, settings, staff_user):
        client = APIClient()
        client.force_authenticate(learner)
        forbidden = client.get(f"{self.API}/credentials/", {"username": staff_user.username})
        assert forbidden.status_code == 403 and forbidden.json()["code"]
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "RATE_LIMITS_ENABLED": True,
            "RATE_LIMITS": {"api": "1/m"},
        }
        anonymous = APIClient()
        anonymous.get(f"{self.API}/metadata/{uuid.uuid4()}/")
        throttled = anonymous.get(f"{self.API}/metadata/{uuid.uuid4()}/")
        assert throttled.status_code == 429
        assert throttled.json()["code"] == "throttled" and throttled["Retry-After"]

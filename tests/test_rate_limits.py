"""Rate limits of the public endpoints: per client IP, per scope, 429 with Retry-After for HTML and JSON."""

import types
import uuid

import django_ratelimit.core
import pytest
from django.core.cache import cache
from django.test import RequestFactory

from learning_credentials import conf
from learning_credentials.throttling import client_ip
from tests import factories

pytestmark = pytest.mark.django_db
API = "/api/learning_credentials/v1"
NOW = 1_700_000_000.0


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def clock(monkeypatch):
    """django-ratelimit's clock, frozen so that no window ends in the middle of a test."""
    now = types.SimpleNamespace(value=NOW)
    monkeypatch.setattr(django_ratelimit.core, "time", types.SimpleNamespace(time=lambda: now.value))
    return now


@pytest.fixture
def limits(settings, clock):
    def apply(rates=None, **extra):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            **({"RATE_LIMITS": rates} if rates is not None else {}),
            **extra,
        }

    return apply


@pytest.fixture
def credential(configuration):
    return factories.CredentialFactory(configuration=configuration, verification_code="AB1CD0EF23")


def urls(credential):
    verify_uuid, code = credential.verify_uuid, credential.verification_code
    return {
        "page": [f"/learning_credentials/verify/{verify_uuid}/", "/learning_credentials/verify/"],
        "file": [
            f"/learning_credentials/verify/{verify_uuid}/image.png",
            f"/learning_credentials/verify/{verify_uuid}/credential.pdf",
        ],
        "api": [f"{API}/metadata/{verify_uuid}/", f"{API}/schema/"],
        "code": [
            f"/learning_credentials/verify/code/{code}/",
            f"/learning_credentials/v/{code}",
            f"/learning_credentials/verify/?code={code}",
            f"{API}/verify/{code}/",
        ],
    }


def test_defaults_never_bother_people():
    rates = conf.DEFAULTS["RATE_LIMITS"]
    assert {scope: rates[scope] for scope in ("page", "file", "api")} == dict.fromkeys(("page", "file", "api"), "120/m")
    assert rates["code"] == "30/m"
    assert conf.DEFAULTS["RATE_LIMITS_ENABLED"] is True and conf.DEFAULTS["TRUSTED_PROXIES"] == 0


def test_default_rates_allow_120_page_and_api_requests_a_minute(client, clock, credential):
    for url in (f"/learning_credentials/verify/{credential.verify_uuid}/", f"{API}/metadata/{credential.verify_uuid}/"):
        assert all(client.get(url).status_code == 200 for _ in range(120))
        assert client.get(url).status_code == 429
    code_url = f"{API}/verify/{credential.verification_code}/"
    assert all(client.get(code_url).status_code == 200 for _ in range(30))
    assert client.get(code_url).status_code == 429


@pytest.mark.parametrize("scope", ["page", "file", "api", "code"])
def test_every_public_endpoint_is_limited_per_scope(client, limits, credential, scope):
    limits({"page": None, "file": None, "api": None, "code": None, scope: "2/m"})
    mine, others = (
        urls(credential)[scope],
        [url for key, group in urls(credential).items() if key != scope for url in group],
    )
    for url in mine:
        cache.clear()
        assert [client.get(url).status_code != 429 for _ in range(2)] == [True, True], url
        limited = client.get(url)
        assert limited.status_code == 429, url
        assert 1 <= int(limited["Retry-After"]) <= 60
    assert all(client.get(url).status_code != 429 for url in others)


def test_html_answer(client, limits, credential):
    limits({"page": "1/m"})
    url = f"/learning_credentials/verify/{credential.verify_uuid}/"
    client.get(url)
    response = client.get(url)
    assert response.status_code == 429 and response["Content-Type"].startswith("text/html")
    assert "Too many requests" in response.content.decode() and response["Retry-After"] in response.content.decode()


def test_json_answer(client, limits, credential):
    limits({"api": "1/m", "code": "1/m"})
    for url in (f"{API}/metadata/{credential.verify_uuid}/", f"{API}/verify/{credential.verification_code}/"):
        client.get(url)
        response = client.get(url)
        assert response.status_code == 429 and response["Content-Type"] == "application/json"
        assert "throttled" in response.json()["detail"] and int(response["Retry-After"]) >= 1


def test_unknown_and_private_identifiers_count_too(client, limits, db):
    limits({"code": "3/m"})
    assert [client.get(f"{API}/verify/ZZZZZZZ{n}ZZ/").status_code for n in range(4)] == [404, 404, 404, 429]
    assert client.get(f"/learning_credentials/verify/code/{uuid.uuid4().hex}/").status_code == 429


def test_window_ends(client, limits, clock, credential):
    limits({"page": "1/m"})
    url = f"/learning_credentials/verify/{credential.verify_uuid}/"
    assert client.get(url).status_code == 200
    wait = int(client.get(url)["Retry-After"])
    clock.value += wait
    assert client.get(url).status_code == 200


def test_per_client_ip(client, limits, credential):
    limits({"page": "1/m"})
    url = f"/learning_credentials/verify/{credential.verify_uuid}/"
    assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 200
    assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert client.get(url, REMOTE_ADDR="192.0.2.2").status_code == 200
    # Without trusted proxies, X-Forwarded-For is the client's to write: it changes nothing.
    assert client.get(url, REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_alone(client, limits, credential):
    limits({"page": "1/m"}, TRUSTED_PROXIES=1)
    url = f"/learning_credentials/verify/{credential.verify_uuid}/"
    proxy = {"REMOTE_ADDR": "10.0.0.5"}
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.7", **proxy).status_code == 200
    assert client.get(url, HTTP_X_FORWARDED_FOR="198.51.100.8", **proxy).status_code == 200
    # A client forging the header only adds entries to the left of the one the proxy wrote.
    assert client.get(url, HTTP_X_FORWARDED_FOR="203.0.113.1, 198.51.100.7", **proxy).status_code == 429


def test_switched_off(client, limits, credential):
    limits({"page": "1/m", "api": "1/m", "code": "1/m", "file": "1/m"}, RATE_LIMITS_ENABLED=False)
    for url in [url for group in urls(credential).values() for url in group]:
        assert all(client.get(url).status_code != 429 for _ in range(3)), url


def test_a_scope_left_out_keeps_its_default(client, limits, credential):
    limits({"page": "1/m"})
    url = f"{API}/verify/{credential.verification_code}/"
    assert all(client.get(url).status_code == 200 for _ in range(30))
    assert client.get(url).status_code == 429


class TestClientIp:
    def ip(self, settings, trusted, remote, forwarded=None):
        settings.LEARNING_CREDENTIALS = {"TRUSTED_PROXIES": trusted}
        extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
        return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))

    @pytest.mark.parametrize(
        ("trusted", "remote", "forwarded", "expected"),
        [
            (0, "192.0.2.1", None, "192.0.2.1"),
            (0, "192.0.2.1", "198.51.100.7", "192.0.2.1"),
            (1, "10.0.0.5", "198.51.100.7", "198.51.100.7"),
            (1, "10.0.0.5", "203.0.113.1, 198.51.100.7", "198.51.100.7"),
            (2, "10.0.0.5", "203.0.113.1, 198.51.100.7, 10.0.0.9", "198.51.100.7"),
            (2, "10.0.0.5", "198.51.100.7", "10.0.0.5"),  # shorter than the proxies: not believed
            (1, "10.0.0.5", None, "10.0.0.5"),
            (1, "10.0.0.5", "not-an-ip", "10.0.0.5"),
            (1, "10.0.0.5", " 198.51.100.7 ,", "198.51.100.7"),
            (["10.0.0.0/8"], "10.0.0.5", "203.0.113.1, 198.51.100.7, 10.1.2.3", "198.51.100.7"),
            (["10.0.0.0/8"], "192.0.2.1", "198.51.100.7", "192.0.2.1"),  # not from a trusted proxy
            (["10.0.0.0/8"], "10.0.0.5", "junk\x00, 10.1.2.3", "10.1.2.3"),
            (["10.0.0.0/8"], "10.0.0.5", "10.1.2.3", "10.1.2.3"),
            (["10.0.0.5", "bad"], "10.0.0.5", "198.51.100.7", "198.51.100.7"),
            (0, "2001:db8:1:2:3:4:5:6", None, "2001:db8:1:2::"),
            (0, "::ffff:192.0.2.1", None, "192.0.2.1"),
            (0, "", None, "unknown"),
        ],
    )
    def test_cases(self, settings, trusted, remote, forwarded, expected):
        assert self.ip(settings, trusted, remote, forwarded) == expected

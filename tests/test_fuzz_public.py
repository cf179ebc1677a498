"""Fuzzing the public endpoints with random and malformed identifiers: never a 500 (nor a 429 to hide behind)."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db
ENDPOINTS = (
    "/learning_credentials/verify/{}/",
    "/learning_credentials/verify/{}/image.png",
    "/learning_credentials/verify/{}/image.jpg",
    "/learning_credentials/verify/{}/credential.pdf",
    "/learning_credentials/verify/code/{}/",
    "/api/learning_credentials/v1/metadata/{}/",
    "/api/learning_credentials/v1/verify/{}/",
)
LOOKUP = "/learning_credentials/verify/"

any_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=80)  # every code point a URL can carry
astral = st.text(st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF), min_size=1, max_size=20)
nul_laced = st.builds(lambda a, b: f"{a}\x00{b}", any_text, any_text)
percent_junk = st.lists(st.integers(0, 255), max_size=40).map(lambda data: "".join(f"%{byte:02X}" for byte in data))
broken_escapes = st.text(st.sampled_from("%GZ0f/.-_ \\"), min_size=1, max_size=30)
long_runs = st.builds(
    lambda char, n: char * n, st.sampled_from(["A", "0", "-", "😀", "é", "%00"]), st.integers(1, 6000)
)
near_uuids = (
    st.uuids()
    .map(str)
    .flatmap(
        lambda value: st.sampled_from(
            [value, value.upper(), value.replace("-", ""), value + "\x00", value[:-1] + "😀", value + "/x", value[:35]]
        )
    )
)
identifiers = st.one_of(any_text, astral, nul_laced, percent_junk, broken_escapes, long_runs, near_uuids)


def encode(identifier: str, raw: bool) -> str:
    """Percent-encode everything (the usual client) or leave % and / alone (percent-encoded junk)."""
    return quote(identifier, safe="%/" if raw else "")


@pytest.fixture
def public_credentials(configuration, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS_ENABLED": False}
    valid = factories.CredentialFactory(configuration=configuration, verification_code="AB1CD0EF23")
    private = factories.CredentialFactory(configuration=configuration, visibility="private")
    return [valid, private]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(identifier=identifiers, raw=st.booleans(), mutate=st.booleans())
def test_public_endpoints_never_fail(public_credentials, identifier, raw, mutate):
    if mutate:  # near-misses of real identifiers reach the database queries
        valid = public_credentials[0]
        identifier = f"{valid.verification_code.lower()}{identifier[:3]}" if raw else f"{valid.verify_uuid}{identifier}"
    client = APIClient()
    for endpoint in ENDPOINTS:
        response = client.get(endpoint.format(encode(identifier, raw)))
        assert response.status_code in (200, 301, 302, 404), (endpoint, identifier, response.status_code)
    response = client.get(LOOKUP, {"code": identifier})
    assert response.status_code in (200, 301, 302, 404), (identifier, response.status_code)

"""Each reader gets our pages in their language (issue #23, point 7): a learner their own, others Accept-Language's.

These tests do not depend on the translators' wording: they check the language the answer says it is in
(Content-Language, <html lang dir>), that caches keep one answer per language (Vary), and, with a tiny
catalogue of their own in LOCALE_PATHS, that a wrapped string comes out translated.
"""

import subprocess

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache

from learning_credentials.languages import CATALOGUES
from learning_credentials.lifecycle import Status
from learning_credentials.services import credential_issue
from tests import factories

pytestmark = pytest.mark.django_db
LOOKUP = "/learning_credentials/verify/"
CHECK_FILE = "/learning_credentials/check-file/"
LEARNER_LIST = "/learning_credentials/credentials/"
LOCALE_MIDDLEWARE = "django.middleware.locale.LocaleMiddleware"


@pytest.fixture
def credential(configuration, learner, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        credential = credential_issue(user_id=learner.pk, configuration=configuration, source="schedule")
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    return credential


@pytest.fixture(params=["with LocaleMiddleware", "without LocaleMiddleware"])
def host_middleware(request, settings):
    """Both kinds of host: one whose LocaleMiddleware chooses (the sandbox, Open edX), one without it."""
    if request.param == "without LocaleMiddleware":
        settings.MIDDLEWARE = [name for name in settings.MIDDLEWARE if name != LOCALE_MIDDLEWARE]
    assert (LOCALE_MIDDLEWARE in settings.MIDDLEWARE) == (request.param == "with LocaleMiddleware")
    return request.param


@pytest.fixture
def spanish_catalogue(tmp_path, settings):
    """A catalogue of our own for one wrapped string of the lookup page, found first through LOCALE_PATHS."""
    directory = tmp_path / "locale" / "es" / "LC_MESSAGES"
    directory.mkdir(parents=True)
    (directory / "django.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n"Language: es\\n"\n\n'
        'msgid "Verify a credential"\nmsgstr "Verificar una credencial (catálogo de prueba)"\n',
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", directory / "django.mo", directory / "django.po"], check=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]  # Django's test signals drop the cached catalogues
    return "Verificar una credencial (catálogo de prueba)"


def html_element(response) -> str:
    content = response.content.decode()
    start = content.index("<html")
    return content[start : content.index(">", start) + 1]


def test_the_sandbox_offers_every_shipped_language():
    offered = {code for code, _name in django_settings.LANGUAGES}
    assert set(CATALOGUES) <= offered
    assert django_settings.LANGUAGE_CODE in offered


@pytest.mark.parametrize("url", [LOOKUP, CHECK_FILE])
def test_public_page_follows_accept_language(client, host_middleware, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5")
    assert response.status_code == 200
    assert response["Content-Language"] == "es"
    assert 'lang="es"' in html_element(response) and 'dir="ltr"' in html_element(response)
    assert "Accept-Language" in response["Vary"]  # a shared cache keeps one answer per language


def test_arabic_reader_gets_a_right_to_left_page(client, host_middleware, configuration):
    public = factories.CredentialFactory(configuration=configuration)
    response = client.get(f"/learning_credentials/verify/{public.verify_uuid}/", HTTP_ACCEPT_LANGUAGE="ar")
    assert response.status_code == 200
    assert response["Content-Language"] == "ar"
    assert html_element(response) == '<html lang="ar" dir="rtl">'
    assert "Accept-Language" in response["Vary"]


def test_a_language_the_site_does_not_offer_falls_back_to_its_default(client, host_middleware):
    response = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="ja")
    assert response["Content-Language"] == "en"
    assert html_element(response) == '<html lang="en" dir="ltr">'


def test_a_wrapped_string_comes_out_translated(client, host_middleware, spanish_catalogue):
    english = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert spanish_catalogue not in english and "<h1>Verify a credential</h1>" in english
    assert f"<h1>{spanish_catalogue}</h1>" in spanish


def test_the_429_page_is_in_the_readers_language(client, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS": {"page": "1/m"}}
    client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="ar")
    response = client.get(LOOKUP, HTTP_ACCEPT_LANGUAGE="ar")
    cache.clear()  # the counters live in the default cache
    assert response.status_code == 429
    assert html_element(response) == '<html lang="ar" dir="rtl">'


def test_public_api_errors_follow_accept_language(client, host_middleware):
    """DRF's own Spanish catalogue says "Not found." differently: the refusal is in the client's language."""
    english = client.get("/api/learning_credentials/v1/metadata/nope/", HTTP_ACCEPT_LANGUAGE="en")
    spanish = client.get("/api/learning_credentials/v1/metadata/nope/", HTTP_ACCEPT_LANGUAGE="es")
    assert english.status_code == spanish.status_code == 404
    assert spanish.json()["code"] == english.json()["code"] == "not_found"
    assert spanish.json()["detail"] != english.json()["detail"]
    assert spanish["Content-Language"] == "es" and "Accept-Language" in spanish["Vary"]


def test_learner_pages_follow_the_learners_own_language(client, learner, credential, host_middleware):
    """The learner's preference (as their emails use it), not what this browser asks for."""
    learner.profile.language = "ar"
    learner.profile.save()
    client.force_login(learner)
    for url in (LEARNER_LIST, f"{LEARNER_LIST}{credential.uuid}/"):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="es")
        assert response.status_code == 200
        assert response["Content-Language"] == "ar"
        assert html_element(response) == '<html lang="ar" dir="rtl">'


def test_a_learners_regional_language_reads_as_the_language_offered(client, learner, credential):
    learner.profile.language = "es-419"  # Open edX's Latin American Spanish
    learner.profile.save()
    client.force_login(learner)
    response = client.get(LEARNER_LIST, HTTP_ACCEPT_LANGUAGE="en")
    assert response["Content-Language"] == "es"
    assert html_element(response) == '<html lang="es" dir="ltr">'


def test_a_learner_language_the_site_does_not_offer_falls_back_to_the_browsers(client, learner, credential):
    learner.profile.language = "pt-br"
    learner.profile.save()
    client.force_login(learner)
    response = client.get(LEARNER_LIST, HTTP_ACCEPT_LANGUAGE="fr")
    assert response["Content-Language"] == "fr"

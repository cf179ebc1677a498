"""The sandbox as a demo site: its home page, sign-in landing, friendly error pages, DEBUG off, files served."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client, RequestFactory
from django.views.defaults import server_error

from tests import factories

pytestmark = pytest.mark.django_db
EXAMPLE = Path(__file__).resolve().parents[1] / "example"
MINE = "/learning_credentials/credentials/"


def sandbox_settings(**env) -> dict:
    """DEBUG and ALLOWED_HOSTS as the sandbox's settings compute them in a fresh process with ``env``."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "ALLOWED_HOSTS", "LMS_ROOT_URL"}}
    code = "import json, sandbox.settings as s; print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, s.LMS_ROOT_URL]))"
    run = {"cwd": EXAMPLE, "capture_output": True, "text": True, "check": True}
    out = subprocess.run([sys.executable, "-c", code], env={**environment, **env}, **run)
    debug, hosts, root = json.loads(out.stdout)
    return {"DEBUG": debug, "ALLOWED_HOSTS": hosts, "LMS_ROOT_URL": root}


def test_debug_is_off_by_default_and_localhost_is_allowed():
    values = sandbox_settings()
    assert values["DEBUG"] is False
    assert {"localhost", "127.0.0.1"} <= set(values["ALLOWED_HOSTS"])
    assert values["LMS_ROOT_URL"] == "http://localhost:8000"


def test_debug_on_request_and_the_host_of_lms_root_url_is_allowed():
    values = sandbox_settings(DEBUG="1", LMS_ROOT_URL="http://demo.internal:8001/")
    assert values["DEBUG"] is True
    assert "demo.internal" in values["ALLOWED_HOSTS"]
    assert values["LMS_ROOT_URL"] == "http://demo.internal:8001"
    assert sandbox_settings(ALLOWED_HOSTS="a.example,b.example")["ALLOWED_HOSTS"] == ["a.example", "b.example"]


def test_the_home_page_links_the_learner_pages_the_lookup_and_the_admin(client):
    html = client.get("/").content.decode()
    for href in (MINE, "/learning_credentials/certification/", "/learning_credentials/verify/", "/admin/"):
        assert f'href="{href}"' in html
    assert '<a href="/accounts/login/">Sign in</a>' in html


@pytest.mark.parametrize("staff", [False, True])
def test_signing_in_without_next_lands_on_my_credentials(staff):
    user = factories.UserFactory(username="someone", is_staff=staff)
    user.set_password("pw")
    user.save()
    client = Client()
    response = client.post("/accounts/login/", {"username": "someone", "password": "pw"})
    assert response.status_code == 302 and response["Location"] == MINE
    assert client.get(MINE).status_code == 200


def test_signing_in_with_next_goes_there():
    user = factories.UserFactory(username="someone")
    user.set_password("pw")
    user.save()
    response = Client().post("/accounts/login/", {"username": "someone", "password": "pw", "next": "/admin/"})
    assert response["Location"] == "/admin/"


def test_an_unknown_address_gets_the_friendly_404(client):
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in html and 'href="/"' in html
    assert "Traceback" not in html and "URLconf" not in html


def test_the_500_page_is_friendly_without_any_context():
    response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Something went wrong</h1>" in html and 'href="/"' in html


def test_static_files_and_media_are_served_with_debug_off(client, settings, tmp_path):
    assert settings.DEBUG is False
    assert client.get("/static/admin/css/base.css").status_code == 200
    folder = Path(settings.MEDIA_ROOT) / "learning_credentials"
    folder.mkdir(parents=True)
    (folder / "sample.pdf").write_bytes(b"%PDF-1.4 sample")
    response = client.get("/media/learning_credentials/sample.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 sample"
    assert client.get("/media/../settings.py").status_code in (400, 404)  # nothing outside MEDIA_ROOT

"""The learner pages' navigation: My credentials, certification when the learner has any, the host's home, sign out."""

import re
from html.parser import HTMLParser

import pytest
from django.test import Client

from learning_credentials.adapters.base import HostPages
from learning_credentials.exams.models import Certification
from tests import factories
from tests.exams.conftest import certification_offer

pytestmark = pytest.mark.django_db
MINE = "/learning_credentials/credentials/"
COURSES = "/learning_credentials/certification/"


class Navigation(HTMLParser):
    """The links, forms and buttons inside the page's first <nav>, and its label."""

    def __init__(self):
        super().__init__()
        self.label, self.links, self.forms, self.buttons = None, [], [], []
        self._depth, self._link = 0, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "nav" and self.label is None:
            self.label, self._depth = attrs.get("aria-label"), 1
        elif self._depth:
            if tag == "a":
                self._link = [attrs["href"], "", attrs.get("aria-current")]
            elif tag == "form":
                self.forms.append((attrs.get("method"), attrs.get("action")))
            elif tag == "button":
                self.buttons.append("")

    def handle_data(self, data):
        if self._link is not None:
            self._link[1] += data
        elif self._depth and self.buttons and not self.buttons[-1]:
            self.buttons[-1] = data.strip()

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append(tuple(self._link))
            self._link = None
        elif tag == "nav" and self._depth:
            self._depth = 0


def navigation(response) -> Navigation:
    assert response.status_code == 200
    parser = Navigation()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def client_of(learner):
    client = Client()
    client.force_login(learner)
    return client


def test_my_credentials_is_marked_as_the_current_page(client_of):
    nav = navigation(client_of.get(MINE))
    assert nav.label == "Learner pages"
    assert nav.links == [(MINE, "My credentials", "page"), ("/", "Dashboard", None)]
    assert nav.forms == [("post", "/accounts/logout/")] and nav.buttons == ["Sign out"]


def test_a_credentials_page_links_my_credentials_without_marking_it(client_of, configuration, learner):
    credential = factories.CredentialFactory(user=learner, configuration=configuration)
    nav = navigation(client_of.get(f"{MINE}{credential.uuid}/"))
    assert (MINE, "My credentials", None) in nav.links


def test_certification_appears_once_the_learner_has_a_course_that_offers_it(client_of, configuration):
    assert COURSES not in [href for href, _, _ in navigation(client_of.get(MINE)).links]
    certification_offer(configuration.learning_context_key, configuration)
    assert (COURSES, "My courses", None) in navigation(client_of.get(MINE)).links
    assert (COURSES, "My courses", "page") in navigation(client_of.get(COURSES)).links


def test_certification_stays_for_a_holder_whose_course_no_longer_offers_it(client_of, configuration, learner):
    offer = certification_offer(configuration.learning_context_key, configuration)
    offer.enabled = False
    offer.save()
    assert COURSES not in [href for href, _, _ in navigation(client_of.get(MINE)).links]
    Certification.objects.create(user=learner, context_key=configuration.learning_context_key, code="CERTCODE01")
    assert (COURSES, "My courses", None) in navigation(client_of.get(MINE)).links


def test_the_sign_out_form_signs_out(client_of):
    response = client_of.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client_of.get(MINE)["Location"].startswith("/accounts/login/")


class HostWithGetLogout:
    """An Open edX-like host: the dashboard elsewhere, a sign-out link (its /logout signs out on a GET)."""

    def __init__(self):
        from sandbox.lms.adapter import SandboxAdapter

        self._sandbox = SandboxAdapter()

    def __getattr__(self, name):
        return getattr(self._sandbox, name)

    def get_host_pages(self) -> HostPages:
        return HostPages(
            home_url="https://apps.example.org/learner-dashboard/",
            logout_url="https://lms.example.org/logout",
            logout_post=False,
        )


def test_a_host_that_signs_out_on_a_get_gets_a_link(client_of, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ADAPTER": f"{__name__}.HostWithGetLogout"}
    nav = navigation(client_of.get(MINE))
    assert nav.links[-2:] == [
        ("https://apps.example.org/learner-dashboard/", "Dashboard", None),
        ("https://lms.example.org/logout", "Sign out", None),
    ]
    assert nav.forms == []


class HostWithoutNavigation:
    """An adapter of an earlier version: the sandbox's, without get_host_pages."""

    def __init__(self):
        from sandbox.lms.adapter import SandboxAdapter

        self._sandbox = SandboxAdapter()

    def __getattr__(self, name):
        if name == "get_host_pages":
            raise AttributeError(name)
        return getattr(self._sandbox, name)


def test_an_adapter_without_host_navigation_signs_out_through_djangos_logout(client_of, settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ADAPTER": f"{__name__}.HostWithoutNavigation"}
    nav = navigation(client_of.get(MINE))
    assert [href for href, _, _ in nav.links] == [MINE]  # no dashboard link
    assert nav.forms == [("post", "/accounts/logout/")]


def test_the_navigation_is_keyboard_reachable_and_named(client_of):
    html = client_of.get(MINE).content.decode()
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S)[1]
    assert 'tabindex="-1"' not in nav  # every link and the button are in the tab order
    assert html.index('class="skip"') < html.index("<nav")  # the skip link comes first

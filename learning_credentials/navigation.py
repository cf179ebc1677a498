"""The navigation of the learner pages: My credentials, the sub-apps' pages, the host's home, sign out.

The host's pages come from the adapter (``adapters.base.HostNavigation``); the sub-apps add their
pages through the ``learner_pages`` signal, so the core never imports them.
"""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from .adapters import get_adapter
from .adapters.base import HostNavigation
from .signals import learner_pages


@dataclass(frozen=True)
class NavigationLink:
    """One entry of the learner pages' navigation."""

    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class LearnerNavigation:
    """The links, the host's home, and where (and how) to sign out."""

    links: list[NavigationLink]
    home_url: str | None
    logout_url: str | None
    logout_post: bool


def learner_navigation(request) -> LearnerNavigation:
    """The navigation for the signed-in user of ``request``; the link to the page shown is marked current."""
    links = [NavigationLink(label=_("My credentials"), url=reverse("learning_credentials:learner-credentials"))]
    for _receiver, answer in learner_pages.send(sender=NavigationLink, request=request):
        links.extend(answer or [])
    links = [NavigationLink(label=link.label, url=link.url, current=link.url == request.path) for link in links]
    adapter = get_adapter()
    if isinstance(adapter, HostNavigation):
        pages = adapter.get_host_pages()
        return LearnerNavigation(
            links=links, home_url=pages.home_url, logout_url=pages.logout_url, logout_post=pages.logout_post
        )
    try:  # a Django host's own sign-out (django.contrib.auth.urls names it "logout")
        logout_url = reverse("logout")
    except NoReverseMatch:
        logout_url = None
    return LearnerNavigation(links=links, home_url=None, logout_url=logout_url, logout_post=True)

"""HTTP conventions of the public routes: the methods they answer, how caches may keep their answers, and
answers that never tell a private credential from an unknown one.

Every public page, file and lookup goes through ``public_route``; the public API views follow the
same cache policy through ``cache_publicly`` and ``cache_privately``. New public routes use them too
(``tests/test_public_http.py`` enumerates the URL patterns to check that they do).
"""

import hashlib
from functools import wraps
from urllib.parse import urlsplit

from django.conf import settings
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.urls import get_resolver
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import is_same_domain, quote_etag

from . import conf
from .languages import in_request_language

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def cache_privately(response: HttpResponse) -> HttpResponse:
    """For an answer that depends on who asks, or may change at any moment: no cache keeps it."""
    patch_cache_control(response, private=True, no_store=True)
    return response


def cache_publicly(request, response: HttpResponse, *, etag: str | None = None) -> HttpResponse:
    """For an answer every viewer gets alike (a public credential): caches may keep it PUBLIC_CACHE_SECONDS.

    That is also the longest a revocation can stay invisible behind a cache. With the ETag a cache
    revalidates cheaply afterwards: an unchanged answer comes back as 304 Not Modified.
    """
    patch_cache_control(response, public=True, max_age=conf.get("PUBLIC_CACHE_SECONDS"))
    if etag is None:
        etag = hashlib.sha256(response.content).hexdigest()[:32]
    response["ETag"] = quote_etag(etag)
    return get_conditional_response(request, etag=response["ETag"], response=response)


def not_found(request, exception: Http404) -> HttpResponse:
    """The host's own 404 page (its handler404), for unknown and private credentials alike."""
    return get_resolver().resolve_error_handler(404)(request, exception=exception)


def public_route(view):
    """GET and HEAD for the view, OPTIONS without a body, 405 for anything else; the host's 404 page.

    In the reader's language (``Accept-Language``, see languages.py), the 404 and 429 pages included.

    Every answer reads the viewer first, so every answer varies on the session cookie alike (the
    session middleware adds ``Vary: Cookie`` once the session is read): whether a credential
    exists privately never shows in the headers. An answer the view did not cache publicly is
    kept by no cache.
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        request.user.is_authenticated  # noqa: B018 - reading the session is the point
        if request.method == "OPTIONS":
            response = HttpResponse()
            response["Allow"] = ", ".join(SAFE_METHODS)
        elif request.method not in SAFE_METHODS:
            response = HttpResponseNotAllowed(SAFE_METHODS)
        else:
            try:
                response = view(request, *args, **kwargs)
            except Http404 as exc:
                response = not_found(request, exc)
        if not response.has_header("Cache-Control"):
            cache_privately(response)
        return response

    return in_request_language(wrapped)


def request_from_another_site(request) -> bool:
    """Whether a browser followed a link or form of another site to this request.

    ``Sec-Fetch-Site`` says so when the browser sends it ("same-site" covers the platform's other
    apps on sibling subdomains, "none" a typed address or a bookmark). Without it, the Referer's
    origin is compared with this host and CSRF_TRUSTED_ORIGINS; no Referer counts as a direct visit.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site:
        return fetch_site == "cross-site"
    referer = urlsplit(request.headers.get("Referer", ""))
    if not referer.netloc or referer.netloc == request.get_host():
        return False
    for origin in getattr(settings, "CSRF_TRUSTED_ORIGINS", []):
        trusted = urlsplit(origin)
        if trusted.scheme == referer.scheme and is_same_domain(referer.netloc, trusted.netloc.replace("*", "", 1)):
            return False
    return True

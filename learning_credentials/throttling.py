"""Rate limits of the public endpoints: one client-IP rule and one counter per scope for pages and API alike.

Pages use the ``rate_limit`` decorator, API views the DRF throttles below; both count through
django-ratelimit's fixed windows in Django's cache (``settings.RATELIMIT_USE_CACHE``, default
"default"), so a limit means the same thing everywhere and a client over it gets a 429 with
``Retry-After``. Rates and the trusted proxies are read at call time from LEARNING_CREDENTIALS.
"""

import functools
import ipaddress
import logging

from django.shortcuts import render
from django_ratelimit.core import get_usage
from rest_framework.throttling import BaseThrottle

from . import conf

log = logging.getLogger(__name__)

# "page": the verification page and the empty lookup form; "file": the share image and the public
# PDF; "api": the metadata API; "code": every lookup by verification code (stricter: codes are short);
# "verify": the Open Badges verifier (stricter: each request checks a signature).
SCOPES = ("page", "file", "api", "code", "verify")
# Clients on IPv6 usually hold a whole /64: count them as one.
IPV6_PREFIX = 64


def _address(raw: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(raw.strip())
    except ValueError:
        return None


def _trusted_networks(setting) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    networks = []
    for entry in setting:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            log.warning("LEARNING_CREDENTIALS['TRUSTED_PROXIES']: %r is not an address or network; ignored.", entry)
    return networks


def client_ip(request) -> str:
    """The client's address for rate limiting: REMOTE_ADDR, or X-Forwarded-For behind trusted proxies.

    LEARNING_CREDENTIALS['TRUSTED_PROXIES'] is either a count N of proxies in front of the app
    (the client is the N-th address from the right of X-Forwarded-For plus REMOTE_ADDR), or a list
    of proxy addresses and networks (hops from the right are skipped while they are trusted).
    A header shorter than the count, or an entry that is not an address, is never believed
    beyond the last hop that can be trusted. IPv6 clients are counted by /64.
    """
    remote = _address(request.META.get("REMOTE_ADDR") or "")
    trusted = conf.get("TRUSTED_PROXIES") or 0
    forwarded = [part for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    client = remote
    if remote is not None and forwarded:
        if isinstance(trusted, int):
            if trusted > 0 and len(forwarded) >= trusted:
                client = _address(forwarded[-trusted]) or remote
        else:
            networks = _trusted_networks(trusted)
            hop = remote
            for raw in reversed(forwarded):
                if not any(hop in network for network in networks):
                    break
                previous = _address(raw)
                if previous is None:
                    break
                hop = previous
            client = hop
    if client is None:
        return "unknown"
    if client.version == 6:
        if client.ipv4_mapped is not None:
            return str(client.ipv4_mapped)
        return str(ipaddress.ip_network(f"{client}/{IPV6_PREFIX}", strict=False).network_address)
    return str(client)


def rate_for(scope: str) -> str | None:
    """The rate of ``scope`` ("120/m"), or None when limits are off or the scope has none."""
    if not conf.get("RATE_LIMITS_ENABLED"):
        return None
    return {**conf.DEFAULTS["RATE_LIMITS"], **(conf.get("RATE_LIMITS") or {})}.get(scope)


def seconds_to_wait(request, scope: str) -> int | None:
    """Count this request against ``scope``; the seconds to wait when the client is over the limit, else None."""
    rate = rate_for(scope)
    if not rate:
        return None
    usage = get_usage(
        request,
        group=f"learning_credentials.{scope}",
        key=lambda _group, req: client_ip(req),
        rate=rate,
        increment=True,
    )
    if usage is None or not usage["should_limit"]:
        return None
    if usage["time_left"] < 0:  # the cache failed: verification stays available
        log.warning("Rate limit cache unavailable; %s not limited.", scope)
        return None
    # The window ending at second W still counts requests made during W.
    return usage["time_left"] + 1


def too_many_requests(request, wait: int):
    response = render(request, "learning_credentials/429.html", {"retry_after": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limit(scope: str):
    """Decorate a public page view: a client over the scope's rate gets a 429 page with Retry-After."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            wait = seconds_to_wait(request, scope)
            if wait is not None:
                return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class PublicThrottle(BaseThrottle):
    """DRF throttle of the public API: the same counters and client IP as the pages."""

    scope = "api"

    def allow_request(self, request, view):
        self._wait = seconds_to_wait(request, self.scope)
        return self._wait is None

    def wait(self):
        return self._wait


class CodeLookupThrottle(PublicThrottle):
    scope = "code"


class VerifierThrottle(PublicThrottle):
    scope = "verify"

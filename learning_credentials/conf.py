"""The one place that reads settings: ``LEARNING_CREDENTIALS`` merged over DEFAULTS, at call time.

Open edX applies plugin settings after our modules are imported, so nothing here may read
``django.conf.settings`` at import time.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # Kill switch: False stops issuance on every path; existing credentials stay verifiable.
    "ENABLED": True,
    # Dotted path of the host adapter class (see learning_credentials.adapters.base).
    "ADAPTER": None,
    # Base URL of public links ({verify_url}); falls back to settings.LMS_ROOT_URL. A context's site
    # may set its own (adapter get_sites, e.g. an Open edX site configuration's LMS_ROOT_URL), which wins.
    "BASE_URL": None,
    # Alias in settings.STORAGES where credential artifacts are written.
    "STORAGE": "default",
    # Folder inside that storage for artifacts; files get non-guessable names beneath it (an HMAC).
    "ARTIFACT_PREFIX": "learning_credentials/credentials",
    # Extra invalidation reason categories, {key: human label}, on top of the built-in ones.
    "EXTRA_INVALIDATION_REASONS": {},
    # Length of the short verification code (characters of Crockford base32).
    "VERIFICATION_CODE_LENGTH": 10,
    # Generation attempts after which scheduled runs stop retrying a credential in ERROR.
    "MAX_ATTEMPTS": 3,
    # Seconds a generation attempt holds a GENERATING credential; the task renews the lease while it works.
    # The sweeper (task learning_credentials.sweep_generating, every minute) moves a credential whose
    # lease expired (its worker died and the message was lost) to ERROR and retries it.
    "GENERATION_LEASE_SECONDS": 300,
    # Threads per process writing generated files to the storage while the next PDFs render
    # (a network store such as S3 answers each write in tens of milliseconds).
    "STORAGE_THREADS": 4,
    # Learners per chunk task of a run: each chunk issues and generates its learners.
    "CHUNK_SIZE": 200,
    # "Generate now" previews what a run would do: inline for a context of up to this many enrolled learners,
    # above it as a task (learning_credentials.preview_configuration) whose progress the admin page shows.
    "PREVIEW_INLINE_MAX_LEARNERS": 1000,
    # Alias in settings.CACHES where a preview task leaves its progress and result for the admin page (for an
    # hour): a cache shared by web and worker processes (Redis, Memcached), as for the verification counts.
    "PREVIEW_CACHE": "default",
    # Open edX without a fresh completion aggregate: seconds each process keeps what a course's block
    # structure says counts toward completion, so a run reads it once; a publish shows up after it.
    "COMPLETION_STRUCTURE_SECONDS": 300,
    # Image assets (logos, signatures, backgrounds): PNG or JPEG of at most this many pixels (width x height).
    # The limit bounds memory, not the file: a 445 KB PNG may hold 12000 x 12000 pixels, 576 MB decoded.
    # Checked on upload from the file's header, before anything is decoded, and again before generation
    # decodes a stored image (one over the limit makes its credentials fail, naming the asset).
    "IMAGE_MAX_PIXELS": 25_000_000,
    # Largest image asset file, in bytes.
    "IMAGE_MAX_BYTES": 10 * 1024 * 1024,
    # Long side, in pixels, of the copy of an image asset that PDFs and share images draw: an upload larger
    # than this keeps its original and gets a page-sized copy, made once when it is saved. 3508 is the long
    # side of an A4 page at 300 dpi (US Letter: 3300), so an image the width of the page still prints sharply.
    # Changing it affects images saved afterwards (larger stored originals are scaled down as they are drawn).
    "IMAGE_PAGE_PIXELS": 3508,
    # Serve a valid credential's PDF publicly at /learning_credentials/verify/<verify_uuid>/credential.pdf.
    "PUBLIC_PDF": True,
    # Seconds browsers and shared caches (a CDN, a proxy) may keep a public credential's page, files and
    # metadata (Cache-Control: public, max-age) before revalidating with its ETag: the longest time a
    # revocation can stay invisible behind a cache. Answers that depend on who asks are never kept.
    "PUBLIC_CACHE_SECONDS": 60,
    # Email the learner when a credential becomes available.
    "EMAIL_ENABLED": True,
    # Send email through edx-ace: "auto" (when edx_ace is in INSTALLED_APPS), True or False (Django's mail).
    "EMAIL_VIA_ACE": "auto",
    # Visibility of new credentials ("public" or "private"); learners change theirs.
    "DEFAULT_VISIBILITY": "public",
    # Share image size in pixels (1200x627 suits LinkedIn link previews); served as PNG or JPEG.
    "SHARE_IMAGE_SIZE": (1200, 627),
    # Seconds an on-demand request (the eligibility POST, the browser certificate route) may spend
    # issuing and generating a new credential itself; past it, generation goes on in the background
    # and the API answers 202. 0 always queues.
    "ON_DEMAND_BUDGET_SECONDS": 2.0,
    # Days a learner must wait between two name-change reissues of the same credential (per
    # configuration); 0 lifts the limit. Staff reissues in the admin are not limited.
    "NAME_CHANGE_REISSUE_PERIOD_DAYS": 30,
    # Rate limits of the public endpoints per client IP (IPv6: per /64), as "count/period" with period
    # s, m, h or d ("120/m", "2000/h", "10/5s"); None switches a scope off. Scopes: "page" (the
    # verification page and the empty lookup form), "file" (the share image and the public PDF),
    # "api" (the metadata API), "code" (every lookup by code: form submissions,
    # /learning_credentials/verify/code/<code>/ and the verify API), "verify" (the Open Badges
    # verifier, POST /api/learning_credentials/v1/open-badges/verify/). Scopes left out keep these
    # defaults. Over the limit: 429 with Retry-After (HTML for pages, JSON for the API). Counters
    # live in the Django cache named by settings.RATELIMIT_USE_CACHE (default "default"): use a
    # cache shared by all processes (Redis, Memcached), or each process counts on its own.
    "RATE_LIMITS": {"page": "120/m", "file": "120/m", "api": "120/m", "code": "30/m", "verify": "30/m"},
    # False switches every rate limit off (e.g. when the host limits at its proxy).
    "RATE_LIMITS_ENABLED": True,
    # Which X-Forwarded-For entries name the client for rate limiting. 0: none, REMOTE_ADDR is the
    # client (the app is reached directly). A number N: N reverse proxies stand in front of the app
    # and each appends to the header, so the client is the N-th entry from the right (a shorter
    # header is ignored). A list of proxy addresses or networks (["10.0.0.0/8", "2001:db8::/32"]):
    # entries are skipped from the right while the hop they came from is one of these.
    "TRUSTED_PROXIES": 0,
    # Shared secret of the refund webhook (POST /api/learning_credentials/v1/webhooks/refund/): the host's
    # commerce system signs each delivery with it (HMAC-SHA256). None (or empty) switches the webhook off: it
    # answers 503. Use at least 32 random characters; shorter ones raise a system check warning.
    "REFUND_WEBHOOK_SECRET": None,
    # Hours an export's download link works (staff's CSV and ZIP exports); its file is deleted afterwards
    # (task learning_credentials.exports_cleanup, hourly).
    "EXPORT_RETENTION_HOURS": 24,
    # Credentials an export reads per batch: a fixed number of queries per batch (the host's learner data
    # included), so memory stays flat however many there are.
    "EXPORT_BATCH_SIZE": 500,
    # Count verifications of each credential per channel and day (docs/verification.rst, "What is counted and
    # what is never stored"); False counts nothing. Each holder may also switch counting off for a credential.
    "VERIFICATION_COUNTS_ENABLED": True,
    # Alias in settings.CACHES where the counters are incremented: a cache shared by every web and worker
    # process with atomic increments (Redis, Memcached); a per-process cache (locmem) counts nothing the
    # flush ever sees (a system check warns).
    "VERIFICATION_COUNTS_CACHE": "default",
    # Seconds of one counting bucket; the task learning_credentials.flush_verification_counts moves closed
    # buckets to the database (beat runs it this often). A lost cache loses at most the buckets not flushed
    # yet: about this long. Between 10 and 3600, and a divisor of a day (86400) so that no bucket spans
    # two days.
    "VERIFICATION_COUNTS_FLUSH_SECONDS": 300,
}


def get(name: str) -> Any:
    """Return the setting ``name`` from LEARNING_CREDENTIALS, or its default."""
    if name not in DEFAULTS:
        raise KeyError(f"Unknown learning_credentials setting: {name}")
    return getattr(settings, "LEARNING_CREDENTIALS", {}).get(name, DEFAULTS[name])


def base_url() -> str:
    url = get("BASE_URL") or getattr(settings, "LMS_ROOT_URL", None)
    if not url:
        raise ImproperlyConfigured(
            "Set LEARNING_CREDENTIALS['BASE_URL'] (or LMS_ROOT_URL) so public links can be built."
        )
    return url.rstrip("/")

"""Verification counts: the public verification page with counting on against off, in the same run.

An anonymous client (no session cookie) GETs one public credential's page through Django's full
request stack (middleware, the view, the template), the counters in a real Redis (the sandbox's
Redis cache, as a production host has). The sides take turns, ``--round`` requests each, so a
machine that speeds up or slows down weighs on both. Reported per request: wall time
(perf_counter) and CPU time of this process (process_time; Redis's own CPU is not in it).
Afterwards the counts are flushed and checked against the requests counted, and the flush of
``--pairs`` credential-channel pairs is timed.

    .venv/bin/python benchmarks/verification_counts.py [--requests 2000] [--round 100] [--pairs 10000]

Needs Redis at 127.0.0.1:6379 (``--redis``); the database is an SQLite file in a temporary folder.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per side (default 2000)")
    parser.add_argument("--round", type=int, default=100, help="requests per turn (default 100)")
    parser.add_argument("--pairs", type=int, default=10000, help="credential-channel pairs flushed (default 10000)")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14", help="Redis of the cache")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="lc-bench-counts-"))
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'db.sqlite3'}",
        SANDBOX_CACHE_URL=args.redis,
        SANDBOX_CACHE_PREFIX=f"lc-bench-counts-{uuid.uuid4().hex[:8]}",
        SANDBOX_FAST_PASSWORDS="1",
        LC_MEDIA_ROOT=str(tmp / "media"),
        DJANGO_SETTINGS_MODULE="sandbox.settings",
        DEBUG="0",
        ALLOWED_HOSTS="testserver",
    )
    sys.path[:0] = [str(REPO), str(REPO / "example")]
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "RATE_LIMITS_ENABLED": False}
    settings.LMS_ROOT_URL = "https://lms.example.com"

    from learning_credentials import conf
    from learning_credentials.models import VerificationCount
    from learning_credentials.services import verification_counts as counting
    from tests import factories

    factories.make_course()
    factories.TemplateAssetFactory()
    configuration = factories.ConfigurationFactory()
    credential = factories.CredentialFactory(configuration=configuration)
    url = f"/learning_credentials/verify/{credential.verify_uuid}/"
    client = Client()
    assert client.get(url).status_code == 200  # warm: templates, sites

    def turn(enabled: bool) -> tuple[float, float]:
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "VERIFICATION_COUNTS_ENABLED": enabled}
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.round):
            response = client.get(url)
        assert response.status_code == 200 and settings.SESSION_COOKIE_NAME not in client.cookies
        return (time.perf_counter() - wall) / args.round * 1000, (time.process_time() - cpu) / args.round * 1000

    sides: dict[bool, list[tuple[float, float]]] = {True: [], False: []}
    for _ in range(max(1, args.requests // args.round)):
        for enabled in (False, True):
            sides[enabled].append(turn(enabled))
    counted = len(sides[True]) * args.round + 1  # and the warm-up

    def median(enabled: bool, index: int) -> float:
        return statistics.median(sample[index] for sample in sides[enabled])

    later = time.time() + counting.GRACE_SECONDS + conf.get("VERIFICATION_COUNTS_FLUSH_SECONDS")
    counting.verification_counts_flush(now=later)
    stored = sum(VerificationCount.objects.values_list("count", flat=True))

    # The flush of many pairs: credentials x channels in one closed bucket.
    many = factories.CredentialFactory.create_batch(max(1, args.pairs // 2), configuration=configuration)
    at = later + 3600
    for target in many:
        for channel in ("page", "api"):
            counting.verification_increment(credential_id=target.pk, channel=channel, at=at)
    started = time.perf_counter()
    outcome = counting.verification_counts_flush(now=at + 3600)
    flush_ms = (time.perf_counter() - started) * 1000

    on_wall, off_wall, on_cpu, off_cpu = median(True, 0), median(False, 0), median(True, 1), median(False, 1)
    print(f"page, counting off: {off_wall:.3f} ms wall, {off_cpu:.3f} ms CPU per request (median of turns)")
    print(f"page, counting on:  {on_wall:.3f} ms wall, {on_cpu:.3f} ms CPU per request")
    print(f"counted {stored} of {counted} requests; flush of {outcome['rows']} pairs: {flush_ms:.1f} ms")
    print(
        f"RESULT name=verification_counts requests={counted - 1} on_wall_ms={on_wall:.3f} off_wall_ms={off_wall:.3f} "
        f"overhead_wall_ms={on_wall - off_wall:.3f} on_cpu_ms={on_cpu:.3f} off_cpu_ms={off_cpu:.3f} "
        f"overhead_cpu_ms={on_cpu - off_cpu:.3f} counted={stored} expected={counted} "
        f"flush_pairs={outcome['rows']} flush_ms={flush_ms:.1f}"
    )


if __name__ == "__main__":
    main()

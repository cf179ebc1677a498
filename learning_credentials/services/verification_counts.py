"""Verification counts: incremented in a shared cache by the public surfaces, moved to the database in bulk.

What is counted is a credential, a channel and a day; nothing about who verified (docs/verification.rst).
A request adds one cache increment: its key names the time bucket it falls in
(``VERIFICATION_COUNTS_FLUSH_SECONDS`` long), the credential and the channel. The first count of a
pair in a bucket also writes the pair into the bucket's numbered index, so that the flush reads
every key of a bucket by name and never lists keys. The flush takes buckets that closed at least
GRACE_SECONDS ago, adds their counts to ``VerificationCount`` with one upsert and records each
bucket as flushed in the same transaction: a flush that runs twice, or two flushes that race, add a
bucket once. Buckets still open are not touched, so increments racing a flush are never lost.
"""

import logging
import time
import uuid
import weakref
from collections import Counter
from datetime import UTC, datetime, timedelta

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.functional import SimpleLazyObject, empty
from django_celery_beat.models import PeriodicTask

from .. import conf
from ..models import Credential, CredentialEvent, VerificationChannel, VerificationCountFlush
from ..observability import log_activity
from ..selectors import PublicRecord
from .bulk_writes import verification_counts_add
from .dispatch import FLUSH_VERIFICATION_COUNTS
from .sweeper import beat_entry_ensure
from .visibility import holder_setting_set

log = logging.getLogger(__name__)

PREFIX = "lc:vc"
# How long a bucket waits in the cache for a flush (a worker or beat down for less loses nothing).
WINDOW_SECONDS = 86400
# A bucket is flushed only this long after it ended: a request that read the clock just before the end
# still increments it first. A request stalled longer between the two would count into a flushed bucket.
GRACE_SECONDS = 30
FLUSH_TASK_NAME = "learning_credentials: flush verification counts"
# Redis clients by Django cache object (a thread's: the cache handler keeps one per thread).
_redis_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# What both sides read the time from (tests move it on, so that a bucket they flushed stays behind them).
clock = time.time


def _cache():
    return caches[conf.get("VERIFICATION_COUNTS_CACHE")]


def _bucket(start: int, length: int) -> str:
    return f"{start}+{length}"


def _count_key(bucket: str, pair: str) -> str:
    return f"{PREFIX}:{bucket}:c:{pair}"


def _index_key(bucket: str) -> str:
    return f"{PREFIX}:{bucket}:n"


def _slot_key(bucket: str, number: int) -> str:
    return f"{PREFIX}:{bucket}:s:{number}"


def _viewer(request):
    """The user the request already carries, or None while nobody has loaded it (finding out could query)."""
    loaded = request.__dict__.get("_user")  # DRF's Request, once it authenticated
    if loaded is not None:
        return loaded
    lazy = getattr(request, "_request", request).__dict__.get("user")  # the authentication middleware's
    if isinstance(lazy, SimpleLazyObject):
        return None if lazy._wrapped is empty else lazy._wrapped
    return lazy


def verification_count(*, request, credential: Credential | PublicRecord, channel: str) -> bool:
    """Count one verification of ``credential`` through ``channel``, unless it is not to be counted.

    Not counted: a HEAD request, with VERIFICATION_COUNTS_ENABLED off, when the holder switched counting off, and
    when the request already carries the holder or an ``is_staff`` user. A cache that fails is
    logged and the page is served all the same. True when counted.
    """
    if request.method == "HEAD":  # a link checker's, not a verification
        return False
    if isinstance(credential, PublicRecord):  # a record's page verifies its chain's current credential
        credential = credential.credential
    if not conf.get("VERIFICATION_COUNTS_ENABLED") or not credential.verifications_counted:
        return False
    viewer = _viewer(request)
    if viewer is not None and viewer.is_authenticated and (viewer.pk == credential.user_id or viewer.is_staff):
        return False
    try:
        verification_increment(credential_id=credential.pk, channel=channel)
    except Exception as exc:  # a count is never worth a failed verification
        log_activity("verification_not_counted", level=logging.WARNING, error=f"{type(exc).__name__}: {exc}"[:300])
        return False
    return True


def verification_increment(*, credential_id, channel: str, at: float | None = None) -> None:
    """Add one to the credential's count for ``channel`` in the bucket of ``at`` (now): one cache round trip."""
    if channel not in VerificationChannel.values:
        raise ValueError(f"Unknown verification channel: {channel}")
    length = conf.get("VERIFICATION_COUNTS_FLUSH_SECONDS")
    at = clock() if at is None else at
    bucket = _bucket(int(at // length) * length, length)
    pair = f"{credential_id.hex if hasattr(credential_id, 'hex') else credential_id}:{channel}"
    key, ttl = _count_key(bucket, pair), WINDOW_SECONDS + length
    cache = _cache()
    if isinstance(cache, RedisCache):
        # INCR creates the key (Django's incr asks whether it exists first): with its expiry, one round trip.
        stored = cache.make_and_validate_key(key)
        value, _ = _redis_client(cache).pipeline(transaction=False).incr(stored).expire(stored, ttl).execute()
        if value != 1:
            return
    else:
        try:
            cache.incr(key)
            return
        except ValueError:  # the bucket's first count of the pair, unless another process adds it first
            if not cache.add(key, 1, ttl):
                cache.incr(key)
                return
    _index_add(cache, bucket, pair, ttl)


def _redis_client(cache: RedisCache):
    """The cache's client for writes, made once per cache object (Django makes one per call: half the cost)."""
    client = _redis_clients.get(cache)
    if client is None:
        client = _redis_clients[cache] = cache._cache.get_client(write=True)
    return client


def _index_add(cache, bucket: str, pair: str, ttl: int) -> None:
    """Give the pair the bucket's next slot number, so that the flush knows its key without listing keys."""
    index = _index_key(bucket)
    cache.add(index, 0, ttl)
    cache.set(_slot_key(bucket, cache.incr(index)), pair, ttl)


def _closed_buckets(now: float, length: int) -> list[tuple[str, int]]:
    """(bucket, start) of every bucket in the window that ended at least GRACE_SECONDS before ``now``."""
    first = -(-int(now - WINDOW_SECONDS) // length) * length
    last = int((now - GRACE_SECONDS) // length) * length - length
    return [(_bucket(start, length), start) for start in range(first, last + 1, length)]


def verification_counts_flush(*, now: float | None = None) -> dict[str, int]:
    """Move the closed buckets' counts to the database: four cache reads, one transaction, then one delete.

    Idempotent: a bucket is recorded as flushed (VerificationCountFlush) in the transaction that
    adds its counts, and a flush that finds it recorded only deletes its keys. Two flushes that race
    both try to record it; the second fails on the unique bucket and adds nothing.
    """
    now = clock() if now is None else now
    length = conf.get("VERIFICATION_COUNTS_FLUSH_SECONDS")
    cache = _cache()
    buckets = dict(_closed_buckets(now, length))
    found = cache.get_many([_index_key(bucket) for bucket in buckets])
    sizes = {bucket: int(found[_index_key(bucket)]) for bucket in buckets if _index_key(bucket) in found}
    outcome = {"buckets": 0, "rows": 0, "verifications": 0}
    if not sizes:
        return outcome
    done = set(VerificationCountFlush.objects.filter(bucket__in=list(sizes)).values_list("bucket", flat=True))
    slot_keys = [_slot_key(bucket, number) for bucket, size in sizes.items() for number in range(1, size + 1)]
    slots = cache.get_many(slot_keys)
    pairs = {
        bucket: [slots[key] for n in range(1, size + 1) if (key := _slot_key(bucket, n)) in slots]
        for bucket, size in sizes.items()
    }
    count_keys = [_count_key(bucket, pair) for bucket, names in pairs.items() for pair in names]
    pending = [bucket for bucket in sizes if bucket not in done]
    values = cache.get_many([_count_key(bucket, pair) for bucket in pending for pair in pairs[bucket]])
    totals: Counter = Counter()
    for bucket in pending:
        names, day = pairs[bucket], datetime.fromtimestamp(buckets[bucket], tz=UTC).date()
        for pair in names:
            count = int(values.get(_count_key(bucket, pair)) or 0)
            credential_hex, channel = pair.split(":", 1)
            if count > 0:
                totals[(credential_hex, channel, day)] += count
    if pending:
        try:
            written = _flush_write(pending, totals)
        except IntegrityError:  # a counted credential's row has gone (its foreign key, checked at commit or before)
            kept = {
                pk.hex
                for pk in Credential.objects.filter(pk__in={uuid.UUID(key[0]) for key in totals}).values_list(
                    "pk", flat=True
                )
            }
            totals = Counter({key: count for key, count in totals.items() if key[0] in kept})
            written = _flush_write(pending, totals)
        if not written:
            log_activity("verification_counts_flush_raced", buckets=len(pending))
            return outcome
    stale = timezone.now() - timedelta(seconds=2 * WINDOW_SECONDS)
    VerificationCountFlush.objects.filter(flushed_at__lt=stale).delete()
    cache.delete_many([*(_index_key(bucket) for bucket in sizes), *slot_keys, *count_keys])
    outcome = {"buckets": len(pending), "rows": len(totals), "verifications": sum(totals.values())}
    log_activity("verification_counts_flushed", **outcome)
    return outcome


def _flush_write(buckets: list[str], totals: Counter) -> bool:
    """Record the buckets as flushed and add their counts, in one transaction; False when another flush has."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                VerificationCountFlush.objects.bulk_create(VerificationCountFlush(bucket=b) for b in buckets)
        except IntegrityError:  # the unique bucket: another flush recorded it first, and adds its counts
            return False
        verification_counts_add(totals)
    return True


def credential_set_verification_counting(
    *, credential: Credential, counted: bool, source: str, actor_id: int | None = None
) -> Credential:
    """The holder's switch: count this credential's verifications or not; audited, a no-op when already so.

    Switching off keeps the counts made so far (and those still in the cache); it stops new ones.
    """
    return holder_setting_set(
        credential=credential,
        field="verifications_counted",
        value=counted,
        kind=CredentialEvent.Kind.COUNTING_CHANGED,
        source=source,
        actor_id=actor_id,
    )


def verification_counts_schedule_ensure() -> PeriodicTask:
    """The beat entry that flushes the counts every VERIFICATION_COUNTS_FLUSH_SECONDS (as set at migrate time)."""
    return beat_entry_ensure(
        name=FLUSH_TASK_NAME,
        task=FLUSH_VERIFICATION_COUNTS,
        every_seconds=conf.get("VERIFICATION_COUNTS_FLUSH_SECONDS"),
        description="Moves verification counts from the cache to the database.",
    )

"""The sweeper: no credential stays GENERATING forever.

A generation attempt holds a lease on its credentials (``Credential.lease_expires_at``) and renews
it while it works. When a worker dies and its message is lost too (a broker restart without
persistence, a purged queue), nothing would ever finish the credential: the sweeper finds
credentials whose lease expired, moves them to ERROR with a message and retries those that have
attempts left, exactly as a run retries errors.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from .. import conf
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..observability import log_activity
from .beat import beat_entry_ensure
from .dispatch import SWEEP_GENERATING, emails_queue
from .issuance import credential_retry
from .transitions import credential_transition

SWEEP_TASK_NAME = "learning_credentials: sweep credentials stuck in generating"
SWEEP_EVERY_SECONDS = 60
# Credentials handled per sweep; the next sweep takes the rest.
SWEEP_BATCH = 500
EXPIRED_MESSAGE = (
    "The generation did not finish before its lease expired: its worker was lost, or a transient error "
    "(storage, database) outlasted the task's retries."
)
# Emails of credentials that became available this long ago without being sent are queued again
# (the broker was down when they were due); older ones are left to staff.
EMAIL_GRACE = timedelta(minutes=10)
EMAIL_WINDOW = timedelta(days=1)

log = logging.getLogger(__name__)


def credentials_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Move GENERATING credentials whose lease expired to ERROR and retry those with attempts left.

    Also queues again the emails that were never queued (``emails_queued``).

    Rows written before leases existed have none: their last change stands in for it.
    """
    now = now or timezone.now()
    lease = timedelta(seconds=conf.get("GENERATION_LEASE_SECONDS"))
    expired = Q(lease_expires_at__lt=now) | Q(lease_expires_at__isnull=True, modified__lt=now - lease)
    candidates = Credential.objects.filter(expired, status=Status.GENERATING).values_list("pk", flat=True)
    counts = {"errored": 0, "retried": 0}
    for credential_id in list(candidates[:SWEEP_BATCH]):
        with transaction.atomic():
            locked = Credential.objects.select_for_update().filter(expired, pk=credential_id).first()
            if locked is None or locked.status != Status.GENERATING:
                continue  # the running attempt renewed its lease or finished meanwhile
            locked.error_message = EXPIRED_MESSAGE
            credential_transition(
                credential=locked,
                to=Status.ERROR,
                source=CredentialEvent.Source.SYSTEM,
                reason=EXPIRED_MESSAGE,
                update_fields=("error_message",),
            )
        counts["errored"] += 1
        if locked.attempts < conf.get("MAX_ATTEMPTS"):
            credential_retry(credential=locked, source=CredentialEvent.Source.SYSTEM)
            counts["retried"] += 1
    counts["emails_queued"] = _emails_requeue(now=now)
    if any(counts.values()):
        log_activity("swept", level=logging.WARNING, **counts)
    return counts


def _emails_requeue(*, now: datetime) -> int:
    """Queue again the emails of credentials made available without one (their email task never got queued).

    A learner the host knows no email address for stays unnotified: the email task skips them
    with one query, so they cost little until the window closes.
    """
    if not conf.get("EMAIL_ENABLED"):
        return 0
    unsent = Credential.objects.filter(
        status=Status.AVAILABLE,
        notified_at__isnull=True,
        modified__lt=now - EMAIL_GRACE,
        modified__gt=now - EMAIL_WINDOW,
    ).exclude(events__kind=CredentialEvent.Kind.EMAIL_FAILED)  # those have their own task retrying them
    ids = list(unsent.values_list("pk", flat=True)[:SWEEP_BATCH])
    if ids:
        emails_queue(credential_ids=ids)
    return len(ids)


def sweeper_schedule_ensure() -> PeriodicTask:
    """The beat entry that runs the sweeper every minute."""
    return beat_entry_ensure(
        name=SWEEP_TASK_NAME,
        task=SWEEP_GENERATING,
        every_seconds=SWEEP_EVERY_SECONDS,
        description="Moves credentials whose generation lease expired to ERROR and retries them.",
    )

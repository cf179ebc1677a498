"""Credentials over time: reminders before they expire, and renewal when their holders meet the criteria again.

Renewal itself is a recorded reissue (``issuance.credential_renew``); the paths that find a learner
eligible renew a credential that is due (``issuance.credential_renewal_due``). Here: the reminder
emails, and which holders a configuration's run renews.
"""

import logging
import math
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ..adapters import get_adapter
from ..adapters.base import Site
from ..eligibility import Eligibility
from ..expiry import reminder_due, renewal_opens
from ..languages import site_language
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, ExpiryReminder
from ..observability import log_activity
from ..rendering import local_date
from ..selectors import context_sites, progress_times, public_identities_attach
from .beat import beat_entry_ensure
from .dispatch import SEND_EXPIRY_REMINDERS
from .notification import credential_email_context, learner_email_send, system_event
from .wording import date_text

log = logging.getLogger(__name__)
TEMPLATES = "learning_credentials/email/expiry_reminder"
ACE_MESSAGE_TYPE = "learning_credentials.message_types.ExpiryReminder"
BATCH = 500
# Tries of one reminder whose email fails (one per hourly run), and how long a run's claim on one holds.
REMINDER_ATTEMPTS = 3
CLAIM_SECONDS = 15 * 60
REMINDERS_TASK_NAME = "learning_credentials: expiry reminders"
REMINDERS_EVERY_SECONDS = 3600


def expiry_reminders_send(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Email each holder whose credential's expiry is near, once per reminder offset; how many went and failed.

    Runs in beat (hourly), per batch of credentials with a fixed number of queries. A batch first
    claims its reminders in a short transaction (the credentials locked, not their configurations;
    each reminder a row unique per offset), then sends the emails with no lock held, then records
    which went. So two runs at once, or a redelivered task, send a reminder once; a failed email is
    tried again at the next runs, at most ``REMINDER_ATTEMPTS`` times (each failure audited); a
    claim whose run died is taken over after ``CLAIM_SECONDS``. Suspended, invalidated and expired
    credentials get none.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0}
    horizons = _reminder_horizons()
    after = None
    while horizons:
        with transaction.atomic():
            candidates = _candidates(horizons=horizons, now=now, after=after, batch=batch)
            if not candidates:
                break
            after = candidates[-1].pk
            claimed = _claim(candidates, now=now)
        if claimed:
            _send(claimed, now=now, counts=counts)
    return counts


def reminders_schedule_ensure() -> PeriodicTask:
    """The beat entry that sends expiry reminders every hour (an operator's later edits are kept)."""
    return beat_entry_ensure(
        name=REMINDERS_TASK_NAME,
        task=SEND_EXPIRY_REMINDERS,
        every_seconds=REMINDERS_EVERY_SECONDS,
        description="Emails holders whose credential expires soon, once per reminder offset of its configuration.",
    )


def _reminder_horizons() -> dict[int, int]:
    """Configuration id -> its largest reminder offset, for configurations that remind at all."""
    horizons = {}
    for configuration in CredentialConfiguration.objects.exclude(reminder_days="").only("pk", "reminder_days"):
        offsets = configuration.reminder_offsets()
        if offsets:
            horizons[configuration.pk] = max(offsets)
    return horizons


def _candidates(*, horizons: dict[int, int], now: datetime, after, batch: int) -> list[Credential]:
    """Valid credentials (not suspended) that expire within the largest offset of their configuration, locked
    (their rows only: the configurations are read apart, so that saving one never waits for a batch), those
    locked elsewhere left for now."""
    query = Credential.objects.filter(
        status=Status.AVAILABLE,
        suspended_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=max(horizons.values())),
        configuration_id__in=list(horizons),
    )
    if after is not None:
        query = query.filter(pk__gt=after)
    # Rows another run (or a renewal, a reissue) holds are skipped, not waited for: that run reminds them, or the
    # next hour's does; a batch never waits in a queue that its own audit rows could be waiting behind.
    candidates = list(query.select_for_update(skip_locked=True).order_by("pk")[:batch])
    configurations = CredentialConfiguration.objects.in_bulk({credential.configuration_id for credential in candidates})
    for credential in candidates:
        credential.configuration = configurations[credential.configuration_id]
    return candidates


def _claim(candidates: list[Credential], *, now: datetime) -> list[tuple[Credential, ExpiryReminder]]:
    """The reminders this run sends, claimed (attempts counted) in the caller's transaction."""
    # A locking read sees reminders another run committed after this transaction began (MariaDB's snapshot would not).
    rows: dict = {}
    for reminder in ExpiryReminder.objects.select_for_update().filter(credential__in=candidates):
        rows.setdefault(reminder.credential_id, {})[reminder.days_before] = reminder
    claimed, existing, new = [], [], []
    for credential in candidates:
        held = rows.get(credential.pk, {})
        done = {days for days, row in held.items() if row.sent_at is not None or row.attempts >= REMINDER_ATTEMPTS}
        offset = reminder_due(
            issued_at=credential.valid_from or credential.created,
            expires_at=credential.expires_at,
            now=now,
            reminder_days=credential.configuration.reminder_offsets(),
            sent=done,
        )
        if offset is None:
            continue
        row = held.get(offset)
        if row is None:
            row = ExpiryReminder(credential=credential, days_before=offset, attempts=1, claimed_at=now)
            new.append(row)
        elif row.claimed_at > now - timedelta(seconds=CLAIM_SECONDS):
            continue  # another run is sending it
        else:
            row.attempts, row.claimed_at = row.attempts + 1, now
            existing.append(row)
        claimed.append((credential, row))
    ExpiryReminder.objects.bulk_create(new)
    if existing:
        ExpiryReminder.objects.filter(pk__in=[row.pk for row in existing]).update(
            attempts=F("attempts") + 1, claimed_at=now
        )
    return claimed


def _send(claimed: list[tuple[Credential, ExpiryReminder]], *, now: datetime, counts: dict[str, int]) -> None:
    """Send the claimed reminders (no lock held), then record which went and audit each failure."""
    reminding = [credential for credential, _row in claimed]
    learners = get_adapter().get_learners(sorted({credential.user_id for credential in reminding}))
    sites = context_sites(context_keys=[credential.configuration.learning_context_key for credential in reminding])
    public_identities_attach(reminding)
    sent, events = [], []
    for credential, row in claimed:
        learner = learners.get(credential.user_id)
        if learner is None or not learner.email:
            continue
        site = sites[credential.configuration.learning_context_key]
        try:
            delivery = learner_email_send(
                learner=learner,
                context=_email_context(credential, site=site, now=now, language=learner.language),
                from_email=site.from_email,
                templates=TEMPLATES,
                ace_message_type=ACE_MESSAGE_TYPE,
            )
        except Exception as exc:  # any mail error: audited, tried again at the next runs
            counts["failed"] += 1
            details = {"email": "expiry_reminder", "days_before": row.days_before, "attempt": row.attempts}
            events.append(
                system_event(credential, CredentialEvent.Kind.EMAIL_FAILED, reason=str(exc)[:2000], details=details)
            )
            log.warning("Expiry reminder for %s not sent (attempt %s): %s", credential.pk, row.attempts, exc)
            continue
        counts["sent"] += 1
        sent.append(row.pk)
        details = {**delivery, "days_before": row.days_before, "language": learner.language}
        events.append(system_event(credential, CredentialEvent.Kind.EXPIRY_REMINDED, details=details))
    with transaction.atomic():
        # The audit rows first: inserting them waits for a run that holds these credentials in its claim, and
        # that run must not be waiting in turn for reminder rows this transaction already holds.
        CredentialEvent.objects.bulk_create(events)
        ExpiryReminder.objects.filter(pk__in=sent).update(sent_at=timezone.now())
    log_activity("expiry_reminders", sent=len(sent), failed=len(claimed) - len(sent), batch=len(claimed))


def _email_context(credential: Credential, *, site: Site, now: datetime, language: str) -> dict:
    """The reminder's context; its date written as the learner's language (or the site's format) has it, for both
    Django's mail and edx-ace, which render the templates in that language."""
    return {
        **credential_email_context(credential, site),
        "expires_at": credential.expires_at,
        "expiry_date": date_text(
            local_date(credential.expires_at, site.time_zone),
            language=site_language(language),
            date_format=site.date_format or "",
        ),
        "days_left": math.ceil((credential.expires_at - now).total_seconds() / 86400),
        "renewal_instructions": credential.configuration.renewal_instructions,
        "credential_url": site.base_url
        + reverse("learning_credentials:learner-credential", kwargs={"uuid": credential.pk}),
    }


def credential_renewal_due(credential: Credential, *, now: datetime | None = None) -> bool:
    """Whether meeting the criteria again renews this credential now: it is valid, not suspended, and has
    reached its configuration's renewal window (its first reminder) or expired."""
    if credential.expires_at is None or credential.status != Status.AVAILABLE or credential.suspended_at is not None:
        return False
    offsets = credential.configuration.reminder_offsets()
    issued_at = credential.valid_from or credential.created
    opens = renewal_opens(issued_at=issued_at, expires_at=credential.expires_at, reminder_days=offsets)
    return (now or timezone.now()) >= opens


def renewal_fresh(credential: Credential, *, achieved_at: datetime | None) -> bool:
    """The fresh-achievement rule: progress made after ``credential`` was issued, when its configuration asks.

    ``achieved_at``: when the learner met the criteria, if the caller knows (a passed exam: now);
    else the host is asked when their progress last changed.
    """
    configuration = credential.configuration
    if not configuration.renewal_requires_fresh_achievement:
        return True
    if achieved_at is None:
        times = progress_times(context_key=configuration.learning_context_key, user_ids=[credential.user_id])
        achieved_at = times.get(credential.user_id)
    return _achieved_since_issue(credential, achieved_at)


def _achieved_since_issue(credential: Credential, achieved_at: datetime | None) -> bool:
    return achieved_at is not None and achieved_at > credential.created


def renewals_due(
    *, configuration: CredentialConfiguration, verdicts: dict[int, Eligibility], now: datetime | None = None
) -> list[int]:
    """Which of these eligible learners' credentials to renew: due (``credential_renewal_due``) and, when the
    configuration asks for a fresh achievement, met after their credential's issue (the verdict's
    ``achieved_at``, else when the host dates their progress).

    One query and at most one adapter read (per step of a learning path) for any number of learners.
    """
    now = now or timezone.now()
    held = Credential.objects.filter(
        configuration=configuration, user_id__in=list(verdicts), active=True, expires_at__isnull=False
    )
    live = []
    for credential in held:
        credential.configuration = configuration  # in hand: no query per credential
        if credential_renewal_due(credential, now=now):
            live.append(credential)
    if not live or not configuration.renewal_requires_fresh_achievement:
        return sorted(credential.user_id for credential in live)
    undated = [c.user_id for c in live if verdicts[c.user_id].achieved_at is None]
    progressed = progress_times(context_key=configuration.learning_context_key, user_ids=undated) if undated else {}
    return sorted(
        credential.user_id
        for credential in live
        if _achieved_since_issue(
            credential, verdicts[credential.user_id].achieved_at or progressed.get(credential.user_id)
        )
    )

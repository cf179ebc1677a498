"""Credentials over time: reminders before they expire, and renewal when their holders meet the criteria again.

Renewal itself is a recorded reissue (``issuance.credential_renew``); the paths that find a learner
eligible renew a credential that is due (``issuance.credential_renewal_due``). Here: the reminder
emails, and which holders a configuration's run renews.
"""

import logging
import math
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from ..adapters import get_adapter
from ..adapters.base import Site
from ..expiry import reminder_due, renewal_opens
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, ExpiryReminder
from ..observability import log_activity
from ..selectors import context_sites, progress_times, public_identities_attach, verify_url
from .beat import beat_entry_ensure
from .dispatch import SEND_EXPIRY_REMINDERS
from .notification import learner_email_send

log = logging.getLogger(__name__)
TEMPLATES = "learning_credentials/email/expiry_reminder"
ACE_MESSAGE_TYPE = "learning_credentials.message_types.ExpiryReminder"
BATCH = 500
REMINDERS_TASK_NAME = "learning_credentials: expiry reminders"
REMINDERS_EVERY_SECONDS = 3600


def expiry_reminders_send(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """Email each holder whose credential's expiry is near, once per reminder offset; how many went and failed.

    Runs in beat (hourly): per batch of credentials a fixed number of queries (the candidates and
    their reminders, locked; the learners; one insert of reminders and one of audit rows). The
    reminder row is written with the email, under the credential's lock, so concurrent runs and
    redelivered tasks send nothing twice; a failed email writes no reminder and is tried again
    at the next run (audited as failed each time). Suspended, invalidated and expired credentials
    get none.
    """
    now = now or timezone.now()
    counts = {"sent": 0, "failed": 0}
    horizons = _reminder_horizons()
    if not horizons:
        return counts
    after = None
    while True:
        with transaction.atomic():
            candidates = _candidates(horizons=horizons, now=now, after=after, batch=batch)
            if not candidates:
                return counts
            after = candidates[-1].pk
            _remind(candidates, now=now, counts=counts)


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
    """Valid credentials (not suspended) that expire within the largest offset of their configuration, locked."""
    query = Credential.objects.filter(
        status=Status.AVAILABLE,
        suspended_at__isnull=True,
        expires_at__gt=now,
        expires_at__lte=now + timedelta(days=max(horizons.values())),
        configuration_id__in=list(horizons),
    )
    if after is not None:
        query = query.filter(pk__gt=after)
    return list(query.select_for_update().select_related("configuration").order_by("pk")[:batch])


def _remind(candidates: list[Credential], *, now: datetime, counts: dict[str, int]) -> None:
    # A locking read sees reminders another run committed after this transaction began (MariaDB's snapshot would not).
    sent_before: dict = {}
    reminded = ExpiryReminder.objects.select_for_update().filter(credential__in=candidates)
    for credential_id, days in reminded.values_list("credential_id", "days_before"):
        sent_before.setdefault(credential_id, set()).add(days)
    due = {}
    for credential in candidates:
        offset = reminder_due(
            issued_at=credential.created,
            expires_at=credential.expires_at,
            now=now,
            reminder_days=credential.configuration.reminder_offsets(),
            sent=sent_before.get(credential.pk, set()),
        )
        if offset is not None:
            due[credential.pk] = offset
    if not due:
        return
    reminding = [credential for credential in candidates if credential.pk in due]
    learners = get_adapter().get_learners(sorted({credential.user_id for credential in reminding}))
    sites = context_sites(context_keys=[credential.configuration.learning_context_key for credential in reminding])
    public_identities_attach(reminding)
    reminders, events = [], []
    for credential in reminding:
        learner = learners.get(credential.user_id)
        if learner is None or not learner.email:
            continue
        site = sites[credential.configuration.learning_context_key]
        context = _email_context(credential, site=site, days_before=due[credential.pk], now=now)
        try:
            delivery = learner_email_send(
                learner=learner,
                context=context,
                from_email=site.from_email,
                templates=TEMPLATES,
                ace_message_type=ACE_MESSAGE_TYPE,
            )
        except Exception as exc:
            counts["failed"] += 1
            events.append(_event(credential, CredentialEvent.Kind.EMAIL_FAILED, reason=str(exc)[:2000]))
            log.warning("Expiry reminder for %s not sent: %s", credential.pk, exc)
            continue
        counts["sent"] += 1
        reminders.append(ExpiryReminder(credential=credential, days_before=due[credential.pk]))
        details = {**delivery, "days_before": due[credential.pk], "language": learner.language}
        events.append(_event(credential, CredentialEvent.Kind.EXPIRY_REMINDED, details=details))
    ExpiryReminder.objects.bulk_create(reminders)
    CredentialEvent.objects.bulk_create(events)
    log_activity("expiry_reminders", sent=len(reminders), failed=counts["failed"], batch=len(candidates))


def _event(credential: Credential, kind: str, **fields) -> CredentialEvent:
    return CredentialEvent(credential=credential, kind=kind, source=CredentialEvent.Source.SYSTEM, **fields)


def _email_context(credential: Credential, *, site: Site, days_before: int, now: datetime) -> dict:
    return {
        "learner_name": credential.learner_name,
        "type_name": credential.type_name,
        "context_name": credential.context_name,
        "expires_at": credential.expires_at,
        "days_left": math.ceil((credential.expires_at - now).total_seconds() / 86400),
        "renewal_instructions": credential.configuration.renewal_instructions,
        "verify_url": verify_url(credential, site=site),
        "credential_url": site.base_url
        + reverse("learning_credentials:learner-credential", kwargs={"uuid": credential.pk}),
        "platform_name": site.platform_name,
        "logo_url": site.logo_url,
    }


def credential_renewal_due(credential: Credential, *, now: datetime | None = None) -> bool:
    """Whether meeting the criteria again renews this credential now: it is valid, not suspended, and has
    reached its configuration's renewal window (its first reminder) or expired."""
    if credential.expires_at is None or credential.status != Status.AVAILABLE or credential.suspended_at is not None:
        return False
    offsets = credential.configuration.reminder_offsets()
    opens = renewal_opens(issued_at=credential.created, expires_at=credential.expires_at, reminder_days=offsets)
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
    return achieved_at is not None and achieved_at > credential.created


def renewals_due(
    *, configuration: CredentialConfiguration, user_ids: list[int], now: datetime | None = None
) -> list[int]:
    """Which of these eligible learners a run renews: their live credential is due (``credential_renewal_due``)
    and, when the configuration asks for a fresh achievement, the host dates their progress after its issue.

    One query and at most one adapter read (per step of a learning path) for any number of learners.
    """
    now = now or timezone.now()
    held = Credential.objects.filter(
        configuration=configuration, user_id__in=user_ids, active=True, expires_at__isnull=False
    ).select_related("configuration")
    live = [credential for credential in held if credential_renewal_due(credential, now=now)]
    if not live or not configuration.renewal_requires_fresh_achievement:
        return sorted(credential.user_id for credential in live)
    progressed = progress_times(
        context_key=configuration.learning_context_key, user_ids=[credential.user_id for credential in live]
    )
    return sorted(
        credential.user_id
        for credential in live
        if credential.user_id in progressed and progressed[credential.user_id] > credential.created
    )

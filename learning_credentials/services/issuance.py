"""Issuing credentials: the first stage of a credential's life, up to GENERATING with its generation queued.

Every path (a run's chunk, a progress check, on-demand, staff) issues here; generation is the
second stage (``services.generation``).
"""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import conf
from ..adapters import get_adapter
from ..eligibility import Eligibility
from ..exceptions import InvalidTransition, LearningCredentialsError, PreviouslyInvalidated
from ..identifiers import generate_code
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent
from ..observability import elapsed_ms, log_credential_activity
from ..selectors import issuance_check, learner_printed_names
from ..signals import credential_reissued, credentials_issued
from .audit import event_record
from .codes import credential_codes_settle
from .dispatch import generation_queue
from .generation import lease_end
from .invalidation import credential_invalidate
from .lock_conflicts import lock_conflict_retried
from .transitions import credential_transition

log = logging.getLogger(__name__)

Kind = CredentialEvent.Kind
# Learner-facing settings a reissued credential inherits from the one it replaces.
CARRIED_OVER_FIELDS: tuple[str, ...] = ("order_reference", "visibility", "verifications_counted")
CODE_ATTEMPTS = 5
# Every duplicate attempt is counted on the credential; only the first in this window is audited.
DUPLICATE_AUDIT_INTERVAL = timedelta(hours=1)


class IssueOptions(TypedDict, total=False):
    """The optional arguments of credential_issue (see credential_issue_or_get)."""

    actor_id: int | None
    eligibility: Eligibility | None
    order_reference: str
    manual: bool
    reason: str
    may_replace: Callable[[Credential], bool] | None


def credential_issue(
    *, user_id: int, configuration: CredentialConfiguration, source: str, **options: Unpack[IssueOptions]
) -> Credential:
    """Create the learner's credential (GENERATING) and queue its generation; idempotent.

    Returns the learner's live credential if there is one already. Automatic paths (``manual``
    False) refuse a disabled configuration and a learner whose credential was invalidated;
    a staff manual award issues anyway, recorded as replacing the invalidated credential.
    """
    credential, _ = credential_issue_or_get(user_id=user_id, configuration=configuration, source=source, **options)
    return credential


@lock_conflict_retried
def credential_issue_or_get(
    *,
    user_id: int,
    configuration: CredentialConfiguration,
    source: str,
    actor_id: int | None = None,
    eligibility: Eligibility | None = None,
    order_reference: str = "",
    manual: bool = False,
    reason: str = "",
    queue: bool = True,
    may_replace: Callable[[Credential], bool] | None = None,
) -> tuple[Credential, bool]:
    """credential_issue, also saying whether this call created the credential.

    With ``queue`` False the caller generates the credential itself (a run's chunk does).
    ``may_replace`` lets an automatic path issue again after an invalidation its own rules undo
    (a passed exam after a failed one): given the invalidated credential, True issues a recorded
    reissue that replaces it. Without it, only staff (``manual``) issue after an invalidation.
    An attempt for a learner who holds a live credential is counted on it (``_duplicate``).

    Racing first issues for one learner are settled by the database constraint (the loser's
    insert fails in a savepoint and it returns the winner's credential). MariaDB may instead
    pick one of them as a deadlock victim (error 1213) and roll its transaction back whole:
    that, and other lock conflicts, are retried a few times with jitter, unless a caller's
    transaction is open (then it is broken and the caller must retry).
    """
    started = time.monotonic()
    issuance_check(configuration=None if manual else configuration)
    with transaction.atomic():
        held = Credential.objects.filter(user_id=user_id, configuration=configuration)
        live = held.filter(active=True).first()
        if live is not None:
            return _duplicate(live, source=source, actor_id=actor_id, started=started), False
        previous = held.filter(status=Status.INVALIDATED, replaced_by__isnull=True).order_by("-created").first()
        replacing = previous is not None and not manual and may_replace is not None and may_replace(previous)
        if previous is not None and not manual and not replacing:
            raise PreviouslyInvalidated(
                f"The learner's credential {previous.verification_code} was invalidated "
                f"({previous.invalidation_reason}); only staff can issue it again."
            )
        credential, created = _create(
            user_id=user_id,
            configuration=configuration,
            replaces=previous,
            score=eligibility.score if eligibility else None,
            order_reference=order_reference or (previous.order_reference if previous else ""),
            visibility=previous.visibility if previous else None,
        )
        if not created:
            return _duplicate(credential, source=source, actor_id=actor_id, started=started), False
        details = {"eligibility": eligibility.details if eligibility else None}
        if previous is not None:
            details["replaces"] = str(previous.verify_uuid)
        event_record(
            credential=credential,
            kind=Kind.MANUAL_AWARD if manual else Kind.REISSUED if replacing else Kind.ISSUED,
            source=source,
            actor_id=actor_id,
            reason=reason,
            details=details,
            to_status=Status.GENERATING,
        )
        credentials_issued.send(sender=Credential, credentials=[credential], source=source)
        if queue:
            generation_queue(credential_id=credential.pk, task_id=credential.task_id)
    log_credential_activity(
        "manual_award" if manual else "reissued" if replacing else "issued",
        credential,
        context=configuration.learning_context_key,
        source=source,
        actor_id=actor_id,
        order_reference=credential.order_reference or None,
        replaces=previous.pk if previous else None,
        duration_ms=elapsed_ms(started),
    )
    return credential, True


def credentials_issue(
    *, configuration: CredentialConfiguration, verdicts: dict[int, Eligibility], source: str
) -> tuple[list[uuid.UUID], int]:
    """Issue to many eligible learners at once: the credentials to generate and how many learners failed.

    A fixed number of queries: one read of who holds a credential of this configuration, two
    adapter reads for the printed names, one insert of the credentials and one of their audit
    rows, in one transaction. Learners who hold or held a credential are left out (a run plans
    around them), except one still GENERATING, which is returned to be finished (a redelivered
    chunk). Should a racing path have issued to one of them meanwhile (the database constraint
    says so), the learners go one by one through ``credential_issue_or_get``, which settles each race.
    """
    started = time.monotonic()
    issuance_check(configuration=configuration)
    held = Credential.objects.filter(configuration=configuration, user_id__in=list(verdicts))
    holders, pending = set(), []
    for credential in held.only("pk", "user_id", "status", "active"):
        holders.add(credential.user_id)
        if credential.status == Status.GENERATING:
            pending.append(credential.pk)
        elif credential.active:  # another path got there after the run was planned
            _duplicate(credential, source=source, actor_id=None, started=started)
    new = [user_id for user_id in verdicts if user_id not in holders]
    if not new:
        return pending, 0
    snapshots = _snapshots(user_ids=new, configuration=configuration)
    credentials = [
        _build(user_id=uid, configuration=configuration, snapshot=snapshots[uid], score=verdicts[uid].score)
        for uid in new
    ]
    credential_codes_settle(credentials)
    events = [
        CredentialEvent(
            credential=credential,
            kind=Kind.ISSUED,
            source=source,
            details={"eligibility": verdicts[credential.user_id].details},
            to_status=Status.GENERATING,
        )
        for credential in credentials
    ]
    try:
        with transaction.atomic():
            Credential.objects.bulk_create(credentials)
            CredentialEvent.objects.bulk_create(events)
            credentials_issued.send(sender=Credential, credentials=credentials, source=source)
    except IntegrityError:
        return _issue_one_by_one(
            configuration=configuration, verdicts=verdicts, user_ids=new, source=source, pending=pending
        )
    for credential in credentials:
        log_credential_activity(
            "issued",
            credential,
            context=configuration.learning_context_key,
            source=source,
            batch=len(credentials),
            duration_ms=elapsed_ms(started),
        )
    return pending + [credential.pk for credential in credentials], 0


def _issue_one_by_one(*, configuration, verdicts, user_ids, source, pending) -> tuple[list[uuid.UUID], int]:
    failed = 0
    for user_id in user_ids:
        try:
            credential, created = credential_issue_or_get(
                user_id=user_id, configuration=configuration, source=source, eligibility=verdicts[user_id], queue=False
            )
        except LearningCredentialsError as exc:
            log.warning("Not issuing %s to user %s: %s", configuration, user_id, exc.message)
            failed += 1
            continue
        if created or credential.status == Status.GENERATING:
            pending.append(credential.pk)
    return pending, failed


def credential_reissue(
    *,
    credential: Credential,
    source: str,
    actor_id: int | None = None,
    reason: str = "",
    score: Decimal | None = None,
) -> Credential:
    """Supersede ``credential`` with a new one issued from today's facts (e.g. a new name, a new ``score``).

    The old credential is invalidated as ``superseded`` (unless it already is invalidated);
    the new one's ``replaces`` points at it and it inherits its learner-facing settings and,
    unless a new one is given, its score.
    """
    issuance_check()
    with transaction.atomic():
        old = Credential.objects.select_for_update().get(pk=credential.pk)
        if Credential.objects.filter(replaces=old).exists():
            raise InvalidTransition(f"The credential {old.verification_code} has already been reissued.")
        if old.status != Status.INVALIDATED:
            old = credential_invalidate(
                credential=old, category="superseded", source=source, actor_id=actor_id, reason=reason
            )
        new, created = _create(
            user_id=old.user_id,
            configuration=old.configuration,
            replaces=old,
            score=old.score if score is None else score,
            **{field: getattr(old, field) for field in CARRIED_OVER_FIELDS},
        )
        if not created:
            raise InvalidTransition(f"The learner already holds another live credential, {new.verification_code}.")
        for subject in (old, new):
            event_record(
                credential=subject,
                kind=Kind.REISSUED,
                source=source,
                actor_id=actor_id,
                reason=reason,
                details={"replaces": str(old.verify_uuid), "replaced_by": str(new.verify_uuid)},
                to_status=Status.GENERATING if subject is new else "",
            )
        credentials_issued.send(sender=Credential, credentials=[new], source=source)
        credential_reissued.send(sender=Credential, old=old, new=new)
        generation_queue(credential_id=new.pk, task_id=new.task_id)
    return new


def credential_retry(*, credential: Credential, source: str, actor_id: int | None = None) -> Credential:
    """Send a credential in ERROR back to GENERATING and queue its generation again."""
    started = time.monotonic()
    issuance_check()
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        previous_error = locked.error_message
        locked.error_message = ""
        locked.task_id = str(uuid.uuid4())
        locked.lease_expires_at = lease_end()
        credential_transition(
            credential=locked,
            to=Status.GENERATING,
            source=source,
            actor_id=actor_id,
            reason="retry",
            update_fields=("error_message", "task_id", "lease_expires_at"),
        )
        generation_queue(credential_id=locked.pk, task_id=locked.task_id)
    log_credential_activity(
        "retried",
        locked,
        source=source,
        actor_id=actor_id,
        attempts=locked.attempts,
        previous_error=previous_error[:200] or None,
        duration_ms=elapsed_ms(started),
    )
    return locked


def _duplicate(credential: Credential, *, source: str, actor_id: int | None, started: float) -> Credential:
    """Count an attempt to issue a credential the learner already holds; audit only the first one per hour.

    Events, runs and staff may all try again (every grade change sends an event), so the count
    and time live on the credential and the audit trail gets at most one row per interval. The
    credential row is locked first: concurrent attempts are counted one after the other, and the
    locking read of the audit rows sees those committed meanwhile, also at REPEATABLE READ.
    """
    now = timezone.now()
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        Credential.objects.filter(pk=locked.pk).update(
            duplicate_attempts=F("duplicate_attempts") + 1, last_duplicate_at=now
        )
        locked.duplicate_attempts += 1
        locked.last_duplicate_at = now
        audited = (
            CredentialEvent.objects.select_for_update()
            .filter(credential=locked, kind=Kind.DUPLICATE_ATTEMPT, created__gt=now - DUPLICATE_AUDIT_INTERVAL)
            .exists()
        )
        if not audited:
            event_record(
                credential=locked,
                kind=Kind.DUPLICATE_ATTEMPT,
                source=source,
                actor_id=actor_id,
                details={"duplicate_attempts": locked.duplicate_attempts},
            )
    log_credential_activity(
        "duplicate_attempt",
        locked,
        source=source,
        actor_id=actor_id,
        status=locked.status,
        duplicate_attempts=locked.duplicate_attempts,
        audited=not audited,
        duration_ms=elapsed_ms(started),
    )
    return locked


def _snapshots(*, user_ids: list[int], configuration: CredentialConfiguration) -> dict[int, dict[str, str]]:
    """What each learner's credential prints, frozen at issue: two adapter reads for any number of learners."""
    key = configuration.learning_context_key
    names = learner_printed_names(user_ids=user_ids)
    context_name = get_adapter().get_context_names([key]).get(key, str(key))[:255]
    return {
        user_id: {
            "learner_name": names.get(user_id, ""),
            "context_name": context_name,
            "type_name": configuration.credential_type.name,
        }
        for user_id in user_ids
    }


def _build(*, user_id: int, configuration: CredentialConfiguration, snapshot: dict[str, str], **fields) -> Credential:
    """An unsaved GENERATING credential under a generation lease, with a fresh verification code."""
    return Credential(
        user_id=user_id,
        configuration=configuration,
        verification_code=generate_code(conf.get("VERIFICATION_CODE_LENGTH")),
        task_id=str(uuid.uuid4()),
        lease_expires_at=lease_end(),
        **snapshot,
        **fields,
    )


def _create(
    *,
    user_id: int,
    configuration: CredentialConfiguration,
    replaces: Credential | None,
    score: Decimal | None,
    order_reference: str,
    visibility: str | None = None,
    verifications_counted: bool = True,
) -> tuple[Credential, bool]:
    """Insert a GENERATING credential; the database constraint settles races.

    On an integrity error, the live credential another process inserted is returned (with
    ``created`` False); a
    collision of the random verification code is retried with a new code.
    """
    snapshot = _snapshots(user_ids=[user_id], configuration=configuration)[user_id]
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                credential = _build(
                    user_id=user_id,
                    configuration=configuration,
                    snapshot=snapshot,
                    replaces=replaces,
                    score=score,
                    order_reference=order_reference,
                    verifications_counted=verifications_counted,
                    **({"visibility": visibility} if visibility else {}),
                )
                credential_codes_settle([credential])
                credential.save(force_insert=True)
            return credential, True
        except IntegrityError:
            # A locking read sees rows committed after this transaction began (MariaDB's
            # REPEATABLE READ snapshot would hide the row that won the race).
            live = (
                Credential.objects.select_for_update()
                .filter(user_id=user_id, configuration=configuration, active=True)
                .first()
            )
            if live is not None:
                return live, False
            if replaces is not None and Credential.objects.filter(replaces=replaces).exists():
                raise InvalidTransition(
                    f"The credential {replaces.verification_code} has already been reissued."
                ) from None
    raise IntegrityError("Could not allocate a unique verification code.")

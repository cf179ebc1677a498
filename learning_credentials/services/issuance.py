"""Issuing credentials: the first stage of a credential's life, up to GENERATING with its generation queued.

Every path (a run's chunk, a progress check, on-demand, staff) issues here; generation is the
second stage (``services.generation``).
"""

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TypedDict, Unpack

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import conf
from ..adapters import get_adapter
from ..eligibility import Eligibility
from ..exceptions import InvalidTransition, LearningCredentialsError, PreviouslyInvalidated
from ..expiry import expiry_for
from ..identifiers import generate_code
from ..languages import site_language
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, InvalidationReason
from ..observability import elapsed_ms, log_activity, log_credential_activity
from ..selectors import invalidation_reason_label, issuance_check, learner_issue_facts, public_code
from ..signals import credential_reissued, credentials_issued, credentials_renewed
from .announcement import credentials_announce_on_commit
from .audit import event_record
from .codes import credential_codes_settle
from .dispatch import generation_queue
from .generation import lease_end
from .invalidation import credential_invalidate
from .lock_conflicts import lock_conflict_retried
from .renewal import credential_renewal_due, renewal_fresh
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
    achieved_at: datetime | None


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
    achieved_at: datetime | None = None,
) -> tuple[Credential, bool]:
    """credential_issue, also saying whether this call created the credential.

    With ``queue`` False the caller generates the credential itself (a run's chunk does).
    ``may_replace`` lets an automatic path issue again after an invalidation its own rules undo
    (a passed exam after a failed one): given the invalidated credential, True issues a recorded
    reissue that replaces it. Without it, only staff (``manual``) issue after an invalidation.
    An attempt for a learner who holds a live credential is counted on it (``_duplicate``), unless
    that credential is due for renewal (``credential_renewal_due``): then an automatic path, which
    has just found the learner eligible, renews it, if the configuration's fresh-achievement rule
    is met (``achieved_at``: when the learner met the criteria, if the caller knows; else the host
    is asked when their progress last changed).

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
            live.configuration = configuration
            met = eligibility is not None or achieved_at is not None  # the caller found the criteria met now
            achieved_at = achieved_at or (eligibility.achieved_at if eligibility else None)
            if met and not manual and credential_renewal_due(live) and renewal_fresh(live, achieved_at=achieved_at):
                score = eligibility.score if eligibility else None
                try:
                    renewed = credential_renew(
                        credential=live, source=source, actor_id=actor_id, reason=reason, score=score, queue=queue
                    )
                except InvalidTransition:
                    # Another path renewed it meanwhile (a double click, an event racing a run): that one stands.
                    current = held.select_for_update().filter(active=True).first()
                    if current is None:
                        raise
                    return _duplicate(current, source=source, actor_id=actor_id, started=started), False
                return renewed, True
            return _duplicate(live, source=source, actor_id=actor_id, started=started), False
        previous = held.filter(status=Status.INVALIDATED, replaced_by__isnull=True).order_by("-created").first()
        replacing = previous is not None and not manual and may_replace is not None and may_replace(previous)
        if previous is not None and not manual and not replacing:
            raise PreviouslyInvalidated(
                f"The learner's credential {public_code(previous)} was invalidated "
                f"({invalidation_reason_label(previous)}); only staff can issue it again."
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
    *,
    configuration: CredentialConfiguration,
    verdicts: dict[int, Eligibility],
    source: str,
    actor_id: int | None = None,
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
            _duplicate(credential, source=source, actor_id=actor_id, started=started)
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
            actor_id=actor_id,
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
            configuration=configuration,
            verdicts=verdicts,
            user_ids=new,
            source=source,
            pending=pending,
            actor_id=actor_id,
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


def _issue_one_by_one(
    *, configuration, verdicts, user_ids, source, pending, actor_id=None
) -> tuple[list[uuid.UUID], int]:
    failed = 0
    for user_id in user_ids:
        try:
            credential, created = credential_issue_or_get(
                user_id=user_id,
                configuration=configuration,
                source=source,
                eligibility=verdicts[user_id],
                queue=False,
                actor_id=actor_id,
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
    the new one's ``replaces`` points at it and it inherits its learner-facing settings, its
    expiry (a new name is no new achievement: renewal is ``credential_renew``) and, unless a new
    one is given, its score.
    """
    issuance_check()
    with transaction.atomic():
        old = Credential.objects.select_for_update().get(pk=credential.pk)
        if Credential.objects.filter(replaces=old).exists():
            raise InvalidTransition(f"The credential {public_code(old)} has already been reissued.")
        if old.status != Status.INVALIDATED:
            old = credential_invalidate(
                credential=old, category=InvalidationReason.SUPERSEDED, source=source, actor_id=actor_id, reason=reason
            )
        new, created = _create(
            user_id=old.user_id,
            configuration=old.configuration,
            replaces=old,
            score=old.score if score is None else score,
            expires_at=old.expires_at,
            valid_from=old.valid_from or (old.created if old.expires_at else None),
            **({"language": old.language} if old.language else {}),
            **{field: getattr(old, field) for field in CARRIED_OVER_FIELDS},
        )
        if not created:
            raise InvalidTransition(f"The learner already holds another live credential, {public_code(new)}.")
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


def credential_renew(
    *,
    credential: Credential,
    source: str,
    actor_id: int | None = None,
    reason: str = "",
    score: Decimal | None = None,
    queue: bool = True,
) -> Credential:
    """Renew a valid credential: a new one with a new expiry counted from today replaces it.

    The old one is invalidated as ``renewed`` (its public page says "renewed by" with a link), its
    credits move to the new one as on any reissue. Staff extend a credential this way, since its
    signed documents carry their dates. A suspended credential is not renewed: lift it first.
    """
    issuance_check()
    with transaction.atomic():
        old = Credential.objects.select_for_update().get(pk=credential.pk)  # the row only, not its configuration
        if Credential.objects.filter(replaces=old).exists():
            raise InvalidTransition(f"The credential {public_code(old)} has already been reissued.")
        _renewable_check(old)
        [new] = _renew_locked([old], source=source, actor_id=actor_id, reason=reason, scores={old.pk: score})
        if queue:
            generation_queue(credential_id=new.pk, task_id=new.task_id)
    return new


def credentials_renew(
    *,
    configuration: CredentialConfiguration,
    verdicts: dict[int, Eligibility],
    source: str,
    actor_id: int | None = None,
) -> tuple[list[uuid.UUID], int]:
    """Renew the due credentials of many eligible learners at once (a run's chunk): the new credentials to
    generate, and how many learners failed.

    A fixed number of queries: one locking read of the live credentials and one of those already
    reissued, two adapter reads for the printed names, one update invalidating the old ones, one
    insert of the new ones and one of their audit rows, and the signals' bulk work. Should a
    racing path have changed one of them meanwhile (the database constraint says so), the learners
    go one by one through ``credential_renew``. Callers pick the learners (``renewals_due``); a
    credential no longer due under the lock is left alone.
    """
    issuance_check(configuration=configuration)
    started = time.monotonic()
    try:
        with transaction.atomic():
            live = list(
                Credential.objects.select_for_update().filter(
                    configuration=configuration, user_id__in=list(verdicts), active=True
                )
            )
            for credential in live:
                credential.configuration = configuration
            due = [credential for credential in live if credential_renewal_due(credential)]
            taken = set(Credential.objects.filter(replaces__in=due).values_list("replaces_id", flat=True))
            due = [credential for credential in due if credential.pk not in taken]
            if not due:
                return [], 0
            scores = {credential.pk: verdicts[credential.user_id].score for credential in due}
            renewed = _renew_locked(due, source=source, scores=scores, actor_id=actor_id)
    except IntegrityError:
        return _renew_one_by_one(configuration=configuration, verdicts=verdicts, source=source, actor_id=actor_id)
    log_activity("renewed", configuration=configuration.pk, count=len(renewed), duration_ms=elapsed_ms(started))
    return [credential.pk for credential in renewed], 0


def _renew_one_by_one(*, configuration, verdicts, source, actor_id=None) -> tuple[list[uuid.UUID], int]:
    renewed, failed = [], 0
    for credential in Credential.objects.filter(configuration=configuration, user_id__in=list(verdicts), active=True):
        if not credential_renewal_due(credential):
            continue
        try:
            new = credential_renew(
                credential=credential,
                source=source,
                score=verdicts[credential.user_id].score,
                queue=False,
                actor_id=actor_id,
            )
        except LearningCredentialsError as exc:
            log.warning("Not renewing %s of user %s: %s", configuration, credential.user_id, exc.message)
            failed += 1
            continue
        renewed.append(new.pk)
    return renewed, failed


def _renew_locked(
    olds: list[Credential], *, source: str, scores: dict, actor_id: int | None = None, reason: str = ""
) -> list[Credential]:
    """Invalidate the locked valid credentials as ``renewed`` and insert the credentials that replace them (GENERATING),
    in bulk, with their audit rows; the in-transaction signals hear of them in bulk (``credentials_renewed``)."""
    now = timezone.now()
    Credential.objects.filter(pk__in=[old.pk for old in olds]).update(
        status=Status.INVALIDATED,
        active=None,
        invalidated_at=now,
        invalidation_reason=InvalidationReason.RENEWED,
        modified=now,
    )
    news = []
    by_configuration: dict[int, list[Credential]] = {}
    for old in olds:
        by_configuration.setdefault(old.configuration_id, []).append(old)
    for group in by_configuration.values():
        configuration = group[0].configuration
        snapshots = _snapshots(user_ids=[old.user_id for old in group], configuration=configuration)
        for old in group:
            score = scores.get(old.pk)
            news.append(
                _build(
                    user_id=old.user_id,
                    configuration=configuration,
                    snapshot=snapshots[old.user_id],
                    replaces=old,
                    score=old.score if score is None else score,
                    **{field: getattr(old, field) for field in CARRIED_OVER_FIELDS},
                )
            )
    for old in olds:
        old.status, old.active, old.invalidated_at, old.modified = Status.INVALIDATED, None, now, now
        old.invalidation_reason = InvalidationReason.RENEWED
    pairs = list(zip(olds, news, strict=True))
    credential_codes_settle(news)
    Credential.objects.bulk_create(news)
    common = {"source": source, "actor_id": actor_id, "reason": reason}
    events = []
    for old, new in pairs:
        details = {"replaces": str(old.verify_uuid), "replaced_by": str(new.verify_uuid)}
        events += [
            CredentialEvent(
                credential=old,
                kind=Kind.INVALIDATED,
                from_status=Status.AVAILABLE,
                to_status=Status.INVALIDATED,
                details={"category": InvalidationReason.RENEWED},
                **common,
            ),
            CredentialEvent(credential=old, kind=Kind.RENEWED, details=details, **common),
            CredentialEvent(credential=new, kind=Kind.RENEWED, details=details, to_status=Status.GENERATING, **common),
        ]
    CredentialEvent.objects.bulk_create(events)
    credentials_issued.send(sender=Credential, credentials=news, source=source)
    credentials_renewed.send(sender=Credential, pairs=pairs)
    credentials_announce_on_commit(credential_ids=[old.pk for old in olds], status=Status.INVALIDATED)
    for old, new in pairs:
        log_credential_activity(
            "renewed", new, source=source, actor_id=actor_id, replaces=old.pk, expires_at=new.expires_at
        )
    return news


def _renewable_check(credential: Credential) -> None:
    if credential.expires_at is None and not credential.configuration.validity_period:
        raise InvalidTransition(
            f"The credential {public_code(credential)} never expires (its configuration gives no validity "
            "period): there is nothing to renew. Reissue it to correct it."
        )
    if credential.status != Status.AVAILABLE:
        raise InvalidTransition(
            f"Only a valid credential can be renewed; {public_code(credential)} is "
            f"{credential.get_status_display().lower()}."
        )
    if credential.suspended_at is not None:
        raise InvalidTransition(
            f"The credential {public_code(credential)} is suspended: lift the suspension before renewing it."
        )


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
    facts = learner_issue_facts(user_ids=user_ids)
    context_name = get_adapter().get_context_names([key]).get(key, str(key))[:255]
    return {
        user_id: {
            "learner_name": facts[user_id][0] if user_id in facts else "",
            "language": facts[user_id][1] if user_id in facts else site_language(None),
            "context_name": context_name,
            "type_name": configuration.credential_type.name,
        }
        for user_id in user_ids
    }


def _build(*, user_id: int, configuration: CredentialConfiguration, snapshot: dict[str, str], **fields) -> Credential:
    """An unsaved GENERATING credential under a generation lease, with a fresh verification code.

    Its expiry counts from its issue under the configuration's validity of today, unless given (carried over).
    """
    now = timezone.now()
    if "expires_at" not in fields:  # a new validity period, from today
        unit = configuration.validity_unit
        fields["expires_at"] = expiry_for(now, period=configuration.validity_period, unit=unit)
        fields["valid_from"] = now if fields["expires_at"] is not None else None
    return Credential(
        user_id=user_id,
        configuration=configuration,
        created=now,
        verification_code=generate_code(conf.get("VERIFICATION_CODE_LENGTH")),
        task_id=str(uuid.uuid4()),
        lease_expires_at=lease_end(),
        **{**snapshot, **fields},  # what the caller gives (a reissue's language) wins over today's snapshot
    )


def _create(
    *,
    user_id: int,
    configuration: CredentialConfiguration,
    replaces: Credential | None,
    score: Decimal | None,
    order_reference: str,
    visibility: str | None = None,
    **carried,
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
                    **({"visibility": visibility} if visibility else {}),
                    **carried,
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
                raise InvalidTransition(f"The credential {public_code(replaces)} has already been reissued.") from None
    raise IntegrityError("Could not allocate a unique verification code.")

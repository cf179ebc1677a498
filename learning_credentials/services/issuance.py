"""Issuing, generating, retrying and reissuing credentials."""

import logging
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from datetime import timedelta
from decimal import Decimal
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from .. import conf
from ..adapters import get_adapter
from ..eligibility import Eligibility
from ..exceptions import (
    ConfigurationDisabled,
    InvalidTransition,
    IssuanceDisabled,
    LearningCredentialsError,
    PreviouslyInvalidated,
    QueueUnavailable,
)
from ..identifiers import format_code, generate_code
from ..lifecycle import Status, check_transition
from ..models import Credential, CredentialConfiguration, CredentialEvent
from ..observability import elapsed_ms, log_activity
from ..registry import resolve_options
from ..rendering import AssetFile, CredentialData
from ..selectors import verify_short_url, verify_url
from ..signals import credential_placeholders, credential_reissued, credentials_issued
from .announcement import credentials_announce_on_commit
from .common import (
    TRANSIENT_STORAGE_ERRORS,
    ProcessThreads,
    artifact_delete,
    artifact_save,
    artifacts_of_earlier_attempts_delete,
    asset_load,
    credential_transition,
    credentials_write,
    event_record,
    lock_conflict_retried,
)
from .invalidation import credential_invalidate

log = logging.getLogger(__name__)

Kind = CredentialEvent.Kind
# Learner-facing settings a reissued credential inherits from the one it replaces.
CARRIED_OVER_FIELDS: tuple[str, ...] = ("order_reference", "visibility")
CODE_ATTEMPTS = 5
# Every duplicate attempt is counted on the credential; only the first in this window is audited.
DUPLICATE_AUDIT_INTERVAL = timedelta(hours=1)


def normalize_name(name: str) -> str:
    """Trim, collapse white space, drop control characters and use NFC, as printed on credentials."""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return unicodedata.normalize("NFC", " ".join(name.split()))


def configuration_evaluate(
    *, configuration: CredentialConfiguration, user_ids: list[int] | None = None
) -> dict[int, Eligibility]:
    """Run the configuration's retrieval function: verdicts for its learners (or those given)."""
    retrieve, _ = configuration.credential_type.functions()
    return retrieve(
        adapter=get_adapter(),
        context_key=configuration.learning_context_key,
        options=resolve_options(retrieve, configuration.options()),
        user_ids=user_ids,
    )


def credential_issue(
    *,
    user_id: int,
    configuration: CredentialConfiguration,
    source: str,
    actor_id: int | None = None,
    eligibility: Eligibility | None = None,
    order_reference: str = "",
    manual: bool = False,
    reason: str = "",
) -> Credential:
    """Create the learner's credential (GENERATING) and queue its generation; idempotent.

    Returns the learner's live credential if there is one already. Automatic paths (``manual``
    False) refuse a disabled configuration and a learner whose credential was invalidated;
    a staff manual award issues anyway, recorded as replacing the invalidated credential.
    """
    credential, _ = credential_issue_or_get(
        user_id=user_id,
        configuration=configuration,
        source=source,
        actor_id=actor_id,
        eligibility=eligibility,
        order_reference=order_reference,
        manual=manual,
        reason=reason,
    )
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
) -> tuple[Credential, bool]:
    """credential_issue, also saying whether this call created the credential.

    With ``queue`` False the caller generates the credential itself (a run's chunk does).
    An attempt for a learner who holds a live credential is counted on it (``_duplicate``).

    Racing first issues for one learner are settled by the database constraint (the loser's
    insert fails in a savepoint and it returns the winner's credential). MariaDB may instead
    pick one of them as a deadlock victim (error 1213) and roll its transaction back whole:
    that, and other lock conflicts, are retried a few times with jitter, unless a caller's
    transaction is open (then it is broken and the caller must retry).
    """
    started = time.monotonic()
    if not conf.get("ENABLED"):
        raise IssuanceDisabled()
    if not manual and not configuration.enabled:
        raise ConfigurationDisabled(f"The configuration '{configuration}' is disabled.")
    with transaction.atomic():
        held = Credential.objects.filter(user_id=user_id, configuration=configuration)
        live = held.filter(active=True).first()
        if live is not None:
            return _duplicate(live, source=source, actor_id=actor_id, started=started), False
        previous = held.filter(status=Status.INVALIDATED, replaced_by__isnull=True).order_by("-created").first()
        if previous is not None and not manual:
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
            kind=Kind.MANUAL_AWARD if manual else Kind.ISSUED,
            source=source,
            actor_id=actor_id,
            reason=reason,
            details=details,
            to_status=Status.GENERATING,
        )
        credentials_issued.send(sender=Credential, credentials=[credential], source=source)
        if queue:
            generation_queue_on_commit(credential=credential)
    log_activity(
        "manual_award" if manual else "issued",
        credential=credential.pk,
        user_id=user_id,
        configuration=configuration.pk,
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
    if not conf.get("ENABLED"):
        raise IssuanceDisabled()
    if not configuration.enabled:
        raise ConfigurationDisabled(f"The configuration '{configuration}' is disabled.")
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
        log_activity(
            "issued",
            credential=credential.pk,
            user_id=credential.user_id,
            configuration=configuration.pk,
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
    *, credential: Credential, source: str, actor_id: int | None = None, reason: str = ""
) -> Credential:
    """Supersede ``credential`` with a new one issued from today's facts (e.g. a new name).

    The old credential is invalidated as ``superseded`` (unless it already is invalidated);
    the new one's ``replaces`` points at it and it inherits its learner-facing settings.
    """
    if not conf.get("ENABLED"):
        raise IssuanceDisabled()
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
            score=old.score,
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
        generation_queue_on_commit(credential=new)
    return new


def credential_retry(*, credential: Credential, source: str, actor_id: int | None = None) -> Credential:
    """Send a credential in ERROR back to GENERATING and queue its generation again."""
    started = time.monotonic()
    if not conf.get("ENABLED"):
        raise IssuanceDisabled()
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        previous_error = locked.error_message
        locked.error_message = ""
        locked.task_id = str(uuid.uuid4())
        locked.lease_expires_at = _lease_end()
        credential_transition(
            credential=locked,
            to=Status.GENERATING,
            source=source,
            actor_id=actor_id,
            reason="retry",
            update_fields=("error_message", "task_id", "lease_expires_at"),
        )
        generation_queue_on_commit(credential=locked, task_id=locked.task_id)
    log_activity(
        "retried",
        credential=locked.pk,
        user_id=locked.user_id,
        configuration=locked.configuration_id,
        source=source,
        actor_id=actor_id,
        attempts=locked.attempts,
        previous_error=previous_error[:200] or None,
        duration_ms=elapsed_ms(started),
    )
    return locked


def credential_generate(
    *,
    credential_id: uuid.UUID | str,
    source: str = CredentialEvent.Source.SYSTEM,
    load_asset: Callable[[str], AssetFile] = asset_load,
) -> Credential:
    """Render and store a GENERATING credential's artifact, then make it AVAILABLE or ERROR.

    The bulk ``credentials_generate`` with one credential, so both paths follow the same rules.
    Safe to run twice (a redelivered task): a credential no longer GENERATING is left as it is.
    """
    done = credentials_generate(credential_ids=[credential_id], source=source, load_asset=load_asset)
    return done[0] if done else Credential.objects.get(pk=credential_id)


def credentials_generate(
    *,
    credential_ids: Sequence[uuid.UUID | str],
    source: str = CredentialEvent.Source.SYSTEM,
    load_asset: Callable[[str], AssetFile] = asset_load,
) -> list[Credential]:
    """Render and store the artifacts of those credentials still GENERATING, then make each AVAILABLE or ERROR.

    A fixed number of queries whatever the number of credentials: one read, one lease update,
    then one transaction that locks the rows, updates them in bulk and writes their audit rows
    in bulk. A credential that cannot be rendered (bad template, missing asset, a name no font
    prints) goes to ERROR with the message; a transient storage error (ConnectionError,
    TimeoutError) is raised for the task to retry, the credentials staying GENERATING under
    their lease. Files stored for rows that end up not pointing at them are deleted.
    """
    started = time.monotonic()
    credentials = list(
        Credential.objects.select_related("configuration__credential_type").filter(
            pk__in=credential_ids, status=Status.GENERATING
        )
    )
    if not credentials:
        return []
    credentials_lease(credential_ids=[c.pk for c in credentials], attempt=True)
    for credential in credentials:
        credential.attempts += 1  # as the update above counted it
    stored: dict[uuid.UUID, tuple[str, str]] = {}
    failed: dict[uuid.UUID, str] = {}
    try:
        saving = _render_all(credentials, load_asset=load_asset, failed=failed)
        _collect_saves(saving, stored=stored, failed=failed)
        done = _generation_record(credentials=credentials, stored=stored, failed=failed, source=source)
    except BaseException:
        for name, _version in stored.values():
            artifact_delete(name)
        _lease_release(credentials)
        raise
    _generation_log(credentials=credentials, done=done, failed=failed, source=source, started=started)
    return [done[c.pk] for c in credentials if c.pk in done]


def _render_all(credentials: list[Credential], *, load_asset, failed: dict) -> list[tuple[Credential, str, Future]]:
    """Render one after another (CPU) while the storage writes the finished files in a few threads (I/O)."""
    saving = []
    lease_renewed = time.monotonic()
    extras = _placeholder_values(credentials)
    try:
        for credential in credentials:
            try:
                artifact = _render(credential, load_asset=load_asset, extra=extras.get(credential.pk, {}))
            except Exception as exc:
                failed[credential.pk] = _failure_message(credential, exc)
            else:
                future = _storage_threads.submit(artifact_save, credential=credential, artifact=artifact)
                saving.append((credential, artifact.template_version, future))
            if time.monotonic() - lease_renewed > conf.get("GENERATION_LEASE_SECONDS") / 3:
                credentials_lease(credential_ids=[c.pk for c in credentials])
                lease_renewed = time.monotonic()
    except BaseException:
        wait([future for _, _, future in saving])  # their files are deleted by the caller's clean-up
        raise
    return saving


def _collect_saves(saving: list[tuple[Credential, str, Future]], *, stored: dict, failed: dict) -> None:
    """Wait for every write; a transient storage error is raised once all are done (their files known)."""
    transient = None
    for credential, version, future in saving:
        try:
            stored[credential.pk] = (future.result(), version)
        except TRANSIENT_STORAGE_ERRORS as exc:
            transient = transient or exc
        except Exception as exc:
            failed[credential.pk] = _failure_message(credential, exc)
    if transient is not None:
        raise transient


# Threads writing artifacts: a network store answers each write in tens of milliseconds.
_storage_threads = ProcessThreads(name="lc-storage", size=lambda: conf.get("STORAGE_THREADS"))


def credentials_lease(*, credential_ids: Sequence[uuid.UUID | str], attempt: bool = False) -> None:
    """Claim (or renew the claim on) GENERATING credentials for GENERATION_LEASE_SECONDS; ``attempt`` counts a try."""
    changes = {"lease_expires_at": _lease_end()}
    if attempt:
        changes["attempts"] = F("attempts") + 1
    Credential.objects.filter(pk__in=credential_ids, status=Status.GENERATING).update(**changes)


def credential_generation_stalled(credential: Credential) -> bool:
    """GENERATING with no attempt holding it (its lease expired or was given up): anyone may generate it."""
    expires = credential.lease_expires_at
    return credential.status == Status.GENERATING and (expires is None or expires <= timezone.now())


def _lease_release(credentials: list[Credential]) -> None:
    """Give up the claim after an attempt cut short by a transient error, so that a retry may take it at once.

    The attempt is not counted: MAX_ATTEMPTS bounds retries of credentials that cannot be made
    (bad template, unprintable name), not of an outage that outlasts the task's own retries.
    """
    try:
        Credential.objects.filter(pk__in=[c.pk for c in credentials], status=Status.GENERATING).update(
            lease_expires_at=timezone.now(), attempts=Greatest(F("attempts") - 1, 0)
        )
    except Exception:  # the database itself may be what failed: the lease then simply expires
        log.warning("Could not release the generation lease of %d credentials", len(credentials), exc_info=True)


def _lease_end():
    return timezone.now() + timedelta(seconds=conf.get("GENERATION_LEASE_SECONDS"))


def _failure_message(credential: Credential, exc: Exception) -> str:
    if isinstance(exc, LearningCredentialsError):
        return exc.message
    log.exception("Generating credential %s failed", credential.pk)
    return f"{type(exc).__name__}: {exc}"


def _generation_record(
    *, credentials: list[Credential], stored: dict, failed: dict, source: str
) -> dict[uuid.UUID, Credential]:
    """Make the rendered credentials AVAILABLE and the failed ones ERROR, with their audit rows, in one transaction.

    Rows that left GENERATING meanwhile (invalidated, or finished by an overlapping attempt) are
    left alone and their new files deleted after commit.
    """
    now = timezone.now()
    with transaction.atomic():
        statuses = dict(
            Credential.objects.select_for_update()
            .filter(pk__in=[c.pk for c in credentials])
            .values_list("pk", "status")
        )
        locked = {c.pk: c for c in credentials if c.pk in statuses}
        for pk, credential in locked.items():
            credential.status = statuses[pk]
        events, available = [], []
        for pk, credential in locked.items():
            if credential.status != Status.GENERATING:
                if pk in stored:
                    transaction.on_commit(partial(artifact_delete, stored[pk][0]))
                continue
            if pk in stored:
                credential.artifact, credential.template_version = stored[pk]
                credential.status, credential.error_message = Status.AVAILABLE, ""
                available.append(pk)
            elif pk in failed:
                credential.status, credential.error_message = Status.ERROR, failed[pk][:2000]
            else:
                continue
            check_transition(Status.GENERATING, credential.status)
            credential.lease_expires_at, credential.modified = None, now
            events.append(
                CredentialEvent(
                    credential=credential,
                    kind=Kind.STATUS_CHANGED,
                    source=source,
                    reason="" if pk in stored else credential.error_message,
                    from_status=Status.GENERATING,
                    to_status=credential.status,
                )
            )
        changed = [locked[event.credential_id] for event in events]
        credentials_write(
            changed, ["status", "artifact", "template_version", "error_message", "lease_expires_at", "modified"]
        )
        CredentialEvent.objects.bulk_create(events)
        # An earlier attempt may have been killed after storing its file.
        retried = [(locked[pk], stored[pk][0]) for pk in available if locked[pk].attempts > 1]
        if retried:
            transaction.on_commit(partial(artifacts_of_earlier_attempts_delete, recorded=retried))
        if available:
            credentials_announce_on_commit(credential_ids=available, status=Status.AVAILABLE)
            if conf.get("EMAIL_ENABLED"):
                _queue_emails(available)
    return {credential.pk: credential for credential in changed}


def _generation_log(*, credentials, done: dict, failed: dict, source: str, started: float) -> None:
    for credential in credentials:
        if credential.pk not in done:
            continue
        ok = done[credential.pk].status == Status.AVAILABLE
        log_activity(
            "generated" if ok else "generation_failed",
            level=logging.INFO if ok else logging.WARNING,
            credential=credential.pk,
            user_id=credential.user_id,
            configuration=credential.configuration_id,
            context=credential.configuration.learning_context_key,
            source=source,
            attempts=done[credential.pk].attempts,
            error=None if ok else failed[credential.pk][:500],
            duration_ms=elapsed_ms(started),
        )


def _placeholder_values(credentials: list[Credential]) -> dict[uuid.UUID, dict[str, str]]:
    """Values of the placeholders other parts of the app registered, asked once for all the credentials."""
    values: dict[uuid.UUID, dict[str, str]] = {}
    for _receiver, answer in credential_placeholders.send(sender=Credential, credentials=credentials):
        for pk, texts in (answer or {}).items():
            values.setdefault(pk, {}).update(texts)
    return values


def _render(credential: Credential, *, load_asset: Callable[[str], AssetFile], extra: dict[str, str]):
    configuration = credential.configuration
    _, generate = configuration.credential_type.functions()
    data = CredentialData(
        learner_name=credential.learner_name,
        context_name=credential.context_name,
        context_key=str(configuration.learning_context_key),
        type_name=credential.type_name,
        issue_date=credential.created.date(),
        verify_url=verify_url(credential),
        qr_url=verify_short_url(credential),
        verify_uuid=str(credential.verify_uuid),
        verify_code=format_code(credential.verification_code),
        score=credential.score,
        extra=extra,
    )
    return generate(data=data, options=resolve_options(generate, configuration.options()), load_asset=load_asset)


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
    log_activity(
        "duplicate_attempt",
        credential=locked.pk,
        user_id=locked.user_id,
        configuration=locked.configuration_id,
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
    adapter = get_adapter()
    key = configuration.learning_context_key
    learners = adapter.get_learners(user_ids)
    context_name = adapter.get_context_names([key]).get(key, str(key))[:255]
    snapshots = {}
    for user_id in user_ids:
        learner = learners.get(user_id)
        name = normalize_name(learner.full_name) if learner else ""
        if not name and learner:
            name = learner.username
        snapshots[user_id] = {
            "learner_name": name[:255],
            "context_name": context_name,
            "type_name": configuration.credential_type.name,
        }
    return snapshots


def _build(*, user_id: int, configuration: CredentialConfiguration, snapshot: dict[str, str], **fields) -> Credential:
    """An unsaved GENERATING credential under a generation lease, with a fresh verification code."""
    return Credential(
        user_id=user_id,
        configuration=configuration,
        verification_code=generate_code(conf.get("VERIFICATION_CODE_LENGTH")),
        task_id=str(uuid.uuid4()),
        lease_expires_at=_lease_end(),
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
                )
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


def _queue_emails(credential_ids: list[uuid.UUID]) -> None:
    """One email task for the credentials a transaction made AVAILABLE (a chunk's worth at most)."""
    from ..tasks import send_credential_emails

    ids = [str(pk) for pk in credential_ids]
    transaction.on_commit(lambda: send_credential_emails.delay(ids), robust=True)


def generation_queue_on_commit(
    *, credential: Credential, task_id: str | None = None, countdown: int | None = None, required: bool = False
) -> None:
    """Queue the credential's generation once committed, failing fast when the broker cannot be reached.

    Then the credential stays committed, GENERATING under its lease, for the sweeper to generate
    when the lease ends. ``required``: raise QueueUnavailable (a caller waiting for the PDF says
    so); otherwise log ``generation_not_queued``.
    """
    from ..tasks import generate_credential

    credential_id, task_id = str(credential.pk), task_id or credential.task_id

    def send():
        try:
            generate_credential.apply_async(args=[credential_id], task_id=task_id, countdown=countdown, retry=False)
        except BrokerUnreachable as exc:
            if required:
                raise QueueUnavailable(
                    f"The task queue cannot be reached; credential {credential_id} waits to be generated: {exc}"
                ) from exc
            log_activity(
                "generation_not_queued",
                level=logging.ERROR,
                credential=credential_id,
                reason="queue_unavailable",
                error=f"{type(exc).__name__}: {exc}"[:500],
            )

    transaction.on_commit(send)

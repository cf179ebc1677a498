"""Issuing, generating, retrying and reissuing credentials."""

import logging
import time
import unicodedata
import uuid
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .. import conf
from ..adapters import get_adapter
from ..eligibility import Eligibility
from ..exceptions import (
    ConfigurationDisabled,
    InvalidTransition,
    IssuanceDisabled,
    LearningCredentialsError,
    PreviouslyInvalidated,
)
from ..identifiers import format_code, generate_code
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent
from ..observability import elapsed_ms, log_activity
from ..registry import resolve_options
from ..rendering import AssetFile, CredentialData
from ..selectors import verify_url
from .common import artifact_delete, artifact_save, asset_load, credential_transition, event_record
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
        if queue:
            _queue_generation(credential)
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
        _queue_generation(new)
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
        credential_transition(
            credential=locked,
            to=Status.GENERATING,
            source=source,
            actor_id=actor_id,
            reason="retry",
            update_fields=("error_message", "task_id"),
        )
        _queue_generation(locked, task_id=locked.task_id)
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

    ``load_asset`` lets a caller rendering many credentials look each asset up once (a chunk does).

    Safe to run twice (a redelivered task): a credential no longer GENERATING is left as it is.
    """
    started = time.monotonic()
    credential = Credential.objects.select_related("configuration__credential_type").get(pk=credential_id)
    if credential.status != Status.GENERATING:
        return credential
    Credential.objects.filter(pk=credential.pk).update(attempts=F("attempts") + 1)
    try:
        artifact = _render(credential, load_asset=load_asset)
        name = artifact_save(credential=credential, artifact=artifact)
    except Exception as exc:
        if not isinstance(exc, LearningCredentialsError):
            log.exception("Generating credential %s failed", credential.pk)
        message = exc.message if isinstance(exc, LearningCredentialsError) else f"{type(exc).__name__}: {exc}"
        failed = _fail(credential_id=credential.pk, message=message, source=source)
        log_activity(
            "generation_failed",
            level=logging.WARNING,
            credential=credential.pk,
            user_id=credential.user_id,
            configuration=credential.configuration_id,
            context=credential.configuration.learning_context_key,
            source=source,
            attempts=credential.attempts + 1,
            error=message[:500],
            duration_ms=elapsed_ms(started),
        )
        return failed
    try:
        with transaction.atomic():
            locked = Credential.objects.select_for_update().get(pk=credential.pk)
            if locked.status != Status.GENERATING:
                transaction.on_commit(lambda: artifact_delete(name))
                return locked
            locked.artifact = name
            locked.template_version = artifact.template_version
            credential_transition(
                credential=locked, to=Status.AVAILABLE, source=source, update_fields=("artifact", "template_version")
            )
            if conf.get("EMAIL_ENABLED"):
                _queue_email(locked)
    except BaseException:
        artifact_delete(name)
        raise
    log_activity(
        "generated",
        credential=locked.pk,
        user_id=locked.user_id,
        configuration=locked.configuration_id,
        context=credential.configuration.learning_context_key,
        source=source,
        attempts=credential.attempts + 1,
        duration_ms=elapsed_ms(started),
    )
    return locked


def _render(credential: Credential, *, load_asset: Callable[[str], AssetFile]):
    configuration = credential.configuration
    _, generate = configuration.credential_type.functions()
    data = CredentialData(
        learner_name=credential.learner_name,
        context_name=credential.context_name,
        context_key=str(configuration.learning_context_key),
        type_name=credential.type_name,
        issue_date=credential.created.date(),
        verify_url=verify_url(credential),
        verify_uuid=str(credential.verify_uuid),
        verify_code=format_code(credential.verification_code),
        score=credential.score,
    )
    return generate(data=data, options=resolve_options(generate, configuration.options()), load_asset=load_asset)


def _fail(*, credential_id, message: str, source: str) -> Credential:
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential_id)
        if locked.status == Status.GENERATING:
            locked.error_message = message[:2000]
            credential_transition(
                credential=locked,
                to=Status.ERROR,
                source=source,
                reason=message[:2000],
                update_fields=("error_message",),
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


def _snapshots(*, user_id: int, configuration: CredentialConfiguration) -> dict[str, str]:
    adapter = get_adapter()
    key = configuration.learning_context_key
    learner = adapter.get_learners([user_id]).get(user_id)
    name = normalize_name(learner.full_name) if learner else ""
    if not name and learner:
        name = learner.username
    return {
        "learner_name": name[:255],
        "context_name": adapter.get_context_names([key]).get(key, str(key))[:255],
        "type_name": configuration.credential_type.name,
    }


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
    snapshots = _snapshots(user_id=user_id, configuration=configuration)
    for _attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                credential = Credential.objects.create(
                    user_id=user_id,
                    configuration=configuration,
                    replaces=replaces,
                    score=score,
                    order_reference=order_reference,
                    verification_code=generate_code(conf.get("VERIFICATION_CODE_LENGTH")),
                    task_id=str(uuid.uuid4()),
                    **snapshots,
                    **({"visibility": visibility} if visibility else {}),
                )
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


def _queue_email(credential: Credential) -> None:
    from ..tasks import send_credential_email

    credential_id = str(credential.pk)
    transaction.on_commit(lambda: send_credential_email.delay(credential_id))


def _queue_generation(credential: Credential, task_id: str | None = None) -> None:
    from ..tasks import generate_credential

    credential_id, task_id = str(credential.pk), task_id or credential.task_id
    transaction.on_commit(lambda: generate_credential.apply_async(args=[credential_id], task_id=task_id))

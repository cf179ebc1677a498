"""Awarding, voiding and moving continuing-education credits. Every write of the ledger is here.

Credits travel with credentials: they are awarded in the transaction that issues the credential
(so its PDF can print them), voided when it is invalidated (or re-linked to another live
credential of the learner in the same context that awards them), and moved when it is reissued.
"""

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..exceptions import CreditError, CreditTypeInactive, InvalidCreditAmount, UnknownCreditType
from ..identifiers import parse_context_key
from ..models import REPLACEMENT_REASONS, Credential, CredentialEvent
from ..observability import log_activity
from ..services.audit import event_record
from ..services.lock_conflicts import lock_conflict_retried
from .models import MAX_AMOUNT, MIN_AMOUNT, ConfigurationCredit, CreditLedgerEntry, CreditType


def credit_type_resolve(credit_type: CreditType | str) -> CreditType:
    """A CreditType from itself or its code (any case); UnknownCreditType when there is none."""
    if isinstance(credit_type, CreditType):
        return credit_type
    code = str(credit_type).strip().upper()
    found = None if "\x00" in code else CreditType.objects.filter(code=code).first()  # PostgreSQL refuses NUL
    if found is None:
        raise UnknownCreditType(f"There is no credit type '{str(credit_type)[:32]}'.")
    return found


def credit_amount_parse(amount: Decimal | str | int | float) -> Decimal:
    """The amount as a Decimal with two places; InvalidCreditAmount unless 0 < amount <= 99.99 in hundredths."""
    if isinstance(amount, bool):
        raise InvalidCreditAmount()
    try:
        value = Decimal(str(amount).strip()) if isinstance(amount, str | float) else Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise InvalidCreditAmount() from None
    if not value.is_finite() or value < MIN_AMOUNT or value > MAX_AMOUNT or value != value.quantize(MIN_AMOUNT):
        raise InvalidCreditAmount()
    return value.quantize(MIN_AMOUNT)


def credits_award(
    *,
    user_id: int,
    context_key: Any,
    credit_type: CreditType | str,
    amount: Decimal | str | int,
    credential: Credential | None = None,
    activity_id: str = "",
    metadata: dict[str, Any] | None = None,
) -> CreditLedgerEntry:
    """Award credits once: the learner's active entry of this type in this context, created if there is none.

    Idempotent: a repeated award (or one racing it) returns the existing entry and creates
    nothing; the database's unique (user, context, type, active) settles races. Raises
    UnknownCreditType, CreditTypeInactive or InvalidCreditAmount, changing nothing.
    """
    credit_type = credit_type_resolve(credit_type)
    if not credit_type.active:
        raise CreditTypeInactive(f"The credit type {credit_type.code} is inactive; it cannot be awarded.")
    amount = credit_amount_parse(amount)
    key = parse_context_key(str(context_key))
    return _award_or_get(
        user_id=user_id,
        context_key=key,
        credit_type=credit_type,
        amount=amount,
        credential=credential,
        activity_id=activity_id,
        metadata=metadata or {},
    )


@lock_conflict_retried
def _award_or_get(*, user_id, context_key, credit_type, amount, credential, activity_id, metadata) -> CreditLedgerEntry:
    held = CreditLedgerEntry.objects.filter(
        user_id=user_id, context_key=context_key, credit_type=credit_type, active=True
    )
    with transaction.atomic():
        existing = held.first()
        if existing is not None:
            return existing
        try:
            with transaction.atomic():
                entry = CreditLedgerEntry.objects.create(
                    user_id=user_id,
                    context_key=context_key,
                    credit_type=credit_type,
                    amount=amount,
                    credential=credential,
                    activity_id=activity_id,
                    metadata=metadata,
                )
        except IntegrityError:
            # A locking read sees the row a racing award committed (MariaDB's REPEATABLE READ
            # snapshot would hide it from a plain read).
            existing = held.select_for_update().first()
            if existing is None:
                raise
            return existing
    log_activity(
        "credits_awarded",
        user_id=user_id,
        context=context_key,
        credit_type=credit_type.code,
        amount=amount,
        credential=credential.pk if credential else None,
    )
    return entry


def credits_award_for_credentials(*, credentials: Sequence[Credential]) -> list[CreditLedgerEntry]:
    """Award what the configurations of just-issued credentials award, in bulk: three queries for any number.

    One read of the configurations' credit lines, one of the learners' active entries, one
    insert. A learner earns each credit type once per context: where an active entry exists (or
    two configurations of a context award the same type) the first award stands and nothing
    more is added. Should a racing award insert one of them meanwhile, each entry goes through
    ``credits_award``, which settles the race.
    """
    if not credentials:
        return []
    lines = list(
        ConfigurationCredit.objects.filter(
            configuration_id__in={credential.configuration_id for credential in credentials},
            credit_type__active=True,
        )
        .select_related("configuration", "credit_type")
        .order_by("id")
    )
    if not lines:
        return []
    by_configuration: dict[int, list[ConfigurationCredit]] = {}
    for line in lines:
        by_configuration.setdefault(line.configuration_id, []).append(line)
    now = timezone.now()
    wanted: dict[tuple[int, str, int], tuple[CreditLedgerEntry, ConfigurationCredit]] = {}
    for credential in credentials:
        for line in by_configuration.get(credential.configuration_id, ()):
            context_key = line.configuration.learning_context_key
            key = (credential.user_id, str(context_key), line.credit_type_id)
            if key in wanted:
                continue
            entry = CreditLedgerEntry(
                user_id=credential.user_id,
                context_key=context_key,
                credit_type=line.credit_type,
                amount=line.amount,
                awarded_at=now,
                credential=credential,
                activity_id=line.activity_id,
                metadata={"configuration": line.configuration_id},
            )
            wanted[key] = (entry, line)
    held = CreditLedgerEntry.objects.filter(
        user_id__in={key[0] for key in wanted},
        context_key__in={line.configuration.learning_context_key for line in lines},
        credit_type_id__in={key[2] for key in wanted},
        active=True,
    ).values_list("user_id", "context_key", "credit_type_id")
    for user_id, context_key, credit_type_id in held:
        wanted.pop((user_id, str(context_key), credit_type_id), None)
    entries = [entry for entry, _line in wanted.values()]
    if not entries:
        return []
    try:
        with transaction.atomic():
            CreditLedgerEntry.objects.bulk_create(entries)
    except IntegrityError:
        return [
            credits_award(
                user_id=entry.user_id,
                context_key=entry.context_key,
                credit_type=entry.credit_type,
                amount=entry.amount,
                credential=entry.credential,
                activity_id=entry.activity_id,
                metadata=entry.metadata,
            )
            for entry in entries
        ]
    if len(entries) == 1:
        entry = entries[0]
        log_activity(
            "credits_awarded",
            user_id=entry.user_id,
            context=entry.context_key,
            credit_type=entry.credit_type.code,
            amount=entry.amount,
            credential=entry.credential_id,
        )
    else:  # a run's chunk: one line, not one per entry (the ledger itself has every entry)
        totals: dict[str, Decimal] = {}
        for entry in entries:
            totals[entry.credit_type.code] = totals.get(entry.credit_type.code, Decimal(0)) + entry.amount
        log_activity(
            "credits_awarded",
            entries=len(entries),
            credentials=len({entry.credential_id for entry in entries}),
            contexts=sorted({str(entry.context_key) for entry in entries}),
            totals={code: str(total) for code, total in sorted(totals.items())},
        )
    return entries


def credits_release(
    *, credential: Credential, category: str, source: str = CredentialEvent.Source.SYSTEM
) -> dict[str, list[str]]:
    """An invalidated credential gives up its credits: each is re-linked or voided, never deleted.

    An entry is re-linked to the learner's oldest other live credential in the same context whose
    configuration awards that credit type (taking that configuration's amount and activity ID);
    otherwise it is voided. The credential's audit trail records what happened to its credits.
    Returns the labels of the voided and re-linked credits.
    """
    outcome: dict[str, list[str]] = {"voided": [], "relinked": []}
    with transaction.atomic():
        entries = list(
            CreditLedgerEntry.objects.select_for_update()
            .filter(credential=credential, active=True)
            .select_related("credit_type")
            .order_by("id")
        )
        if not entries:
            return outcome
        backing = _backing_lines(credential=credential, entries=entries)
        now = timezone.now()
        relinked_to: dict[str, str] = {}
        for entry in entries:
            found = backing.get((str(entry.context_key), entry.credit_type_id))
            if found is not None:
                other, line = found
                entry.metadata = {
                    **(entry.metadata or {}),
                    "relinked_from": str(credential.pk),
                    "previous_amount": str(entry.amount),
                    "configuration": line.configuration_id,
                }
                entry.credential, entry.amount, entry.activity_id = other, line.amount, line.activity_id
                entry.save(update_fields=["credential", "amount", "activity_id", "metadata"])
                label = entry.credit_type.label(entry.amount)
                outcome["relinked"].append(label)
                relinked_to[label] = str(other.verify_uuid)
            else:
                entry.active, entry.voided_at = None, now
                entry.void_reason = f"The credential it came with was invalidated ({category})."
                entry.save(update_fields=["active", "voided_at", "void_reason"])
                outcome["voided"].append(entry.credit_type.label(entry.amount))
        event_record(
            credential=credential,
            kind=CredentialEvent.Kind.INVALIDATED,
            source=source,
            reason="Continuing-education credits voided" if outcome["voided"] else "Continuing-education credits moved",
            details={"credits": {"voided": outcome["voided"], "relinked": relinked_to}},
        )
    log_activity(
        "credits_released",
        credential=credential.pk,
        user_id=credential.user_id,
        category=category,
        voided=outcome["voided"] or None,
        relinked=outcome["relinked"] or None,
    )
    return outcome


def _backing_lines(*, credential: Credential, entries: list[CreditLedgerEntry]) -> dict:
    """(context, credit type) -> (the oldest other live credential of the learner there, its configuration's line)."""
    contexts = {entry.context_key for entry in entries}
    others = list(
        Credential.objects.filter(
            user_id=credential.user_id, configuration__learning_context_key__in=contexts, active=True
        )
        .exclude(pk=credential.pk)
        .select_related("configuration")
        .order_by("created", "pk")
    )
    if not others:
        return {}
    lines = ConfigurationCredit.objects.filter(
        configuration_id__in={other.configuration_id for other in others},
        credit_type_id__in={entry.credit_type_id for entry in entries},
    )
    by_configuration: dict[int, list[ConfigurationCredit]] = {}
    for line in lines:
        by_configuration.setdefault(line.configuration_id, []).append(line)
    backing: dict[tuple[str, int], tuple[Credential, ConfigurationCredit]] = {}
    for other in others:
        for line in by_configuration.get(other.configuration_id, ()):
            backing.setdefault((str(other.configuration.learning_context_key), line.credit_type_id), (other, line))
    return backing


def credits_invalidation_follow(*, credential: Credential, category: str) -> None:
    """A credential is being invalidated: release its credits now, or, when superseded or renewed, after the commit.

    A reissue (or a renewal) replaces the old credential and moves its credits to the new one in the
    same transaction (``credits_move``); only what no reissue took over is released afterwards.
    """
    if category in REPLACEMENT_REASONS:
        release = partial(credits_release_unless_replaced, credential_id=credential.pk)
        transaction.on_commit(release, robust=True)
        return
    credits_release(credential=credential, category=category)


def credits_release_unless_replaced(*, credential_id) -> None:
    """After a credential invalidated as superseded commits: release the credits no reissue took over.

    A reissue moves them to the new credential within its transaction; a credential superseded
    by hand (nothing replaces it) would otherwise keep them.
    """
    credential = Credential.objects.filter(pk=credential_id, active__isnull=True).first()
    if credential is not None and CreditLedgerEntry.objects.filter(credential=credential, active=True).exists():
        credits_release(credential=credential, category=credential.invalidation_reason)


def credits_move(*, old: Credential, new: Credential) -> int:
    """A reissue moves the active entries to the new credential, so the learner never holds zero credits."""
    moved = CreditLedgerEntry.objects.filter(credential=old, active=True).update(credential=new)
    if moved:
        log_activity("credits_moved", credential=new.pk, replaces=old.pk, user_id=new.user_id, entries=moved)
    return moved


def credits_void_for_learner(*, user_id: int, reason: str) -> int:
    """Void every active entry of a learner (their retirement); how many were voided."""
    entries = list(CreditLedgerEntry.objects.filter(user_id=user_id, active=True))
    for entry in entries:
        credit_entry_void(entry=entry, reason=reason)
    return len(entries)


def credit_entry_void(*, entry: CreditLedgerEntry, reason: str, actor_id: int | None = None) -> CreditLedgerEntry:
    """Void one entry by hand (staff): it stays in the ledger, counts nowhere, and says why and who.

    Idempotent: an entry already voided is returned as it is.
    """
    reason = (reason or "").strip()
    if not reason:
        raise CreditError("Say why the credits are voided.")
    with transaction.atomic():
        locked = CreditLedgerEntry.objects.select_for_update().select_related("credit_type").get(pk=entry.pk)
        if locked.voided_at is not None:
            return locked
        locked.active, locked.voided_at = None, timezone.now()
        locked.void_reason, locked.voided_by_id = reason, actor_id
        locked.save(update_fields=["active", "voided_at", "void_reason", "voided_by"])
    log_activity(
        "credits_voided",
        entry=locked.pk,
        user_id=locked.user_id,
        context=locked.context_key,
        credit_type=locked.credit_type.code,
        amount=locked.amount,
        credential=locked.credential_id,
        actor_id=actor_id,
    )
    return locked

"""Writes of the exams sub-app: entitlements and points (seed 004 §2.1, §6.2).

Each service runs in one transaction and leaves the database's rules to the database: the unique
(learner, course, active) index decides a race between two grants, the balance's conditional
decrement a race between two spends. Audit rows (CertificationEvent) and log lines go with them.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..adapters import get_adapter
from ..observability import log_activity
from .conf import exam_settings
from .exceptions import CertificationUnavailable, InsufficientPoints, PaymentPending, PointsNotAccepted
from .models import CertificationEvent, CertificationSettings, Entitlement, PointsAccount, PointsEntry, reference_key
from .selectors import (
    Availability,
    CertificationStatus,
    certification_availability,
    certification_settings_get,
    certification_status,
    entitlement_active,
    payment_pending,
    unavailable_message,
)


def certification_event(
    *, kind: str, user_id: int | None, source: str, context_key=None, actor_id=None, **details
) -> None:
    """One audit row and one structured log line, written in the transaction of what they describe."""
    CertificationEvent.objects.create(
        kind=kind, user_id=user_id, context_key=context_key, source=source, actor_id=actor_id, details=details
    )
    log_activity(kind, user_id=user_id, context_key=str(context_key or ""), source=source, **details)


def entitlement_grant(
    *,
    user_id: int,
    context_key,
    source: str,
    activity_source: str,
    amount: Decimal | None = None,
    currency: str = "",
    points: int | None = None,
    reference: str = "",
    actor_id: int | None = None,
) -> tuple[Entitlement, bool]:
    """The learner's active entitlement in the course, granted now if they hold none: (entitlement, created).

    Idempotent: a learner already entitled keeps what they have. A payment ``reference`` grants one
    entitlement at most (IntegrityError when another learner's entitlement holds it).
    """
    with transaction.atomic():
        held = entitlement_active(user_id=user_id, context_key=context_key, lock=True)
        if held is not None:
            return held, False
        try:
            with transaction.atomic():
                entitlement = Entitlement.objects.create(
                    user_id=user_id,
                    context_key=context_key,
                    source=source,
                    amount=amount,
                    currency=currency,
                    points=points,
                    reference=reference,
                    reference_key=reference_key(reference) if reference and source == Entitlement.Source.PAID else None,
                )
        except IntegrityError:
            held = entitlement_active(user_id=user_id, context_key=context_key, lock=True)
            if held is None:  # not a concurrent grant to this learner: the reference is another's
                raise
            return held, False
        certification_event(
            kind=CertificationEvent.Kind.ENTITLEMENT_GRANTED,
            user_id=user_id,
            context_key=context_key,
            source=activity_source,
            actor_id=actor_id,
            entitlement_source=source,
            reference=reference,
        )
        return entitlement, True


def entitlement_revoke(
    *, entitlement: Entitlement, reason: str, activity_source: str, actor_id: int | None = None
) -> Entitlement:
    """Revoke an entitlement for good (a refund, staff); points it was redeemed with go back. Idempotent."""
    with transaction.atomic():
        entitlement = Entitlement.objects.select_for_update().get(pk=entitlement.pk)
        if entitlement.active is None:
            return entitlement
        entitlement.active, entitlement.revoked_at, entitlement.revoked_reason = None, timezone.now(), reason[:255]
        entitlement.save(update_fields=["active", "revoked_at", "revoked_reason"])
        if entitlement.source == Entitlement.Source.POINTS and entitlement.reference:
            _points_refund(
                user_id=entitlement.user_id, reference=entitlement.reference, activity_source=activity_source
            )
        certification_event(
            kind=CertificationEvent.Kind.ENTITLEMENT_REVOKED,
            user_id=entitlement.user_id,
            context_key=entitlement.context_key,
            source=activity_source,
            actor_id=actor_id,
            reason=reason,
        )
    return entitlement


def certification_require_available(context_key) -> tuple[CertificationSettings, Availability]:
    """The course's certification settings and availability; CertificationUnavailable (the seed's words) unless
    it can be had now."""
    certification = certification_settings_get(context_key=context_key)
    availability = certification and certification_availability(context_key=context_key, certification=certification)
    if not availability or not availability.available:
        raise CertificationUnavailable(unavailable_message())
    return certification, availability


def _host_points():
    """The host adapter's points hooks, when it keeps learners' points itself; None for the built-in accounts."""
    adapter = get_adapter()
    if all(callable(getattr(adapter, name, None)) for name in ("points_balance", "points_spend", "points_refund")):
        return adapter
    return None


def points_grant(
    *, user_id: int, amount: int, activity_source: str, note: str = "", actor_id: int | None = None
) -> PointsEntry:
    """Add points to a learner's built-in account (staff, a command); the entry says who and why."""
    if amount < 1:
        raise ValueError("Grant at least one point.")
    with transaction.atomic():
        account, _created = PointsAccount.objects.get_or_create(user_id=user_id)
        PointsAccount.objects.filter(pk=account.pk).update(balance=F("balance") + amount)
        entry = PointsEntry.objects.create(
            account=account, kind=PointsEntry.Kind.GRANT, amount=amount, note=note, actor_id=actor_id
        )
        certification_event(
            kind=CertificationEvent.Kind.POINTS_GRANTED,
            user_id=user_id,
            source=activity_source,
            actor_id=actor_id,
            points=amount,
            note=note,
        )
    return entry


def _points_spend(*, user_id: int, amount: int, reference: str, context_key, activity_source: str) -> None:
    """Take ``amount`` points for ``reference``, or raise InsufficientPoints having taken nothing."""
    host = _host_points()
    if host is not None:
        if not host.points_spend(user_id, amount, reference):
            raise InsufficientPoints(_insufficient(balance=host.points_balance(user_id), price=amount))
    else:
        account, _created = PointsAccount.objects.get_or_create(user_id=user_id)
        taken = PointsAccount.objects.filter(pk=account.pk, balance__gte=amount).update(balance=F("balance") - amount)
        if not taken:
            raise InsufficientPoints(
                _insufficient(balance=PointsAccount.objects.get(pk=account.pk).balance, price=amount)
            )
        PointsEntry.objects.create(
            account=account,
            kind=PointsEntry.Kind.SPEND,
            amount=-amount,
            reference=reference,
            reference_key=reference_key(reference),
        )
    certification_event(
        kind=CertificationEvent.Kind.POINTS_SPENT,
        user_id=user_id,
        context_key=context_key,
        source=activity_source,
        points=amount,
        reference=reference,
    )


def _points_refund(*, user_id: int | None, reference: str, activity_source: str) -> None:
    """Give back the points spent for ``reference``, once."""
    host = _host_points()
    if host is not None:
        host.points_refund(reference)
        refunded = None
    else:
        key = reference_key(reference)
        spend = PointsEntry.objects.filter(kind=PointsEntry.Kind.SPEND, reference_key=key).first()
        if spend is None or PointsEntry.objects.filter(kind=PointsEntry.Kind.REFUND, reference_key=key).exists():
            return
        refunded = -spend.amount
        PointsAccount.objects.filter(pk=spend.account_id).update(balance=F("balance") + refunded)
        PointsEntry.objects.create(
            account_id=spend.account_id,
            kind=PointsEntry.Kind.REFUND,
            amount=refunded,
            reference=reference,
            reference_key=key,
        )
    certification_event(
        kind=CertificationEvent.Kind.POINTS_REFUNDED,
        user_id=user_id,
        source=activity_source,
        points=refunded,
        reference=reference,
    )


def _insufficient(*, balance: int, price: int) -> str:
    return ngettext(
        "Certification costs %(price)d point; your balance is %(balance)d.",
        "Certification costs %(price)d points; your balance is %(balance)d.",
        price,
    ) % {"price": price, "balance": balance}


def entitlement_redeem_points(*, user_id: int, context_key, activity_source: str) -> tuple[Entitlement, bool]:
    """Redeem the course's points price for certification: (entitlement, created); already entitled spends nothing,
    and a payment of the learner's that bought nothing yet (selectors.payment_pending) refuses (PaymentPending).

    Built-in accounts: the learner's account row is locked, then the spend (a conditional decrement)
    and the grant commit together, so two concurrent redemptions spend once. Host points hooks: the
    spend goes first (idempotent by reference), and is refunded if the grant then fails.
    """
    certification, _availability = certification_require_available(context_key)
    if certification.price_points is None:
        raise PointsNotAccepted(_("Certification in this course cannot be redeemed with points."))
    price = certification.price_points
    with transaction.atomic():
        if _host_points() is None:
            account, _created = PointsAccount.objects.get_or_create(user_id=user_id)
            PointsAccount.objects.select_for_update().get(pk=account.pk)  # one redemption at a time per learner
        held = entitlement_active(user_id=user_id, context_key=context_key, lock=True)
        if held is not None:
            return held, False
        if payment_pending(user_id=user_id, context_key=context_key) is not None:
            raise PaymentPending(
                _("You have paid for certification in this course: complete that purchase instead of redeeming points.")
            )
        # The same for a retried request: one reference per (learner, course, earlier points entitlements).
        earlier = Entitlement.objects.filter(user_id=user_id, context_key=context_key, source=Entitlement.Source.POINTS)
        reference = f"certification:{context_key}:{user_id}:{earlier.count() + 1}"
        _points_spend(
            user_id=user_id, amount=price, reference=reference, context_key=context_key, activity_source=activity_source
        )
        try:
            return entitlement_grant(
                user_id=user_id,
                context_key=context_key,
                source=Entitlement.Source.POINTS,
                activity_source=activity_source,
                points=price,
                reference=reference,
            )
        except IntegrityError:
            if _host_points() is not None:
                transaction.on_commit(lambda: _host_points().points_refund(reference))
            raise


def entitlement_for_premium(*, user_id: int, certification: CertificationSettings, activity_source: str):
    """The learner's entitlement included in premium, granted the first time their status is read; None if not due.

    Premium access: an active enrollment in one of EXAMS' PREMIUM_MODES (on Open edX, the paid modes).
    """
    if not certification.premium_includes_certification:
        return None
    enrolled = get_adapter().get_enrolled_user_ids(
        certification.context_key, [user_id], modes=list(exam_settings().premium_modes)
    )
    if user_id not in enrolled:
        return None
    entitlement, _created = entitlement_grant(
        user_id=user_id,
        context_key=certification.context_key,
        source=Entitlement.Source.INCLUDED_IN_PREMIUM,
        activity_source=activity_source,
    )
    return entitlement


def certification_status_read(*, user, context_key, activity_source: str) -> CertificationStatus:
    """A learner's certification status; reading it first turns premium access into an entitlement (seed 004 §6.2)."""
    certification = certification_settings_get(context_key=context_key)
    if certification is not None:
        entitlement_for_premium(user_id=user.pk, certification=certification, activity_source=activity_source)
    return certification_status(user=user, context_key=context_key)

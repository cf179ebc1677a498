"""Certification bought with money, on proof of payment only (seed 004 §2.1, §6.2; issue 16 point 4).

A learner never entitles themselves by posting a reference: the payment is confirmed by the host
adapter's optional ``payment_confirm`` hook (a host with its own checkout), or it arrives as a
signed delivery of the host's commerce system (the payment webhook; Open edX's path). Both end in
:func:`_purchase`, which decides on the same rules: certification available, a price in money, a
payment by this learner for this course of at least the price in its currency, and each payment
reference granting one entitlement. The unique index on the reference's hash decides races.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

from django.db import IntegrityError
from django.utils.translation import gettext as _
from opaque_keys.edx.keys import LearningContextKey

from ..adapters import get_adapter
from ..exceptions import UnknownLearner, WebhookNotConfigured, WebhookPayloadInvalid
from ..models import CredentialEvent
from ..observability import elapsed_ms, log_activity
from ..selectors import user_get
from ..services.webhooks import (
    DUPLICATE,
    notice_payload,
    parse_amount,
    parse_context,
    parse_currency,
    parse_json_object,
    parse_learner,
    parse_text,
    webhook_apply_once,
    webhook_authenticate,
    webhook_event_key,
)
from .conf import exam_settings
from .exceptions import PaymentNotAccepted, PaymentNotConfirmed, PaymentReferenceUsed
from .models import Entitlement, PaymentEvent, reference_key
from .services import certification_require_available, entitlement_grant


@dataclass(frozen=True)
class Payment:
    """A settled payment as the host knows it: who paid, for which course, how much in which currency."""

    user_id: int
    context_key: Any  # a CourseKey or its string
    amount: Decimal
    currency: str


@runtime_checkable
class PaymentConfirmer(Protocol):
    """The optional hook of a host adapter that runs its own checkout; the core adapter Protocol has no such method.

    Open edX has none (its commerce system sends the payment webhook); the sandbox's reads its orders.
    """

    def payment_confirm(self, reference: str) -> Payment | None:
        """The settled payment with this reference; None when the host knows no such paid payment."""


@runtime_checkable
class CertificationCheckout(Protocol):
    """The optional hook of a host adapter whose own checkout sells a course's certification ("Pay").

    Without it, EXAMS' CHECKOUT_URL (a URL template) says where the checkout is; Open edX uses that.
    Read by selectors.certification_checkout_url.
    """

    def certification_checkout_url(self, user_id: int, context_key: LearningContextKey, return_url: str) -> str | None:
        """The checkout page where the learner pays for the course's certification; None: not sold here.

        After payment the checkout sends the learner back to ``return_url`` (absolute), adding the
        payment's reference as the query parameter ``payment_reference`` when it has one: the
        learner's page then completes the purchase through ``entitlement_purchase``.
        """


@runtime_checkable
class PendingPayments(Protocol):
    """The optional hook of a host adapter that knows its learners' payments (its own checkout): a payment made
    but not yet turned into an entitlement. While one is pending, points are not redeemed and the page offers
    only *Complete purchase*, so that a learner never pays twice. Read by selectors.payment_pending.
    """

    def certification_payment_pending(self, user_id: int, context_key: LearningContextKey) -> str | None:
        """The reference of the learner's settled payment for the course's certification that no entitlement
        holds yet; None when there is none."""


def _confirms(payment: Payment | None, *, user_id: int, context_key, price: Decimal, currency: str) -> bool:
    """This learner's payment for this course, of at least the price in the price's currency (no conversion)."""
    return (
        payment is not None
        and payment.user_id == user_id
        and str(payment.context_key) == str(context_key)
        and str(payment.currency).upper() == currency
        and Decimal(payment.amount) >= price
    )


def _purchase(
    *,
    user_id: int,
    context_key,
    payment_reference: str,
    confirm: Callable[[], Payment | None],
    activity_source: str,
    actor_id: int | None = None,
) -> tuple[Entitlement, bool]:
    """The rules both paths share; ``confirm`` is asked only once the cheap checks pass."""
    held = Entitlement.objects.filter(reference_key=reference_key(payment_reference)).first()
    if held is not None:
        if held.user_id == user_id and str(held.context_key) == str(context_key) and held.active:
            return held, False  # the same purchase again: idempotent
        raise PaymentReferenceUsed(_("This payment has already been used."))
    certification, _availability = certification_require_available(context_key)
    if certification.price_amount is None:
        raise PaymentNotAccepted(_("Certification in this course is not sold for money."))
    payment = confirm()
    if not _confirms(
        payment,
        user_id=user_id,
        context_key=context_key,
        price=certification.price_amount,
        currency=certification.price_currency,
    ):
        raise PaymentNotConfirmed(
            _("No payment of at least %(amount)s %(currency)s for this course is confirmed for this reference.")
            % {"amount": certification.price_amount, "currency": certification.price_currency}
        )
    try:
        return entitlement_grant(
            user_id=user_id,
            context_key=context_key,
            source=Entitlement.Source.PAID,
            activity_source=activity_source,
            amount=Decimal(payment.amount),
            currency=str(payment.currency).upper(),
            reference=payment_reference,
            actor_id=actor_id,
        )
    except IntegrityError:  # a concurrent purchase of another learner or course took the reference first
        raise PaymentReferenceUsed(_("This payment has already been used.")) from None


def _host_confirmer() -> PaymentConfirmer | None:
    adapter = get_adapter()
    return adapter if callable(getattr(adapter, "payment_confirm", None)) else None


def entitlement_purchase(
    *, user_id: int, context_key, payment_reference: str, activity_source: str, actor_id: int | None = None
) -> tuple[Entitlement, bool]:
    """A learner's entitlement bought with the payment the host confirms for ``payment_reference``: (it, created).

    Without the adapter hook only a reference the payment webhook already granted is accepted (200
    again); anything else is ``payment_not_confirmed``, and the learner may retry once the host's
    commerce system has delivered the payment.
    """

    def confirm() -> Payment | None:
        host = _host_confirmer()
        return host.payment_confirm(payment_reference) if host is not None else None

    return _purchase(
        user_id=user_id,
        context_key=context_key,
        payment_reference=payment_reference,
        confirm=confirm,
        activity_source=activity_source,
        actor_id=actor_id,
    )


# --- The payment webhook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentNotice:
    """A validated payment delivery."""

    event_id: str
    payment_reference: str
    context_key: Any  # a LearningContextKey
    amount: Decimal
    currency: str
    username: str | None = None
    user_id: int | None = None

    def payload(self) -> dict[str, Any]:
        """What is recorded: the known fields, the amount as a string; nothing else the sender put in the body."""
        return notice_payload(self, ("event_id", "payment_reference", "context_key", "amount", "currency"))


@dataclass(frozen=True)
class PaymentResult:
    """The answer to a delivery: its status, and the entitlement the learner holds after it."""

    status: str
    entitlement: Entitlement | None = None


def payment_webhook_secret() -> str:
    """The payment webhook's shared secret; WebhookNotConfigured when it is not set."""
    secret = exam_settings().payment_webhook_secret
    if not secret:
        raise WebhookNotConfigured(
            "The payment webhook's shared secret is not set on this server (setting EXAMS.PAYMENT_WEBHOOK_SECRET of "
            "LEARNING_CREDENTIALS)."
        )
    return secret


def payment_parse(raw_body: bytes) -> PaymentNotice:
    """Validate the body; WebhookPayloadInvalid (with errors by field) when it is not a payment we can apply."""
    data = parse_json_object(raw_body)
    errors: dict[str, list[str]] = {}
    event_id = parse_text(data, "event_id", errors, required=True)
    payment_reference = parse_text(data, "payment_reference", errors, required=True)
    username, user_id = parse_learner(data, errors)
    context_key = parse_context(data, errors)
    if context_key is not None and not getattr(context_key, "is_course", False):
        errors["context_key"] = ["Certification is bought for a course (course-v1:...)."]
    amount = parse_amount(data, "amount", errors)
    if amount is not None and amount <= 0:
        errors["amount"] = ["Must be above zero."]
    currency = parse_currency(data, errors)
    if errors:
        raise WebhookPayloadInvalid(errors=errors)
    return PaymentNotice(
        event_id=event_id,
        payment_reference=payment_reference,
        context_key=context_key,
        amount=amount,
        currency=currency,
        username=username,
        user_id=user_id,
    )


def payment_process(*, notice: PaymentNotice) -> PaymentResult:
    """Apply a validated payment once per event id: the entitlement and the record commit together.

    Refused payments (409s, an unknown learner) record nothing, so a corrected delivery may follow.
    """
    started = time.monotonic()
    key = webhook_event_key(notice.event_id)

    def apply() -> PaymentEvent:
        user = user_get(username=notice.username, user_id=notice.user_id)
        if user is None:
            raise UnknownLearner(_("No learner has this username or user id."))
        event = PaymentEvent.objects.create(  # the claim on the event id comes first
            event_key=key,
            event_id=notice.event_id,
            outcome=PaymentEvent.Outcome.GRANTED,
            user=user,
            context_key=notice.context_key,
            payment_reference=notice.payment_reference,
            amount=notice.amount,
            currency=notice.currency,
            payload=notice.payload(),
        )
        paid = Payment(user_id=user.pk, context_key=notice.context_key, amount=notice.amount, currency=notice.currency)
        event.entitlement, created = _purchase(
            user_id=user.pk,
            context_key=notice.context_key,
            payment_reference=notice.payment_reference,
            confirm=lambda: paid,
            activity_source=CredentialEvent.Source.WEBHOOK,
        )
        if not created:
            same_payment = event.entitlement.reference_key == reference_key(notice.payment_reference)
            event.outcome = (
                PaymentEvent.Outcome.ALREADY_GRANTED if same_payment else PaymentEvent.Outcome.ALREADY_ENTITLED
            )
        event.save(update_fields=["outcome", "entitlement"])
        return event

    event = webhook_apply_once(
        activity="payment",
        event_id=notice.event_id,
        recorded=lambda: PaymentEvent.objects.filter(event_key=key).exists(),
        apply=apply,
        started=started,
    )
    if event is None:
        return PaymentResult(status=DUPLICATE)
    log_activity(
        "payment",
        event_id=notice.event_id,
        outcome=event.outcome,
        user_id=event.user_id,
        context=notice.context_key,
        source=CredentialEvent.Source.WEBHOOK,
        duration_ms=elapsed_ms(started),
    )
    return PaymentResult(status=event.outcome, entitlement=event.entitlement)


def payment_receive(*, raw_body: bytes, timestamp: str | None, signature: str | None) -> PaymentResult:
    """One webhook delivery: secret, size, signature and age, body, then the payment; a refusal raises."""
    webhook_authenticate(secret=payment_webhook_secret(), raw_body=raw_body, timestamp=timestamp, signature=signature)
    return payment_process(notice=payment_parse(raw_body))

"""Refunds from the host's commerce system: a full refund revokes, a partial one does not (seed 002).

The refund webhook hands each delivery to :func:`refund_receive`, which checks the signature
(:func:`refund_verify_signature`), parses the body (:func:`refund_parse`) and applies it
(:func:`refund_process`). Everything a delivery changes happens in one transaction that also
records it as a ``RefundEvent``; the unique ``event_id`` makes a replay, or a duplicate racing the
first delivery, change nothing.
"""

import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .. import conf
from ..exceptions import WebhookNotConfigured, WebhookPayloadInvalid
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, InvalidationReason, RefundEvent
from ..observability import elapsed_ms, log_activity
from ..selectors import user_get
from ..signals import refund_matching
from .invalidation import credential_invalidate
from .webhooks import (
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
    webhook_signature,
    webhook_verify_signature,
)


@dataclass(frozen=True)
class RefundNotice:
    """A validated refund: who, where, which order, and how much of it was refunded."""

    event_id: str
    context_key: Any  # a LearningContextKey
    amount: Decimal
    amount_refunded: Decimal
    currency: str
    order_reference: str = ""
    username: str | None = None
    user_id: int | None = None

    @property
    def is_full(self) -> bool:
        return self.amount_refunded >= self.amount

    def payload(self) -> dict[str, Any]:
        """What is recorded: the known fields, amounts as strings; nothing else the sender put in the body."""
        return notice_payload(
            self, ("event_id", "order_reference", "context_key", "amount", "amount_refunded", "currency")
        )


@dataclass(frozen=True)
class RefundResult:
    """The answer to a delivery: ``revoked`` (with the uuids), ``partial``, ``ignored`` or ``duplicate``."""

    status: str
    credentials: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        if self.status == RefundEvent.Outcome.REVOKED:
            return {"status": self.status, "credentials": self.credentials}
        return {"status": self.status}


def webhook_secret() -> str:
    """The shared secret; WebhookNotConfigured when it is not set."""
    secret = conf.get("REFUND_WEBHOOK_SECRET")
    if not secret:
        raise WebhookNotConfigured()
    return str(secret)


def refund_signature(*, secret: str, timestamp: str, raw_body: bytes) -> str:
    """The header value a sender puts in X-Learning-Credentials-Signature: ``sha256=<hex>``."""
    return webhook_signature(secret=secret, timestamp=timestamp, raw_body=raw_body)


def refund_verify_signature(
    *, raw_body: bytes, timestamp: str | None, signature: str | None, now: float | None = None
) -> None:
    """Accept a delivery signed with the refund secret within five minutes of ``now``; else WebhookUnauthorized."""
    webhook_verify_signature(
        secret=webhook_secret(), raw_body=raw_body, timestamp=timestamp, signature=signature, now=now
    )


def refund_parse(raw_body: bytes) -> RefundNotice:
    """Validate the body; WebhookPayloadInvalid (with errors by field) when it is not a refund we can apply.

    Amounts are decimals (never floats): JSON numbers or strings, not negative, at most 15 digits
    before the point and 6 after; ``amount`` must be above zero. ``amount_refunded`` above ``amount``
    is accepted and counts as a full refund (``amount_refunded >= amount``).
    """
    data = parse_json_object(raw_body)
    errors: dict[str, list[str]] = {}
    event_id = parse_text(data, "event_id", errors, required=True)
    order_reference = parse_text(data, "order_reference", errors, required=False) or ""
    username, user_id = parse_learner(data, errors)
    context_key = parse_context(data, errors)
    amount = parse_amount(data, "amount", errors)
    amount_refunded = parse_amount(data, "amount_refunded", errors)
    if amount is not None and amount <= 0:
        errors["amount"] = ["Must be above zero."]
    currency = parse_currency(data, errors)
    if errors:
        raise WebhookPayloadInvalid(errors=errors)
    return RefundNotice(
        event_id=event_id,
        context_key=context_key,
        amount=amount,
        amount_refunded=amount_refunded,
        currency=currency,
        order_reference=order_reference,
        username=username,
        user_id=user_id,
    )


def _user_id(notice: RefundNotice) -> int | None:
    user = user_get(username=notice.username, user_id=notice.user_id)
    return None if user is None else user.pk


def _matching(*, user_id: int, notice: RefundNotice) -> list[Credential]:
    """The learner's credentials in the context that this refund takes back, locked.

    A credential that recorded an order reference is matched only by a refund of that order; one
    without is matched by learner and context. Invalidated credentials are not matched again.
    Receivers of ``refund_matching`` (sub-apps) keep out those their own rules decide.
    """
    configurations = CredentialConfiguration.objects.filter(learning_context_key=notice.context_key)
    candidates = list(  # no join, so that only credential rows are locked
        Credential.objects.select_for_update()
        .filter(user_id=user_id, configuration_id__in=list(configurations.values_list("pk", flat=True)))
        .exclude(status=Status.INVALIDATED)
        .filter(order_reference__in={notice.order_reference, ""})
        .order_by("created", "uuid")
    )
    kept: set = set()
    for _receiver, answer in refund_matching.send(
        sender=Credential,
        user_id=user_id,
        context_key=notice.context_key,
        order_reference=notice.order_reference,
        event_id=notice.event_id,
        credentials=candidates,
    ):
        kept.update(answer or ())
    return [credential for credential in candidates if credential.pk not in kept]


def refund_process(*, notice: RefundNotice) -> RefundResult:
    """Apply a validated refund once per event_id, all or nothing, and record it."""
    started = time.monotonic()
    key = refund_event_key(notice.event_id)

    def apply() -> tuple[RefundEvent, list[Credential]]:
        event = RefundEvent.objects.create(  # the claim on the event id comes first
            event_key=key,
            event_id=notice.event_id,
            outcome=RefundEvent.Outcome.IGNORED,
            context_key=str(notice.context_key),
            order_reference=notice.order_reference,
            amount=notice.amount,
            amount_refunded=notice.amount_refunded,
            currency=notice.currency,
            payload=notice.payload(),
        )
        user_id = _user_id(notice)
        revoked: list[Credential] = []
        if not notice.is_full:
            event.outcome = RefundEvent.Outcome.PARTIAL
        elif user_id is not None:
            reason = f"Refund {notice.event_id}" + (
                f" of order {notice.order_reference}" if notice.order_reference else ""
            )
            revoked = [
                credential_invalidate(
                    credential=credential,
                    category=InvalidationReason.REFUNDED,
                    source=CredentialEvent.Source.WEBHOOK,
                    reason=reason,
                )
                for credential in _matching(user_id=user_id, notice=notice)
            ]
            if revoked:
                event.outcome = RefundEvent.Outcome.REVOKED
        event.user_id = user_id
        event.save(update_fields=["outcome", "user"])
        event.credentials.set(revoked)
        return event, revoked

    applied = webhook_apply_once(
        activity="refund", event_id=notice.event_id, recorded=lambda: _recorded(key), apply=apply, started=started
    )
    if applied is None:
        return RefundResult(status=DUPLICATE)
    event, revoked = applied
    result = RefundResult(status=event.outcome, credentials=[str(credential.pk) for credential in revoked])
    log_activity(
        "refund",
        event_id=notice.event_id,
        outcome=event.outcome,
        user_id=event.user_id,
        context=notice.context_key,
        order_reference=notice.order_reference or None,
        credentials=result.credentials or None,
        source=CredentialEvent.Source.WEBHOOK,
        duration_ms=elapsed_ms(started),
    )
    return result


def _recorded(key: str) -> bool:
    return RefundEvent.objects.filter(event_key=key).exists()


def refund_event_key(event_id: str) -> str:
    return webhook_event_key(event_id)


def refund_receive(*, raw_body: bytes, timestamp: str | None, signature: str | None) -> RefundResult:
    """One webhook delivery: secret, size, signature and age, body, then the refund; a WebhookError when refused."""
    webhook_authenticate(secret=webhook_secret(), raw_body=raw_body, timestamp=timestamp, signature=signature)
    return refund_process(notice=refund_parse(raw_body))

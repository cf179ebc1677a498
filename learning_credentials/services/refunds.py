"""Refunds from the host's commerce system: a full refund revokes, a partial one does not (seed 002).

The refund webhook hands each delivery to :func:`refund_receive`, which checks the signature
(:func:`refund_verify_signature`), parses the body (:func:`refund_parse`) and applies it
(:func:`refund_process`). Everything a delivery changes happens in one transaction that also
records it as a ``RefundEvent``; the unique ``event_id`` makes a replay, or a duplicate racing the
first delivery, change nothing.
"""

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, OperationalError, transaction

from .. import conf
from ..exceptions import (
    InvalidContextKey,
    WebhookNotConfigured,
    WebhookPayloadInvalid,
    WebhookPayloadTooLarge,
    WebhookUnauthorized,
    WebhookUnavailable,
)
from ..identifiers import parse_context_key
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, InvalidationReason, RefundEvent
from ..observability import elapsed_ms, log_activity
from ..selectors import user_get
from .invalidation import credential_invalidate

MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
SIGNATURE_PREFIX = "sha256="
MIN_SECRET_LENGTH = 32

DUPLICATE = "duplicate"
_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_MAX_LENGTH = 255
_USER_ID_MAX = 2**63 - 1


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
        recorded = {
            "event_id": self.event_id,
            "order_reference": self.order_reference,
            "context_key": str(self.context_key),
            "amount": str(self.amount),
            "amount_refunded": str(self.amount_refunded),
            "currency": self.currency,
        }
        if self.username is not None:
            recorded["username"] = self.username
        if self.user_id is not None:
            recorded["user_id"] = self.user_id
        return recorded


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
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def refund_verify_signature(
    *, raw_body: bytes, timestamp: str | None, signature: str | None, now: float | None = None
) -> None:
    """Accept a delivery signed with the shared secret within five minutes of ``now``; else WebhookUnauthorized."""
    secret = webhook_secret()
    if not timestamp or not _TIMESTAMP.fullmatch(timestamp.strip()):
        raise WebhookUnauthorized("Missing or malformed X-Learning-Credentials-Timestamp (unix seconds).")
    timestamp = timestamp.strip()
    if abs((time.time() if now is None else now) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise WebhookUnauthorized("The timestamp is more than five minutes away from the server's clock.")
    signature = (signature or "").strip()
    if not signature.lower().startswith(SIGNATURE_PREFIX) or not _SIGNATURE.fullmatch(
        signature[len(SIGNATURE_PREFIX) :]
    ):
        raise WebhookUnauthorized("Missing or malformed X-Learning-Credentials-Signature (sha256=<hex>).")
    expected = refund_signature(secret=secret, timestamp=timestamp, raw_body=raw_body)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise WebhookUnauthorized("The signature does not match.")


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _text(data: dict, name: str, errors: dict, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["This field is required."]
        return None
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
    elif len(value) > _TEXT_MAX_LENGTH:
        errors[name] = [f"At most {_TEXT_MAX_LENGTH} characters."]
    elif _CONTROL_CHARACTERS.search(value):
        errors[name] = ["Must not contain control characters."]
    else:
        return value
    return None


def _amount(data: dict, name: str, errors: dict) -> Decimal | None:
    value = data.get(name)
    if value is None:
        errors[name] = ["This field is required."]
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        errors[name] = ["Must be a decimal number, as a JSON number or a string."]
        return None
    if isinstance(value, Decimal) and (not value.is_finite() or abs(value.as_tuple().exponent) > 40):
        errors[name] = ["Must be a decimal number with at most 15 digits before the point and 6 after it."]
        return None
    text = value.strip() if isinstance(value, str) else str(value) if isinstance(value, int) else format(value, "f")
    if text.startswith("-"):
        errors[name] = ["Must not be negative."]
    elif not _AMOUNT.fullmatch(text):
        errors[name] = ["Must be a decimal number with at most 15 digits before the point and 6 after it."]
    else:
        return Decimal(text)
    return None


def refund_parse(raw_body: bytes) -> RefundNotice:
    """Validate the body; WebhookPayloadInvalid (with errors by field) when it is not a refund we can apply.

    Amounts are decimals (never floats): JSON numbers or strings, not negative, at most 15 digits
    before the point and 6 after; ``amount`` must be above zero. ``amount_refunded`` above ``amount``
    is accepted and counts as a full refund (``amount_refunded >= amount``).
    """
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookPayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    try:
        data = json.loads(
            raw_body.decode("utf-8"), parse_float=Decimal, parse_constant=_reject_constant
        )  # parse_float keeps 19.99 exact
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WebhookPayloadInvalid(errors={"body": [f"Not a UTF-8 JSON document: {exc}"]}) from exc
    if not isinstance(data, dict):
        raise WebhookPayloadInvalid(errors={"body": ["Must be a JSON object."]})
    errors: dict[str, list[str]] = {}
    event_id = _text(data, "event_id", errors, required=True)
    order_reference = _text(data, "order_reference", errors, required=False) or ""
    username = _text(data, "username", errors, required=False)
    user_id = data.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 1):
        errors["user_id"] = ["Must be a positive integer."]
    elif user_id is not None and user_id > _USER_ID_MAX:
        errors["user_id"] = ["Too large."]
    if "username" not in errors and "user_id" not in errors and (username is None) == (user_id is None):
        errors["non_field_errors"] = ["Give either username or user_id."]
    context_key = None
    raw_key = _text(data, "context_key", errors, required=True)
    if raw_key is not None:
        try:
            context_key = parse_context_key(raw_key)
        except InvalidContextKey as exc:
            errors["context_key"] = [exc.message]
    amount = _amount(data, "amount", errors)
    amount_refunded = _amount(data, "amount_refunded", errors)
    if amount is not None and amount <= 0:
        errors["amount"] = ["Must be above zero."]
    currency = _text(data, "currency", errors, required=True)
    if currency is not None and not _CURRENCY.fullmatch(currency):
        errors["currency"] = ["Must be a three-letter ISO 4217 code."]
    if errors:
        raise WebhookPayloadInvalid(errors=errors)
    return RefundNotice(
        event_id=event_id,
        context_key=context_key,
        amount=amount,
        amount_refunded=amount_refunded,
        currency=currency.upper(),
        order_reference=order_reference,
        username=username,
        user_id=user_id,
    )


def _user_id(notice: RefundNotice) -> int | None:
    user = user_get(username=notice.username, user_id=notice.user_id)
    return None if user is None else user.pk


def _matching(*, user_id: int, notice: RefundNotice):
    """The learner's credentials in the context that this refund takes back, locked.

    A credential that recorded an order reference is matched only by a refund of that order; one
    without is matched by learner and context. Invalidated credentials are not matched again.
    """
    configurations = CredentialConfiguration.objects.filter(learning_context_key=notice.context_key)
    return (  # no join, so that only credential rows are locked
        Credential.objects.select_for_update()
        .filter(user_id=user_id, configuration_id__in=list(configurations.values_list("pk", flat=True)))
        .exclude(status=Status.INVALIDATED)
        .filter(order_reference__in={notice.order_reference, ""})
        .order_by("created", "uuid")
    )


def refund_process(*, notice: RefundNotice) -> RefundResult:
    """Apply a validated refund once per event_id, all or nothing, and record it."""
    started = time.monotonic()
    key = refund_event_key(notice.event_id)
    if _recorded(key):  # the common replay, answered without touching the unique index
        return _duplicate(notice, started)
    try:
        with transaction.atomic():
            # Claim the event id first: a racing duplicate waits on the unique index here, then fails.
            event = RefundEvent.objects.create(
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
    except IntegrityError:  # a duplicate delivery committed first: the unique index decided
        if _recorded(key):
            return _duplicate(notice, started)
        raise WebhookUnavailable() from None  # another conflict, rolled back whole: the sender retries
    except OperationalError as exc:  # lock wait timeout, deadlock: nothing was changed; the sender retries
        raise WebhookUnavailable() from exc
    result = RefundResult(status=event.outcome, credentials=[str(credential.pk) for credential in revoked])
    log_activity(
        "refund",
        event_id=notice.event_id,
        outcome=event.outcome,
        user_id=user_id,
        context=notice.context_key,
        order_reference=notice.order_reference or None,
        credentials=result.credentials or None,
        source=CredentialEvent.Source.WEBHOOK,
        duration_ms=elapsed_ms(started),
    )
    return result


def _recorded(key: str) -> bool:
    return RefundEvent.objects.filter(event_key=key).exists()


def _duplicate(notice: RefundNotice, started: float) -> RefundResult:
    log_activity(
        "refund",
        event_id=notice.event_id,
        outcome=DUPLICATE,
        source=CredentialEvent.Source.WEBHOOK,
        duration_ms=elapsed_ms(started),
    )
    return RefundResult(status=DUPLICATE)


def refund_event_key(event_id: str) -> str:
    """What the unique index holds: the SHA-256 of the event id, so ids differing only in case or trailing
    spaces stay distinct under MySQL's case-insensitive collations too."""
    return hashlib.sha256(event_id.encode()).hexdigest()


def refund_receive(*, raw_body: bytes, timestamp: str | None, signature: str | None) -> RefundResult:
    """One webhook delivery: secret, size, signature and age, body, then the refund; a WebhookError when refused."""
    webhook_secret()
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookPayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")
    refund_verify_signature(raw_body=raw_body, timestamp=timestamp, signature=signature)
    return refund_process(notice=refund_parse(raw_body))

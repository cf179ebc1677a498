"""What every signed webhook of the app shares: the signing scheme, its limits, and reading the body.

A sender signs ``<timestamp>.<raw body>`` with HMAC-SHA256 and a shared secret, sends the unix
timestamp and ``sha256=<hex>`` in two headers, and keeps the body under MAX_BODY_BYTES. The refund
webhook (``services.refunds``) and the exams' payment webhook each keep their own secret and body,
and read their fields with the parsers below, so that both refuse the same things the same way.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

from django.db import IntegrityError, OperationalError, transaction

from ..exceptions import (
    InvalidContextKey,
    WebhookPayloadInvalid,
    WebhookPayloadTooLarge,
    WebhookUnauthorized,
    WebhookUnavailable,
)
from ..identifiers import parse_context_key
from ..observability import elapsed_ms, log_activity
from ..problems import JSONProblem, json_parse

MAX_BODY_BYTES = 64 * 1024
TIMESTAMP_TOLERANCE_SECONDS = 5 * 60
SIGNATURE_PREFIX = "sha256="
MIN_SECRET_LENGTH = 32

TEXT_MAX_LENGTH = 255
CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_AMOUNT = re.compile(r"[0-9]{1,15}(\.[0-9]{1,6})?")
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SIGNATURE = re.compile(r"[0-9a-fA-F]{64}")
_USER_ID_MAX = 2**63 - 1

DUPLICATE = "duplicate"
WEBHOOK_SOURCE = "webhook"  # CredentialEvent.Source.WEBHOOK

FieldErrors = dict[str, list[str]]
Applied = TypeVar("Applied")


def webhook_signature(*, secret: str, timestamp: str, raw_body: bytes) -> str:
    """The header value a sender puts in X-Learning-Credentials-Signature: ``sha256=<hex>``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_verify_signature(
    *, secret: str, raw_body: bytes, timestamp: str | None, signature: str | None, now: float | None = None
) -> None:
    """Accept a delivery signed with ``secret`` within five minutes of ``now``; else WebhookUnauthorized."""
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
    expected = webhook_signature(secret=secret, timestamp=timestamp, raw_body=raw_body)
    if not hmac.compare_digest(expected.encode(), signature.lower().encode()):
        raise WebhookUnauthorized("The signature does not match.")


def webhook_authenticate(*, secret: str, raw_body: bytes, timestamp: str | None, signature: str | None) -> None:
    """The checks before the body is read, cheapest first: its size, then its timestamp and signature."""
    webhook_check_size(raw_body)
    webhook_verify_signature(secret=secret, raw_body=raw_body, timestamp=timestamp, signature=signature)


def webhook_check_size(raw_body: bytes) -> None:
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookPayloadTooLarge(f"The body is larger than {MAX_BODY_BYTES} bytes.")


def webhook_event_key(event_id: str) -> str:
    """What an event record's unique index holds: the SHA-256 of the event id, so that ids differing only
    in case or trailing spaces stay distinct under MySQL's case-insensitive collations too."""
    return hashlib.sha256(event_id.encode()).hexdigest()


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number")


def parse_json_object(raw_body: bytes) -> dict:
    """The body as a JSON object, its decimals exact (never floats); WebhookPayloadInvalid otherwise."""
    webhook_check_size(raw_body)
    try:
        text = raw_body.decode("utf-8")
    except UnicodeDecodeError:
        raise WebhookPayloadInvalid(errors={"body": ["The body is not UTF-8 text."]}) from None
    try:
        data = json_parse(text, parse_float=Decimal, parse_constant=_reject_constant)
    except JSONProblem as exc:
        raise WebhookPayloadInvalid(errors={"body": [f"The body is not valid JSON. {exc}"]}) from None
    if not isinstance(data, dict):
        raise WebhookPayloadInvalid(errors={"body": ["Must be a JSON object."]})
    return data


def parse_text(data: dict, name: str, errors: FieldErrors, *, required: bool) -> str | None:
    """A string of at most 255 characters without control characters, as sent (not trimmed)."""
    value = data.get(name)
    if value is None or value == "":
        if required:
            errors[name] = ["This field is required."]
        return None
    if not isinstance(value, str):
        errors[name] = ["Must be a string."]
    elif len(value) > TEXT_MAX_LENGTH:
        errors[name] = [f"At most {TEXT_MAX_LENGTH} characters."]
    elif CONTROL_CHARACTERS.search(value):
        errors[name] = ["Must not contain control characters."]
    else:
        return value
    return None


def parse_amount(data: dict, name: str, errors: FieldErrors) -> Decimal | None:
    """A decimal as a JSON number or a string: not negative, at most 15 digits before the point and 6 after."""
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


def parse_currency(data: dict, errors: FieldErrors) -> str | None:
    """``currency``: an ISO 4217 code, returned in capitals."""
    currency = parse_text(data, "currency", errors, required=True)
    if currency is not None and not _CURRENCY.fullmatch(currency):
        errors["currency"] = ["Must be a three-letter ISO 4217 code."]
        return None
    return None if currency is None else currency.upper()


def parse_learner(data: dict, errors: FieldErrors) -> tuple[str | None, int | None]:
    """``username`` or ``user_id`` (a positive integer): exactly one of them."""
    username = parse_text(data, "username", errors, required=False)
    user_id = data.get("user_id")
    if user_id is not None and (isinstance(user_id, bool) or not isinstance(user_id, int) or user_id < 1):
        errors["user_id"] = ["Must be a positive integer."]
    elif user_id is not None and user_id > _USER_ID_MAX:
        errors["user_id"] = ["Too large."]
    if "username" not in errors and "user_id" not in errors and (username is None) == (user_id is None):
        errors["non_field_errors"] = ["Give either username or user_id."]
    return username, user_id


def parse_context(data: dict, errors: FieldErrors):
    """``context_key``: a course or learning path key (a LearningContextKey)."""
    raw_key = parse_text(data, "context_key", errors, required=True)
    if raw_key is None:
        return None
    try:
        return parse_context_key(raw_key)
    except InvalidContextKey as exc:
        errors["context_key"] = [exc.message]
        return None


def notice_payload(notice, fields: tuple[str, ...]) -> dict[str, Any]:
    """What an event records of a validated notice: ``fields`` as strings (keys and decimals too), and the
    learner as the sender named them; nothing else the sender put in the body."""
    recorded = {name: str(getattr(notice, name)) for name in fields}
    if notice.username is not None:
        recorded["username"] = notice.username
    if notice.user_id is not None:
        recorded["user_id"] = notice.user_id
    return recorded


def webhook_apply_once(
    *, activity: str, event_id: str, recorded: Callable[[], bool], apply: Callable[[], Applied], started: float
) -> Applied | None:
    """``apply()`` in one transaction, unless the event is recorded already: then None (a duplicate, logged).

    ``apply`` claims the event's unique key first, so that a duplicate racing it waits on the index and
    then fails: it is answered as a duplicate too. A lock timeout or deadlock changes nothing and raises
    WebhookUnavailable, so that the sender retries.
    """
    if not recorded():  # the common replay is answered without touching the unique index
        try:
            with transaction.atomic():
                return apply()
        except IntegrityError:  # a duplicate delivery committed first: the unique index decided
            if not recorded():
                raise WebhookUnavailable() from None  # another conflict, rolled back whole: the sender retries
        except OperationalError as exc:  # lock wait timeout, deadlock: nothing was changed
            raise WebhookUnavailable() from exc
    log_activity(activity, event_id=event_id, outcome=DUPLICATE, source=WEBHOOK_SOURCE, duration_ms=elapsed_ms(started))
    return None

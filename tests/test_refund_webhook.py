"""The refund webhook (seed 002): a signed, fresh, well-formed full refund revokes; everything else changes nothing."""

import io
import json
import time
from types import SimpleNamespace

import pytest
from django.core import checks
from django.db import OperationalError
from django.test import Client

from learning_credentials.exceptions import WebhookPayloadTooLarge
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, RefundEvent
from learning_credentials.rest_api.v1.webhooks import read_body
from learning_credentials.services import refunds
from learning_credentials.signals import refund_matching
from tests import factories, webhooks
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db
URL = "/api/learning_credentials/v1/webhooks/refund/"
SECRET = "wh-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
OTHER_COURSE = "course-v1:DemoX+CS102+2026"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": SECRET}


@pytest.fixture
def credential(configuration, learner):
    return factories.CredentialFactory(user=learner, configuration=configuration, order_reference="ORD-1")


def body(**overrides) -> dict:
    data = {
        "event_id": "evt_1",
        "order_reference": "ORD-1",
        "username": "ada",
        "context_key": factories.COURSE_KEY,
        "amount": "49.00",
        "amount_refunded": "49.00",
        "currency": "EUR",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def sign(raw: bytes, timestamp: str, secret: str = SECRET) -> str:
    return webhooks.sign(raw, timestamp, secret)


def deliver(client, data=None, *, raw: bytes | None = None, secret: str = SECRET, timestamp=None, headers=None):
    raw = raw if raw is not None else json.dumps(data if data is not None else body()).encode()
    return webhooks.post_signed(client, URL, raw, secret=secret, timestamp=timestamp, headers=headers)


def nothing_changed(*credentials: Credential) -> bool:
    for credential in credentials:
        stored = Credential.objects.get(pk=credential.pk)
        if stored.status != credential.status or stored.events.filter(kind=CredentialEvent.Kind.INVALIDATED).exists():
            return False
    return not RefundEvent.objects.exists()


# --- A full refund --------------------------------------------------------------------------------


def test_full_refund_revokes_and_is_audited_as_a_webhook(client, credential):
    response = deliver(client)
    assert response.status_code == 200
    assert response.json() == {"status": "revoked", "credentials": [str(credential.pk)]}
    credential.refresh_from_db()
    assert credential.status == Status.INVALIDATED
    assert credential.invalidation_reason == "refunded" and credential.invalidated_at is not None
    event = credential.events.get(kind=CredentialEvent.Kind.INVALIDATED)
    assert (event.source, event.actor_id, event.from_status, event.to_status) == (
        "webhook",
        None,
        "available",
        "invalidated",
    )
    assert event.details == {"category": "refunded"}
    assert event.reason == "Refund evt_1 of order ORD-1"
    refund = RefundEvent.objects.get()
    assert (refund.event_id, refund.outcome, refund.user_id, refund.context_key) == (
        "evt_1",
        "revoked",
        credential.user_id,
        factories.COURSE_KEY,
    )
    assert list(refund.credentials.all()) == [credential]
    assert refund.payload == body()  # what was sent, and nothing of the headers
    assert SECRET not in json.dumps(refund.payload)
    public = client.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/").json()
    assert (public["status"], public["reason"]) == ("revoked", "refunded")


@pytest.mark.parametrize(
    ("amount", "refunded"),
    [("49.00", "49.00"), ("49", 49), (49.5, "60.00"), ("19.99", 19.99)],
    ids=["equal", "integers", "more than paid", "number equals string"],
)
def test_refunded_at_least_the_amount_is_full(client, credential, amount, refunded):
    response = deliver(client, body(amount=amount, amount_refunded=refunded))
    assert response.json()["status"] == "revoked"


def test_user_id_names_the_learner_too(client, credential, learner):
    response = deliver(client, body(username=None, user_id=learner.pk))
    assert response.json()["status"] == "revoked"


# --- Partial refunds, no match, replays -----------------------------------------------------------


def test_partial_refund_changes_nothing_and_is_recorded(client, credential):
    response = deliver(client, body(amount="49.00", amount_refunded="48.999999"))
    assert response.status_code == 200 and response.json() == {"status": "partial"}
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    assert not credential.events.filter(kind=CredentialEvent.Kind.INVALIDATED).exists()
    refund = RefundEvent.objects.get()
    assert refund.outcome == "partial" and not refund.credentials.exists()
    assert str(refund.amount_refunded) == "48.999999"


@pytest.mark.parametrize(
    "overrides",
    [
        {"username": "nobody"},
        {"username": None, "user_id": 987654},
        {"context_key": OTHER_COURSE},
        {"order_reference": "ORD-2"},
        {"order_reference": None},  # a credential tied to an order is revoked only by a refund of that order
    ],
    ids=["unknown username", "unknown user id", "other context", "other order", "no order"],
)
def test_a_refund_matching_no_credential_is_ignored_and_recorded(client, credential, overrides):
    response = deliver(client, body(**overrides))
    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    credential.refresh_from_db()
    assert credential.status == Status.AVAILABLE
    refund = RefundEvent.objects.get()
    assert refund.outcome == "ignored" and not refund.credentials.exists()


def test_order_reference_decides_which_credentials_go(client, configuration, learner):
    """In one context: the refunded order's credential and one without an order go; another order's stays."""
    same_order = factories.CredentialFactory(user=learner, configuration=configuration, order_reference="ORD-1")
    other_type = factories.ConfigurationFactory()
    other_order = factories.CredentialFactory(user=learner, configuration=other_type, order_reference="ORD-2")
    unordered = factories.CredentialFactory(user=learner, configuration=factories.ConfigurationFactory())
    someone_else = factories.CredentialFactory(configuration=configuration, order_reference="ORD-1")
    response = deliver(client)
    assert response.json()["status"] == "revoked"
    assert sorted(response.json()["credentials"]) == sorted([str(same_order.pk), str(unordered.pk)])
    statuses = {c.pk: c.status for c in Credential.objects.all()}
    assert statuses[same_order.pk] == statuses[unordered.pk] == Status.INVALIDATED
    assert statuses[other_order.pk] == statuses[someone_else.pk] == Status.AVAILABLE


def test_receivers_of_refund_matching_keep_the_credentials_their_rules_decide(client, configuration, learner):
    """A sub-app's receiver sees what the core's rule matches, in the refund's transaction, and keeps some."""
    kept = factories.CredentialFactory(user=learner, configuration=configuration)
    taken = factories.CredentialFactory(user=learner, configuration=factories.ConfigurationFactory())
    asked = []

    def keep_one(sender, user_id, context_key, order_reference, event_id, credentials, **kwargs):
        asked.append((user_id, str(context_key), order_reference, event_id, sorted(c.pk for c in credentials)))
        return [kept.pk]

    refund_matching.connect(keep_one, dispatch_uid="test.keep_one")
    try:
        response = deliver(client)
        assert deliver(client, body(event_id="evt_partial", amount_refunded="1.00")).json()["status"] == "partial"
    finally:
        refund_matching.disconnect(dispatch_uid="test.keep_one")
    assert response.json() == {"status": "revoked", "credentials": [str(taken.pk)]}
    assert asked == [(learner.pk, factories.COURSE_KEY, "ORD-1", "evt_1", sorted([kept.pk, taken.pk]))]  # full only
    assert Credential.objects.get(pk=kept.pk).status == Status.AVAILABLE
    assert Credential.objects.get(pk=taken.pk).status == Status.INVALIDATED


def test_generating_and_error_credentials_are_revoked_too(client, configuration, learner):
    generating = factories.CredentialFactory(user=learner, configuration=configuration, status="generating")
    failed = factories.CredentialFactory(user=learner, configuration=factories.ConfigurationFactory(), status="error")
    assert deliver(client, body(order_reference=None)).json()["status"] == "revoked"
    assert {c.status for c in Credential.objects.filter(pk__in=[generating.pk, failed.pk])} == {Status.INVALIDATED}


def test_a_replay_is_a_duplicate_and_changes_nothing_twice(client, credential):
    assert deliver(client).json()["status"] == "revoked"
    invalidated_at = Credential.objects.get(pk=credential.pk).invalidated_at
    for replay in (body(), body(amount_refunded="1.00", username="someone")):  # same event id, whatever the body
        response = deliver(client, replay)
        assert response.status_code == 200 and response.json() == {"status": "duplicate"}
    assert RefundEvent.objects.count() == 1
    assert credential.events.filter(kind=CredentialEvent.Kind.INVALIDATED).count() == 1
    assert Credential.objects.get(pk=credential.pk).invalidated_at == invalidated_at


def test_event_ids_differing_in_case_are_different_events_on_every_database(client, credential):
    assert deliver(client, body(event_id="evt_A", amount_refunded="1")).json()["status"] == "partial"
    assert deliver(client, body(event_id="evt_a", amount_refunded="1")).json()["status"] == "partial"
    assert deliver(client, body(event_id="evt_a ", amount_refunded="1")).json()["status"] == "partial"
    assert RefundEvent.objects.count() == 3


def test_a_second_refund_of_a_revoked_credential_is_ignored(client, credential):
    deliver(client)
    assert deliver(client, body(event_id="evt_2")).json() == {"status": "ignored"}


# --- Refused deliveries: nothing recorded, nothing changed ------------------------------------------


def test_wrong_secret_is_401(client, credential):
    response = deliver(client, secret="another-secret-0123456789-abcdefghijklmnop")
    assert response.status_code == 401 and response.json()["code"] == "invalid_signature"
    assert nothing_changed(credential)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Learning-Credentials-Signature": ""},
        {"X-Learning-Credentials-Timestamp": ""},
        {"X-Learning-Credentials-Signature": "", "X-Learning-Credentials-Timestamp": ""},
        {"X-Learning-Credentials-Signature": "sha1=abc"},
        {"X-Learning-Credentials-Signature": "sha256=" + "z" * 64},
        {"X-Learning-Credentials-Signature": "sha256=" + "0" * 64},
        {"X-Learning-Credentials-Timestamp": "yesterday"},
        {"X-Learning-Credentials-Timestamp": "1e9"},
    ],
    ids=["no signature", "no timestamp", "neither", "other scheme", "not hex", "zeros", "word", "exponent"],
)
def test_missing_or_malformed_headers_are_401(client, credential, headers):
    response = deliver(client, headers=headers)
    assert response.status_code == 401
    assert nothing_changed(credential)


def test_signature_over_another_body_is_401(client, credential):
    timestamp = str(int(time.time()))
    signature = sign(json.dumps(body(amount_refunded="1.00")).encode(), timestamp)
    response = deliver(
        client,
        headers={"X-Learning-Credentials-Timestamp": timestamp, "X-Learning-Credentials-Signature": signature},
    )
    assert response.status_code == 401
    assert nothing_changed(credential)


def test_uppercase_hex_is_accepted(client, credential):
    raw = json.dumps(body()).encode()
    timestamp = str(int(time.time()))
    signature = "sha256=" + sign(raw, timestamp).removeprefix("sha256=").upper()
    response = deliver(client, raw=raw, timestamp=timestamp, headers={"X-Learning-Credentials-Signature": signature})
    assert response.json()["status"] == "revoked"


@pytest.mark.parametrize("offset", [-301, -3600, 301, 86400], ids=["5m1s old", "1h old", "5m1s ahead", "1d ahead"])
def test_timestamps_more_than_five_minutes_away_are_401_even_when_signed(client, credential, offset):
    response = deliver(client, timestamp=int(time.time()) + offset)
    assert response.status_code == 401
    assert "five minutes" in response.json()["detail"]
    assert nothing_changed(credential)


@pytest.mark.parametrize("offset", [-290, 290])
def test_timestamps_within_five_minutes_are_accepted(client, credential, offset):
    assert deliver(client, timestamp=int(time.time()) + offset).status_code == 200


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"{not json", "body"),
        (b"\xff\xfe", "body"),
        (b"", "body"),
        (b"[1, 2]", "body"),
        (b'"refund"', "body"),
        (b"[" * 100000 + b"]" * 100000, None),  # over 64 KB: 413 first
        (b'{"amount": NaN}', "body"),
    ],
    ids=["broken", "not utf-8", "empty", "array", "string", "deep", "nan"],
)
def test_malformed_json_is_400(client, credential, raw, field):
    response = deliver(client, raw=raw)
    if field is None:
        assert response.status_code == 413
    else:
        assert response.status_code == 400
        assert response.json()["code"] == "invalid_payload" and field in response.json()["errors"]
    assert nothing_changed(credential)


def test_deeply_nested_json_within_the_size_limit_is_400(client, credential):
    response = deliver(client, raw=b"[" * 30000 + b"]" * 30000)
    assert response.status_code == 400
    assert nothing_changed(credential)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount": "-1"}, "amount"),
        ({"amount_refunded": -0.01}, "amount_refunded"),
        ({"amount": "abc"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"amount": True}, "amount"),
        ({"amount": [49]}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1.1234567"}, "amount"),
        ({"amount": "1" * 16}, "amount"),
        ({"amount_refunded": "Infinity"}, "amount_refunded"),
        ({"amount": None}, "amount"),
        ({"amount_refunded": None}, "amount_refunded"),
        ({"event_id": None}, "event_id"),
        ({"event_id": 12}, "event_id"),
        ({"event_id": "x" * 256}, "event_id"),
        ({"event_id": "evt\x00"}, "event_id"),
        ({"context_key": "not a key"}, "context_key"),
        ({"context_key": None}, "context_key"),
        ({"currency": "EURO"}, "currency"),
        ({"currency": None}, "currency"),
        ({"username": None}, "non_field_errors"),
        ({"user_id": 5}, "non_field_errors"),
        ({"username": None, "user_id": "5"}, "user_id"),
        ({"username": None, "user_id": 0}, "user_id"),
        ({"username": None, "user_id": 2**64}, "user_id"),
        ({"order_reference": 7}, "order_reference"),
    ],
)
def test_malformed_fields_and_amounts_are_400(client, credential, overrides, field):
    response = deliver(client, body(**overrides))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert nothing_changed(credential)


def test_huge_exponents_are_refused_without_expanding_them(client, credential):
    for literal in (b"1e-999999999", b"1E+999999999", b"9" * 5000):
        raw = json.dumps(body()).replace('"49.00"', "AMOUNT", 1).replace("AMOUNT", literal.decode()).encode()
        response = deliver(client, raw=raw)
        assert response.status_code == 400
    assert nothing_changed(credential)


def test_body_over_64_kb_is_413(client, credential):
    raw = json.dumps(body(padding="x" * (64 * 1024))).encode()
    response = deliver(client, raw=raw)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert nothing_changed(credential)


def test_a_body_of_64_kb_is_accepted(client, credential):
    raw = json.dumps(body(padding="")).encode()
    raw = json.dumps(body(padding="x" * (64 * 1024 - len(raw)))).encode()
    assert len(raw) == 64 * 1024
    assert deliver(client, raw=raw).json()["status"] == "revoked"
    assert "padding" not in RefundEvent.objects.get().payload


def test_size_is_checked_on_content_length_and_on_what_is_read():
    too_long = SimpleNamespace(META={"CONTENT_LENGTH": str(64 * 1024 + 1)}, stream=None)
    with pytest.raises(WebhookPayloadTooLarge):
        read_body(too_long)
    lying = SimpleNamespace(META={"CONTENT_LENGTH": "10"}, stream=io.BytesIO(b"x" * (64 * 1024 + 10)))
    with pytest.raises(WebhookPayloadTooLarge):
        read_body(lying)
    with pytest.raises(WebhookPayloadTooLarge):
        refunds.refund_parse(b"x" * (64 * 1024 + 1))


@pytest.mark.parametrize("secret", [None, ""])
def test_unset_secret_is_503_and_reads_nothing(client, settings, credential, secret):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": secret}
    response = deliver(client, secret="")
    assert response.status_code == 503 and response.json()["code"] == "webhook_not_configured"
    assert nothing_changed(credential)


def test_the_view_runs_outside_atomic_requests():
    from django.urls import resolve

    assert resolve(URL).func._non_atomic_requests == {"default"}


def test_only_post(client):
    assert client.get(URL).status_code == 405


def test_no_csrf_and_no_session_needed(credential, staff_user):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    assert deliver(browser).json()["status"] == "revoked"


def test_a_database_failure_changes_nothing_and_asks_for_a_retry(client, configuration, learner, monkeypatch):
    """Never a partial change: the second credential failing undoes the first and the record."""
    first = factories.CredentialFactory(user=learner, configuration=configuration)
    second = factories.CredentialFactory(user=learner, configuration=factories.ConfigurationFactory())
    calls = []
    original = refunds.credential_invalidate

    def fail_second(**kwargs):
        calls.append(kwargs["credential"].pk)
        if len(calls) == 2:
            raise OperationalError("lock wait timeout")
        return original(**kwargs)

    monkeypatch.setattr(refunds, "credential_invalidate", fail_second)
    response = deliver(client, body(order_reference=None))
    assert response.status_code == 503 and response.json()["code"] == "temporarily_unavailable"
    assert len(calls) == 2
    assert nothing_changed(first, second)
    monkeypatch.setattr(refunds, "credential_invalidate", original)
    assert deliver(client, body(order_reference=None)).json()["status"] == "revoked"  # the retry goes through


def test_a_duplicate_that_loses_the_race_on_the_unique_index_is_a_duplicate(client, credential, monkeypatch):
    """The path a racing delivery takes: it saw no record, then the first delivery's insert wins."""
    assert deliver(client).json()["status"] == "revoked"
    seen = []
    real = refunds._recorded

    def not_yet(key):
        seen.append(key)
        return len(seen) > 1 and real(key)

    monkeypatch.setattr(refunds, "_recorded", not_yet)
    response = deliver(client)
    assert response.status_code == 200 and response.json() == {"status": "duplicate"}
    assert len(seen) == 2  # the early check, then the check after the IntegrityError
    assert RefundEvent.objects.count() == 1
    assert credential.events.filter(kind=CredentialEvent.Kind.INVALIDATED).count() == 1


# --- Settings check ---------------------------------------------------------------------------------


def test_short_secret_warns(settings):
    from learning_credentials.checks import check_refund_webhook_secret

    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": "short"}
    warnings = check_refund_webhook_secret()
    assert [(w.id, w.level) for w in warnings] == [("learning_credentials.W001", checks.WARNING)]
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": "x" * 32}
    assert check_refund_webhook_secret() == []
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "REFUND_WEBHOOK_SECRET": None}
    assert check_refund_webhook_secret() == []


# --- Racing duplicates ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_identical_deliveries_racing_are_processed_once(configuration, learner):
    credential = factories.CredentialFactory(user=learner, configuration=configuration, order_reference="ORD-1")
    raw = json.dumps(body()).encode()
    timestamp = str(int(time.time()))
    workers = 4

    def deliver_once():
        response = deliver(Client(), raw=raw, timestamp=timestamp)
        return response.status_code, response.json()["status"]

    answers = run_together(deliver_once, workers=workers)
    assert sorted(answers) == [(200, "duplicate")] * (workers - 1) + [(200, "revoked")]
    assert RefundEvent.objects.count() == 1
    assert credential.events.filter(kind=CredentialEvent.Kind.INVALIDATED).count() == 1

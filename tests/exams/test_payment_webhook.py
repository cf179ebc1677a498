"""The payment webhook (issue 16 point 4) and refunds of certification (point 7), signed like the refund webhook."""

import json
import time

import pytest
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client

from learning_credentials.exams.checks import check_payment_webhook_secret
from learning_credentials.exams.conf import exam_settings
from learning_credentials.exams.models import CertificationEvent, CertificationSettings, Entitlement, PaymentEvent
from learning_credentials.exams.services import entitlement_for_premium, entitlement_redeem_points, points_grant
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, RefundEvent
from learning_credentials.services.retirement import learner_retire
from tests import factories, webhooks
from tests.concurrency import run_together

from .conftest import COURSE

URL = "/api/learning_credentials/v1/webhooks/payment/"
REFUND_URL = "/api/learning_credentials/v1/webhooks/refund/"
SECRET = "pay-secret-0123456789-abcdefghijklmnopqrstuvwxyz"
REFUND_SECRET = "refund-secret-0123456789-abcdefghijklmnopqrstuv"


@pytest.fixture(autouse=True)
def _secrets(settings):
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "REFUND_WEBHOOK_SECRET": REFUND_SECRET,
        "EXAMS": {"PAYMENT_WEBHOOK_SECRET": SECRET},
    }


def body(**overrides) -> dict:
    data = {
        "event_id": "pay_1",
        "payment_reference": "ORD-1",
        "username": "ada",
        "context_key": str(COURSE),
        "amount": "49.00",
        "currency": "USD",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def deliver(client, data=None, *, raw: bytes | None = None, secret: str = SECRET, timestamp=None, headers=None):
    raw = raw if raw is not None else json.dumps(data if data is not None else body()).encode()
    return webhooks.post_signed(client, URL, raw, secret=secret, timestamp=timestamp, headers=headers)


def refund(client, **overrides):
    data = {
        "event_id": "re_1",
        "order_reference": "ORD-1",
        "username": "ada",
        "context_key": str(COURSE),
        "amount": "49.00",
        "amount_refunded": "49.00",
        "currency": "USD",
        **overrides,
    }
    raw = json.dumps({key: value for key, value in data.items() if value is not None}).encode()
    return webhooks.post_signed(client, REFUND_URL, raw, secret=REFUND_SECRET)


def nothing_recorded() -> bool:
    return not PaymentEvent.objects.exists() and not Entitlement.objects.exists()


pytestmark = pytest.mark.django_db


# --- A payment ----------------------------------------------------------------------------------------


def test_a_signed_payment_entitles_and_is_recorded(client, for_sale, learner):
    response = deliver(client)
    assert response.status_code == 200, response.content
    entitlement = Entitlement.objects.get()
    assert response.json() == {
        "status": "granted",
        "entitlement": {"source": "paid", "granted_at": entitlement.created.isoformat().replace("+00:00", "Z")},
    }
    assert (entitlement.user, entitlement.reference, str(entitlement.amount), entitlement.currency) == (
        learner, "ORD-1", "49.00", "USD",
    )  # fmt: skip
    event = PaymentEvent.objects.get()
    assert (event.event_id, event.outcome, event.user, event.entitlement) == ("pay_1", "granted", learner, entitlement)
    assert event.payload == body() and SECRET not in json.dumps(event.payload)
    audit = CertificationEvent.objects.get()
    assert (audit.kind, audit.source, audit.details["reference"]) == ("entitlement_granted", "webhook", "ORD-1")


def test_the_answers_match_the_schema(client, for_sale, learner, monkeypatch):
    from learning_credentials.rest_api.schema import OncePerProcessGenerator
    from tests.rest_api.test_openapi import fetch, matches

    monkeypatch.setattr(OncePerProcessGenerator, "made", type(OncePerProcessGenerator.made)(max_entries=16))
    schema = fetch(Client())
    matches(deliver(client).json(), schema, "schemas/PaymentOutcome")
    matches(deliver(client).json(), schema, "schemas/PaymentOutcome")  # a duplicate, without an entitlement
    matches(
        deliver(client, body(event_id="pay_2", payment_reference="ORD-2", amount="1")).json(), schema, "schemas/Error"
    )


def test_user_id_names_the_learner_too(client, for_sale, learner):
    assert deliver(client, body(username=None, user_id=learner.pk)).json()["status"] == "granted"


def test_a_replay_is_a_duplicate_and_the_same_payment_again_is_the_same_entitlement(client, for_sale, learner):
    deliver(client)
    for replay in (body(), body(username="nobody", amount="1")):  # the same event id, whatever its body
        assert deliver(client, replay).json() == {"status": "duplicate"}
    again = deliver(client, body(event_id="pay_2"))
    assert again.status_code == 200 and again.json()["status"] == "already_granted"
    assert Entitlement.objects.count() == 1 and PaymentEvent.objects.count() == 2
    assert PaymentEvent.objects.get(event_id="pay_2").entitlement == Entitlement.objects.get()


def test_event_ids_differing_in_case_are_different_events_on_every_database(client, for_sale, learner):
    deliver(client, body(event_id="pay_A"))
    assert deliver(client, body(event_id="pay_a")).json()["status"] == "already_granted"
    assert PaymentEvent.objects.count() == 2


def test_a_learner_entitled_otherwise_is_told_so(client, for_sale, learner):
    points_grant(user_id=learner.pk, amount=60, activity_source="command")
    redeemed, _created = entitlement_redeem_points(user_id=learner.pk, context_key=COURSE, activity_source="api")
    response = deliver(client)
    assert response.json()["status"] == "already_entitled" and response.json()["entitlement"]["source"] == "points"
    assert list(Entitlement.objects.all()) == [redeemed]


@pytest.mark.parametrize(
    ("overrides", "status", "code"),
    [
        ({"amount": "48.99"}, 409, "payment_not_confirmed"),
        ({"currency": "EUR"}, 409, "payment_not_confirmed"),
        ({"username": "nobody"}, 404, "unknown_learner"),
        ({"context_key": "course-v1:DemoX+CS102+2026"}, 409, "certification_unavailable"),
    ],
    ids=["below the price", "another currency", "unknown learner", "course without certification"],
)
def test_refused_payments_record_nothing(client, for_sale, learner, overrides, status, code):
    response = deliver(client, body(**overrides))
    assert (response.status_code, response.json()["code"]) == (status, code)
    assert nothing_recorded()
    assert deliver(client).json()["status"] == "granted"  # the corrected delivery, same event id, goes through


def test_a_reference_another_learner_holds_is_409(client, for_sale, learner):
    deliver(client)
    factories.UserFactory(username="grace")
    response = deliver(client, body(event_id="pay_2", username="grace"))
    assert response.status_code == 409 and response.json()["code"] == "payment_reference_used"
    assert Entitlement.objects.count() == 1 and PaymentEvent.objects.count() == 1


def test_a_course_without_a_price_in_money_is_409(client, for_sale, learner):
    CertificationSettings.objects.filter(pk=for_sale.pk).update(price_amount=None, price_currency="")
    response = deliver(client)
    assert response.status_code == 409 and response.json()["code"] == "payment_not_accepted"
    assert nothing_recorded()


# --- Refused deliveries: the refund webhook's rules ----------------------------------------------------


def test_wrong_secret_missing_headers_and_old_timestamps_are_401(client, for_sale, learner):
    assert deliver(client, secret=SECRET + "x").status_code == 401
    assert deliver(client, secret=REFUND_SECRET).status_code == 401  # each webhook has its own secret
    assert deliver(client, headers={"X-Learning-Credentials-Signature": ""}).status_code == 401
    assert deliver(client, headers={"X-Learning-Credentials-Timestamp": "yesterday"}).status_code == 401
    response = deliver(client, timestamp=int(time.time()) - 301)
    assert response.status_code == 401 and "five minutes" in response.json()["detail"]
    assert nothing_recorded()


def test_a_signature_over_another_body_is_401(client, for_sale, learner):
    timestamp = str(int(time.time()))
    signature = webhooks.sign(json.dumps(body(amount="490.00")).encode(), timestamp, SECRET)
    headers = {"X-Learning-Credentials-Timestamp": timestamp, "X-Learning-Credentials-Signature": signature}
    assert deliver(client, headers=headers).status_code == 401
    assert nothing_recorded()


def test_size_limit_is_64_kb(client, for_sale, learner):
    raw = json.dumps(body(padding="x" * (64 * 1024))).encode()
    response = deliver(client, raw=raw)
    assert response.status_code == 413 and response.json()["code"] == "payload_too_large"
    assert nothing_recorded()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"payment_reference": None}, "payment_reference"),
        ({"payment_reference": "ORD\x00"}, "payment_reference"),
        ({"payment_reference": "x" * 256}, "payment_reference"),
        ({"event_id": None}, "event_id"),
        ({"amount": "-49"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "1e3"}, "amount"),
        ({"currency": "DOLLAR"}, "currency"),
        ({"context_key": "not a key"}, "context_key"),
        ({"context_key": "path-v1:DemoX+P1+2026+G1"}, "context_key"),
        ({"user_id": 5}, "non_field_errors"),
        ({"username": None, "user_id": 0}, "user_id"),
    ],
)
def test_malformed_fields_are_400(client, for_sale, learner, overrides, field):
    response = deliver(client, body(**overrides))
    assert response.status_code == 400 and field in response.json()["errors"]
    assert nothing_recorded()


@pytest.mark.parametrize("raw", [b"{not json", b"[1]", b"", b"\xff"])
def test_malformed_json_is_400(client, for_sale, learner, raw):
    response = deliver(client, raw=raw)
    assert response.status_code == 400 and response.json()["code"] == "invalid_payload"


@pytest.mark.parametrize("secret", [None, ""])
def test_unset_secret_is_503(client, settings, for_sale, learner, secret):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXAMS": {"PAYMENT_WEBHOOK_SECRET": secret}}
    response = deliver(client, secret="")
    assert response.status_code == 503 and response.json()["code"] == "webhook_not_configured"
    assert nothing_recorded()


def test_no_csrf_no_session_and_outside_atomic_requests(for_sale, learner, staff_user):
    from django.urls import resolve

    assert resolve(URL).func._non_atomic_requests == {"default"}
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(staff_user)
    assert deliver(browser).json()["status"] == "granted"
    assert Client().get(URL).status_code == 405


def test_the_secret_is_validated_and_a_short_one_warns(settings):
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"PAYMENT_WEBHOOK_SECRET": 12345}}
    with pytest.raises(ImproperlyConfigured, match="PAYMENT_WEBHOOK_SECRET"):
        exam_settings()
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"PAYMENT_WEBHOOK_SECRET": "short"}}
    assert [(w.id, w.level) for w in check_payment_webhook_secret()] == [
        ("learning_credentials_exams.W001", checks.WARNING)
    ]
    settings.LEARNING_CREDENTIALS = {"EXAMS": {"PAYMENT_WEBHOOK_SECRET": "x" * 32}}
    assert check_payment_webhook_secret() == []
    settings.LEARNING_CREDENTIALS = {}
    assert check_payment_webhook_secret() == [] and exam_settings().payment_webhook_secret is None


@pytest.mark.django_db(transaction=True)
def test_identical_deliveries_racing_are_processed_once(for_sale, learner):
    raw = json.dumps(body()).encode()
    timestamp = str(int(time.time()))

    def deliver_once():
        response = deliver(Client(), raw=raw, timestamp=timestamp)
        return response.status_code, response.json()["status"]

    answers = run_together(deliver_once, workers=4)
    assert sorted(answers) == [(200, "duplicate")] * 3 + [(200, "granted")]
    assert PaymentEvent.objects.count() == 1 and Entitlement.objects.count() == 1


# --- Refunds of certification (issue 16 point 7) -----------------------------------------------------------


@pytest.fixture
def certified(client, for_sale, learner):
    """Ada bought certification with payment ORD-1 and holds its certificate; an unordered credential too."""
    deliver(client)
    certificate = factories.CredentialFactory(user=learner, configuration=for_sale.configuration)
    return certificate


def status_of(credential) -> str:
    return Credential.objects.get(pk=credential.pk).status


def test_a_full_refund_of_the_payment_revokes_the_entitlement_and_the_certificate(client, certified, learner):
    response = refund(client)
    assert response.json() == {"status": "revoked", "credentials": [str(certified.pk)]}
    certificate = Credential.objects.get(pk=certified.pk)
    assert (certificate.status, certificate.invalidation_reason) == (Status.INVALIDATED, "refunded")
    entitlement = Entitlement.objects.get()
    assert entitlement.active is None and entitlement.revoked_reason == "refunded"
    audit = CertificationEvent.objects.filter(kind="entitlement_revoked").get()
    assert (audit.source, audit.details) == ("webhook", {"reason": "refunded"})
    assert list(RefundEvent.objects.get().credentials.all()) == [certificate]
    # The refunded payment cannot entitle again, by webhook or by the learner.
    assert deliver(client, body(event_id="pay_2")).json()["code"] == "payment_reference_used"


def test_a_full_refund_before_any_certificate_revokes_the_entitlement(client, for_sale, learner):
    deliver(client)
    assert refund(client).json() == {"status": "ignored"}  # no credential to revoke
    assert Entitlement.objects.get().active is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"order_reference": "ORD-2"},
        {"order_reference": None},
        {"amount_refunded": "48.00"},
        {"username": "grace"},
        {"order_reference": "ord-1"},
    ],
    ids=["another order", "no order", "partial", "another learner", "reference in another case"],
)
def test_other_refunds_never_touch_the_certificate_or_the_entitlement(client, certified, learner, overrides):
    factories.UserFactory(username="grace")
    other_credential = factories.CredentialFactory(user=learner, configuration=factories.ConfigurationFactory())
    refund(client, **overrides)
    assert status_of(certified) == Status.AVAILABLE
    assert Entitlement.objects.get().active is True
    # The core's rule still applies to the course's other credentials: a full refund with no or
    # another order (of this learner) revokes those without an order reference.
    expected = Status.INVALIDATED if "order_reference" in overrides else Status.AVAILABLE
    assert status_of(other_credential) == expected


def test_refunds_never_touch_certification_redeemed_with_points(client, for_sale, learner):
    points_grant(user_id=learner.pk, amount=60, activity_source="command")
    entitlement, _created = entitlement_redeem_points(user_id=learner.pk, context_key=COURSE, activity_source="api")
    certificate = factories.CredentialFactory(user=learner, configuration=for_sale.configuration)
    for number, reference in enumerate((entitlement.reference, None, "ORD-9")):
        assert refund(client, event_id=f"re_{number}", order_reference=reference).json() == {"status": "ignored"}
    assert status_of(certificate) == Status.AVAILABLE and Entitlement.objects.get().active is True


def test_refunds_never_touch_certification_included_in_premium(client, for_sale, learner):
    CertificationSettings.objects.filter(pk=for_sale.pk).update(premium_includes_certification=True)
    for_sale.refresh_from_db()
    assert entitlement_for_premium(user_id=learner.pk, certification=for_sale, activity_source="api") is not None
    certificate = factories.CredentialFactory(user=learner, configuration=for_sale.configuration)
    assert refund(client, order_reference=None).json() == {"status": "ignored"}
    assert status_of(certificate) == Status.AVAILABLE and Entitlement.objects.get().active is True


def test_buying_again_after_a_refund(client, certified, learner):
    refund(client)
    response = deliver(client, body(event_id="pay_2", payment_reference="ORD-2"))
    assert response.json()["status"] == "granted"
    assert Entitlement.objects.filter(active=True).get().reference == "ORD-2"


# --- Retirement -------------------------------------------------------------------------------------------


def test_retirement_erases_payment_references_and_audit_details(client, for_sale, learner):
    deliver(client)
    learner_retire(user_id=learner.pk)
    event = PaymentEvent.objects.get()
    assert (event.payment_reference, event.payload) == ("", {})
    assert Entitlement.objects.get().reference == ""
    assert list(CertificationEvent.objects.values_list("details", flat=True)) == [{}]
    factories.UserFactory(username="grace")
    assert deliver(client, body(event_id="pay_2", username="grace")).json()["code"] == "payment_reference_used"

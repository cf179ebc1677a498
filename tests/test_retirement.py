"""Retiring a learner: credentials withdrawn as 'retired', every copy of the learner's personal data erased."""

import hashlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.files.storage import default_storage
from django.db import models

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, RefundEvent
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from learning_credentials.services.retirement import learner_retire
from learning_credentials.services.sharing import credential_share_image
from learning_credentials.signals import learner_retiring
from tests import factories

pytestmark = pytest.mark.django_db

NAME = "Zebulon Quintessa Retiree"
USERNAME = "zquintessa"
EMAIL = "zebulon.quintessa@example.org"
ORDER = "order-zq-7781"
TRACES = (NAME, USERNAME, EMAIL, ORDER)


@pytest.fixture
def retiree(course):
    user = factories.UserFactory(username=USERNAME, email=EMAIL, profile__full_name=NAME)
    factories.enroll(user)
    factories.set_completion(user, course, 1.0)
    return user


@pytest.fixture
def capture(django_capture_on_commit_callbacks):
    return django_capture_on_commit_callbacks


@pytest.fixture
def history(retiree, configuration, django_capture_on_commit_callbacks):
    """What a learner leaves behind: a reissued credential (the first superseded), a share image, a staff
    note, an order reference, an audit event with their email in its text and a refund notice naming them."""
    with django_capture_on_commit_callbacks(execute=True):
        first = credential_issue(user_id=retiree.pk, configuration=configuration, source="api", order_reference=ORDER)
    first.refresh_from_db()
    credential_share_image(credential=first, extension="png")
    with django_capture_on_commit_callbacks(execute=True):
        second = credential_reissue(credential=first, source="admin", reason=f"name fixed for {NAME}")
    second.refresh_from_db()
    credential_share_image(credential=second, extension="png")
    CredentialEvent.objects.create(
        credential=second, kind="email_failed", source="system", reason=f"550 mailbox {EMAIL} unavailable"
    )
    Credential.objects.filter(pk=first.pk).update(invalidation_note=f"{NAME} asked by phone")
    RefundEvent.objects.create(
        event_id="evt_zq",
        event_key=hashlib.sha256(b"evt_zq").hexdigest(),
        outcome=RefundEvent.Outcome.PARTIAL,
        user=retiree,
        context_key=factories.COURSE_KEY,
        order_reference=ORDER,
        amount=Decimal("10"),
        amount_refunded=Decimal("1"),
        currency="USD",
        payload={"username": USERNAME, "order_reference": ORDER},
    )
    assert second.status == Status.AVAILABLE and default_storage.exists(second.artifact)
    return first, second


def stored_files() -> list[str]:
    found, pending = [], [""]
    while pending:
        folder = pending.pop()
        directories, files = default_storage.listdir(folder) if default_storage.exists(folder or ".") else ([], [])
        found += [f"{folder}/{name}".lstrip("/") for name in files]
        pending += [f"{folder}/{name}".lstrip("/") for name in directories]
    return found


def text_in_our_tables() -> str:
    """Every text and JSON value of every row of the app's and its sub-apps' tables, in one string."""
    values = []
    for config in apps.get_app_configs():
        if not config.name.startswith("learning_credentials"):
            continue
        for model in config.get_models():
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, models.CharField | models.TextField | models.JSONField)
            ]
            for row in model.objects.values_list(*fields):
                values += [str(value) for value in row]
    return "\n".join(values)


class TestLearnerRetire:
    def test_no_trace_of_the_learner_in_our_tables_or_in_storage(self, retiree, history, capture):
        first, second = history
        assert all(trace in text_in_our_tables() for trace in (NAME, ORDER, EMAIL))  # the fixture left them
        files_before = [name for name in stored_files() if str(first.pk) in name or str(second.pk) in name]
        assert files_before

        with capture(execute=True):  # the files go once the erasure is committed
            counts = learner_retire(user_id=retiree.pk)

        text = text_in_our_tables()
        assert [trace for trace in TRACES if trace in text] == []
        assert [name for name in files_before if default_storage.exists(name)] == []
        assert counts == {"invalidated": 1, "erased": 2, "refunds": 1}

    def test_credentials_stay_counted_withdrawn_and_nameless(self, retiree, history, client):
        first, second = history
        learner_retire(user_id=retiree.pk)
        first.refresh_from_db()
        second.refresh_from_db()
        assert Credential.objects.filter(user=retiree).count() == 2
        assert (first.invalidation_reason, second.invalidation_reason) == ("superseded", "retired")
        assert second.status == Status.INVALIDATED and second.learner_name == "" and second.artifact == ""
        for credential in (first, second):
            erased = credential.events.get(kind=CredentialEvent.Kind.PERSONAL_DATA_ERASED)
            assert "learner_name" in erased.details["fields"]
        assert second.events.get(kind="invalidated").details == {"category": "retired"}
        issued = first.events.get(kind="issued")
        assert issued.details == {} and issued.reason == ""  # the grades that justified it are gone too

        page = client.get(f"/learning_credentials/verify/{second.verify_uuid}/")
        assert page.status_code == 200
        text = page.content.decode()
        assert "Reason: No longer available at the holder" in text and NAME not in text
        assert "Awarded to (name withdrawn at the holder" in text
        assert client.get(f"/learning_credentials/verify/{second.verify_uuid}/credential.pdf").status_code == 404

    def test_a_second_retirement_changes_nothing(self, retiree, history):
        learner_retire(user_id=retiree.pk)
        events = CredentialEvent.objects.count()
        assert learner_retire(user_id=retiree.pk) == {"invalidated": 0, "erased": 0, "refunds": 0}
        assert CredentialEvent.objects.count() == events

    def test_other_learners_keep_everything(self, retiree, history, configuration, course, capture):
        other = factories.UserFactory(username="keeps", profile__full_name="Kept Learner")
        factories.enroll(other)
        factories.set_completion(other, course, 1.0)
        with capture(execute=True):
            kept = credential_issue(user_id=other.pk, configuration=configuration, source="api")
            learner_retire(user_id=retiree.pk)
        kept.refresh_from_db()
        assert kept.status == Status.AVAILABLE and kept.learner_name == "Kept Learner"
        assert default_storage.exists(kept.artifact)

    def test_sub_apps_hear_of_it_inside_the_transaction(self, retiree, history):
        heard = []

        def receiver(sender, user_id, **kwargs):
            heard.append((user_id, Credential.objects.filter(user=retiree, learner_name="").count()))

        learner_retiring.connect(receiver)
        try:
            learner_retire(user_id=retiree.pk)
        finally:
            learner_retiring.disconnect(receiver)
        assert heard == [(retiree.pk, 2)]

    def test_a_failing_sub_app_leaves_everything_as_it_was(self, retiree, history):
        _, second = history

        def receiver(sender, **kwargs):
            raise RuntimeError("the sub-app's database is away")

        learner_retiring.connect(receiver)
        try:
            with pytest.raises(RuntimeError):
                learner_retire(user_id=retiree.pk)
        finally:
            learner_retiring.disconnect(receiver)
        second.refresh_from_db()
        assert second.status == Status.AVAILABLE and second.learner_name == NAME
        assert default_storage.exists(second.artifact)


def test_deleting_the_user_row_retires_first_and_is_not_blocked(retiree, history, capture):
    _, second = history
    with capture(execute=True):
        get_user_model().objects.filter(pk=retiree.pk).delete()
    second.refresh_from_db()
    assert second.user_id is None and second.invalidation_reason == "retired" and second.learner_name == ""
    assert NAME not in text_in_our_tables()


def test_open_edx_retirement_pipeline_signals_retire(retiree, history, monkeypatch):
    from tests.openedx import fakes

    fakes.install(monkeypatch)
    fakes.connect_our_receivers(monkeypatch)
    signals = fakes.retirement
    signals.USER_RETIRE_LMS_CRITICAL.send(
        sender=get_user_model(), user=retiree, retired_username="retired__user_1", retired_email="r@retired.invalid"
    )
    assert NAME not in text_in_our_tables()
    events = CredentialEvent.objects.count()
    signals.USER_RETIRE_LMS_MISC.send(sender=get_user_model(), user=retiree)
    assert CredentialEvent.objects.count() == events


def test_credits_of_a_retired_learner_are_voided(retiree, configuration, django_capture_on_commit_callbacks):
    from learning_credentials.credits.models import ConfigurationCredit, CreditLedgerEntry, CreditType

    ConfigurationCredit.objects.create(
        configuration=configuration, credit_type=CreditType.objects.get(code="SHRM"), amount=Decimal("1.5")
    )
    with django_capture_on_commit_callbacks(execute=True):
        credential_issue(user_id=retiree.pk, configuration=configuration, source="api")
    assert CreditLedgerEntry.objects.filter(user=retiree, active=True).count() == 1
    learner_retire(user_id=retiree.pk)
    assert not CreditLedgerEntry.objects.filter(user=retiree, active=True).exists()
    assert CreditLedgerEntry.objects.filter(user=retiree).count() == 1  # the report's totals keep the amount


def test_an_invalidated_credential_keeps_its_public_reason_label(retiree, configuration):
    credential = credential_issue(user_id=retiree.pk, configuration=configuration, source="api")
    credential_invalidate(credential=credential, category="refunded", source="admin")
    learner_retire(user_id=retiree.pk)
    credential.refresh_from_db()
    assert credential.invalidation_reason == "refunded" and credential.learner_name == ""


class TestAfterTheAccountIsDeleted:
    """Credentials and credits of a deleted account keep their rows without a user: every reader copes."""

    @pytest.fixture
    def deleted(self, retiree, history, configuration, capture):
        from learning_credentials.credits.services import credits_award

        credits_award(user_id=retiree.pk, context_key=configuration.learning_context_key, credit_type="HRCI", amount=2)
        with capture(execute=True):
            get_user_model().objects.filter(pk=retiree.pk).delete()
        return history

    def test_the_admin_lists_them(self, deleted, admin_client):
        assert admin_client.get("/admin/learning_credentials/credential/").status_code == 200
        _, second = deleted
        assert admin_client.get(f"/admin/learning_credentials/credential/{second.pk}/change/").status_code == 200

    def test_staff_read_them_through_the_api(self, deleted, staff_user):
        from rest_framework.test import APIClient

        _, second = deleted
        api = APIClient()
        api.force_authenticate(staff_user)
        response = api.get(f"/api/learning_credentials/v1/credentials/{second.pk}/")
        assert response.status_code == 200 and response.json()["username"] is None

    def test_credit_reports_still_add_up_without_them(self, deleted, staff_user):
        from learning_credentials.credits.models import CreditLedgerEntry
        from learning_credentials.credits.selectors import credit_report

        assert not CreditLedgerEntry.objects.filter(active=True).exists()  # the manual award was voided too
        assert credit_report(viewer=staff_user, context_key=factories.COURSE_KEY) == []


def test_the_score_goes_too_and_is_never_shown(retiree, configuration, client, capture):
    from learning_credentials.eligibility import Eligibility

    with capture(execute=True):
        credential = credential_issue(
            user_id=retiree.pk,
            configuration=configuration,
            source="api",
            eligibility=Eligibility(eligible=True, score=Decimal("97.25"), details={}),
        )
        learner_retire(user_id=retiree.pk)
    credential.refresh_from_db()
    assert credential.score is None
    assert "97.25" not in client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()


def test_files_of_earlier_attempts_are_deleted_too(retiree, configuration, capture):
    from django.core.files.base import ContentFile

    from learning_credentials.services.artifacts import artifact_name

    credential = credential_issue(user_id=retiree.pk, configuration=configuration, source="api")  # GENERATING
    Credential.objects.filter(pk=credential.pk).update(attempts=2)
    orphans = [
        default_storage.save(
            artifact_name(credential_id=credential.pk, attempt=n, extension="pdf"), ContentFile(b"%PDF")
        )
        for n in (1, 2)
    ]
    with capture(execute=True):
        learner_retire(user_id=retiree.pk)
    assert [name for name in orphans if default_storage.exists(name)] == []


def test_events_written_after_a_first_retirement_are_redacted_by_the_next(retiree, history):
    _, second = history
    learner_retire(user_id=retiree.pk)
    CredentialEvent.objects.create(credential=second, kind="email_failed", source="system", reason=f"to {EMAIL}")
    learner_retire(user_id=retiree.pk)
    assert EMAIL not in text_in_our_tables()

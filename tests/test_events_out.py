"""Events out: a Django signal and an Open edX event of our own namespace when a credential becomes
AVAILABLE or INVALIDATED, sent after commit."""

import logging
import re
import uuid

import pytest
from openedx_events.event_bus.avro.deserializer import deserialize_bytes_to_event_data
from openedx_events.event_bus.avro.serializer import serialize_event_data_to_bytes
from openedx_events.learning.data import UserData
from openedx_events.tooling import OpenEdxPublicSignal

from learning_credentials import events
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from learning_credentials.signals import credential_available, credential_invalidated

pytestmark = pytest.mark.django_db
SOURCE = CredentialEvent.Source.ADMIN
EVENT_TYPE = re.compile(r"^org\.learningcredentials\.learning\.credential\.[a-z_]+\.v\d+$")


class Recorder:
    """Receives a signal and keeps what it got, with the credential's status as stored at that moment."""

    def __init__(self):
        self.calls = []

    def __call__(self, **kwargs):
        credential = kwargs.get("credential")
        stored = Credential.objects.get(pk=credential.uuid).status if credential is not None else None
        self.calls.append({**kwargs, "stored_status": stored})


@pytest.fixture
def django_signals():
    recorders = {"available": Recorder(), "invalidated": Recorder()}
    credential_available.connect(recorders["available"], dispatch_uid="test-available")
    credential_invalidated.connect(recorders["invalidated"], dispatch_uid="test-invalidated")
    yield recorders
    credential_available.disconnect(dispatch_uid="test-available")
    credential_invalidated.disconnect(dispatch_uid="test-invalidated")


@pytest.fixture
def openedx_events_sent():
    recorders = {"available": Recorder(), "invalidated": Recorder()}
    events.LEARNING_CREDENTIAL_AVAILABLE.connect(recorders["available"], dispatch_uid="test-oe-available")
    events.LEARNING_CREDENTIAL_INVALIDATED.connect(recorders["invalidated"], dispatch_uid="test-oe-invalidated")
    yield recorders
    events.LEARNING_CREDENTIAL_AVAILABLE.disconnect(dispatch_uid="test-oe-available")
    events.LEARNING_CREDENTIAL_INVALIDATED.disconnect(dispatch_uid="test-oe-invalidated")


@pytest.fixture
def issue(configuration, learner, django_capture_on_commit_callbacks):
    def _issue():
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
        credential.refresh_from_db()
        return credential

    return _issue


class TestDjangoSignals:
    def test_available_is_sent_once_after_commit(self, issue, django_signals):
        credential = issue()
        [call] = django_signals["available"].calls
        assert call["sender"] is Credential
        assert call["credential"].pk == credential.pk and call["credential"].status == Status.AVAILABLE
        assert call["stored_status"] == Status.AVAILABLE
        assert django_signals["invalidated"].calls == []

    def test_nothing_is_sent_before_commit(
        self, configuration, learner, django_signals, django_capture_on_commit_callbacks
    ):
        from learning_credentials.services import credential_generate

        credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            credential_generate(credential_id=credential.pk)
        assert django_signals["available"].calls == []
        assert callbacks  # the announcement waits for the commit
        for callback in callbacks:
            callback()
        assert len(django_signals["available"].calls) == 1

    def test_invalidated_is_sent_after_commit(self, issue, django_signals, django_capture_on_commit_callbacks):
        credential = issue()
        with django_capture_on_commit_callbacks(execute=True):
            credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        [call] = django_signals["invalidated"].calls
        assert call["credential"].pk == credential.pk
        assert call["credential"].invalidation_reason == "refunded"
        assert call["stored_status"] == Status.INVALIDATED

    def test_a_reissue_announces_both(self, issue, django_signals, django_capture_on_commit_callbacks):
        old = issue()
        with django_capture_on_commit_callbacks(execute=True):
            new = credential_reissue(credential=old, source=SOURCE)
        assert [c["credential"].pk for c in django_signals["invalidated"].calls] == [old.pk]
        assert [c["credential"].pk for c in django_signals["available"].calls] == [old.pk, new.pk]

    def test_errors_and_retries_are_not_announced(self, issue, template_asset, django_signals):
        template_asset.delete()
        assert issue().status == Status.ERROR
        assert django_signals["available"].calls == django_signals["invalidated"].calls == []

    def test_a_failing_receiver_is_logged_and_stops_nothing(self, issue, django_signals, openedx_events_sent, caplog):
        def broken(**kwargs):
            raise RuntimeError("host notification service is down")

        credential_available.connect(broken, dispatch_uid="test-broken")
        try:
            with caplog.at_level(logging.ERROR, logger="learning_credentials.services.announcement"):
                credential = issue()
        finally:
            credential_available.disconnect(dispatch_uid="test-broken")
        assert credential.status == Status.AVAILABLE
        assert len(django_signals["available"].calls) == 1
        assert len(openedx_events_sent["available"].calls) == 1
        assert "host notification service is down" in caplog.text


class TestOpenEdxEvents:
    def test_our_events_use_our_own_namespace(self):
        ours = [events.LEARNING_CREDENTIAL_AVAILABLE, events.LEARNING_CREDENTIAL_INVALIDATED]
        assert [signal.event_type for signal in ours] == [
            "org.learningcredentials.learning.credential.available.v1",
            "org.learningcredentials.learning.credential.invalidated.v1",
        ]
        for signal in ours:
            assert isinstance(signal, OpenEdxPublicSignal)
            assert EVENT_TYPE.match(signal.event_type) and not signal.event_type.startswith("org.openedx.")
            assert OpenEdxPublicSignal.get_signal_by_type(signal.event_type) is signal
            assert signal.init_data == {"credential": events.LearningCredentialData}

    def test_available_is_sent_with_our_data_class(self, issue, learner, openedx_events_sent):
        credential = issue()
        [call] = openedx_events_sent["available"].calls
        assert call["metadata"].event_type == "org.learningcredentials.learning.credential.available.v1"
        assert call["from_event_bus"] is False
        data = call["credential"]
        assert isinstance(data, events.LearningCredentialData) and isinstance(data.user, UserData)
        assert data.uuid == credential.uuid and data.verify_uuid == credential.verify_uuid
        assert data.status == "available" and data.learning_context_key == "course-v1:DemoX+CS101+2026"
        assert data.credential_type == credential.configuration.credential_type.slug
        assert data.type_name == credential.type_name and data.context_name == "Introduction to Computing"
        assert data.verify_url == f"https://lms.example.com/learning_credentials/verify/{credential.verify_uuid}/"
        assert data.verification_code == f"{credential.verification_code[:5]}-{credential.verification_code[5:]}"
        assert (data.user.id, data.user.is_active) == (learner.pk, True)
        assert (data.user.pii.username, data.user.pii.email, data.user.pii.name) == (
            "ada",
            "ada@example.com",
            "Ada Lovelace",
        )
        assert data.issued_at == credential.created and data.invalidated_at is None
        assert data.invalidation_reason == ""
        assert call["stored_status"] == Status.AVAILABLE

    def test_invalidated_carries_when_and_why(self, issue, openedx_events_sent, django_capture_on_commit_callbacks):
        credential = issue()
        with django_capture_on_commit_callbacks(execute=True):
            credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        credential.refresh_from_db()
        [call] = openedx_events_sent["invalidated"].calls
        data = call["credential"]
        assert call["metadata"].event_type == "org.learningcredentials.learning.credential.invalidated.v1"
        assert call["metadata"].time == credential.invalidated_at
        assert (data.status, data.invalidation_reason, data.invalidated_at) == (
            "invalidated",
            "refunded",
            credential.invalidated_at,
        )

    @pytest.mark.parametrize("signal", ["LEARNING_CREDENTIAL_AVAILABLE", "LEARNING_CREDENTIAL_INVALIDATED"])
    def test_payloads_survive_the_event_bus(
        self, signal, issue, openedx_events_sent, django_capture_on_commit_callbacks
    ):
        credential = issue()
        with django_capture_on_commit_callbacks(execute=True):
            credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
        status = "available" if signal.endswith("AVAILABLE") else "invalidated"
        sent = openedx_events_sent[status].calls[0]["credential"]
        public_signal = getattr(events, signal)
        wire = serialize_event_data_to_bytes({"credential": sent}, public_signal)
        assert deserialize_bytes_to_event_data(wire, public_signal) == {"credential": sent}

    def test_without_openedx_events_only_the_django_signal_is_sent(
        self, issue, django_signals, openedx_events_sent, monkeypatch
    ):
        from learning_credentials.services import announcement

        monkeypatch.setattr(announcement, "_openedx_events_installed", lambda: False)  # as find_spec would say
        issue()
        assert len(django_signals["available"].calls) == 1
        assert openedx_events_sent["available"].calls == []

    def test_no_event_is_built_when_nobody_listens(self, issue, monkeypatch):
        """The event bus producer, where configured, is a listener; without one the event would go nowhere."""
        from learning_credentials.services import announcement

        built = []
        monkeypatch.setattr(announcement, "_send_openedx_event", lambda *args: built.append(args))
        assert not events.LEARNING_CREDENTIAL_AVAILABLE.has_listeners()
        assert issue().status == Status.AVAILABLE
        assert built == []

    def test_a_failing_send_is_logged(self, issue, openedx_events_sent, monkeypatch, caplog):
        def refuse(*args, **kwargs):
            raise RuntimeError("event bus misconfigured")

        monkeypatch.setattr(events.LEARNING_CREDENTIAL_AVAILABLE, "send_event", refuse)
        with caplog.at_level(logging.ERROR, logger="learning_credentials.services.announcement"):
            credential = issue()
        assert credential.status == Status.AVAILABLE
        assert "event bus misconfigured" in caplog.text


def test_a_vanished_credential_is_not_announced(django_signals, caplog):
    from learning_credentials.services.announcement import credentials_announce

    credentials_announce(credential_ids=[uuid.uuid4()], status=Status.AVAILABLE)
    assert django_signals["available"].calls == []


class TestInTransactionSignals:
    """Signals for parts of the app whose rows commit with the credential's (the credits ledger)."""

    def test_issue_invalidate_and_reissue_send_them_inside_the_transaction(self, configuration, learner, course):
        from django.db import connection

        from learning_credentials import signals
        from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue

        heard = []

        def listen(name):
            def receiver(sender, **kwargs):
                heard.append((name, connection.in_atomic_block, kwargs))

            return receiver

        receivers = {name: listen(name) for name in ("issued", "invalidating", "reissued")}
        signals.credentials_issued.connect(receivers["issued"])
        signals.credential_invalidating.connect(receivers["invalidating"])
        signals.credential_reissued.connect(receivers["reissued"])
        try:
            credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
            new = credential_reissue(credential=credential, source=SOURCE)
            credential_invalidate(credential=new, category="refunded", source=SOURCE)
        finally:
            signals.credentials_issued.disconnect(receivers["issued"])
            signals.credential_invalidating.disconnect(receivers["invalidating"])
            signals.credential_reissued.disconnect(receivers["reissued"])
        assert [(name, atomic) for name, atomic, _ in heard] == [
            ("issued", True),
            ("invalidating", True),  # the old one, superseded by the reissue
            ("issued", True),
            ("reissued", True),
            ("invalidating", True),
        ]
        assert [c.pk for c in heard[0][2]["credentials"]] == [credential.pk]
        assert heard[1][2]["category"] == "superseded" and heard[4][2]["category"] == "refunded"
        assert (heard[3][2]["old"].pk, heard[3][2]["new"].pk) == (credential.pk, new.pk)

    def test_placeholder_values_reach_the_rendered_pdf(
        self, configuration, learner, course, template_asset, django_capture_on_commit_callbacks
    ):
        from io import BytesIO

        from pypdf import PdfReader

        from learning_credentials import signals
        from learning_credentials.rendering import PLACEHOLDERS, register_placeholder
        from learning_credentials.services import credential_issue
        from learning_credentials.services.artifacts import artifact_storage

        register_placeholder("motto", "A test placeholder")
        options = configuration.credential_type.custom_options
        configuration.credential_type.custom_options = {
            **options,
            "elements": {"motto": {"text": "Motto: {motto}", "x": 100, "y": 100}},
        }
        configuration.credential_type.save()

        def values(sender, credentials, **kwargs):
            return {credential.pk: {"motto": f"Per aspera {credential.user_id}"} for credential in credentials}

        signals.credential_placeholders.connect(values)
        try:
            with django_capture_on_commit_callbacks(execute=True):
                credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
        finally:
            signals.credential_placeholders.disconnect(values)
            PLACEHOLDERS.pop("motto")
        credential.refresh_from_db()
        with artifact_storage().open(credential.artifact, "rb") as file:
            text = PdfReader(BytesIO(file.read())).pages[0].extract_text()
        assert f"Motto: Per aspera {learner.pk}" in text

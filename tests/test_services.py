import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from learning_credentials.exceptions import (
    ConfigurationDisabled,
    InvalidOptions,
    InvalidTransition,
    IssuanceDisabled,
    PreviouslyInvalidated,
)
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services import (
    credential_generate,
    credential_invalidate,
    credential_issue,
    credential_reissue,
    credential_retry,
)
from tests import factories

pytestmark = pytest.mark.django_db
SOURCE = CredentialEvent.Source.API


@pytest.fixture
def issue(configuration, learner, django_capture_on_commit_callbacks):
    """Issue through the service and run the queued generation, as a committed transaction would."""

    def _issue(user=learner, **kwargs):
        kwargs.setdefault("configuration", configuration)
        kwargs.setdefault("source", SOURCE)
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=user.pk, **kwargs)
        credential.refresh_from_db()
        return credential

    return _issue


def kinds(credential):
    return list(credential.events.values_list("kind", "from_status", "to_status"))


def stored_files(credential) -> list[str]:
    folder = f"learning_credentials/credentials/{credential.pk}"
    return default_storage.listdir(folder)[1] if default_storage.exists(folder) else []


def pdf_text(credential) -> str:
    with default_storage.open(credential.artifact) as file:
        return PdfReader(file).pages[0].extract_text()


class TestIssue:
    def test_issue_snapshots_generates_and_audits(self, issue, learner):
        credential = issue()
        assert credential.status == Status.AVAILABLE
        assert credential.learner_name == "Ada Lovelace"
        assert credential.context_name == "Introduction to Computing"
        assert credential.type_name == credential.configuration.credential_type.name
        assert len(credential.verification_code) == 10
        assert kinds(credential) == [
            ("issued", "", "generating"),
            ("status_changed", "generating", "available"),
            ("email_sent", "", ""),
        ]
        text = pdf_text(credential)
        assert "Ada Lovelace" in text
        assert f"https://lms.example.com/learning_credentials/verify/{credential.verify_uuid}/" in text.replace(
            "\n", ""
        )

    def test_issue_is_idempotent(self, issue, learner):
        first = issue()
        again = issue()
        assert again.pk == first.pk
        assert Credential.objects.filter(user=learner).count() == 1
        assert CredentialEvent.objects.filter(credential=first, kind="issued").count() == 1
        assert CredentialEvent.objects.filter(credential=first, kind="duplicate_attempt").count() == 1

    def test_eligibility_details_and_score_are_recorded(self, issue):
        from decimal import Decimal

        from learning_credentials.eligibility import Eligibility

        credential = issue(eligibility=Eligibility(eligible=True, score=Decimal("87.50"), details={"completion": 95.0}))
        assert credential.score == Decimal("87.50")
        assert credential.events.get(kind="issued").details == {"eligibility": {"completion": 95.0}}

    def test_snapshots_never_follow_later_changes(self, issue, learner):
        credential = issue()
        learner.profile.full_name = "Ada King"
        learner.profile.save()
        credential.refresh_from_db()
        assert credential.learner_name == "Ada Lovelace"

    def test_kill_switch_stops_every_issue(self, issue, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        with pytest.raises(IssuanceDisabled):
            issue()
        with pytest.raises(IssuanceDisabled):
            issue(manual=True)
        assert not Credential.objects.exists()

    def test_disabled_configuration_refuses_automatic_paths_only(self, issue, configuration):
        configuration.enabled = False
        configuration.save()
        with pytest.raises(ConfigurationDisabled):
            issue()
        assert not Credential.objects.exists()
        assert issue(manual=True).status == Status.AVAILABLE

    def test_no_automatic_reissue_after_invalidation(self, issue, learner):
        credential = issue()
        credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        with pytest.raises(PreviouslyInvalidated):
            issue()
        assert Credential.objects.filter(user=learner).count() == 1

    def test_manual_award_after_invalidation_is_a_recorded_reissue(self, issue, learner, staff_user):
        old = issue(order_reference="order-1")
        credential_invalidate(credential=old, category="issued_in_error", source=SOURCE)
        new = issue(manual=True, actor_id=staff_user.pk, source=CredentialEvent.Source.ADMIN, reason="appeal granted")
        assert new.pk != old.pk
        assert new.replaces_id == old.pk
        assert new.order_reference == "order-1"
        award = new.events.get(kind="manual_award")
        assert award.actor_id == staff_user.pk and award.reason == "appeal granted"
        assert award.details["replaces"] == str(old.verify_uuid)


class TestGenerate:
    def test_missing_template_goes_to_error_with_a_readable_message(self, issue, template_asset):
        template_asset.delete()
        credential = issue()
        assert credential.status == Status.ERROR
        assert "no credential asset with the slug 'certificate-template'" in credential.error_message
        assert not credential.artifact
        assert kinds(credential)[-1] == ("status_changed", "generating", "error")

    def test_broken_template_file_goes_to_error(self, issue, template_asset):
        default_storage.delete(template_asset.file.name)
        with default_storage.open(template_asset.file.name, "wb") as file:
            file.write(b"%PDF-1.4 truncated")
        credential = issue()
        assert credential.status == Status.ERROR
        assert "template 'certificate-template' cannot be used" in credential.error_message

    def test_retry_after_fixing_the_cause(self, issue, template_asset, django_capture_on_commit_callbacks):
        template_asset.delete()
        credential = issue()
        factories.TemplateAssetFactory()
        with django_capture_on_commit_callbacks(execute=True):
            credential_retry(credential=credential, source=SOURCE)
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE
        assert credential.error_message == ""
        assert kinds(credential) == [
            ("issued", "", "generating"),
            ("status_changed", "generating", "error"),
            ("status_changed", "error", "generating"),
            ("status_changed", "generating", "available"),
            ("email_sent", "", ""),
        ]
        assert credential.attempts == 2

    def test_generate_is_idempotent(self, issue):
        credential = issue()
        artifact = credential.artifact
        events = credential.events.count()
        assert credential_generate(credential_id=credential.pk).artifact == artifact
        assert credential.events.count() == events

    def test_retry_refused_unless_in_error(self, issue):
        credential = issue()
        with pytest.raises(InvalidTransition):
            credential_retry(credential=credential, source=SOURCE)
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE

    def test_invalidated_while_generating_keeps_no_file(
        self, configuration, learner, django_capture_on_commit_callbacks
    ):
        credential = credential_issue(
            user_id=learner.pk, configuration=configuration, source=SOURCE
        )  # not generated yet
        with django_capture_on_commit_callbacks(execute=True):
            credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        with django_capture_on_commit_callbacks(execute=True):
            result = credential_generate(credential_id=credential.pk)
        assert result.status == Status.INVALIDATED
        assert not result.artifact
        assert stored_files(credential) == []


class TestInvalidate:
    def test_invalidate_available_archives_the_file(self, issue, staff_user):
        credential = issue()
        result = credential_invalidate(
            credential=credential,
            category="refunded",
            source=SOURCE,
            actor_id=staff_user.pk,
            note="chargeback #12",
            reason="refund",
        )
        assert result.status == Status.INVALIDATED
        assert result.active is None
        assert result.invalidated_at is not None
        assert result.invalidation_reason == "refunded" and result.invalidation_note == "chargeback #12"
        assert default_storage.exists(result.artifact)
        event = result.events.get(kind="invalidated")
        assert (event.from_status, event.to_status, event.actor_id, event.reason) == (
            "available",
            "invalidated",
            staff_user.pk,
            "refund",
        )

    def test_invalidate_error_discards_nothing_to_keep(self, issue, template_asset):
        template_asset.delete()
        credential = issue()
        result = credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
        assert result.status == Status.INVALIDATED

    def test_invalidated_is_final(self, issue):
        credential = issue()
        credential_invalidate(credential=credential, category="refunded", source=SOURCE)
        with pytest.raises(InvalidTransition):
            credential_invalidate(credential=credential, category="other", source=SOURCE, note="again")
        credential.refresh_from_db()
        assert credential.invalidation_reason == "refunded" and credential.invalidation_note == ""
        assert credential.events.filter(kind="invalidated").count() == 1

    def test_unknown_category_is_refused_and_changes_nothing(self, issue):
        credential = issue()
        with pytest.raises(InvalidOptions, match="Unknown reason category"):
            credential_invalidate(credential=credential, category="because", source=SOURCE)
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE

    def test_operators_may_add_categories(self, issue, settings):
        settings.LEARNING_CREDENTIALS = {
            **settings.LEARNING_CREDENTIALS,
            "EXTRA_INVALIDATION_REASONS": {"fraud": "Academic misconduct"},
        }
        credential = issue()
        assert (
            credential_invalidate(credential=credential, category="fraud", source=SOURCE).invalidation_reason == "fraud"
        )


class TestReissue:
    def test_reissue_supersedes_with_the_new_name(self, issue, learner, django_capture_on_commit_callbacks):
        old = issue(order_reference="order-9")
        learner.profile.full_name = "Ada King"
        learner.profile.save()
        with django_capture_on_commit_callbacks(execute=True):
            new = credential_reissue(credential=old, source=CredentialEvent.Source.LEARNER, reason="name change")
        old.refresh_from_db()
        new.refresh_from_db()
        assert old.status == Status.INVALIDATED and old.invalidation_reason == "superseded"
        assert new.status == Status.AVAILABLE and new.replaces_id == old.pk
        assert new.learner_name == "Ada King" and old.learner_name == "Ada Lovelace"
        assert new.order_reference == "order-9"
        assert old.events.filter(kind="reissued", reason="name change").exists()
        assert new.events.get(kind="reissued").details["replaces"] == str(old.verify_uuid)
        assert "Ada King" in pdf_text(new)

    def test_reissue_twice_is_refused(self, issue):
        old = issue()
        credential_reissue(credential=old, source=SOURCE)
        with pytest.raises(InvalidTransition, match="already been reissued"):
            credential_reissue(credential=old, source=SOURCE)
        assert Credential.objects.count() == 2

    def test_staff_reissue_of_a_revoked_credential(self, issue):
        old = issue()
        credential_invalidate(credential=old, category="refunded", source=SOURCE)
        new = credential_reissue(credential=old, source=CredentialEvent.Source.ADMIN)
        old.refresh_from_db()
        assert old.invalidation_reason == "refunded"
        assert new.replaces_id == old.pk


class TestIssuedArtifactsNeverChange:
    def test_template_edits_never_alter_an_issued_pdf(self, issue, template_asset, configuration):
        from django.core.files.base import ContentFile

        credential = issue()
        with default_storage.open(credential.artifact, "rb") as file:
            issued = file.read()
        assert credential.template_version == template_asset.content_hash
        template_asset.file = ContentFile(factories.template_pdf("DIPLOMA"), name="new.pdf")
        template_asset.save()
        configuration.custom_options = {"elements": {"issue_date": False}}
        configuration.save()
        credential.refresh_from_db()
        with default_storage.open(credential.artifact, "rb") as file:
            assert file.read() == issued
        assert credential.template_version != template_asset.content_hash
        newer = issue(user=factories.UserFactory(username="later"))
        assert newer.template_version == template_asset.content_hash
        assert "DIPLOMA" in pdf_text(newer) and "CERTIFICATE" in pdf_text(credential)

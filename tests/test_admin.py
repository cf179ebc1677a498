"""The Django admin, through the test client as platform staff would use it."""

import base64
import io
import re

import pytest
from django.contrib.messages import get_messages
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from learning_credentials.assets import pdf_template_info
from learning_credentials.identifiers import format_code
from learning_credentials.lifecycle import Status
from learning_credentials.models import (
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialEvent,
    CredentialRun,
    CredentialType,
)
from learning_credentials.services.assets import asset_replace_file
from tests import factories

pytestmark = pytest.mark.django_db
ADMIN = CredentialEvent.Source.ADMIN


def url(model, view: str, *args) -> str:
    return reverse(f"admin:learning_credentials_{model._meta.model_name}_{view}", args=args)


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def make_credential(configuration, status: str = Status.AVAILABLE, **kwargs) -> Credential:
    if status == Status.INVALIDATED:
        kwargs = {"active": None, "invalidated_at": timezone.now(), "invalidation_reason": "refunded", **kwargs}
    return factories.CredentialFactory(configuration=configuration, status=status, **kwargs)


def count_queries(client, path: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return len(queries)


def test_non_staff_user_is_sent_to_the_admin_login(client, learner):
    client.force_login(learner)
    response = client.get(url(Credential, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_every_page_renders(admin_client, configuration, learner):
    credential = make_credential(configuration, user=learner, artifact="learning_credentials/credentials/x.pdf")
    event = CredentialEvent.objects.create(credential=credential, kind="issued", source=ADMIN)
    run = CredentialRun.objects.create(configuration=configuration, source=ADMIN)
    objects = [
        configuration.credential_type,
        configuration,
        credential,
        CredentialAsset.objects.get(),
        event,
        run,
    ]
    for obj in objects:
        assert admin_client.get(url(type(obj), "changelist")).status_code == 200, type(obj)
        assert admin_client.get(url(type(obj), "change", obj.pk)).status_code == 200, type(obj)
    for model in (CredentialType, CredentialConfiguration, CredentialAsset):
        assert admin_client.get(url(model, "add")).status_code == 200, model


def test_history_is_read_only(admin_client, configuration):
    credential = make_credential(configuration)
    event = CredentialEvent.objects.create(credential=credential, kind="issued", source=ADMIN)
    run = CredentialRun.objects.create(configuration=configuration, source=ADMIN)
    assert admin_client.get(url(CredentialEvent, "add")).status_code == 403
    assert admin_client.get(url(CredentialEvent, "delete", event.pk)).status_code == 403
    assert admin_client.get(url(CredentialRun, "add")).status_code == 403
    html = admin_client.get(url(CredentialRun, "change", run.pk)).content.decode()
    assert 'name="_save"' not in html


class TestConfigurations:
    def test_list_counts_by_status_and_last_run(self, admin_client, configuration):
        for status, number in ((Status.AVAILABLE, 3), (Status.GENERATING, 1), (Status.ERROR, 2)):
            for _ in range(number):
                make_credential(configuration, status)
        make_credential(configuration, Status.INVALIDATED)
        CredentialRun.objects.create(configuration=configuration, source=ADMIN)
        last = CredentialRun.objects.create(configuration=configuration, source=ADMIN)
        CredentialRun.objects.filter(pk=last.pk).update(finished_at=last.started_at + timezone.timedelta(seconds=90))

        response = admin_client.get(url(CredentialConfiguration, "changelist"))

        (row,) = response.context["cl"].result_list
        counts = [row.available_count, row.generating_count, row.error_count, row.invalidated_count]
        assert counts == [3, 1, 2, 1]
        assert row.last_run_started == last.started_at
        assert "1 minute 30 seconds" in response.content.decode()

    def test_list_queries_do_not_grow_with_rows(self, admin_client, configuration):
        def add_configuration():
            other = factories.ConfigurationFactory()
            make_credential(other)
            make_credential(other, Status.ERROR)
            CredentialRun.objects.create(configuration=other, source=ADMIN)

        add_configuration()
        one = count_queries(admin_client, url(CredentialConfiguration, "changelist"))
        for _ in range(19):
            add_configuration()
        assert count_queries(admin_client, url(CredentialConfiguration, "changelist")) == one

    def test_generate_now_runs_in_process_when_eager(
        self, admin_client, configuration, learner, course, django_capture_on_commit_callbacks
    ):
        factories.set_completion(learner, course, 1.0)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url(CredentialConfiguration, "generate_now_confirm", configuration.pk))
        assert response.status_code == 302
        assert response["Location"] == url(CredentialConfiguration, "change", configuration.pk)
        run = CredentialRun.objects.get()
        assert (run.source, run.issued) == (ADMIN, 1)
        assert Credential.objects.get().user == learner
        assert any("A run was started" in text for text in texts(response))

    def test_generate_now_action(self, admin_client, configuration):
        response = admin_client.post(
            url(CredentialConfiguration, "changelist"),
            {"action": "generate_now", "_selected_action": [configuration.pk], "confirm": "yes"},
        )
        assert response.status_code == 302
        assert CredentialRun.objects.filter(configuration=configuration, source=ADMIN).count() == 1

    def test_generate_now_opened_without_its_button_goes_back_to_the_configuration(self, admin_client, configuration):
        """Reloaded, Back or a bookmark: the configuration's page, never a blank 405 (nothing runs on a GET)."""
        for step in ("generate_now", "generate_now_confirm"):
            response = admin_client.get(url(CredentialConfiguration, step, configuration.pk))
            assert response.status_code == 302
            assert response["Location"] == url(CredentialConfiguration, "change", configuration.pk)
        assert not CredentialRun.objects.exists()
        assert not CredentialRun.objects.exists()

    @pytest.mark.usefixtures("unreachable_broker")
    def test_generate_now_with_the_broker_down_says_so_and_writes_nothing(
        self, admin_client, configuration, learner, course
    ):
        factories.set_completion(learner, course, 1.0)
        response = admin_client.post(url(CredentialConfiguration, "generate_now_confirm", configuration.pk))
        assert response.status_code == 302
        (message,) = get_messages(response.wsgi_request)
        assert message.level_tag == "error"
        assert "cannot be reached" in message.message
        assert not CredentialRun.objects.exists()
        assert not Credential.objects.exists()
        assert not CredentialEvent.objects.exists()

    @staticmethod
    def schedule_form(configuration, crontab: str) -> dict:
        return {
            "learning_context_key": str(configuration.learning_context_key),
            "credential_type": configuration.credential_type.pk,
            "enabled": "on",
            "custom_options": "{}",
            "schedule_type": "crontab",
            "interval_every": 1,
            "interval_period": "hours",
            "validity_unit": "months",
            "reminder_days": "60, 7",
            "crontab": crontab,
            # The empty inline of the credits sub-app (ignored where it is not installed).
            "credits-TOTAL_FORMS": 0,
            "credits-INITIAL_FORMS": 0,
            # The empty inline of PDF templates per language.
            "language_templates-TOTAL_FORMS": 0,
            "language_templates-INITIAL_FORMS": 0,
        }

    def test_invalid_crontab_is_shown_next_to_the_field(self, admin_client, configuration):
        data = self.schedule_form(configuration, "61 * * * *")
        response = admin_client.post(url(CredentialConfiguration, "change", configuration.pk), data)
        assert response.status_code == 200
        assert "crontab" in response.context["adminform"].form.errors
        configuration.refresh_from_db()
        assert configuration.schedule_type == "interval"

    def test_valid_crontab_is_saved_and_scheduled(self, admin_client, configuration):
        data = self.schedule_form(configuration, "30 2 * * 1")
        response = admin_client.post(url(CredentialConfiguration, "change", configuration.pk), data)
        assert response.status_code == 302
        configuration.refresh_from_db()
        assert str(configuration.periodic_task.crontab).startswith("30 2 * * 1")

    def test_deleting_a_configuration_takes_its_run_history(self, admin_client, configuration):
        CredentialRun.objects.create(configuration=configuration, source=ADMIN)
        data = {"action": "delete_selected", "_selected_action": [configuration.pk], "post": "yes"}
        response = admin_client.post(url(CredentialConfiguration, "changelist"), data)
        assert response.status_code == 302
        assert not CredentialConfiguration.objects.exists()
        assert not CredentialRun.objects.exists()


class TestCredentials:
    def test_list_queries_do_not_grow_with_rows(self, admin_client, configuration):
        make_credential(configuration)
        one = count_queries(admin_client, url(Credential, "changelist"))
        for _ in range(19):
            make_credential(configuration)
        assert count_queries(admin_client, url(Credential, "changelist")) == one

    @pytest.mark.parametrize("term", ["grace", "Grace Hopper", "code", "verify_uuid"])
    def test_search(self, admin_client, configuration, term):
        user = factories.UserFactory(username="grace", profile__full_name="Grace Hopper")
        wanted = make_credential(configuration, user=user)
        make_credential(configuration)
        term = {"code": format_code(wanted.verification_code).lower(), "verify_uuid": str(wanted.verify_uuid)}.get(
            term, term
        )
        response = admin_client.get(url(Credential, "changelist"), {"q": term})
        assert list(response.context["cl"].result_list) == [wanted]

    def test_change_page_is_read_only_with_the_audit_trail_and_download_link(
        self, admin_client, configuration, staff_user
    ):
        credential = make_credential(configuration, status=Status.INVALIDATED, artifact="archived.pdf")
        CredentialEvent.objects.create(credential=credential, kind="invalidated", source=ADMIN, actor=staff_user)
        html = admin_client.get(url(Credential, "change", credential.pk)).content.decode()
        assert 'name="_save"' not in html
        assert reverse("learning_credentials:download", kwargs={"uuid": credential.pk}) in html
        assert "staff" in html  # the event's actor, in the audit trail inline

    def test_change_page_names_the_invalidation_reason_by_its_label(self, admin_client, configuration):
        credential = make_credential(configuration, status=Status.INVALIDATED, invalidation_reason="issued_in_error")
        html = admin_client.get(url(Credential, "change", credential.pk)).content.decode()
        reason = re.search(r'field-reason">.*?<div class="readonly">([^<]*)</div>', html, re.S).group(1)
        assert reason == "Issued in error"

    def test_no_add_form_only_manual_issue(self, admin_client):
        response = admin_client.get(url(Credential, "add"))
        assert response["Location"] == url(Credential, "issue_manually")
        assert url(Credential, "issue_manually") in admin_client.get(url(Credential, "changelist")).content.decode()

    def test_bulk_invalidate_through_the_intermediate_form(self, admin_client, admin_user, configuration):
        first, second = make_credential(configuration), make_credential(configuration, Status.ERROR)
        already = make_credential(configuration, Status.INVALIDATED)
        selected = {"action": "invalidate", "_selected_action": [first.pk, second.pk, already.pk]}

        form_page = admin_client.post(url(Credential, "changelist"), selected)
        assert form_page.status_code == 200
        assert "category" in form_page.context["form"].fields
        assert Credential.objects.filter(status=Status.INVALIDATED).count() == 1

        data = {**selected, "apply": "1", "category": "issued_in_error", "note": "wrong cohort", "confirm": "on"}
        response = admin_client.post(url(Credential, "changelist"), data)

        assert response.status_code == 302
        for credential in (first, second):
            credential.refresh_from_db()
            assert (credential.status, credential.invalidation_reason) == (Status.INVALIDATED, "issued_in_error")
            assert credential.invalidation_note == "wrong cohort"
            event = credential.events.get(kind="invalidated")
            assert (event.actor, event.source) == (admin_user, ADMIN)
        already.refresh_from_db()
        assert already.invalidation_reason == "refunded"
        assert not already.events.exists()
        messages = texts(response)
        assert "2 credentials invalidated." in messages
        assert any(format_code(already.verification_code) in text for text in messages)

    def test_invalidate_form_errors_change_nothing(self, admin_client, configuration):
        credential = make_credential(configuration)
        data = {"action": "invalidate", "_selected_action": [credential.pk], "apply": "1", "category": "bogus"}
        response = admin_client.post(url(Credential, "changelist"), data)
        assert response.status_code == 200
        assert "category" in response.context["form"].errors
        credential.refresh_from_db()
        assert credential.status == Status.AVAILABLE

    def test_reissue_requires_a_reason(
        self, admin_client, admin_user, configuration, learner, django_capture_on_commit_callbacks
    ):
        old = make_credential(configuration, user=learner)
        selected = {"action": "reissue", "_selected_action": [old.pk], "apply": "1"}
        assert "reason" in admin_client.post(url(Credential, "changelist"), selected).context["form"].errors
        assert Credential.objects.count() == 1

        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(url(Credential, "changelist"), {**selected, "reason": "name changed"})

        old.refresh_from_db()
        new = old.replaced_by
        assert (old.status, old.invalidation_reason) == (Status.INVALIDATED, "superseded")
        assert new.status == Status.AVAILABLE and new.learner_name == "Ada Lovelace"
        event = new.events.get(kind="reissued")
        assert (event.actor, event.source, event.reason) == (admin_user, ADMIN, "name changed")

    def test_retry_only_credentials_in_error(
        self, admin_client, admin_user, configuration, learner, django_capture_on_commit_callbacks
    ):
        failed, fine = make_credential(configuration, Status.ERROR, user=learner), make_credential(configuration)
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                url(Credential, "changelist"), {"action": "retry", "_selected_action": [failed.pk, fine.pk]}
            )
        failed.refresh_from_db()
        assert failed.status == Status.AVAILABLE
        assert failed.events.filter(from_status="error", to_status="generating", actor=admin_user).exists()
        assert not fine.events.exists()
        assert any(format_code(fine.verification_code) in text for text in texts(response))


class TestIssueManually:
    def post(self, client, configuration, username: str, reason: str = "appeal granted"):
        data = {"configuration": configuration.pk, "learner": username, "reason": reason}
        return client.post(url(Credential, "issue_manually"), data)

    def test_ineligible_learner_gets_an_audited_manual_award(
        self, admin_client, admin_user, configuration, learner, django_capture_on_commit_callbacks
    ):
        assert admin_client.get(url(Credential, "issue_manually")).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            response = self.post(admin_client, configuration, "ada")
        credential = Credential.objects.get(user=learner)
        assert response["Location"] == url(Credential, "change", credential.pk)
        assert credential.status == Status.AVAILABLE
        award = credential.events.get(kind="manual_award")
        assert (award.actor, award.source, award.reason) == (admin_user, ADMIN, "appeal granted")

    def test_service_errors_are_shown_on_the_form(self, admin_client, configuration, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "ENABLED": False}
        response = self.post(admin_client, configuration, "ada")
        assert response.status_code == 200
        assert response.context["form"].non_field_errors()
        assert not Credential.objects.exists()

    def test_unknown_username_and_missing_reason(self, admin_client, configuration):
        form = self.post(admin_client, configuration, "nobody", reason="").context["form"]
        assert set(form.errors) == {"learner", "reason"}

    def test_needs_the_add_permission(self, client, staff_user):
        client.force_login(staff_user)
        assert client.get(url(Credential, "issue_manually")).status_code == 403


class TestCredentialTypes:
    def test_function_choices_and_declared_options(self, admin_client, configuration):
        response = admin_client.get(url(CredentialType, "change", configuration.credential_type.pk))
        form = response.context["adminform"].form
        assert ("course_completion", "Course completion") in form.fields["retrieval_func"].widget.choices
        assert ("pdf_credential", "Pdf credential") in form.fields["generation_func"].widget.choices
        html = response.content.decode()
        assert "required_completion" in html and "Slug of the PDF template asset" in html

    def test_invalid_options_are_shown_next_to_the_field(self, admin_client, configuration):
        credential_type = configuration.credential_type
        data = {
            "name": credential_type.name,
            "slug": credential_type.slug,
            "retrieval_func": "course_completion",
            "generation_func": "pdf_credential",
            "custom_options": '{"required_completion": "lots"}',
        }
        response = admin_client.post(url(CredentialType, "change", credential_type.pk), data)
        assert "custom_options" in response.context["adminform"].form.errors


class TestAssets:
    def test_pdf_template_info(self):
        info = pdf_template_info(factories.template_pdf())
        assert (info.pages, round(info.width_pt), round(info.height_pt)) == (1, 792, 612)
        assert (round(info.width_mm, 1), round(info.height_mm, 1)) == (279.4, 215.9)
        assert len(info.sha256) == 64 and info.size > 0

    def test_pdf_template_info_of_junk_is_a_value_error(self):
        with pytest.raises(ValueError, match="not a readable PDF"):
            pdf_template_info(b"%PDF-1.4 truncated")

    def test_change_page_of_an_unreadable_template_says_so(self, admin_client, template_asset):
        default_storage.delete(template_asset.file.name)
        html = admin_client.get(url(CredentialAsset, "change", template_asset.pk)).content.decode()
        assert "The file cannot be read" in html

    def test_change_page_shows_the_template_metadata(self, admin_client, template_asset):
        html = admin_client.get(url(CredentialAsset, "change", template_asset.pk)).content.decode()
        assert "792.0 &times; 612.0 pt" in html and "279.4 &times; 215.9 mm" in html
        assert template_asset.content_hash in html

    def test_uploading_a_non_pdf_template_is_refused_next_to_the_field(self, admin_client, db):
        data = {"slug": "broken", "kind": "pdf_template", "file": SimpleUploadedFile("t.pdf", b"not a pdf")}
        response = admin_client.post(url(CredentialAsset, "add"), data)
        assert "file" in response.context["adminform"].form.errors
        assert not CredentialAsset.objects.exists()

    def test_an_upload_without_a_kind_says_only_that_the_kind_is_required(self, admin_client, db):
        data = {"slug": "kindless", "file": SimpleUploadedFile("t.pdf", factories.template_pdf())}
        errors = admin_client.post(url(CredentialAsset, "add"), data).context["adminform"].form.errors
        assert errors == {"kind": ["This field is required."]}
        assert not CredentialAsset.objects.exists()

    def test_replacing_through_the_admin_deletes_an_unused_file(
        self, admin_client, template_asset, django_capture_on_commit_callbacks
    ):
        old_name = template_asset.file.name
        data = {
            "slug": template_asset.slug,
            "kind": template_asset.kind,
            "file": SimpleUploadedFile("v2.pdf", factories.template_pdf("VERSION 2")),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(url(CredentialAsset, "change", template_asset.pk), data)
        assert response.status_code == 302
        template_asset.refresh_from_db()
        assert template_asset.file.name != old_name
        assert not default_storage.exists(old_name)

    @pytest.mark.parametrize(
        ("status", "kept"),
        [(Status.GENERATING, True), (Status.ERROR, True), (Status.AVAILABLE, False), (Status.INVALIDATED, False)],
    )
    def test_old_file_is_kept_while_a_pending_credential_needs_it(
        self, configuration, template_asset, status, kept, django_capture_on_commit_callbacks
    ):
        make_credential(configuration, status)
        old_name = template_asset.file.name
        with django_capture_on_commit_callbacks(execute=True):
            asset_replace_file(asset=template_asset, new_file=ContentFile(factories.template_pdf("V2"), name="v2.pdf"))
        assert default_storage.exists(template_asset.file.name)
        assert default_storage.exists(old_name) is kept

    def test_pending_credentials_of_configurations_using_other_assets_do_not_keep_it(
        self, configuration, template_asset, django_capture_on_commit_callbacks
    ):
        other = factories.TemplateAssetFactory(slug="other-template")
        configuration.custom_options = {"template": "other-template"}
        configuration.save()
        make_credential(configuration, Status.ERROR)
        old_name = template_asset.file.name
        with django_capture_on_commit_callbacks(execute=True):
            asset_replace_file(asset=template_asset, new_file=ContentFile(factories.template_pdf("V2"), name="v2.pdf"))
        assert not default_storage.exists(old_name)
        assert default_storage.exists(other.file.name)


class TestPreview:
    """The Preview button posts the unsaved change form; the sample renders and nothing is recorded."""

    def form_data(self, configuration, **overrides):
        return factories.configuration_form_data(
            context_key=str(configuration.learning_context_key),
            credential_type_id=configuration.credential_type_id,
            **overrides,
        )

    def test_configuration_preview_renders_a_sample_and_writes_nothing(self, admin_client, configuration):
        from learning_credentials.models import Credential, CredentialConfiguration

        before = CredentialConfiguration.objects.get(pk=configuration.pk).custom_options
        url = reverse("admin:learning_credentials_credentialconfiguration_preview_object", args=[configuration.pk])
        response = admin_client.post(url, self.form_data(configuration, custom_options='{"font": "Times-Roman"}'))
        assert response.status_code == 200
        html = response.content.decode()
        assert "data:application/pdf;base64," in html and "data:image/png;base64," in html
        pdf = base64.b64decode(html.split("data:application/pdf;base64,")[1].split('"')[0])
        text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
        assert "Alex Sample-Learner" in text and "Introduction to Computing" in text
        assert CredentialConfiguration.objects.get(pk=configuration.pk).custom_options == before
        assert not Credential.objects.exists()

    def test_preview_shows_validation_errors_instead_of_a_file(self, admin_client, configuration):
        url = reverse("admin:learning_credentials_credentialconfiguration_preview_object", args=[configuration.pk])
        response = admin_client.post(url, self.form_data(configuration, custom_options='{"font": "Comic Sans"}'))
        html = response.content.decode()
        assert "unknown font" in html
        assert "data:application/pdf" not in html

    def test_type_preview_on_the_add_page(self, admin_client, template_asset):
        url = reverse("admin:learning_credentials_credentialtype_preview")
        data = {
            "name": "New type",
            "slug": "new-type",
            "retrieval_func": "course_completion",
            "generation_func": "pdf_credential",
            "custom_options": '{"template": "certificate-template"}',
        }
        response = admin_client.post(url, data)
        assert "data:application/pdf;base64," in response.content.decode()
        from learning_credentials.models import CredentialType

        assert not CredentialType.objects.filter(slug="new-type").exists()
        page = admin_client.get(reverse("admin:learning_credentials_credentialtype_add")).content.decode()
        assert f'formaction="{url}"' in page


def test_generate_now_on_a_disabled_configuration_warns_instead_of_failing(admin_client, configuration):
    from learning_credentials.models import CredentialRun

    configuration.enabled = False
    configuration.save()
    url = reverse("admin:learning_credentials_credentialconfiguration_generate_now_confirm", args=[configuration.pk])
    response = admin_client.post(url, follow=True)
    assert response.status_code == 200
    assert any("is disabled" in str(message) for message in get_messages(response.wsgi_request))
    assert not CredentialRun.objects.exists()


def test_configuration_list_shows_the_failure_rate(admin_client, configuration):
    for status in ("available", "available", "available", "error"):
        factories.CredentialFactory(configuration=configuration, status=status)
    html = admin_client.get(reverse("admin:learning_credentials_credentialconfiguration_changelist")).content.decode()
    assert "25.0%" in html


# --- Audit trail of visibility and status, refund events (issue 7) ------------------------------------


def test_audit_trail_shows_visibility_and_status_changes_with_actor_and_reason(
    admin_client, admin_user, configuration, learner
):
    from learning_credentials.services import credential_set_visibility

    credential = factories.CredentialFactory(user=learner, configuration=configuration)
    credential_set_visibility(credential=credential, visibility="private", source="learner", actor_id=learner.pk)
    selected = {"action": "invalidate", "_selected_action": [credential.pk], "apply": "1", "confirm": "on"}
    admin_client.post(url(Credential, "changelist"), {**selected, "category": "refunded", "note": "chargeback 991"})
    event = credential.events.get(kind="invalidated")
    assert (event.actor, event.reason, event.details) == (admin_user, "chargeback 991", {"category": "refunded"})

    response = admin_client.get(url(Credential, "change", credential.pk))
    inline = next(f for f in response.context["inline_admin_formsets"] if f.opts.model is CredentialEvent)
    assert len(list(inline)) == 2  # the visibility change and the invalidation, read-only rows
    html = response.content.decode()
    assert "visibility: Public → Private" in html
    assert "Available → Invalidated (Refunded)" in html
    assert "chargeback 991" in html and learner.username in html and admin_user.username in html
    assert 'name="visibility"' not in html  # shown, not editable
    assert '<div class="readonly">Private</div>' in html


def test_credential_list_shows_and_filters_visibility(admin_client, configuration):
    public = factories.CredentialFactory(configuration=configuration)
    private = factories.CredentialFactory(configuration=factories.ConfigurationFactory(), visibility="private")
    response = admin_client.get(url(Credential, "changelist"), {"visibility__exact": "private"})
    assert list(response.context["cl"].result_list) == [private]
    assert "visibility" in response.context["cl"].list_display
    assert public not in response.context["cl"].result_list


def test_refund_events_are_read_only_with_links_to_what_they_revoked(admin_client, configuration, learner):
    from learning_credentials.models import RefundEvent

    credential = factories.CredentialFactory(user=learner, configuration=configuration)
    refund = RefundEvent.objects.create(
        event_key="k" * 64,
        event_id="evt_42",
        outcome="revoked",
        user=learner,
        context_key=factories.COURSE_KEY,
        order_reference="ORD-42",
        amount="49.00",
        amount_refunded="49.00",
        currency="EUR",
        payload={"event_id": "evt_42"},
    )
    refund.credentials.set([credential])
    listing = admin_client.get(url(RefundEvent, "changelist"))
    assert listing.status_code == 200 and "evt_42" in listing.content.decode()
    assert "49 / 49 EUR" in listing.content.decode()
    page = admin_client.get(url(RefundEvent, "change", refund.pk)).content.decode()
    assert url(Credential, "change", credential.pk) in page
    assert 'name="_save"' not in page
    assert admin_client.get(url(RefundEvent, "add")).status_code == 403
    assert admin_client.post(url(RefundEvent, "delete", refund.pk), {"post": "yes"}).status_code == 403
    assert RefundEvent.objects.filter(pk=refund.pk).exists()

"""Bulk exports: the CSV's columns and cells, the ZIP's file names, queries per batch, the staff task and
its download link, permissions, the command, and retirement."""

import csv
import io
import re
import unicodedata
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from learning_credentials.credits.models import ConfigurationCredit, CreditType
from learning_credentials.exceptions import AccessDenied, BadRequest
from learning_credentials.identifiers import format_code
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, CredentialExport, InvalidationReason
from learning_credentials.registry import export_columns, register_export_column
from learning_credentials.services import credential_invalidate, credential_issue, credential_reissue
from learning_credentials.services.artifacts import artifact_storage
from learning_credentials.services.exports import (
    EXPORT_FOLDER,
    MAX_NAME_BYTES,
    credential_export_run,
    credential_export_start,
    credential_exports_expire,
    credentials_export_write,
    safe_cell,
    safe_file_name,
)
from learning_credentials.services.retirement import learner_retire
from learning_credentials.services.suspension import credential_suspend
from tests import factories

pytestmark = pytest.mark.django_db
SOURCE = CredentialEvent.Source.ADMIN
HEADERS = [
    "learner name",
    "username",
    "email",
    "credential type",
    "status",
    "public state",
    "verification code",
    "verify URL",
    "score",
    "issue date",
    "expiry date",
    "language",
    "credits earned",
]


@pytest.fixture
def issue(configuration, django_capture_on_commit_callbacks):
    """Issue through the service and run the queued generation (a real PDF), as a commit would."""

    def _issue(user, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            credential = credential_issue(user_id=user.pk, configuration=configuration, source=SOURCE, **kwargs)
        credential.refresh_from_db()
        return credential

    return _issue


def learner(username: str, name: str, **kwargs):
    user = factories.UserFactory(username=username, profile__full_name=name, **kwargs)
    factories.enroll(user)
    return user


@pytest.fixture
def exporter(db):
    """Platform staff with the export permission (and a view of configurations, where the buttons are)."""
    user = factories.UserFactory(username="registrar", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["export_credentials", "view_credentialconfiguration"])
    )
    return user


def write(format: str = "csv", **scope) -> bytes:
    out = io.BytesIO()
    credentials_export_write(format=format, out=out, **scope)
    return out.getvalue()


def rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # spreadsheets read the names as UTF-8
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def by_username(content: bytes) -> dict[str, dict[str, str]]:
    header, *body = rows(content)
    return {row[1]: dict(zip(header, row, strict=True)) for row in body}


class TestCsv:
    def test_every_column_and_each_public_state(self, configuration, issue):
        credit = CreditType.objects.get_or_create(
            code="SHRM", defaults={"name": "SHRM PDCs", "unit": "PDC", "unit_plural": "PDCs"}
        )[0]
        ConfigurationCredit.objects.create(
            configuration=configuration, credit_type=credit, amount=Decimal("1.50"), activity_id="24-X"
        )
        valid = issue(learner("valid", "Valerie Valid"))
        Credential.objects.filter(pk=valid.pk).update(score=Decimal("92.50"))
        suspended = issue(learner("held", "Hugo Held"))
        credential_suspend(credential=suspended, reason="inquiry", source=SOURCE)
        revoked = issue(learner("refunded", "Rita Refunded"))
        credential_invalidate(credential=revoked, category=InvalidationReason.REFUNDED, source=SOURCE)
        old = issue(learner("renamed", "Nora Renamed"))
        new = credential_reissue(credential=old, source=SOURCE)
        Credential.objects.filter(pk=new.pk).update(status=Status.AVAILABLE, artifact="x.pdf")

        content = write(configuration=configuration)

        assert rows(content)[0] == HEADERS
        table = by_username(content)
        valid.refresh_from_db()
        assert table["valid"] == {
            "learner name": "Valerie Valid",
            "username": "valid",
            "email": "valid@example.com",
            "credential type": valid.type_name,
            "status": "available",
            "public state": "valid",
            "verification code": format_code(valid.verification_code),
            "verify URL": f"https://lms.example.com/learning_credentials/verify/{valid.verify_uuid}/",
            "score": "92.50",
            "issue date": valid.created.date().isoformat(),
            "expiry date": "",
            "language": "en",
            "credits earned": "1.50 SHRM PDCs",
        }
        assert table["held"]["public state"] == "suspended"
        assert table["refunded"]["public state"] == "revoked"
        assert table["refunded"]["credits earned"] == ""  # voided with the credential
        states = sorted(row["public state"] for row in rows_of(content, "renamed"))
        assert states == ["superseded", "valid"]
        assert len(table) == 4

    def test_an_expired_credential_says_so_with_its_date(self, configuration):
        past = timezone.now() - timedelta(days=3)
        factories.CredentialFactory(configuration=configuration, user__username="lapsed", expires_at=past)
        row = by_username(write(configuration=configuration))["lapsed"]
        assert (row["public state"], row["expiry date"]) == ("expired", past.date().isoformat())

    def test_a_credential_not_issued_yet_has_no_public_state_or_link(self, configuration):
        factories.CredentialFactory(configuration=configuration, status=Status.GENERATING, user__username="pending")
        row = by_username(write(configuration=configuration))["pending"]
        assert (row["status"], row["public state"], row["verify URL"]) == ("generating", "", "")

    def test_formula_cells_are_quoted(self, configuration):
        hostile = {
            "eq": '=HYPERLINK("http://evil","x")',
            "plus": "+1+2",
            "minus": "-2+3",
            "at": "@SUM(A1)",
            "tab": "\t=1",
            "cr": "\r=1",
            "fine": "Ada Lovelace",
        }
        for username, name in hostile.items():
            factories.CredentialFactory(configuration=configuration, user__username=username, learner_name=name)
        table = by_username(write(configuration=configuration))
        for username, name in hostile.items():
            expected = name if username == "fine" else "'" + name
            assert table[username]["learner name"] == expected
        assert safe_cell(None) == "" and safe_cell(Decimal("-1.5")) == "'-1.5"

    def test_without_email_there_is_no_email_column(self, configuration):
        factories.CredentialFactory(configuration=configuration, user__username="someone")
        header, row = rows(write(configuration=configuration, include_email=False))
        assert "email" not in header and "someone@example.com" not in row

    def test_a_context_export_holds_every_configuration_of_the_context_only(self, configuration):
        other_type = factories.ConfigurationFactory()
        elsewhere = factories.ConfigurationFactory(learning_context_key="course-v1:OtherX+Z+2026")
        for config, username in ((configuration, "a"), (other_type, "b"), (elsewhere, "c")):
            factories.CredentialFactory(configuration=config, user__username=username)
        assert set(by_username(write(context_key=configuration.learning_context_key))) == {"a", "b"}

    def test_a_sub_app_column_is_asked_once_per_batch(self, configuration, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXPORT_BATCH_SIZE": 3}
        asked = []
        register_export_column("probe", "probe", lambda batch: asked.append(len(batch)) or {batch[0].pk: "first"})
        try:
            for n in range(7):
                factories.CredentialFactory(configuration=configuration, user__username=f"u{n}")
            header, *body = rows(write(configuration=configuration))
        finally:
            export_columns.pop("probe")
        assert asked == [3, 3, 1]
        assert header[-1] == "probe" and [row[-1] for row in body].count("first") == 3


def rows_of(content: bytes, username: str) -> list[dict[str, str]]:
    header, *body = rows(content)
    return [dict(zip(header, row, strict=True)) for row in body if row[1] == username]


class TestQueries:
    def make(self, configuration, count: int, start: int = 0) -> None:
        for n in range(start, start + count):
            credential = factories.CredentialFactory(configuration=configuration, user__username=f"q{n}")
            if n % 5 == 0:  # a superseded one, whose link reads its successor
                credential_reissue(credential=credential, source=SOURCE)

    def count(self, format: str, configuration) -> int:
        with CaptureQueriesContext(connection) as queries:
            write(format, configuration=configuration)
        return len(queries)

    @pytest.mark.parametrize("format", ["csv", "zip"])
    def test_the_same_queries_for_10_as_for_50_in_one_batch(self, configuration, format):
        self.make(configuration, 10)
        ten = self.count(format, configuration)
        self.make(configuration, 40, start=10)
        assert self.count(format, configuration) == ten

    def test_a_fixed_number_per_batch(self, configuration, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXPORT_BATCH_SIZE": 10}
        self.make(configuration, 10)
        ten = self.count("csv", configuration)  # one batch, and one empty page
        self.make(configuration, 40, start=10)
        fifty = self.count("csv", configuration)  # 10 + 2 per 5 reissued = 60 credentials: 6 batches
        assert Credential.objects.count() == 60
        per_batch = (fifty - ten) / 4  # 12 credentials and 1 batch at first, then 60 and 6 (less one empty page)
        assert per_batch == int(per_batch) and per_batch <= 8


class TestFileNames:
    @pytest.mark.parametrize(
        "name",
        [
            "../../etc/passwd",
            "..\\..\\boot.ini",
            "a\x00b\x1f\x7fc",
            "evil\u202eexe.pdf",
            "\uff26ull\uff0fwidth",
            "slash\u2215look\u2044alike",
            "C:\\Windows",
            " . . ",
            "x" * 400,
            "Zoë " * 80,
            'what?*<>|"',
            "line\nbreak\u2028sep",
        ],
    )
    def test_a_hostile_name_gives_a_safe_file_name(self, name):
        safe = safe_file_name(f"ABCDE-FGHJK-{name}", extension="pdf")
        stem = safe.removesuffix(".pdf")
        assert safe.endswith(".pdf") and stem.startswith("ABCDE-FGHJK")
        assert not any(ch in stem for ch in '/\\:*?"<>|\u2215\u2044\uff0f')
        assert all(unicodedata.category(ch)[0] not in "CZ" or ch == " " for ch in stem)
        assert len(stem.encode()) <= MAX_NAME_BYTES
        assert stem == unicodedata.normalize("NFC", stem) and not stem.endswith((".", " "))

    @pytest.mark.parametrize("reserved", ["CON", "nul", "Com1", "LPT9.txt"])
    def test_reserved_device_names_are_escaped(self, reserved):
        assert safe_file_name(reserved, extension="pdf").startswith("_")

    def test_nothing_left_is_still_a_name(self):
        assert safe_file_name("\x00\u202e ..", extension="pdf") == "credential.pdf"


class TestZip:
    def test_the_pdfs_stored_as_they_are_under_safe_names(self, configuration, issue):
        hostile = issue(learner("hostile", "../../\uff25vil\u202e/\\name\x07"))
        plain = issue(learner("plain", "Ada Lovelace"))
        revoked = issue(learner("gone", "Gone Person"))
        credential_invalidate(credential=revoked, category=InvalidationReason.REFUNDED, source=SOURCE)
        factories.CredentialFactory(configuration=configuration, status=Status.GENERATING)

        archive = zipfile.ZipFile(io.BytesIO(write("zip", configuration=configuration)))

        names = {info.filename: info for info in archive.infolist()}
        assert set(names) == {
            f"{format_code(plain.verification_code)}-Ada Lovelace.pdf",
            f"{format_code(hostile.verification_code)}-.._.._Evil__name.pdf",
        }  # the revoked and the unfinished credential's PDFs are not there
        for credential in (hostile, plain):
            name = next(n for n in names if n.startswith(format_code(credential.verification_code)))
            assert names[name].compress_type == zipfile.ZIP_STORED
            with artifact_storage().open(credential.artifact, "rb") as stored:
                assert archive.read(name) == stored.read()
        assert archive.testzip() is None

    def test_a_missing_file_is_left_out_and_counted(self, configuration, issue):
        kept = issue(learner("kept", "Kept"))
        lost = issue(learner("lost", "Lost"))
        artifact_storage().delete(lost.artifact)
        out = io.BytesIO()
        result = credentials_export_write(format="zip", out=out, configuration=configuration)
        assert (result.written, result.missing_files) == (2, 1)
        assert zipfile.ZipFile(out).namelist() == [f"{format_code(kept.verification_code)}-Kept.pdf"]


def run_export(exporter, django_capture_on_commit_callbacks, **kwargs) -> CredentialExport:
    with django_capture_on_commit_callbacks(execute=True):
        export = credential_export_start(user=exporter, **kwargs)
    export.refresh_from_db()
    return export


class TestStaffExport:
    def test_the_task_makes_the_file_with_its_progress_and_expiry(
        self, configuration, exporter, django_capture_on_commit_callbacks, settings
    ):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXPORT_BATCH_SIZE": 2}
        for n in range(5):
            factories.CredentialFactory(configuration=configuration, user__username=f"e{n}")
        export = run_export(exporter, django_capture_on_commit_callbacks, configuration=configuration, format="csv")
        assert (export.status, export.total, export.done, export.requested_by) == ("ready", 5, 5, exporter)
        assert export.file.startswith(f"{EXPORT_FOLDER}/")
        assert export.expires_at - export.finished_at == timedelta(hours=24)
        with artifact_storage().open(export.file, "rb") as file:
            assert len(rows(file.read())) == 6
        assert credential_export_run(export_id=export.pk).status == "ready"  # a redelivered task changes nothing

    def test_the_list_shows_the_download_before_the_progress_and_when_the_link_expires(
        self, configuration, exporter, client, django_capture_on_commit_callbacks
    ):
        export = run_export(exporter, django_capture_on_commit_callbacks, configuration=configuration, format="zip")
        client.force_login(exporter)
        page = client.get(reverse("admin:learning_credentials_credentialexport_changelist")).content.decode()
        headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', page)
        assert headers.index("download") < headers.index("progress")
        assert "link_expires" in headers and "expires_at" not in headers
        assert "Download link expires" in page
        detail = client.get(reverse("admin:learning_credentials_credentialexport_change", args=[export.pk]))
        assert "With email addresses" not in detail.content.decode()  # a ZIP holds PDFs, no email column

    def test_a_context_export_from_the_form(self, configuration, exporter, client, django_capture_on_commit_callbacks):
        factories.CredentialFactory(configuration=configuration, user__username="ctx")
        client.force_login(exporter)
        url = reverse("admin:learning_credentials_credentialexport_add")
        response = client.post(url, {"context_key": "not a key", "format": "csv"})
        assert "Enter a course key" in response.content.decode()
        response = client.post(url, {"context_key": "", "format": "csv"})
        assert "Choose a configuration or give a learning context key" in response.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"context_key": str(configuration.learning_context_key), "format": "zip"})
        assert response.status_code == 302
        export = CredentialExport.objects.get()
        assert (export.context_key, export.configuration, export.format) == (
            str(configuration.learning_context_key),
            None,
            "zip",
        )
        assert export.status == "ready"

    def test_the_configuration_buttons_and_action(
        self, configuration, exporter, client, django_capture_on_commit_callbacks
    ):
        factories.CredentialFactory(configuration=configuration, user__username="btn")
        client.force_login(exporter)
        page = client.get(reverse("admin:learning_credentials_credentialconfiguration_change", args=[configuration.pk]))
        assert "Export credentials (CSV)" in page.content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                reverse("admin:learning_credentials_credentialconfiguration_export", args=[configuration.pk, "csv"])
            )
            client.post(
                reverse("admin:learning_credentials_credentialconfiguration_changelist"),
                {"action": "export_zip", "_selected_action": [configuration.pk]},
            )
        assert sorted(CredentialExport.objects.values_list("format", "status")) == [("csv", "ready"), ("zip", "ready")]
        listing = client.get(reverse("admin:learning_credentials_credentialexport_changelist")).content.decode()
        assert "1 / 1 (100%)" in listing and "Download" in listing
        export = CredentialExport.objects.get(format="zip")
        page = client.get(reverse("admin:learning_credentials_credentialexport_change", args=[export.pk]))
        assert page.status_code == 200 and "registrar" in page.content.decode()

    def test_download_streams_the_file_to_any_permitted_staff(
        self, configuration, exporter, client, django_capture_on_commit_callbacks
    ):
        factories.CredentialFactory(configuration=configuration, user__username="dl")
        export = run_export(exporter, django_capture_on_commit_callbacks, configuration=configuration, format="csv")
        colleague = factories.UserFactory(username="colleague", is_staff=True)
        colleague.user_permissions.add(Permission.objects.get(codename="export_credentials"))
        client.force_login(colleague)
        response = client.get(reverse("admin:learning_credentials_credentialexport_download", args=[export.pk]))
        assert response.status_code == 200 and response.streaming
        assert response["Content-Disposition"].startswith("attachment; filename=")
        assert "dl" in by_username(b"".join(response.streaming_content))

    def test_an_expired_link_says_so_and_the_cleanup_deletes_the_file(
        self, configuration, exporter, client, django_capture_on_commit_callbacks
    ):
        export = run_export(exporter, django_capture_on_commit_callbacks, configuration=configuration, format="csv")
        url = reverse("admin:learning_credentials_credentialexport_download", args=[export.pk])
        client.force_login(exporter)
        CredentialExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
        response = client.get(url)
        assert response.status_code == 410 and "expired on" in response.content.decode()
        assert artifact_storage().exists(export.file)
        assert credential_exports_expire() == {"expired": 1, "failed": 0}
        assert not artifact_storage().exists(export.file)
        export.refresh_from_db()
        assert (export.status, export.file) == ("expired", "")
        response = client.get(url)
        assert response.status_code == 410 and "expired on" in response.content.decode()

    def test_an_export_never_finished_fails_after_the_retention(self, configuration, exporter):
        export = CredentialExport.objects.create(requested_by=exporter, configuration=configuration, format="csv")
        assert credential_exports_expire(now=timezone.now() + timedelta(hours=25)) == {"expired": 0, "failed": 1}
        export.refresh_from_db()
        assert export.status == "failed" and "did not finish" in export.error


class TestPermissions:
    @pytest.fixture
    def export(self, configuration, exporter, django_capture_on_commit_callbacks):
        return run_export(exporter, django_capture_on_commit_callbacks, configuration=configuration, format="csv")

    def url(self, export):
        return reverse("admin:learning_credentials_credentialexport_download", args=[export.pk])

    def test_a_learner_gets_a_404(self, export, client):
        client.force_login(factories.UserFactory(username="curious"))
        assert client.get(self.url(export)).status_code == 404

    def test_staff_without_the_permission_get_a_403(self, export, client, configuration):
        staff = factories.UserFactory(username="plainstaff", is_staff=True)
        client.force_login(staff)
        response = client.get(self.url(export))
        assert response.status_code == 403
        page = response.content.decode()  # a page in words, in the admin, not a bare status page
        assert "You may not download exports" in page and "Can export credentials" in page
        assert 'id="site-name"' in page
        assert client.post(
            reverse("admin:learning_credentials_credentialconfiguration_export", args=[configuration.pk, "csv"])
        ).status_code in (403, 302)
        assert CredentialExport.objects.count() == 1
        with pytest.raises(AccessDenied):
            credential_export_start(user=staff, configuration=configuration, format="csv")

    def test_anonymous_is_sent_to_log_in(self, export, client):
        response = client.get(self.url(export))
        assert response.status_code == 302 and "login" in response["Location"]

    def test_an_unknown_or_malformed_export_is_a_404(self, exporter, client):
        client.force_login(exporter)
        for bad in ("00000000-0000-4000-8000-000000000000", "nope"):
            url = reverse("admin:learning_credentials_credentialexport_download", args=[bad])
            assert client.get(url).status_code == 404

    def test_an_export_still_running_says_so(self, configuration, exporter, client):
        export = CredentialExport.objects.create(requested_by=exporter, configuration=configuration, format="csv")
        client.force_login(exporter)
        response = client.get(self.url(export))
        assert response.status_code == 409 and "still being made" in response.content.decode()

    def test_bad_input_is_refused_in_words(self, exporter, configuration):
        with pytest.raises(BadRequest, match="either one configuration or one learning context"):
            credential_export_start(user=exporter, format="csv")
        with pytest.raises(BadRequest, match="not 'xlsx'"):
            credential_export_start(user=exporter, configuration=configuration, format="xlsx")


class TestCommand:
    def test_csv_and_zip_to_a_file(self, configuration, issue, tmp_path, capsys):
        credential = issue(learner("cmd", "Command Line"))
        output = tmp_path / "out.csv"
        call_command("export_credentials", configuration=configuration.pk, format="csv", output=str(output))
        assert by_username(output.read_bytes())["cmd"]["verification code"] == format_code(credential.verification_code)
        assert "1 credentials exported" in capsys.readouterr().out
        archive = tmp_path / "out.zip"
        call_command(
            "export_credentials", context=str(configuration.learning_context_key), format="zip", output=str(archive)
        )
        assert zipfile.ZipFile(archive).namelist() == [f"{format_code(credential.verification_code)}-Command Line.pdf"]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["media", "out.csv", "out.zip"]  # no partial file left
        bar = capsys.readouterr().err
        assert "Exporting: 100%" in bar and " credentials/s" in bar

    def test_an_empty_export_says_so_in_words(self, configuration, tmp_path, capsys):
        call_command("export_credentials", configuration=configuration.pk, format="csv", output=str(tmp_path / "e.csv"))
        captured = capsys.readouterr()
        assert "0 credentials exported" in captured.out
        assert "0credential" not in captured.err and "Exporting: 0 credentials" in captured.err

    def test_bad_arguments_are_said_in_words(self, tmp_path):
        with pytest.raises(CommandError, match="no credential configuration with id 999"):
            call_command("export_credentials", configuration=999, output=str(tmp_path / "x.csv"))
        with pytest.raises(CommandError, match="is not a course key"):
            call_command("export_credentials", context="nonsense", output=str(tmp_path / "x.csv"))
        with pytest.raises(CommandError, match="No credential configuration is for course-v1:A\\+B\\+C"):
            call_command("export_credentials", context="course-v1:A+B+C", output=str(tmp_path / "x.csv"))

    def test_an_output_that_is_a_folder_missing_or_empty_is_refused_before_anything_is_written(
        self, configuration, tmp_path
    ):
        key = str(configuration.learning_context_key)
        for output, words in (
            (str(tmp_path), "is a folder"),
            ("", "Give --output the file to write"),
            (str(tmp_path / "no" / "x.csv"), "does not exist"),
        ):
            with pytest.raises(CommandError, match=words):
                call_command("export_credentials", context=key, output=output)
        assert not [path for path in tmp_path.parent.rglob(".export-*")]

    def test_a_context_no_configuration_is_for_is_refused_not_exported_empty(self, exporter):
        from opaque_keys.edx.keys import CourseKey

        with pytest.raises(BadRequest, match="No credential configuration is for course-v1:DemoX\\+NOPE\\+2030"):
            credential_export_start(
                user=exporter, context_key=CourseKey.from_string("course-v1:DemoX+NOPE+2030"), format="csv"
            )
        assert not CredentialExport.objects.exists()


class TestRetirement:
    def test_exports_with_the_learners_data_are_withdrawn_and_their_files_deleted(
        self, configuration, exporter, issue, django_capture_on_commit_callbacks
    ):
        retiree = learner("retiree", "Rhea Retiree")
        issue(retiree)
        elsewhere = factories.ConfigurationFactory(learning_context_key="course-v1:OtherX+Z+2026")
        by_configuration = run_export(
            exporter, django_capture_on_commit_callbacks, configuration=configuration, format="csv"
        )
        by_context = run_export(
            exporter, django_capture_on_commit_callbacks, context_key=configuration.learning_context_key, format="zip"
        )
        unrelated = run_export(exporter, django_capture_on_commit_callbacks, configuration=elsewhere, format="csv")
        files = [by_configuration.file, by_context.file]
        assert all(artifact_storage().exists(name) for name in files)

        with django_capture_on_commit_callbacks(execute=True):
            learner_retire(user_id=retiree.pk)

        for export in (by_configuration, by_context, unrelated):
            export.refresh_from_db()
        assert (by_configuration.status, by_context.status, unrelated.status) == ("withdrawn", "withdrawn", "ready")
        assert not any(artifact_storage().exists(name) for name in files)
        assert artifact_storage().exists(unrelated.file)

    def test_an_export_being_written_when_the_learner_retires_keeps_nothing(
        self, configuration, exporter, issue, settings
    ):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EXPORT_BATCH_SIZE": 1}
        retiree = learner("retiring", "Remy Retiring")
        issue(retiree)
        issue(learner("stays", "Stella Stays"))
        export = CredentialExport.objects.create(requested_by=exporter, configuration=configuration, format="csv")
        # The retirement commits while the first batch is being written.
        register_export_column("race", "race", lambda batch: learner_retire(user_id=retiree.pk) and {})
        try:
            credential_export_run(export_id=export.pk)
        finally:
            export_columns.pop("race")
        export.refresh_from_db()
        assert (export.status, export.file) == ("withdrawn", "")
        assert not artifact_storage().exists(f"{EXPORT_FOLDER}/{export.pk}.csv")


def test_migrate_schedules_the_cleanup_every_hour(db):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="learning_credentials.exports_cleanup")
    assert (task.interval.every, task.interval.period, task.enabled) == (3600, "seconds", True)

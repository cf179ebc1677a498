"""Credentials in the learner's language (issue 23, point 7): template per language, fixed text, dates, emails.

The translations come from a tiny catalogue in a temporary LOCALE_PATHS, so these tests hold whatever
the project's own catalogues say.
"""

import io
import subprocess
import unicodedata
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from PIL import Image
from sandbox.lms import models as lms

from learning_credentials.languages import language_match, site_language
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialEvent, LanguageTemplate
from learning_credentials.rendering import format_date
from learning_credentials.services import credential_issue, credential_reissue
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.issuance import credential_renew
from learning_credentials.services.renewal import expiry_reminders_send
from learning_credentials.services.sharing import credential_share_image
from learning_credentials.services.wording import credential_wording, date_text
from tests import factories

Source = CredentialEvent.Source
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "languages"
LANGUAGES = [
    ("en", "English"),
    ("es", "Spanish"),
    ("es-419", "Latin American Spanish"),
    ("fr", "French"),
    ("ar", "Arabic"),
]
CATALOGUES = {
    "es": {
        "Score: {score}": "Puntuación: {score}",
        "Verify at {verify_url}": "Verifique en {verify_url}",
        "Verification code: {verify_code}": "Código de verificación: {verify_code}",
        "Awarded to %(name)s. Verify it at %(url)s (verification code %(code)s).": (
            "Otorgado a %(name)s. Verifíquelo en %(url)s (código de verificación %(code)s)."
        ),
        "Verify: {verify_code} · {verify_url}": "Verificar: {verify_code} · {verify_url}",
        "REVOKED": "REVOCADO",
        "Your %(type_name)s for %(context_name)s is ready": "Su %(type_name)s de %(context_name)s está listo",
        "Your %(type_name)s for %(context_name)s expires on %(date)s": (
            "Su %(type_name)s de %(context_name)s vence el %(date)s"
        ),
    },
    "ar": {
        "Verify at {verify_url}": "تحقق على {verify_url}",
        "Verification code: {verify_code}": "رمز التحقق: {verify_code}",
        "Verify: {verify_code} · {verify_url}": "تحقق: {verify_code} · {verify_url}",
        "REVOKED": "ملغاة",
    },
    # A translator's slip: a placeholder renamed. The English is printed rather than a broken line.
    "fr": {"Verification code: {verify_code}": "Code de vérification : {code}"},
}


def _po(entries: dict[str, str]) -> str:
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
    return header + "".join(f"msgid {quoted(k)}\nmsgstr {quoted(v)}\n\n" for k, v in entries.items())


def use_catalogues(folder, settings, catalogues: dict[str, dict[str, str]] = CATALOGUES):
    """Compile ``catalogues`` (language -> msgid -> msgstr) in ``folder`` and read them first; the test languages."""
    for language, entries in catalogues.items():
        messages = folder / language / "LC_MESSAGES"
        messages.mkdir(parents=True)
        (messages / "django.po").write_text(_po(entries), encoding="utf-8")
        subprocess.run(["msgfmt", "-o", messages / "django.mo", messages / "django.po"], check=True)
    settings.LOCALE_PATHS = [str(folder), *settings.LOCALE_PATHS]
    settings.LANGUAGES = LANGUAGES
    return folder


@pytest.fixture
def catalogues(tmp_path, settings):
    """Spanish, Arabic and French catalogues of the strings these tests read, compiled, first in LOCALE_PATHS."""
    return use_catalogues(tmp_path, settings)


def speaker(username: str, language: str, course, name: str = "Ada Lovelace"):
    user = factories.UserFactory(username=username, profile__full_name=name)
    lms.Profile.objects.filter(user=user).update(language=language)
    factories.enroll(user)
    factories.set_completion(user, course, 1.0)
    return user


def pdf_text(credential: Credential) -> str:
    from django.core.files.storage import default_storage

    with default_storage.open(credential.artifact, "rb") as handle:
        out = subprocess.run(["pdftotext", "-", "-"], input=handle.read(), capture_output=True, check=True)
    return out.stdout.decode()


def arabic_reads(text: str, phrase: str) -> bool:
    """Whether ``phrase`` is in pdftotext's output, which gives Arabic as drawn: shaped forms, right to left."""
    plain = unicodedata.normalize("NFKC", text)
    return phrase in plain or phrase[::-1] in plain


@pytest.fixture
def spanish_template(db):
    return factories.TemplateAssetFactory(
        slug="diploma-es", file=factories.ContentFile(factories.template_pdf("DIPLOMA"), name="es.pdf")
    )


class TestMatching:
    @pytest.mark.parametrize(
        ("code", "expected"),
        [("es", "es"), ("ES", "es"), ("es-419", "es"), ("es_MX", "es"), ("fr", None), ("", None)],
    )
    def test_exact_then_base_language_then_none(self, code, expected):
        assert language_match(code, ["en", "es"]) == expected

    def test_a_regional_entry_wins_over_its_base(self):
        assert language_match("es-419", ["es", "es-419"]) == "es-419"

    def test_a_learner_reading_an_unoffered_language_gets_the_site_default(self, settings):
        settings.LANGUAGES = LANGUAGES
        assert (site_language("es-AR"), site_language("pt-br"), site_language(None)) == ("es", "en", "en")


@pytest.mark.django_db
class TestTemplatePerLanguage:
    @pytest.fixture
    def localised(self, configuration, spanish_template, catalogues):
        LanguageTemplate.objects.create(configuration=configuration, language="es", template="diploma-es")
        return configuration

    def issue(self, configuration, user, django_capture_on_commit_callbacks) -> Credential:
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=user.pk, configuration=configuration, source=Source.EVENT)
        return Credential.objects.get(user=user, configuration=configuration, active=True)

    @pytest.mark.parametrize(
        ("language", "recorded", "template"),
        [
            ("es", "es", "diploma-es"),
            ("es-419", "es-419", "diploma-es"),
            ("es-MX", "es", "diploma-es"),
            ("fr", "fr", None),
        ],
    )
    def test_exact_base_language_or_default_template(
        self, localised, course, template_asset, language, recorded, template, django_capture_on_commit_callbacks
    ):
        credential = self.issue(localised, speaker("lea", language, course), django_capture_on_commit_callbacks)
        assert credential.language == recorded and credential.status == Status.AVAILABLE
        expected = factories.CredentialAsset.objects.get(slug=template or template_asset.slug).content_hash
        assert credential.template_version == expected
        assert ("DIPLOMA" in pdf_text(credential)) == (template is not None)

    def test_a_scheduled_run_picks_each_learners_template_in_a_fixed_number_of_queries(
        self, localised, course, template_asset, spanish_template, django_capture_on_commit_callbacks
    ):
        def run(size: int, offset: int) -> int:
            users = [speaker(f"bulk{offset + i}", ("es", "fr")[i % 2], course) for i in range(size)]
            with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
                configuration_issue_chunk(
                    configuration_id=localised.pk, user_ids=[u.pk for u in users], run_id=None, source=Source.SCHEDULE
                )
            return len(queries)

        small, large = run(2, 0), run(20, 100)
        assert large <= small + 4, (small, large)
        versions = dict(Credential.objects.values_list("language", "template_version").distinct())
        assert versions == {"es": spanish_template.content_hash, "fr": template_asset.content_hash}

    def test_a_reissue_keeps_the_language_a_renewal_takes_todays(
        self, localised, course, spanish_template, django_capture_on_commit_callbacks
    ):
        user = speaker("lea", "es", course)
        first = self.issue(localised, user, django_capture_on_commit_callbacks)
        lms.Profile.objects.filter(user=user).update(language="fr")
        with django_capture_on_commit_callbacks(execute=True):
            reissued = credential_reissue(credential=first, source=Source.ADMIN, reason="name")
        reissued.refresh_from_db()
        assert reissued.language == "es" and reissued.template_version == spanish_template.content_hash
        localised.validity_period = 12
        localised.save()
        Credential.objects.filter(pk=reissued.pk).update(expires_at=timezone.now() + timedelta(days=3))
        reissued.refresh_from_db()
        with django_capture_on_commit_callbacks(execute=True):
            renewed = credential_renew(credential=reissued, source=Source.ADMIN)
        assert Credential.objects.get(pk=renewed.pk).language == "fr"

    def test_a_template_for_a_language_the_site_does_not_offer_or_a_missing_asset_is_refused(self, localised):
        with pytest.raises(ValidationError) as refused:
            LanguageTemplate(configuration=localised, language="xx", template="diploma-es").full_clean()
        assert refused.value.message_dict["language"] == ["Choose one of the site's languages."]
        with pytest.raises(ValidationError) as refused:
            LanguageTemplate.objects.create(configuration=localised, language="ar", template="nope")
        assert refused.value.message_dict == {
            "template": ["template: there is no asset with the slug 'nope'; it should name a PDF template."]
        }

    def test_the_admin_previews_each_language_and_shows_the_credentials_language(
        self, localised, admin_client, course, django_capture_on_commit_callbacks
    ):
        url = reverse("admin:learning_credentials_credentialconfiguration_preview_object", args=[localised.pk])
        data = factories.configuration_form_data(
            context_key=str(localised.learning_context_key), credential_type_id=localised.credential_type_id
        )
        html = admin_client.post(url, data).content.decode()
        assert html.count('download="preview.pdf"') == 2  # the default and Spanish
        assert "Spanish (es)" in html
        credential = self.issue(localised, speaker("lea", "es", course), django_capture_on_commit_callbacks)
        page = admin_client.get(reverse("admin:learning_credentials_credential_change", args=[credential.pk]))
        assert '<div class="readonly">es</div>' in page.content.decode()


@pytest.mark.django_db
class TestFixedTextAndDates:
    def test_the_pdf_prints_its_fixed_text_and_date_in_spanish(
        self, configuration, course, catalogues, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=speaker("lea", "es", course).pk, configuration=configuration, source=Source.EVENT)
        credential = Credential.objects.get()
        text = pdf_text(credential)
        assert "Verifique en" in text and "Código de verificación" in text
        assert date_text(credential.created.date(), language="es") in text and " de " in text
        from django.core.files.storage import default_storage
        from pypdf import PdfReader

        with default_storage.open(credential.artifact, "rb") as handle:
            subject = PdfReader(io.BytesIO(handle.read())).metadata["/Subject"]
        assert subject.startswith("Otorgado a Ada Lovelace.")

    def test_the_pdf_prints_arabic_shaped_right_to_left(
        self, configuration, course, catalogues, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=speaker("amal", "ar", course).pk, configuration=configuration, source=Source.EVENT)
        text = pdf_text(Credential.objects.get())
        assert arabic_reads(text, "رمز التحقق") and "Verification code" not in text

    def test_a_translation_that_breaks_its_placeholders_prints_the_english(self, catalogues):
        assert "verify_code" not in credential_wording(language="fr")
        assert credential_wording(language="es")["verify_code"] == "Código de verificación: {verify_code}"

    def test_the_share_image_is_stamped_in_the_credentials_language(
        self, configuration, course, catalogues, django_capture_on_commit_callbacks
    ):
        from PIL import ImageDraw

        from learning_credentials.rendering.share_image import ShareImageData, share_image_texts
        from learning_credentials.services.wording import right_to_left

        wording = credential_wording(language="ar")
        data = ShareImageData(
            learner_name="أمل", type_name="شهادة", context_name="مقدمة", issuer="Org", issue_date="1",
            verify_url="https://x.example/v/", verify_code="AB12C", public_status="revoked",
            wording=wording, right_to_left=right_to_left("ar"),
        )  # fmt: skip
        draw = ImageDraw.Draw(Image.new("RGB", (1200, 627)))
        texts = {text.role: text for text in share_image_texts(
            draw, data=data, chain=[], size=(1200, 627), color="#000", accent="#000"
        )}  # fmt: skip
        assert texts["stamp"].text == "ملغاة" and texts["footer"].text.startswith("تحقق: AB12C")
        assert (
            texts["stamp"].xy[0]
            < 600
            < texts["type_name"].xy[0] + draw.textlength("شهادة", font=texts["type_name"].font)
        )
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=speaker("lea", "es", course).pk, configuration=configuration, source=Source.EVENT)
        content, kind = credential_share_image(credential=Credential.objects.get(), extension="png")
        assert kind == "image/png" and Image.open(io.BytesIO(content)).size == (1200, 627)

    @pytest.mark.parametrize(
        ("language", "expected"),
        [("en", "23 November 2026"), ("es", "23 de noviembre de 2026"), ("fr", "23 novembre 2026"),
         ("de", "23. November 2026"), ("ar", "23 نوفمبر، 2026")],
    )  # fmt: skip
    def test_dates_read_as_each_language_writes_them(self, language, expected):
        assert date_text(date(2026, 11, 23), language=language) == expected

    def test_a_sites_date_format_is_kept_with_month_names_in_the_language(self):
        """Open edX: the platform's certificate date format (adapters.openedx reads CERTIFICATE_DATE_FORMAT)."""
        assert date_text(date(2026, 11, 3), language="es", date_format="%B %-d, %Y") == "noviembre 3, 2026"
        with translation.override("en"):
            assert format_date(date(2026, 11, 3)) == "3 November 2026"


@pytest.mark.django_db
def test_spanish_and_arabic_pdfs_and_share_images_to_look_at(
    configuration, course, catalogues, django_capture_on_commit_callbacks
):
    """Kept in test-artifacts/languages/ (the PDFs also as PNG pages) for a person to look at."""
    from django.core.files.storage import default_storage

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    configuration.validity_period = 24
    configuration.save()
    for language, name in (("es", "Lucía Fernández"), ("ar", "أمل الكردي")):
        user = speaker(f"look-{language}", language, course, name=name)
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=user.pk, configuration=configuration, source=Source.EVENT)
        credential = Credential.objects.get(user=user)
        Credential.objects.filter(pk=credential.pk).update(score="92.50")
        credential.refresh_from_db()
        credential_reissue(credential=credential, source=Source.ADMIN, reason="visual check")  # a stamp to look at
        with default_storage.open(credential.artifact, "rb") as handle:
            (ARTIFACTS / f"credential-{language}.pdf").write_bytes(handle.read())
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-singlefile", ARTIFACTS / f"credential-{language}.pdf",
             ARTIFACTS / f"credential-{language}"],
            check=True,
        )  # fmt: skip
        image, _kind = credential_share_image(credential=Credential.objects.get(pk=credential.pk), extension="png")
        (ARTIFACTS / f"share-{language}.png").write_bytes(image)
        assert (ARTIFACTS / f"credential-{language}.png").stat().st_size > 0


@pytest.mark.django_db
class TestEmails:
    @pytest.fixture
    def ace(self, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_VIA_ACE": True}
        settings.ACE_ENABLED_CHANNELS = ["django_email"]
        settings.ACE_ENABLED_POLICIES = []
        settings.ACE_CHANNEL_DEFAULT_EMAIL = settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"

    @pytest.mark.parametrize("path", ["django", "ace"])
    def test_the_available_email_and_the_expiry_reminder_go_out_in_spanish(
        self, path, request, configuration, course, catalogues, django_capture_on_commit_callbacks
    ):
        if path == "ace":
            request.getfixturevalue("ace")
        configuration.validity_period = 12
        configuration.save()
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(user_id=speaker("lea", "es", course).pk, configuration=configuration, source=Source.EVENT)
        credential = Credential.objects.get()
        assert mail.outbox[0].subject == f"Su {credential.type_name} de Introduction to Computing está listo"
        expires = timezone.now() + timedelta(days=5)
        issued = expires - timedelta(days=365)
        Credential.objects.filter(pk=credential.pk).update(created=issued, valid_from=issued, expires_at=expires)
        expiry_reminders_send()
        reminder = mail.outbox[1]
        spanish_date = date_text(expires.date(), language="es")
        assert reminder.subject == f"Su {credential.type_name} de Introduction to Computing vence el {spanish_date}"
        html = reminder.alternatives[0][0] if reminder.alternatives else ""
        assert spanish_date in reminder.body and spanish_date in html

    @pytest.mark.parametrize("path", ["django", "ace"])
    def test_an_arabic_learners_email_reads_right_to_left(
        self, path, request, configuration, course, django_capture_on_commit_callbacks
    ):
        if path == "ace":
            request.getfixturevalue("ace")
        with django_capture_on_commit_callbacks(execute=True):
            credential_issue(
                user_id=speaker("layla", "ar", course).pk, configuration=configuration, source=Source.EVENT
            )
        (email,) = mail.outbox
        html = next(content for content, kind in email.alternatives if kind == "text/html")
        assert '<div lang="ar" dir="rtl">' in html

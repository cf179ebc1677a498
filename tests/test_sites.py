"""Per site: a credential's links, emails and printed dates come from its context's site, else the global settings."""

from datetime import UTC, date, datetime
from io import BytesIO

import pytest
from django.core import mail
from django.utils import translation
from opaque_keys.edx.keys import CourseKey
from pypdf import PdfReader
from sandbox.lms.adapter import SandboxAdapter

from learning_credentials.adapters.base import Site
from learning_credentials.models import Credential
from learning_credentials.rendering import CredentialData, format_date, local_date
from learning_credentials.selectors import context_sites, verify_short_url
from learning_credentials.services import generation, sharing
from learning_credentials.services.artifacts import artifact_storage
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.generation import credentials_generate
from learning_credentials.services.notification import credentials_notify
from tests import factories

pytestmark = pytest.mark.django_db

API = "/api/learning_credentials/v1"
ACADEMY = Site(
    platform_name="Acme Academy",
    base_url="https://academy.example.org/",
    logo_url="https://academy.example.org/static/logo.png",
    from_email="Acme Academy <no-reply@academy.example.org>",
    date_format="%B %-d, %Y",
    time_zone="Pacific/Auckland",
)
# 20:30 in UTC is the next morning in Auckland (UTC+13 in November).
ISSUED = datetime(2026, 11, 23, 20, 30, tzinfo=UTC)
OTHER_COURSE_KEY = "course-v1:OtherX+CS102+2026"


@pytest.fixture
def site_reads(monkeypatch):
    """The sandbox with Acme Academy as the site of DemoX (the tests' course); other organisations keep the globals."""
    reads = []

    def get_sites(self, context_keys):
        reads.append(list(context_keys))
        return {key: ACADEMY if key.org == "DemoX" else Site(platform_name="Sandbox LMS") for key in context_keys}

    monkeypatch.setattr(SandboxAdapter, "get_sites", get_sites)
    return reads


@pytest.fixture
def other_configuration(configuration):
    factories.make_course(OTHER_COURSE_KEY, organization="OtherX")
    return factories.ConfigurationFactory(
        learning_context_key=CourseKey.from_string(OTHER_COURSE_KEY), credential_type=configuration.credential_type
    )


def generated(configuration, username: str) -> Credential:
    user = factories.UserFactory(username=username, email=f"{username}@example.com")
    credential = factories.CredentialFactory(user=user, configuration=configuration, status="generating")
    Credential.objects.filter(pk=credential.pk).update(created=ISSUED)
    return credential


def pdf_text(credential: Credential) -> str:
    credential.refresh_from_db()
    with artifact_storage().open(credential.artifact, "rb") as file:
        return "".join(PdfReader(BytesIO(file.read())).pages[0].extract_text().split())


def generate(credentials, monkeypatch, capture) -> dict:
    """Generate, emails included; what each credential's generation function was given, by credential."""
    given = {}

    def recording(**fields):
        data = CredentialData(**fields)
        given[fields["verify_uuid"]] = data
        return data

    monkeypatch.setattr(generation, "CredentialData", recording)
    with capture(execute=True):
        credentials_generate(credential_ids=[credential.pk for credential in credentials])
    return {credential.pk: given[str(credential.verify_uuid)] for credential in credentials}


class TestPdf:
    def test_links_qr_code_and_date_come_from_the_site_of_the_context(
        self, configuration, other_configuration, site_reads, monkeypatch, django_capture_on_commit_callbacks
    ):
        academy, other = generated(configuration, "ada"), generated(other_configuration, "alan")
        given = generate([academy, other], monkeypatch, django_capture_on_commit_callbacks)

        page = f"https://academy.example.org/learning_credentials/verify/{academy.verify_uuid}/"
        assert given[academy.pk].verify_url == page
        assert (
            given[academy.pk].qr_url
            == f"https://academy.example.org/learning_credentials/v/{academy.verification_code}"
        )
        assert given[academy.pk].qr_url == verify_short_url(academy)
        assert page in pdf_text(academy) and "November24,2026" in pdf_text(academy)
        # Another organisation's course stays on the global settings: LMS_ROOT_URL, UTC, the default format.
        assert given[other.pk].verify_url.startswith("https://lms.example.com/learning_credentials/verify/")
        assert "23November2026" in pdf_text(other)

    def test_the_site_is_read_once_for_a_chunk_whatever_its_size(self, configuration, course, site_reads):
        def reads(count: int, prefix: str) -> int:
            users = [factories.UserFactory(username=f"{prefix}{n}") for n in range(count)]
            for user in users:
                factories.enroll(user)
                factories.set_completion(user, course, 1.0)
            before = len(site_reads)
            counts = configuration_issue_chunk(
                configuration_id=configuration.pk, user_ids=[user.pk for user in users], run_id=None, source="schedule"
            )
            assert counts == {"issued": count, "failed": 0, "renewed": 0}
            return len(site_reads) - before

        assert reads(1, "one") == reads(8, "eight") > 0


class TestEmail:
    def test_each_email_comes_from_its_contexts_site(self, configuration, other_configuration, site_reads, settings):
        settings.DEFAULT_FROM_EMAIL = "credentials@lms.example.com"
        academy = factories.CredentialFactory(configuration=configuration, user__email="ada@example.com")
        other = factories.CredentialFactory(configuration=other_configuration, user__email="alan@example.com")
        assert credentials_notify(credential_ids=[academy.pk, other.pk]) == 2
        assert len(site_reads) == 1  # one read for the batch

        by_recipient = {message.to[0]: message for message in mail.outbox}
        email = by_recipient["ada@example.com"]
        assert email.from_email == "Acme Academy <no-reply@academy.example.org>"
        assert f"https://academy.example.org/learning_credentials/verify/{academy.verify_uuid}/" in email.body
        assert f"https://academy.example.org/learning_credentials/credentials/{academy.pk}/download/" in email.body
        assert "Acme Academy" in email.body
        html = email.alternatives[0][0]
        assert '<img src="https://academy.example.org/static/logo.png" alt="Acme Academy"' in html

        fallback = by_recipient["alan@example.com"]
        assert fallback.from_email == "credentials@lms.example.com"
        assert f"https://lms.example.com/learning_credentials/verify/{other.verify_uuid}/" in fallback.body
        assert "Sandbox LMS" in fallback.body and "<img" not in fallback.alternatives[0][0]

    def test_edx_ace_sends_from_the_sites_address(self, configuration, site_reads, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_VIA_ACE": True}
        settings.ACE_ENABLED_CHANNELS = ["django_email"]
        settings.ACE_ENABLED_POLICIES = []
        settings.ACE_CHANNEL_DEFAULT_EMAIL = settings.ACE_CHANNEL_TRANSACTIONAL_EMAIL = "django_email"
        settings.DEFAULT_FROM_EMAIL = "credentials@lms.example.com"
        credential = factories.CredentialFactory(configuration=configuration, user__email="ada@example.com")
        assert credentials_notify(credential_ids=[credential.pk]) == 1
        [email] = mail.outbox
        assert email.from_email == "Acme Academy <no-reply@academy.example.org>"
        assert "Acme Academy" in email.body


class TestPublicPages:
    def test_the_verification_page_links_and_previews_on_the_site(self, client, configuration, site_reads):
        credential = factories.CredentialFactory(configuration=configuration)
        html = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()
        page = f"https://academy.example.org/learning_credentials/verify/{credential.verify_uuid}/"
        assert f'<link rel="canonical" href="{page}">' in html
        assert f'<meta property="og:image" content="{page}image.png">' in html

    def test_the_share_image_prints_the_sites_link_and_date(self, configuration, site_reads, monkeypatch):
        credential = factories.CredentialFactory(configuration=configuration)
        Credential.objects.filter(pk=credential.pk).update(created=ISSUED)
        credential.refresh_from_db()
        drawn = []
        real = sharing.render_share_image
        monkeypatch.setattr(
            sharing, "render_share_image", lambda *, data, **kw: drawn.append(data) or real(data=data, **kw)
        )
        sharing.credential_share_image(credential=credential, extension="png")
        assert (
            drawn[0].verify_url == f"https://academy.example.org/learning_credentials/verify/{credential.verify_uuid}/"
        )
        assert drawn[0].issue_date == "November 24, 2026"

    def test_the_metadata_api_links_on_the_site_and_dates_in_its_time_zone(self, client, configuration, site_reads):
        credential = factories.CredentialFactory(configuration=configuration)
        Credential.objects.filter(pk=credential.pk).update(created=ISSUED)
        body = client.get(f"{API}/metadata/{credential.verify_uuid}/").json()
        assert (
            body["verify_url"] == f"https://academy.example.org/learning_credentials/verify/{credential.verify_uuid}/"
        )
        assert body["issue_date"] == "2026-11-24"

    def test_a_list_reads_the_sites_of_its_page_once(self, client, configuration, other_configuration, site_reads):
        user = factories.UserFactory(username="grace")
        academy = factories.CredentialFactory(user=user, configuration=configuration)
        other = factories.CredentialFactory(user=user, configuration=other_configuration)
        client.force_login(user)
        results = client.get(f"{API}/credentials/").json()["results"]
        assert {item["verify_url"] for item in results} == {
            f"https://academy.example.org/learning_credentials/verify/{academy.verify_uuid}/",
            f"https://lms.example.com/learning_credentials/verify/{other.verify_uuid}/",
        }
        assert len(site_reads) == 1

    def test_the_holders_page_shares_the_sites_link(self, client, configuration, site_reads):
        credential = factories.CredentialFactory(configuration=configuration)
        client.force_login(credential.user)
        html = client.get(f"/learning_credentials/credentials/{credential.pk}/").content.decode()
        page = f"https://academy.example.org/learning_credentials/verify/{credential.verify_uuid}/"
        assert f'value="{page}"' in html
        assert "certUrl=https%3A%2F%2Facademy.example.org%2Flearning_credentials%2Fverify%2F" in html


class TestFallbacks:
    def test_a_site_that_sets_nothing_gets_the_global_settings(self, settings, monkeypatch):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "BASE_URL": "https://verify.example.com/"}
        settings.DEFAULT_FROM_EMAIL = "credentials@example.com"
        monkeypatch.setattr(
            SandboxAdapter, "get_sites", lambda self, keys: dict.fromkeys(keys, Site("Sandbox LMS", ""))
        )
        key = CourseKey.from_string(factories.COURSE_KEY)
        assert context_sites(context_keys=[key, key]) == {
            key: Site(
                platform_name="Sandbox LMS",
                base_url="https://verify.example.com",
                from_email="credentials@example.com",
                time_zone="UTC",
            )
        }

    def test_a_sites_base_url_wins_over_the_global_one(self, settings, site_reads):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "BASE_URL": "https://verify.example.com"}
        key = CourseKey.from_string(factories.COURSE_KEY)
        assert context_sites(context_keys=[key])[key].base_url == "https://academy.example.org"

    def test_no_contexts_no_read(self, site_reads):
        assert context_sites(context_keys=[]) == {} and site_reads == []


class TestDates:
    DAY = date(2026, 11, 4)

    def test_without_a_format_the_day_month_and_year(self):
        assert format_date(self.DAY) == "4 November 2026"

    @pytest.mark.parametrize(
        ("date_format", "expected"),
        [
            ("%B %-d, %Y", "November 4, 2026"),  # the Open edX default
            ("%d.%m.%Y", "04.11.2026"),
            ("%a %-d %b %Y", "Wed 4 Nov 2026"),
            ("%A, %-m/%-d/%y (100%%)", "Wednesday, 11/4/26 (100%)"),
        ],
    )
    def test_a_sites_format(self, date_format, expected):
        assert format_date(self.DAY, date_format) == expected

    def test_names_are_in_the_active_language(self):
        with translation.override("fr"):
            assert format_date(self.DAY, "%A %-d %B %Y") == "mercredi 4 novembre 2026"
        with translation.override("de"):
            assert format_date(self.DAY, "%-d. %B %Y") == "4. November 2026"

    def test_the_day_is_taken_in_the_sites_time_zone(self):
        assert local_date(ISSUED, "Pacific/Auckland") == date(2026, 11, 24)
        assert local_date(ISSUED, "America/Los_Angeles") == date(2026, 11, 23)
        assert local_date(ISSUED, None) == date(2026, 11, 23)

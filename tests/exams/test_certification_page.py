"""One stable public URL and code per certification, whichever certificate is current (seed 004 §2.9, §2.10)."""

import subprocess

import pytest
from django.core import mail

from learning_credentials.exams.models import Certification
from learning_credentials.identifiers import format_code
from learning_credentials.learner_views import linkedin_add_to_profile_url
from learning_credentials.models import Credential
from learning_credentials.selectors import verify_url
from learning_credentials.services.artifacts import artifact_storage
from learning_credentials.services.visibility import credential_set_visibility

PAGE = "/learning_credentials/verify/{}/"
METADATA = "/api/learning_credentials/v1/metadata/{}/"


def stable() -> tuple[Certification, str]:
    certification = Certification.objects.get()
    return certification, f"http://testserver{PAGE.format(certification.public_id)}"


def pdf_text(credential: Credential) -> str:
    with artifact_storage().open(credential.artifact, "rb") as handle:
        return subprocess.run(
            ["pdftotext", "-", "-"], input=handle.read(), capture_output=True, check=True
        ).stdout.decode()


@pytest.fixture
def site_base(settings):
    settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "BASE_URL": "http://testserver"}


@pytest.mark.django_db
@pytest.mark.usefixtures("site_base")
class TestStablePage:
    def test_the_page_shows_the_current_certificate_with_the_most_recent_score(self, client, sit):
        sit(40)
        sit(30)
        certification, url = stable()
        page = client.get(PAGE.format(certification.public_id))
        body = page.content.decode()
        assert page.status_code == 200 and 'data-status="valid"' in body
        assert "60%" in body and "80%" not in body
        assert format_code(certification.code) in body and f'href="{url}"' in body  # canonical: the stable page

    def test_a_failed_exam_revokes_it_with_the_date_and_the_score(self, client, sit):
        sit(40)
        sit(25)
        certification, _url = stable()
        body = client.get(PAGE.format(certification.public_id)).content.decode()
        assert 'data-status="revoked"' in body
        assert "was revoked on" in body and ". Reason: Most recent exam score 50% or below." in body
        assert "50%" in body

    def test_reinstated_by_a_later_pass_on_the_same_url(self, client, sit):
        sit(40)
        sit(25)
        sit(35)
        certification, _url = stable()
        body = client.get(PAGE.format(certification.public_id)).content.decode()
        assert 'data-status="valid"' in body and "70%" in body

    def test_codes_and_the_metadata_api_answer_for_it(self, client, sit):
        sit(45)
        certification, url = stable()
        lookup = client.get(f"/learning_credentials/verify/code/{certification.code.lower()}/")
        assert lookup.status_code == 302 and lookup["Location"].endswith(
            PAGE.format(certification.public_id) + "?via=code"
        )
        typed = client.get("/learning_credentials/verify/", {"code": format_code(certification.code)})
        assert typed.status_code == 302
        metadata = client.get(METADATA.format(certification.public_id)).json()
        assert (metadata["verify_url"], metadata["verification_code"], metadata["score"]) == (
            url,
            format_code(certification.code),
            "90.00",
        )
        assert metadata["status"] == "valid"
        by_code = client.get(f"/api/learning_credentials/v1/verify/{certification.code}/").json()
        assert by_code["verify_uuid"] == str(certification.public_id)
        image = client.get(f"{PAGE.format(certification.public_id)}image.png")
        assert image.status_code == 200 and image["Content-Type"] == "image/png"

    def test_an_older_certificate_s_page_says_what_it_carried_and_links_to_the_stable_page(self, client, sit):
        sit(40)
        sit(30)
        _certification, url = stable()
        older = Credential.objects.get(score=80)
        body = client.get(PAGE.format(older.verify_uuid)).content.decode()
        assert "it carried a score of 80%" in body and f'<a href="{url}">' in body

    def test_private_is_private_on_the_stable_url_too(self, client, sit, learner):
        sit(45)
        certification, _url = stable()
        credential_set_visibility(credential=certification.credential, visibility="private", source="learner")
        assert client.get(PAGE.format(certification.public_id)).status_code == 404
        assert client.get(METADATA.format(certification.public_id)).status_code == 404
        assert client.get(f"/learning_credentials/verify/code/{certification.code}/").status_code == 404
        client.force_login(learner)
        assert client.get(PAGE.format(certification.public_id)).status_code == 200

    def test_it_shows_the_most_recent_score_and_its_date_not_an_issue_date(self, client, sit):
        sit(40)
        sit(25)
        certification, _url = stable()
        body = client.get(PAGE.format(certification.public_id)).content.decode()
        assert "Most recent score" in body and "<dd data-record-score>50%</dd>" in body
        assert f'<time datetime="{certification.scored_at:%Y-%m-%d}">' in body and "Issue date" not in body

    def test_an_unknown_id_is_a_404(self, client, sit):
        assert client.get(PAGE.format("0" * 32)).status_code == 404


@pytest.mark.django_db
@pytest.mark.usefixtures("site_base")
class TestTheLearnersOwnPage:
    def page(self, client, learner) -> str:
        client.force_login(learner)
        current = Certification.objects.get().credential
        return client.get(f"/learning_credentials/credentials/{current.uuid}/").content.decode()

    def test_a_revoked_certificate_says_so_in_words_with_the_score_that_revoked_it(self, client, sit, learner):
        sit(40)
        sit(25)
        body = self.page(client, learner)
        assert "Revoked on" in body and ". Reason: Most recent exam score 50% or below" in body
        assert "<dd data-record-score>50%</dd>" in body and "80%" not in body
        _certification, url = stable()
        assert f'href="{url}"' in body  # "See what employers see": the stable page

    def test_a_valid_one_shows_the_most_recent_score(self, client, sit, learner):
        sit(40)
        sit(30)
        body = self.page(client, learner)
        assert "<dd data-record-score>60%</dd>" in body and "80%" not in body


@pytest.mark.django_db
@pytest.mark.usefixtures("site_base")
class TestEveryArtifactCarriesTheStableLink:
    def test_pdfs_linkedin_email_and_the_learner_api(self, client, sit, learner, settings):
        settings.LEARNING_CREDENTIALS = {**settings.LEARNING_CREDENTIALS, "EMAIL_ENABLED": True}
        sit(40)
        sit(30)
        certification, url = stable()
        pdfs = list(Credential.objects.filter(artifact__gt=""))  # the superseded one keeps its file, archived
        assert len(pdfs) == 2
        for credential in pdfs:
            text = pdf_text(credential)
            assert url.replace("http://", "") in text.replace("\n", "") or url in text
            assert format_code(certification.code) in text
        current = certification.credential
        assert verify_url(current) == url
        linkedin = linkedin_add_to_profile_url(current, organization_name="DemoX")
        assert str(certification.public_id) in linkedin and format_code(certification.code) in linkedin
        assert any(url in message.body for message in mail.outbox)
        client.force_login(learner)
        listed = client.get("/api/learning_credentials/v1/credentials/").json()["results"]
        assert {item["verification_code"] for item in listed} == {format_code(certification.code)}

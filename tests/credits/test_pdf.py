"""{credits} prints the credits a credential carries, in a real PDF, asked for all credentials at once."""

from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pypdf import PdfReader

from learning_credentials.credits.receivers import placeholder_values
from learning_credentials.models import Credential
from learning_credentials.rendering import PLACEHOLDERS
from learning_credentials.services import credential_reissue
from learning_credentials.services.artifacts import artifact_storage
from tests import factories

from .conftest import SOURCE, issue

pytestmark = pytest.mark.django_db


def pdf_text(credential: Credential) -> str:
    credential.refresh_from_db()
    with artifact_storage().open(credential.artifact, "rb") as file:
        return " ".join(PdfReader(BytesIO(file.read())).pages[0].extract_text().split())


@pytest.fixture
def printing_credits(credited):
    kind = credited.credential_type
    kind.custom_options = {**kind.custom_options, "elements": {"credits": {"text": "Credits: {credits}", "y": 120}}}
    kind.save()
    return credited


def test_the_placeholder_is_registered_by_the_sub_app():
    assert "credits" in PLACEHOLDERS


def test_the_pdf_prints_the_credits_and_a_reissued_one_still_does(
    printing_credits, completed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        credential = issue(printing_credits, completed)
    assert Credential.objects.get(pk=credential.pk).status == "available"
    assert "Credits: 1.50 SHRM PDCs · 1.50 HRCI credits" in pdf_text(credential)
    with django_capture_on_commit_callbacks(execute=True):
        new = credential_reissue(credential=credential, source=SOURCE, reason="name change")
    assert "Credits: 1.50 SHRM PDCs · 1.50 HRCI credits" in pdf_text(new)


def test_a_credential_without_credits_prints_nothing_there(
    printing_credits, completed, course, django_capture_on_commit_callbacks
):
    printing_credits.credits.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        credential = issue(printing_credits, completed)
    text = pdf_text(credential)
    assert "Credits:" in text and "SHRM" not in text


def test_values_for_many_credentials_take_two_queries(credited, course):
    credentials = []
    for number in range(6):
        user = factories.UserFactory(username=f"many{number}")
        factories.enroll(user)
        factories.set_completion(user, course, 1.0)
        credentials.append(issue(credited, user))
    with CaptureQueriesContext(connection) as queries:
        values = placeholder_values(sender=Credential, credentials=credentials)
    assert len(queries) == 2  # the entries, then their credit types
    assert {pk: texts["credits"] for pk, texts in values.items()} == {
        credential.pk: "1.50 SHRM PDCs · 1.50 HRCI credits" for credential in credentials
    }

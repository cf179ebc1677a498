"""The SHA-256 of each issued file: recorded at issue, and backfilled once for files issued before."""

import hashlib
import io

import pytest
from django.core.files.storage import storages
from django.core.management import call_command

from learning_credentials import conf
from learning_credentials.models import Credential, CredentialEvent
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.retirement import learner_retire
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(configuration, django_capture_on_commit_callbacks):
    def issue(count: int) -> list[Credential]:
        made = []
        for _ in range(count):
            user = factories.UserFactory()
            factories.enroll(user)
            with django_capture_on_commit_callbacks(execute=True):
                made.append(credential_issue(user_id=user.pk, configuration=configuration, source="admin"))
        return list(Credential.objects.filter(pk__in=[c.pk for c in made]).order_by("pk"))

    return issue


def file_hash(credential: Credential) -> str:
    with storages[conf.get("STORAGE")].open(credential.artifact) as file:
        return hashlib.sha256(file.read()).hexdigest()


def test_the_backfill_hashes_files_issued_before_and_reports_missing_ones(issued):
    credentials = issued(5)
    assert all(c.artifact_sha256 == file_hash(c) for c in credentials)  # recorded at issue
    Credential.objects.update(artifact_sha256="")  # as issued before hashes were recorded
    storages[conf.get("STORAGE")].delete(credentials[0].artifact)
    out, err = io.StringIO(), io.StringIO()
    call_command("credential_hashes_backfill", "--batch", "2", stdout=out, stderr=err)
    assert out.getvalue().strip() == (
        "4 files hashed; 1 files are missing from the storage (see the log), left without a hash"
    )
    for credential in credentials[1:]:
        credential.refresh_from_db()
        assert credential.artifact_sha256 == file_hash(credential)
    assert Credential.objects.get(pk=credentials[0].pk).artifact_sha256 == ""
    assert "5/5" in err.getvalue()  # the progress bar saw every credential

    again = io.StringIO()
    call_command("credential_hashes_backfill", stdout=again, stderr=io.StringIO())
    assert again.getvalue().startswith("0 files hashed; 1 files are missing")


def test_retirement_erases_the_hash_with_the_file(issued):
    (credential,) = issued(1)
    assert credential.artifact_sha256
    learner_retire(user_id=credential.user_id, source=CredentialEvent.Source.ADMIN)
    credential.refresh_from_db()
    assert credential.artifact_sha256 == "" and credential.artifact == ""

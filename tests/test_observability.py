"""One structured log line per issue, generation, failure, retry, invalidation (and duplicate: test_duplicates)."""

import logging

import pytest

from learning_credentials.models import CredentialEvent
from learning_credentials.observability import log_activity
from learning_credentials.services import credential_invalidate, credential_issue, credential_retry
from tests import factories

pytestmark = pytest.mark.django_db
LOGGER = "learning_credentials.activity"
SOURCE = CredentialEvent.Source.ADMIN


@pytest.fixture
def lines(caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)

    def collect(action: str | None = None) -> list[dict]:
        found = [record.learning_credentials for record in caplog.records if record.name == LOGGER]
        return [line for line in found if action is None or line["action"] == action]

    return collect


def issue(configuration, user, capture, **kwargs):
    with capture(execute=True):
        credential = credential_issue(user_id=user.pk, configuration=configuration, source=SOURCE, **kwargs)
    credential.refresh_from_db()
    return credential


def test_issue_and_generation(configuration, learner, staff_user, lines, django_capture_on_commit_callbacks):
    credential = issue(
        configuration, learner, django_capture_on_commit_callbacks, actor_id=staff_user.pk, order_reference="o-1"
    )
    [issued] = lines("issued")
    assert issued == {
        "action": "issued",
        "credential": str(credential.pk),
        "user_id": learner.pk,
        "configuration": configuration.pk,
        "context": "course-v1:DemoX+CS101+2026",
        "source": "admin",
        "actor_id": staff_user.pk,
        "order_reference": "o-1",
        "duration_ms": issued["duration_ms"],
    }
    [generated] = lines("generated")
    assert generated["credential"] == str(credential.pk) and generated["attempts"] == 1
    assert generated["source"] == "system" and generated["duration_ms"] > 0


def test_failure_and_retry(configuration, learner, template_asset, lines, caplog, django_capture_on_commit_callbacks):
    template_asset.delete()
    credential = issue(configuration, learner, django_capture_on_commit_callbacks)
    [failed] = lines("generation_failed")
    assert failed["credential"] == str(credential.pk) and failed["attempts"] == 1
    assert "no credential asset with the slug 'certificate-template'" in failed["error"]
    assert [r.levelno for r in caplog.records if r.name == LOGGER and "generation_failed" in r.getMessage()] == [
        logging.WARNING
    ]
    factories.TemplateAssetFactory()
    with django_capture_on_commit_callbacks(execute=True):
        credential_retry(credential=credential, source=SOURCE)
    [retried] = lines("retried")
    assert retried["credential"] == str(credential.pk) and retried["configuration"] == configuration.pk
    assert "certificate-template" in retried["previous_error"] and "duration_ms" in retried
    assert [line["attempts"] for line in lines("generated")] == [2]


def test_invalidation(configuration, learner, staff_user, lines, django_capture_on_commit_callbacks):
    credential = issue(configuration, learner, django_capture_on_commit_callbacks)
    credential_invalidate(credential=credential, category="refunded", source=SOURCE, actor_id=staff_user.pk)
    [invalidated] = lines("invalidated")
    assert {key: invalidated[key] for key in ("credential", "user_id", "category", "from_status", "actor_id")} == {
        "credential": str(credential.pk),
        "user_id": learner.pk,
        "category": "refunded",
        "from_status": "available",
        "actor_id": staff_user.pk,
    }


def test_lines_read_as_key_value_pairs(caplog):
    with caplog.at_level(logging.INFO, logger=LOGGER):
        log_activity("example", user_id=7, reason="two words", empty="", flag=True, outcomes={"3": "issued"}, skip=None)
    [record] = caplog.records
    assert record.getMessage() == (
        'learning_credentials.example user_id=7 reason="two words" empty="" flag=true outcomes={"3":"issued"}'
    )
    assert record.learning_credentials == {
        "action": "example",
        "user_id": 7,
        "reason": "two words",
        "empty": "",
        "flag": True,
        "outcomes": {"3": "issued"},
    }

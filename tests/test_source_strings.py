"""English source strings that translate well (issue #23, point 7): whole sentences with named placeholders,
labels used as they are (never lowercased), plural forms for counts, a context for a word of several roles.

A tiny German catalogue of the test's own (tests/catalogues.py) shows what a translator's wording becomes.
"""

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone, translation

from learning_credentials.exceptions import InvalidTransition
from learning_credentials.lifecycle import Status
from learning_credentials.models import CredentialEvent
from learning_credentials.services.suspension import credential_suspend
from tests import factories
from tests.catalogues import install_catalogue

pytestmark = pytest.mark.django_db


def test_the_revoked_page_shows_the_reason_label_as_translated(client, configuration, tmp_path, settings):
    """German nouns keep their capital letter: the label goes into the sentence as the translator wrote it."""
    install_catalogue(
        tmp_path,
        settings,
        "de",
        [
            (None, "Refunded", "Erstattet"),
            (
                None,
                "This credential was revoked on %(date)s. Reason: %(reason)s.",
                "Dieser Nachweis wurde am %(date)s widerrufen. Grund: %(reason)s.",
            ),
        ],
    )
    credential = factories.CredentialFactory(configuration=configuration)
    credential.status, credential.active = Status.INVALIDATED, None
    credential.invalidated_at, credential.invalidation_reason = timezone.now(), "refunded"
    credential.save()
    html = client.get(
        f"/learning_credentials/verify/{credential.verify_uuid}/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    with translation.override("de"):
        date = date_filter(credential.invalidated_at, "DATE_FORMAT")
    assert f"Dieser Nachweis wurde am {date} widerrufen. Grund: Erstattet." in html


def test_a_refused_suspension_names_the_status_by_its_label_as_is(configuration, tmp_path, settings):
    install_catalogue(
        tmp_path,
        settings,
        "de",
        [
            (None, "Generating", "Wird erstellt"),
            (
                None,
                "Only a valid credential can be suspended or have its suspension lifted; "
                "this one's status is “%(status)s”.",
                "Nur ein gültiger Nachweis kann gesperrt oder entsperrt werden; sein Status ist „%(status)s“.",
            ),
        ],
    )
    generating = factories.CredentialFactory(configuration=configuration, status=Status.GENERATING)
    with translation.override("de"), pytest.raises(InvalidTransition) as refused:
        credential_suspend(credential=generating, reason="x", source=CredentialEvent.Source.ADMIN)
    assert str(refused.value) == (
        "Nur ein gültiger Nachweis kann gesperrt oder entsperrt werden; sein Status ist „Wird erstellt“."
    )


def test_a_learner_reads_valid_until_as_one_sentence(client, configuration, learner, tmp_path, settings):
    install_catalogue(tmp_path, settings, "de", [(None, "Valid until %(date)s", "Gültig bis %(date)s")])
    credential = factories.CredentialFactory(
        user=learner, configuration=configuration, expires_at=timezone.now() + timezone.timedelta(days=30)
    )
    learner.profile.language = "de"
    learner.profile.save()
    client.force_login(learner)
    html = client.get("/learning_credentials/credentials/").content.decode()
    with translation.override("de"):
        date = date_filter(timezone.localtime(credential.expires_at), "DATE_FORMAT")
    assert f"Gültig bis {date}" in html

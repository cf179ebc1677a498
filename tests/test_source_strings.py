"""English source strings that translate well (issue #23, point 7): whole sentences with named placeholders,
labels used as they are (never lowercased), plural forms for counts, a context for a word of several roles.

A tiny German catalogue of the test's own (tests/catalogues.py) shows what a translator's wording becomes.
"""

import pytest
from django.template.defaultfilters import date as date_filter
from django.urls import reverse
from django.utils import timezone, translation

from learning_credentials.exceptions import CredentialUnreadable, InvalidTransition
from learning_credentials.lifecycle import Status
from learning_credentials.models import CredentialConfiguration, CredentialEvent, CredentialExport
from learning_credentials.open_badges.models import SigningKey
from learning_credentials.open_badges.verification import credential_verify
from learning_credentials.open_badges.views import RESULT_WORDS
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


@pytest.mark.parametrize(
    ("every", "period", "words"),
    [
        (1, "days", "every day"),
        (2, "days", "every 2 days"),
        (1, "hours", "every hour"),
        (12, "hours", "every 12 hours"),
        (1, "minutes", "every minute"),
        (30, "seconds", "every 30 seconds"),
    ],
)
def test_a_schedule_reads_as_one_sentence_per_period_and_count(admin_client, configuration, every, period, words):
    CredentialConfiguration.objects.filter(pk=configuration.pk).update(
        schedule_type="interval", interval_every=every, interval_period=period
    )
    html = admin_client.get(reverse("admin:learning_credentials_credentialconfiguration_changelist")).content.decode()
    assert f'<td class="field-schedule">{words}</td>' in html


def test_a_schedule_period_is_translated_with_its_plural(admin_client, configuration, tmp_path, settings):
    install_catalogue(
        tmp_path, settings, "de", [(None, ("every day", "every %(count)d days"), ("täglich", "alle %(count)d Tage"))]
    )
    CredentialConfiguration.objects.filter(pk=configuration.pk).update(
        schedule_type="interval", interval_every=3, interval_period="days"
    )
    with translation.override("de"):
        html = admin_client.get(
            reverse("admin:learning_credentials_credentialconfiguration_changelist"), HTTP_ACCEPT_LANGUAGE="de"
        ).content.decode()
    assert "alle 3 Tage" in html


def test_the_key_id_help_text_has_nothing_a_browser_takes_for_a_tag():
    """The admin renders help texts unescaped (help_text|safe): "<issuer DID>" would vanish in the browser."""
    help_text = str(SigningKey._meta.get_field("key_id").help_text)
    assert "<" not in help_text and ">" not in help_text
    assert "issuer's DID, “#” and this key id" in help_text


def test_a_score_is_written_the_languages_way(client, configuration, tmp_path, settings):
    """French and German put a space before the percent sign: the translator decides."""
    install_catalogue(tmp_path, settings, "de", [("a score in percent", "%(score)s%%", "%(score)s %%")])
    credential = factories.CredentialFactory(configuration=configuration, score="91.50")
    english = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/").content.decode()
    german = client.get(
        f"/learning_credentials/verify/{credential.verify_uuid}/", HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert "<dd>91.50%</dd>" in english
    assert "<dd>91,50 %</dd>" in german


def test_the_verifiers_reasons_are_whole_sentences_a_translator_words(tmp_path, settings):
    """No fragment is put into another sentence: each reason, and an unreadable input's message, is one msgid."""
    install_catalogue(
        tmp_path,
        settings,
        "de",
        [
            (None, "It holds NaN or Infinity, which JSON does not allow.", "Es enthält NaN oder Infinity."),
            (
                None,
                "Could not be checked: the input is not a credential that can be read (see the format check).",
                "Nicht geprüft: die Eingabe ist kein lesbarer Nachweis.",
            ),
            (None, "It is not valid JSON. %(problem)s", "Kein gültiges JSON. %(problem)s"),
        ],
    )
    with translation.override("de"):
        verification = credential_verify(data='{"a": NaN}')
        with pytest.raises(CredentialUnreadable) as unreadable:
            credential_verify(data='{"a": }')
    reasons = [check.reason for check in verification.checks]
    assert reasons[0] == "Es enthält NaN oder Infinity."
    assert set(reasons[1:]) == {"Nicht geprüft: die Eingabe ist kein lesbarer Nachweis."}
    # Two whole sentences: "not valid JSON", then where and what (one msgid per kind of syntax error).
    assert unreadable.value.message.startswith("Kein gültiges JSON. Zeile 1, Spalte 7: ")


def test_one_english_word_of_several_roles_is_translated_per_role(client, configuration, learner, tmp_path, settings):
    """ "Issued" is an event kind in the audit trail and a date column on the learner's list: two contexts."""
    install_catalogue(
        tmp_path,
        settings,
        "de",
        [
            ("a credential event", "Issued", "Ausgestellt"),
            ("a column of issue dates", "Issued", "Ausgestellt am"),
            ("a check's result", "Failed", "Nicht bestanden"),
            ("an export's state", "Failed", "Fehlgeschlagen"),
        ],
    )
    factories.CredentialFactory(user=learner, configuration=configuration)
    learner.profile.language = "de"
    learner.profile.save()
    client.force_login(learner)
    html = client.get("/learning_credentials/credentials/").content.decode()
    assert '<th scope="col">Ausgestellt am</th>' in html
    with translation.override("de"):
        assert str(CredentialEvent.Kind.ISSUED.label) == "Ausgestellt"
        assert str(CredentialExport.State.FAILED.label) == "Fehlgeschlagen"
        assert str(RESULT_WORDS["fail"]) == "Nicht bestanden"


def test_the_schedule_unit_is_offered_in_the_readers_language(admin_client, configuration, tmp_path, settings):
    install_catalogue(tmp_path, settings, "de", [("a schedule's unit", "hours", "Stunden")])
    url = reverse("admin:learning_credentials_credentialconfiguration_change", args=[configuration.pk])
    html = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert '<option value="hours"' in html and ">Stunden</option>" in html

"""A passed certification exam renews a certificate that expires soon or has expired, with the new score."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from learning_credentials.exams.models import Certification
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential

pytestmark = pytest.mark.django_db
DAY = timedelta(days=1)


@pytest.fixture
def yearly(ready):
    configuration = ready.configuration
    configuration.validity_period = 12
    configuration.save()
    return ready


def expiring(credential: Credential, *, expires_in: timedelta) -> None:
    expires = timezone.now() + expires_in
    Credential.objects.filter(pk=credential.pk).update(
        created=expires - 365 * DAY, valid_from=expires - 365 * DAY, expires_at=expires
    )


@pytest.mark.parametrize("expires_in", [5 * DAY, -30 * DAY], ids=["expiring", "expired"])
def test_a_passed_retake_renews_the_certificate(yearly, sit, expires_in):
    sit(45)
    first = Credential.objects.get(status=Status.AVAILABLE)
    expiring(first, expires_in=expires_in)
    sit(45)  # the same score: no new score to record, but the certificate was due
    first.refresh_from_db()
    renewed = Credential.objects.get(replaces=first)
    assert first.invalidation_reason == "renewed" and renewed.status == Status.AVAILABLE
    assert renewed.expires_at > timezone.now() + 360 * DAY and renewed.score == Decimal(90)


def test_a_passed_retake_long_before_expiry_only_records_a_new_score(yearly, sit):
    sit(45)
    first = Credential.objects.get(status=Status.AVAILABLE)
    sit(48)
    first.refresh_from_db()
    newer = Credential.objects.get(replaces=first)
    assert first.invalidation_reason == "superseded" and newer.expires_at == first.expires_at


@pytest.mark.parametrize("fresh", [False, True], ids=["any-pass", "fresh-pass-only"])
def test_a_run_renews_on_the_old_pass_only_without_the_fresh_achievement_rule(yearly, sit, fresh):
    from learning_credentials.services.configuration import configuration_run

    configuration = yearly.configuration
    configuration.renewal_requires_fresh_achievement = fresh
    configuration.save()
    sit(45)
    first = Credential.objects.get(status=Status.AVAILABLE)
    expiring(first, expires_in=5 * DAY)  # issued 360 days ago ...
    Certification.objects.update(scored_at=timezone.now() - 361 * DAY)  # ... after the exam it records
    run = configuration_run(configuration_id=configuration.pk, source="schedule", inline=True)
    assert run.renewed == (0 if fresh else 1)
    assert Credential.objects.filter(replaces=first).exists() is not fresh


@pytest.mark.parametrize("path", ["run", "staff"])
def test_the_certification_s_stable_page_follows_a_renewal_by_any_path(yearly, sit, client, path):
    from learning_credentials.services.configuration import configuration_run
    from learning_credentials.services.issuance import credential_renew

    sit(45)
    first = Credential.objects.get(status=Status.AVAILABLE)
    expiring(first, expires_in=5 * DAY)
    if path == "run":
        assert configuration_run(configuration_id=yearly.configuration.pk, source="schedule", inline=True).renewed == 1
    else:
        credential_renew(credential=first, source="admin", reason="extended at the annual review")
    renewed = Credential.objects.get(replaces=first)
    certification = Certification.objects.get()
    assert certification.credential_id == renewed.pk
    body = client.get(f"/api/learning_credentials/v1/metadata/{certification.public_id}/").json()
    assert body["status"] == "valid" and body["expires_at"] is not None, body


def test_a_staff_reissue_of_a_certificate_keeps_the_stable_page_current(yearly, sit, client):
    from learning_credentials.services.issuance import credential_reissue

    sit(45)
    first = Credential.objects.get(status=Status.AVAILABLE)
    newer = credential_reissue(credential=first, source="admin", reason="corrected name")
    certification = Certification.objects.get()
    assert certification.credential_id == newer.pk

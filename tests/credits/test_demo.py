"""The sandbox demo awards credits with its achievement certificate and prints each learner's totals."""

import pytest
from django.core.management import call_command

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.models import Credential


@pytest.mark.django_db(transaction=True)
def test_the_demo_awards_credits_and_prints_totals(capsys):
    call_command("demo")
    out = capsys.readouterr().out
    achievements = Credential.objects.filter(type_name="Certificate of Achievement")
    assert achievements.exists()
    for credential in achievements:
        assert sorted(credential.credit_entries.values_list("credit_type__code", flat=True)) == ["HRCI", "SHRM"]
        assert f"{credential.user.username}: 1.50 HRCI credits · 1.50 SHRM PDCs" in out
    assert not CreditLedgerEntry.objects.exclude(credential__in=achievements).exists()
    assert f"Continuing-education credits ({achievements.count()} learners)" in out

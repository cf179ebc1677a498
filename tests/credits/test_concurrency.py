"""Racing awards of one credit to one learner: one entry, every caller gets it (SQLite, PostgreSQL, MariaDB)."""

import pytest

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.credits.services import credits_award
from tests import factories
from tests.concurrency import run_together

from .conftest import credit_type

WORKERS = 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_awards_create_one_entry(learner):
    shrm = credit_type("SHRM", "SHRM Professional Development Credits", "PDC", "PDCs")

    def award():
        return credits_award(user_id=learner.pk, context_key=factories.COURSE_KEY, credit_type="SHRM", amount="1.50").pk

    for _round in range(3):
        CreditLedgerEntry.objects.all().delete()
        results = run_together(award, workers=WORKERS)
        assert len(set(results)) == 1
        assert list(CreditLedgerEntry.objects.values_list("pk", flat=True)) == [results[0]]
        assert CreditLedgerEntry.objects.get().credit_type == shrm


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_award_the_credits_once(credited, completed):
    from learning_credentials.models import CredentialEvent
    from learning_credentials.services import credential_issue

    def issue():
        return credential_issue(user_id=completed.pk, configuration=credited, source=CredentialEvent.Source.EVENT).pk

    results = run_together(issue, workers=4)
    assert len(set(results)) == 1
    assert CreditLedgerEntry.objects.filter(active=True).count() == 2
    assert set(CreditLedgerEntry.objects.values_list("credential_id", flat=True)) == {results[0]}

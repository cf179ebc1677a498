"""With credits configured, a run's chunk still runs a fixed number of queries whatever its size."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from learning_credentials.credits.models import CreditLedgerEntry
from learning_credentials.credits.services import credits_award
from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential
from learning_credentials.services.configuration import configuration_issue_chunk
from tests import factories

from .conftest import SOURCE

pytestmark = pytest.mark.django_db


def learners(course, size: int, offset: int) -> list:
    users = [factories.UserFactory(username=f"bulk{offset + i}") for i in range(size)]
    for user in users:
        factories.enroll(user)
        factories.set_completion(user, course, 1.0)
    return users


def test_a_chunk_awarding_credits_runs_a_fixed_number_of_queries_whatever_its_size(
    credited, course, django_capture_on_commit_callbacks
):
    def run(size: int, offset: int) -> int:
        users = learners(course, size, offset)
        with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
            counts = configuration_issue_chunk(
                configuration_id=credited.pk, user_ids=[u.pk for u in users], run_id=None, source=SOURCE
            )
        assert counts == {"issued": size, "failed": 0, "renewed": 0}
        return len(queries)

    small, large = run(3, 0), run(30, 100)
    assert Credential.objects.filter(status=Status.AVAILABLE).count() == 33
    assert CreditLedgerEntry.objects.filter(active=True, credential__isnull=False).count() == 66
    assert large <= small + 4, (small, large)  # SQLite splits big inserts into a few batches
    assert large <= 3 * 30, large


def test_a_chunk_that_races_an_award_falls_back_to_one_award_at_a_time(
    credited, course, shrm, django_capture_on_commit_callbacks, monkeypatch
):
    """A learner awarded meanwhile (after the chunk read the ledger) keeps that entry; the others get theirs."""
    users = learners(course, 3, 0)
    read = CreditLedgerEntry.objects.filter

    def racing_read(*args, **kwargs):
        result = read(*args, **kwargs)
        if "user_id__in" in kwargs and not CreditLedgerEntry.objects.exists():
            credits_award(user_id=users[1].pk, context_key=factories.COURSE_KEY, credit_type=shrm, amount="9")
        return result

    monkeypatch.setattr(CreditLedgerEntry.objects, "filter", racing_read)
    with django_capture_on_commit_callbacks(execute=True):
        configuration_issue_chunk(
            configuration_id=credited.pk, user_ids=[u.pk for u in users], run_id=None, source=SOURCE
        )
    monkeypatch.undo()
    assert CreditLedgerEntry.objects.filter(active=True).count() == 6
    raced = CreditLedgerEntry.objects.get(user=users[1], credit_type=shrm)
    assert raced.amount == Decimal("9.00") and raced.credential_id is None
    assert Credential.objects.filter(status=Status.AVAILABLE).count() == 3

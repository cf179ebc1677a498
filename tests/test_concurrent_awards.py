"""The same award asked for from every path at once: one credential, one issuance audit row, one email.

Threads, each with its own database connection, race through the services the entry points
call: a progress event (``learner_progress_check``), a schedule chunk
(``configuration_issue_chunk``), a staff manual award (``credential_issue_or_get`` with
``manual``) and an on-demand request (``credential_request``). Celery runs eagerly, so
generation and the email happen in the racing thread, as a worker would do them after commit.
Uniqueness comes from the database constraint; on MariaDB racing inserts may deadlock (1213)
and the services retry, so no error reaches a caller (the race does that for real on MariaDB;
an injected 1213 tests the retry and its bound on every database).
"""

import itertools
import logging
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import OperationalError, connection, transaction

from learning_credentials.lifecycle import Status
from learning_credentials.models import Credential, CredentialConfiguration, CredentialEvent
from learning_credentials.services import lock_conflicts
from learning_credentials.services.configuration import configuration_issue_chunk
from learning_credentials.services.issuance import credential_issue_or_get
from learning_credentials.services.on_demand import Outcome, credential_request
from learning_credentials.services.progress import DUPLICATE, ISSUED, learner_progress_check
from tests import factories
from tests.concurrency import run_together

pytestmark = pytest.mark.django_db(transaction=True)
Kind, Source = CredentialEvent.Kind, CredentialEvent.Source
# Within PostgreSQL's 100 and MariaDB's 151 connections, with room for the test's own.
THREADS = 48
CALLS_PER_THREAD = 8
DISTINCT_LEARNERS = 96
# An award's creation is audited as ISSUED, or as MANUAL_AWARD when the staff award got there first.
CREATION = (Kind.ISSUED, Kind.MANUAL_AWARD)


class Paths:
    """One call of each issuing path for one learner; each returns (path, what the service said)."""

    def __init__(self, configuration: CredentialConfiguration, staff):
        self.configuration_id = configuration.pk
        self.context_key = str(configuration.learning_context_key)
        self.staff_id = staff.pk

    def _configuration(self) -> CredentialConfiguration:
        # Fetched per call, as each request or task does: threads share no model instances.
        return CredentialConfiguration.objects.select_related("credential_type").get(pk=self.configuration_id)

    def event(self, user_id: int):
        outcomes = learner_progress_check(user_id=user_id, context_key=self.context_key, source=Source.EVENT)
        return "event", outcomes.get(self.configuration_id)

    def schedule(self, user_id: int):
        counts = configuration_issue_chunk(
            configuration_id=self.configuration_id, user_ids=[user_id], run_id=None, source=Source.SCHEDULE
        )
        return "schedule", counts

    def admin(self, user_id: int):
        credential, created = credential_issue_or_get(
            user_id=user_id,
            configuration=self._configuration(),
            source=Source.ADMIN,
            actor_id=self.staff_id,
            manual=True,
            reason="racing award",
        )
        return "admin", (credential.pk, created)

    def learner(self, user_id: int):
        user = get_user_model().objects.get(pk=user_id)
        # No budget: generation is queued (run eagerly here) instead of waiting on the service's thread pool.
        credential, outcome = credential_request(user=user, configuration=self._configuration(), budget_seconds=0)
        return "learner", (credential.pk, outcome)

    def all(self):
        return (self.event, self.schedule, self.admin, self.learner)


def eligible_learner(username: str, course):
    user = factories.UserFactory(username=username)
    factories.enroll(user)
    factories.set_completion(user, course, 1.0)
    return user


def errors_logged(caplog) -> list[str]:
    return [f"{r.name}: {r.getMessage()}\n{r.exc_text or ''}" for r in caplog.records if r.levelno >= logging.ERROR]


def test_every_path_racing_for_one_award_issues_it_once(configuration, course, learner, staff_user, caplog):
    factories.set_completion(learner, course, 1.0)
    paths = Paths(configuration, staff_user).all()
    thread_numbers = itertools.count()

    def racer():
        number = next(thread_numbers)
        return [paths[(number + call) % len(paths)](learner.pk) for call in range(CALLS_PER_THREAD)]

    with caplog.at_level(logging.INFO):
        results = [result for thread in run_together(racer, workers=THREADS, timeout=240) for result in thread]

    assert not errors_logged(caplog), errors_logged(caplog)
    assert len(results) == THREADS * CALLS_PER_THREAD
    credential = Credential.objects.get(user=learner, configuration=configuration)  # exactly one, in any status
    assert credential.status == Status.AVAILABLE and credential.active
    creations = list(credential.events.filter(kind__in=CREATION).values_list("kind", "source"))
    assert len(creations) == 1, creations
    assert CredentialEvent.objects.filter(kind__in=CREATION).count() == 1
    assert credential.events.filter(kind=Kind.EMAIL_SENT).count() == 1
    assert [message.to for message in mail.outbox] == [[learner.email]]
    assert credential.notified_at is not None

    created_by_caller = 0
    for path, said in results:
        if path == "event":
            assert said in (ISSUED, DUPLICATE)
            created_by_caller += said == ISSUED
        elif path == "schedule":
            assert said["failed"] == 0, said  # "issued" may count a credential another path left generating
        else:
            pk, outcome = said
            assert pk == credential.pk
            if path == "admin":
                created_by_caller += outcome is True
            else:
                assert outcome in (Outcome.EXISTING, Outcome.QUEUED)  # QUEUED: created (no budget to wait)
                created_by_caller += outcome == Outcome.QUEUED
    # A chunk does not say whether it created the credential; the audit row says which path did.
    _, winner = creations[0]
    assert created_by_caller == (0 if winner == Source.SCHEDULE else 1)
    # The losers' attempts are counted on the credential (on-demand requests that find it first are not).
    assert 0 < credential.duplicate_attempts < len(results)
    assert credential.events.filter(kind=Kind.DUPLICATE_ATTEMPT).count() == 1  # audited once per hour


def test_distinct_learners_racing_each_get_one_credential(configuration, course, staff_user, caplog):
    learners = [eligible_learner(f"racer{number:03d}", course) for number in range(DISTINCT_LEARNERS)]
    paths = Paths(configuration, staff_user).all()
    pending = list(enumerate(learners))
    lock = threading.Lock()

    def racer():
        done = []
        while True:
            with lock:
                if not pending:
                    return done
                number, user = pending.pop()
            done.append(paths[number % len(paths)](user.pk))

    with caplog.at_level(logging.INFO):
        results = [result for thread in run_together(racer, workers=THREADS, timeout=240) for result in thread]

    assert not errors_logged(caplog), errors_logged(caplog)
    assert len(results) == DISTINCT_LEARNERS
    for path, said in results:
        if path == "event":
            assert said == ISSUED
        elif path == "schedule":
            assert said == {"issued": 1, "failed": 0, "renewed": 0}
        elif path == "admin":
            assert said[1] is True
        else:
            assert said[1] == Outcome.QUEUED
    credentials = Credential.objects.filter(configuration=configuration)
    assert credentials.count() == DISTINCT_LEARNERS
    assert set(credentials.values_list("user_id", flat=True)) == {user.pk for user in learners}
    assert set(credentials.values_list("status", flat=True)) == {Status.AVAILABLE}
    assert CredentialEvent.objects.filter(kind__in=CREATION).count() == DISTINCT_LEARNERS
    assert CredentialEvent.objects.filter(kind=Kind.EMAIL_SENT).count() == DISTINCT_LEARNERS
    assert sorted(message.to[0] for message in mail.outbox) == sorted(user.email for user in learners)
    assert not CredentialEvent.objects.filter(kind=Kind.DUPLICATE_ATTEMPT).exists()


class Deadlocks:
    """A connection execute_wrapper: the first ``times`` credential INSERTs fail as MariaDB's deadlock victim does."""

    def __init__(self, times: int):
        self.left, self.inserts = times, 0
        self.prefix = f"INSERT INTO {connection.ops.quote_name(Credential._meta.db_table)} "

    def __call__(self, execute, sql, params, many, context):
        if sql.startswith(self.prefix):
            self.inserts += 1
            if self.left:
                self.left -= 1
                raise OperationalError(1213, "Deadlock found when trying to get lock; try restarting transaction")
        return execute(sql, params, many, context)


def test_a_deadlock_victim_is_retried_and_issues_once(configuration, learner):
    deadlocks = Deadlocks(times=2)
    with connection.execute_wrapper(deadlocks):
        credential, created = credential_issue_or_get(
            user_id=learner.pk, configuration=configuration, source=Source.EVENT
        )
    assert created and deadlocks.inserts == 3
    assert Credential.objects.get().pk == credential.pk
    assert list(CredentialEvent.objects.filter(kind__in=CREATION).values_list("kind", flat=True)) == [Kind.ISSUED]


def test_deadlocks_are_retried_a_bounded_number_of_times(configuration, learner):
    deadlocks = Deadlocks(times=lock_conflicts.LOCK_CONFLICT_ATTEMPTS)
    with connection.execute_wrapper(deadlocks), pytest.raises(OperationalError, match="Deadlock"):
        credential_issue_or_get(user_id=learner.pk, configuration=configuration, source=Source.EVENT)
    assert deadlocks.inserts == lock_conflicts.LOCK_CONFLICT_ATTEMPTS
    assert not Credential.objects.exists() and not CredentialEvent.objects.exists()


def test_a_deadlock_inside_the_callers_transaction_is_left_to_the_caller(configuration, learner):
    """The caller's transaction was rolled back by the server: retrying inside it would run on a dead one."""
    deadlocks = Deadlocks(times=1)
    with pytest.raises(OperationalError), connection.execute_wrapper(deadlocks), transaction.atomic():
        credential_issue_or_get(user_id=learner.pk, configuration=configuration, source=Source.EVENT)
    assert deadlocks.inserts == 1
    assert not Credential.objects.exists()

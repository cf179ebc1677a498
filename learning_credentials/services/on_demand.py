"""What learners ask for themselves: a credential on demand (first download) and a reissue after a name change."""

import logging
import math
import time
from datetime import timedelta
from enum import StrEnum

from django.db import connections, transaction
from django.utils import timezone

from .. import conf
from ..eligibility import Eligibility
from ..exceptions import (
    AccessDenied,
    InvalidTransition,
    LearnerNotEligible,
    NameUnchanged,
    NotEnrolled,
    PreviouslyInvalidated,
    ReissueTooSoon,
)
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent
from ..selectors import (
    configuration_evaluate,
    credential_held,
    invalidation_reason_label,
    issuance_check,
    issuance_enabled,
    learner_current_name,
    public_code,
    user_is_enrolled,
)
from .dispatch import generation_queue
from .generation import credential_generate
from .issuance import credential_issue_or_get, credential_reissue
from .renewal import credential_renewal_due
from .threads import ProcessThreads

log = logging.getLogger(__name__)

LEARNER = CredentialEvent.Source.LEARNER
# The audit reason of a reissue the holder asked for because their name changed.
NAME_CHANGE = "name_change"
# Threads per process that generate on-demand credentials while the request waits for them.
GENERATION_THREADS = 4
# A generation that outlives its request keeps running in its thread; a queued task this much
# later finishes the job if that process died meanwhile (and finds nothing to do otherwise).
BACKUP_DELAY_SECONDS = 300


class Outcome(StrEnum):
    CREATED = "created"  # issued and generated within the request's budget (AVAILABLE, or ERROR if it failed)
    QUEUED = "queued"  # issued; generation goes on in the background
    EXISTING = "existing"  # the learner already held it; nothing was issued


def credential_request(
    *, user, configuration: CredentialConfiguration, budget_seconds: float | None = None
) -> tuple[Credential, Outcome]:
    """Issue ``configuration``'s credential to ``user`` if they qualify now, generating it within the budget.

    Returns the learner's live credential when they hold one (whatever the switches say:
    reading one's own credential is not issuing). Otherwise refuses, in this order: a learner
    whose credential was invalidated (PreviouslyInvalidated), one not enrolled (NotEnrolled),
    issuance switched off globally or for the configuration (IssuanceDisabled,
    ConfigurationDisabled), a learner who does not qualify (LearnerNotEligible with the
    progress). Then issues through credential_issue_or_get, so racing requests and the other
    paths still end with one credential, and generates it in a worker thread for at most what
    is left of ``budget_seconds`` (LEARNING_CREDENTIALS['ON_DEMAND_BUDGET_SECONDS'] by
    default, counted from the call). Generation that does not finish in time goes on in the
    background (QUEUED); the caller's status URL shows when it is done.
    """
    started = time.monotonic()
    budget = conf.get("ON_DEMAND_BUDGET_SECONDS") if budget_seconds is None else budget_seconds
    held = credential_held(user_id=user.pk, configuration=configuration)
    if held is not None and held.active:
        held.configuration = configuration
        if not credential_renewal_due(held) or not issuance_enabled(configuration=configuration):
            return held, Outcome.EXISTING
        # Due for renewal: renewed if the learner meets the criteria again, else they keep what they hold.
        verdict = configuration_evaluate(configuration=configuration, user_ids=[user.pk]).get(user.pk)
        if verdict is None or not verdict.eligible:
            return held, Outcome.EXISTING
    elif held is not None:
        raise PreviouslyInvalidated(
            f"Your credential {public_code(held)} was invalidated ({invalidation_reason_label(held)}); "
            "only staff can issue it again."
        )
    else:
        verdict = _qualifying_verdict(user=user, configuration=configuration)
    credential, created = credential_issue_or_get(
        user_id=user.pk, configuration=configuration, source=LEARNER, actor_id=user.pk, eligibility=verdict, queue=False
    )
    if not created:
        return credential, Outcome.EXISTING
    return _generate_within(credential, deadline=started + budget)


def _qualifying_verdict(*, user, configuration: CredentialConfiguration) -> Eligibility:
    """The learner's verdict when they may be issued a first credential now; the refusal in words otherwise."""
    key = configuration.learning_context_key
    if not user_is_enrolled(user_id=user.pk, context_key=key):
        raise NotEnrolled(f"You are not enrolled in {key}.")
    issuance_check(configuration=configuration)
    verdict = configuration_evaluate(configuration=configuration, user_ids=[user.pk]).get(user.pk)
    if verdict is None:  # enrolled, but in a mode this credential does not count (e.g. audit)
        raise LearnerNotEligible(
            f"Your enrollment in {key} does not earn '{configuration.credential_type}' "
            "(for example, an audit enrollment)."
        )
    if not verdict.eligible:
        raise LearnerNotEligible(
            f"You do not meet the requirements of '{configuration.credential_type}' yet.", progress=verdict.details
        )
    return verdict


def _generate_within(credential: Credential, *, deadline: float) -> tuple[Credential, Outcome]:
    remaining = deadline - time.monotonic()
    # Another connection (the worker thread's) cannot see a credential a caller's transaction has not committed.
    if remaining <= 0 or transaction.get_connection().in_atomic_block:
        _queue(credential)
        return credential, Outcome.QUEUED
    future = _threads.submit(_generate_in_thread, str(credential.pk))
    try:
        future.result(timeout=remaining)
    except TimeoutError:
        if future.cancel():  # never started: every thread was busy
            _queue(credential)
        else:
            _queue(credential, backup_after=BACKUP_DELAY_SECONDS)
        log.info("On-demand credential %s was not generated within the budget; queued", credential.pk)
        return credential, Outcome.QUEUED
    except Exception:
        log.exception("Generating on-demand credential %s in the request failed; queued", credential.pk)
        _queue(credential)
        return credential, Outcome.QUEUED
    credential.refresh_from_db()
    return credential, Outcome.CREATED


def _generate_in_thread(credential_id: str) -> None:
    try:
        credential_generate(credential_id=credential_id, source=LEARNER)
    finally:
        connections.close_all()


_threads = ProcessThreads(name="learning-credentials", size=lambda: GENERATION_THREADS)


def _queue(credential: Credential, *, backup_after: int | None = None) -> None:
    """Queue the generation task once the credential is committed; QueueUnavailable when the broker is down.

    A backup is best effort: the generation it backs up is still running, so the learner is not told.
    """
    generation_queue(
        credential_id=credential.pk,
        task_id=credential.task_id,
        required=backup_after is None,
        backup_after=backup_after,
    )


def credential_name_change_reissue(*, user, credential: Credential) -> Credential:
    """Reissue the holder's AVAILABLE credential under the name the host has for them now (seed 001).

    Only the holder may ask (AccessDenied), only for an AVAILABLE credential
    (InvalidTransition), only when the name differs from the one printed (NameUnchanged), and
    once per LEARNING_CREDENTIALS['NAME_CHANGE_REISSUE_PERIOD_DAYS'] per configuration
    (ReissueTooSoon). The old credential is invalidated as ``superseded`` through
    credential_reissue, with ``name_change`` as the audit reason; returns the new credential
    (GENERATING, its generation queued).
    """
    if credential.user_id != user.pk:
        raise AccessDenied("Only the holder can have a credential reissued for a name change.")
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        if locked.status != Status.AVAILABLE:
            raise InvalidTransition(f"Only an available credential can be reissued; this one is {locked.status}.")
        if learner_current_name(user_id=user.pk) == locked.learner_name:
            raise NameUnchanged("Your name on the platform is the one on this credential; there is nothing to change.")
        _check_period(user_id=user.pk, configuration_id=locked.configuration_id)
        new = credential_reissue(credential=locked, source=LEARNER, actor_id=user.pk, reason=NAME_CHANGE)
    new.refresh_from_db()
    return new


def _check_period(*, user_id: int, configuration_id: int) -> None:
    days = conf.get("NAME_CHANGE_REISSUE_PERIOD_DAYS")
    if not days:
        return
    period = timedelta(days=days)
    last = (
        CredentialEvent.objects.filter(
            kind=CredentialEvent.Kind.REISSUED,
            reason=NAME_CHANGE,
            credential__user_id=user_id,
            credential__configuration_id=configuration_id,
            created__gt=timezone.now() - period,
        )
        .order_by("-created")
        .values_list("created", flat=True)
        .first()
    )
    if last is not None:
        retry_after = max(1, math.ceil((last + period - timezone.now()).total_seconds()))
        raise ReissueTooSoon(
            f"This credential was reissued for a name change on {last:%Y-%m-%d}; "
            f"it can be reissued again after {(last + period):%Y-%m-%d %H:%M} UTC.",
            retry_after=retry_after,
        )

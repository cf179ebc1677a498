"""Issuing when a learner's progress changes, without waiting for the schedule.

Paths that report progress (see ``handlers.py`` for the Open edX events, ``api.notify_progress``
and ``POST /api/learning_credentials/v1/progress/`` for any host) queue one Celery task per
learner and context after commit; the task runs ``learner_progress_check``, which evaluates that
learner against every enabled configuration the progress may affect and issues through
``credential_issue_or_get``: the same service as the schedule, so it respects the kill switch,
``enabled`` and never issues again after an invalidation, and a learner who already holds the
credential is counted as a duplicate attempt instead.

A course's progress also affects the learning paths that have the course as a step.
"""

import logging
import time

from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError
from django.db.models import CharField, Q
from django.db.models.functions import Cast
from opaque_keys.edx.keys import LearningContextKey

from ..adapters import get_adapter
from ..adapters.base import is_learning_path
from ..exceptions import LearningCredentialsError, PreviouslyInvalidated
from ..identifiers import parse_context_key
from ..models import Credential, CredentialConfiguration
from ..observability import elapsed_ms, log_activity
from ..selectors import configuration_evaluate, issuance_enabled
from .dispatch import learner_check_queue
from .generation import credential_generate, credential_generation_stalled
from .issuance import credential_issue_or_get
from .renewal import credential_renewal_due

log = logging.getLogger(__name__)

PATH_PREFIX = "path-v1:"
# Outcomes of one configuration in a check (besides the codes of refusals, e.g. "previously_invalidated").
ISSUED = "issued"
DUPLICATE = "duplicate"
NOT_ELIGIBLE = "not_eligible"
NOT_ENROLLED = "not_enrolled"
FAILED = "failed"
# Database errors worth a retry of the whole task (checking again is idempotent).
TRANSIENT = (OperationalError, InterfaceError)


def _context_key(context_key) -> LearningContextKey:
    if isinstance(context_key, LearningContextKey):
        return context_key
    return parse_context_key(str(context_key))


def _enabled_configurations():
    """Enabled configurations, with their key as text: the key field parses lookup values, so prefixes need text."""
    return CredentialConfiguration.objects.filter(enabled=True).annotate(
        key_text=Cast("learning_context_key", output_field=CharField())
    )


def progress_may_matter(*, context_key) -> bool:
    """Whether progress in ``context_key`` can affect any enabled configuration; one query.

    False while issuance is switched off. For a course, any enabled learning-path configuration
    counts (the course may be one of its steps; the check finds out).
    """
    if not issuance_enabled():
        return False
    key = _context_key(context_key)
    affected = Q(learning_context_key=key)
    if not is_learning_path(key):
        affected |= Q(key_text__startswith=PATH_PREFIX)
    return _enabled_configurations().filter(affected).exists()


def configurations_for_progress(*, context_key) -> list[CredentialConfiguration]:
    """Enabled configurations progress in ``context_key`` may affect: its own, and those of paths it is a step of."""
    key = _context_key(context_key)
    enabled = _enabled_configurations().select_related("credential_type").order_by("pk")
    configurations = list(enabled.filter(learning_context_key=key))
    if is_learning_path(key):
        return configurations
    paths = list(enabled.filter(key_text__startswith=PATH_PREFIX))
    steps: dict[str, set[str]] = {}
    for path in paths:
        path_key = str(path.learning_context_key)
        if path_key not in steps:
            steps[path_key] = {str(step) for step in get_adapter().get_learning_path_steps(path.learning_context_key)}
    return configurations + [path for path in paths if str(key) in steps[str(path.learning_context_key)]]


def learner_progress_queue(*, user_id: int, context_key, source: str, order_reference: str = "") -> bool:
    """Queue ``learner_progress_check`` for after the current transaction commits.

    Returns False, queueing nothing, when no enabled configuration can be affected; raises
    InvalidContextKey for a malformed key. A broker that cannot be reached is logged, never
    raised into the caller's commit: the schedule still catches the learner later.
    """
    key = _context_key(context_key)
    if not progress_may_matter(context_key=key):
        log_activity(
            "progress_not_queued",
            level=logging.DEBUG,
            user_id=user_id,
            context=key,
            source=source,
            reason="no_enabled_configuration",
        )
        return False
    learner_check_queue(user_id=user_id, context_key=str(key), source=source, order_reference=order_reference)
    log_activity(
        "progress_queued", user_id=user_id, context=key, source=source, order_reference=order_reference or None
    )
    return True


def learner_progress_check(*, user_id: int, context_key, source: str, order_reference: str = "") -> dict[int, str]:
    """Check one learner against every enabled configuration progress in ``context_key`` may affect, and issue.

    Returns each configuration's outcome by id: ``issued``, ``duplicate`` (already held; counted
    on the credential), ``not_eligible``, ``not_enrolled``, ``failed`` or the code of a refusal
    (``previously_invalidated``, ``configuration_disabled``). Evaluation runs in bulk for the one
    learner; a learner who holds or held the credential is not evaluated at all. One
    configuration's failure never stops the others; transient database errors propagate so that
    the task retries.
    """
    started = time.monotonic()
    key = _context_key(context_key)
    outcomes: dict[int, str] = {}
    if not issuance_enabled():
        log_activity("progress_checked", user_id=user_id, context=key, source=source, outcome="issuance_disabled")
        return outcomes
    if not get_user_model().objects.filter(pk=user_id).exists():
        log_activity(
            "progress_ignored",
            level=logging.WARNING,
            user_id=user_id,
            context=key,
            source=source,
            reason="unknown_user",
        )
        return outcomes
    configurations = configurations_for_progress(context_key=key)
    held: dict[int, list[Credential]] = {}
    for credential in Credential.objects.filter(user_id=user_id, configuration__in=configurations).only(
        "pk", "configuration_id", "active", "status", "created", "expires_at", "suspended_at"
    ):
        held.setdefault(credential.configuration_id, []).append(credential)
    for configuration in configurations:
        try:
            outcomes[configuration.pk] = _check(
                user_id=user_id,
                configuration=configuration,
                held=held.get(configuration.pk, []),
                source=source,
                order_reference=order_reference,
            )
        except TRANSIENT:
            raise
        except LearningCredentialsError as exc:
            outcomes[configuration.pk] = exc.code
            log_activity(
                "progress_refused",
                level=logging.WARNING,
                user_id=user_id,
                configuration=configuration.pk,
                context=configuration.learning_context_key,
                source=source,
                code=exc.code,
                error=exc.message[:500],
            )
        except Exception as exc:
            log.exception("Checking user %s against configuration %s failed", user_id, configuration.pk)
            outcomes[configuration.pk] = FAILED
            log_activity(
                "progress_failed",
                level=logging.ERROR,
                user_id=user_id,
                configuration=configuration.pk,
                context=configuration.learning_context_key,
                source=source,
                error=f"{type(exc).__name__}: {exc}"[:500],
            )
    log_activity(
        "progress_checked",
        user_id=user_id,
        context=key,
        source=source,
        outcomes=outcomes,
        duration_ms=elapsed_ms(started),
    )
    return outcomes


def _check(
    *, user_id: int, configuration: CredentialConfiguration, held: list[Credential], source: str, order_reference: str
) -> str:
    if held and not any(credential.active for credential in held):
        return PreviouslyInvalidated.code  # only staff issue it again: evaluating would be wasted
    live = next((credential for credential in held if credential.active), None)
    if live is not None:
        live.configuration = configuration
    if live is None or credential_renewal_due(live):
        verdict = configuration_evaluate(configuration=configuration, user_ids=[user_id]).get(user_id)
        if verdict is None:
            return NOT_ENROLLED
        if not verdict.eligible:
            return NOT_ELIGIBLE
    else:
        verdict = None  # a live credential, not due for renewal: the service counts the attempt, no evaluation
    credential, created = credential_issue_or_get(
        user_id=user_id,
        configuration=configuration,
        source=source,
        eligibility=verdict,
        order_reference=order_reference,
        queue=False,
    )
    if created or credential_generation_stalled(credential):
        # Right here in this task rather than through another message: one broker trip less
        # between the learner's progress and the credential (the latency benchmark measures it).
        credential_generate(credential_id=credential.pk, source=source)
    return ISSUED if created else DUPLICATE

"""The dispatch port: the only code that sends Celery messages (see docs/decisions/0007).

Services hand work to the workers through these functions and never import ``tasks.py``;
tasks import services. A message is sent by its task's stable name, so eager mode (the
sandbox, tests) runs it in-process as before, and beat rows and queue routing keep working.

One failure policy for every message: fail fast (one more try at most, at once, no waiting).
Where a person waits for the answer (on-demand generation, "Generate now") the caller gets
QueueUnavailable to say so; anywhere else the send is logged as ``<work>_not_queued`` and
left to what recovers that work: the sweeper for generation and emails, the next scheduled
run for progress checks, chunks and runs. Nothing raises into the caller's commit.
"""

import logging
import uuid
from collections.abc import Sequence
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction
from kombu.exceptions import OperationalError as BrokerUnreachable

from ..exceptions import QueueUnavailable
from ..observability import log_activity

# Stable task names (tasks.py registers them; beat rows and EXPLICIT_QUEUES routing name them).
RUN_ALL_CONFIGURATIONS = "learning_credentials.run_all_configurations"
RUN_CONFIGURATION = "learning_credentials.run_configuration"
ISSUE_CHUNK = "learning_credentials.issue_chunk"
PREVIEW_CONFIGURATION = "learning_credentials.preview_configuration"
CHECK_LEARNER = "learning_credentials.check_learner"
GENERATE_CREDENTIAL = "learning_credentials.generate_credential"
SWEEP_GENERATING = "learning_credentials.sweep_generating"
SEND_EXPIRY_REMINDERS = "learning_credentials.send_expiry_reminders"
FLUSH_VERIFICATION_COUNTS = "learning_credentials.flush_verification_counts"
SEND_CREDENTIAL_EMAIL = "learning_credentials.send_credential_email"
SEND_CREDENTIAL_EMAILS = "learning_credentials.send_credential_emails"
EXPORT_CREDENTIALS = "learning_credentials.export_credentials"
EXPORTS_CLEANUP = "learning_credentials.exports_cleanup"
# The exams sub-app's (its tasks.py registers them while it is installed).
SEND_CERTIFICATE_REVOKED_EMAIL = "learning_credentials.exams.send_certificate_revoked_email"

# Errors that mean the broker cannot take the message now (kombu's, and socket errors of a transport).
UNREACHABLE = (BrokerUnreachable, OSError)
# At most one more try, at once, to connect and to publish (a pooled connection the broker dropped
# reconnects and sends again): a caller never waits on kombu's retry loop.
FAIL_FAST = {"max_retries": 1, "interval_start": 0, "interval_step": 0}


def generation_queue(
    *,
    credential_id: uuid.UUID | str,
    task_id: str | None = None,
    required: bool = False,
    backup_after: int | None = None,
) -> None:
    """Generate the credential in a worker once the current transaction commits.

    ``required``: QueueUnavailable when the broker is down (a learner waits for the PDF).
    ``backup_after``: a delayed backup of an in-process attempt; eager mode would run it at
    once, in the caller, so it is not sent there.
    """
    if backup_after and current_app.conf.task_always_eager:
        return
    _on_commit(
        "generation",
        GENERATE_CREDENTIAL,
        args=[str(credential_id)],
        task_id=task_id,
        countdown=backup_after,
        required=required,
        log_fields={"credential": str(credential_id)},
    )


def emails_queue(*, credential_ids: Sequence[uuid.UUID | str]) -> None:
    """Email the learners of credentials that became available together, once committed (one message)."""
    ids = [str(pk) for pk in credential_ids]
    _on_commit("emails", SEND_CREDENTIAL_EMAILS, args=[ids], log_fields={"credentials": len(ids)})


def chunk_queue(
    *, configuration_id: int, user_ids: list[int], run_id: int | None, source: str, actor_id: int | None = None
) -> None:
    """Issue one chunk of a run in a worker once the run is committed."""
    _on_commit(
        "chunk",
        ISSUE_CHUNK,
        args=[configuration_id, user_ids, run_id, source, actor_id],
        log_fields={"configuration": configuration_id, "run": run_id, "learners": len(user_ids)},
    )


def run_queue(*, configuration_id: int, source: str) -> None:
    """Run one configuration in a worker once the current transaction commits."""
    _on_commit(
        "run", RUN_CONFIGURATION, args=[configuration_id, source], log_fields={"configuration": configuration_id}
    )


def run_send(*, configuration_id: int, source: str, actor_id: int | None = None) -> str:
    """Run one configuration in a worker now ("Generate now"); its task id, or QueueUnavailable."""
    task_id = _send(
        "run",
        RUN_CONFIGURATION,
        args=[configuration_id, source, actor_id],
        required=True,
        log_fields={"configuration": configuration_id},
    )
    assert task_id is not None  # a required send raises instead of returning nothing
    return task_id


def preview_send(*, configuration_id: int, preview_id: str) -> str:
    """Preview a large configuration's run in a worker now (staff wait for it); its task id, or QueueUnavailable."""
    task_id = _send(
        "preview",
        PREVIEW_CONFIGURATION,
        args=[configuration_id, preview_id],
        required=True,
        log_fields={"configuration": configuration_id},
    )
    assert task_id is not None
    return task_id


def learner_check_queue(*, user_id: int, context_key: str, source: str, order_reference: str) -> None:
    """Check one learner's progress in a worker once the caller's transaction (e.g. a grade) commits."""
    _on_commit(
        "progress",
        CHECK_LEARNER,
        args=[user_id, context_key, source, order_reference],
        log_fields={"user_id": user_id, "context": context_key, "source": source},
    )


def export_queue(*, export_id: uuid.UUID | str) -> None:
    """Make a staff export's file in a worker once its row is committed (the cleanup fails one never sent)."""
    _on_commit("export", EXPORT_CREDENTIALS, args=[str(export_id)], log_fields={"export": str(export_id)})


def certificate_revoked_email_queue(*, credential_id: uuid.UUID | str, attempt_id: uuid.UUID | str) -> None:
    """Email the learner that a retake revoked their certificate, once the grade commits (the exams sub-app)."""
    _on_commit(
        "revoked_email",
        SEND_CERTIFICATE_REVOKED_EMAIL,
        args=[str(credential_id), str(attempt_id)],
        log_fields={"credential": str(credential_id), "attempt": str(attempt_id)},
    )


def _on_commit(work: str, task: str, **options: Any) -> None:
    transaction.on_commit(partial(_send, work, task, **options))


def _send(
    work: str,
    task: str,
    *,
    args: list,
    required: bool = False,
    task_id: str | None = None,
    countdown: int | None = None,
    log_fields: dict[str, Any],
) -> str | None:
    """Send one message by task name; the task id, or None when it could not be sent (and was logged)."""
    signature = current_app.signature(task, args=args)
    try:
        return _publish(signature, task_id=task_id, countdown=countdown).id
    except UNREACHABLE as exc:
        if required:
            raise QueueUnavailable(f"The task queue cannot be reached, so nothing was queued: {exc}") from exc
        _log_not_queued(work, reason="queue_unavailable", exc=exc, log_fields=log_fields)
    except Exception as exc:
        if required:
            raise
        _log_not_queued(work, reason="send_failed", exc=exc, log_fields=log_fields)
    return None


def _publish(signature, *, task_id: str | None, countdown: int | None):
    if current_app.conf.task_always_eager:
        return signature.apply_async(task_id=task_id, countdown=countdown)
    with current_app.producer_or_acquire() as producer:
        producer.connection.ensure_connection(**FAIL_FAST)
        return signature.apply_async(
            task_id=task_id, countdown=countdown, producer=producer, retry=True, retry_policy=FAIL_FAST
        )


def _log_not_queued(work: str, *, reason: str, exc: Exception, log_fields: dict[str, Any]) -> None:
    log_activity(
        f"{work}_not_queued",
        level=logging.ERROR,
        reason=reason,
        error=f"{type(exc).__name__}: {exc}"[:500],
        **log_fields,
    )


# Work the workers run, by task name: used by the tests that check every name is a registered task.
TASK_NAMES: tuple[str, ...] = (
    RUN_ALL_CONFIGURATIONS,
    RUN_CONFIGURATION,
    ISSUE_CHUNK,
    PREVIEW_CONFIGURATION,
    CHECK_LEARNER,
    GENERATE_CREDENTIAL,
    SWEEP_GENERATING,
    SEND_EXPIRY_REMINDERS,
    FLUSH_VERIFICATION_COUNTS,
    SEND_CREDENTIAL_EMAIL,
    SEND_CREDENTIAL_EMAILS,
    EXPORT_CREDENTIALS,
    EXPORTS_CLEANUP,
    SEND_CERTIFICATE_REVOKED_EMAIL,
)

"""Celery tasks: explicit names (beat rows and EXPLICIT_QUEUES routing survive refactors), ids in, one service call.

The names live in ``services.dispatch``, the one module that sends these messages.

Every task is ``acks_late``: a worker that dies mid-task leaves the message to be redelivered,
and every service behind a task is idempotent, so running one twice is safe.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from .services import credential_generate, dispatch
from .services.configuration import configuration_issue_chunk, configuration_run, configurations_run_all
from .services.exports import credential_export_run, credential_exports_expire
from .services.notification import credential_notify, credentials_notify
from .services.progress import learner_progress_check
from .services.renewal import expiry_reminders_send
from .services.run_preview import configuration_preview_compute
from .services.sweeper import credentials_sweep
from .services.verification_counts import verification_counts_flush

# Errors worth another try: the database or a network peer may be back in a moment.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)
# A worker that dies mid-task (even killed -9) leaves the message to be redelivered: acknowledged
# only once the task returns, rejected back to the queue when its pool process is lost.
ALWAYS = {"acks_late": True, "reject_on_worker_lost": True}
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name=dispatch.RUN_ALL_CONFIGURATIONS, **ALWAYS, **RETRY)
def run_all_configurations(source: str = "schedule") -> list[int]:
    """Queue a run of every enabled configuration."""
    return configurations_run_all(source=source)


@shared_task(name=dispatch.RUN_CONFIGURATION, **ALWAYS, **RETRY)
def run_configuration(configuration_id: int, source: str = "schedule", actor_id: int | None = None) -> int | None:
    """Plan one configuration's run (beat passes the configuration's id; staff's "Generate now" their own too)."""
    run = configuration_run(configuration_id=configuration_id, source=source, actor_id=actor_id)
    return run.pk if run else None


@shared_task(name=dispatch.ISSUE_CHUNK, **ALWAYS, **RETRY)
def issue_chunk(
    configuration_id: int,
    user_ids: list[int],
    run_id: int | None = None,
    source: str = "schedule",
    actor_id: int | None = None,
) -> dict:
    """Issue and generate one chunk of a run."""
    return configuration_issue_chunk(
        configuration_id=configuration_id, user_ids=user_ids, run_id=run_id, source=source, actor_id=actor_id
    )


@shared_task(name=dispatch.PREVIEW_CONFIGURATION, **ALWAYS, **RETRY)
def preview_configuration(configuration_id: int, preview_id: str) -> dict:
    """Preview what a run of a large configuration would do, leaving its progress for the admin page."""
    return configuration_preview_compute(configuration_id=configuration_id, preview_id=preview_id)


@shared_task(name=dispatch.CHECK_LEARNER, **ALWAYS, **RETRY)
def check_learner(user_id: int, context_key: str, source: str = "event", order_reference: str = "") -> dict[str, str]:
    """Check one learner whose progress changed against the configurations it affects, and issue."""
    outcomes = learner_progress_check(
        user_id=user_id, context_key=context_key, source=source, order_reference=order_reference
    )
    return {str(configuration_id): outcome for configuration_id, outcome in outcomes.items()}


@shared_task(name=dispatch.GENERATE_CREDENTIAL, **ALWAYS, **RETRY)
def generate_credential(credential_id: str) -> str:
    """Render and store one credential's artifact."""
    return credential_generate(credential_id=credential_id).status


@shared_task(name=dispatch.SWEEP_GENERATING, **ALWAYS, **RETRY)
def sweep_generating() -> dict[str, int]:
    """Send credentials stuck in GENERATING (their lease expired) to ERROR and retry them (beat, every minute)."""
    return credentials_sweep()


@shared_task(name=dispatch.SEND_EXPIRY_REMINDERS, **ALWAYS, **RETRY)
def send_expiry_reminders() -> dict[str, int]:
    """Remind holders whose credential expires soon, once per offset (beat, hourly); failed ones go next hour."""
    return expiry_reminders_send()


@shared_task(name=dispatch.FLUSH_VERIFICATION_COUNTS, **ALWAYS, **RETRY)
def flush_verification_counts() -> dict[str, int]:
    """Move the closed buckets of verification counts from the cache to the database (beat)."""
    return verification_counts_flush()


# Any email failure is retried with backoff (the credential itself is never touched).
EMAIL_RETRY = {"autoretry_for": (Exception,), "retry_backoff": 30, "retry_backoff_max": 3600, "max_retries": 8}


@shared_task(name=dispatch.SEND_CREDENTIAL_EMAIL, **ALWAYS, **EMAIL_RETRY)
def send_credential_email(credential_id: str) -> bool:
    """Email one learner (kept for messages queued by earlier releases)."""
    return credential_notify(credential_id=credential_id)


@shared_task(name=dispatch.SEND_CREDENTIAL_EMAILS, **ALWAYS, **EMAIL_RETRY)
def send_credential_emails(credential_ids: list[str]) -> int:
    """Email the learners of credentials that became available together (one generation or chunk)."""
    return credentials_notify(credential_ids=credential_ids)


@shared_task(name=dispatch.EXPORT_CREDENTIALS, **ALWAYS, **RETRY)
def export_credentials(export_id: str) -> str | None:
    """Make one staff export's file (CSV or ZIP of PDFs) and save it to the storage."""
    export = credential_export_run(export_id=export_id)
    return export.status if export else None


@shared_task(name=dispatch.EXPORTS_CLEANUP, **ALWAYS, **RETRY)
def exports_cleanup() -> dict[str, int]:
    """Delete the files of exports whose download link expired (beat, hourly)."""
    return credential_exports_expire()

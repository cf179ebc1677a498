"""The exams' Celery task: the periodic sweep of idle exam attempts (beat runs it; see attempts.ATTEMPTS_SWEEP_TASK)."""

from celery import shared_task

from .attempts import EXPIRE_ATTEMPTS, attempts_expire


@shared_task(name=EXPIRE_ATTEMPTS, acks_late=True, reject_on_worker_lost=True)
def expire_attempts() -> int:
    """Discard exam attempts idle past EXAMS' IDLE_TIMEOUT_SECONDS (``expired``); idempotent."""
    return attempts_expire()

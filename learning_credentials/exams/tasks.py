"""The exams' Celery tasks: the periodic sweep of idle attempts (beat runs it) and the revocation email.

The email's name lives in the core's dispatch port, which sends it; the sweep's only beat sends.
"""

from celery import shared_task

from ..services.dispatch import SEND_CERTIFICATE_REVOKED_EMAIL
from ..tasks import ALWAYS, EMAIL_RETRY
from .attempts import EXPIRE_ATTEMPTS, attempts_expire
from .notifications import certificate_revoked_notify


@shared_task(name=EXPIRE_ATTEMPTS, acks_late=True, reject_on_worker_lost=True)
def expire_attempts() -> int:
    """Discard exam attempts idle past EXAMS' IDLE_TIMEOUT_SECONDS (``expired``); idempotent."""
    return attempts_expire()


@shared_task(name=SEND_CERTIFICATE_REVOKED_EMAIL, **ALWAYS, **EMAIL_RETRY)
def send_certificate_revoked_email(credential_id: str, attempt_id: str) -> bool:
    """Email the learner that a retake revoked their certificate; once, however often it runs."""
    return certificate_revoked_notify(credential_id=credential_id, attempt_id=attempt_id)

"""Celery tasks: explicit names (beat rows and EXPLICIT_QUEUES routing survive refactors), ids in, one service call."""

from celery import shared_task

from .services import credential_generate


@shared_task(name="learning_credentials.generate_credential", acks_late=True)
def generate_credential(credential_id: str) -> str:
    """Render and store one credential's artifact."""
    return credential_generate(credential_id=credential_id).status

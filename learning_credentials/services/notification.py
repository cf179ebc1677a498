"""Telling learners their credential is available: edx-ace in Open edX, Django's mail elsewhere."""

import logging

from django.apps import apps
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from .. import conf
from ..adapters import get_adapter
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..selectors import verify_url
from .common import event_record

log = logging.getLogger(__name__)
TEMPLATES = "learning_credentials/email/credential_available"


def _use_ace() -> bool:
    setting = conf.get("EMAIL_VIA_ACE")
    if setting == "auto":
        return apps.is_installed("edx_ace")
    return bool(setting)


def credential_notify(*, credential_id: str) -> bool:
    """Email the learner once that their credential is available; True when an email went out.

    Idempotent: ``notified_at`` is set in the same transaction, so a redelivered task or an
    overlapping run sends nothing more. A failure is audited and raised for the task to retry;
    it never touches the credential's status.
    """
    try:
        with transaction.atomic():
            return _notify_locked(credential_id=credential_id)
    except _SendFailed as failure:
        event_record(
            credential=Credential.objects.get(pk=credential_id),
            kind=CredentialEvent.Kind.EMAIL_FAILED,
            source=CredentialEvent.Source.SYSTEM,
            reason=str(failure.__cause__)[:2000],
        )
        raise failure.__cause__ from None


class _SendFailed(Exception):
    """Carries a sending error out of the transaction so that it rolls back."""


def _notify_locked(*, credential_id: str) -> bool:
    credential = Credential.objects.select_for_update().select_related("configuration").get(pk=credential_id)
    if credential.notified_at is not None or credential.status != Status.AVAILABLE:
        return False
    adapter = get_adapter()
    learner = adapter.get_learners([credential.user_id]).get(credential.user_id)
    if learner is None or not learner.email:
        return False
    context = {
        "learner_name": credential.learner_name,
        "type_name": credential.type_name,
        "context_name": credential.context_name,
        "verify_url": verify_url(credential),
        "download_url": conf.base_url() + reverse("learning_credentials:download", kwargs={"uuid": credential.pk}),
        "platform_name": adapter.get_organization_name(credential.configuration.learning_context_key),
    }
    try:
        channel = _send_ace(learner, context) if _use_ace() else _send_django(learner, context)
    except Exception as exc:
        raise _SendFailed() from exc
    credential.notified_at = timezone.now()
    credential.save(update_fields=["notified_at", "modified"])
    event_record(
        credential=credential,
        kind=CredentialEvent.Kind.EMAIL_SENT,
        source=CredentialEvent.Source.SYSTEM,
        details={"channel": channel, "language": learner.language},
    )
    return True


def _send_django(learner, context: dict) -> str:
    with translation.override(learner.language):
        subject = " ".join(render_to_string(f"{TEMPLATES}/subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{TEMPLATES}/body.txt", context),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[learner.email],
            headers={"Content-Language": learner.language},
        )
        message.attach_alternative(render_to_string(f"{TEMPLATES}/body.html", context), "text/html")
        message.send()
    return "django"


def _send_ace(learner, context: dict) -> str:
    from edx_ace import ace
    from edx_ace.recipient import Recipient

    from ..message_types import CredentialAvailable

    message = CredentialAvailable(options={"transactional": True}).personalize(
        recipient=Recipient(lms_user_id=learner.user_id, email_address=learner.email),
        language=learner.language,
        user_context=context,
    )
    ace.send(message)
    return "ace"

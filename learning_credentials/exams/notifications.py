"""Telling a learner that a retake revoked their certificate (seed 004 §2.8): the core's mail paths, once.

The grade queues the email through the dispatch port once it commits (``certificates``); the task
calls ``certificate_revoked_notify``. It goes out as the core's available email does (edx-ace in
Open edX, Django's mail elsewhere), in the learner's language, and is audited on the revoked
credential as ``email_sent`` (or ``email_failed``, then retried by the task).
"""

from django.db import transaction
from django.urls import reverse

from .. import conf
from ..adapters import get_adapter
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..selectors import context_site, verify_url
from ..services.notification import learner_email_send
from .conf import exam_settings
from .models import Attempt
from .selectors import EXAM_FAILED

# The ``email`` of the audit rows' details: which email of the credential they are about.
REVOKED_EMAIL = "certificate_revoked"
TEMPLATES = "learning_credentials/email/certificate_revoked"
ACE_MESSAGE_TYPE = "learning_credentials.exams.message_types.CertificateRevoked"


def certificate_revoked_notify(*, credential_id: str, attempt_id: str) -> bool:
    """Email the learner once that the attempt's score revoked the credential; True when an email went out.

    Idempotent: the credential is locked and its ``email_sent`` row written in the transaction that
    sends, so a redelivered task sends nothing more. A failed email is audited, then its error raised
    for the task to retry.
    """
    if not conf.get("EMAIL_ENABLED"):
        return False
    with transaction.atomic():
        credential = (
            Credential.objects.select_for_update()
            .select_related("configuration")
            .filter(pk=credential_id, status=Status.INVALIDATED, invalidation_reason=EXAM_FAILED)
            .first()
        )
        attempt = Attempt.objects.filter(pk=attempt_id, status=Attempt.Status.GRADED).first()
        if credential is None or attempt is None or credential.user_id is None:
            return False
        sent = credential.events.filter(kind=CredentialEvent.Kind.EMAIL_SENT, details__email=REVOKED_EMAIL)
        learner = get_adapter().get_learners([credential.user_id]).get(credential.user_id)
        if sent.exists() or learner is None or not learner.email:
            return False
        site = context_site(context_key=credential.configuration.learning_context_key)
        context = {
            "learner_name": credential.learner_name,
            "type_name": credential.type_name,
            "context_name": credential.context_name,
            "score": attempt.score,
            "pass_mark": exam_settings().pass_mark,
            "exam_url": site.base_url
            + reverse("learning_credentials:certification-exam", kwargs={"context_key": str(attempt.context_key)}),
            "verify_url": verify_url(credential, site=site),
            "platform_name": site.platform_name,
            "logo_url": site.logo_url,
        }
        try:
            delivery = learner_email_send(
                learner=learner,
                context=context,
                from_email=site.from_email,
                templates=TEMPLATES,
                ace_message_type=ACE_MESSAGE_TYPE,
            )
        except Exception as exc:  # audited, then retried by the task
            failure = exc
            _audit(credential, CredentialEvent.Kind.EMAIL_FAILED, reason=str(exc)[:2000])
        else:
            _audit(credential, CredentialEvent.Kind.EMAIL_SENT, details={**delivery, "language": learner.language})
            return True
    raise failure


def _audit(credential: Credential, kind: str, *, details: dict | None = None, **fields) -> None:
    CredentialEvent.objects.create(
        credential=credential,
        kind=kind,
        source=CredentialEvent.Source.SYSTEM,
        details={"email": REVOKED_EMAIL, **(details or {})},
        **fields,
    )

"""Telling learners their credential is available: edx-ace in Open edX, Django's mail elsewhere."""

import logging
from collections.abc import Sequence

from django.apps import apps
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.module_loading import import_string

from .. import conf
from ..adapters import get_adapter
from ..adapters.base import Site
from ..exceptions import EmailNotDelivered
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..selectors import context_sites, public_identities_attach, verify_url
from .bulk_writes import credentials_write

log = logging.getLogger(__name__)
TEMPLATES = "learning_credentials/email/credential_available"
ACE_MESSAGE_TYPE = "learning_credentials.message_types.CredentialAvailable"


def _use_ace() -> bool:
    setting = conf.get("EMAIL_VIA_ACE")
    if setting == "auto":
        return apps.is_installed("edx_ace")
    return bool(setting)


def credential_notify(*, credential_id: str) -> bool:
    """Email the learner once that their credential is available; True when an email went out."""
    return credentials_notify(credential_ids=[credential_id]) == 1


def credentials_notify(*, credential_ids: Sequence) -> int:
    """Email each learner once that their credential is available; returns how many emails went out.

    Idempotent: ``notified_at`` is set in the same transaction, so a redelivered task or an
    overlapping run sends nothing more. A fixed number of queries for any number of credentials.
    A failed email is audited and, once the others are recorded, its error is raised for the
    task to retry; it never touches a credential's status.
    """
    now = timezone.now()
    with transaction.atomic():
        credentials = list(
            Credential.objects.select_for_update()
            .select_related("configuration")
            .filter(pk__in=credential_ids, status=Status.AVAILABLE, notified_at__isnull=True)
        )
        if not credentials:
            return 0
        learners = get_adapter().get_learners(sorted({credential.user_id for credential in credentials}))
        # On a multi-site platform each context's emails come from its own site: name, logo, sender, links.
        sites = context_sites(
            context_keys=[credential.configuration.learning_context_key for credential in credentials]
        )
        public_identities_attach(credentials)
        sent, events, errors = [], [], []
        with _Mailer() as mailer:
            for credential in credentials:
                learner = learners.get(credential.user_id)
                if learner is None or not learner.email:
                    continue
                site = sites[credential.configuration.learning_context_key]
                try:
                    delivery = _send(learner, credential_email_context(credential, site), site.from_email, mailer)
                except Exception as exc:
                    errors.append(exc)
                    events.append(system_event(credential, CredentialEvent.Kind.EMAIL_FAILED, reason=str(exc)[:2000]))
                    continue
                credential.notified_at, credential.modified = now, now
                sent.append(credential)
                events.append(
                    system_event(
                        credential,
                        CredentialEvent.Kind.EMAIL_SENT,
                        details={**delivery, "language": learner.language},
                    )
                )
        credentials_write(sent, ["notified_at", "modified"])
        CredentialEvent.objects.bulk_create(events)
    if errors:
        raise errors[0]
    return len(sent)


def learner_email_send(*, learner, context: dict, from_email: str, templates: str, ace_message_type: str) -> dict:
    """Send one email to one learner in their language, as the available email goes; how it went out.

    For the other emails of the app and its sub-apps: ``templates`` holds subject.txt, body.txt and
    body.html for Django's mail; ``ace_message_type`` names edx-ace's message type (imported only when
    edx-ace sends). Raises the error of an email not delivered, for the caller to audit and retry.
    """
    with _Mailer() as mailer:
        return _send(learner, context, from_email, mailer, templates=templates, ace_message_type=ace_message_type)


def system_event(credential: Credential, kind: str, **fields) -> CredentialEvent:
    """An unsaved audit row of the system's own doing (an email sent or failed), for a bulk insert."""
    return CredentialEvent(credential=credential, kind=kind, source=CredentialEvent.Source.SYSTEM, **fields)


def credential_email_context(credential: Credential, site: Site) -> dict:
    """What every email about a credential may print: names, its links and the site's name and logo."""
    return {
        "learner_name": credential.learner_name,
        "type_name": credential.type_name,
        "context_name": credential.context_name,
        "verify_url": verify_url(credential, site=site),
        "download_url": site.base_url + reverse("learning_credentials:download", kwargs={"uuid": credential.pk}),
        "platform_name": site.platform_name,
        "logo_url": site.logo_url,
    }


def _send(
    learner,
    context: dict,
    from_email: str,
    mailer: "_Mailer",
    *,
    templates: str = TEMPLATES,
    ace_message_type: str = ACE_MESSAGE_TYPE,
) -> dict[str, object]:
    """Send one email; how it went out (the audit row's details), or the error of an email not delivered."""
    if _use_ace():
        return _send_ace(learner, context, from_email, ace_message_type)
    return _send_django(learner, context, from_email, mailer, templates)


class _Mailer:
    """One connection to the mail server for a batch of emails, not one per email (an SMTP session each).

    Opened with the first email; if it cannot be opened, every email of the batch fails with
    that error at once (audited, retried by the task) instead of waiting for a timeout each.
    """

    def __init__(self):
        self.connection = None
        self.broken: Exception | None = None

    def __enter__(self) -> "_Mailer":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.connection is None:
            return
        try:
            self.connection.close()
        except Exception:  # the emails went out: a failing goodbye must not undo their records
            log.warning("Closing the mail connection failed", exc_info=True)

    def send(self, message: EmailMultiAlternatives) -> None:
        if self.broken is not None:
            raise self.broken
        if self.connection is None:
            connection = get_connection()
            try:
                connection.open()
            except Exception as exc:
                self.broken = exc
                raise
            self.connection = connection
        message.connection = self.connection
        message.send()


def _send_django(learner, context: dict, from_email: str, mailer: _Mailer, templates: str) -> dict[str, object]:
    with translation.override(learner.language):
        subject = " ".join(render_to_string(f"{templates}/subject.txt", context).split())
        message = EmailMultiAlternatives(
            subject=subject,
            body=render_to_string(f"{templates}/body.txt", context),
            from_email=from_email,
            to=[learner.email],
            headers={"Content-Language": learner.language},
        )
        message.attach_alternative(render_to_string(f"{templates}/body.html", context), "text/html")
        mailer.send(message)
    return {"channel": "django"}


def _send_ace(learner, context: dict, from_email: str, ace_message_type: str) -> dict[str, object]:
    """Hand the email to edx-ace and find out whether a channel delivered it.

    ``ace.send`` logs and swallows a missing template, a channel's error and an expired delivery,
    and returns nothing either way; edx-ace sends ACE_MESSAGE_SENT once a channel took the message.
    Without that signal the email is not delivered: EmailNotDelivered, so that it is audited as
    failed and retried like a refused email of the Django path.
    """
    from edx_ace import ace
    from edx_ace.recipient import Recipient
    from edx_ace.signals import ACE_MESSAGE_SENT

    options = {"transactional": True, "from_address": from_email}  # edx-ace's channels send from from_address
    message = import_string(ace_message_type)(options=options).personalize(
        recipient=Recipient(lms_user_id=learner.user_id, email_address=learner.email),
        language=learner.language,
        user_context=context,
    )
    message_uuid, channels = str(message.uuid), []

    def delivered(sender, **kwargs) -> None:
        sent = kwargs.get("message") or {}  # edx-ace's summary of the message a channel took
        if sent.get("uuid") == message_uuid:
            channels.append(str(sent.get("channel")))

    ACE_MESSAGE_SENT.connect(delivered)
    try:
        ace.send(message)
    finally:
        ACE_MESSAGE_SENT.disconnect(delivered)
    if not channels:
        raise EmailNotDelivered(
            "edx-ace took the email but no channel delivered it (a missing template, a channel error or an "
            "expired delivery; edx-ace's log says which)."
        )
    return {"channel": "ace", "ace_channels": channels}

"""Suspending a credential and lifting the suspension: staff hold a valid credential back, audited.

Outside the lifecycle: the credential stays AVAILABLE, its file and links stay, and every public
surface says "suspended since <date>" (revoked or superseded still come first). Sub-apps mirror it
through ``credential_suspension_changed``, sent in the same transaction (open_badges: the suspension bit).
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..exceptions import InvalidTransition
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..signals import credential_suspension_changed


def _changed(credential: Credential, *, suspended: bool, source: str, actor_id: int | None, reason: str) -> Credential:
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        if locked.status != Status.AVAILABLE:
            raise InvalidTransition(
                _(
                    "Only a valid credential can be suspended or have its suspension lifted; "
                    "this one's status is “%(status)s”."
                )
                % {"status": locked.get_status_display()}
            )
        if (locked.suspended_at is not None) == suspended:
            return locked  # already so: nothing to record
        locked.suspended_at = timezone.now() if suspended else None
        locked.suspension_reason = reason if suspended else ""
        locked.save(update_fields=["suspended_at", "suspension_reason", "modified"])
        CredentialEvent.objects.create(
            credential=locked,
            kind=CredentialEvent.Kind.SUSPENDED if suspended else CredentialEvent.Kind.SUSPENSION_LIFTED,
            source=source,
            actor_id=actor_id,
            reason=reason,
        )
        credential_suspension_changed.send(sender=Credential, credential=locked, suspended=suspended)
    return locked


def credential_suspend(*, credential: Credential, reason: str, source: str, actor_id: int | None = None) -> Credential:
    """Hold a valid credential back (an inquiry): public surfaces say suspended until it is lifted or invalidated."""
    return _changed(credential, suspended=True, source=source, actor_id=actor_id, reason=reason)


def credential_suspension_lift(
    *, credential: Credential, source: str, actor_id: int | None = None, reason: str = ""
) -> Credential:
    """The credential is valid again, publicly."""
    return _changed(credential, suspended=False, source=source, actor_id=actor_id, reason=reason)

"""Status transitions: the lifecycle's rule applied to a locked credential, saved and audited together."""

from typing import Any

from ..lifecycle import Status, check_transition
from ..models import Credential, CredentialEvent
from .announcement import credential_announce_on_commit
from .audit import event_record


def credential_transition(
    *,
    credential: Credential,
    to: str,
    source: str,
    kind: str = CredentialEvent.Kind.STATUS_CHANGED,
    actor_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> CredentialEvent:
    """Move a locked credential to ``to`` (or raise InvalidTransition), save it and audit it.

    Reaching AVAILABLE or INVALIDATED is announced to the host after commit (services.announcement).
    """
    current = credential.status
    check_transition(current, to)
    credential.status = to
    credential.active = None if to == Status.INVALIDATED else True
    fields = ["status", "active", "modified", *update_fields]
    if to != Status.GENERATING and credential.lease_expires_at is not None:
        credential.lease_expires_at = None  # the claim of a generation attempt ends with GENERATING
        fields.append("lease_expires_at")
    credential.save(update_fields=fields)
    event = event_record(
        credential=credential,
        kind=kind,
        source=source,
        actor_id=actor_id,
        reason=reason,
        details=details,
        from_status=current,
        to_status=to,
    )
    credential_announce_on_commit(credential=credential)
    return event

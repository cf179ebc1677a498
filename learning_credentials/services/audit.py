"""Audit rows: one CredentialEvent for each thing that happens to a credential."""

from typing import Any

from ..models import Credential, CredentialEvent


def event_record(
    *,
    credential: Credential,
    kind: str,
    source: str,
    actor_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> CredentialEvent:
    return CredentialEvent.objects.create(
        credential=credential,
        kind=kind,
        source=source,
        actor_id=actor_id,
        reason=reason,
        details=details or {},
        from_status=from_status,
        to_status=to_status,
    )

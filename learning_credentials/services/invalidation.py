"""Invalidating credentials (refund, issued in error, superseded by a reissue)."""

import time

from django.db import transaction
from django.utils import timezone

from ..exceptions import InvalidOptions
from ..lifecycle import Status
from ..models import Credential, CredentialEvent
from ..observability import elapsed_ms, log_credential_activity
from ..selectors import invalidation_reasons
from ..signals import credential_invalidating
from .artifacts import artifact_delete
from .transitions import credential_transition


def credential_invalidate(
    *,
    credential: Credential,
    category: str,
    source: str,
    actor_id: int | None = None,
    reason: str = "",
    note: str = "",
) -> Credential:
    """Invalidate a credential for good: it stays verifiable as revoked or superseded.

    ``category`` is shown publicly; ``note`` is for staff only; ``reason`` goes to the audit
    trail. An AVAILABLE credential's file is archived for staff; the half-made file of a
    GENERATING or ERROR credential is discarded.
    """
    started = time.monotonic()
    if category not in invalidation_reasons():
        raise InvalidOptions(
            errors={"category": [f"Unknown reason category; known: {', '.join(invalidation_reasons())}."]}
        )
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        previous_status, artifact = locked.status, locked.artifact
        locked.invalidated_at = timezone.now()
        locked.invalidation_reason = category
        locked.invalidation_note = note
        discard = previous_status != Status.AVAILABLE and bool(artifact)
        if discard:
            locked.artifact = ""
        credential_transition(
            credential=locked,
            to=Status.INVALIDATED,
            source=source,
            kind=CredentialEvent.Kind.INVALIDATED,
            actor_id=actor_id,
            reason=reason,
            details={"category": category},
            update_fields=("invalidated_at", "invalidation_reason", "invalidation_note", "artifact"),
        )
        credential_invalidating.send(sender=Credential, credential=locked, category=category)
        if discard:
            transaction.on_commit(lambda: artifact_delete(artifact))
    log_credential_activity(
        "invalidated",
        locked,
        source=source,
        actor_id=actor_id,
        category=category,
        from_status=previous_status,
        duration_ms=elapsed_ms(started),
    )
    return locked

"""Pieces the services share: status transitions with their audit row, artifact storage."""

import secrets
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import storages

from .. import conf
from ..exceptions import AssetMissing
from ..lifecycle import Status, check_transition
from ..models import Credential, CredentialAsset, CredentialEvent
from ..rendering import Artifact


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
    """Move a locked credential to ``to`` (or raise InvalidTransition), save it and audit it."""
    current = credential.status
    check_transition(current, to)
    credential.status = to
    credential.active = None if to == Status.INVALIDATED else True
    credential.save(update_fields=["status", "active", "modified", *update_fields])
    return event_record(
        credential=credential,
        kind=kind,
        source=source,
        actor_id=actor_id,
        reason=reason,
        details=details,
        from_status=current,
        to_status=to,
    )


def artifact_storage():
    return storages[conf.get("STORAGE")]


def artifact_save(*, credential: Credential, artifact: Artifact) -> str:
    """Store an artifact under a non-guessable name and return that name."""
    name = f"{conf.get('ARTIFACT_PREFIX')}/{credential.pk}/{secrets.token_urlsafe(24)}.{artifact.extension}"
    return artifact_storage().save(name, ContentFile(artifact.content))


def artifact_delete(name: str) -> None:
    if name:
        artifact_storage().delete(name)


def asset_load(slug: str) -> bytes:
    """Bytes of the asset ``slug``; AssetMissing when there is no such asset or file."""
    asset = CredentialAsset.objects.filter(slug=slug).first()
    if asset is None:
        raise AssetMissing(f"There is no credential asset with the slug '{slug}'.")
    try:
        with asset.file.open("rb") as file:
            return file.read()
    except (FileNotFoundError, OSError) as exc:
        raise AssetMissing(f"The file of credential asset '{slug}' cannot be read: {exc}") from exc

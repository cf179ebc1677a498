"""The holder's settings of a credential: public or private (who may verify it), and the like."""

from django.db import transaction

from ..exceptions import InvalidOptions
from ..models import Credential, CredentialEvent, Visibility
from .audit import event_record


def credential_set_visibility(
    *, credential: Credential, visibility: str, source: str, actor_id: int | None = None
) -> Credential:
    """Make a credential public or private; audited, and a no-op (no event) when it already is."""
    if visibility not in Visibility.values:
        raise InvalidOptions(errors={"visibility": [f"Use one of: {', '.join(Visibility.values)}."]})
    return holder_setting_set(
        credential=credential,
        field="visibility",
        value=visibility,
        kind=CredentialEvent.Kind.VISIBILITY_CHANGED,
        source=source,
        actor_id=actor_id,
    )


def holder_setting_set(
    *, credential: Credential, field: str, value, kind: str, source: str, actor_id: int | None = None
) -> Credential:
    """Change a setting the holder decides (visibility, verification counting) under the credential's lock;
    audited as ``kind`` with its old and new value, and a no-op (no event) when it already is so."""
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        previous = getattr(locked, field)
        if previous == value:
            return locked
        setattr(locked, field, value)
        locked.save(update_fields=[field, "modified"])
        event_record(
            credential=locked, kind=kind, source=source, actor_id=actor_id, details={"from": previous, "to": value}
        )
    return locked

"""Public or private: the holder decides who may verify a credential."""

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
    with transaction.atomic():
        locked = Credential.objects.select_for_update().get(pk=credential.pk)
        if locked.visibility == visibility:
            return locked
        previous, locked.visibility = locked.visibility, visibility
        locked.save(update_fields=["visibility", "modified"])
        event_record(
            credential=locked,
            kind=CredentialEvent.Kind.VISIBILITY_CHANGED,
            source=source,
            actor_id=actor_id,
            details={"from": previous, "to": visibility},
        )
    return locked

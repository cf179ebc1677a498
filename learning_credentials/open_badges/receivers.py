"""The core's in-transaction signals, answered: status entries at issue, the revocation bit at invalidation."""

from .models import SignedCredential, StatusList
from .status import status_bit_set, status_entries_allocate


def status_entries_with_credentials(sender, credentials, **kwargs) -> None:
    """Credentials were inserted: each gets its random indexes in its issuer's lists, in the same transaction."""
    status_entries_allocate(credentials=credentials)


def revocation_bit_with_invalidation(sender, credential, **kwargs) -> None:
    """A credential is being invalidated (revoked, refunded, superseded, retired): its revocation bit is set with it."""
    status_bit_set(credential=credential, purpose=StatusList.Purpose.REVOCATION)


def signed_documents_for_retired_learner(sender, user_id, **kwargs) -> None:
    """A learner is retired: their signed documents (which print their name) go; their revocation bits are set,
    as the core invalidated their credentials in this transaction."""
    SignedCredential.objects.filter(credential__user_id=user_id).delete()

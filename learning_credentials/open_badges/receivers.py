"""The core's in-transaction signals, answered: status entries at issue, the revocation bit at invalidation."""

from django.urls import reverse
from django.utils.translation import gettext as _

from ..lifecycle import Status
from ..selectors import CredentialDocument
from .keys import signing_configured
from .models import SignedCredential, StatusList
from .status import status_bit_set, status_entries_allocate


def status_entries_with_credentials(sender, credentials, **kwargs) -> None:
    """Credentials were inserted: each gets its random indexes in its issuer's lists, in the same transaction.

    Nothing is signed here: signing the VC-JWTs in the issuing transaction measured 9 to 15 % of a
    scheduled run's throughput (docs/performance.rst); each document is signed on its first request.
    """
    status_entries_allocate(credentials=credentials)


def revocation_bit_with_invalidation(sender, credential, **kwargs) -> None:
    """A credential is being invalidated (revoked, refunded, superseded, retired): its revocation bit is set with it."""
    status_bit_set(credential=credential, purpose=StatusList.Purpose.REVOCATION)


def signed_documents_for_retired_learner(sender, user_id, **kwargs) -> None:
    """A learner is retired: their signed documents (which print their name) go; their revocation bits are set,
    as the core invalidated their credentials in this transaction."""
    SignedCredential.objects.filter(credential__user_id=user_id).delete()


def signed_documents_offered(sender, credential, **kwargs) -> list[CredentialDocument]:
    """The credential's signed Open Badge, in both forms, for the learner's page and the verification page."""
    if credential.status not in (Status.AVAILABLE, Status.INVALIDATED) or not signing_configured():
        return []
    return [
        CredentialDocument(
            label=_("Open Badge (signed JSON-LD)"),
            url=reverse("learning_credentials:open-badges-ob3", kwargs={"verify_uuid": credential.verify_uuid}),
            help=_("for digital wallets and Open Badges 3.0 verifiers"),
        ),
        CredentialDocument(
            label=_("Open Badge (VC-JWT)"),
            url=reverse("learning_credentials:open-badges-jwt", kwargs={"verify_uuid": credential.verify_uuid}),
            help=_("the same credential as a signed JSON Web Token"),
        ),
    ]


def suspension_bit_with_suspension(sender, credential, suspended, **kwargs) -> None:
    """Staff suspended a credential (or lifted it): its suspension bit follows, in the same transaction."""
    status_bit_set(credential=credential, purpose=StatusList.Purpose.SUSPENSION, value=suspended)

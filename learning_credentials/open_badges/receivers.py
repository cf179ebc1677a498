"""The core's signals, answered: status entries at issue, the signed credential in the PDF, the revocation bit at
invalidation."""

import logging

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from ..exceptions import ConfigurationError
from ..lifecycle import Status
from ..models import Credential
from ..rendering import Attachment
from ..selectors import CredentialDocument
from .credentials import credentials_jwt
from .keys import signing_configured
from .models import SignedCredential, StatusList
from .status import status_bit_set, status_bits_set, status_entries_allocate


def status_entries_with_credentials(sender, credentials, **kwargs) -> None:
    """Credentials were inserted: each gets its random indexes in its issuer's lists, in the same transaction.

    Nothing is signed here: signing the VC-JWTs in the issuing transaction measured 9 to 15 % of a
    scheduled run's throughput (docs/performance.rst); each document is signed on its first request.
    """
    status_entries_allocate(credentials=credentials)


log = logging.getLogger(__name__)
JWT_FILE = "credential.jwt"


def signed_credentials_attached(sender, credentials, **kwargs) -> dict:
    """A chunk's PDFs are about to be drawn: each carries its credential's VC-JWT, signed now in bulk and kept.

    A site that cannot sign (no key-encryption key, a key it cannot read) issues its PDFs without the
    file, logged: they stay verifiable on the page, by code and by the signed documents later.
    """
    if not signing_configured():
        return {}
    try:
        with transaction.atomic():  # only credentials still generating: a retirement meanwhile erased the name
            live = set(
                Credential.objects.select_for_update()
                .filter(pk__in=[c.pk for c in credentials], status=Status.GENERATING)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            tokens = credentials_jwt(credentials=[c for c in credentials if c.pk in live])
    except ConfigurationError:
        log.exception("open_badges: %d PDFs issued without their signed credential", len(credentials))
        return {}
    description = _("This credential, signed (Open Badges 3.0 VC-JWT): check it at the issuer's verification page.")
    return {
        pk: [Attachment(name=JWT_FILE, content=token.encode(), mime_type="application/jwt", description=description)]
        for pk, token in tokens.items()
    }


def revocation_bit_with_invalidation(sender, credential, **kwargs) -> None:
    """A credential is being invalidated (revoked, refunded, superseded, retired): its revocation bit is set with it."""
    status_bit_set(credential=credential, purpose=StatusList.Purpose.REVOCATION)


def revocation_bits_with_renewal(sender, pairs, **kwargs) -> None:
    """Credentials were renewed: the old ones' revocation bits are set with them, each status list written once."""
    status_bits_set(credentials=[old for old, _new in pairs], purpose=StatusList.Purpose.REVOCATION)


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

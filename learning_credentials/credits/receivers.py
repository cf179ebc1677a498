"""Receivers of learning_credentials' in-transaction signals: thin, the rules live in services."""

from functools import partial

from django.db import transaction

from ..models import InvalidationReason
from . import selectors, services


def award_with_credentials(sender, credentials, **kwargs) -> None:
    """Credentials were inserted: award their configurations' credits in the same transaction."""
    services.credits_award_for_credentials(credentials=credentials)


def release_with_credential(sender, credential, category, **kwargs) -> None:
    """A credential is being invalidated: void (or re-link) its credits, unless a reissue takes them over."""
    if category == InvalidationReason.SUPERSEDED:
        # credential_reissued moves them in this transaction; a credential superseded by hand releases them after.
        release = partial(services.credits_release_unless_replaced, credential_id=credential.pk)
        transaction.on_commit(release, robust=True)
        return
    services.credits_release(credential=credential, category=category)


def move_to_reissued(sender, old, new, **kwargs) -> None:
    services.credits_move(old=old, new=new)


def placeholder_values(sender, credentials, **kwargs) -> dict:
    """``{credits}`` of each credential about to be rendered, with two queries for all of them."""
    return {pk: {"credits": text} for pk, text in selectors.credits_text_by_credential(credentials=credentials).items()}

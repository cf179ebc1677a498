"""Receivers of learning_credentials' in-transaction signals: thin, the rules live in services."""

from . import selectors, services


def award_with_credentials(sender, credentials, **kwargs) -> None:
    """Credentials were inserted: award their configurations' credits in the same transaction."""
    services.credits_award_for_credentials(credentials=credentials)


def release_with_credential(sender, credential, category, **kwargs) -> None:
    """A credential is being invalidated: its credits are voided or re-linked (a reissue takes them over)."""
    services.credits_invalidation_follow(credential=credential, category=category)


def move_to_reissued(sender, old, new, **kwargs) -> None:
    services.credits_move(old=old, new=new)


def move_to_renewed(sender, pairs, **kwargs) -> None:
    """Credentials were renewed (a run's many at once): their credits move to the new ones, in one update."""
    services.credits_move_many(pairs=pairs)


def void_for_retired_learner(sender, user_id, **kwargs) -> None:
    """A learner is retired: entries their credentials did not take along (manual awards) are voided too."""
    services.credits_void_for_learner(user_id=user_id, reason="The learner was retired.")


def placeholder_values(sender, credentials, **kwargs) -> dict:
    """``{credits}`` of each credential about to be rendered, with two queries for all of them."""
    return {pk: {"credits": text} for pk, text in selectors.credits_text_by_credential(credentials=credentials).items()}


def export_values(credentials) -> dict:
    """The "credits earned" column of a batch of exported credentials (active entries only), two queries."""
    return selectors.credits_text_by_credential(credentials=credentials)

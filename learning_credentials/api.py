"""The small public Python API for hosts and other plugins. Stable: other code may import it."""

from .identifiers import parse_context_key
from .models import Credential, CredentialEvent
from .selectors import credential_get_by_code, credential_get_public, credential_public_status, credentials_for_user
from .services import credential_invalidate, credential_issue, credential_reissue
from .services.progress import learner_progress_queue

ORDER_REFERENCE_MAX_LENGTH = Credential._meta.get_field("order_reference").max_length

__all__ = [
    "Credential",
    "credential_get_by_code",
    "credential_get_public",
    "credential_invalidate",
    "credential_issue",
    "credential_public_status",
    "credential_reissue",
    "credentials_for_user",
    "notify_progress",
]


def notify_progress(*, user_id: int, context_key, order_reference: str | None = None) -> bool:
    """Tell learning_credentials that a learner's progress (grades, completion) changed in a course or path.

    After the current transaction commits, a Celery task checks the learner against every
    enabled configuration of the context (and, for a course, of the learning paths it is a step
    of) and issues what the learner has become eligible for, as the schedule would. Cheap enough
    to call on every grade or completion change: nothing is queued when no enabled configuration
    can be affected. ``order_reference`` (the host's order or payment id) is stored on a
    credential issued by this check. Returns whether a check was queued.

    Raises InvalidContextKey for a malformed key, and ValueError for a user id that is not a
    positive integer or an order reference longer than 255 characters.
    """
    if isinstance(user_id, bool) or not isinstance(user_id, int) or user_id <= 0:
        raise ValueError(f"user_id must be a positive integer, not {user_id!r}.")
    order_reference = order_reference or ""
    if len(order_reference) > ORDER_REFERENCE_MAX_LENGTH:
        raise ValueError(f"order_reference is longer than {ORDER_REFERENCE_MAX_LENGTH} characters.")
    key = parse_context_key(str(context_key))
    return learner_progress_queue(
        user_id=user_id, context_key=key, source=CredentialEvent.Source.API, order_reference=order_reference
    )

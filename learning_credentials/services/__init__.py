"""Services: every write and every business rule. Entry points call these, nothing else.

Each service is keyword-only, typed, atomic, idempotent where the operation allows it, and
writes its audit events.
"""

from .generation import credential_generate
from .invalidation import credential_invalidate
from .issuance import credential_issue, credential_issue_or_get, credential_reissue, credential_retry
from .visibility import credential_set_visibility

__all__ = [
    "credential_generate",
    "credential_invalidate",
    "credential_issue",
    "credential_issue_or_get",
    "credential_reissue",
    "credential_retry",
    "credential_set_visibility",
]

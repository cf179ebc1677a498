"""The small public Python API for hosts and other plugins. Stable: other code may import it."""

from .models import Credential
from .selectors import credential_get_by_code, credential_get_public, credential_public_status, credentials_for_user
from .services import credential_invalidate, credential_issue, credential_reissue

__all__ = [
    "Credential",
    "credential_get_by_code",
    "credential_get_public",
    "credential_invalidate",
    "credential_issue",
    "credential_public_status",
    "credential_reissue",
    "credentials_for_user",
]

"""edx-ace message types (imported only when edx-ace is installed)."""

from edx_ace.message import MessageType


class CredentialAvailable(MessageType):
    """Sent once when a learner's credential becomes available."""

    APP_LABEL = "learning_credentials"
    NAME = "credentialavailable"


class ExpiryReminder(MessageType):
    """Sent before a credential expires, once per reminder offset of its configuration."""

    APP_LABEL = "learning_credentials"
    NAME = "expiryreminder"

"""edx-ace message types of the exams sub-app (imported only when edx-ace sends)."""

from edx_ace.message import MessageType


class CertificateRevoked(MessageType):
    """Sent once when a retake at or below the pass mark revoked the learner's certificate."""

    APP_LABEL = "learning_credentials"
    NAME = "certificaterevoked"

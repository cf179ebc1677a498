"""Open edX events learning_credentials sends (OEP-50 hooks), in its own namespace.

Importable only where openedx-events is installed (every Open edX LMS). Event types follow
OEP-41's ``{reverse DNS}.{subdomain}.{subject}.{action}.{major version}`` with our own reverse
DNS, ``org.learningcredentials``: the ``org.openedx`` namespace belongs to the platform's own
events, and the platform's ``CERTIFICATE_*`` events are never re-emitted.

Both events are sent after the transaction that changed the credential commits, with one
keyword argument, ``credential`` (a LearningCredentialData); receivers also get ``metadata``
(EventsMetadata) and ``from_event_bus`` and must accept ``**kwargs``::

    from learning_credentials.events import LEARNING_CREDENTIAL_AVAILABLE

    def notify(credential, **kwargs):
        ...

    LEARNING_CREDENTIAL_AVAILABLE.connect(notify)

The payload holds only types the event bus serialises (str, UUID, datetime, attrs classes),
so operators may publish these events to the event bus like the platform's own.
"""

from datetime import datetime
from uuid import UUID

import attr
from openedx_events.learning.data import UserData
from openedx_events.tooling import OpenEdxPublicSignal

NAMESPACE = "org.learningcredentials"


@attr.s(frozen=True)
class LearningCredentialData:
    """
    A learner's credential as it stands after the status change an event reports.

    Attributes:
        uuid (UUID): internal identifier, used in owner and staff URLs and the REST API.
        verify_uuid (UUID): public identifier in verification links.
        verification_code (str): short public code, formatted as printed (e.g. ABCDE-FGHJK).
        verify_url (str): the public verification page.
        user (UserData): the learner: id, is_active and pii (username, email, and name as printed on the credential).
        learning_context_key (str): key of the course (course-v1:...) or learning path (path-v1:...).
        context_name (str): name of the course or learning path, as printed.
        credential_type (str): slug of the credential type (type_key in URLs).
        type_name (str): name of the credential type, as printed.
        status (str): the status the credential moved to: "available" or "invalidated".
        issued_at (datetime): when the credential was issued, UTC.
        invalidated_at (datetime): when it was invalidated, UTC; None unless invalidated.
        invalidation_reason (str): public reason category (e.g. refunded, superseded); empty unless invalidated.
    """

    uuid = attr.ib(type=UUID)
    verify_uuid = attr.ib(type=UUID)
    verification_code = attr.ib(type=str)
    verify_url = attr.ib(type=str)
    user = attr.ib(type=UserData)
    learning_context_key = attr.ib(type=str)
    context_name = attr.ib(type=str)
    credential_type = attr.ib(type=str)
    type_name = attr.ib(type=str)
    status = attr.ib(type=str)
    issued_at = attr.ib(type=datetime)
    invalidated_at = attr.ib(type=datetime, default=None)
    invalidation_reason = attr.ib(type=str, default="")


# .. event_type: org.learningcredentials.learning.credential.available.v1
# .. event_name: LEARNING_CREDENTIAL_AVAILABLE
# .. event_description: emitted after commit when a credential's artifact has been generated and the credential
#      became AVAILABLE (also after a retry or a reissue).
# .. event_data: LearningCredentialData
LEARNING_CREDENTIAL_AVAILABLE = OpenEdxPublicSignal(
    event_type=f"{NAMESPACE}.learning.credential.available.v1",
    data={"credential": LearningCredentialData},
)

# .. event_type: org.learningcredentials.learning.credential.invalidated.v1
# .. event_name: LEARNING_CREDENTIAL_INVALIDATED
# .. event_description: emitted after commit when a credential was invalidated (revoked, refunded, superseded by a
#      reissue); INVALIDATED is final.
# .. event_data: LearningCredentialData
LEARNING_CREDENTIAL_INVALIDATED = OpenEdxPublicSignal(
    event_type=f"{NAMESPACE}.learning.credential.invalidated.v1",
    data={"credential": LearningCredentialData},
)

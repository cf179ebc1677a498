"""Django signals learning_credentials sends, for any host (Open edX or not).

Both are sent after the transaction that changed the credential commits, with
``sender=Credential`` and ``credential`` (the Credential, read again after the commit)::

    from django.dispatch import receiver
    from learning_credentials.signals import credential_available

    @receiver(credential_available)
    def tell_learner(sender, credential, **kwargs):
        ...

A receiver that raises is logged and does not stop the others. Where openedx-events is
installed, the same moments are also sent as Open edX events (``learning_credentials.events``).
"""

from django.dispatch import Signal

# The credential's artifact was generated: it became AVAILABLE (and verifiable).
credential_available = Signal()

# The credential was invalidated (revoked, refunded, superseded by a reissue); INVALIDATED is final.
credential_invalidated = Signal()

"""Django signals learning_credentials sends, for any host (Open edX or not).

``credential_available`` and ``credential_invalidated`` are sent after the transaction that
changed the credential commits, with ``sender=Credential`` and ``credential`` (the Credential,
read again after the commit)::

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

# Sent *inside* the transaction that makes the change, for parts of the app (and plugins) whose
# rows must commit or roll back with it, as the credits sub-app's ledger does. A receiver that
# raises aborts the change; receivers should do bulk work (a run's chunk sends many at once).

# Credentials were inserted (GENERATING): ``credentials`` (a list), ``source``.
credentials_issued = Signal()

# A credential is being invalidated: ``credential`` (locked, already INVALIDATED in memory), ``category``.
credential_invalidating = Signal()

# A credential was suspended or its suspension lifted: ``credential`` (locked), ``suspended`` (bool).
credential_suspension_changed = Signal()

# A credential was reissued: ``old`` (now INVALIDATED as superseded) and ``new`` (GENERATING).
credential_reissued = Signal()

# Credentials were renewed (their expiry was near or past and the learner met the criteria again):
# ``pairs``, a list of (old, new): each old one INVALIDATED as renewed, each new one GENERATING and
# already announced by ``credentials_issued``. Sent instead of ``credential_invalidating`` and
# ``credential_reissued`` for these, in bulk (a run renews many at once): a receiver moves what the
# old credentials held to the new ones, as on a reissue.
credentials_renewed = Signal()

# A learner is being retired (services.retirement): ``user_id``. Receivers erase or redact the
# personal data they keep about them, in the same transaction.
learner_retiring = Signal()

# Asked inside the transaction of a full refund (the refund webhook) of a known learner, before
# anything is revoked: ``user_id``, ``context_key``, ``order_reference`` ("" when the sender gave
# none), ``event_id`` and ``credentials`` (the learner's credentials in the context that the core's
# rule matches, locked; possibly none). A receiver returns the pks of the credentials whose refunds
# its own rules decide and that this refund must leave alone (or nothing); it may change its own
# rows in the same transaction, as the exams sub-app revokes the refunded entitlement.
refund_matching = Signal()

# Asked before rendering, with ``credentials`` (a list): a receiver returns
# ``{credential pk: {placeholder: text}}`` for placeholders it registered with
# ``learning_credentials.rendering.register_placeholder``; the values reach CredentialData.extra.
credential_placeholders = Signal()

# Asked before rendering, with ``credentials`` (a list): a receiver returns ``{credential pk: [Attachment]}``
# (``learning_credentials.rendering.Attachment``), files the artifact embeds, as the open_badges sub-app's
# signed credential (``credential.jwt``) is embedded in the PDF. The renderer stays pure: it is handed them.
credential_attachments = Signal()

# Asked with ``credentials`` (a list) wherever their public link or code is shown (PDF text and QR
# code, share image, LinkedIn link, learner pages, API, emails, events): a receiver returns
# ``{credential pk: (public uuid, code)}`` for credentials whose link and code are a record's that
# stands for a chain of them (the exams sub-app's certifications), so every artifact carries it.
credential_public_identity = Signal()

# Asked by the public routes (page, PDF, image, metadata and code lookups) for an identifier or a code
# no credential has, with ``verify_uuid`` (a UUID) or ``code`` (normalized): a receiver returns the
# ``selectors.PublicRecord`` it knows by it, or None.
public_record_resolving = Signal()

# Asked with ``credential`` (AVAILABLE, or INVALIDATED on its public page) wherever its files are
# offered (the learner's page, the verification page): a receiver returns a list of
# ``selectors.CredentialDocument`` for documents of the credential it serves (the open_badges
# sub-app's signed Open Badges credential), or nothing.
credential_documents = Signal()

# Asked wherever a learner page is rendered, with ``request`` (its user signed in): a receiver returns a list of
# ``navigation.NavigationLink`` to the pages of its own that this learner has (the exams sub-app's
# "My courses" when the learner takes any certification course), or nothing. One or two queries at most.
learner_pages = Signal()

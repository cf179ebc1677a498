"""App configuration of the Open Badges sub-app: issuers, keys, status lists, and the in-transaction receivers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenBadgesConfig(AppConfig):
    name = "learning_credentials.open_badges"
    label = "learning_credentials_open_badges"
    verbose_name = _("Learning credentials: Open Badges 3.0")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..signals import (
            credential_attachments,
            credential_documents,
            credential_invalidating,
            credential_suspension_changed,
            credentials_issued,
            credentials_renewed,
            learner_retiring,
        )
        from . import receivers
        from .conf import open_badges_settings

        open_badges_settings()  # a misconfigured OPEN_BADGES setting stops the start, not the first signature
        credentials_issued.connect(receivers.status_entries_with_credentials, dispatch_uid="lc_ob.status_entries")
        credential_invalidating.connect(receivers.revocation_bit_with_invalidation, dispatch_uid="lc_ob.revoke")
        credentials_renewed.connect(receivers.revocation_bits_with_renewal, dispatch_uid="lc_ob.revoke_renewed")
        learner_retiring.connect(receivers.signed_documents_for_retired_learner, dispatch_uid="lc_ob.retire")
        credential_documents.connect(receivers.signed_documents_offered, dispatch_uid="lc_ob.documents")
        credential_attachments.connect(receivers.signed_credentials_attached, dispatch_uid="lc_ob.attachments")
        credential_suspension_changed.connect(receivers.suspension_bit_with_suspension, dispatch_uid="lc_ob.suspend")

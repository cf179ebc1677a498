"""App configuration of the credits sub-app: the {credits} placeholder, an export column, the receivers."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

PLACEHOLDER_DESCRIPTION = "the continuing-education credits the credential carries, e.g. 1.50 SHRM PDCs"


class CreditsConfig(AppConfig):
    name = "learning_credentials.credits"
    label = "learning_credentials_credits"
    verbose_name = _("Learning credentials: continuing-education credits")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..registry import register_export_column
        from ..rendering import register_placeholder
        from ..signals import (
            credential_invalidating,
            credential_placeholders,
            credential_reissued,
            credentials_issued,
            credentials_renewed,
            learner_retiring,
        )
        from . import receivers

        register_placeholder("credits", PLACEHOLDER_DESCRIPTION)
        register_export_column("credits", _("credits earned"), receivers.export_values)
        credentials_issued.connect(receivers.award_with_credentials, dispatch_uid="lc_credits.award")
        credential_invalidating.connect(receivers.release_with_credential, dispatch_uid="lc_credits.release")
        credential_reissued.connect(receivers.move_to_reissued, dispatch_uid="lc_credits.move")
        credentials_renewed.connect(receivers.move_to_renewed, dispatch_uid="lc_credits.move_renewed")
        credential_placeholders.connect(receivers.placeholder_values, dispatch_uid="lc_credits.placeholders")
        learner_retiring.connect(receivers.void_for_retired_learner, dispatch_uid="lc_credits.retire")

"""App configuration of the Open Badges sub-app (issuers and their keys so far)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpenBadgesConfig(AppConfig):
    name = "learning_credentials.open_badges"
    label = "learning_credentials_open_badges"
    verbose_name = _("Learning credentials: Open Badges 3.0")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from .conf import open_badges_settings

        open_badges_settings()  # a misconfigured OPEN_BADGES setting stops the start, not the first signature

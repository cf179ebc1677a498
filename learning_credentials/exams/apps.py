"""App configuration of the certification exams sub-app."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "learning_credentials.exams"
    label = "learning_credentials_exams"
    verbose_name = _("Learning credentials: certification exams")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..signals import learner_retiring, refund_matching
        from . import checks, conf, receivers  # noqa: F401 - checks registers the exams' system checks

        conf.exam_settings()  # a misconfigured EXAMS setting stops the start, not the first learner
        learner_retiring.connect(receivers.erase_for_retired_learner, dispatch_uid="lc_exams.retire")
        refund_matching.connect(receivers.certificates_refunded_by_their_payment_only, dispatch_uid="lc_exams.refunds")

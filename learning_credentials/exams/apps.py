"""App configuration of the certification exams sub-app."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class ExamsConfig(AppConfig):
    name = "learning_credentials.exams"
    label = "learning_credentials_exams"
    verbose_name = _("Learning credentials: certification exams")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from ..registry import register_code_holder, register_invalidation_reason, retrieval_functions
        from ..signals import (
            credential_public_identity,
            credential_reissued,
            credentials_renewed,
            learner_pages,
            learner_retiring,
            public_record_resolving,
            refund_matching,
        )
        from . import checks, conf, receivers, tasks  # noqa: F401 - checks and tasks register themselves
        from .certificates import EXAM_FAILED, exam_failed_label, retrieve_certification_exam_passed
        from .models import Certification

        conf.exam_settings()  # a misconfigured EXAMS setting stops the start, not the first learner
        retrieval_functions.register("certification_exam_passed", retrieve_certification_exam_passed)
        register_invalidation_reason(EXAM_FAILED, exam_failed_label())
        register_code_holder(Certification, "code")
        learner_retiring.connect(receivers.erase_for_retired_learner, dispatch_uid="lc_exams.retire")
        post_migrate.connect(receivers.ensure_sweep_schedule, dispatch_uid="lc_exams.sweep_schedule")
        credential_public_identity.connect(receivers.stable_identities, dispatch_uid="lc_exams.identities")
        public_record_resolving.connect(receivers.certification_record, dispatch_uid="lc_exams.records")
        refund_matching.connect(receivers.certificates_refunded_by_their_payment_only, dispatch_uid="lc_exams.refunds")
        credential_reissued.connect(receivers.certifications_follow_reissue, dispatch_uid="lc_exams.follow_reissue")
        credentials_renewed.connect(receivers.certifications_follow_renewal, dispatch_uid="lc_exams.follow_renewal")
        learner_pages.connect(receivers.certification_pages, dispatch_uid="lc_exams.learner_pages")

"""The certificate: a core credential that graded exams issue, reissue and revoke; the most recent score wins.

The course's certificate configuration uses the retrieval function ``certification_exam_passed``
(registered while the sub-app is installed), so schedules, progress events and on-demand requests
issue it only to a learner whose most recent graded exam passed. The exam itself changes the
certificate in the transaction that grades it (seed 004 §2.8):

- a pass issues the credential, or reissues it when the score differs (each PDF stays as issued);
- a score at or below the pass mark revokes a live certificate (``exam_failed``);
- a later pass issues again, as a recorded reissue of the revoked one.

A ``Certification`` row per learner and course carries one stable public link and code over that chain.
"""

import logging
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils.functional import lazy
from django.utils.translation import gettext as _

from ..eligibility import Eligibility
from ..exceptions import IssuanceRefused
from ..models import Credential, CredentialEvent, InvalidationReason
from ..services import dispatch
from ..services.codes import code_allocate
from ..services.invalidation import credential_invalidate
from ..services.issuance import credential_issue, credential_reissue, credential_renew
from ..services.renewal import credential_renewal_due
from .conf import exam_settings
from .models import Attempt, Certification, CertificationEvent, Entitlement
from .selectors import EXAM_FAILED, certification_settings_get
from .services import certification_event

log = logging.getLogger(__name__)

SOURCE = CredentialEvent.Source.EXAM


def _exam_failed_label() -> str:
    return _("Most recent exam score %(mark)d%% or below") % {"mark": exam_settings().pass_mark}


exam_failed_label = lazy(_exam_failed_label, str)


def _may_replace(entitlement: Entitlement | None):
    """Which invalidated certificate a pass may issue again after (the core's rule, made precise for exams).

    After ``exam_failed``: always (a later pass reinstates). After ``refunded``: only when the
    learner's current entitlement is newer than the refund (they bought again). After any other
    reason (issued in error, retired, an operator's own): only staff.
    """

    def may_replace(previous: Credential) -> bool:
        if previous.invalidation_reason == EXAM_FAILED:
            return True
        return (
            previous.invalidation_reason == InvalidationReason.REFUNDED
            and entitlement is not None
            and previous.invalidated_at is not None
            and entitlement.created > previous.invalidated_at
        )

    return may_replace


def certification_locked(*, user_id: int, context_key) -> Certification:
    """The learner's certification row in the course, created with its stable code on first use; locked."""
    rows = Certification.objects.select_for_update().filter(user_id=user_id, context_key=context_key)
    certification = rows.first()
    if certification is not None:
        return certification
    try:
        with transaction.atomic():
            return Certification.objects.create(user_id=user_id, context_key=context_key, code=code_allocate())
    except IntegrityError:  # a racing first grade created it (or, once in 10^15, the code was taken meanwhile)
        certification = rows.first()
        if certification is None:
            raise
        return certification


def certificate_record_grade(*, attempt: Attempt, activity_source: str) -> Certification:
    """Make the certificate match a just-graded attempt, in the grading transaction; audit what changed.

    Issuance refused (the kill switch, a disabled configuration) leaves the grade recorded and the
    certificate as it was, with a ``certificate_pending`` audit row: a later run of the configuration
    (its retrieval function reads the most recent grade) issues it once issuance is back.
    """
    certification = certification_locked(user_id=attempt.user_id, context_key=attempt.context_key)
    certification.score, certification.passed = attempt.score, attempt.passed
    certification.scored_at, certification.last_attempt = attempt.graded_at, attempt
    configuration = getattr(certification_settings_get(context_key=attempt.context_key), "configuration", None)
    live = None
    if configuration is not None:
        live = (
            Credential.objects.select_for_update()
            .filter(user_id=attempt.user_id, configuration=configuration, active=True)
            .first()
        )
    score = Decimal(attempt.score)
    audit = {"attempt": str(attempt.pk), "score": attempt.score}
    current, kind = live, None
    try:
        with transaction.atomic():
            if configuration is None:
                raise IssuanceRefused(_("The course has no certificate configuration."))
            if attempt.passed and live is None:
                current = credential_issue(
                    user_id=attempt.user_id,
                    configuration=configuration,
                    source=SOURCE,
                    eligibility=Eligibility(eligible=True, score=score, details=audit),
                    may_replace=_may_replace(attempt.entitlement),
                )
                kind = CertificationEvent.Kind.CERTIFICATE_ISSUED
            elif attempt.passed and credential_renewal_due(live):
                current = credential_renew(
                    credential=live,
                    source=SOURCE,
                    score=score,
                    reason=_("Renewed by a passed exam: %(score)d%%.") % audit,
                )
                kind = CertificationEvent.Kind.CERTIFICATE_UPDATED
            elif attempt.passed and live.score != score:
                current = credential_reissue(
                    credential=live, source=SOURCE, score=score, reason=_("A new exam score: %(score)d%%.") % audit
                )
                kind = CertificationEvent.Kind.CERTIFICATE_UPDATED
            elif not attempt.passed and live is not None:
                current = credential_invalidate(
                    credential=live, category=EXAM_FAILED, source=SOURCE, reason=_("Exam score %(score)d%%.") % audit
                )
                kind = CertificationEvent.Kind.CERTIFICATE_REVOKED
    except IssuanceRefused as exc:
        if attempt.passed:
            kind = CertificationEvent.Kind.CERTIFICATE_PENDING
            audit["reason"] = exc.message
            log.warning("Certificate of attempt %s not issued: %s", attempt.pk, exc.message)
    if current is not None:
        certification.credential = current
    certification.save(update_fields=["score", "passed", "scored_at", "last_attempt", "credential"])
    if kind is not None:
        certification_event(
            kind=kind,
            user_id=attempt.user_id,
            context_key=attempt.context_key,
            source=activity_source,
            credential=str(current.verify_uuid) if current else None,
            **audit,
        )
    if kind == CertificationEvent.Kind.CERTIFICATE_REVOKED:  # the learner hears of it once the grade commits
        dispatch.certificate_revoked_email_queue(credential_id=current.pk, attempt_id=attempt.pk)
    return certification


def retrieve_certification_exam_passed(*, adapter, context_key, options: dict, user_ids=None) -> dict[int, Eligibility]:
    """Eligible when the learner's most recent graded final exam in the course passed; the score is its score.

    Learners who never finished an exam get no verdict: no schedule, event or request issues without one.
    """
    rows = Certification.objects.filter(context_key=context_key, passed__isnull=False, user__isnull=False)
    if user_ids is not None:
        rows = rows.filter(user_id__in=user_ids)
    return {
        user_id: Eligibility(
            eligible=bool(passed),
            score=Decimal(score),
            details={"attempt": str(attempt_id), "score": score},
        )
        for user_id, passed, score, attempt_id in rows.values_list("user_id", "passed", "score", "last_attempt_id")
    }

"""Why certification was refused: errors of the core's tree, so the API maps them like every other refusal."""

from ..exceptions import InvalidTransition, IssuanceRefused, LearningCredentialsError, NotEligible, TooManyRequests


class CertificationUnavailable(IssuanceRefused):
    """Not enabled, no certificate, or a pool too small (seed 004 §2.4)."""

    code = "certification_unavailable"


class PointsNotAccepted(IssuanceRefused):
    """The course has no price in points."""

    code = "points_not_accepted"


class InsufficientPoints(IssuanceRefused):
    code = "insufficient_points"


class PoolImportRefused(LearningCredentialsError):
    """The pool file was refused and nothing was imported; ``errors`` names every problem found."""

    code = "pool_import_refused"

    def __init__(self, message: str = "", *, errors: list[str] | None = None):
        self.errors = errors or [message]
        super().__init__(message or "; ".join(self.errors))


class PaymentNotAccepted(IssuanceRefused):
    """The course has no price in money."""

    code = "payment_not_accepted"


class PaymentNotConfirmed(IssuanceRefused):
    """The host confirms no payment by this learner for this course of at least the price in its currency."""

    code = "payment_not_confirmed"


class PaymentPending(IssuanceRefused):
    """A payment of the learner for the course bought nothing yet: complete that purchase rather than pay twice."""

    code = "payment_pending"


class PaymentReferenceUsed(IssuanceRefused):
    """The payment reference already granted an entitlement: to another learner or course, or one since revoked."""

    code = "payment_reference_used"


class CourseNotCompleted(NotEligible):
    """The learner has not completed the course (to the course's required completion)."""

    code = "course_not_completed"


class NoEntitlement(NotEligible):
    """The learner has not bought, redeemed or been given certification in this course."""

    code = "no_entitlement"


class StartLimitReached(TooManyRequests):
    """EXAMS' MAX_STARTS_PER_DAY: too many exam starts in the last 24 hours."""

    code = "start_limit"


class AttemptClosed(InvalidTransition):
    """The attempt is no longer in progress (graded or discarded); ``extra`` says its status and reason."""

    code = "attempt_closed"


class AlreadyAnswered(InvalidTransition):
    """The question was answered already; the first answer is final."""

    code = "already_answered"

"""One error tree: every error this app raises on purpose derives from LearningCredentialsError.

Each error carries a machine-readable ``code``; the REST API maps the tree to HTTP statuses
in one place (``rest_api/v1/views.py``).
"""


class LearningCredentialsError(Exception):
    """Base of every error raised on purpose by learning_credentials."""

    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None, extra: dict | None = None):
        super().__init__(message or self.__class__.__doc__)
        if code:
            self.code = code
        # Facts the API adds to its error body beside ``detail`` and ``code`` (JSON values, never internals).
        self.extra = extra or {}

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigurationError(LearningCredentialsError):
    """The plugin or one of its records is misconfigured."""

    code = "configuration_error"


class UnknownFunction(ConfigurationError):
    """A retrieval or generation function key is not registered."""

    code = "unknown_function"


class InvalidOptions(ConfigurationError):
    """Options do not match what the functions declare."""

    code = "invalid_options"

    def __init__(self, message: str = "", *, errors: dict[str, list[str]] | None = None):
        # Each message is a sentence that names its option (learning_credentials.problems).
        self.errors = errors or {}
        super().__init__(message or " ".join(msg for msgs in self.errors.values() for msg in msgs))

    @property
    def sentences(self) -> list[str]:
        return [msg for msgs in self.errors.values() for msg in msgs] or [self.message]


class AssetMissing(ConfigurationError):
    """A credential asset referenced by options does not exist."""

    code = "asset_missing"


class InvalidContextKey(LearningCredentialsError):
    """A learning context key could not be parsed."""

    code = "invalid_context_key"


class IssuanceRefused(LearningCredentialsError):
    """A credential cannot be issued on this path."""

    code = "issuance_refused"


class IssuanceDisabled(IssuanceRefused):
    """Issuance is switched off globally (LEARNING_CREDENTIALS['ENABLED'] is False)."""

    code = "issuance_disabled"


class ConfigurationDisabled(IssuanceRefused):
    """The credential configuration is disabled; automatic issuance is off for it."""

    code = "configuration_disabled"


class PreviouslyInvalidated(IssuanceRefused):
    """The learner's credential for this configuration was invalidated; only staff may reissue."""

    code = "previously_invalidated"


class NotEligible(IssuanceRefused):
    """The learner does not meet the credential's criteria."""

    code = "not_eligible"


class InvalidTransition(LearningCredentialsError):
    """The requested status change is not allowed by the credential lifecycle."""

    code = "invalid_transition"


class GenerationFailed(LearningCredentialsError):
    """The credential artifact could not be generated."""

    code = "generation_failed"


class QueueUnavailable(LearningCredentialsError):
    """The Celery broker cannot be reached; the work was not queued."""

    code = "queue_unavailable"


class AccessDenied(LearningCredentialsError):
    """The signed-in user may not act on or look at this learner's data."""

    code = "access_denied"


class UnknownLearner(LearningCredentialsError):
    """No user has the given username."""

    code = "unknown_learner"


class NotEnrolled(LearningCredentialsError):
    """The learner is not actively enrolled in the learning context."""

    code = "not_enrolled"


class ObjectNotFound(LearningCredentialsError):
    """The object asked for does not exist, or is not the asker's to see."""

    code = "not_found"


class ExportUnavailable(LearningCredentialsError):
    """The export's file cannot be downloaded (yet): it is still being made, or it failed."""

    code = "export_unavailable"


class ExportExpired(ExportUnavailable):
    """The export's download link expired (or the export was withdrawn) and its file was deleted."""

    code = "export_expired"


class TooManyRequests(LearningCredentialsError):
    """A limit on how often something may be done was reached; ``retry_after`` in seconds, when known."""

    code = "too_many_requests"


class BadRequest(LearningCredentialsError):
    """The request names something that cannot be (e.g. an answer to a question the exam does not hold)."""

    code = "bad_request"


class CredentialUnreadable(BadRequest):
    """The input is neither a credential as a JSON object nor a compact VC-JWT, or it is not UTF-8 text."""

    code = "unreadable_credential"


class PayloadTooLarge(LearningCredentialsError):
    """The request's body is larger than the endpoint accepts."""

    code = "payload_too_large"


class NotConfigured(LearningCredentialsError):
    """The credential type is not configured in the learning context."""

    code = "not_configured"


class LearnerNotEligible(NotEligible):
    """The learner does not meet the credential's criteria yet; ``progress`` says how far they are."""

    def __init__(self, message: str = "", *, progress: dict | None = None):
        self.progress = progress or {}
        super().__init__(message)


class NameUnchanged(IssuanceRefused):
    """The learner's name in the host is the one printed on the credential; there is nothing to reissue."""

    code = "name_unchanged"


class ReissueTooSoon(IssuanceRefused):
    """The learner already had this credential reissued for a name change within the allowed period."""

    code = "reissue_too_soon"

    def __init__(self, message: str = "", *, retry_after: int = 0):
        self.retry_after = retry_after
        super().__init__(message)


class EmailNotDelivered(LearningCredentialsError):
    """The email service took the learner's email but no channel delivered it (edx-ace logs why)."""

    code = "email_not_delivered"


class WebhookError(LearningCredentialsError):
    """A webhook delivery was refused; nothing was recorded or changed."""

    code = "webhook_error"


class WebhookNotConfigured(WebhookError):
    """The webhook's shared secret is not set on this server (setting REFUND_WEBHOOK_SECRET of LEARNING_CREDENTIALS)."""

    code = "webhook_not_configured"


class WebhookUnauthorized(WebhookError):
    """The delivery's signature or timestamp header is missing, malformed, wrong or outside the allowed window."""

    code = "invalid_signature"


class WebhookPayloadTooLarge(WebhookError):
    """The delivery's body is larger than the webhook accepts."""

    code = "payload_too_large"


class WebhookPayloadInvalid(WebhookError):
    """The delivery's body is not the JSON object the webhook expects; ``errors`` says what is wrong, by field."""

    code = "invalid_payload"

    def __init__(self, message: str = "", *, errors: dict[str, list[str]] | None = None):
        self.errors = errors or {}
        if not message:
            message = "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in self.errors.items())
        super().__init__(message)


class WebhookUnavailable(WebhookError):
    """The database could not process the delivery right now (lock timeout, deadlock); send it again later."""

    code = "temporarily_unavailable"


class CreditError(LearningCredentialsError):
    """A continuing-education credit cannot be awarded or changed as asked (the credits sub-app)."""

    code = "credit_error"


class UnknownCreditType(CreditError):
    """No credit type has the given code."""

    code = "unknown_credit_type"


class CreditTypeInactive(CreditError):
    """The credit type is inactive; it cannot be awarded."""

    code = "credit_type_inactive"


class InvalidCreditAmount(CreditError):
    """A credit amount is a number greater than 0 and at most 99.99, with at most two decimal places."""

    code = "invalid_credit_amount"

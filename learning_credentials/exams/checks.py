"""System checks of the exams sub-app, registered when it is ready."""

from django.core import checks

from ..checks import short_secret_warnings
from .conf import exam_settings


@checks.register(checks.Tags.security)
def check_payment_webhook_secret(app_configs=None, **kwargs):
    """A short shared secret makes the payment webhook's signatures guessable, and a payment grants certification."""
    return short_secret_warnings(
        setting="LEARNING_CREDENTIALS['EXAMS']['PAYMENT_WEBHOOK_SECRET']",
        secret=exam_settings().payment_webhook_secret,
        check_id="learning_credentials_exams.W001",
    )

"""Continuing-education credits (SHRM, HRCI, CPE...): an optional sub-app of learning_credentials.

Add ``"learning_credentials.credits"`` to ``INSTALLED_APPS`` after ``learning_credentials`` and
migrate. Credits are awarded with the credentials that carry them, voided when the credential is
invalidated and moved when it is reissued; see docs/credits.rst.
"""

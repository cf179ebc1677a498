"""Certification exams (seed 004): per-course settings, question pools and entitlements; an optional sub-app.

Enabled by adding ``learning_credentials.exams`` to INSTALLED_APPS. The core never imports it.
"""

"""What differs between the Django releases Open edX runs: Teak (Django 4.2) and Ulmo (Django 5.2)."""

from typing import Any

import django
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q


def check_constraint(*, condition: Q, name: str, **options: Any) -> models.CheckConstraint:
    """A CheckConstraint on every supported Django: ``condition=`` from 5.1, ``check=`` before (removed in 6.0).

    Models and migrations both build theirs here, so the migration autodetector sees the same
    constraint on either version.
    """
    keyword = "condition" if django.VERSION >= (5, 1) else "check"
    return models.CheckConstraint(name=name, **{keyword: condition}, **options)


class UniqueConstraintMessages:
    """Model mixin: a fields-only UniqueConstraint's own ``violation_error_message`` on every Django.

    Django 5.0+ reports it; 4.2 reports the generic "... with this X and Y already exists." instead.
    """

    def unique_error_message(self, model_class, unique_check):
        for constraint in model_class._meta.constraints:
            if (
                isinstance(constraint, models.UniqueConstraint)
                and tuple(constraint.fields) == tuple(unique_check)
                and constraint.violation_error_message != constraint.default_violation_error_message
            ):
                return ValidationError(constraint.violation_error_message, code="unique")
        return super().unique_error_message(model_class, unique_check)

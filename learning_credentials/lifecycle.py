"""The credential status state machine: which status may follow which. Pure, no I/O."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .exceptions import InvalidTransition


class Status(models.TextChoices):
    GENERATING = "generating", _("Generating")
    AVAILABLE = "available", _("Available")
    ERROR = "error", _("Error")
    INVALIDATED = "invalidated", _("Invalidated")


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    Status.GENERATING: frozenset({Status.AVAILABLE, Status.ERROR, Status.INVALIDATED}),
    Status.AVAILABLE: frozenset({Status.INVALIDATED}),
    Status.ERROR: frozenset({Status.GENERATING, Status.INVALIDATED}),
    Status.INVALIDATED: frozenset(),
}

FINAL_STATUSES = frozenset(status for status, targets in ALLOWED_TRANSITIONS.items() if not targets)


def is_final(status: str) -> bool:
    return status in FINAL_STATUSES


def check_transition(current: str, target: str) -> None:
    """Raise InvalidTransition unless ``current -> target`` is allowed."""
    if target not in ALLOWED_TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(f"A credential cannot move from '{current}' to '{target}'.")

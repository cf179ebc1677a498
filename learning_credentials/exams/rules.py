"""The final exam's pure rules: drawing and shuffling questions, scoring, and the course list's chip.

Seed 004 §2.5 (randomise the questions drawn, their order and their options' order), §2.7 (score
and pass mark) and §3 (chips and CTAs). No database and no models: services and views feed facts in.
"""

import random
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

__all__ = [
    "CERTIFICATE_NONE",
    "CERTIFICATE_REVOKED",
    "CERTIFICATE_VALID",
    "CHIP_RULES",
    "CTA",
    "CertificationFacts",
    "Chip",
    "ChipState",
    "certification_chip",
    "draw",
    "passed",
    "score_percent",
    "shuffled",
]

T = TypeVar("T")

# Learners must not be able to predict an exam, so the default source is the operating system's.
_SECURE_RANDOM = secrets.SystemRandom()


def draw(pool: Sequence[T], *, size: int, rng: random.Random | None = None) -> list[T]:
    """``size`` distinct items of ``pool``, each subset and each order equally likely (seed 004 §2.5)."""
    if size < 1:
        raise ValueError(f"An exam needs at least one question; {size} were asked for.")
    if size > len(pool):
        raise ValueError(f"Cannot draw {size} different questions from a pool of {len(pool)}.")
    return (rng or _SECURE_RANDOM).sample(pool, size)


def shuffled(items: Sequence[T], *, rng: random.Random | None = None) -> list[T]:
    """A new list of ``items`` in an order chosen uniformly at random (questions, or a question's options)."""
    result = list(items)
    (rng or _SECURE_RANDOM).shuffle(result)
    return result


def score_percent(*, correct: int, size: int) -> int:
    """The integer percentage, halves rounded up (29/50 -> 58, 5/8 -> 63), in integers so no float can misround."""
    if size < 1:
        raise ValueError(f"An exam has at least one question, not {size}.")
    if not 0 <= correct <= size:
        raise ValueError(f"Correct answers must be between 0 and {size}, not {correct}.")
    return (200 * correct + size) // (2 * size)


def passed(*, score: int, pass_mark: int) -> bool:
    """Strictly above the pass mark: with the seed's mark of 50, 50% fails and 51% passes."""
    return score > pass_mark


CERTIFICATE_NONE = "none"
CERTIFICATE_VALID = "valid"
CERTIFICATE_REVOKED = "revoked"  # revoked by a failed exam; other invalidations read as none
_CERTIFICATES = (CERTIFICATE_NONE, CERTIFICATE_VALID, CERTIFICATE_REVOKED)


class Chip(models.TextChoices):
    """The course list's chip (seed 004 §3.1): a stable key for clients, an English label for people."""

    IN_PROGRESS = "in_progress", pgettext_lazy("a course's certification state", "In progress")
    COMPLETED = "completed", _("Completed")
    AVAILABLE = "available", _("Completed, certificate available")
    UNLOCKED = "unlocked", _("Certification unlocked")
    CERTIFIED = "certified", _("Certified")
    UNAVAILABLE = "unavailable", _("Certification unavailable")
    REVOKED = "revoked", _("Certification revoked")


class CTA(models.TextChoices):
    """The course list's call to action (seed 004 §3.2)."""

    GET_CERTIFICATE = "get_certificate", _("Get certificate")
    START_EXAM = "start_exam", _("Start final exam")
    VIEW_CERTIFICATE = "view_certificate", _("View certificate")


@dataclass(frozen=True)
class CertificationFacts:
    """What the chip depends on, for one learner and course; refuses values no rule could read."""

    completed: bool
    configured: bool  # the course has certification settings
    available: bool  # certification can be had now (enabled, a certificate configuration, a large enough pool)
    entitled: bool
    certificate: str  # one of the CERTIFICATE_* constants
    score: int | None  # the most recent graded score, in percent

    def __post_init__(self):
        if self.certificate not in _CERTIFICATES:
            raise ValueError(f"certificate must be one of {', '.join(_CERTIFICATES)}, not {self.certificate!r}.")
        if self.score is not None and not 0 <= self.score <= 100:
            raise ValueError(f"score must be a percentage from 0 to 100, not {self.score}.")


@dataclass(frozen=True)
class ChipState:
    """What the course list shows: a Chip, a CTA or None, and a helper line (may be empty)."""

    chip: str
    cta: str | None
    helper: str


_Rule = tuple[str, Callable[[CertificationFacts], bool], Chip, CTA | None]
# First match wins. Seed 004 §3.3 read in this order so that exactly one rule applies: a valid
# certificate stays visible even when certification stops being offered or the entitlement ends.
_RULES: tuple[_Rule, ...] = (
    ("course not completed", lambda facts: not facts.completed, Chip.IN_PROGRESS, None),
    ("certification not set up for the course", lambda facts: not facts.configured, Chip.COMPLETED, None),
    ("certificate valid", lambda facts: facts.certificate == CERTIFICATE_VALID, Chip.CERTIFIED, CTA.VIEW_CERTIFICATE),
    ("certification not available", lambda facts: not facts.available, Chip.UNAVAILABLE, None),
    ("no entitlement", lambda facts: not facts.entitled, Chip.AVAILABLE, CTA.GET_CERTIFICATE),
    ("revoked by a failed exam", lambda facts: facts.certificate == CERTIFICATE_REVOKED, Chip.REVOKED, CTA.START_EXAM),
    ("entitled, no certificate yet", lambda facts: True, Chip.UNLOCKED, CTA.START_EXAM),
)
# The table as data, (description, chip, CTA or None), for docs and tests to check against.
CHIP_RULES: tuple[tuple[str, Chip, CTA | None], ...] = tuple((text, chip, cta) for text, _r, chip, cta in _RULES)

# Chips whose helper shows the most recent score (when there is one): those about the exam's outcome.
_SCORE_CHIPS = frozenset({Chip.CERTIFIED, Chip.REVOKED, Chip.UNLOCKED})


def certification_chip(facts: CertificationFacts) -> ChipState:
    """The chip, CTA and helper text for one course on the learner's course list (seed 004 §3.3).

    The first row of CHIP_RULES that matches wins. The helper is "Certification unavailable. Contact
    the course creator." for the unavailable chip; "Most recent score: N%." for certified, revoked and
    unlocked when a graded score exists; otherwise empty.
    """
    _text, _rule, chip, cta = next(rule for rule in _RULES if rule[1](facts))
    if chip == Chip.UNAVAILABLE:
        helper = gettext("Certification unavailable. Contact the course creator.")
    elif chip in _SCORE_CHIPS and facts.score is not None:
        helper = gettext("Most recent score: %(score)d%%.") % {"score": facts.score}
    else:
        helper = ""
    return ChipState(chip=chip, cta=cta, helper=helper)

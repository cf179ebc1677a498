"""Retrieval functions decide who is eligible for a credential; see eligibility.builtin."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


@dataclass(frozen=True)
class Reason:
    """Why a learner is not eligible, as a stable code and the criterion's parameters (never the learner's values).

    Learners failing the same criterion share one Reason (it is hashable), so a preview counts them;
    the words are chosen at display time (``eligibility.reasons.reason_text``), in the reader's language.
    """

    code: str
    # (name, value) pairs of the criterion, e.g. (("category", "Exam"), ("required", 70.0)).
    params: tuple[tuple[str, str | int | float], ...] = ()

    @classmethod
    def of(cls, code: str, **params: str | int | float) -> "Reason":
        return cls(code, tuple(sorted(params.items())))

    @property
    def kwargs(self) -> dict[str, str | int | float]:
        return dict(self.params)


@dataclass(frozen=True)
class Eligibility:
    """The verdict of a retrieval function for one learner, with the facts behind it."""

    eligible: bool
    score: Decimal | None = None
    # JSON-serialisable facts (grades, completion, per-step results) stored with the issue.
    details: dict = field(default_factory=dict)
    # When the learner met the criteria, where the function knows (a passed exam's time): renewal's
    # fresh-achievement rule reads it, and asks the host when progress last changed otherwise.
    achieved_at: datetime | None = None
    # Why not eligible (empty when eligible, and from functions that give no reasons).
    reasons: tuple[Reason, ...] = ()

"""Retrieval functions decide who is eligible for a credential; see eligibility.builtin."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal


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

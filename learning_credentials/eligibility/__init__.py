"""Retrieval functions decide who is eligible for a credential; see eligibility.builtin."""

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Eligibility:
    """The verdict of a retrieval function for one learner, with the facts behind it."""

    eligible: bool
    score: Decimal | None = None
    # JSON-serialisable facts (grades, completion, per-step results) stored with the issue.
    details: dict = field(default_factory=dict)

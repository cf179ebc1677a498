"""What a run of a configuration would do right now, without doing it ("Generate now", --dry-run, the API).

The preview plans with the run's own code (``configuration_plan``), so its counts are what a run
started at the same moment would act on; it writes nothing. A large context is planned in chunks
of learners (the same verdicts as one plan: each learner's is their own), which lets a task
report its progress.
"""

import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import caches
from django.utils.translation import gettext, ngettext

from .. import conf
from ..adapters import get_adapter
from ..adapters.base import ANY_MODE
from ..configuration_checks import context_known
from ..eligibility import Reason
from ..eligibility import reasons as codes
from ..eligibility.reasons import reason_text
from ..exceptions import LearningCredentialsError
from ..models import CredentialConfiguration
from .configuration import RunPlan, configuration_plan
from .dispatch import preview_send

# How long a preview task's progress and result stay readable.
PREVIEW_SECONDS = 3600
# Warnings: nothing can be issued because of the configuration or its context, not the learners' progress.
UNKNOWN_CONTEXT = "unknown_context"
NO_LEARNERS = "no_learners"
NO_LEARNER_IN_ELIGIBLE_MODE = "no_learner_in_eligible_mode"
SAME_REASON_FOR_ALL = "same_reason_for_all"
CANNOT_RUN = "cannot_run"


@dataclass(frozen=True)
class RunPreview:
    """The counts of a run not started: who it would evaluate, issue to and renew, and why the others fail."""

    context_key: str
    context_known: bool = True
    enrolled: int = 0  # in any mode
    evaluated: int = 0  # enrolled in a mode that earns the credential
    eligible: int = 0
    already_held: int = 0
    to_issue: int = 0
    to_renew: int = 0
    # Ineligible learners by reason, most frequent first (then by code); a learner may count under several.
    reasons: tuple[tuple[Reason, int], ...] = ()
    # Why the run could not go ahead (the run would record it as its error).
    error: str = ""

    @property
    def ineligible(self) -> int:
        return self.evaluated - self.eligible

    @property
    def would_act(self) -> bool:
        return not self.error and (self.to_issue + self.to_renew) > 0

    def reason_lines(self) -> list[tuple[str, str, int]]:
        """(code, words, learners) for each reason, in the reader's language."""
        return [(reason.code, reason_text(reason), count) for reason, count in self.reasons]

    def warning_code(self) -> str | None:
        """Why nothing could be issued when the configuration or its context is the cause; None otherwise."""
        if self.error:
            return CANNOT_RUN
        if not self.context_known:
            return UNKNOWN_CONTEXT
        if not self.enrolled:
            return NO_LEARNERS
        if not self.evaluated:
            return NO_LEARNER_IN_ELIGIBLE_MODE
        failing = [reason for reason, count in self.reasons if reason.code != codes.ENROLLMENT_MODE]
        if not self.eligible and self.ineligible > 1 and len(failing) == 1:
            return SAME_REASON_FOR_ALL
        return None

    def warning(self) -> str:
        """The warning in words; empty when there is none."""
        code = self.warning_code()
        if code is None:
            return ""
        values = {"context": self.context_key, "error": self.error, "count": self.enrolled}
        if code == SAME_REASON_FOR_ALL:
            failing = next(reason for reason, _ in self.reasons if reason.code != codes.ENROLLMENT_MODE)
            values["reason"] = reason_text(failing)
        return {
            CANNOT_RUN: lambda: gettext("A run cannot go ahead: %(error)s") % values,
            UNKNOWN_CONTEXT: lambda: (
                gettext(
                    "The platform does not know %(context)s: nothing can be issued until the course or learning path "
                    "exists. Check the learning context key."
                )
                % values
            ),
            NO_LEARNERS: lambda: (
                gettext("No learner is enrolled in %(context)s: there is nobody to issue to.") % values
            ),
            NO_LEARNER_IN_ELIGIBLE_MODE: lambda: (
                ngettext(
                    "The one learner enrolled is not in a mode that earns this credential: check enrollment_modes.",
                    "None of the %(count)s learners enrolled is in a mode that earns this credential: "
                    "check enrollment_modes.",
                    self.enrolled,
                )
                % values
            ),
            SAME_REASON_FOR_ALL: lambda: (
                gettext(
                    "Every learner fails for the same reason (%(reason)s): check that the options suit this course."
                )
                % values
            ),
        }[code]()

    def summary(self) -> str:
        """One sentence of what a run would do, e.g. for a confirmation button or a command's output."""
        return gettext(
            "%(evaluated)s learners evaluated, %(eligible)s eligible, %(held)s already holding; "
            "%(issue)s to issue, %(renew)s to renew."
        ) % {
            "evaluated": self.evaluated,
            "eligible": self.eligible,
            "held": self.already_held,
            "issue": self.to_issue,
            "renew": self.to_renew,
        }

    def as_dict(self) -> dict:
        """JSON for the cache and the API: reasons by code with their parameters."""
        return {
            "context_key": self.context_key,
            "context_known": self.context_known,
            "enrolled": self.enrolled,
            "evaluated": self.evaluated,
            "eligible": self.eligible,
            "already_held": self.already_held,
            "to_issue": self.to_issue,
            "to_renew": self.to_renew,
            "reasons": [{"code": r.code, "params": r.kwargs, "learners": count} for r, count in self.reasons],
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "RunPreview":
        reasons = tuple((Reason.of(r["code"], **r["params"]), r["learners"]) for r in data["reasons"])
        return cls(**{**data, "reasons": reasons})


@dataclass
class _Tally:
    eligible: int = 0
    held: int = 0
    to_issue: int = 0
    to_renew: int = 0
    evaluated: set[int] = field(default_factory=set)
    reasons: Counter = field(default_factory=Counter)


def configuration_preview(
    *,
    configuration: CredentialConfiguration,
    on_progress: Callable[[int, int], None] | None = None,
    on_plan: Callable[[RunPlan], None] | None = None,
) -> RunPreview:
    """What a run started now would do; ``on_progress(learners_done, learners_total)`` hears each chunk,
    ``on_plan`` each chunk's plan (who would be issued and renewed: the command's dry run lists them)."""
    key = configuration.learning_context_key
    if not context_known(key):
        return RunPreview(context_key=str(key), context_known=False)
    enrolled = get_adapter().get_enrolled_user_ids(key, modes=ANY_MODE)
    size = conf.get("CHUNK_SIZE")
    tally = _Tally()
    try:
        for start in range(0, len(enrolled), size):
            chunk = enrolled[start : start + size]
            plan = configuration_plan(configuration=configuration, user_ids=chunk)
            if on_plan:
                on_plan(plan)
            tally.eligible += len(plan.eligible)
            tally.held += len(plan.held)
            tally.to_issue += len(plan.to_issue)
            tally.to_renew += len(plan.to_renew)
            tally.evaluated.update(plan.verdicts)
            for verdict in plan.verdicts.values():
                if not verdict.eligible:
                    tally.reasons.update(verdict.reasons or (Reason.of(codes.NO_REASON_GIVEN),))
            if on_progress:
                on_progress(start + len(chunk), len(enrolled))
    except LearningCredentialsError as exc:
        return RunPreview(context_key=str(key), enrolled=len(enrolled), error=exc.message)
    other_modes = len(enrolled) - len(tally.evaluated)
    if other_modes:
        tally.reasons[Reason.of(codes.ENROLLMENT_MODE)] = other_modes
    return RunPreview(
        context_key=str(key),
        enrolled=len(enrolled),
        evaluated=len(tally.evaluated),
        eligible=tally.eligible,
        already_held=tally.held,
        to_issue=tally.to_issue,
        to_renew=tally.to_renew,
        reasons=tuple(sorted(tally.reasons.items(), key=lambda item: (-item[1], item[0].code, item[0].params))),
    )


# --- Previews of large contexts, in a task --------------------------------------------------------


def _cache():
    return caches[conf.get("PREVIEW_CACHE")]


def _cache_key(preview_id: str) -> str:
    return f"learning_credentials:preview:{preview_id}"


@dataclass(frozen=True)
class PreviewState:
    """A preview task's progress, then its result."""

    configuration_id: int
    done: int = 0
    total: int = 0
    preview: RunPreview | None = None


def configuration_preview_start(
    *, configuration: CredentialConfiguration, inline_only: bool = False
) -> RunPreview | str | None:
    """The preview itself for a context of up to PREVIEW_INLINE_MAX_LEARNERS learners; above, the id of a task
    that computes it (``preview_state`` reads its progress), or None with ``inline_only``.
    QueueUnavailable when the task cannot be sent."""
    key = configuration.learning_context_key
    if not context_known(key) or len(get_adapter().get_enrolled_user_ids(key, modes=ANY_MODE)) <= conf.get(
        "PREVIEW_INLINE_MAX_LEARNERS"
    ):
        return configuration_preview(configuration=configuration)
    if inline_only:
        return None
    preview_id = uuid.uuid4().hex
    _store(preview_id, {"configuration_id": configuration.pk, "done": 0, "total": 0, "preview": None})
    preview_send(configuration_id=configuration.pk, preview_id=preview_id)
    return preview_id


def configuration_preview_compute(*, configuration_id: int, preview_id: str) -> dict:
    """The task's work: the preview, with its progress left in the cache after each chunk."""
    configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)

    def progress(done: int, total: int) -> None:
        _store(preview_id, {"configuration_id": configuration_id, "done": done, "total": total, "preview": None})

    preview = configuration_preview(configuration=configuration, on_progress=progress)
    state = {"configuration_id": configuration_id, "done": preview.enrolled, "total": preview.enrolled}
    _store(preview_id, {**state, "preview": preview.as_dict()})
    return preview.as_dict()


def preview_state(*, preview_id: str) -> PreviewState | None:
    """A preview task's progress or result; None for an unknown or expired id."""
    data = _cache().get(_cache_key(preview_id))
    if data is None:
        return None
    preview = RunPreview.from_dict(data["preview"]) if data["preview"] else None
    return PreviewState(
        configuration_id=data["configuration_id"], done=data["done"], total=data["total"], preview=preview
    )


def _store(preview_id: str, data: dict) -> None:
    _cache().set(_cache_key(preview_id), data, PREVIEW_SECONDS)

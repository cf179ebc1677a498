"""How a run went, in words: the rule that a run which issued nothing is never a success lives here, not in a page.

Pure functions of a finished or running CredentialRun; the admin's panels and lists show what they return.
"""

from datetime import timedelta

from django.utils.translation import gettext, ngettext

from .models import CredentialRun


def duration_words(duration: timedelta) -> str:
    """A duration as people say it: "less than a second", "12 seconds", "3 minutes 5 seconds", "2 hours 1 minute"."""
    seconds = int(duration.total_seconds())
    if seconds < 1:
        return gettext("less than a second")
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    parts = []
    if hours:
        parts.append(ngettext("%(count)s hour", "%(count)s hours", hours) % {"count": hours})
    if minutes:
        parts.append(ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes})
    if seconds and not hours:
        parts.append(ngettext("%(count)s second", "%(count)s seconds", seconds) % {"count": seconds})
    return " ".join(parts)


def run_outcome(run: CredentialRun) -> dict[str, str]:
    """How a run went, in words, and the message level it deserves: a run that issued nothing is never a success."""
    values = {
        "issued": run.issued,
        "renewed": run.renewed,
        "failed": run.failed,
        "retried": run.retried,
        "eligible": run.eligible,
        "held": run.already_held,
        "done": run.chunks_done,
        "total": run.chunks_total,
        "error": run.error,
    }
    if run.finished_at is None and not run.chunks_total:
        return {"level": "info", "summary": gettext("Running: working out who is eligible.")}
    if run.finished_at is None:
        return {
            "level": "info",
            "summary": gettext(
                "Running: %(done)s of %(total)s chunks done, %(issued)s issued and %(renewed)s renewed so far."
            )
            % values,
        }
    values["duration"] = duration_words(run.duration)
    if run.error:  # the configuration or its context is wrong: nothing was issued
        return {"level": "warning", "summary": gettext("The run could not go ahead: %(error)s") % values}
    if run.failed:
        return {
            "level": "error",
            "summary": gettext(
                "%(issued)s issued and %(renewed)s renewed in %(duration)s, but %(failed)s failed (see below)."
            )
            % values,
        }
    if not (run.issued or run.renewed or run.retried):
        if not run.eligible:
            return {
                "level": "warning",
                "summary": gettext(
                    "The run issued nothing: no learner is eligible. Press “Generate now” to see why before the next "
                    "run."
                ),
            }
        return {
            "level": "info",
            "summary": ngettext(
                "Nothing to issue: the eligible learner already holds this credential.",
                "Nothing to issue: the %(eligible)s eligible learners already hold this credential.",
                run.eligible,
            )
            % values,
        }
    return {
        "level": "success",
        "summary": gettext("%(issued)s issued and %(renewed)s renewed in %(duration)s.") % values,
    }

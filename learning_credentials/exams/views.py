"""The learner's certification pages (seed 004 §3, §7): "My courses", "Get certificate", the final exam and its result.

Server-rendered, thin: the chips come from selectors.certification_statuses, purchases and
redemptions from the services the API calls, so the pages and the API never disagree. Every page
needs a signed-in learner and shows only their own courses: a course they are not enrolled in
answers 404, as a malformed key does. Reading a page never buys anything; buying is a POST with
the CSRF token, answered with a redirect back to the page (its message says what happened).

The final exam is one sitting (seed 004 §2.6). Its page starts an exam only on a POST, then shows
the attempt's questions to the one GET that claims them (``attempt_sitting_open``); from there
exam.js drives the sitting through the certification API, and leaving the page discards the
attempt. No later request shows that attempt again: it is never resumed, only started again.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from ..adapters import get_adapter
from ..exceptions import InvalidContextKey, IssuanceRefused, LearningCredentialsError
from ..identifiers import parse_context_key
from ..languages import in_learner_language
from ..learner_views import learner_page_render
from ..models import CredentialEvent
from ..services.webhooks import CONTROL_CHARACTERS
from .attempts import attempt_idle_deadline, attempt_sitting_open, attempt_start, grade_read
from .conf import exam_settings
from .exceptions import PaymentNotConfirmed
from .models import Attempt
from .payments import entitlement_purchase
from .rest_api.serializers import AttemptSerializer
from .rules import CTA, Chip
from .selectors import (
    CertificationStatus,
    attempt_graded_get,
    attempt_latest,
    certification_checkout_url,
    certification_status,
    certification_statuses,
    exam_start_limit,
    payment_pending,
)
from .services import certification_status_read, entitlement_redeem_points

LEARNER = CredentialEvent.Source.LEARNER
COURSE_PAGE = "learning_credentials:certification-course"
EXAM_PAGE = "learning_credentials:certification-exam"
# The page each call to action leads to, besides "View certificate" (the certificate's own page).
CTA_PAGES = {CTA.GET_CERTIFICATE: COURSE_PAGE, CTA.START_EXAM: EXAM_PAGE}


class PurchaseForm(forms.Form):
    """The payment reference the host's checkout handed back, exactly as given (the API's rules)."""

    payment_reference = forms.CharField(
        max_length=255, strip=False, validators=[RegexValidator(CONTROL_CHARACTERS, inverse_match=True)]
    )


@dataclass(frozen=True)
class CourseRow:
    """One course of "My courses": its name, its status, and the chip and call to action in words."""

    name: str
    status: CertificationStatus
    chip_label: str
    cta_label: str
    cta_url: str | None


def _course_page_url(context_key) -> str:
    return reverse(COURSE_PAGE, kwargs={"context_key": str(context_key)})


def _certificate_url(status: CertificationStatus) -> str | None:
    """The learner's own page of their valid certificate; the certification's stable public page otherwise."""
    if status.certificate_uuid is not None:
        return reverse("learning_credentials:learner-credential", kwargs={"uuid": status.certificate_uuid})
    return status.certification_url


def _cta_url(status: CertificationStatus) -> str | None:
    if status.cta == CTA.VIEW_CERTIFICATE:
        return _certificate_url(status)
    if status.cta in CTA_PAGES:
        return reverse(CTA_PAGES[status.cta], kwargs={"context_key": str(status.context_key)})
    return None


@login_required
@in_learner_language
@require_safe
def certification_courses(request):
    """My courses: each enrolled course with its chip, call to action and helper, read in bulk."""
    courses = get_adapter().get_learner_courses(request.user.pk)
    keys = sorted(courses, key=lambda key: (courses[key].casefold(), str(key)))
    statuses = certification_statuses(user=request.user, context_keys=keys)
    rows = [
        CourseRow(
            name=courses[key],
            status=statuses[key],
            chip_label=str(Chip(statuses[key].chip).label),
            cta_label=str(CTA(statuses[key].cta).label) if statuses[key].cta else "",
            cta_url=_cta_url(statuses[key]),
        )
        for key in keys
    ]
    return learner_page_render(request, "learning_credentials/exams/courses.html", {"rows": rows})


def _enrolled_course(request, context_key: str) -> tuple[object, str]:
    """The course's key and name; 404 for a malformed key or a course the learner is not actively enrolled in."""
    try:
        key = parse_context_key(context_key)
    except InvalidContextKey:
        raise Http404() from None
    name = get_adapter().get_learner_courses(request.user.pk).get(key)
    if name is None:
        raise Http404()
    return key, name


@login_required
@in_learner_language
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def certification_course(request, context_key: str):
    """Get certificate: prices, points, "Pay" (the host's checkout) and "Redeem N points" (a POST); or the state."""
    key, name = _enrolled_course(request, context_key)
    if request.method == "POST":
        return _certification_obtain(request, key)
    status = certification_status_read(user=request.user, context_key=key, activity_source=LEARNER)
    for_sale = status.available and status.entitlement is None and status.chip != Chip.CERTIFIED
    reference = PurchaseForm(request.GET) if for_sale and "payment_reference" in request.GET else None
    pending = reference.cleaned_data["payment_reference"] if reference and reference.is_valid() else ""
    if for_sale and not pending:  # the host's word, for a learner who lost the checkout's return address
        pending = payment_pending(user_id=request.user.pk, context_key=key) or ""
    page_path = _course_page_url(key)
    context = {
        "page_path": page_path,
        "pass_mark": exam_settings().pass_mark,
        "course_name": name,
        "status": status,
        "chip_label": str(Chip(status.chip).label),
        "for_sale": for_sale,
        "certified": status.chip == Chip.CERTIFIED,
        "certificate_url": _certificate_url(status),
        "checkout_url": (
            certification_checkout_url(
                user_id=request.user.pk, context_key=key, return_url=request.build_absolute_uri(page_path)
            )
            if for_sale and not pending and status.price_amount is not None
            else None
        ),
        "payment_reference": pending,
        **_exam_step(request, key, status),
    }
    return learner_page_render(request, "learning_credentials/exams/course.html", context)


def _start_wait(*, user_id: int, context_key) -> str:
    """When the daily start limit is reached, the sentence that says until when; else empty."""
    reached = exam_start_limit(user_id=user_id, context_key=context_key)
    if reached is None:
        return ""
    return ngettext(
        "You have started the final exam %(limit)d time in the last 24 hours. You can take it again from %(time)s.",
        "You have started the final exam %(limit)d times in the last 24 hours. You can take it again from %(time)s.",
        reached.limit,
    ) % {"limit": reached.limit, "time": date_format(timezone.localtime(reached.until), "DATETIME_FORMAT")}


def _exam_step(request, key, status: CertificationStatus) -> dict:
    """The course page's way to the exam for an entitled learner: the exam's page, or why not now, in words.

    The exam page starts it (a POST); this page only leads there, under the same rules: the course
    completed, the daily start limit, and an unfinished attempt, which a new start discards.
    """
    if not (status.available and status.entitlement and status.completed) or status.chip == Chip.CERTIFIED:
        return {}
    wait = _start_wait(user_id=request.user.pk, context_key=key)
    if wait:
        return {"exam_wait": wait}
    previous, previous_text = _previous_attempt(attempt_latest(user_id=request.user.pk, context_key=key))
    return {
        "exam_url": _exam_page_url(key),
        "exam_note": previous_text if previous == "unresumable" else "",
    }


def _certification_obtain(request, key) -> HttpResponseRedirect:
    """Redeem points or complete a purchase (the form's ``action``), then back to the page saying what happened."""
    back = _course_page_url(key)
    action = request.POST.get("action")
    try:
        if action == "redeem":
            entitlement, created = entitlement_redeem_points(
                user_id=request.user.pk, context_key=key, activity_source=LEARNER
            )
            if created:
                redeemed = ngettext(
                    "You redeemed %(points)d point: you are entitled to the final exam.",
                    "You redeemed %(points)d points: you are entitled to the final exam.",
                    entitlement.points,
                )
                messages.success(request, redeemed % {"points": entitlement.points})
            else:
                messages.info(request, _("You were already entitled to the final exam; no points were spent."))
        elif action == "purchase":
            form = PurchaseForm(request.POST)
            if not form.is_valid():
                messages.error(request, _("The payment reference is missing or malformed; nothing was bought."))
                return HttpResponseRedirect(back)
            reference = form.cleaned_data["payment_reference"]
            try:
                entitlement, created = entitlement_purchase(
                    user_id=request.user.pk, context_key=key, payment_reference=reference, activity_source=LEARNER
                )
            except PaymentNotConfirmed as exc:  # the host may confirm it a moment later: keep the reference
                retry = _("If you have just paid, try again in a moment.")
                messages.error(request, f"{exc.message} {retry}")
                return HttpResponseRedirect(f"{back}?{urlencode({'payment_reference': reference})}")
            if created or entitlement.reference == reference:  # the same purchase again is the same success
                messages.success(request, _("Your payment is confirmed: you are entitled to the final exam."))
            else:
                messages.info(request, _("You were already entitled to the final exam; this payment bought nothing."))
        else:
            messages.error(request, _("Choose how to obtain certification: pay or redeem points."))
    except IssuanceRefused as exc:  # insufficient points, unavailable, not sold that way, a reference used
        messages.error(request, exc.message)
    return HttpResponseRedirect(back)


def _exam_page_url(context_key) -> str:
    return reverse(EXAM_PAGE, kwargs={"context_key": str(context_key)})


def _result_url(attempt: Attempt) -> str:
    return reverse(
        "learning_credentials:certification-exam-result",
        kwargs={"context_key": str(attempt.context_key), "attempt_id": attempt.pk},
    )


@login_required
@in_learner_language
@csrf_protect
@require_http_methods(["GET", "HEAD", "POST"])
def certification_exam(request, context_key: str):
    """The final exam: a POST starts it; the GET it redirects to shows the sitting once; any other GET, the state.

    A GET never starts or discards anything. Refusals of a start come back as the page's message.
    """
    key, name = _enrolled_course(request, context_key)
    page_path = _exam_page_url(key)
    if request.method == "POST":
        try:
            attempt = attempt_start(user_id=request.user.pk, context_key=key, activity_source=LEARNER)
        except LearningCredentialsError as exc:  # unavailable, not completed, no entitlement, the start limit
            messages.error(request, exc.message)
            return HttpResponseRedirect(page_path, status=303)
        return HttpResponseRedirect(f"{page_path}?{urlencode({'sitting': attempt.pk})}", status=303)
    sitting = request.GET.get("sitting")
    attempt = None
    if request.method == "GET" and sitting:  # HEAD (a link checker, a prefetch) never claims the showing
        attempt = attempt_sitting_open(attempt_id=sitting, user_id=request.user.pk)
    if attempt is not None:
        return _exam_sitting_render(request, attempt, course_name=name, page_path=page_path)
    return _exam_start_render(request, key, course_name=name, page_path=page_path)


def _previous_attempt(attempt: Attempt | None) -> tuple[str, str]:
    """What became of the learner's most recent attempt, as (state, sentence); ("", "") before any."""
    if attempt is None:
        return "", ""
    if attempt.status == Attempt.Status.GRADED:
        return "graded", _("Your most recent final exam scored %(score)d%%.") % {"score": attempt.score}
    expired = attempt.discard_reason == Attempt.DiscardReason.EXPIRED or (
        attempt.status == Attempt.Status.IN_PROGRESS and timezone.now() > attempt_idle_deadline(attempt)
    )
    if expired:
        minutes = max(1, exam_settings().idle_timeout_seconds // 60)
        return "discarded", ngettext(
            "Your previous attempt was discarded because no question was answered for %(minutes)d minute.",
            "Your previous attempt was discarded because no question was answered for %(minutes)d minutes.",
            minutes,
        ) % {"minutes": minutes}
    if attempt.status == Attempt.Status.IN_PROGRESS:
        return "unresumable", _(
            "Your exam in progress cannot be resumed: the final exam is taken in one sitting, and the page that "
            "showed it is gone. Start again to take a new exam; the unfinished one will be discarded."
        )
    if attempt.discard_reason == Attempt.DiscardReason.LEFT:
        return "discarded", _("Your previous attempt was discarded because you left the exam.")
    return "discarded", _("Your previous attempt was discarded.")


def _exam_start_render(request, key, *, course_name: str, page_path: str):
    """The exam's front page: what the exam is, whether the learner may start it, and what became of the last one."""
    status = certification_status_read(user=request.user, context_key=key, activity_source=LEARNER)
    latest = attempt_latest(user_id=request.user.pk, context_key=key)
    previous, previous_text = _previous_attempt(latest)
    if not status.available:
        refusal = status.message
    elif not status.completed:
        refusal = _("Complete the course before taking the final exam.")
    elif status.entitlement is None:
        refusal = _("Get certification for this course before taking the final exam.")
    else:
        refusal = _start_wait(user_id=request.user.pk, context_key=key)
    limits = exam_settings()
    context = {
        "course_name": course_name,
        "page_path": page_path,
        "status": status,
        "chip_label": str(Chip(status.chip).label),
        "refusal": refusal,
        "get_certificate_url": _course_page_url(key) if status.available and status.entitlement is None else None,
        "certified": status.chip == Chip.CERTIFIED,
        "certificate_url": _certificate_url(status),
        "pass_mark": limits.pass_mark,
        "idle_minutes": max(1, limits.idle_timeout_seconds // 60),
        "previous": previous,
        "previous_text": previous_text,
        "result_url": _result_url(latest) if previous == "graded" else None,
        "start_label": _("Start again") if previous in ("discarded", "unresumable") else str(CTA.START_EXAM.label),
    }
    return learner_page_render(request, "learning_credentials/exams/exam.html", context)


def _exam_strings(size: int) -> dict:
    """The sitting's words for exam.js, translated here (the page needs no JavaScript catalogue)."""
    return {
        "questionOf": _("Question %(number)s of %(total)s"),
        "chooseOne": _("Choose one answer."),
        "chooseAll": _("Choose every correct answer: there may be more than one."),
        "nothingChosen": _("Choose an answer first."),
        "correct": _("Correct"),
        "incorrect": _("Incorrect"),
        "allAnswered": _("You answered every question. Submit the exam to see your score."),
        "unreachable": _("The server could not be reached, so nothing was recorded. Check your connection and retry."),
        # One sentence per possible count, so that each language gets its own plural forms.
        "unanswered": [
            ngettext(
                "%(count)d question is not answered; it will count as wrong.",
                "%(count)d questions are not answered; they will count as wrong.",
                count,
            )
            % {"count": count}
            for count in range(1, size + 1)
        ],
        "graded": _("This exam was already submitted."),
        "discarded": {
            "left": _("Your previous attempt was discarded because you left the exam."),
            "superseded": _(
                "This exam was started again in another tab or window, so this attempt was discarded. "
                "Only the most recent start counts."
            ),
            "expired": _("This attempt was discarded because no question was answered for too long."),
        },
        "discardedOther": _("This attempt was discarded."),
    }


def _exam_sitting_render(request, attempt: Attempt, *, course_name: str, page_path: str):
    """The one showing of the attempt: exam.js takes it from the embedded state. Cacheable by the back/forward
    cache on purpose (no ``no-store``): a restored page asks the server and shows the attempt discarded."""

    def api(name: str) -> str:
        return reverse(f"learning_credentials:{name}", kwargs={"attempt_id": str(attempt.pk)})

    config = {
        "attempt": AttemptSerializer(attempt).data,
        "csrfToken": get_token(request),
        "urls": {
            "page": page_path,
            "attempt": api("api-v1-certification-attempt"),
            "answer": api("api-v1-certification-attempt-answer"),
            "submit": api("api-v1-certification-attempt-submit"),
            "discard": api("api-v1-certification-attempt-discard"),
            "result": _result_url(attempt),
        },
        "strings": _exam_strings(attempt.size),
    }
    context = {"course_name": course_name, "page_path": page_path, "attempt": attempt, "exam_config": config}
    return learner_page_render(request, "learning_credentials/exams/exam_sitting.html", context)


@login_required
@in_learner_language
@require_safe
def certification_exam_result(request, context_key: str, attempt_id):
    """A graded attempt's result, for its learner only: the score in words; on a fail what went wrong, else the
    certificate."""
    key, name = _enrolled_course(request, context_key)
    attempt = attempt_graded_get(attempt_id=attempt_id, user_id=request.user.pk, context_key=key)
    if attempt is None:
        raise Http404()
    grade = grade_read(attempt)
    status = certification_status(user=request.user, context_key=key)
    context = {
        "course_name": name,
        "attempt": attempt,
        "grade": grade,
        "pass_mark": exam_settings().pass_mark,
        "exam_url": _exam_page_url(key),
        "certificate_url": _certificate_url(status) if attempt.passed and status.chip == Chip.CERTIFIED else None,
        "revoked": not attempt.passed and status.chip == Chip.REVOKED,
    }
    return learner_page_render(request, "learning_credentials/exams/result.html", context)

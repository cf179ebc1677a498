"""The learner's certification pages (seed 004 §3, §7): "My courses" and a course's "Get certificate" page.

Server-rendered, thin: the chips come from selectors.certification_statuses, purchases and
redemptions from the services the API calls, so the pages and the API never disagree. Every page
needs a signed-in learner and shows only their own courses: a course they are not enrolled in
answers 404, as a malformed key does. Reading a page never buys anything; buying is a POST with
the CSRF token, answered with a redirect back to the page (its message says what happened).
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import RegexValidator
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from ..adapters import get_adapter
from ..exceptions import InvalidContextKey, IssuanceRefused
from ..identifiers import parse_context_key
from ..learner_views import learner_page_render
from ..models import CredentialEvent
from ..services.webhooks import CONTROL_CHARACTERS
from .conf import exam_settings
from .exceptions import PaymentNotConfirmed
from .payments import entitlement_purchase
from .rules import CTA, Chip
from .selectors import CertificationStatus, certification_checkout_url, certification_statuses
from .services import certification_status_read, entitlement_redeem_points

LEARNER = CredentialEvent.Source.LEARNER
COURSE_PAGE = "learning_credentials:certification-course"
# The page each call to action leads to, besides "View certificate" (the certificate's own page).
# "Start final exam" leads to the course's page, which shows the learner's state, until the exam
# page exists; then it changes here and nowhere else.
CTA_PAGES = {CTA.GET_CERTIFICATE: COURSE_PAGE, CTA.START_EXAM: COURSE_PAGE}


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
    return learner_page_render(
        request, "learning_credentials/exams/courses.html", {"rows": rows, "nav_current": "courses"}
    )


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
            if for_sale and status.price_amount is not None
            else None
        ),
        "payment_reference": reference.cleaned_data["payment_reference"] if reference and reference.is_valid() else "",
    }
    return learner_page_render(request, "learning_credentials/exams/course.html", context)


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

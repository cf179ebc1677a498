"""The sandbox's own pages: its home page, and a fake checkout where a learner "pays" for certification.

The checkout's purchase goes through the real rules; nothing is charged. Paying records a paid Order.
Opened from the learner's Get certificate page (with ``next``, as the adapter's
``certification_checkout_url`` builds it), the checkout returns there with the order's reference,
``?payment_reference=...``, and the page completes the purchase, as it would after a real host's
checkout. Opened on its own, it posts the reference to the purchase service itself
(``entitlement_purchase``). Either way the adapter's ``payment_confirm`` confirms the order.
"""

import secrets
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_safe
from django.views.static import serve

from learning_credentials.exams.payments import entitlement_purchase
from learning_credentials.exams.selectors import certification_settings_get, certification_status, payment_pending
from learning_credentials.exams.services import entitlement_for_premium
from learning_credentials.exceptions import InvalidContextKey, IssuanceRefused
from learning_credentials.identifiers import parse_context_key
from learning_credentials.models import CredentialEvent

from .models import Order


def platform(request) -> dict:
    """Template context processor: the sandbox's name, for its pages' titles and headings."""
    return {"platform_name": getattr(settings, "PLATFORM_NAME", "Sandbox LMS")}


@require_safe
def home(request):
    """Where everything the demo made can be found: the learner pages, the verification lookup, the admin."""
    return render(request, "lms/home.html", {"certification": apps.is_installed("learning_credentials.exams")})


def media(request, path: str):
    """A file of MEDIA_ROOT (the credentials' PDFs) whatever DEBUG says: the sandbox is a demo, not production."""
    return serve(request, path, document_root=settings.MEDIA_ROOT)


def _for_sale(status) -> bool:
    return status.available and status.price_amount is not None and status.entitlement is None


def _return_url(request) -> str | None:
    """Where to send the learner after paying: ``next`` when it is a page of this site, else None."""
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def _with_reference(url: str, reference: str) -> str:
    """``url`` with ``payment_reference`` added to its query string."""
    parts = urlsplit(url)
    query = f"{parts.query}&" if parts.query else ""
    return urlunsplit(parts._replace(query=query + urlencode({"payment_reference": reference})))


def _back_to_checkout(context_key: str, return_url: str | None) -> HttpResponseRedirect:
    url = reverse("checkout", kwargs={"context_key": context_key})
    return HttpResponseRedirect(f"{url}?{urlencode({'next': return_url})}" if return_url else url)


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, context_key: str):
    """GET: the price and a Pay button; POST: a paid order, then back to ``next`` with it, or the purchase here."""
    try:
        key = parse_context_key(context_key)
    except InvalidContextKey as exc:
        raise Http404(exc.message) from exc
    certification = certification_settings_get(context_key=key)
    if certification is not None:  # premium that includes certification is never sold
        entitlement_for_premium(
            user_id=request.user.pk, certification=certification, activity_source=CredentialEvent.Source.LEARNER
        )
    status = certification_status(user=request.user, context_key=key)
    return_url = _return_url(request)
    if request.method == "POST":
        if not _for_sale(status):
            messages.error(request, status.message or _("There is nothing to buy: you are already entitled."))
            return _back_to_checkout(context_key, return_url)
        pending = payment_pending(user_id=request.user.pk, context_key=key)
        if pending is not None:  # never a second payment: back to complete the first
            messages.error(
                request, _("You have paid already (order %(order)s): complete that purchase.") % {"order": pending}
            )
            if return_url:
                return HttpResponseRedirect(_with_reference(return_url, pending))
            return _back_to_checkout(context_key, None)
        order = Order.objects.create(
            reference=f"SBX-{secrets.token_hex(8).upper()}",
            user=request.user,
            context_key=str(key),
            amount=status.price_amount,
            currency=status.price_currency,
            paid_at=timezone.now(),
        )
        if return_url:  # the learner's page completes the purchase with the reference
            return HttpResponseRedirect(_with_reference(return_url, order.reference))
        try:
            entitlement_purchase(
                user_id=request.user.pk,
                context_key=key,
                payment_reference=order.reference,
                activity_source=CredentialEvent.Source.LEARNER,
            )
        except IssuanceRefused as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Paid (order %(order)s): you may take the certification exam.") % {"order": order.reference}
            )
        return _back_to_checkout(context_key, None)
    return render(
        request, "lms/checkout.html", {"status": status, "for_sale": _for_sale(status), "return_url": return_url}
    )

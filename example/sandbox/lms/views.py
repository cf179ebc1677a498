"""The sandbox's fake checkout: a learner "pays" for certification and the purchase goes through the real rules.

Nothing is charged. Paying records a paid Order, then posts its reference to the same service as
the purchase API (``entitlement_purchase``), which asks this host's adapter (``payment_confirm``)
to confirm it, exactly as a host with its own checkout would.
"""

import secrets

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from learning_credentials.exams.payments import entitlement_purchase
from learning_credentials.exams.selectors import certification_settings_get, certification_status
from learning_credentials.exams.services import entitlement_for_premium
from learning_credentials.exceptions import InvalidContextKey, IssuanceRefused
from learning_credentials.identifiers import parse_context_key
from learning_credentials.models import CredentialEvent

from .models import Order


def _for_sale(status) -> bool:
    return status.available and status.price_amount is not None and status.entitlement is None


@login_required
@require_http_methods(["GET", "POST"])
def checkout(request, context_key: str):
    """GET: the price and a Pay button; POST: a paid order, then the purchase, and back here with what happened."""
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
    if request.method == "POST":
        if not _for_sale(status):
            messages.error(request, status.message or _("There is nothing to buy: you are already entitled."))
            return redirect("checkout", context_key=context_key)
        order = Order.objects.create(
            reference=f"SBX-{secrets.token_hex(8).upper()}",
            user=request.user,
            context_key=str(key),
            amount=status.price_amount,
            currency=status.price_currency,
            paid_at=timezone.now(),
        )
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
        return redirect("checkout", context_key=context_key)
    return render(request, "lms/checkout.html", {"status": status, "for_sale": _for_sale(status)})

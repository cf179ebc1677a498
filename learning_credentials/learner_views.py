"""Server-rendered learner pages: "My credentials", one credential's page and the holder's actions on it.

Every page needs a signed-in user and shows only that user's own credentials: anybody else's
uuid answers 404, exactly like an unknown one.
"""

from datetime import timedelta
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.messages import get_messages
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST, require_safe

from .adapters import get_adapter
from .adapters.base import Site
from .exceptions import (
    InvalidTransition,
    IssuanceRefused,
    NameUnchanged,
    ReissueTooSoon,
    UnknownLearner,
)
from .languages import in_learner_language
from .lifecycle import Status
from .models import Credential, CredentialEvent, Visibility
from .navigation import learner_navigation
from .selectors import (
    PublicStatus,
    context_sites,
    credential_documents_offered,
    credential_get_visible,
    credential_public_record,
    credential_public_status,
    credential_site,
    credentials_for_user,
    public_code,
    verification_counts_for_credential,
    verify_url,
)
from .services import credential_set_visibility
from .services.on_demand import credential_name_change_reissue
from .services.renewal import credential_renewal_due
from .services.verification_counts import credential_set_verification_counting

LINKEDIN_ADD_TO_PROFILE = "https://www.linkedin.com/profile/add"

STATUS_WORDS = {
    Status.AVAILABLE: pgettext_lazy("a credential's status", "Valid"),
    Status.GENERATING: gettext_lazy("Being prepared"),
    Status.ERROR: gettext_lazy("Not ready yet"),
}


class VisibilityForm(forms.Form):
    visibility = forms.ChoiceField(choices=Visibility.choices)


class CountingForm(forms.Form):
    counted = forms.TypedChoiceField(choices=[("on", "on"), ("off", "off")], coerce=lambda value: value == "on")


def _own_credential(request, uuid: str) -> Credential:
    """The signed-in user's own credential; 404 for a malformed, unknown or somebody else's uuid (staff included)."""
    credential = credential_get_visible(uuid=uuid, user=request.user)
    if credential is None or credential.user_id != request.user.pk:
        raise Http404()
    return credential


def learner_page_render(request, template: str, context: dict):
    """Render with the user's messages (whether or not the host has the messages context processor) and navigation."""
    navigation = learner_navigation(request)
    return render(request, template, {**context, "messages": get_messages(request), "navigation": navigation})


def _status(credential: Credential, site: Site) -> dict[str, str]:
    """The status badge: its style (the lifecycle's, or expired, suspended, replaced by a newer one) and its words."""
    public = credential_public_status(credential, site=site)
    state = {"expired": "expired", "suspended": "suspended", "superseded": "replaced"}.get(
        public.status, credential.status
    )
    return {"status_state": state, "status_words": _status_words(credential, public)}


def _status_words(credential: Credential, public: PublicStatus) -> str:
    """The public status in words (precedence: revoked or superseded, suspended, expired, valid), or the lifecycle's."""
    if public.status == "suspended":
        return _("Suspended since %(date)s") % {"date": _date_words(public.suspended_at)}
    if public.status == "expired":
        return _("Expired on %(date)s") % {"date": _date_words(public.expires_at)}
    if credential.status != Status.INVALIDATED:
        if public.expires_at is not None and credential.status == Status.AVAILABLE:
            return _("Valid until %(date)s") % {"date": _date_words(public.expires_at)}
        return str(STATUS_WORDS.get(credential.status, credential.get_status_display()))
    date = _date_words(public.revoked_at) if public.revoked_at else ""
    if public.reason == "renewed":
        return _("Renewed on %(date)s") % {"date": date}
    if public.status == "superseded":
        return _("Superseded on %(date)s") % {"date": date}
    return _("Revoked on %(date)s. Reason: %(reason)s.") % {"date": date, "reason": public.reason_label}


def _date_words(moment) -> str:
    return formats.date_format(timezone.localtime(moment), "DATE_FORMAT")


def linkedin_add_to_profile_url(credential: Credential, *, organization_name: str, site: Site | None = None) -> str:
    """LinkedIn's "Add to profile" link, pre-filled from the credential (certUrl is the public verify URL)."""
    issued = timezone.localtime(credential.created)
    params = {
        "startTask": "CERTIFICATION_NAME",
        "name": _("%(type)s: %(context)s") % {"type": credential.type_name, "context": credential.context_name},
        "organizationName": organization_name,
        "issueYear": issued.year,
        "issueMonth": issued.month,
        "certUrl": verify_url(credential, site=site),
        "certId": public_code(credential),
    }
    if credential.expires_at is not None:
        expires = timezone.localtime(credential.expires_at)
        params.update(expirationYear=expires.year, expirationMonth=expires.month)
    return f"{LINKEDIN_ADD_TO_PROFILE}?{urlencode(params, quote_via=quote)}"


@login_required
@in_learner_language
@require_safe
def credential_list(request):
    """My credentials: each with its status in words, context, issue date and what can be done with it."""
    credentials = list(credentials_for_user(user_id=request.user.pk).select_related("replaced_by").order_by("-created"))
    sites = context_sites(context_keys=[credential.configuration.learning_context_key for credential in credentials])
    rows = [
        {
            "credential": credential,
            **_status(credential, sites[credential.configuration.learning_context_key]),
        }
        for credential in credentials
    ]
    return learner_page_render(request, "learning_credentials/learner/credential_list.html", {"rows": rows})


@login_required
@in_learner_language
@require_safe
def credential_detail(request, uuid: str):
    """One credential of the holder's: PDF, share image, link, LinkedIn, public/private switch, name-change reissue."""
    credential = _own_credential(request, uuid)
    site = credential_site(credential)
    public = credential.visibility == Visibility.PUBLIC
    shareable = credential.status == Status.AVAILABLE
    context = {
        "credential": credential,
        **_status(credential, site),
        "code": public_code(credential),
        "is_public": public,
        "is_available": shareable,
        "has_public_page": credential.status in (Status.AVAILABLE, Status.INVALIDATED),
        "verify_url": verify_url(credential, site=site),
        "newer": _newer_of(credential),
        # From its first reminder on (and once expired): when it ends and what renews it, as the reminder said.
        "renewal_open": credential_renewal_due(credential),
        "renewal_instructions": credential.configuration.renewal_instructions,
        # A certification's certificate: its public page shows the most recent score, so this one does too.
        "record": credential_public_record(credential),
        # Signed copies a sub-app serves (e.g. the Open Badges credential), for the learner's wallet.
        "documents": credential_documents_offered(credential) if shareable else [],
        "verifications_words": verifications_words(credential),
    }
    if shareable and public:
        organization = get_adapter().get_organization_name(credential.configuration.learning_context_key)
        context["linkedin_url"] = linkedin_add_to_profile_url(credential, organization_name=organization, site=site)
    return learner_page_render(request, "learning_credentials/learner/credential_detail.html", context)


def verifications_words(credential: Credential) -> str:
    """ "Verified N times, last on DATE" from the counts flushed so far (kept when the holder stops counting)."""
    summary = verification_counts_for_credential(credential)
    if not summary.total:
        return _("Not verified yet.")
    date = formats.date_format(summary.last_day, "DATE_FORMAT")
    return ngettext(
        "Verified %(count)s time, last on %(date)s.", "Verified %(count)s times, last on %(date)s.", summary.total
    ) % {"count": summary.total, "date": date}


def _newer_of(credential: Credential) -> Credential | None:
    """The credential that superseded this one, when the holder has it (a reissue keeps the holder)."""
    newer = getattr(credential, "replaced_by", None)
    return newer if newer is not None and newer.user_id == credential.user_id else None


def _back_to(credential: Credential) -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("learning_credentials:learner-credential", kwargs={"uuid": credential.uuid}))


def _holder_switch(request, uuid: str, form: forms.Form, *, apply, refusal: str, confirmations: dict):
    """A setting of the holder's own credential, from a one-field form; audited by the service as theirs."""
    credential = _own_credential(request, uuid)
    if not form.is_valid():
        messages.error(request, refusal)
        return _back_to(credential)
    value = next(iter(form.cleaned_data.values()))
    apply(credential, value, source=CredentialEvent.Source.LEARNER, actor_id=request.user.pk)
    messages.success(request, confirmations[value])
    return _back_to(credential)


@login_required
@in_learner_language
@require_POST
def credential_visibility(request, uuid: str):
    """The public/private switch (POST, CSRF-protected)."""
    return _holder_switch(
        request,
        uuid,
        VisibilityForm(request.POST),
        apply=lambda credential, value, **audit: credential_set_visibility(
            credential=credential, visibility=value, **audit
        ),
        refusal=_("Choose whether the credential is public or private."),
        confirmations={
            Visibility.PRIVATE: _("Your credential is now private: only you and the platform's staff can see it."),
            Visibility.PUBLIC: _("Your credential is now public: anyone with the link can verify it."),
        },
    )


@login_required
@in_learner_language
@require_POST
def credential_counting(request, uuid: str):
    """The holder's switch for counting verifications (POST, CSRF-protected)."""
    return _holder_switch(
        request,
        uuid,
        CountingForm(request.POST),
        apply=lambda credential, value, **audit: credential_set_verification_counting(
            credential=credential, counted=value, **audit
        ),
        refusal=_("Choose whether verifications of this credential are counted."),
        confirmations={
            True: _("Verifications of this credential are counted from now on."),
            False: _("Verifications of this credential are no longer counted."),
        },
    )


# Not inside ATOMIC_REQUESTS' transaction (as the API's reissue): the new credential's generation
# is queued when the service commits, before this page answers (a broker that is down is logged
# there and the sweeper generates it later).
@transaction.non_atomic_requests
@login_required
@in_learner_language
@require_POST
def credential_reissue(request, uuid: str):
    """The holder asks for their credential under the name the platform has for them now."""
    credential = _own_credential(request, uuid)
    try:
        new = credential_name_change_reissue(user=request.user, credential=credential)
    except NameUnchanged:
        messages.error(
            request,
            _("Your name on the platform is the one on this credential; there is nothing to change."),
        )
    except ReissueTooSoon as exc:
        after = formats.date_format(timezone.localtime() + timedelta(seconds=exc.retry_after), "DATETIME_FORMAT")
        messages.error(
            request,
            _("This credential was reissued for a name change recently; you can ask again after %(date)s.")
            % {"date": after},
        )
    except InvalidTransition:
        messages.error(request, _("Only a valid credential can be reissued."))
    except (IssuanceRefused, UnknownLearner) as exc:  # issuance switched off; the learner unknown to the host
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Your credential is being reissued under your current name. This takes a moment."))
        return _back_to(new)
    return _back_to(credential)

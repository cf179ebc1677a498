"""What the exams sub-app does when the core's signals fire, in the core's transaction."""

from decimal import Decimal

from django.db.models import Case, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..adapters import get_adapter
from ..models import CredentialEvent
from ..navigation import NavigationLink
from ..selectors import PublicRecord
from .attempts import attempts_sweep_schedule_ensure
from .models import (
    Attempt,
    Certification,
    CertificationEvent,
    CertificationSettings,
    Entitlement,
    PaymentEvent,
    PointsAccount,
    reference_key,
)
from .services import entitlement_revoke

REFUNDED = "refunded"


def erase_for_retired_learner(sender, user_id, **kwargs) -> None:
    """A learner is retired: their payment references, the audit rows' details, points history and answers go.

    The references' hashes stay, so a retired learner's payment still cannot grant a second
    entitlement; a hash says nothing without the reference. An exam in progress is discarded;
    attempts keep their questions and grades (facts about the exam), not the answers given.
    """
    Attempt.objects.filter(user_id=user_id, status=Attempt.Status.IN_PROGRESS).update(
        status=Attempt.Status.DISCARDED,
        in_progress=None,
        discarded_at=timezone.now(),
        discard_reason=Attempt.DiscardReason.RETIRED,
    )
    Attempt.objects.filter(user_id=user_id).update(answers={})
    Entitlement.objects.filter(user_id=user_id).update(reference="")
    PaymentEvent.objects.filter(user_id=user_id).update(payment_reference="", payload={})
    CertificationEvent.objects.filter(user_id=user_id).update(details={})
    PointsAccount.objects.filter(user_id=user_id).delete()


def certificates_refunded_by_their_payment_only(
    sender, user_id: int, context_key, order_reference: str, credentials, **kwargs
) -> list:
    """A full refund of the payment that bought the learner's active entitlement revokes it, and the core then
    invalidates the course's certificates; any other refund leaves the certificates alone (points, premium,
    another order, or none named): the pks the core must keep out.
    """
    refunded = None
    if order_reference:
        refunded = (
            Entitlement.objects.select_for_update()
            .filter(
                reference_key=reference_key(order_reference),
                source=Entitlement.Source.PAID,
                user_id=user_id,
                context_key=context_key,
                active=True,
            )
            .first()
        )
    if refunded is not None:
        entitlement_revoke(entitlement=refunded, reason=REFUNDED, activity_source=CredentialEvent.Source.WEBHOOK)
        return []
    certificate_configuration = (
        CertificationSettings.objects.filter(context_key=context_key).values_list("configuration_id", flat=True).first()
    )
    if certificate_configuration is None:
        return []
    return [credential.pk for credential in credentials if credential.configuration_id == certificate_configuration]


def ensure_sweep_schedule(sender, using: str = "default", **kwargs) -> None:
    """After the exams' migrations: the idle-attempt sweep's beat entry exists (beat's DatabaseScheduler runs it)."""
    if getattr(sender, "label", None) == "learning_credentials_exams" and using == "default":
        attempts_sweep_schedule_ensure()


def stable_identities(sender, credentials, **kwargs) -> dict:
    """Certificates carry their certification's stable link and code: {credential pk: (public id, code)}.

    Two queries for any number of credentials, one when none is a certificate.
    """
    certificate_courses = dict(
        CertificationSettings.objects.filter(
            configuration_id__in={credential.configuration_id for credential in credentials}
        ).values_list("configuration_id", "context_key")
    )
    certificates = [c for c in credentials if c.configuration_id in certificate_courses and c.user_id]
    if not certificates:
        return {}
    rows = Certification.objects.filter(
        user_id__in={c.user_id for c in certificates}, context_key__in=set(certificate_courses.values())
    ).values_list("user_id", "context_key", "public_id", "code")
    by_learner = {(user_id, str(key)): (public_id, code) for user_id, key, public_id, code in rows}
    found = {}
    for credential in certificates:
        identity = by_learner.get((credential.user_id, str(certificate_courses[credential.configuration_id])))
        if identity is not None:
            found[credential.pk] = identity
    return found


def certification_record(sender, verify_uuid=None, code=None, **kwargs) -> PublicRecord | None:
    """A certification's stable page: its current certificate, with the most recent score and the time of that grade."""
    rows = Certification.objects.select_related("credential__configuration", "credential__replaced_by").filter(
        credential__isnull=False
    )
    certification = (rows.filter(public_id=verify_uuid) if verify_uuid else rows.filter(code=code)).first()
    if certification is None:
        return None
    current = certification.credential
    return PublicRecord(
        current,
        verify_uuid=certification.public_id,
        code=certification.code,
        score=current.score if certification.score is None else Decimal(certification.score),
        created=certification.scored_at or current.created,
    )


def certifications_follow_reissue(sender, old, new, **kwargs) -> None:
    """A certificate was reissued (by staff, a corrected name): its certification's stable page shows the new one."""
    Certification.objects.filter(credential=old).update(credential=new)


def certifications_follow_renewal(sender, pairs, **kwargs) -> None:
    """Certificates were renewed (a run's many at once): each certification follows to the new one, in one update."""
    new_of = {old.pk: new.pk for old, new in pairs}
    Certification.objects.filter(credential_id__in=list(new_of)).update(
        credential_id=Case(*(When(credential_id=old, then=Value(new)) for old, new in new_of.items()))
    )


def certification_pages(sender, request, **kwargs) -> list:
    """The "My courses" link: on the certification pages, and elsewhere for a learner enrolled in a course that
    offers certification or holding a certification."""
    url = reverse("learning_credentials:certification-courses")
    link = [NavigationLink(label=_("My courses"), url=url)]
    if request.path.startswith(url):
        return link
    courses = list(get_adapter().get_learner_courses(request.user.pk))
    if courses and CertificationSettings.objects.filter(enabled=True, context_key__in=courses).exists():
        return link
    return link if Certification.objects.filter(user_id=request.user.pk).exists() else []

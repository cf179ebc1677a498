"""Read paths: public verification lookups, learners' lists, public status."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.urls import reverse

from . import conf
from .adapters import get_adapter
from .identifiers import normalize_code, parse_uuid
from .lifecycle import Status
from .models import Credential, CredentialConfiguration, CredentialRun, InvalidationReason

PUBLIC_STATUSES = (Status.AVAILABLE, Status.INVALIDATED)


@dataclass(frozen=True)
class PublicStatus:
    """How a credential stands to a third party: valid, revoked or superseded."""

    status: str
    revoked_at: datetime | None = None
    reason: str | None = None
    reason_label: str | None = None
    superseded_by_url: str | None = None


def invalidation_reasons() -> dict[str, str]:
    """Reason categories by key: the built-in ones plus LEARNING_CREDENTIALS['EXTRA_INVALIDATION_REASONS']."""
    return {
        **{choice.value: str(choice.label) for choice in InvalidationReason},
        **conf.get("EXTRA_INVALIDATION_REASONS"),
    }


def verify_url(credential: Credential) -> str:
    return conf.base_url() + reverse("learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid})


def _public() -> QuerySet[Credential]:
    return Credential.objects.filter(status__in=PUBLIC_STATUSES).select_related("configuration", "replaced_by")


def credential_get_public(*, verify_uuid: str) -> Credential | None:
    """The credential behind a public identifier, or None (malformed, unknown or not yet public)."""
    parsed = parse_uuid(verify_uuid)
    return None if parsed is None else _public().filter(verify_uuid=parsed).first()


def credential_get_by_code(*, code: str) -> Credential | None:
    normalized = normalize_code(code)
    return None if normalized is None else _public().filter(verification_code=normalized).first()


def credential_public_status(credential: Credential) -> PublicStatus:
    if credential.status != Status.INVALIDATED:
        return PublicStatus(status="valid")
    if credential.invalidation_reason == InvalidationReason.SUPERSEDED:
        newer = getattr(credential, "replaced_by", None)
        url = verify_url(newer) if newer is not None and newer.status == Status.AVAILABLE else None
        return PublicStatus(
            status="superseded",
            revoked_at=credential.invalidated_at,
            reason=InvalidationReason.SUPERSEDED,
            reason_label=str(InvalidationReason.SUPERSEDED.label),
            superseded_by_url=url,
        )
    reason = credential.invalidation_reason
    return PublicStatus(
        status="revoked",
        revoked_at=credential.invalidated_at,
        reason=reason,
        reason_label=invalidation_reasons().get(reason, reason),
    )


def user_may_see(user, credential: Credential) -> bool:
    """The owner, platform staff and the context's course staff may see a credential."""
    return (
        credential.user_id == user.pk
        or user.is_staff
        or get_adapter().is_course_staff(user, credential.configuration.learning_context_key)
    )


def credential_get_for_download(*, uuid: str, user) -> Credential | None:
    """The credential whose PDF ``user`` may download: an AVAILABLE one they may see, or any archive for staff."""
    parsed = parse_uuid(uuid)
    if parsed is None:
        return None
    credential = Credential.objects.select_related("configuration").filter(pk=parsed).first()
    if credential is None or not user_may_see(user, credential):
        return None
    if credential.status == Status.AVAILABLE or (credential.status == Status.INVALIDATED and user.is_staff):
        return credential
    return None


def credentials_for_user(*, user_id: int, context_key=None) -> QuerySet[Credential]:
    queryset = Credential.objects.filter(user_id=user_id).select_related("configuration__credential_type", "user")
    if context_key is not None:
        queryset = queryset.filter(configuration__learning_context_key=context_key)
    return queryset


COUNTED_STATUSES = (Status.AVAILABLE, Status.GENERATING, Status.ERROR, Status.INVALIDATED)


def configurations_with_stats(queryset: QuerySet[CredentialConfiguration]) -> QuerySet[CredentialConfiguration]:
    """Annotate counts by status (``<status>_count``) and the last run's start and end, in one query."""
    last_run = CredentialRun.objects.filter(configuration=OuterRef("pk")).order_by("-started_at", "-id")
    return queryset.annotate(
        **{
            f"{status.value}_count": Count("credentials", filter=Q(credentials__status=status))
            for status in COUNTED_STATUSES
        },
        last_run_started=Subquery(last_run.values("started_at")[:1]),
        last_run_finished=Subquery(last_run.values("finished_at")[:1]),
    )

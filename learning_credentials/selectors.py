"""Read paths: public verification lookups, learners' lists, public status, eligibility and what issuance may do."""

import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery, Sum
from django.urls import reverse
from django.utils import timezone
from opaque_keys.edx.keys import LearningContextKey

from . import conf
from .adapters import get_adapter
from .adapters.base import ANY_MODE, Learner, ProgressDating, Site, is_learning_path
from .eligibility import Eligibility
from .exceptions import (
    AccessDenied,
    ConfigurationDisabled,
    IssuanceDisabled,
    IssuanceRefused,
    LearningCredentialsError,
    NotConfigured,
    NotEnrolled,
    UnknownLearner,
)
from .identifiers import format_code, normalize_code, parse_uuid
from .languages import site_language
from .lifecycle import Status
from .models import (
    REPLACEMENT_REASONS,
    Credential,
    CredentialConfiguration,
    CredentialEvent,
    CredentialExport,
    CredentialRun,
    InvalidationReason,
    VerificationCount,
    Visibility,
)
from .registry import contributed_invalidation_reasons, resolve_options
from .signals import credential_documents, credential_public_identity, public_record_resolving

PUBLIC_STATUSES = (Status.AVAILABLE, Status.INVALIDATED)
# How a credential may stand to a third party (PublicStatus.status).
PUBLIC_STATES = ("valid", "expired", "suspended", "revoked", "superseded")


@dataclass(frozen=True)
class PublicStatus:
    """How a credential stands to a third party: valid, expired, suspended, revoked or superseded.

    Precedence: revoked or superseded (renewed is a kind of superseded), then suspended, then
    expired, then valid. ``expires_at`` is given whatever the status, when the credential has one.
    """

    status: str
    revoked_at: datetime | None = None
    suspended_at: datetime | None = None
    expires_at: datetime | None = None
    reason: str | None = None
    reason_label: str | None = None
    superseded_by_url: str | None = None


def issuance_check(*, configuration: CredentialConfiguration | None = None) -> None:
    """The one guard of every issuing path: IssuanceDisabled while the kill switch is off,
    ConfigurationDisabled for a configuration staff switched off (a staff manual award passes none).
    """
    if not conf.get("ENABLED"):
        raise IssuanceDisabled()
    if configuration is not None and not configuration.enabled:
        raise ConfigurationDisabled(
            f"'{configuration.credential_type}' is not being issued in {configuration.learning_context_key} "
            "at the moment: its configuration is disabled."
        )


def issuance_enabled(*, configuration: CredentialConfiguration | None = None) -> bool:
    """Whether issuance_check lets issuing go ahead, for paths that skip quietly instead of refusing."""
    try:
        issuance_check(configuration=configuration)
    except IssuanceRefused:
        return False
    return True


def configuration_evaluate(
    *, configuration: CredentialConfiguration, user_ids: list[int] | None = None
) -> dict[int, Eligibility]:
    """Run the configuration's retrieval function: verdicts for its learners (or those given)."""
    retrieve, _ = configuration.credential_type.functions()
    return retrieve(
        adapter=get_adapter(),
        context_key=configuration.learning_context_key,
        options=resolve_options(retrieve, configuration.options()),
        user_ids=user_ids,
    )


def normalize_name(name: str) -> str:
    """Trim, collapse white space, drop control characters and use NFC, as printed on credentials."""
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C" or ch in " \t\n")
    return unicodedata.normalize("NFC", " ".join(name.split()))


def printed_name(learner: Learner) -> str:
    """The name a credential prints for a learner: their full name as normalized, else their username."""
    return (normalize_name(learner.full_name) or learner.username)[:255]


def learner_printed_names(*, user_ids: list[int]) -> dict[int, str]:
    """The name a credential issued now would print, for each learner the host knows; one adapter read."""
    return {user_id: printed_name(learner) for user_id, learner in get_adapter().get_learners(user_ids).items()}


def learner_issue_facts(*, user_ids: list[int]) -> dict[int, tuple[str, str]]:
    """The name a credential issued now would print and the site language it would be in, for each learner the
    host knows; one adapter read."""
    return {
        user_id: (printed_name(learner), site_language(learner.language))
        for user_id, learner in get_adapter().get_learners(user_ids).items()
    }


def learner_current_name(*, user_id: int) -> str:
    """The name a credential issued now would carry, as issuance snapshots it; UnknownLearner if the host has none."""
    name = learner_printed_names(user_ids=[user_id]).get(user_id)
    if name is None:
        raise UnknownLearner("The platform does not know this learner.")
    return name


def invalidation_reasons() -> dict[str, str]:
    """Reason categories by key: the built-in ones, those of installed sub-apps and the EXTRA_INVALIDATION_REASONS."""
    return {
        **{choice.value: str(choice.label) for choice in InvalidationReason},
        **{key: str(label) for key, label in contributed_invalidation_reasons.items()},
        **conf.get("EXTRA_INVALIDATION_REASONS"),
    }


def invalidation_reason_label(credential: Credential) -> str:
    """The public label of the credential's invalidation reason, lower-cased for the middle of a sentence."""
    reason = credential.invalidation_reason
    return invalidation_reasons().get(reason, reason).lower()


def context_sites(*, context_keys: Iterable[LearningContextKey]) -> dict[LearningContextKey, Site]:
    """The site of each context, the global settings filled in where it sets nothing; one adapter read for all.

    Links, emails and printed dates of a credential come from its context's site: resolve them
    once for a batch (a chunk, an email run, a page of results) and pass each on.
    """
    keys = list(dict.fromkeys(context_keys))
    if not keys:
        return {}
    return {key: _with_settings(site) for key, site in get_adapter().get_sites(keys).items()}


def context_site(*, context_key: LearningContextKey) -> Site:
    return context_sites(context_keys=[context_key])[context_key]


def credential_site(credential: Credential) -> Site:
    return context_site(context_key=credential.configuration.learning_context_key)


def _with_settings(site: Site) -> Site:
    return replace(
        site,
        base_url=site.base_url.rstrip("/") if site.base_url else conf.base_url(),
        from_email=site.from_email or settings.DEFAULT_FROM_EMAIL,
        logo_url=site.logo_url or None,
        date_format=site.date_format or None,
        time_zone=site.time_zone or "UTC",
    )


@dataclass(frozen=True)
class PublicIdentity:
    """The identifier and code a credential is verified by: its own, or those of a record standing for its chain."""

    verify_uuid: uuid.UUID
    code: str


def public_identities_attach(credentials: Iterable[Credential]) -> None:
    """Resolve the public identity of many credentials with one ask (``credential_public_identity``).

    Batches (a generation chunk, an email run, a page of results) call this once; each credential
    then answers ``public_identity`` from memory.
    """
    pending = [c for c in credentials if getattr(c, "_public_identity", None) is None]
    if not pending:
        return
    found: dict = {}
    for _receiver, answer in credential_public_identity.send(sender=Credential, credentials=pending):
        found.update(answer or {})
    for credential in pending:
        own = (credential.verify_uuid, credential.verification_code)
        credential._public_identity = PublicIdentity(*found.get(credential.pk, own))


def public_identity(credential: Credential) -> PublicIdentity:
    """The identifier and code the credential's links, QR code and printed code carry."""
    public_identities_attach([credential])
    return credential._public_identity


def public_code(credential: Credential) -> str:
    """The verification code a credential shows, grouped for reading (ABCDE-FGHJK)."""
    return format_code(public_identity(credential).code)


def verify_url(credential: Credential, *, site: Site | None = None) -> str:
    """The public verification page on the site of the credential's context (``site``, when the caller has it)."""
    base = (site or credential_site(credential)).base_url
    return base + reverse(
        "learning_credentials:verify", kwargs={"verify_uuid": public_identity(credential).verify_uuid}
    )


def verify_short_url(credential: Credential, *, site: Site | None = None) -> str:
    """The short link to the verification page that QR codes encode (see docs/decisions/0006)."""
    base = (site or credential_site(credential)).base_url
    return base + reverse("learning_credentials:verify-short", kwargs={"code": public_identity(credential).code})


class PublicRecord:
    """A public link and code that stand for a chain of credentials (a sub-app's record, e.g. a certification).

    It reads as the chain's current credential (holder, title, context, status, visibility, file),
    except for what the record decides: its identifier and code, and the score and date of its
    current state. Read-only: it is never saved.
    """

    def __init__(self, credential: Credential, *, verify_uuid: uuid.UUID, code: str, score, created):
        values = {"verify_uuid": verify_uuid, "verification_code": code, "score": score, "created": created}
        object.__setattr__(self, "_credential", credential)
        object.__setattr__(self, "_values", values)
        object.__setattr__(self, "_public_identity", PublicIdentity(verify_uuid, code))

    def __getattr__(self, name: str):
        values = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        return getattr(object.__getattribute__(self, "_credential"), name)

    def __setattr__(self, name: str, value) -> None:
        raise AttributeError("A public record is read-only.")

    @property
    def credential(self) -> Credential:
        return self._credential

    def save(self, *args, **kwargs) -> None:
        raise AttributeError("A public record is read-only.")


def _record(**lookup) -> PublicRecord | None:
    for _receiver, answer in public_record_resolving.send(sender=Credential, **lookup):
        if answer is not None:
            return answer
    return None


@dataclass(frozen=True)
class CredentialDocument:
    """A file of a credential a sub-app serves besides the PDF: its link text, URL and what it is for."""

    label: str
    url: str
    help: str = ""


def credential_documents_offered(credential: Credential) -> list[CredentialDocument]:
    """Every document a sub-app serves for the credential (``credential_documents``), in the receivers' order."""
    offered: list[CredentialDocument] = []
    for _receiver, answer in credential_documents.send(sender=Credential, credential=credential):
        offered += answer or []
    return offered


def credential_public_record(credential: Credential) -> PublicRecord | None:
    """The record whose public link a credential carries (a certification), when that is not the credential's own."""
    identity = public_identity(credential)
    if identity.verify_uuid == credential.verify_uuid:
        return None
    return _record(verify_uuid=identity.verify_uuid)


def _public() -> QuerySet[Credential]:
    return Credential.objects.filter(status__in=PUBLIC_STATUSES).select_related("configuration", "replaced_by")


def _visible_to(credential: Credential | None, viewer) -> Credential | None:
    """A private credential exists only for its holder and staff: everyone else gets None, as for an unknown one."""
    if credential is None or credential.visibility != Visibility.PRIVATE:
        return credential
    if viewer is not None and viewer.is_authenticated and user_may_see(viewer, credential):
        return credential
    return None


def credential_get_public(*, verify_uuid: str, viewer=None) -> Credential | PublicRecord | None:
    """The credential (or record) behind a public identifier; None when malformed, unknown, unfinished or private."""
    parsed = parse_uuid(verify_uuid)
    if parsed is None:
        return None
    found = _public().filter(verify_uuid=parsed).first() or _record(verify_uuid=parsed)
    return _visible_to(found, viewer)


def credential_get_by_code(*, code: str, viewer=None) -> Credential | PublicRecord | None:
    normalized = normalize_code(code)
    if normalized is None:
        return None
    return _visible_to(_public().filter(verification_code=normalized).first() or _record(code=normalized), viewer)


def credential_public_status(
    credential: Credential, *, site: Site | None = None, now: datetime | None = None
) -> PublicStatus:
    """``site``: the credential's, when the caller has it (a reissue stays in its configuration, so on its site)."""
    expires_at = credential.expires_at
    if credential.status != Status.INVALIDATED:
        if credential.suspended_at is not None:
            return PublicStatus(status="suspended", suspended_at=credential.suspended_at, expires_at=expires_at)
        if expires_at is not None and expires_at <= (now or timezone.now()):
            return PublicStatus(status="expired", expires_at=expires_at)
        return PublicStatus(status="valid", expires_at=expires_at)
    reason, url = credential.invalidation_reason, None
    if reason in REPLACEMENT_REASONS:
        newer = getattr(credential, "replaced_by", None)
        shown = newer is not None and newer.status == Status.AVAILABLE and newer.visibility == Visibility.PUBLIC
        # A private newer credential is not revealed.
        url = verify_url(newer, site=site or credential_site(credential)) if shown else None
    return invalidated_public_status(
        reason=reason, invalidated_at=credential.invalidated_at, expires_at=expires_at, superseded_by_url=url
    )


def invalidated_public_status(
    *,
    reason: str,
    invalidated_at: datetime | None,
    expires_at: datetime | None = None,
    superseded_by_url: str | None = None,
) -> PublicStatus:
    """How an invalidation for ``reason`` stands publicly; staff see it before they invalidate (admin)."""
    return PublicStatus(
        status="superseded" if reason in REPLACEMENT_REASONS else "revoked",
        revoked_at=invalidated_at,
        expires_at=expires_at,
        reason=reason,
        reason_label=invalidation_reasons().get(reason, reason),
        superseded_by_url=superseded_by_url,
    )


def progress_times(*, context_key: LearningContextKey, user_ids: list[int]) -> dict[int, datetime]:
    """When each learner's progress (completion or grades) in a course or learning path last changed.

    The fresh-achievement rule of renewal reads it. A learning path's is the latest of its steps'.
    Learners without progress are absent; so is everyone when the host cannot date progress
    (its adapter is not ``ProgressDating``).
    """
    adapter = get_adapter()
    if not isinstance(adapter, ProgressDating) or not user_ids:
        return {}
    courses = adapter.get_learning_path_steps(context_key) if is_learning_path(context_key) else [context_key]
    latest: dict[int, datetime] = {}
    for course_key in courses:
        for user_id, moment in adapter.get_progress_times(course_key, user_ids).items():
            if user_id not in latest or moment > latest[user_id]:
                latest[user_id] = moment
    return latest


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


def user_is_context_staff(user, context_key) -> bool:
    """Platform staff, or the context's course staff as the adapter says."""
    return bool(user.is_staff) or get_adapter().is_course_staff(user, context_key)


def learner_for_viewer(*, viewer, username: str | None = None, context_key=None, refusal: str):
    """Whose data ``viewer`` asks for: their own; anyone's for platform staff; course staff's within their context.

    ``refusal``: the AccessDenied message for anyone else (it says what they may read instead).
    """
    if not username or username == viewer.get_username():
        return viewer
    allowed = viewer.is_staff or (context_key is not None and get_adapter().is_course_staff(viewer, context_key))
    if not allowed:
        raise AccessDenied(refusal)
    learner = user_get(username=username)
    if learner is None:
        raise UnknownLearner(f"There is no user '{username:.150}'.")
    return learner


def user_get(*, username: str | None = None, user_id: int | None = None):
    """The host's user by username or id, or None; the one place that looks learners up by name.

    A username with a NUL byte matches nobody (PostgreSQL would refuse the query).
    """
    user_model = get_user_model()
    if user_id is not None:
        return user_model._default_manager.filter(pk=user_id).first()
    if not username or "\x00" in username:
        return None
    return user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()


def learner_resolve(*, viewer, context_key, username: str | None = None):
    """The learner whose data ``viewer`` asks for: themselves, or anyone for staff of the context.

    AccessDenied when a learner names somebody else; UnknownLearner when staff name nobody.
    """
    if not username or username == viewer.get_username():
        return viewer
    if not user_is_context_staff(viewer, context_key):
        raise AccessDenied("You may only look at your own progress.")
    learner = user_get(username=username)
    if learner is None:
        raise UnknownLearner(f"There is no user '{username:.150}'.")
    return learner


def user_is_enrolled(*, user_id: int, context_key) -> bool:
    """Whether the learner is enrolled in the context at all, in any mode (a credential may still need another)."""
    return user_id in get_adapter().get_enrolled_user_ids(context_key, [user_id], modes=ANY_MODE)


def configuration_get_for_type(*, context_key, type_key: str) -> CredentialConfiguration:
    """The configuration of credential type ``type_key`` in a context, enabled or not; NotConfigured if none."""
    configuration = (
        CredentialConfiguration.objects.select_related("credential_type")
        .filter(learning_context_key=context_key, credential_type__slug=type_key)
        .first()
    )
    if configuration is None:
        raise NotConfigured(f"'{type_key:.64}' is not a credential of {context_key}.")
    return configuration


def credential_held(*, user_id: int, configuration: CredentialConfiguration) -> Credential | None:
    """The learner's live credential of a configuration, else their latest invalidated one, else None."""
    held = Credential.objects.filter(user_id=user_id, configuration=configuration).select_related(
        "configuration__credential_type", "user"
    )
    return held.filter(active=True).first() or held.order_by("-created").first()


@dataclass(frozen=True)
class EligibilityEntry:
    """One enabled credential type of a context as one learner stands towards it."""

    configuration: CredentialConfiguration
    eligible: bool
    score: Decimal | None
    # The retrieval function's facts (current vs required; per step for a learning path); None
    # when the learner has none (not enrolled) or the criteria could not be judged (see error).
    progress: dict | None
    credential: Credential | None
    error: str | None = None


@dataclass(frozen=True)
class EligibilityListing:
    context_key: LearningContextKey
    context_name: str
    learner: object
    enrolled: bool
    issuance_enabled: bool
    entries: list[EligibilityEntry]


def eligibility_listing(*, viewer, context_key, username: str | None = None) -> EligibilityListing:
    """Each enabled credential type of a context with the learner's progress and credential.

    Learners see themselves; staff of the context may name another learner (``username``) and
    see learners who are not enrolled. Everyone else gets NotEnrolled for a context they are
    not enrolled in.
    """
    learner = learner_resolve(viewer=viewer, context_key=context_key, username=username)
    enrolled = user_is_enrolled(user_id=learner.pk, context_key=context_key)
    if not enrolled and not user_is_context_staff(viewer, context_key):
        raise NotEnrolled(f"You are not enrolled in {context_key}.")
    configurations = (
        CredentialConfiguration.objects.filter(learning_context_key=context_key, enabled=True)
        .select_related("credential_type")
        .order_by("credential_type__name")
    )
    held: dict[int, Credential] = {}
    for credential in credentials_for_user(user_id=learner.pk, context_key=context_key).order_by("-created"):
        current = held.get(credential.configuration_id)
        if current is None or (credential.active and not current.active):
            held[credential.configuration_id] = credential
    entries = []
    for configuration in configurations:
        verdict, error = None, None
        if enrolled:
            try:
                verdict = configuration_evaluate(configuration=configuration, user_ids=[learner.pk]).get(learner.pk)
            except LearningCredentialsError as exc:
                error = exc.code
        entries.append(
            EligibilityEntry(
                configuration=configuration,
                eligible=bool(verdict and verdict.eligible),
                score=verdict.score if verdict else None,
                progress=verdict.details if verdict else None,
                credential=held.get(configuration.pk),
                error=error,
            )
        )
    return EligibilityListing(
        context_key=context_key,
        context_name=get_adapter().get_context_names([context_key]).get(context_key, str(context_key)),
        learner=learner,
        enrolled=enrolled,
        issuance_enabled=issuance_enabled(),
        entries=entries,
    )


def credential_get_visible(*, uuid: str, user) -> Credential | None:
    """The credential ``user`` may see (owner, platform staff, course staff), or None."""
    parsed = parse_uuid(uuid)
    if parsed is None:
        return None
    credential = (
        Credential.objects.select_related("configuration__credential_type", "user", "replaced_by")
        .filter(pk=parsed)
        .first()
    )
    return credential if credential is not None and user_may_see(user, credential) else None


# Keys of an audit event's details a learner may read. Anything else (a key added later
# included) is for staff only.
LEARNER_EVENT_DETAILS = frozenset({"category", "replaces", "replaced_by", "eligibility", "credits"})


@dataclass(frozen=True)
class AuditEntry:
    """One audit event as a given reader may see it."""

    id: int
    kind: str
    from_status: str | None
    to_status: str | None
    source: str
    created: datetime
    # "learner" (the holder), "staff" (anyone else who acted) or "system".
    actor_role: str
    # Staff readers only: the acting user's username.
    actor: str | None
    reason: str | None
    details: dict


def credential_events(*, credential: Credential) -> QuerySet[CredentialEvent]:
    return CredentialEvent.objects.filter(credential=credential).select_related("actor").order_by("created", "id")


def audit_entry(event: CredentialEvent, *, credential: Credential, full: bool) -> AuditEntry:
    """An event for staff (``full``) or for the holder: without other people's identities or staff text.

    The holder sees who acted only as a role, a reason only when they acted themselves (staff
    reasons and error messages are internal), and only the details in LEARNER_EVENT_DETAILS.
    """
    role = "system" if event.actor_id is None else "learner" if event.actor_id == credential.user_id else "staff"
    if full:
        actor = event.actor.get_username() if event.actor is not None else None
        reason, details = event.reason or None, event.details or {}
    else:
        actor = None
        reason = (event.reason or None) if role == "learner" else None
        details = {key: value for key, value in (event.details or {}).items() if key in LEARNER_EVENT_DETAILS}
    return AuditEntry(
        id=event.pk,
        kind=event.kind,
        from_status=event.from_status or None,
        to_status=event.to_status or None,
        source=event.source,
        created=event.created,
        actor_role=role,
        actor=actor,
        reason=reason,
        details=details,
    )


EXPORT_PERMISSION = "learning_credentials.export_credentials"


def user_may_export(user) -> bool:
    """Platform staff with the export permission start exports and download any of them (a team's files)."""
    return bool(
        user and user.is_authenticated and user.is_active and user.is_staff and user.has_perm(EXPORT_PERMISSION)
    )


def credentials_for_export(
    *, configuration: CredentialConfiguration | None = None, context_key=None, format: str = "csv"
) -> QuerySet[Credential]:
    """The credentials an export holds: every one of the configuration or context for a CSV; for a ZIP,
    those available with a stored PDF (a revoked credential's archive is for staff's eyes, not a registrar's)."""
    queryset = Credential.objects.select_related("replaced_by")
    if configuration is not None:
        queryset = queryset.filter(configuration=configuration)
    else:
        queryset = queryset.filter(configuration__learning_context_key=context_key)
    if format == CredentialExport.Format.ZIP:
        queryset = queryset.filter(status=Status.AVAILABLE).exclude(artifact="")
    return queryset


@dataclass(frozen=True)
class VerificationSummary:
    """Verifications counted so far (flushed to the database): in all, by channel, and the last day (UTC) of one."""

    total: int = 0
    last_day: date | None = None
    by_channel: dict[str, int] = field(default_factory=dict)


def _verification_summaries(counts: QuerySet[VerificationCount], *, key: str) -> dict:
    """One grouped query: a VerificationSummary per value of ``key`` (a path from VerificationCount)."""
    rows = counts.values(key, "channel").annotate(added=Sum("count"), last=Max("day")).order_by()
    summaries: dict = {}
    for row in rows:
        found = summaries.get(row[key], VerificationSummary())
        last = max(day for day in (found.last_day, row["last"]) if day is not None)
        summaries[row[key]] = VerificationSummary(
            total=found.total + row["added"],
            last_day=last,
            by_channel={**found.by_channel, row["channel"]: row["added"]},
        )
    return summaries


def verification_counts_for_credentials(*, credential_ids: Iterable) -> dict:
    """Each credential's VerificationSummary by its pk (those never verified are absent); one query."""
    counts = VerificationCount.objects.filter(credential_id__in=list(credential_ids))
    return _verification_summaries(counts, key="credential_id")


def verification_counts_for_credential(credential: Credential) -> VerificationSummary:
    return verification_counts_for_credentials(credential_ids=[credential.pk]).get(credential.pk, VerificationSummary())


def verification_counts_for_configurations(*, configuration_ids: Iterable[int]) -> dict[int, VerificationSummary]:
    """Totals of every credential of each configuration, by configuration id; one query."""
    counts = VerificationCount.objects.filter(credential__configuration_id__in=list(configuration_ids))
    return _verification_summaries(counts, key="credential__configuration_id")


def verification_counts_for_configuration(configuration: CredentialConfiguration) -> VerificationSummary:
    """What the admin's configuration page and the dashboard show: every credential issued under it, all time."""
    found = verification_counts_for_configurations(configuration_ids=[configuration.pk])
    return found.get(configuration.pk, VerificationSummary())


def verification_counts_for_context(*, context_key) -> list[tuple[CredentialConfiguration, VerificationSummary]]:
    """Each configuration of a context (enabled or not) with its totals, by credential type name; two queries."""
    configurations = list(
        CredentialConfiguration.objects.filter(learning_context_key=context_key)
        .select_related("credential_type")
        .order_by("credential_type__name")
    )
    found = verification_counts_for_configurations(configuration_ids=[c.pk for c in configurations])
    return [(configuration, found.get(configuration.pk, VerificationSummary())) for configuration in configurations]


def run_latest(*, configuration: CredentialConfiguration) -> CredentialRun | None:
    """The configuration's most recent run, with who started it."""
    return CredentialRun.objects.filter(configuration=configuration).select_related("actor").first()


def run_error_messages(*, run: CredentialRun) -> list[tuple[str, int]]:
    """Why the run's credentials failed: each generation error message with how many credentials it stopped."""
    rows = (
        Credential.objects.filter(configuration_id=run.configuration_id, status=Status.ERROR)
        .filter(modified__gte=run.started_at)
        .values("error_message")
        .annotate(count=Count("pk"))
        .order_by("-count", "error_message")
    )
    return [(row["error_message"], row["count"]) for row in rows]

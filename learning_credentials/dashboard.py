"""Read path of a configuration's dashboard (its admin page): how its credentials are doing, in fixed queries.

Public states are counted in SQL with the precedence of ``selectors.credential_public_status``
(revoked or superseded, then suspended, then expired, then valid), so that the figures agree
with what the public pages say of each credential.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Left, TruncDate
from django.utils import timezone

from .lifecycle import Status
from .models import REPLACEMENT_REASONS, Credential, CredentialConfiguration, InvalidationReason, Visibility
from .selectors import PUBLIC_STATUSES, VerificationSummary, invalidation_reasons, verification_counts_for_configuration

DASHBOARD_WEEKS = 26
EXPIRY_HORIZONS = (7, 30, 90)
TOP_ERRORS = 5
NEXT_EXPIRIES = 5
# Error messages are grouped by their beginning: the same on every database (MariaDB would
# otherwise group long texts by a prefix of its own choosing) and plenty to tell them apart.
ERROR_MESSAGE_CHARS = 500


@dataclass(frozen=True)
class WeekCount:
    """Credentials issued in the (UTC, Monday to Sunday) week that starts on ``start``."""

    start: date
    issued: int


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    label: str
    count: int


@dataclass(frozen=True)
class ErrorGroup:
    message: str
    count: int


@dataclass(frozen=True)
class ExpiryCount:
    """Valid credentials that expire within ``days`` days from now."""

    days: int
    count: int


@dataclass(frozen=True)
class UpcomingExpiry:
    credential_id: Any
    learner_name: str
    expires_at: datetime


@dataclass(frozen=True)
class ConfigurationDashboard:
    """A configuration's figures as they stand at one moment.

    The public states (valid, suspended, expired, revoked by reason, superseded, renewed) count
    credentials that were issued (available or invalidated); ``private`` is how many of those
    are private; ``generating`` and ``error`` are the credentials not issued yet.
    """

    weeks: tuple[WeekCount, ...]
    valid: int
    suspended: int
    expired: int
    revoked: tuple[ReasonCount, ...]
    superseded: int
    renewed: int
    private: int
    generating: int
    error: int
    top_errors: tuple[ErrorGroup, ...]
    # None when no credential of the configuration has an expiry (nor the configuration a validity period).
    expiring: tuple[ExpiryCount, ...] | None
    next_expiries: tuple[UpcomingExpiry, ...]
    # Verifications of its credentials flushed so far, by channel (nothing about who verified).
    verifications: VerificationSummary

    @property
    def issued(self) -> int:
        """Credentials with a public state: every figure of the state table adds up to this."""
        return (
            self.valid
            + self.suspended
            + self.expired
            + sum(reason.count for reason in self.revoked)
            + self.superseded
            + self.renewed
        )

    @property
    def issued_in_weeks(self) -> int:
        return sum(week.issued for week in self.weeks)


def week_start(moment: datetime | date) -> date:
    """The Monday (UTC) of the week a moment falls in."""
    day = moment.astimezone(UTC).date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def _counts(credentials: QuerySet[Credential], now: datetime) -> dict[str, int]:
    """One query: the public states with credential_public_status's precedence, and the rest."""
    available = Q(status=Status.AVAILABLE)
    not_suspended = Q(suspended_at__isnull=True)
    valid = available & not_suspended & (Q(expires_at__isnull=True) | Q(expires_at__gt=now))
    figures = {
        "valid": valid,
        "suspended": available & Q(suspended_at__isnull=False),
        "expired": available & not_suspended & Q(expires_at__lte=now),
        "private": Q(status__in=PUBLIC_STATUSES, visibility=Visibility.PRIVATE),
        "generating": Q(status=Status.GENERATING),
        "error": Q(status=Status.ERROR),
        "with_expiry": Q(expires_at__isnull=False),
        **{f"expiring_{days}": valid & Q(expires_at__lte=now + timedelta(days=days)) for days in EXPIRY_HORIZONS},
    }
    return credentials.aggregate(**{name: Count("pk", filter=condition) for name, condition in figures.items()})


def _reasons(credentials: QuerySet[Credential]) -> dict[str, int]:
    """One query: invalidated credentials by reason."""
    rows = (
        credentials.filter(status=Status.INVALIDATED)
        .values("invalidation_reason")
        .annotate(count=Count("pk"))
        .order_by("invalidation_reason")
    )
    return {row["invalidation_reason"]: row["count"] for row in rows}


def _weeks(credentials: QuerySet[Credential], now: datetime) -> tuple[WeekCount, ...]:
    """One query of at most 7 x DASHBOARD_WEEKS rows: issued per UTC day, folded into weeks here.

    Truncating to the UTC date works on every database: in a non-UTC zone MariaDB needs its time
    zone tables, and answers NULL without them.
    """
    this_week = week_start(now)
    first = this_week - timedelta(weeks=DASHBOARD_WEEKS - 1)
    per_week = {first + timedelta(weeks=index): 0 for index in range(DASHBOARD_WEEKS)}
    rows = (
        credentials.filter(
            status__in=PUBLIC_STATUSES, created__gte=datetime.combine(first, datetime.min.time(), tzinfo=UTC)
        )
        .values(day=TruncDate("created", tzinfo=UTC))
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    for row in rows:
        start = week_start(row["day"])
        if start in per_week:  # a credential dated in the future (a clock that jumped) is left out
            per_week[start] += row["count"]
    return tuple(WeekCount(start=start, issued=count) for start, count in per_week.items())


def _top_errors(credentials: QuerySet[Credential]) -> tuple[ErrorGroup, ...]:
    rows = (
        credentials.filter(status=Status.ERROR)
        .values(message=Left("error_message", ERROR_MESSAGE_CHARS))
        .annotate(count=Count("pk"))
        .order_by("-count", "message")[:TOP_ERRORS]
    )
    return tuple(ErrorGroup(message=row["message"] or "", count=row["count"]) for row in rows)


def _next_expiries(credentials: QuerySet[Credential], now: datetime) -> tuple[UpcomingExpiry, ...]:
    rows = (
        credentials.filter(status=Status.AVAILABLE, suspended_at__isnull=True, expires_at__gt=now)
        .order_by("expires_at", "pk")
        .values("pk", "learner_name", "expires_at")[:NEXT_EXPIRIES]
    )
    return tuple(
        UpcomingExpiry(credential_id=row["pk"], learner_name=row["learner_name"], expires_at=row["expires_at"])
        for row in rows
    )


def configuration_dashboard(
    *, configuration: CredentialConfiguration, now: datetime | None = None
) -> ConfigurationDashboard:
    """The dashboard of a configuration: six queries at most, whatever the number of its credentials."""
    now = now or timezone.now()
    credentials = Credential.objects.filter(configuration=configuration)
    counts = _counts(credentials, now)
    by_reason = _reasons(credentials)
    labels = invalidation_reasons()
    revoked = tuple(
        ReasonCount(reason=reason, label=labels.get(reason, reason), count=count)
        for reason, count in sorted(by_reason.items(), key=lambda item: (-item[1], item[0]))
        if reason not in REPLACEMENT_REASONS
    )
    has_expiries = bool(counts["with_expiry"] or configuration.validity_period)
    return ConfigurationDashboard(
        weeks=_weeks(credentials, now),
        valid=counts["valid"],
        suspended=counts["suspended"],
        expired=counts["expired"],
        revoked=revoked,
        superseded=by_reason.get(InvalidationReason.SUPERSEDED, 0),
        renewed=by_reason.get(InvalidationReason.RENEWED, 0),
        private=counts["private"],
        generating=counts["generating"],
        error=counts["error"],
        top_errors=_top_errors(credentials) if counts["error"] else (),
        expiring=(
            tuple(ExpiryCount(days=days, count=counts[f"expiring_{days}"]) for days in EXPIRY_HORIZONS)
            if has_expiries
            else None
        ),
        next_expiries=_next_expiries(credentials, now) if has_expiries else (),
        verifications=verification_counts_for_configuration(configuration),
    )

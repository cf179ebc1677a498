"""Read paths of the credits sub-app: learners' entries and totals, reports, the dashboard and the catalog."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Count, Prefetch, QuerySet, Sum
from django.utils import timezone

from ..adapters import get_adapter
from ..exceptions import AccessDenied
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration
from ..selectors import learner_for_viewer, user_is_context_staff
from .models import ConfigurationCredit, CreditLedgerEntry, CreditType

SEPARATOR = " · "


def credits_text_by_credential(*, credentials) -> dict:
    """``{credential pk: "1.50 SHRM PDCs · 1.50 HRCI credits"}`` for those that carry active credits; two queries."""
    entries = list(
        CreditLedgerEntry.objects.filter(credential_id__in=[credential.pk for credential in credentials], active=True)
        .order_by("id")
        .values_list("credential_id", "credit_type_id", "amount")  # no model or key parsing per entry: runs are big
    )
    if not entries:
        return {}
    types = CreditType.objects.in_bulk({credit_type_id for _, credit_type_id, _ in entries})
    labels: dict = {}
    for credential_id, credit_type_id, amount in entries:
        labels.setdefault(credential_id, []).append(types[credit_type_id].label(amount))
    return {pk: SEPARATOR.join(texts) for pk, texts in labels.items()}


def credits_learner_resolve(*, viewer, username: str | None = None, context_key=None):
    """Whose entries ``viewer`` asks for: their own; anyone's for platform staff; course staff within their context."""
    return learner_for_viewer(
        viewer=viewer, username=username, context_key=context_key, refusal="You may only read your own credits."
    )


def credit_entries(*, user_id: int, context_key=None) -> QuerySet[CreditLedgerEntry]:
    """A learner's entries, voided ones included, newest first."""
    entries = CreditLedgerEntry.objects.filter(user_id=user_id).select_related("credit_type", "credential")
    if context_key is not None:
        entries = entries.filter(context_key=context_key)
    return entries.order_by("-awarded_at", "-id")


@dataclass(frozen=True)
class CreditTotal:
    """The sum of active entries of one credit type."""

    code: str
    name: str
    unit: str
    total: Decimal
    label: str


def credit_totals(entries: QuerySet[CreditLedgerEntry]) -> list[CreditTotal]:
    """Totals per credit type of the active ``entries`` (voided ones count nowhere), in one query."""
    return _totals(entries, by_learner=False)[None]


def credit_totals_by_learner(entries: QuerySet[CreditLedgerEntry]) -> dict[int, list[CreditTotal]]:
    """Totals per learner (user id) and credit type of the active ``entries``, in one query."""
    return _totals(entries, by_learner=True)


def _totals(entries: QuerySet[CreditLedgerEntry], *, by_learner: bool) -> dict:
    groups = ["credit_type__code", "credit_type__name", "credit_type__unit", "credit_type__unit_plural"]
    if by_learner:
        groups.insert(0, "user_id")
    rows = (
        entries.filter(active=True)
        .order_by()
        .values(*groups)
        .annotate(total=Sum("amount"))
        .order_by(*groups[: 2 if by_learner else 1])
    )
    totals: dict = {} if by_learner else {None: []}
    for row in rows:
        kind = CreditType(
            code=row["credit_type__code"],
            name=row["credit_type__name"],
            unit=row["credit_type__unit"],
            unit_plural=row["credit_type__unit_plural"],
        )
        amount = Decimal(row["total"]).quantize(Decimal("0.01"))
        totals.setdefault(row["user_id"] if by_learner else None, []).append(
            CreditTotal(code=kind.code, name=kind.name, unit=kind.unit, total=amount, label=kind.label(amount))
        )
    return totals


@dataclass(frozen=True)
class ReportRow:
    """One active entry as accrediting bodies want it: who, which activity, what, how much, when."""

    learner_name: str
    email: str
    username: str
    activity_id: str
    credit_type: str
    credit_type_name: str
    amount: Decimal
    completion_date: date
    context_key: str
    verification_code: str


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def credit_report_authorize(*, viewer, context_key) -> None:
    """Reports are for platform staff and the context's course staff; AccessDenied for anyone else."""
    if not user_is_context_staff(viewer, context_key):
        raise AccessDenied("Only staff of this course or learning path may read its credits report.")


def credit_report(*, viewer, context_key, start: date | None = None, end: date | None = None) -> list[ReportRow]:
    """Active entries of a context awarded from ``start`` to ``end`` (dates, both included), oldest first.

    For platform staff and the context's course staff (AccessDenied for anyone else). Names are
    those printed on the credential the credits came with; emails come from the host, in one call.
    """
    credit_report_authorize(viewer=viewer, context_key=context_key)
    entries = CreditLedgerEntry.objects.filter(context_key=context_key, active=True)
    if start is not None:
        entries = entries.filter(awarded_at__gte=_day_start(start))
    if end is not None:
        entries = entries.filter(awarded_at__lt=_day_start(end + timedelta(days=1)))
    entries = list(entries.select_related("credit_type", "credential", "user").order_by("awarded_at", "id"))
    learners = get_adapter().get_learners(sorted({entry.user_id for entry in entries if entry.user_id is not None}))
    rows = []
    for entry in entries:
        learner = learners.get(entry.user_id)
        name = entry.credential.learner_name if entry.credential else ""
        username = entry.user.get_username() if entry.user else ""  # empty once the account was deleted
        rows.append(
            ReportRow(
                learner_name=name or (learner.full_name if learner else "") or username,
                email=(learner.email if learner else "") or getattr(entry.user, "email", ""),
                username=username,
                activity_id=entry.activity_id,
                credit_type=entry.credit_type.code,
                credit_type_name=entry.credit_type.name,
                amount=entry.amount,
                completion_date=timezone.localdate(entry.awarded_at),
                context_key=str(entry.context_key),
                verification_code=entry.credential.verification_code if entry.credential else "",
            )
        )
    return rows


def report_totals(rows: list[ReportRow]) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row.credit_type] = totals.get(row.credit_type, Decimal("0.00")) + row.amount
    return dict(sorted(totals.items()))


@dataclass(frozen=True)
class LearnerSummary:
    """Dashboard counts of one learner: credentials by status and active credits by type."""

    credentials_total: int
    credentials_by_status: dict[str, int]
    credits: list[CreditTotal]


def learner_summary(*, user_id: int) -> LearnerSummary:
    """Two queries: credentials counted by status, credits summed by type."""
    counts = dict(
        Credential.objects.filter(user_id=user_id)
        .order_by()
        .values("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    by_status = {status.value: counts.get(status.value, 0) for status in Status}
    return LearnerSummary(
        credentials_total=sum(by_status.values()),
        credentials_by_status=by_status,
        credits=credit_totals(CreditLedgerEntry.objects.filter(user_id=user_id)),
    )


@dataclass(frozen=True)
class CatalogCredential:
    type_key: str
    type_name: str
    credits: list[ConfigurationCredit]


@dataclass(frozen=True)
class CatalogContext:
    """A course or learning path that offers credentials (enabled configurations), with what each awards."""

    context_key: str
    context_name: str
    credential_types: list[CatalogCredential] = field(default_factory=list)


def credential_catalog() -> list[CatalogContext]:
    """Every context with an enabled configuration, ordered by key: two queries and one adapter call."""
    configurations = (
        CredentialConfiguration.objects.filter(enabled=True)
        .select_related("credential_type")
        .prefetch_related(
            Prefetch(
                "credits",
                queryset=ConfigurationCredit.objects.filter(credit_type__active=True)
                .select_related("credit_type")
                .order_by("id"),
            )
        )
        .order_by("learning_context_key", "credential_type__name")
    )
    by_context: dict[str, tuple] = {}
    for configuration in configurations:
        key = configuration.learning_context_key
        _key, offered = by_context.setdefault(str(key), (key, []))
        offered.append(
            CatalogCredential(
                type_key=configuration.credential_type.slug,
                type_name=configuration.credential_type.name,
                credits=list(configuration.credits.all()),
            )
        )
    names = get_adapter().get_context_names([key for key, _offered in by_context.values()])
    return [
        CatalogContext(context_key=text, context_name=names.get(key, text), credential_types=offered)
        for text, (key, offered) in sorted(by_context.items())
    ]

"""Configurations: their beat schedule, and runs that issue credentials in bulk."""

import functools
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from .. import conf
from ..eligibility import Eligibility
from ..exceptions import ConfigurationDisabled, IssuanceDisabled, LearningCredentialsError
from ..lifecycle import Status
from ..models import Credential, CredentialConfiguration, CredentialEvent, CredentialRun, ScheduleType
from ..selectors import configuration_evaluate, issuance_check, issuance_enabled
from .asset_loading import asset_load
from .dispatch import RUN_CONFIGURATION, chunk_queue, run_queue, run_send
from .generation import credentials_generate
from .issuance import credential_retry, credentials_issue, credentials_renew
from .renewal import renewals_due

log = logging.getLogger(__name__)


def _task_name(configuration: CredentialConfiguration) -> str:
    return f"learning_credentials: configuration {configuration.pk} ({configuration.learning_context_key})"[:200]


def configuration_schedule_sync(*, configuration: CredentialConfiguration) -> PeriodicTask:
    """Create or update the configuration's PeriodicTask so beat runs it on its schedule, only while enabled."""
    with transaction.atomic():
        if configuration.schedule_type == ScheduleType.CRONTAB:
            minute, hour, day_of_month, month_of_year, day_of_week = configuration.crontab.split()
            crontab, _ = CrontabSchedule.objects.get_or_create(
                minute=minute,
                hour=hour,
                day_of_month=day_of_month,
                month_of_year=month_of_year,
                day_of_week=day_of_week,
                timezone=timezone.get_default_timezone_name(),
            )
            schedule = {"crontab": crontab, "interval": None}
        else:
            interval, _ = IntervalSchedule.objects.get_or_create(
                every=configuration.interval_every, period=configuration.interval_period
            )
            schedule = {"interval": interval, "crontab": None}
        fields = {
            "name": _task_name(configuration),
            "task": RUN_CONFIGURATION,
            "args": json.dumps([configuration.pk]),
            "enabled": configuration.enabled,
            "description": f"Issues '{configuration.credential_type}' in {configuration.learning_context_key}.",
            **schedule,
        }
        task = configuration.periodic_task
        if task is None:
            task = PeriodicTask.objects.create(**fields)
            CredentialConfiguration.objects.filter(pk=configuration.pk).update(periodic_task=task)
            configuration.periodic_task = task
        else:
            for field, value in fields.items():
                setattr(task, field, value)
            task.save()
    return task


def configuration_schedule_delete(*, configuration: CredentialConfiguration) -> None:
    if configuration.periodic_task_id:
        PeriodicTask.objects.filter(pk=configuration.periodic_task_id).delete()


@dataclass(frozen=True)
class RunPlan:
    """Who a run would issue to: eligible learners minus those who hold (or held) a credential,
    and which of those holders it renews (their credential expires soon or has expired)."""

    eligible: list[int]
    held: set[int]
    to_issue: list[int]
    to_renew: list[int] = field(default_factory=list)
    # Every verdict behind it, the ineligible learners' included (a preview counts their reasons).
    verdicts: dict[int, Eligibility] = field(default_factory=dict, compare=False, repr=False)


def configuration_plan(*, configuration: CredentialConfiguration, user_ids: list[int] | None = None) -> RunPlan:
    """Bulk eligibility minus every learner with a credential of this configuration, in any status.

    Invalidated credentials count as held, so a refunded learner never gets it back from a run.
    Holders whose live credential is due for renewal are planned for it (``renewals_due``).
    ``user_ids``: only these learners (a preview plans a large context in chunks).
    """
    verdicts = configuration_evaluate(configuration=configuration, user_ids=user_ids)
    eligible = sorted(uid for uid, verdict in verdicts.items() if verdict.eligible)
    holders = Credential.objects.filter(configuration=configuration, user_id__in=eligible)
    held = set(holders.values_list("user_id", flat=True))
    to_renew = renewals_due(configuration=configuration, verdicts={uid: verdicts[uid] for uid in held}) if held else []
    return RunPlan(
        eligible=eligible,
        held=held,
        to_issue=[uid for uid in eligible if uid not in held],
        to_renew=to_renew,
        verdicts=verdicts,
    )


def configuration_run(
    *,
    configuration_id: int,
    source: str,
    inline: bool = False,
    on_chunk: Callable[[dict], None] | None = None,
    actor_id: int | None = None,
) -> CredentialRun | None:
    """Run a configuration: retry ERRORs, then issue the plan in chunks.

    Chunks are queued as tasks, or with ``inline`` run in this process one after another
    (``on_chunk`` hears each chunk's counts). Returns None when issuance is off globally or
    for this configuration; a run the host cannot serve records its error. ``actor_id``: the
    staff member who started it, named by the run and its audit rows.
    """
    configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)
    if not issuance_enabled(configuration=configuration):
        return None
    run = CredentialRun.objects.create(configuration=configuration, source=source, actor_id=actor_id)
    try:
        plan = configuration_plan(configuration=configuration)
    except LearningCredentialsError as exc:
        CredentialRun.objects.filter(pk=run.pk).update(error=exc.message, finished_at=timezone.now())
        run.refresh_from_db()
        return run
    retried = _retry_errors(configuration=configuration, source=source, actor_id=actor_id)
    size = conf.get("CHUNK_SIZE")
    planned = plan.to_issue + plan.to_renew
    chunks = [planned[i : i + size] for i in range(0, len(planned), size)]
    CredentialRun.objects.filter(pk=run.pk).update(
        eligible=len(plan.eligible),
        already_held=len(plan.held),
        retried=retried,
        chunks_total=len(chunks),
        finished_at=None if chunks else timezone.now(),
    )
    for chunk in chunks:
        if inline:
            counts = configuration_issue_chunk(
                configuration_id=configuration.pk, user_ids=chunk, run_id=run.pk, source=source, actor_id=actor_id
            )
            if on_chunk:
                on_chunk({**counts, "learners": len(chunk)})
        else:
            chunk_queue(
                configuration_id=configuration.pk, user_ids=chunk, run_id=run.pk, source=source, actor_id=actor_id
            )
    run.refresh_from_db()
    return run


def _retry_errors(*, configuration: CredentialConfiguration, source: str, actor_id: int | None) -> int:
    errored = Credential.objects.filter(
        configuration=configuration, status=Status.ERROR, attempts__lt=conf.get("MAX_ATTEMPTS")
    )
    count = 0
    for credential in errored:
        credential_retry(credential=credential, source=source, actor_id=actor_id)
        count += 1
    return count


def configuration_issue_chunk(
    *, configuration_id: int, user_ids: list[int], run_id: int | None, source: str, actor_id: int | None = None
) -> dict:
    """Issue and generate the credentials of one chunk, in bulk; one learner's failure never stops the others.

    A fixed number of queries per chunk (see credentials_issue and credentials_generate).
    """
    started = time.monotonic()
    configuration = CredentialConfiguration.objects.select_related("credential_type").get(pk=configuration_id)
    load_asset = functools.cache(asset_load)  # one look-up per asset for the whole chunk, not per learner
    verdicts = configuration_evaluate(configuration=configuration, user_ids=user_ids)
    eligible = {uid: verdicts[uid] for uid in user_ids if uid in verdicts and verdicts[uid].eligible}
    renewing = set(renewals_due(configuration=configuration, verdicts=eligible))
    try:
        to_generate, failed = credentials_issue(
            configuration=configuration,
            verdicts={uid: verdict for uid, verdict in eligible.items() if uid not in renewing},
            source=source,
            actor_id=actor_id,
        )
        renewed, not_renewed = credentials_renew(
            configuration=configuration,
            verdicts={uid: eligible[uid] for uid in renewing},
            source=source,
            actor_id=actor_id,
        )
    except (IssuanceDisabled, ConfigurationDisabled) as exc:
        log.warning("Chunk of %s not issued: %s", configuration, exc.message)
        to_generate, failed, renewed, not_renewed = [], len(eligible), [], 0
    done = credentials_generate(credential_ids=to_generate + renewed, source=source, load_asset=load_asset)
    issued = sum(credential.status == Status.AVAILABLE for credential in done)
    counts = {"issued": issued, "failed": failed + not_renewed + len(done) - issued, "renewed": len(renewed)}
    if run_id is not None:
        _run_add(run_id=run_id, counts=counts)
    log.info("Chunk of %s: %s in %.2fs", configuration, counts, time.monotonic() - started)
    return counts


def _run_add(*, run_id: int, counts: dict) -> None:
    with transaction.atomic():
        CredentialRun.objects.filter(pk=run_id).update(
            renewed=F("renewed") + counts.get("renewed", 0),
            issued=F("issued") + counts["issued"],
            failed=F("failed") + counts["failed"],
            chunks_done=F("chunks_done") + 1,
        )
        CredentialRun.objects.filter(pk=run_id, chunks_done__gte=F("chunks_total"), finished_at__isnull=True).update(
            finished_at=timezone.now()
        )


def configurations_run_all(*, source: str = CredentialEvent.Source.SCHEDULE) -> list[int]:
    """Queue a run of every enabled configuration; returns their ids."""
    ids = list(CredentialConfiguration.objects.filter(enabled=True).values_list("pk", flat=True))
    for configuration_id in ids:
        run_queue(configuration_id=configuration_id, source=source)
    return ids


def configuration_run_queue(*, configuration: CredentialConfiguration, source: str, actor_id: int | None = None) -> str:
    """Queue a run now ("Generate now", confirmed after its preview); returns the Celery task id.

    Refuses a disabled configuration (the run would do nothing) and fails fast with
    QueueUnavailable when the broker cannot be reached.
    """
    issuance_check(configuration=configuration)
    return run_send(configuration_id=configuration.pk, source=source, actor_id=actor_id)

"""The switch-over itself: keep the plugin's tables aside, build our schema, import their rows and files.

Every step can run again: tables already kept aside are not copied twice, rows already imported
(types by name, assets by slug, configurations by context and type, credentials by uuid) are
skipped, and files already copied are kept. MariaDB commits each DDL statement at once, so a run
stopped half-way (a crash, a timeout) leaves a state the next run continues from.

Nothing is regenerated: an issued PDF is copied byte for byte; credentials keep their uuid and
verify_uuid (the plugin's metadata view looked credentials up by verify_uuid, as ours does, so
every link an employer holds keeps answering).
"""

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.apps.registry import Apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connection, models, transaction
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from .. import conf
from ..assets import AssetKind
from ..exceptions import InvalidContextKey
from ..identifiers import generate_code, parse_context_key
from ..lifecycle import Status
from ..models import (
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialEvent,
    CredentialType,
    InvalidationReason,
    ScheduleType,
)
from ..services.artifacts import artifact_name, artifact_storage
from ..services.codes import credential_codes_settle
from .detection import APP_LABEL, PLUGIN_MIGRATIONS, PLUGIN_TABLES, archive_name, plugin_database
from .mapping import PLUGIN_GENERATION, PLUGIN_RETRIEVAL, Mapped, asset_slug, options_map

# The plugin's Celery tasks (learning_credentials/tasks.py in 0.5.3): beat entries calling them are its own.
PLUGIN_TASKS = (
    "learning_credentials.tasks.generate_credentials_for_config_task",
    "learning_credentials.tasks.generate_all_credentials_task",
    "learning_credentials.tasks.generate_credential_for_user_task",
)
ASSET_KINDS = {".pdf": AssetKind.PDF_TEMPLATE, ".ttf": AssetKind.FONT, ".png": AssetKind.IMAGE}
ASSET_KINDS |= {".jpg": AssetKind.IMAGE, ".jpeg": AssetKind.IMAGE}
IMPORTED_BY = "Imported from the open-craft plugin (learning-credentials 0.5.x)."
BATCH = 500
MODELS = ("credential types", "assets", "configurations", "credentials")


@dataclass
class Messages:
    """What needs the operator (problems) and what changed without needing them (notes)."""

    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def extend(self, other: "Messages") -> None:
        self.problems += other.problems
        self.notes += other.notes


@dataclass
class Report(Messages):
    """What a run found, did (or would do, in a dry run), and could not map."""

    applied: bool = False
    tables: str = ""
    counts: dict[str, Counter] = field(default_factory=lambda: {name: Counter() for name in MODELS})
    files: Counter = field(default_factory=Counter)
    tasks: Counter = field(default_factory=Counter)

    def count(self, model: str, outcome: str, n: int = 1) -> None:
        self.counts[model][outcome] += n

    def as_dict(self) -> dict:
        return {
            "applied": self.applied,
            "tables": self.tables,
            "counts": {name: dict(counter) for name, counter in self.counts.items()},
            "files": dict(self.files),
            "periodic_tasks": dict(self.tasks),
            "problems": self.problems,
            "notes": self.notes,
        }


# -- the plugin's tables, read through unmanaged models (Django converts uuids and dates per engine) ---------


def _plugin_models(tables: dict[str, str]):
    """Read-only models of the plugin's four tables (0010's schema) under their current names."""
    registry = Apps()

    def model(name: str, table: str, fields: dict):
        meta = type(
            "Meta", (), {"apps": registry, "app_label": "lc_openedx_plugin", "db_table": table, "managed": False}
        )
        return type(name, (models.Model,), {"__module__": __name__, "Meta": meta, **fields})

    common = {"created": models.DateTimeField(), "modified": models.DateTimeField()}
    return {
        "type": model(
            "PluginType",
            tables["learning_credentials_credentialtype"],
            {
                **common,
                "name": models.CharField(max_length=255),
                "retrieval_func": models.CharField(max_length=200),
                "generation_func": models.CharField(max_length=200),
                "custom_options": models.TextField(),
            },
        ),
        "asset": model(
            "PluginAsset",
            tables["learning_credentials_credentialasset"],
            {
                **common,
                "description": models.CharField(max_length=255),
                "asset": models.CharField(max_length=255),
                "asset_slug": models.CharField(max_length=255),
            },
        ),
        "configuration": model(
            "PluginConfiguration",
            tables["learning_credentials_credentialconfiguration"],
            {
                **common,
                "learning_context_key": models.CharField(max_length=255),
                "credential_type_id": models.IntegerField(),
                "periodic_task_id": models.IntegerField(),
                "custom_options": models.TextField(),
            },
        ),
        "credential": model(
            "PluginCredential",
            tables["learning_credentials_credential"],
            {
                **common,
                "uuid": models.UUIDField(primary_key=True),
                "verify_uuid": models.UUIDField(),
                "user_id": models.IntegerField(),
                "user_full_name": models.CharField(max_length=255),
                "learning_context_key": models.CharField(max_length=255),
                "learning_context_name": models.CharField(max_length=255),
                "credential_type": models.CharField(max_length=255),
                "configuration_id": models.IntegerField(),
                "status": models.CharField(max_length=32),
                "download_url": models.CharField(max_length=200),
                "legacy_id": models.IntegerField(null=True),
                "generation_task_id": models.CharField(max_length=255),
                "invalidated_at": models.DateTimeField(null=True),
                "invalidation_reason": models.CharField(max_length=255),
            },
        ),
    }


def _json(value) -> dict:
    """jsonfield stores text; some engines hand back the parsed value."""
    if isinstance(value, dict):
        return value
    try:
        parsed = json.loads(value or "{}")
    except (TypeError, ValueError):
        return {"__unreadable__": value}
    return parsed if isinstance(parsed, dict) else {"__unreadable__": value}


# -- step 1: the plugin's tables kept aside, its migration records gone, our schema built ------------------


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


def tables_archive() -> list[str]:
    """Copy each plugin table to its archive name and drop it; a copy interrupted before the drop is redone.

    Only a table with the plugin's columns: once ours exist under the same names, nothing is touched.
    """
    live = plugin_database().tables
    done = []
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        for table in PLUGIN_TABLES:  # the referencing tables first, so each drop is allowed
            if table not in live:
                continue
            archive = archive_name(table)
            if archive in existing:
                cursor.execute(f"DROP TABLE {_quote(archive)}")
            cursor.execute(f"CREATE TABLE {_quote(archive)} AS SELECT * FROM {_quote(table)}")
            cursor.execute(f"DROP TABLE {_quote(table)}")
            done.append(table)
    return done


def migration_records_remove() -> int:
    """Forget the plugin's migrations (its 0001_initial has our first migration's name) so ours can run."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = %s", [APP_LABEL])
        names = {row[0] for row in cursor.fetchall()}
        if not names & set(PLUGIN_MIGRATIONS):
            return 0
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", [APP_LABEL])
        return cursor.rowcount


def schema_build() -> None:
    """Our migrations, for the core and each of its installed sub-apps (nothing else of the host's)."""
    from django.apps import apps

    call_command("migrate", APP_LABEL, interactive=False, verbosity=0)
    for config in apps.get_app_configs():
        if config.label.startswith(f"{APP_LABEL}_") and config.label != APP_LABEL:
            call_command("migrate", config.label, interactive=False, verbosity=0)


# -- step 2: rows ----------------------------------------------------------------------------------------------


@dataclass
class Plan:
    """The plugin's rows and how each maps, computed the same way by a dry run and by every resumed run."""

    types: dict[int, dict] = field(default_factory=dict)  # old id -> our fields, plus "mappable"
    assets: dict[int, dict] = field(default_factory=dict)  # old id -> {"slug", "path", "kind", ...}
    configurations: dict[int, dict] = field(default_factory=dict)


def _asset_plan(rows) -> tuple[dict[int, dict], dict[str, str]]:
    max_length = CredentialAsset._meta.get_field("slug").max_length
    taken: set[str] = set()
    planned, slugs = {}, {}
    for row in sorted(rows, key=lambda r: r.pk):
        report = Messages()
        slug = asset_slug(row.asset_slug, taken, max_length)
        if slug != row.asset_slug:
            report.notes.append(
                f"asset '{row.asset_slug}' is '{slug}' here (our slugs have at most {max_length} characters)"
            )
        extension = "." + row.asset.rsplit(".", 1)[-1].lower() if "." in row.asset else ""
        kind = ASSET_KINDS.get(extension)
        if kind is None:
            report.problems.append(f"asset '{row.asset_slug}' ({row.asset}): not a PDF, TrueType font, PNG or JPEG")
        planned[row.pk] = {
            "slug": slug,
            "path": row.asset,
            "kind": kind,
            "description": row.description,
            "messages": report,
        }
        if kind is not None:
            slugs[row.asset_slug] = slug
    return planned, slugs


def _type_plan(row, slugs: dict[str, str]) -> dict:
    report = Messages()
    retrieval = PLUGIN_RETRIEVAL.get(row.retrieval_func)
    generation = PLUGIN_GENERATION.get(row.generation_func)
    mapped = options_map(
        _json(row.custom_options), retrieval=retrieval, generation=generation, assets=slugs, type_level=True
    )
    unmapped = [path for path, key in ((row.retrieval_func, retrieval), (row.generation_func, generation)) if not key]
    for path in unmapped:
        report.problems.append(
            f"credential type '{row.name}': {path} is not one of the plugin's built-in functions; the type is "
            "imported with it as its function key and its configurations disabled: register an equivalent "
            "function under that key, or choose another function for the type"
        )
    _mapped_problems(f"credential type '{row.name}'", mapped, report)
    return {
        "name": row.name,
        "retrieval_func": retrieval or row.retrieval_func,
        "generation_func": generation or row.generation_func,
        "retrieval": retrieval,
        "generation": generation,
        "options": mapped.options,
        "mappable": not unmapped and not mapped.blocking,
        "created": row.created,
        "what": f"credential type '{row.name}'",
        "messages": report,
    }


def _mapped_problems(what: str, mapped: Mapped, report: Messages) -> None:
    report.problems += [f"{what}: {problem}" for problem in mapped.blocking]
    report.notes += [f"{what}: {note}" for note in mapped.notes]


def _schedule(task: PeriodicTask | None, report: Messages, what: str) -> dict:
    """Our schedule fields and enabled flag from the plugin's beat entry (its is_generation_enabled)."""
    if task is None:
        report.notes.append(f"{what}: no beat entry; imported disabled")
        return {"enabled": False}
    now = timezone.now()
    enabled = task.expires > now if task.expires else task.enabled
    if task.expires and task.expires > now:
        report.notes.append(
            f"{what}: its schedule was to end at {task.expires:%Y-%m-%d %H:%M}; here it runs until disabled"
        )
    if task.crontab_id:
        cron = task.crontab
        fields = (cron.minute, cron.hour, cron.day_of_month, cron.month_of_year, cron.day_of_week)
        return {"enabled": enabled, "schedule_type": ScheduleType.CRONTAB, "crontab": " ".join(fields)}
    if task.interval_id and task.interval.period in dict(
        CredentialConfiguration._meta.get_field("interval_period").choices
    ):
        return {
            "enabled": enabled,
            "schedule_type": ScheduleType.INTERVAL,
            "interval_every": task.interval.every,
            "interval_period": task.interval.period,
        }
    report.notes.append(f"{what}: its beat entry has no interval or crontab we support; imported disabled")
    return {"enabled": False}


def plan_build(plugin: dict, report: Report) -> Plan:
    plan = Plan()
    plan.assets, slugs = _asset_plan(list(plugin["asset"].objects.all()))
    for row in plugin["type"].objects.order_by("pk"):
        plan.types[row.pk] = _type_plan(row, slugs)
    tasks = PeriodicTask.objects.select_related("interval", "crontab").in_bulk(
        list(plugin["configuration"].objects.values_list("periodic_task_id", flat=True))
    )
    for row in plugin["configuration"].objects.order_by("pk"):
        kind = plan.types.get(row.credential_type_id)
        what = f"configuration '{kind['name'] if kind else row.credential_type_id} in {row.learning_context_key}'"
        if kind is None:
            report.problems.append(f"{what}: its credential type does not exist; not imported")
            continue
        try:
            key = parse_context_key(row.learning_context_key)
        except InvalidContextKey:
            report.problems.append(f"{what}: not a course or learning path key; not imported")
            continue
        mapped = options_map(
            _json(row.custom_options),
            retrieval=kind["retrieval"],
            generation=kind["generation"],
            assets=slugs,
            type_level=False,
        )
        messages = Messages()
        _mapped_problems(what, mapped, messages)
        schedule = _schedule(tasks.get(row.periodic_task_id), messages, what)
        mappable = kind["mappable"] and not mapped.blocking
        if not mappable and schedule.get("enabled"):
            messages.notes.append(f"{what}: imported disabled, because of the problems above")
        plan.configurations[row.pk] = {
            "type": row.credential_type_id,
            "key": key,
            "options": mapped.options,
            "schedule": {**schedule, "enabled": schedule.get("enabled", False) and mappable},
            "mappable": mappable,
            "periodic_task_id": row.periodic_task_id,
            "what": what,
            "messages": messages,
        }
    return plan


def _unchecked_create(model, **fields):
    """Save without the model's own validation: a type or configuration the operator must finish by hand."""
    return model.objects.bulk_create([model(**fields)])[0]


def types_import(plan: Plan, report: Report) -> dict[int, CredentialType]:
    existing = CredentialType.objects.in_bulk([t["name"] for t in plan.types.values()], field_name="name")
    taken = set(CredentialType.objects.values_list("slug", flat=True))
    result = {}
    for old_id, planned in plan.types.items():
        found = existing.get(planned["name"])
        if found is not None:
            report.count("credential types", "already")
            result[old_id] = found
            continue
        slug = asset_slug(_slugify(planned["name"]), taken, CredentialType._meta.get_field("slug").max_length)
        fields = {
            "name": planned["name"],
            "slug": slug,
            "retrieval_func": planned["retrieval_func"],
            "generation_func": planned["generation_func"],
            "custom_options": planned["options"],
        }
        report.extend(planned["messages"])
        with transaction.atomic():
            created = _create(CredentialType, fields, checked=planned["mappable"], what=planned["what"], report=report)
            CredentialType.objects.filter(pk=created.pk).update(created=planned["created"])
        result[old_id] = created
        report.count("credential types", "imported")
    return result


def _slugify(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name) or "type"


def assets_import(plan: Plan, report: Report) -> None:
    existing = set(
        CredentialAsset.objects.filter(slug__in=[a["slug"] for a in plan.assets.values()]).values_list(
            "slug", flat=True
        )
    )
    for planned in plan.assets.values():
        if planned["slug"] in existing:
            report.count("assets", "already")
            continue
        report.extend(planned["messages"])
        if planned["kind"] is None:
            report.count("assets", "skipped")
            continue
        try:
            with default_storage.open(planned["path"], "rb") as handle:
                content = handle.read()
        except OSError:
            report.problems.append(f"asset '{planned['slug']}': its file {planned['path']} is missing; not imported")
            report.count("assets", "skipped")
            continue
        asset = CredentialAsset(slug=planned["slug"], kind=planned["kind"], description=planned["description"])
        asset.file = ContentFile(content, name=planned["path"].rsplit("/", 1)[-1])  # validated and stored by save()
        try:
            with transaction.atomic():
                asset.save()
        except ValidationError as exc:  # the file is not what its name says (a broken PDF, a font it cannot read)
            report.problems.append(f"asset '{planned['slug']}': {' '.join(exc.messages)}; not imported")
            report.count("assets", "skipped")
            continue
        report.count("assets", "imported")


def configurations_import(plan: Plan, types: dict[int, CredentialType], report: Report) -> dict[int, int]:
    result = {}
    for old_id, planned in plan.configurations.items():
        credential_type = types[planned["type"]]
        found = CredentialConfiguration.objects.filter(
            learning_context_key=planned["key"], credential_type=credential_type
        ).first()
        if found is not None:
            report.count("configurations", "already")
            result[old_id] = found.pk
            continue
        report.extend(planned["messages"])
        fields = {
            "learning_context_key": planned["key"],
            "credential_type": credential_type,
            "custom_options": planned["options"],
            **planned["schedule"],
        }
        with transaction.atomic():
            removed = PeriodicTask.objects.filter(pk=planned["periodic_task_id"], task__in=PLUGIN_TASKS).delete()[0]
            report.tasks["removed"] += removed
            configuration = _create(
                CredentialConfiguration,
                fields,
                checked=planned["mappable"],
                what=planned["what"],
                report=report,
                kept={"enabled": False},
            )
            report.tasks["created"] += configuration.periodic_task_id is not None
        result[old_id] = configuration.pk
        report.count("configurations", "imported")
    return result


def _create(model, fields: dict, *, checked: bool, what: str, report: Report, kept: dict | None = None):
    """Validated (a configuration also scheduled) when it can be; otherwise kept as it is, for staff to correct.

    ``kept``: the fields a row that our validation refuses is kept with (a configuration: disabled).
    """
    if checked:
        try:
            with transaction.atomic():
                return model.objects.create(**fields)
        except ValidationError as exc:
            report.problems.append(f"{what}: {' '.join(exc.messages)}; imported for staff to correct")
    return _unchecked_create(model, **{**fields, **(kept or {})})


# -- step 3: credentials and their files -----------------------------------------------------------------------


def _reason(text: str) -> tuple[str, str]:
    """The plugin kept a free-text reason; its reissue() appended "Reissued"."""
    last = text.strip().splitlines()[-1].strip() if text.strip() else ""
    return (InvalidationReason.SUPERSEDED if last == "Reissued" else InvalidationReason.OTHER), text


def _old_file(row) -> str | None:
    """Where the plugin's generator stored the PDF: its output folder, or the archive after an invalidation."""
    folder = getattr(settings, "LEARNING_CREDENTIALS_OUTPUT_DIR", "learning_credentials")
    for path in (f"{folder}/{row.uuid}.pdf", f"{folder}_invalidated/{row.uuid}.pdf"):
        if default_storage.exists(path):
            return path
    return None


def _file_copy(row, credential_id: uuid.UUID, report: Report) -> str:
    """Our artifact name for the plugin's PDF, copied byte for byte (kept if a previous run copied it)."""
    path = _old_file(row)
    if path is None:
        if row.status in (Status.AVAILABLE, Status.INVALIDATED) and row.download_url:
            report.problems.append(f"credential {row.uuid}: its PDF ({row.download_url}) is not in storage")
            report.files["missing"] += 1
        return ""
    name = artifact_name(credential_id=credential_id, attempt=0, extension="pdf")
    storage = artifact_storage()
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    if storage.exists(name):
        with storage.open(name, "rb") as handle:
            if hashlib.sha256(handle.read()).digest() == hashlib.sha256(content).digest():
                report.files["kept"] += 1
                return name
        storage.delete(name)
    stored = storage.save(name, ContentFile(content))
    report.files["copied"] += 1
    report.files["bytes"] += len(content)
    return stored


def _live_winners(rows) -> set[uuid.UUID]:
    """Per (learner, configuration), the newest credential not invalidated: we allow one live credential."""
    newest: dict[tuple, object] = {}
    for row in rows:
        if row.status != Status.INVALIDATED:
            key = (row.user_id, row.configuration_id)
            if key not in newest or row.created > newest[key].created:
                newest[key] = row
    return {row.uuid for row in newest.values()}


def credentials_import(plugin: dict, configurations: dict[int, int], report: Report) -> None:
    rows = list(plugin["credential"].objects.order_by("created", "uuid"))
    winners = _live_winners(rows)
    done = set(Credential.objects.filter(uuid__in=[r.uuid for r in rows]).values_list("uuid", flat=True))
    report.count("credentials", "already", len(done))
    pending = [row for row in rows if row.uuid not in done]
    by_status = defaultdict(int)
    for start in range(0, len(pending), BATCH):
        batch = []
        for row in pending[start : start + BATCH]:
            if row.configuration_id not in configurations:
                report.problems.append(f"credential {row.uuid}: its configuration was not imported; not imported")
                report.count("credentials", "skipped")
                continue
            batch.append(row)
        credentials, events = [], []
        for row in batch:
            credential = _credential(row, configurations[row.configuration_id], row.uuid in winners, report)
            credentials.append(credential)
            by_status[credential.status] += 1
            events.append(
                CredentialEvent(
                    credential_id=credential.pk,
                    kind=CredentialEvent.Kind.IMPORTED,
                    to_status=credential.status,
                    source=CredentialEvent.Source.COMMAND,
                    reason=IMPORTED_BY,
                    details={
                        "legacy_id": row.legacy_id,
                        "download_url": row.download_url,
                        "generation_task_id": row.generation_task_id,
                        "invalidation_reason": row.invalidation_reason,
                    },
                )
            )
        credential_codes_settle(credentials)  # as issuance: clear of other code holders; the unique index the rest
        with transaction.atomic():
            Credential.objects.bulk_create(credentials)
            CredentialEvent.objects.bulk_create(events)
        report.count("credentials", "imported", len(credentials))
    for status, n in sorted(by_status.items()):
        report.notes.append(f"credentials imported {status}: {n}")


def _credential(row, configuration_id: int, live: bool, report: Report) -> Credential:
    status = row.status if row.status in Status.values else Status.ERROR
    invalidated = status == Status.INVALIDATED or not live
    reason, note = _reason(row.invalidation_reason) if status == Status.INVALIDATED else ("", "")
    if status != Status.INVALIDATED and not live:
        reason, note = InvalidationReason.SUPERSEDED, "A newer credential of the same learner and configuration."
        report.notes.append(f"credential {row.uuid}: a second live credential of its learner; imported superseded")
    return Credential(
        uuid=row.uuid,
        verify_uuid=row.verify_uuid,
        verification_code=generate_code(conf.get("VERIFICATION_CODE_LENGTH")),  # settled per batch
        user_id=row.user_id,
        configuration_id=configuration_id,
        learner_name=row.user_full_name,
        context_name=row.learning_context_name,
        type_name=row.credential_type,
        status=Status.INVALIDATED if invalidated else status,
        active=None if invalidated else True,
        artifact=_file_copy(row, row.uuid, report),
        task_id=row.generation_task_id or "",
        invalidated_at=(row.invalidated_at or row.modified) if invalidated else None,
        invalidation_reason=reason,
        invalidation_note=note,
        notified_at=row.created,  # the plugin emailed (or chose not to) when it issued: nobody is emailed again
        created=row.created,
        modified=row.modified,
    )


def leftover_tasks_remove(report: Report) -> None:
    """Beat entries still calling the plugin's tasks (e.g. its 'generate all'): they would fail every time."""
    removed = PeriodicTask.objects.filter(task__in=PLUGIN_TASKS).delete()[0]
    report.tasks["removed"] += removed


# -- the run ----------------------------------------------------------------------------------------------------


def _current_tables(found) -> dict[str, str]:
    return {table: (table if table in found.tables else archive_name(table)) for table in PLUGIN_TABLES}


def switch_over(*, apply: bool) -> Report:
    """The dry run (``apply=False``: reads only) or the switch-over, resumed where a previous run stopped."""
    found = plugin_database()
    report = Report(applied=apply)
    if not found.found and not found.switching:
        report.problems.append("This database holds no data of the open-craft plugin: nothing to switch over.")
        return report
    report.tables = "kept aside" if not found.tables else ("partly kept aside" if found.archived else "live")
    if apply:
        tables_archive()
        migration_records_remove()
        schema_build()
        found = plugin_database()
    plugin = _plugin_models(_current_tables(found))
    plan = plan_build(plugin, report)
    for name, planned in (
        ("credential types", plan.types),
        ("assets", plan.assets),
        ("configurations", plan.configurations),
    ):
        report.count(name, "found", len(planned))
    report.count("credentials", "found", plugin["credential"].objects.count())
    if not apply:
        for planned in (*plan.assets.values(), *plan.types.values(), *plan.configurations.values()):
            report.extend(planned["messages"])
        return report
    assets_import(plan, report)
    types = types_import(plan, report)
    configurations = configurations_import(plan, types, report)
    credentials_import(plugin, configurations, report)
    leftover_tasks_remove(report)
    return report


def report_lines(report: Report) -> list[str]:
    """The report as the command prints it (its format is documented in docs/switch_over.rst)."""
    title = "APPLIED" if report.applied else "DRY RUN (nothing written; run again with --apply)"
    lines = [f"Switch-over from the open-craft plugin: {title}", f"plugin tables: {report.tables or 'none'}"]
    lines.append(f"{'':18}{'found':>8}{'imported':>10}{'already':>9}{'skipped':>9}")
    for name, counter in report.counts.items():
        lines.append(
            f"{name:18}{counter['found']:>8}{counter['imported']:>10}{counter['already']:>9}{counter['skipped']:>9}"
        )
    if report.applied:
        lines.append(
            f"files: {report.files['copied']} copied ({report.files['bytes']} bytes), {report.files['kept']} kept, "
            f"{report.files['missing']} missing"
        )
        lines.append(
            f"periodic tasks: {report.tasks['removed']} of the plugin removed, {report.tasks['created']} created"
        )
    lines.append(f"problems ({len(report.problems)}):")
    lines += [f"  - {problem}" for problem in report.problems]
    lines.append(f"notes ({len(report.notes)}):")
    lines += [f"  - {note}" for note in report.notes]
    return lines

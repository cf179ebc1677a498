"""Bulk exports for registrars and accrediting bodies: a CSV of credentials, or a ZIP of their PDFs.

Both are written in batches of ``EXPORT_BATCH_SIZE`` credentials (keyset pages), each batch
costing a fixed number of queries (its credentials, the host's learner data, the public
identities, one read per sub-app column), and streamed into a temporary file on disk: memory
stays flat whatever the number of credentials. Staff exports run in a worker and are saved to
the artifact storage (``credential_export_run``); ``manage.py export_credentials`` writes the
same bytes to a file of the operator's choosing (``credentials_export_write``).
"""

import csv
import io
import logging
import re
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO
from zoneinfo import ZoneInfo

from django.core.files import File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext

from .. import conf
from ..adapters import get_adapter
from ..adapters.base import Learner, Site
from ..exceptions import AccessDenied, BadRequest, ExportExpired, ExportUnavailable, ObjectNotFound
from ..identifiers import format_code, parse_context_key, parse_uuid
from ..models import Credential, CredentialConfiguration, CredentialExport
from ..observability import log_activity
from ..registry import export_columns
from ..selectors import (
    PUBLIC_STATUSES,
    context_site,
    credential_public_status,
    credentials_for_export,
    public_identities_attach,
    public_identity,
    user_may_export,
    verify_url,
)
from . import dispatch
from .artifacts import artifact_storage, artifacts_delete
from .beat import beat_entry_ensure

log = logging.getLogger(__name__)

# Folder of export files in the artifact storage (LEARNING_CREDENTIALS['STORAGE']).
EXPORT_FOLDER = "learning_credentials/exports"

# The CSV's columns, in order: (key, header). The one list: a column added here takes its value from
# the key of the same name in ``_row``. Sub-apps add theirs after these (registry.register_export_column).
CSV_COLUMNS: tuple[tuple[str, str], ...] = (
    ("learner_name", "learner name"),
    ("username", "username"),
    ("email", "email"),
    ("credential_type", "credential type"),
    ("status", "status"),
    ("public_state", "public state"),
    ("verification_code", "verification code"),
    ("verify_url", "verify URL"),
    ("score", "score"),
    ("issue_date", "issue date"),
    ("expiry_date", "expiry date"),
    ("language", "language"),
)
# Platform staff only: left out of every export that is not theirs.
STAFF_ONLY_COLUMNS = frozenset({"email"})

# A cell a spreadsheet would read as a formula starts with one of these (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters no file name in a ZIP may hold: path separators (and their look-alikes) and those Windows refuses.
UNSAFE_IN_NAMES = re.compile(r'[/\\:*?"<>|\u2044\u2215\u29f8\uff0f\uff3c]')
# Device names Windows reserves whatever the extension.
RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(10)), *(f"LPT{n}" for n in range(10))}
)
# Bytes of a file name in the ZIP before its extension (file systems take 255).
MAX_NAME_BYTES = 150
COPY_CHUNK = 1 << 16
CLEANUP_TASK_NAME = "learning_credentials: delete expired credential exports"
CLEANUP_EVERY_SECONDS = 3600


@dataclass
class ExportResult:
    """What one export wrote: credentials, and PDFs missing from the storage (left out of a ZIP)."""

    written: int = 0
    missing_files: int = 0


class ExportWithdrawn(Exception):
    """The export's row left RUNNING while it was being written (a learner's retirement withdrew it)."""


def safe_cell(value) -> str:
    """A CSV cell no spreadsheet runs as a formula: one starting with = + - @ tab or CR gets a leading quote."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def safe_file_name(stem: str, *, extension: str) -> str:
    """A file name any system unpacks safely: NFKC, no control or format characters, separators or reserved
    names, white space collapsed, no leading or trailing dots, at most MAX_NAME_BYTES before the extension."""
    text = unicodedata.normalize("NFKC", stem)
    text = "".join(" " if unicodedata.category(ch)[0] == "Z" else ch for ch in text)
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "C")
    text = " ".join(UNSAFE_IN_NAMES.sub("_", text).split()).strip(" .")
    text = text.encode()[:MAX_NAME_BYTES].decode("utf-8", "ignore").rstrip(" .")
    if text.split(".")[0].upper() in RESERVED_NAMES:
        text = f"_{text}"
    return f"{text or 'credential'}.{extension}"


def export_columns_for(*, include_email: bool) -> list[tuple[str, str]]:
    """The CSV's (key, header) pairs: the core's, then the sub-apps'."""
    core = [(key, header) for key, header in CSV_COLUMNS if include_email or key not in STAFF_ONLY_COLUMNS]
    return core + [(key, str(column.label)) for key, column in export_columns.items()]


def export_public_state(credential: Credential, *, site: Site) -> str:
    """The one place an export says how a credential stands publicly (valid, suspended, expired, revoked, superseded).

    Empty while it is not issued (generating, error): nobody can verify it.
    """
    if credential.status not in PUBLIC_STATUSES:
        return ""
    return credential_public_status(credential, site=site).status


def _row(credential: Credential, learner: Learner | None, *, site: Site) -> dict[str, object]:
    public = credential.status in PUBLIC_STATUSES
    return {
        "learner_name": credential.learner_name,
        "username": learner.username if learner else "",
        "email": learner.email if learner else "",
        "credential_type": credential.type_name,
        "status": credential.status,
        "public_state": export_public_state(credential, site=site),
        "verification_code": format_code(public_identity(credential).code),
        "verify_url": verify_url(credential, site=site) if public else "",
        "score": credential.score,
        "issue_date": _site_date(credential.created, site),
        "expiry_date": _site_date(credential.expires_at, site),
        "language": credential.language,
    }


def _site_date(moment: datetime | None, site: Site) -> str:
    """An ISO date (YYYY-MM-DD) in the time zone the site prints dates in."""
    return moment.astimezone(ZoneInfo(site.time_zone or "UTC")).date().isoformat() if moment else ""


def _batches(queryset: QuerySet[Credential], size: int) -> Iterator[list[Credential]]:
    """Keyset pages in issue order: one query per page on every database, never a cursor held open."""
    last = None
    while True:
        page = queryset
        if last is not None:
            page = page.filter(Q(created__gt=last.created) | Q(created=last.created, pk__gt=last.pk))
        batch = list(page.order_by("created", "pk")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]


def _identities_attach(batch: list[Credential]) -> None:
    """Public identities of a batch and of the credentials superseding them (their links), with one ask."""
    newer = [c.replaced_by for c in batch if getattr(c, "replaced_by", None) is not None]
    public_identities_attach([*batch, *newer])


def credentials_export_write(
    *,
    format: str,
    out: BinaryIO,
    configuration: CredentialConfiguration | None = None,
    context_key=None,
    include_email: bool = True,
    progress: Callable[[int], None] | None = None,
) -> ExportResult:
    """Write the export to ``out`` (a seekable binary file), batch by batch; ``progress`` is told each batch's size."""
    queryset = credentials_for_export(configuration=configuration, context_key=context_key, format=format)
    batches = _batches(queryset, conf.get("EXPORT_BATCH_SIZE"))
    if format == CredentialExport.Format.ZIP:
        return _zip_write(batches, out=out, progress=progress)
    # One context, so one site: its links and dates serve every row.
    site = context_site(context_key=configuration.learning_context_key if configuration else context_key)
    return _csv_write(batches, out=out, site=site, include_email=include_email, progress=progress)


def _csv_write(batches, *, out: BinaryIO, site: Site, include_email: bool, progress) -> ExportResult:
    result = ExportResult()
    columns = export_columns_for(include_email=include_email)
    # UTF-8 with a byte order mark: spreadsheets then read names in any script correctly.
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    writer = csv.writer(text)
    writer.writerow([safe_cell(header) for _key, header in columns])
    adapter = get_adapter()
    for batch in batches:
        learners = adapter.get_learners(list({c.user_id for c in batch if c.user_id is not None}))
        _identities_attach(batch)
        extra = {key: column.values(batch) for key, column in export_columns.items()}
        for credential in batch:
            values = {
                **_row(credential, learners.get(credential.user_id), site=site),
                **{key: found.get(credential.pk, "") for key, found in extra.items()},
            }
            writer.writerow([safe_cell(values[key]) for key, _header in columns])
        result.written += len(batch)
        if progress is not None:
            progress(len(batch))
    text.flush()
    text.detach()  # ``out`` stays open for the caller
    return result


def _zip_write(batches, *, out: BinaryIO, progress) -> ExportResult:
    """PDFs stored as they are (ZIP_STORED: they are compressed already), copied in chunks from the storage."""
    result, storage, names = ExportResult(), artifact_storage(), set()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
        for batch in batches:
            _identities_attach(batch)
            for credential in batch:
                name = _zip_name(credential, names)
                try:
                    source = storage.open(credential.artifact, "rb")
                except OSError:  # FileNotFoundError from local storage; other stores raise alike
                    log.warning(
                        "Export: %s (credential %s) is missing from the storage", credential.artifact, credential.pk
                    )
                    result.missing_files += 1
                    continue
                info = zipfile.ZipInfo(name, date_time=credential.created.timetuple()[:6])
                info.compress_type = zipfile.ZIP_STORED
                with source, archive.open(info, "w") as target:
                    shutil.copyfileobj(source, target, COPY_CHUNK)
            result.written += len(batch)
            if progress is not None:
                progress(len(batch))
    return result


def _zip_name(credential: Credential, taken: set[str]) -> str:
    """``<code>-<learner name>.pdf``, made safe; the code is unique, and a chain sharing a record's code is numbered."""
    code = format_code(public_identity(credential).code)
    stem = f"{code}-{credential.learner_name}" if credential.learner_name else code
    name, number = safe_file_name(stem, extension="pdf"), 1
    while name in taken:
        number += 1
        name = safe_file_name(f"{stem} ({number})", extension="pdf")
    taken.add(name)
    return name


# --- Staff exports: a row, a worker, a download link that expires -------------------------------------


def export_scope_check(*, context_key) -> None:
    """A context no configuration is for has nothing to export: say so, rather than write an empty file."""
    if (
        context_key is not None
        and not CredentialConfiguration.objects.filter(learning_context_key=context_key).exists()
    ):
        raise BadRequest(
            f"No credential configuration is for {context_key}: there is nothing to export. Check the key "
            "(the course or learning path of a configuration)."
        )


def credential_export_start(
    *,
    user,
    format: str,
    configuration: CredentialConfiguration | None = None,
    context_key=None,
) -> CredentialExport:
    """Record an export of one configuration's or one context's credentials and queue it once committed.

    Only platform staff with the ``export_credentials`` permission; their CSVs carry email addresses.
    """
    if not user_may_export(user):
        raise AccessDenied("Exporting credentials needs the permission 'Can export credentials'.")
    if (configuration is None) == (context_key is None):
        raise BadRequest("Export either one configuration or one learning context.")
    if format not in CredentialExport.Format.values:
        raise BadRequest(f"Exports are {' or '.join(CredentialExport.Format.values)}, not '{format:.20}'.")
    export_scope_check(context_key=context_key)
    with transaction.atomic():
        export = CredentialExport.objects.create(
            requested_by=user,
            configuration=configuration,
            context_key=str(context_key or ""),
            format=format,
            include_email=True,
            total=credentials_for_export(configuration=configuration, context_key=context_key, format=format).count(),
        )
        dispatch.export_queue(export_id=export.pk)
    log_activity("export_queued", export=str(export.pk), format=format, total=export.total)
    return export


def _export_storage_name(export: CredentialExport) -> str:
    return f"{EXPORT_FOLDER}/{export.pk}.{export.format}"


def _context(export: CredentialExport):
    return parse_context_key(export.context_key) if export.context_key else None


def credential_export_run(*, export_id) -> CredentialExport | None:
    """Make a queued export's file (the worker's task); idempotent: a finished or withdrawn export is left alone.

    The file is written to a temporary file on disk, batch by batch (``done`` counts them), then saved to
    the storage; a retirement that withdraws the export meanwhile stops it, and nothing is kept.
    """
    with transaction.atomic():
        export = CredentialExport.objects.select_for_update().filter(pk=export_id).first()
        if export is None or export.status not in (CredentialExport.State.QUEUED, CredentialExport.State.RUNNING):
            return export
        export.total = credentials_for_export(
            configuration=export.configuration, context_key=_context(export), format=export.format
        ).count()
        export.status, export.done = CredentialExport.State.RUNNING, 0
        export.save(update_fields=["status", "total", "done"])
    done = 0

    def advanced(count: int) -> None:
        nonlocal done
        done += count
        if not CredentialExport.objects.filter(pk=export.pk, status=CredentialExport.State.RUNNING).update(done=done):
            raise ExportWithdrawn()

    try:
        with tempfile.TemporaryFile() as file:
            result = credentials_export_write(
                format=export.format,
                out=file,
                configuration=export.configuration,
                context_key=_context(export),
                include_email=export.include_email,
                progress=advanced,
            )
            file.seek(0)
            name = artifact_storage().save(_export_storage_name(export), File(file))
    except ExportWithdrawn:
        log_activity("export_withdrawn", export=str(export.pk))
        return export
    except Exception:
        log.exception("Export %s failed", export.pk)
        CredentialExport.objects.filter(pk=export.pk, status=CredentialExport.State.RUNNING).update(
            status=CredentialExport.State.FAILED,
            error=gettext("The export failed unexpectedly; the server log of export %(id)s has the details.")
            % {"id": export.pk},
            finished_at=timezone.now(),
        )
        return export
    now = timezone.now()
    finished = CredentialExport.objects.filter(pk=export.pk, status=CredentialExport.State.RUNNING).update(
        status=CredentialExport.State.READY,
        file=name,
        done=result.written,
        missing_files=result.missing_files,
        finished_at=now,
        expires_at=now + timedelta(hours=conf.get("EXPORT_RETENTION_HOURS")),
    )
    if not finished:  # withdrawn after its last batch: its file must not stay
        artifacts_delete(names=[name], why="of an export withdrawn while it was written")
    log_activity("export_finished", export=str(export.pk), written=result.written, missing=result.missing_files)
    export.refresh_from_db()
    return export


def credential_export_open(*, export_id, user) -> tuple[CredentialExport, File]:
    """The export's file, opened for streaming, for staff with the export permission (any such staff's export).

    AccessDenied for anyone else; ObjectNotFound for no such export; ExportExpired once its link expired
    (or it was withdrawn); ExportUnavailable while it is being made or when it failed.
    """
    if not user_may_export(user):
        raise AccessDenied("Downloading exports needs the permission 'Can export credentials'.")
    parsed = parse_uuid(str(export_id))
    export = CredentialExport.objects.filter(pk=parsed).first() if parsed else None
    if export is None:
        raise ObjectNotFound("There is no such export.")
    if export.status == CredentialExport.State.WITHDRAWN:
        raise ExportExpired(
            "This export was withdrawn and its file deleted: it held the data of a learner who was retired. "
            "Start a new export."
        )
    if export.status == CredentialExport.State.EXPIRED or (export.expires_at and export.expires_at <= timezone.now()):
        when = export.expires_at.strftime("%Y-%m-%d %H:%M UTC") if export.expires_at else "-"
        raise ExportExpired(f"This export's link expired on {when} and its file was deleted. Start a new export.")
    if export.status == CredentialExport.State.FAILED:
        raise ExportUnavailable(f"This export failed: {export.error}")
    if export.status != CredentialExport.State.READY:
        raise ExportUnavailable(
            f"This export is still being made ({export.done} of {export.total}). Try again shortly."
        )
    try:
        return export, artifact_storage().open(export.file, "rb")
    except OSError:
        raise ExportExpired("This export's file is no longer in the storage. Start a new export.") from None


def export_download_name(export: CredentialExport) -> str:
    """The file name a download gets: what, where and when, e.g. credentials-course-v1demox-...-20261207-2130.csv."""
    scope = export.configuration if export.configuration_id else export.context_key
    return f"credentials-{slugify(str(scope))[:80]}-{export.created:%Y%m%d-%H%M}.{export.format}"


def credential_exports_expire(*, now: datetime | None = None) -> dict[str, int]:
    """Delete the files of exports whose link expired; exports stuck unfinished past the retention fail.

    Run hourly by beat (task learning_credentials.exports_cleanup).
    """
    now = now or timezone.now()
    State = CredentialExport.State
    due = list(CredentialExport.objects.filter(status=State.READY, expires_at__lte=now).values_list("pk", "file"))
    expired = CredentialExport.objects.filter(pk__in=[pk for pk, _ in due], status=State.READY).update(
        status=State.EXPIRED, file=""
    )
    artifacts_delete(names=[name for _, name in due if name], why="of an expired export")
    stale = now - timedelta(hours=conf.get("EXPORT_RETENTION_HOURS"))
    failed = CredentialExport.objects.filter(status__in=(State.QUEUED, State.RUNNING), created__lt=stale).update(
        status=State.FAILED,
        error="It did not finish within the retention period: its worker was lost or it was never queued.",
        finished_at=now,
    )
    counts = {"expired": expired, "failed": failed}
    if any(counts.values()):
        log_activity("exports_expired", **counts)
    return counts


def exports_withdraw_for_learner(*, credentials: list[Credential]) -> int:
    """Withdraw every export that may hold these credentials' learner's data; files deleted after commit.

    Called by the learner's retirement in its transaction: an export of any configuration or context
    the learner holds a credential in, made or being made, loses its file and is marked withdrawn (a
    running one stops at its next batch).
    """
    configuration_ids = {credential.configuration_id for credential in credentials}
    if not configuration_ids:
        return 0
    context_keys = {
        str(key)
        for key in CredentialConfiguration.objects.filter(pk__in=configuration_ids).values_list(
            "learning_context_key", flat=True
        )
    }
    State = CredentialExport.State
    exports = CredentialExport.objects.filter(
        Q(configuration_id__in=configuration_ids) | Q(context_key__in=context_keys),
        status__in=(State.QUEUED, State.RUNNING, State.READY),
    )
    found = list(exports.select_for_update().values_list("pk", "file"))
    withdrawn = CredentialExport.objects.filter(pk__in=[pk for pk, _ in found]).update(
        status=State.WITHDRAWN, file="", finished_at=timezone.now()
    )
    names = [name for _, name in found if name]
    if names:
        transaction.on_commit(lambda: artifacts_delete(names=names, why="of an export withdrawn for a retired learner"))
    return withdrawn


def exports_cleanup_schedule_ensure():
    """The beat entry that deletes expired exports' files every hour."""
    return beat_entry_ensure(
        name=CLEANUP_TASK_NAME,
        task=dispatch.EXPORTS_CLEANUP,
        every_seconds=CLEANUP_EVERY_SECONDS,
        description="Deletes the files of credential exports whose download link expired.",
    )

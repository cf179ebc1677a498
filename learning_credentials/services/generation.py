"""Generation: rendering and storing credentials' artifacts under a lease, then recording AVAILABLE or ERROR.

The second stage of a credential's life, after issuance (``services.issuance``): every path
(a run's chunk, a progress check, on-demand, a queued task, the sweeper's retry) generates
through ``credentials_generate``. An attempt claims its credentials with a lease
(``Credential.lease_expires_at``) that it renews while it works; the sweeper retries those whose
lease ended (see docs/decisions/0005).
"""

import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, wait
from datetime import datetime, timedelta
from functools import partial

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.translation import gettext

from .. import conf
from ..adapters.base import Site
from ..exceptions import LearningCredentialsError
from ..languages import site_language
from ..lifecycle import Status, check_transition
from ..models import Credential, CredentialEvent
from ..observability import elapsed_ms, log_credential_activity
from ..registry import resolve_options
from ..rendering import AssetFile, Attachment, CredentialData, local_date
from ..selectors import (
    context_sites,
    public_code,
    public_identities_attach,
    public_identity,
    verify_short_url,
    verify_url,
)
from ..signals import credential_attachments, credential_placeholders
from .announcement import credentials_announce_on_commit
from .artifacts import TRANSIENT_STORAGE_ERRORS, artifact_delete, artifact_save, artifacts_of_earlier_attempts_delete
from .asset_loading import asset_load
from .bulk_writes import credentials_write
from .dispatch import emails_queue
from .threads import ProcessThreads
from .wording import credential_options, credential_wording, date_text

log = logging.getLogger(__name__)


def credential_generate(
    *,
    credential_id: uuid.UUID | str,
    source: str = CredentialEvent.Source.SYSTEM,
    load_asset: Callable[[str], AssetFile] = asset_load,
) -> Credential:
    """Render and store a GENERATING credential's artifact, then make it AVAILABLE or ERROR.

    The bulk ``credentials_generate`` with one credential, so both paths follow the same rules.
    Safe to run twice (a redelivered task): a credential no longer GENERATING is left as it is.
    """
    done = credentials_generate(credential_ids=[credential_id], source=source, load_asset=load_asset)
    return done[0] if done else Credential.objects.get(pk=credential_id)


def credentials_generate(
    *,
    credential_ids: Sequence[uuid.UUID | str],
    source: str = CredentialEvent.Source.SYSTEM,
    load_asset: Callable[[str], AssetFile] = asset_load,
) -> list[Credential]:
    """Render and store the artifacts of those credentials still GENERATING, then make each AVAILABLE or ERROR.

    A fixed number of queries whatever the number of credentials: one read, one lease update,
    then one transaction that locks the rows, updates them in bulk and writes their audit rows
    in bulk. A credential that cannot be rendered (bad template, missing asset, a name no font
    prints) goes to ERROR with the message; a transient storage error (ConnectionError,
    TimeoutError) is raised for the task to retry, the credentials staying GENERATING under
    their lease. Files stored for rows that end up not pointing at them are deleted.
    """
    started = time.monotonic()
    credentials = list(
        Credential.objects.select_related("configuration__credential_type")
        .prefetch_related("configuration__language_templates")
        .filter(pk__in=credential_ids, status=Status.GENERATING)
    )
    if not credentials:
        return []
    credentials_lease(credential_ids=[c.pk for c in credentials], attempt=True)
    for credential in credentials:
        credential.attempts += 1  # as the update above counted it
    stored: dict[uuid.UUID, tuple[str, str, str]] = {}  # the file's name, template version and SHA-256
    failed: dict[uuid.UUID, str] = {}
    try:
        saving = _render_all(credentials, load_asset=load_asset, failed=failed)
        _collect_saves(saving, stored=stored, failed=failed)
        done = _generation_record(credentials=credentials, stored=stored, failed=failed, source=source)
    except BaseException:
        for name, *_facts in stored.values():
            artifact_delete(name)
        _lease_release(credentials)
        raise
    _generation_log(credentials=credentials, done=done, failed=failed, source=source, started=started)
    return [done[c.pk] for c in credentials if c.pk in done]


def _render_all(credentials: list[Credential], *, load_asset, failed: dict) -> list[tuple[Credential, tuple, Future]]:
    """Render one after another (CPU) while the storage writes the finished files in a few threads (I/O)."""
    saving = []
    lease_renewed = time.monotonic()
    extras = _placeholder_values(credentials)
    wordings: dict[str, dict[str, str]] = {}
    attachments = _attachments(credentials)
    public_identities_attach(credentials)
    sites = context_sites(context_keys=[c.configuration.learning_context_key for c in credentials])
    try:
        for credential in credentials:
            try:
                site = sites[credential.configuration.learning_context_key]
                artifact = _render(
                    credential,
                    site=site,
                    load_asset=load_asset,
                    extra=extras.get(credential.pk, {}),
                    attachments=attachments.get(credential.pk, ()),
                    wordings=wordings,
                )
            except Exception as exc:
                failed[credential.pk] = _failure_message(credential, exc)
            else:
                future = _storage_threads.submit(artifact_save, credential=credential, artifact=artifact)
                facts = (artifact.template_version, artifact.sha256 or hashlib.sha256(artifact.content).hexdigest())
                saving.append((credential, facts, future))
            if time.monotonic() - lease_renewed > conf.get("GENERATION_LEASE_SECONDS") / 3:
                credentials_lease(credential_ids=[c.pk for c in credentials])
                lease_renewed = time.monotonic()
    except BaseException:
        wait([future for _, _, future in saving])  # their files are deleted by the caller's clean-up
        raise
    return saving


def _collect_saves(saving: list[tuple[Credential, tuple, Future]], *, stored: dict, failed: dict) -> None:
    """Wait for every write; a transient storage error is raised once all are done (their files known)."""
    transient = None
    for credential, facts, future in saving:
        try:
            stored[credential.pk] = (future.result(), *facts)
        except TRANSIENT_STORAGE_ERRORS as exc:
            transient = transient or exc
        except Exception as exc:
            failed[credential.pk] = _failure_message(credential, exc)
    if transient is not None:
        raise transient


# Threads writing artifacts: a network store answers each write in tens of milliseconds.
_storage_threads = ProcessThreads(name="lc-storage", size=lambda: conf.get("STORAGE_THREADS"))


def credentials_lease(*, credential_ids: Sequence[uuid.UUID | str], attempt: bool = False) -> None:
    """Claim (or renew the claim on) GENERATING credentials for GENERATION_LEASE_SECONDS; ``attempt`` counts a try."""
    changes = {"lease_expires_at": lease_end()}
    if attempt:
        changes["attempts"] = F("attempts") + 1
    Credential.objects.filter(pk__in=credential_ids, status=Status.GENERATING).update(**changes)


def credential_generation_stalled(credential: Credential) -> bool:
    """GENERATING with no attempt holding it (its lease expired or was given up): anyone may generate it."""
    expires = credential.lease_expires_at
    return credential.status == Status.GENERATING and (expires is None or expires <= timezone.now())


def _lease_release(credentials: list[Credential]) -> None:
    """Give up the claim after an attempt cut short by a transient error, so that a retry may take it at once.

    The attempt is not counted: MAX_ATTEMPTS bounds retries of credentials that cannot be made
    (bad template, unprintable name), not of an outage that outlasts the task's own retries.
    """
    try:
        Credential.objects.filter(pk__in=[c.pk for c in credentials], status=Status.GENERATING).update(
            lease_expires_at=timezone.now(), attempts=Greatest(F("attempts") - 1, 0)
        )
    except Exception:  # the database itself may be what failed: the lease then simply expires
        log.warning("Could not release the generation lease of %d credentials", len(credentials), exc_info=True)


def lease_end() -> datetime:
    """When a lease taken now ends."""
    return timezone.now() + timedelta(seconds=conf.get("GENERATION_LEASE_SECONDS"))


def _failure_message(credential: Credential, exc: Exception) -> str:
    if isinstance(exc, LearningCredentialsError):
        return exc.message
    log.exception("Generating credential %s failed", credential.pk)
    # The exception's own text is for the log: staff read this on the credential's page.
    return gettext(
        "Generating the credential failed unexpectedly; the server log of credential %(id)s has the details."
    ) % {"id": credential.pk}


# What recording a generation attempt changes on each credential.
GENERATION_FIELDS = [
    "status",
    "artifact",
    "artifact_sha256",
    "template_version",
    "error_message",
    "lease_expires_at",
    "modified",
]


def _generation_record(
    *, credentials: list[Credential], stored: dict, failed: dict, source: str
) -> dict[uuid.UUID, Credential]:
    """Make the rendered credentials AVAILABLE and the failed ones ERROR, with their audit rows, in one transaction.

    Rows that left GENERATING meanwhile (invalidated, or finished by an overlapping attempt) are
    left alone and their new files deleted after commit.
    """
    now = timezone.now()
    with transaction.atomic():
        statuses = dict(
            Credential.objects.select_for_update()
            .filter(pk__in=[c.pk for c in credentials])
            .values_list("pk", "status")
        )
        locked = {c.pk: c for c in credentials if c.pk in statuses}
        for pk, credential in locked.items():
            credential.status = statuses[pk]
        events, available = [], []
        for pk, credential in locked.items():
            if credential.status != Status.GENERATING:
                if pk in stored:
                    transaction.on_commit(partial(artifact_delete, stored[pk][0]))
                continue
            if pk in stored:
                credential.artifact, credential.template_version, credential.artifact_sha256 = stored[pk]
                credential.status, credential.error_message = Status.AVAILABLE, ""
                available.append(pk)
            elif pk in failed:
                credential.status, credential.error_message = Status.ERROR, failed[pk][:2000]
            else:
                continue
            check_transition(Status.GENERATING, credential.status)
            credential.lease_expires_at, credential.modified = None, now
            events.append(
                CredentialEvent(
                    credential=credential,
                    kind=CredentialEvent.Kind.STATUS_CHANGED,
                    source=source,
                    reason="" if pk in stored else credential.error_message,
                    from_status=Status.GENERATING,
                    to_status=credential.status,
                )
            )
        changed = [locked[event.credential_id] for event in events]
        credentials_write(changed, GENERATION_FIELDS)
        CredentialEvent.objects.bulk_create(events)
        # An earlier attempt may have been killed after storing its file.
        retried = [(locked[pk], stored[pk][0]) for pk in available if locked[pk].attempts > 1]
        if retried:
            transaction.on_commit(partial(artifacts_of_earlier_attempts_delete, recorded=retried))
        if available:
            credentials_announce_on_commit(credential_ids=available, status=Status.AVAILABLE)
            if conf.get("EMAIL_ENABLED"):
                emails_queue(credential_ids=available)
    return {credential.pk: credential for credential in changed}


def _generation_log(*, credentials, done: dict, failed: dict, source: str, started: float) -> None:
    for credential in credentials:
        if credential.pk not in done:
            continue
        ok = done[credential.pk].status == Status.AVAILABLE
        log_credential_activity(
            "generated" if ok else "generation_failed",
            credential,
            level=logging.INFO if ok else logging.WARNING,
            context=credential.configuration.learning_context_key,
            source=source,
            attempts=done[credential.pk].attempts,
            error=None if ok else failed[credential.pk][:500],
            duration_ms=elapsed_ms(started),
        )


def _placeholder_values(credentials: list[Credential]) -> dict[uuid.UUID, dict[str, str]]:
    """Values of the placeholders other parts of the app registered, asked once for all the credentials."""
    values: dict[uuid.UUID, dict[str, str]] = {}
    for _receiver, answer in credential_placeholders.send(sender=Credential, credentials=credentials):
        for pk, texts in (answer or {}).items():
            values.setdefault(pk, {}).update(texts)
    return values


def _attachments(credentials: list[Credential]) -> dict[uuid.UUID, tuple[Attachment, ...]]:
    """Files other parts of the app embed in the artifacts (the signed credential), asked once for all of them."""
    files: dict[uuid.UUID, tuple[Attachment, ...]] = {}
    for _receiver, answer in credential_attachments.send(sender=Credential, credentials=credentials):
        for pk, offered in (answer or {}).items():
            files[pk] = (*files.get(pk, ()), *offered)
    return files


def _render(
    credential: Credential,
    *,
    site: Site,
    load_asset: Callable[[str], AssetFile],
    extra: dict[str, str],
    attachments: tuple[Attachment, ...],
    wordings: dict[str, dict[str, str]],
):
    """Render in the credential's language: its template, fixed text and dates (translated here, not in rendering)."""
    configuration = credential.configuration
    _, generate = configuration.credential_type.functions()
    language = credential.language or site_language(None)
    if language not in wordings:
        wordings[language] = credential_wording(language=language)
    issue_date = local_date(credential.created, site.time_zone)
    expiry_date = local_date(credential.expires_at, site.time_zone) if credential.expires_at else None
    date_format = site.date_format or ""
    data = CredentialData(
        learner_name=credential.learner_name,
        context_name=credential.context_name,
        context_key=str(configuration.learning_context_key),
        type_name=credential.type_name,
        issue_date=issue_date,
        date_format=date_format,
        verify_url=verify_url(credential, site=site),
        qr_url=verify_short_url(credential, site=site),
        verify_uuid=str(public_identity(credential).verify_uuid),
        verify_code=public_code(credential),
        score=credential.score,
        extra=extra,
        attachments=attachments,
        expiry_date=expiry_date,
        language=language,
        wording=wordings[language],
        issue_date_text=date_text(issue_date, language=language, date_format=date_format),
        expiry_date_text=date_text(expiry_date, language=language, date_format=date_format) if expiry_date else "",
    )
    options = credential_options(configuration=configuration, language=language)
    return generate(data=data, options=resolve_options(generate, options), load_asset=load_asset)

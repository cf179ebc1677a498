"""Pieces the services share: status transitions with their audit row, artifact storage, lock-conflict retries."""

import functools
import logging
import random
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import OperationalError, connection, connections, router
from django.utils.crypto import salted_hmac

from .. import conf
from ..exceptions import AssetMissing
from ..lifecycle import Status, check_transition
from ..models import Credential, CredentialAsset, CredentialEvent
from ..rendering import Artifact, AssetFile, asset_bytes_cache
from .announcement import credential_announce_on_commit

log = logging.getLogger(__name__)
T = TypeVar("T")


def event_record(
    *,
    credential: Credential,
    kind: str,
    source: str,
    actor_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    from_status: str = "",
    to_status: str = "",
) -> CredentialEvent:
    return CredentialEvent.objects.create(
        credential=credential,
        kind=kind,
        source=source,
        actor_id=actor_id,
        reason=reason,
        details=details or {},
        from_status=from_status,
        to_status=to_status,
    )


def credential_transition(
    *,
    credential: Credential,
    to: str,
    source: str,
    kind: str = CredentialEvent.Kind.STATUS_CHANGED,
    actor_id: int | None = None,
    reason: str = "",
    details: dict[str, Any] | None = None,
    update_fields: tuple[str, ...] = (),
) -> CredentialEvent:
    """Move a locked credential to ``to`` (or raise InvalidTransition), save it and audit it.

    Reaching AVAILABLE or INVALIDATED is announced to the host after commit (services.announcement).
    """
    current = credential.status
    check_transition(current, to)
    credential.status = to
    credential.active = None if to == Status.INVALIDATED else True
    fields = ["status", "active", "modified", *update_fields]
    if to != Status.GENERATING and credential.lease_expires_at is not None:
        credential.lease_expires_at = None  # the claim of a generation attempt ends with GENERATING
        fields.append("lease_expires_at")
    credential.save(update_fields=fields)
    event = event_record(
        credential=credential,
        kind=kind,
        source=source,
        actor_id=actor_id,
        reason=reason,
        details=details,
        from_status=current,
        to_status=to,
    )
    credential_announce_on_commit(credential=credential)
    return event


# Storage errors worth another try later (a network store that is briefly away); others are permanent.
TRANSIENT_STORAGE_ERRORS = (ConnectionError, TimeoutError)


# Lock conflicts after which the database rolled the transaction back whole, so trying again is safe:
# MySQL/MariaDB deadlock and lock wait timeout, PostgreSQL deadlock and serialization failure, SQLite's lock.
MYSQL_LOCK_ERRORS = (1205, 1213)
POSTGRES_LOCK_ERRORS = ("40P01", "40001")


def is_lock_conflict(exc: Exception) -> bool:
    """Whether a database error says another transaction held the rows (and this one was rolled back)."""
    cause = exc.__cause__
    if (
        getattr(cause, "pgcode", None) in POSTGRES_LOCK_ERRORS
        or getattr(cause, "sqlstate", None) in POSTGRES_LOCK_ERRORS
    ):
        return True
    if exc.args and exc.args[0] in MYSQL_LOCK_ERRORS:
        return True
    return "database is locked" in str(exc)


# Tries of a write that lost a lock conflict (a MariaDB deadlock among racing first inserts).
LOCK_CONFLICT_ATTEMPTS = 5


def lock_conflict_retried(function: Callable[..., T]) -> Callable[..., T]:
    """Run ``function`` again (up to LOCK_CONFLICT_ATTEMPTS times, with jitter) after a lock conflict.

    The database rolled the victim's transaction back whole, so trying again is safe, unless a
    caller's transaction is open: the database broke it, and only the caller can start over.
    """

    @functools.wraps(function)
    def retried(*args, **kwargs) -> T:
        for attempt in range(1, LOCK_CONFLICT_ATTEMPTS + 1):
            try:
                return function(*args, **kwargs)
            except OperationalError as exc:
                if attempt == LOCK_CONFLICT_ATTEMPTS or not is_lock_conflict(exc) or connection.in_atomic_block:
                    raise
                log.info("Retrying %s after a lock conflict: %s", function.__name__, exc)
                time.sleep(random.uniform(0.5, 1.5) * 0.02 * 2**attempt)
        raise AssertionError("unreachable")

    return retried


def credentials_write(credentials: list[Credential], fields: list[str]) -> None:
    """Write ``fields`` of many (locked) credentials with one parameterised UPDATE run for every row.

    Django's ``bulk_update`` builds a CASE expression per row and field, which costs milliseconds
    per credential in Python; ``executemany`` sends the same statement with each row's values.
    """
    if not credentials:
        return
    meta = Credential._meta
    db = connections[router.db_for_write(Credential)]
    quote = db.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(credential, field.attname), db) for field in columns]
        + [meta.pk.get_db_prep_value(credential.pk, db)]
        for credential in credentials
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)


class ProcessThreads:
    """A thread pool started on first use, so each process (each prefork child) gets its own."""

    def __init__(self, *, name: str, size: Callable[[], int]):
        self._name, self._size = name, size
        self._pool: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future:
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(max_workers=self._size(), thread_name_prefix=self._name)
        return self._pool.submit(fn, *args, **kwargs)


def artifact_storage():
    return storages[conf.get("STORAGE")]


def artifact_name(*, credential_id: uuid.UUID, attempt: int, extension: str) -> str:
    """Where the given generation attempt of a credential stores its file: known in advance, never guessable.

    Files share 256 folders (by the credential's first two hex digits) rather than one folder
    each: creating a folder per credential costs as much as writing the file on a local disk.
    The name ends with an HMAC (keyed by SECRET_KEY) of the credential and the attempt, so the
    attempt that finally records a credential can find what earlier attempts stored.
    """
    digest = salted_hmac("learning_credentials.artifact", f"{credential_id}:{attempt}", algorithm="sha256")
    return (
        f"{conf.get('ARTIFACT_PREFIX')}/{credential_id.hex[:2]}/"
        f"{credential_id}-{attempt}-{digest.hexdigest()[:32]}.{extension}"
    )


def artifact_save(*, credential: Credential, artifact: Artifact) -> str:
    """Store the artifact of the credential's current attempt and return the name it was stored under."""
    name = artifact_name(credential_id=credential.pk, attempt=credential.attempts, extension=artifact.extension)
    return artifact_storage().save(name, ContentFile(artifact.content))


def artifacts_of_earlier_attempts_delete(*, recorded: Sequence[tuple[Credential, str]]) -> int:
    """Delete what earlier attempts of these credentials stored, keeping each recorded file; returns how many tries.

    An attempt killed between storing its file and recording it leaves that file behind. Call
    this after committing credentials as AVAILABLE, which never get another file: an attempt
    still running then finds its row taken and deletes its own file. (An ERROR may be retried,
    and an expired lease is no proof that its attempt is dead: neither may delete.) Deleting a
    name that was never stored is harmless; a storage error is logged, never raised.
    """
    storage, tried = artifact_storage(), 0
    for credential, kept in recorded:
        extension = kept.rsplit(".", 1)[-1]
        for attempt in range(1, credential.attempts):
            name = artifact_name(credential_id=credential.pk, attempt=attempt, extension=extension)
            if name == kept:
                continue
            tried += 1
            try:
                storage.delete(name)
            except Exception:
                log.warning("Could not delete %s, stored by an earlier attempt", name, exc_info=True)
    return tried


def artifact_delete(name: str) -> None:
    if name:
        artifact_storage().delete(name)


def asset_load(slug: str) -> AssetFile:
    """The asset ``slug`` with its kind and version; its bytes are read on first use, once per version.

    AssetMissing when there is no such asset, or (on reading) no such file.
    """
    asset = CredentialAsset.objects.filter(slug=slug).only("slug", "kind", "file", "content_hash").first()
    if asset is None:
        raise AssetMissing(f"There is no credential asset with the slug '{slug}'.")
    name, storage = asset.file.name, asset.file.storage

    def read() -> bytes:
        try:
            with storage.open(name, "rb") as file:
                return file.read()
        except (FileNotFoundError, OSError) as exc:
            raise AssetMissing(f"The file of credential asset '{slug}' cannot be read: {exc}") from exc

    if not asset.content_hash:  # saved before content hashes were recorded: the bytes are the version
        return AssetFile.from_bytes(slug, read(), kind=asset.kind)
    key = (slug, asset.content_hash)
    return AssetFile(
        slug=slug, kind=asset.kind, content_hash=asset.content_hash, read=lambda: asset_bytes_cache.get(key, read)
    )

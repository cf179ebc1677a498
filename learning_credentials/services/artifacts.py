"""Artifact storage: where each generation attempt stores its file, and deleting what is no longer used."""

import hashlib
import logging
import uuid
from collections.abc import Callable, Sequence

from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.utils.crypto import salted_hmac

from .. import conf
from ..models import Credential
from ..rendering import Artifact

log = logging.getLogger(__name__)

# Storage errors worth another try later (a network store that is briefly away); others are permanent.
TRANSIENT_STORAGE_ERRORS = (ConnectionError, TimeoutError)


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


def attempts_artifact_names(*, credential_id: uuid.UUID, attempts: range, extension: str) -> list[str]:
    """The names the given generation attempts of a credential stored (or would have stored) their files under."""
    return [artifact_name(credential_id=credential_id, attempt=n, extension=extension) for n in attempts]


def share_image_folder(credential_id: uuid.UUID) -> str:
    """The folder of a credential's cached share images (one per status, visibility, size and format)."""
    return f"{conf.get('ARTIFACT_PREFIX')}/{credential_id}"


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
    earlier = [
        name
        for credential, kept in recorded
        for name in attempts_artifact_names(
            credential_id=credential.pk, attempts=range(1, credential.attempts), extension=kept.rsplit(".", 1)[-1]
        )
        if name != kept
    ]
    return artifacts_delete(names=earlier, why="stored by an earlier attempt")


def artifacts_delete(*, names: Sequence[str], why: str) -> int:
    """Delete stored files by name, each on its own; a storage error is logged, never raised; how many tried.

    Deleting a name that was never stored is harmless.
    """
    storage = artifact_storage()
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            log.warning("Could not delete %s, %s", name, why, exc_info=True)
    return len(names)


def artifact_delete(name: str) -> None:
    if name:
        artifact_storage().delete(name)


def artifact_sha256(name: str) -> str:
    """Hex SHA-256 of a stored file, read in pieces (a PDF is never held whole for this)."""
    digest = hashlib.sha256()
    with artifact_storage().open(name, "rb") as file:
        for piece in iter(lambda: file.read(1 << 16), b""):
            digest.update(piece)
    return digest.hexdigest()


def artifact_hashes_backfill(*, batch: int = 200, progress: Callable[[int], None] | None = None) -> dict[str, int]:
    """Record the SHA-256 of every stored file issued before hashes were recorded at issue; resumable.

    A file the storage no longer has is counted and logged, and left without a hash (it is tried
    again by a later call); ``progress`` is told how many credentials each batch handled.
    """
    counts = {"hashed": 0, "missing": 0}
    missing: set = set()
    while True:
        pending = list(
            Credential.objects.filter(artifact_sha256="")
            .exclude(artifact="")
            .exclude(pk__in=missing)
            .order_by("pk")
            .values_list("pk", "artifact")[:batch]
        )
        if not pending:
            return counts
        hashes = {}
        for pk, name in pending:
            try:
                hashes[pk] = artifact_sha256(name)
            except (OSError, ValueError):  # FileNotFoundError from local storage; other stores raise alike
                log.warning("Cannot hash %s (credential %s): the storage does not have it", name, pk, exc_info=True)
                missing.add(pk)
        names = dict(pending)
        for pk, digest in hashes.items():  # only if the file is still the one hashed (not generated again meanwhile)
            Credential.objects.filter(pk=pk, artifact=names[pk], artifact_sha256="").update(artifact_sha256=digest)
        counts["hashed"] += len(hashes)
        counts["missing"] = len(missing)
        if progress is not None:
            progress(len(pending))

"""Retiring a learner: their credentials are withdrawn and every copy of their personal data is erased.

Open edX retires a learner through its retirement pipeline (``USER_RETIRE_LMS_CRITICAL`` and
``USER_RETIRE_LMS_MISC``, see ``handlers.py``); any host may call ``learner_retire``, and deleting
a user row runs it first. What stays is what reports count: each credential row, invalidated as
``retired`` (shown publicly as "no longer available at the holder's request", without a name),
with its dates, type and context, and its audit events without their facts or text.
"""

import time

from django.db import transaction

from ..lifecycle import Status
from ..models import Credential, CredentialEvent, InvalidationReason, RefundEvent
from ..observability import elapsed_ms, log_activity
from ..signals import learner_retiring
from .artifacts import artifact_storage, artifacts_delete, attempts_artifact_names, share_image_folder
from .exports import exports_withdraw_for_learner
from .invalidation import credential_invalidate

# Audit details that say nothing about the learner, kept when the rest is redacted.
KEPT_EVENT_DETAILS = frozenset({"category", "replaces", "replaced_by"})
# Credential fields that hold the learner's personal data, emptied.
ERASED_FIELDS = (
    "learner_name",
    "order_reference",
    "invalidation_note",
    "error_message",
    "artifact",
    "artifact_sha256",
)


def learner_retire(*, user_id: int, source: str = CredentialEvent.Source.SYSTEM) -> dict[str, int]:
    """Invalidate the learner's credentials as ``retired`` and erase or redact their personal data; idempotent.

    In one transaction: live credentials are invalidated (their credits voided with them), the
    name, score, order reference, staff note and files of every credential of the learner are erased,
    their audit events keep only facts that say nothing about the learner (recorded by one
    ``personal_data_erased`` event per credential), refund notices naming them lose their payload
    and order reference, and sub-apps erase theirs (``learner_retiring``). Files (PDFs, share
    images) are deleted after commit. Returns what it did, by kind; a second call changes nothing more.
    """
    started = time.monotonic()
    counts = {"invalidated": 0, "erased": 0, "refunds": 0}
    with transaction.atomic():
        credentials = list(Credential.objects.select_for_update().filter(user_id=user_id).order_by("created"))
        for credential in credentials:
            if credential.status != Status.INVALIDATED:
                credential_invalidate(credential=credential, category=InvalidationReason.RETIRED, source=source)
                counts["invalidated"] += 1
        held = list(Credential.objects.filter(user_id=user_id))
        exports_withdraw_for_learner(credentials=held)
        files = [credential.artifact for credential in held if credential.artifact]
        _events_redact(credential_ids=[credential.pk for credential in held])  # also events written since a first call
        to_erase = [c for c in held if c.score is not None or any(getattr(c, f) for f in ERASED_FIELDS)]
        if to_erase:
            ids = [credential.pk for credential in to_erase]
            Credential.objects.filter(pk__in=ids).update(score=None, **dict.fromkeys(ERASED_FIELDS, ""))
            CredentialEvent.objects.bulk_create(
                CredentialEvent(
                    credential_id=pk,
                    kind=CredentialEvent.Kind.PERSONAL_DATA_ERASED,
                    source=source,
                    details={"fields": [*ERASED_FIELDS, "score"]},
                )
                for pk in ids
            )
            counts["erased"] = len(ids)
        refunds = RefundEvent.objects.filter(user_id=user_id).values_list("pk", "payload", "order_reference")
        named = [pk for pk, payload, order_reference in refunds if payload or order_reference]
        counts["refunds"] = RefundEvent.objects.filter(pk__in=named).update(payload={}, order_reference="")
        learner_retiring.send(sender=Credential, user_id=user_id)
        transaction.on_commit(lambda: _files_delete(names=files, credentials=held))
    log_activity("learner_retired", user_id=user_id, **counts, duration_ms=elapsed_ms(started))
    return counts


def _events_redact(*, credential_ids: list) -> None:
    """Empty the reasons and keep only KEPT_EVENT_DETAILS of the credentials' audit events (the one rewrite)."""
    events = CredentialEvent.objects.filter(credential_id__in=credential_ids).only("pk", "details", "reason")
    changed = []
    for event in events:
        details = {key: value for key, value in (event.details or {}).items() if key in KEPT_EVENT_DETAILS}
        if details != (event.details or {}) or event.reason:
            event.details, event.reason = details, ""
            changed.append(event)
    CredentialEvent.objects.bulk_update(changed, ["details", "reason"], batch_size=500)


def _files_delete(*, names: list[str], credentials: list[Credential]) -> None:
    """Delete the credentials' PDFs (those of every generation attempt) and their cached share images.

    A storage error is logged; the rows stay erased.
    """
    storage, names = artifact_storage(), list(names)
    for credential in credentials:
        # An attempt killed after storing its file left it under a name known in advance.
        names += attempts_artifact_names(
            credential_id=credential.pk, attempts=range(1, credential.attempts + 1), extension="pdf"
        )
        folder = share_image_folder(credential.pk)
        try:
            _, cached = storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            cached = []
        names += [f"{folder}/{name}" for name in cached]
    artifacts_delete(names=names, why="of a retired learner")

"""Retiring a learner: their credentials are withdrawn and every copy of their personal data is erased.

Open edX retires a learner through its retirement pipeline (``USER_RETIRE_LMS_CRITICAL`` and
``USER_RETIRE_LMS_MISC``, see ``handlers.py``); any host may call ``learner_retire``, and deleting
a user row runs it first. What stays is what reports count: each credential row, invalidated as
``retired`` (shown publicly as "no longer available at the holder's request", without a name),
with its dates, type and context, and its audit events without their facts or text.
"""

import logging
import time

from django.db import transaction

from .. import conf
from ..lifecycle import Status
from ..models import Credential, CredentialEvent, InvalidationReason, RefundEvent
from ..observability import elapsed_ms, log_activity
from ..signals import learner_retiring
from .artifacts import artifact_storage
from .invalidation import credential_invalidate

log = logging.getLogger(__name__)

# Audit details that say nothing about the learner, kept when the rest is redacted.
KEPT_EVENT_DETAILS = frozenset({"category", "replaces", "replaced_by"})
# Credential fields that hold the learner's personal data, emptied.
ERASED_FIELDS = ("learner_name", "order_reference", "invalidation_note", "error_message", "artifact")


def learner_retire(*, user_id: int, source: str = CredentialEvent.Source.SYSTEM) -> dict[str, int]:
    """Invalidate the learner's credentials as ``retired`` and erase or redact their personal data; idempotent.

    In one transaction: live credentials are invalidated (their credits voided with them), the
    name, order reference, staff note and file of every credential of the learner are erased,
    their audit events keep only facts that say nothing about the learner (recorded by one
    ``personal_data_erased`` event per credential), refund notices naming them lose their payload
    and order reference, and sub-apps erase theirs (``learner_retiring``). Files (PDFs, share
    images) are deleted after commit. Returns what it did, by kind; a second call does nothing.
    """
    started = time.monotonic()
    counts = {"invalidated": 0, "erased": 0, "refunds": 0}
    files: list[str] = []
    with transaction.atomic():
        credentials = list(Credential.objects.select_for_update().filter(user_id=user_id).order_by("created"))
        for credential in credentials:
            if credential.status != Status.INVALIDATED:
                credential_invalidate(credential=credential, category=InvalidationReason.RETIRED, source=source)
                counts["invalidated"] += 1
        held = Credential.objects.filter(user_id=user_id)
        to_erase = [credential for credential in held if any(getattr(credential, f) for f in ERASED_FIELDS)]
        files = [credential.artifact for credential in to_erase if credential.artifact]
        if to_erase:
            ids = [credential.pk for credential in to_erase]
            Credential.objects.filter(pk__in=ids).update(**dict.fromkeys(ERASED_FIELDS, ""))
            _events_redact(credential_ids=ids)
            CredentialEvent.objects.bulk_create(
                CredentialEvent(
                    credential_id=pk,
                    kind=CredentialEvent.Kind.PERSONAL_DATA_ERASED,
                    source=source,
                    details={"fields": list(ERASED_FIELDS)},
                )
                for pk in ids
            )
            counts["erased"] = len(ids)
        refunds = RefundEvent.objects.filter(user_id=user_id).values_list("pk", "payload", "order_reference")
        named = [pk for pk, payload, order_reference in refunds if payload or order_reference]
        counts["refunds"] = RefundEvent.objects.filter(pk__in=named).update(payload={}, order_reference="")
        learner_retiring.send(sender=Credential, user_id=user_id)
        credential_ids = [credential.pk for credential in credentials]
        transaction.on_commit(lambda: _files_delete(names=files, credential_ids=credential_ids))
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


def _files_delete(*, names: list[str], credential_ids: list) -> None:
    """Delete the credentials' PDFs and their cached share images; a storage error is logged, the rows stay erased."""
    storage = artifact_storage()
    for credential_id in credential_ids:  # share images live in a folder of their own per credential
        folder = f"{conf.get('ARTIFACT_PREFIX')}/{credential_id}"
        try:
            _, cached = storage.listdir(folder)
        except (FileNotFoundError, NotImplementedError, OSError):
            cached = []
        names = [*names, *(f"{folder}/{name}" for name in cached)]
    for name in names:
        try:
            storage.delete(name)
        except Exception:
            log.warning("Could not delete %s of a retired learner", name, exc_info=True)

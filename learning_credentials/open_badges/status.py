"""Status lists: each credential gets a random index in its issuer's revocation and suspension lists at issue,
and its bits change in the transaction that revokes (or suspends) it.

A list's row is locked while indexes are drawn or bits set, so concurrent chunks and invalidations
take turns on it instead of colliding. The list credential a verifier downloads is signed when it is
first asked for after a change, and kept until the next change.
"""

import secrets
from collections import defaultdict
from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from ..lifecycle import Status
from ..models import Credential
from .documents import status_list_document, vc_jwt, xsd_datetime
from .issuers import issuer_for_context
from .keys import keys_ensure, private_key, signing_key_current
from .models import Issuer, SigningKey, StatusEntry, StatusList
from .signing import proof_create
from .status_list import MIN_ENTRIES, bit_get, bit_set, bitstring_encode, bitstring_new

Purpose = StatusList.Purpose
LIST_SIZE = MIN_ENTRIES
# A list takes new entries until this many are used: drawn at random, a free index is found at
# once more than half the time, and the list still hides each credential among many.
LIST_FILL = LIST_SIZE // 2
_random = secrets.SystemRandom()


def _open_list(issuer: Issuer, purpose: str) -> StatusList:
    """The issuer's list for the purpose that still takes entries, locked; a new one when all are full."""
    while True:
        found = (
            StatusList.objects.select_for_update()
            .filter(issuer=issuer, purpose=purpose, used__lt=LIST_FILL)
            .order_by("number")
            .first()
        )
        if found is not None:
            return found
        number = (StatusList.objects.filter(issuer=issuer, purpose=purpose).aggregate(n=Max("number"))["n"] or 0) + 1
        try:
            with transaction.atomic():
                StatusList.objects.create(
                    issuer=issuer,
                    purpose=purpose,
                    number=number,
                    size=LIST_SIZE,
                    bits=bytes(bitstring_new(LIST_SIZE)),
                    changed=timezone.now(),
                )
        except IntegrityError:  # another transaction opened it meanwhile: lock that one
            continue


def _free_indexes(status_list: StatusList, count: int) -> list[int]:
    """``count`` random indexes no entry of the (locked) list has."""
    chosen: list[int] = []
    while len(chosen) < count:
        candidates = set(_random.sample(range(status_list.size), 2 * (count - len(chosen)) + 8)) - set(chosen)
        taken = set(
            StatusEntry.objects.filter(status_list=status_list, index__in=candidates).values_list("index", flat=True)
        )
        chosen += sorted(candidates - taken)[: count - len(chosen)]
    _random.shuffle(chosen)
    return chosen


def status_entries_allocate(*, credentials: Iterable[Credential]) -> list[StatusEntry]:
    """Give each credential without one an index in its issuer's lists (both purposes); the entries made.

    Runs inside the transaction that issues them (the core's ``credentials_issued``).
    """
    credentials = list(credentials)
    have = set(StatusEntry.objects.filter(credential__in=credentials).values_list("credential_id", "purpose"))
    by_issuer: dict[Issuer, list[Credential]] = defaultdict(list)
    issuers: dict = {}
    for credential in credentials:
        key = credential.configuration.learning_context_key
        if key not in issuers:
            issuers[key] = issuer_for_context(key)
        by_issuer[issuers[key]].append(credential)
    made: list[StatusEntry] = []
    for issuer, issued in by_issuer.items():
        for purpose in Purpose.values:
            pending = [credential for credential in issued if (credential.pk, purpose) not in have]
            while pending:
                status_list = _open_list(issuer, purpose)
                batch, pending = pending[: LIST_FILL - status_list.used], pending[LIST_FILL - status_list.used :]
                indexes = _free_indexes(status_list, len(batch))
                made += StatusEntry.objects.bulk_create(
                    StatusEntry(credential=credential, status_list=status_list, purpose=purpose, index=index)
                    for credential, index in zip(batch, indexes, strict=True)
                )
                status_list.used += len(batch)
                status_list.save(update_fields=["used"])
    return made


def status_bits_set(*, credentials: Iterable[Credential], purpose: str, value: bool = True) -> int:
    """Set (or clear) the credentials' bits for the purpose, in the caller's transaction, each list locked and
    written once; how many credentials had an entry."""
    entries = list(StatusEntry.objects.filter(credential__in=list(credentials), purpose=purpose))
    by_list: dict[int, list[int]] = defaultdict(list)
    for entry in entries:
        by_list[entry.status_list_id].append(entry.index)
    for status_list in StatusList.objects.select_for_update().filter(pk__in=by_list).order_by("pk"):
        bits = bytearray(status_list.bits)
        changed = [index for index in by_list[status_list.pk] if bit_get(bits, index) != value]
        for index in changed:
            bit_set(bits, index, value)
        if changed:
            status_list.bits, status_list.changed = bytes(bits), timezone.now()
            status_list.save(update_fields=["bits", "changed"])
    return len(entries)


def status_bit_set(*, credential: Credential, purpose: str, value: bool = True) -> bool:
    """One credential's bit (``status_bits_set``); False when it has no entry."""
    return status_bits_set(credentials=[credential], purpose=purpose, value=value) == 1


def status_backfill(*, batch: int = 500) -> dict[str, int]:
    """Credentials issued before the sub-app was installed: their status entries, and the revocation bits of the
    invalidated ones; resumable (what has entries is skipped), in batches of ``batch``."""
    counts = {"credentials": 0, "revoked": 0}
    while True:
        with transaction.atomic():
            missing = list(
                Credential.objects.select_related("configuration")
                .exclude(open_badges_status__purpose=Purpose.REVOCATION)
                .order_by("created", "pk")[:batch]
            )
            if not missing:
                return counts
            status_entries_allocate(credentials=missing)
            invalidated = [credential for credential in missing if credential.status == Status.INVALIDATED]
            status_bits_set(credentials=invalidated, purpose=Purpose.REVOCATION)
            counts["credentials"] += len(missing)
            counts["revoked"] += len(invalidated)


def status_list_url(status_list: StatusList) -> str:
    path = reverse("learning_credentials:open-badges-status", kwargs={"list_id": status_list.public_id})
    return status_list.issuer.base_url + path


def status_list_get(list_id: str) -> StatusList | None:
    """The list a public id names (<issuer slug>-<purpose>-<number>), or None."""
    parts = list_id.rsplit("-", 2)
    if len(parts) != 3 or not parts[2].isdigit() or parts[1] not in Purpose.values:
        return None
    return (
        StatusList.objects.select_related("issuer")
        .filter(issuer__slug=parts[0], purpose=parts[1], number=int(parts[2]))
        .first()
    )


def status_list_signed(status_list: StatusList) -> dict:
    """The list credential with its Data Integrity proof: signed again only after its bits changed."""
    if status_list.signed is not None and status_list.signed_at and status_list.signed_at >= status_list.changed:
        return status_list.signed
    issuer = status_list.issuer
    key = signing_key_for(issuer, SigningKey.Algorithm.ED25519)
    now = timezone.now()
    signed = proof_create(
        _unsigned(status_list),
        key=private_key(key),
        verification_method=key.verification_method,
        created=xsd_datetime(now),
    )
    StatusList.objects.filter(pk=status_list.pk, changed=status_list.changed).update(signed=signed, signed_at=now)
    return signed


def status_list_jwt(status_list: StatusList) -> str:
    key = signing_key_for(status_list.issuer, SigningKey.Algorithm.P256)
    return vc_jwt(_unsigned(status_list), key=private_key(key), kid=key.verification_method)


def _unsigned(status_list: StatusList) -> dict:
    return status_list_document(
        url=status_list_url(status_list),
        issuer_id=status_list.issuer.did,
        purpose=status_list.purpose,
        encoded_list=bitstring_encode(bytes(status_list.bits)),
        valid_from=status_list.created,
    )


def signing_key_for(issuer: Issuer, algorithm: str) -> SigningKey:
    """The issuer's current key for the algorithm; its first keys are made on first need."""
    keys_ensure(issuer=issuer)
    return signing_key_current(issuer=issuer, algorithm=algorithm)

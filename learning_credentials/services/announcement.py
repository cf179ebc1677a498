"""Telling the host that a credential became AVAILABLE or INVALIDATED: a Django signal for any host and,
where openedx-events is installed, an Open edX event of our own namespace (see ``events.py``).

Announcements are sent after commit, never from inside the transaction, so a receiver never sees
a credential that a rollback takes back. A failing receiver is logged; it never undoes anything.
"""

import functools
import importlib.util
import logging
from datetime import UTC

from django.db import transaction

from ..adapters.base import Site
from ..lifecycle import Status
from ..models import Credential
from ..selectors import context_sites, public_code, public_identities_attach, public_identity, verify_url
from ..signals import credential_available, credential_invalidated

log = logging.getLogger(__name__)

DJANGO_SIGNALS = {Status.AVAILABLE: credential_available, Status.INVALIDATED: credential_invalidated}


def credential_announce_on_commit(*, credential: Credential) -> None:
    """Announce ``credential``'s new status once the current transaction commits (if it is announced at all)."""
    if credential.status in DJANGO_SIGNALS:
        credentials_announce_on_commit(credential_ids=[credential.pk], status=credential.status)


def credentials_announce_on_commit(*, credential_ids: list, status: str) -> None:
    """Announce that these credentials reached ``status``, after commit, with one read for all of them."""
    ids = list(credential_ids)
    transaction.on_commit(lambda: credentials_announce(credential_ids=ids, status=status), robust=True)


def credentials_announce(*, credential_ids: list, status: str) -> None:
    """Send the Django signal and the Open edX event of ``status`` for each credential; never raises."""
    if not DJANGO_SIGNALS[status].has_listeners() and not (
        _openedx_events_installed() and _openedx_signal(status).has_listeners()
    ):
        return  # nobody listens: not even the read
    credentials = Credential.objects.select_related("user", "configuration__credential_type").filter(
        pk__in=credential_ids
    )
    found = {credential.pk: credential for credential in credentials}
    sites = _sites(found.values(), status)
    if _openedx_events_installed() and _openedx_signal(status).has_listeners():
        try:
            public_identities_attach(found.values())
        except Exception:  # announcing never raises: each event then asks for its own identity
            log.exception("The public identities of the announced credentials could not be read.")
    for credential_id in credential_ids:
        credential = found.get(credential_id)
        if credential is None:
            log.warning("Not announcing credential %s: it does not exist.", credential_id)
            continue
        _announce(credential, status, sites)


def _sites(credentials, status: str) -> dict[object, Site]:
    """The sites of the credentials' contexts, read once for all, when an Open edX event (which links them) goes out."""
    if not _openedx_events_installed() or not _openedx_signal(status).has_listeners():
        return {}
    try:
        return context_sites(context_keys=[credential.configuration.learning_context_key for credential in credentials])
    except Exception:  # announcing never raises: each event then reads its own site, and reports its own failure
        log.exception("The sites of the announced credentials could not be read.")
        return {}


def _announce(credential: Credential, status: str, sites: dict) -> None:
    signal = DJANGO_SIGNALS[status]
    responses = signal.send_robust(sender=Credential, credential=credential) if signal.has_listeners() else []
    for receiver, response in responses:
        if isinstance(response, Exception):
            log.error(
                "Receiver %r of the credential_%s signal failed for credential %s.",
                receiver,
                status,
                credential.pk,
                exc_info=response,
            )
    if not _openedx_events_installed() or not _openedx_signal(status).has_listeners():
        return  # nobody listens (the event bus producer, where configured, is a listener): building the event is wasted
    if credential.user is None:
        return  # the account was deleted (and retired): the event's payload has no learner to name
    try:
        _send_openedx_event(credential, status, sites.get(credential.configuration.learning_context_key))
    except Exception:
        log.exception("The Open edX event of credential %s (%s) could not be sent.", credential.pk, status)


@functools.cache
def _openedx_events_installed() -> bool:
    return importlib.util.find_spec("openedx_events") is not None


def _openedx_signal(status: str):
    from .. import events

    return {
        Status.AVAILABLE: events.LEARNING_CREDENTIAL_AVAILABLE,
        Status.INVALIDATED: events.LEARNING_CREDENTIAL_INVALIDATED,
    }[status]


def _send_openedx_event(credential: Credential, status: str, site: Site | None) -> None:
    from openedx_events.learning.data import UserData, UserPersonalData

    from .. import events

    signal = _openedx_signal(status)
    user = credential.user
    data = events.LearningCredentialData(
        uuid=credential.uuid,
        verify_uuid=public_identity(credential).verify_uuid,
        verification_code=public_code(credential),
        verify_url=verify_url(credential, site=site),
        user=UserData(
            id=user.pk,
            is_active=user.is_active,
            pii=UserPersonalData(username=user.get_username(), email=user.email or "", name=credential.learner_name),
        ),
        learning_context_key=str(credential.configuration.learning_context_key),
        context_name=credential.context_name,
        credential_type=credential.configuration.credential_type.slug,
        type_name=credential.type_name,
        status=status,
        issued_at=credential.created.astimezone(UTC),
        invalidated_at=credential.invalidated_at.astimezone(UTC) if credential.invalidated_at else None,
        invalidation_reason=credential.invalidation_reason,
    )
    time = (credential.invalidated_at if status == Status.INVALIDATED else None) or credential.modified
    signal.send_event(time=time.astimezone(UTC), credential=data)

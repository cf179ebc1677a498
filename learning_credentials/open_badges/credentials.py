"""A credential as a signed Open Badges 3.0 credential: its facts, its VC-JWT and its Data Integrity document.

Both are made on first request and kept (``SignedCredential``): a signed document never changes,
what changes is its status bit. The Data Integrity proof canonicalises the document in Python
(milliseconds), so it is made once, never per request.
"""

import secrets

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ..adapters import get_adapter
from ..models import Credential
from ..selectors import context_sites, public_identities_attach, verify_url
from .documents import BadgeFacts, StatusEntry, credential_document, identity_hash, vc_jwt, xsd_datetime
from .issuers import issuer_for_context, issuer_profile
from .keys import private_key
from .models import SignedCredential, SigningKey, StatusList
from .models import StatusEntry as StatusEntryRow
from .signing import proof_create
from .status import signing_key_for, status_entries_allocate, status_list_url

Algorithm = SigningKey.Algorithm


def _achievement_id(issuer_base_url: str, credential: Credential) -> str:
    configuration = credential.configuration
    return (
        f"{issuer_base_url}/learning_credentials/achievements/"
        f"{configuration.credential_type.slug}/{configuration.learning_context_key}"
    )


def _revocation_entries(credentials: list[Credential]) -> dict:
    """Each credential's revocation entry (allocated now for one issued before the sub-app was installed)."""
    # The lists' bits (16 KB each) and signed copies are not what a URL needs: a chunk would read them per row.
    wanted = (
        StatusEntryRow.objects.select_related("status_list__issuer")
        .defer("status_list__bits", "status_list__signed")
        .filter(credential__in=credentials, purpose=StatusList.Purpose.REVOCATION)
    )
    entries = {entry.credential_id: entry for entry in wanted}
    if len(entries) < len(credentials):
        status_entries_allocate(credentials=[c for c in credentials if c.pk not in entries])
        entries = {entry.credential_id: entry for entry in wanted.all()}
    return entries


def credential_facts(*, credential: Credential, salt: str) -> BadgeFacts:
    """What the credential's Open Badge says, read from the credential, its issuer, its learner and its status entry."""
    return _facts_of([credential], salts={credential.pk: salt}, issuers=_issuers_of([credential]))[credential.pk]


def _issuers_of(credentials: list[Credential]) -> dict:
    """Context key -> its issuer, one lookup per context."""
    issuers: dict = {}
    for credential in credentials:
        key = credential.configuration.learning_context_key
        if key not in issuers:
            issuers[key] = issuer_for_context(key)
    return issuers


def _facts_of(credentials: list[Credential], *, salts: dict, issuers: dict) -> dict:
    """Each credential's facts, read with a fixed number of queries (a generation chunk's many at once)."""
    learners = get_adapter().get_learners(sorted({c.user_id for c in credentials if c.user_id}))
    entries = _revocation_entries(credentials)
    sites = context_sites(context_keys=[c.configuration.learning_context_key for c in credentials])
    public_identities_attach(credentials)  # each evidence link names the credential's public page
    list_urls = {entry.status_list_id: status_list_url(entry.status_list) for entry in entries.values()}
    facts = {}
    for credential in credentials:
        issuer = issuers[credential.configuration.learning_context_key]
        learner = learners.get(credential.user_id) if credential.user_id else None
        email = learner.email if learner is not None else ""
        entry, salt = entries[credential.pk], salts[credential.pk]
        facts[credential.pk] = BadgeFacts(
            verify_uuid=credential.verify_uuid,
            issuer=issuer_profile(issuer),
            valid_from=credential.created,
            valid_until=credential.expires_at,
            name=f"{credential.type_name}: {credential.context_name}",
            achievement_id=_achievement_id(issuer.base_url, credential),
            achievement_name=credential.type_name,
            achievement_description=f"{credential.type_name}: {credential.context_name}, awarded by {issuer.name}.",
            criteria=f"Met the requirements {issuer.name} set for {credential.type_name} in {credential.context_name}.",
            achievement_image=issuer.image or None,
            email_hash=identity_hash(email, salt) if email else None,
            email_salt=salt if email else None,
            holder_name=credential.learner_name,
            score=credential.score,
            status=StatusEntry(list_url=list_urls[entry.status_list_id], index=entry.index, purpose=entry.purpose),
            evidence_url=verify_url(credential, site=sites[credential.configuration.learning_context_key]),
        )
    return facts


def _signed_row(credential: Credential) -> SignedCredential:
    found = SignedCredential.objects.filter(credential=credential).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return SignedCredential.objects.get_or_create(
                credential=credential, defaults={"salt": secrets.token_hex(16)}
            )[0]
    except IntegrityError:  # made meanwhile by another request
        return SignedCredential.objects.get(credential=credential)


def credential_jwt(*, credential: Credential) -> str:
    """The credential's VC-JWT (ES256), signed on first need and kept."""
    return credentials_jwt(credentials=[credential])[credential.pk]


def credentials_jwt(*, credentials: list[Credential]) -> dict:
    """Each credential's VC-JWT (ES256) by pk: those not signed yet are signed now and kept, in bulk.

    A generation chunk embeds them in its PDFs, so the queries are fixed whatever the number of
    credentials. What is kept is returned (a concurrent attempt's token when it signed first), so a
    PDF always carries the credential's one stored token.
    """
    rows = {row.credential_id: row for row in SignedCredential.objects.filter(credential__in=credentials)}
    pending = [credential for credential in credentials if credential.pk not in rows or not rows[credential.pk].jwt]
    if not pending:
        return {pk: row.jwt for pk, row in rows.items()}
    salts = {c.pk: rows[c.pk].salt if c.pk in rows else secrets.token_hex(16) for c in pending}
    issuers = _issuers_of(pending)
    facts = _facts_of(pending, salts=salts, issuers=issuers)
    keys: dict = {}
    made = []
    for credential in pending:
        issuer = issuers[credential.configuration.learning_context_key]
        if issuer.pk not in keys:
            key = signing_key_for(issuer, Algorithm.P256)
            keys[issuer.pk] = (key, private_key(key))
        key, private = keys[issuer.pk]
        token = vc_jwt(credential_document(facts[credential.pk]), key=private, kid=key.verification_method)
        made.append(SignedCredential(credential=credential, salt=salts[credential.pk], jwt=token, jwt_key=key))
    new = [row for row in made if row.credential_id not in rows]
    try:
        with transaction.atomic():
            SignedCredential.objects.bulk_create(new)
        raced = False
    except IntegrityError:  # another attempt signed some of them meanwhile: what it stored is kept
        SignedCredential.objects.bulk_create(new, ignore_conflicts=True)
        raced = True
    for row in made:
        if row.credential_id in rows:  # made earlier for its JSON-LD document: the token joins it
            SignedCredential.objects.filter(pk=row.credential_id, jwt="").update(jwt=row.jwt, jwt_key=row.jwt_key)
            raced = True
    if raced:
        return dict(SignedCredential.objects.filter(credential__in=credentials).values_list("credential_id", "jwt"))
    return {pk: row.jwt for pk, row in rows.items()} | {row.credential_id: row.jwt for row in made}


def credential_signed_document(*, credential: Credential) -> dict:
    """The credential with its eddsa-rdfc-2022 proof, made on first request and kept."""
    row = _signed_row(credential)
    if row.document is None:
        issuer = issuer_for_context(credential.configuration.learning_context_key)
        key = signing_key_for(issuer, Algorithm.ED25519)
        created = xsd_datetime(timezone.now())
        signed = proof_create(
            credential_document(credential_facts(credential=credential, salt=row.salt)),
            key=private_key(key),
            verification_method=key.verification_method,
            created=created,
        )
        SignedCredential.objects.filter(pk=row.pk, document__isnull=True).update(document=signed, document_key=key)
        row.refresh_from_db()
    return row.document


def signed_credentials_resign(*, key: SigningKey) -> int:
    """Sign again with the issuer's current keys every document the given (revoked) key signed; how many."""
    signed = SignedCredential.objects.filter(Q(jwt_key=key) | Q(document_key=key)).select_related(
        "credential__configuration__credential_type"
    )
    count = 0
    for row in signed.iterator():
        with transaction.atomic():
            if row.jwt_key_id == key.pk:
                SignedCredential.objects.filter(pk=row.pk).update(jwt="", jwt_key=None)
                credential_jwt(credential=row.credential)
            if row.document_key_id == key.pk:
                SignedCredential.objects.filter(pk=row.pk).update(document=None, document_key=None)
                credential_signed_document(credential=row.credential)
        count += 1
    return count

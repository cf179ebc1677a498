"""Is this file genuine? A credential's PDF, or its signed credential (.json or .jwt), checked for an employer.

A PDF issued since PDFs carry their credential embeds its VC-JWT (``credential.jwt``); the file's
SHA-256, recorded at issue, says whether it is byte-for-byte the file issued. The two answers are
independent: a PDF edited after issue still carries a genuine credential, and a credential altered
inside the PDF no longer verifies; the employer is told which of the two fails. A PDF issued before
carries nothing, so the issuer's own signed record of the credential it matches is checked instead.
"""

import hashlib
import io
import logging
import zlib
from dataclasses import dataclass
from itertools import islice

from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from pypdf import PdfReader

from ..exceptions import ConfigurationError, CredentialUnreadable, PayloadTooLarge
from ..identifiers import parse_uuid
from ..lifecycle import Status
from ..models import Credential, InvalidationReason, Visibility
from ..rendering import format_date
from ..selectors import verify_url
from ..services.artifacts import artifact_sha256
from .credentials import credential_jwt
from .issuers import issuer_for_context
from .keys import signing_configured
from .models import SignedCredential
from .receivers import JWT_FILE
from .verification import FAIL, MAX_BYTES, NOT_CHECKED, PASS, Check, Verification, credential_verify

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENTS = 32
FILE = "file"
# What makes a credential genuine (its issuer's signature holds); the other checks say whether it still stands.
GENUINE_CHECKS = ("format", "signature", "issuer_key", "key_revoked")


@dataclass(frozen=True)
class FileCheck:
    """What a file turned out to be: the file check (PDFs), the credential's checks, and notes in words."""

    kind: str  # "pdf", "json" or "jwt"
    file_check: Check | None
    verification: Verification | None
    credential: Credential | None  # the credential of ours the file is, when one is
    notes: tuple[str, ...] = ()

    @property
    def checks(self) -> tuple[Check, ...]:
        own = (self.file_check,) if self.file_check is not None else ()
        return (*own, *(self.verification.checks if self.verification else ()))

    @property
    def verdict(self) -> str:
        """ "valid" when every check passed, "invalid" when one failed, "incomplete" when some were not checked."""
        results = {check.result for check in self.checks}
        if FAIL in results or not results:
            return "invalid"
        # A key that is its own identifier (did:key, did:jwk) proves nothing about who holds it.
        unconfirmed = self.verification is None or self.credential is None
        return "incomplete" if NOT_CHECKED in results or unconfirmed else "valid"

    @property
    def genuine(self) -> bool:
        """Whether the file is one issued here, or its credential is one of ours whose signature holds."""
        identical = self.file_check is not None and self.file_check.result == PASS
        return identical or (self.credential is not None and _passed(self.verification.checks, GENUINE_CHECKS))

    @property
    def page_url(self) -> str:
        """The verification page to link: only a public credential of ours, and only when the file or its
        signature holds (a forged file may name a real credential)."""
        shown = self.credential is not None and self.credential.visibility == Visibility.PUBLIC and self.genuine
        return verify_url(self.credential) if shown else ""

    @property
    def sentence(self) -> str:
        """The verdict in one plain sentence, before the checks."""
        return verdict_sentence(self)

    @property
    def facts(self) -> tuple[tuple[str, str, str], ...]:
        """What a credential whose signature holds says, as (name, label, value) rows beside the sentence: each
        language words a row on its own, where a sentence with a name or "unnamed" put in would not inflect."""
        verification = self.verification
        if verification is None or verification.summary is None or not _passed(verification.checks, GENUINE_CHECKS):
            return ()
        summary = verification.summary
        not_named = pgettext("a credential's fact", "Not named")
        return (
            (
                "credential",
                pgettext("a credential's fact", "Credential"),
                _words(summary.achievement_name) or not_named,
            ),
            (
                "issuer",
                pgettext("a credential's fact", "Issuer"),
                _words(summary.issuer_name or summary.issuer_id) or not_named,
            ),
            ("holder", pgettext("a credential's fact", "Holder"), _words(summary.holder_name) or not_named),
            (
                "issued_on",
                pgettext("a credential's fact", "Issue date"),
                format_date(summary.valid_from.date())
                if summary.valid_from
                else pgettext("a credential's fact", "Unknown"),
            ),
        )

    def as_json(self) -> dict:
        """The verify API's answer, with the file check first among the checks, the sentence and the notes."""
        summary = self.verification.summary if self.verification else None
        return {
            "verdict": self.verdict,
            "format": self.kind,
            "sentence": self.sentence,
            "facts": [{"name": name, "label": label, "value": value} for name, label, value in self.facts],
            "notes": list(self.notes),
            "checks": [{"check": check.name, "result": check.result, "reason": check.reason} for check in self.checks],
            "credential": summary.as_json() if summary else None,
        }


def file_check(*, data: bytes, name: str) -> FileCheck:
    """Check a file someone holds: a PDF by its embedded credential and its hash, a .json or .jwt by the verifier.

    CredentialUnreadable when the file is neither, PayloadTooLarge above 10 MB.
    """
    if len(data) > MAX_FILE_BYTES:
        raise PayloadTooLarge(_("It is larger than 10 MB: no credential file we issue is that large."))
    if data.lstrip()[:5] == b"%PDF-" or name.lower().endswith(".pdf"):
        return _pdf_check(data)
    if len(data) > MAX_BYTES:
        raise PayloadTooLarge(_("It is larger than 256 KB, the most a signed credential (.json or .jwt) may weigh."))
    verification = credential_verify(data=data)
    credential = _ours(verification)
    return FileCheck(kind=verification.format, file_check=None, verification=verification, credential=credential)


def _pdf_check(data: bytes) -> FileCheck:
    token = _embedded_token(data)
    digest = hashlib.sha256(data).hexdigest()
    verification = credential_verify(data=token) if token else None
    # Ours only by proof: a token our issuer's key signed, or the bytes of a file we issued. What a file
    # merely claims (an id in a token anyone signed, its metadata) names no credential of ours.
    credential = _ours(verification) or Credential.objects.filter(artifact_sha256=digest).order_by("created").first()
    identical = _identical(credential, digest)
    notes: list[str] = []
    if identical and verification is not None and _key_revoked(verification):
        stored = SignedCredential.objects.filter(credential=credential).exclude(jwt="").first()
        if stored is not None and stored.jwt != token:
            verification = credential_verify(data=stored.jwt)
            notes.append(
                _(
                    "The signature inside this file was made with a key the issuer later revoked; the issuer signed "
                    "the credential again with a current key. This file predates the re-signing, so the re-signed "
                    "credential was checked instead."
                )
            )
    if not token and identical and credential is not None:
        verification = _stored_verification(credential)
        notes.append(
            _(
                "This file was issued before credential PDFs carried their signed credential; the issuer's signed "
                "record of the credential it matches was checked instead."
            )
        )
    return FileCheck(
        kind="pdf",
        file_check=_file_check(credential, identical, has_token=bool(token)),
        verification=verification,
        credential=credential,
        notes=tuple(notes),
    )


def _embedded_token(data: bytes) -> bytes:
    """The embedded credential.jwt (b"" when none), read within MAX_BYTES whatever the file declares."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise CredentialUnreadable(_("The PDF is encrypted: the PDFs we issue never are."))
        found = next((file for file in islice(reader.attachment_list, MAX_ATTACHMENTS) if file.name == JWT_FILE), None)
        stream = found.pdf_object["/EF"]["/F"].get_object() if found is not None else None
    except CredentialUnreadable:
        raise
    except Exception as exc:  # a parser given arbitrary bytes raises PyPdfError, KeyError, struct.error, ...
        raise CredentialUnreadable(_("The PDF cannot be read: it is damaged or incomplete.")) from exc
    return b"" if stream is None else _bounded(stream)


def _bounded(stream) -> bytes:
    """The stream's bytes, inflated at most to MAX_BYTES (ours are stored as they are; a deflated one is read too):
    a small file must not make the server inflate megabytes."""
    raw, filters = bytes(stream._data), stream.get("/Filter")
    filters = [str(f) for f in filters] if isinstance(filters, list) else [str(filters)] if filters else []
    if filters == ["/FlateDecode"] and "/DecodeParms" not in stream:
        inflater = zlib.decompressobj()
        try:
            content = inflater.decompress(raw, MAX_BYTES + 1)
        except zlib.error as exc:
            raise CredentialUnreadable(_("The PDF cannot be read: it is damaged or incomplete.")) from exc
    elif not filters:
        content = raw
    else:
        raise CredentialUnreadable(_("The file embedded as the credential is not stored as a credential file is."))
    if len(content) > MAX_BYTES:
        raise CredentialUnreadable(_("The file embedded as the credential is too large to be one."))
    return content


def _ours(verification: Verification | None) -> Credential | None:
    """The credential of ours a verified credential is: signed by our issuer's key (revoked or not) for its context."""
    if verification is None or verification.key is None or verification.summary is None:
        return None
    if not _passed(verification.checks, ("format", "signature", "issuer_key")):
        return None
    identifier = verification.summary.credential_id or ""
    named = parse_uuid(identifier.removeprefix("urn:uuid:")) if identifier.startswith("urn:uuid:") else None
    credential = (
        Credential.objects.select_related("configuration__credential_type").filter(verify_uuid=named).first()
        if named
        else None
    )
    if credential is None or issuer_for_context(credential.configuration.learning_context_key).pk != (
        verification.key.issuer_id
    ):
        return None
    return credential


def _identical(credential: Credential | None, digest: str) -> bool | None:
    """Whether the file is the one issued; None when there is nothing to compare with (no credential, no file)."""
    if credential is None:
        return None
    recorded = credential.artifact_sha256
    if not recorded and credential.artifact:  # issued before hashes were recorded, not backfilled yet
        try:
            recorded = artifact_sha256(credential.artifact)
        except (OSError, ValueError):
            log.warning("Cannot hash the stored file of credential %s", credential.pk, exc_info=True)
            return None
        Credential.objects.filter(pk=credential.pk, artifact_sha256="").update(artifact_sha256=recorded)
    return (digest == recorded) if recorded else None


def _key_revoked(verification: Verification) -> bool:
    return any(check.name == "key_revoked" and check.result == FAIL for check in verification.checks)


def _stored_verification(credential: Credential) -> Verification | None:
    """The credential's own signed record, checked; None on a site that does not sign."""
    if not signing_configured():
        return None
    try:
        return credential_verify(data=credential_jwt(credential=credential))
    except ConfigurationError:
        log.exception("open_badges: cannot sign credential %s to check its file", credential.pk)
        return None


def _file_check(credential: Credential | None, identical: bool | None, *, has_token: bool) -> Check:
    if identical:
        when = format_date(credential.created.date())
        return Check(FILE, PASS, _("This file is byte for byte the file issued on %(date)s.") % {"date": when})
    if identical is False:
        return Check(
            FILE,
            FAIL,
            _("This file is not the file that was issued: its content was changed, or a program saved it again."),
        )
    if credential is not None:
        return Check(
            FILE, NOT_CHECKED, _("The issued file is no longer kept, so this file cannot be compared with it.")
        )
    if has_token:
        return Check(FILE, FAIL, _("This site did not issue this file: no credential issued here matches it."))
    return Check(
        FILE, FAIL, _("This file carries no signed credential and matches no file issued here: it cannot be confirmed.")
    )


def _passed(checks: tuple[Check, ...], names) -> bool:
    found = {check.name: check.result for check in checks}
    return all(found.get(name) == PASS for name in names)


def _words(text: str | None) -> str:
    """A name as a sentence shows it: its spaces collapsed (a name may be stored as typed)."""
    return " ".join((text or "").split())


def _replaced_words(credential) -> str:
    """The sentence of a genuine credential a newer one replaced (renewed, or reissued), not "revoked"."""
    if not isinstance(credential, Credential) or credential.status != Status.INVALIDATED:
        return ""
    date = {"date": format_date(credential.invalidated_at.date())}
    if credential.invalidation_reason == InvalidationReason.RENEWED:
        return (
            _(
                "This is a genuine credential; it was renewed on %(date)s: a newer credential replaces it (its "
                "verification page links to it)."
            )
            % date
        )
    if credential.invalidation_reason == InvalidationReason.SUPERSEDED:
        return (
            _(
                "This is a genuine credential; it was superseded on %(date)s by a newer credential (its verification "
                "page links to it)."
            )
            % date
        )
    return ""


def verdict_sentence(result: FileCheck) -> str:
    """The verdict in words: whether the credential is genuine and stands, or what fails; ``facts`` say who and what."""
    verification = result.verification
    if verification is None:
        if result.file_check is not None and result.file_check.result == PASS:
            return _(
                "This file is the one issued here on %(date)s; its verification page says whether it is still valid."
            ) % {"date": format_date(result.credential.created.date())}
        return _("This file cannot be confirmed as a credential issued here.")
    checks = verification.checks
    if _passed(checks, ("format", "signature", "issuer_key")) and _key_revoked(verification):
        return _(
            "The issuer revoked the key that signed this credential, so its signature can no longer be trusted; "
            "ask the holder for a credential signed again."
        )
    if not _passed(checks, GENUINE_CHECKS):
        return _("This is not a genuine credential: its signature does not prove who issued it or what it says.")
    if result.credential is None:  # signed, but not by a key of ours: only its own key vouches for it
        return _(
            "This credential was not issued here. Its signature holds, but the key that made it is its own "
            "identifier (%(method)s): nothing confirms who issued it."
        ) % {"method": Truncator(verification.verification_method.split("#")[0]).chars(60)}
    if result.file_check is not None and result.file_check.result == FAIL:
        return _(
            "This file was changed after it was issued: do not rely on what it shows. The credential inside it is "
            "genuine."
        )
    found = {check.name: check for check in checks}
    replaced = _replaced_words(result.credential)
    if replaced and found["revocation"].result == FAIL:  # its bit says revoked: a newer credential replaced it
        return replaced
    for name, words in (
        ("revocation", _("This is a genuine credential, but it has been revoked.")),
        ("suspension", _("This is a genuine credential, but it is suspended.")),
        ("validity", _("This is a genuine credential, but it is not valid now. %(reason)s")),
        ("schema", _("This is a genuine credential, but it does not follow the Open Badges 3.0 format.")),
        ("claims", _("This is a genuine credential, but its JWT claims do not match it.")),
    ):
        if found[name].result == FAIL:
            return words % {"reason": found[name].reason}
    if result.verdict == "incomplete":
        return _("This is a genuine credential; whether it still stands could not be checked here.")
    return _("This is a genuine credential; it is valid.")

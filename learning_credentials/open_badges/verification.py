"""Verifying an Open Badges 3.0 credential anyone hands us: JSON-LD with a Data Integrity proof, or a VC-JWT.

Both forms go through the same checks, in the same order, each with a result and a reason in words
for an employer. Nothing is fetched: our own issuers' keys and status lists are read from the
database, a ``did:key`` or ``did:jwk`` key from the identifier itself; another host's key or status
list is named as not fetched, since a verifier that fetched what a credential names would send
requests wherever its author wanted. Whatever the input, the answer is checks or a
CredentialUnreadable, never another error.
"""

import base64
import json
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import islice
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.http import Http404
from django.urls import resolve
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from jsonschema.exceptions import relevance

from ..exceptions import ConfigurationError, CredentialUnreadable
from ..identifiers import parse_uuid
from ..models import Credential
from ..problems import json_problem
from .documents import xsd_datetime
from .keys import PublicKey, jwk_public_key, public_key
from .models import Issuer, SigningKey, StatusList
from .signing import (
    CONTROL_CHARACTERS,
    CRYPTOSUITE,
    SigningError,
    multibase_decode,
    multikey_public_decode,
    proof_check,
    proof_of,
    untrusted_refuse,
)
from .status import status_list_get, status_list_url
from .status_list import bit_get

PASS, FAIL, NOT_CHECKED = "pass", "fail", "not_checked"
JSON_LD, JWT = "json-ld", "jwt"
CHECKS = (
    "format",
    "schema",
    "signature",
    "issuer_key",
    "key_revoked",
    "claims",
    "validity",
    "revocation",
    "suspension",
)
# The most a credential to verify may weigh (ours weigh about 3 KB); the API and the command refuse more.
MAX_BYTES = 256 * 1024
# Ours nest 6 levels deep; the JSON-LD processor and the schema validator recurse once a level at least.
MAX_DEPTH = 32
JWT_ALGORITHMS = ("ES256", "EdDSA")
JWT_FORM = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
REGISTERED_CLAIMS = frozenset({"iss", "sub", "aud", "exp", "nbf", "iat", "jti"})
P256_MULTICODEC = b"\x80\x24"  # p256-pub 0x1200, varint-encoded; then the compressed point
LIST_ID = re.compile(r"[A-Za-z0-9_-]{1,100}")
SCHEMA = Path(__file__).resolve().parent / "schema" / "achievementcredential.json"


@dataclass(frozen=True)
class Check:
    """One check's outcome: ``result`` is "pass", "fail" or "not_checked"; ``reason`` in words for people."""

    name: str
    result: str
    reason: str


@dataclass(frozen=True)
class Summary:
    """What the credential says, for a sentence on a page (as the credential says it, checked or not)."""

    credential_id: str | None
    issuer_name: str | None
    issuer_id: str | None
    holder_name: str | None
    achievement_name: str | None
    valid_from: datetime | None
    valid_until: datetime | None

    def as_json(self) -> dict:
        return {
            "id": self.credential_id,
            "issuer_id": self.issuer_id,
            "issuer_name": self.issuer_name,
            "holder_name": self.holder_name,
            "achievement_name": self.achievement_name,
            "valid_from": xsd_datetime(self.valid_from) if self.valid_from else None,
            "valid_until": xsd_datetime(self.valid_until) if self.valid_until else None,
        }


@dataclass(frozen=True)
class Verification:
    """Every check of one credential, in CHECKS order; ``key`` is our signing key when one of ours signed it."""

    format: str  # "json-ld" or "jwt"
    checks: tuple[Check, ...]
    credential: dict | None
    summary: Summary | None
    verification_method: str
    key: SigningKey | None

    @property
    def verdict(self) -> str:
        """ "valid" when every check passed, "invalid" when one failed, "incomplete" when some were not checked."""
        results = {check.result for check in self.checks}
        if FAIL in results:
            return "invalid"
        return "incomplete" if NOT_CHECKED in results else "valid"

    def as_json(self) -> dict:
        """The API's answer (and the command's with --json)."""
        return {
            "verdict": self.verdict,
            "format": self.format,
            "checks": [{"check": check.name, "result": check.result, "reason": check.reason} for check in self.checks],
            "credential": self.summary.as_json() if self.summary else None,
        }


@dataclass(frozen=True)
class _Read:
    """The input as read: the credential (None when the format check fails) and, for a JWT, its parts."""

    form: str
    credential: dict | None
    format_check: Check
    header: dict
    payload: dict
    signed: bytes = b""
    signature: bytes = b""


@dataclass(frozen=True)
class _Key:
    """The verification method as resolved: the issuer_key check, the public key (None: unknown), our row."""

    check: Check
    public: PublicKey | None = None
    row: SigningKey | None = None
    method_kind: str = ""  # "did:key" or "did:jwk": a key that is its own identifier


def credential_verify(*, data: bytes | str, now: datetime | None = None) -> Verification:
    """Every check of a credential handed over as JSON-LD or as a compact VC-JWT; CredentialUnreadable when it is
    neither (or not UTF-8 text, or not JSON)."""
    now = now or timezone.now()
    form, text = input_read(data)
    read = _jwt_read(text) if form == JWT else _json_ld_read(text)
    credential = read.credential
    if credential is None:
        unread = _("Could not be checked: the input is not a credential that can be read (see the format check).")
        checks = (read.format_check, *(Check(name, FAIL, unread) for name in CHECKS[1:]))
        return Verification(form, checks, None, None, "", None)
    issuer_id = _issuer_id(credential)
    if form == JSON_LD:
        proof, proof_problem = _proof(credential)
        method = proof.get("verificationMethod") if proof else None
    else:
        proof, proof_problem = None, ""
        method = _jwt_method(read.header, read.payload)
    if proof_problem:
        key = _Key(Check("issuer_key", FAIL, _("Could not be checked: it carries no proof that names a key.")))
        signature = Check("signature", FAIL, proof_problem)
    else:
        key = _key_resolve(method, issuer_id=issuer_id)
        signature = _signature_check(read, proof, key)
    trusted = signature.result == PASS and key.check.result == PASS
    revocation, suspension = _status_checks(credential, issuer_id=issuer_id, trusted=trusted)
    checks = (
        read.format_check,
        _schema_check(credential),
        signature,
        key.check,
        _key_revoked_check(key),
        _claims_check(read.payload, credential, issuer_id=issuer_id) if form == JWT else _no_claims(),
        _validity_check(credential, now=now),
        revocation,
        suspension,
    )
    method_text = method if isinstance(method, str) else ""
    return Verification(form, checks, credential, _summary(credential), _shown(method_text, 300), key.row)


def input_read(data: bytes | str) -> tuple[str, str]:
    """The input's form ("json-ld": a JSON object; "jwt": three base64url parts) and its text."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise CredentialUnreadable(_("It is not UTF-8 text: send the credential as JSON, or its VC-JWT.")) from None
    if not isinstance(data, str):
        raise CredentialUnreadable(_("It is not text: send the credential as JSON, or its VC-JWT."))
    text = data.removeprefix("\ufeff").strip()
    if text.startswith("{"):
        return JSON_LD, text
    if JWT_FORM.fullmatch(text):
        return JWT, text
    if not text:
        raise CredentialUnreadable(_("It is empty: send the credential as JSON, or its VC-JWT."))
    raise CredentialUnreadable(
        _("It is neither a credential as a JSON object nor a VC-JWT (three base64url parts separated by dots).")
    )


# Reading -------------------------------------------------------------------------------------------------------


def _json_parse(text: str) -> tuple[object, str]:
    """The JSON value and what makes it unfit to verify ("" when nothing does); json's syntax errors propagate.

    Valid JSON that readers can take two ways is refused here: a field repeated in one object (the
    signer and another verifier may each have read a different one), NaN and Infinity.
    """
    problems: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict:
        if len({key for key, _value in items}) != len(items):
            problems.append(_("It repeats a field in one object, which readers can take two ways."))
        return dict(items)

    def constant(_name: str) -> None:
        problems.append(_("It holds NaN or Infinity, which JSON does not allow."))

    def integer(digits: str) -> int:
        try:
            return int(digits)
        except ValueError:  # more digits than Python converts
            problems.append(_("It holds a number with thousands of digits."))
            return 0

    value = json.loads(text, object_pairs_hook=pairs, parse_constant=constant, parse_int=integer)
    if not problems and _depth(value) > MAX_DEPTH:
        problems.append(
            _("It is nested more than %(depth)d levels deep, deeper than any credential.") % {"depth": MAX_DEPTH}
        )
    return value, problems[0] if problems else ""


def _depth(value) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _json_ld_read(text: str) -> _Read:
    try:
        document, problem = _json_parse(text)
    except json.JSONDecodeError as exc:
        raise CredentialUnreadable(_("It is not valid JSON. %(problem)s") % {"problem": json_problem(exc)}) from None
    except RecursionError:
        raise CredentialUnreadable(_("It is nested too deeply to be read.")) from None
    if problem:
        return _Read(JSON_LD, None, Check("format", FAIL, problem), {}, {})
    return _Read(JSON_LD, document, Check("format", PASS, _("A JSON object, read as JSON-LD.")), {}, {})


def _b64url(text: str) -> bytes:
    """Strict base64url without padding: ValueError for any other character or an impossible length."""
    if not BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _json_object_part(encoded: str) -> tuple[dict | None, str]:
    """A JWT part (or a did:jwk identifier) as the JSON object it encodes, else None and what is wrong."""
    try:
        value, problem = _json_parse(_b64url(encoded).decode("utf-8"))
    except (ValueError, RecursionError):  # not base64url, not UTF-8, not JSON
        return None, _("It is not base64url-encoded JSON.")
    if problem:
        return None, problem
    if not isinstance(value, dict):
        return None, _("It is not a JSON object.")
    return value, ""


def _jwt_read(text: str) -> _Read:
    header_part, payload_part, signature_part = text.split(".")

    def refused(reason: str) -> _Read:
        return _Read(JWT, None, Check("format", FAIL, reason), {}, {})

    header, problem = _json_object_part(header_part)
    if header is None:
        return refused(_("The JWT's header cannot be used. %(problem)s") % {"problem": problem})
    algorithm = header.get("alg")
    if algorithm == "none":
        return refused(_("The JWT is not signed (its algorithm is “none”)."))
    if algorithm not in JWT_ALGORITHMS:
        if not isinstance(algorithm, str):
            return refused(_("The JWT names no algorithm; ES256 and EdDSA are the algorithms checked here."))
        return refused(
            _("The JWT is signed with %(algorithm)s; ES256 and EdDSA are the algorithms checked here.")
            % {"algorithm": _shown(algorithm)}
        )
    if "crit" in header:
        return refused(_("The JWT's header asks for extensions (crit) that are not understood here."))
    payload, problem = _json_object_part(payload_part)
    if payload is None:
        return refused(_("The JWT's payload cannot be used. %(problem)s") % {"problem": problem})
    try:
        signature = _b64url(signature_part)
    except ValueError:
        return refused(_("The JWT's signature is not base64url."))
    if not signature:
        return refused(_("The JWT carries no signature."))
    vc = payload.get("vc")
    if isinstance(vc, dict):
        credential, reason = vc, _("A JWT signed with %(algorithm)s, the credential in its vc claim.")
    else:
        credential, reason = (
            {key: value for key, value in payload.items() if key not in REGISTERED_CLAIMS},
            _("A JWT signed with %(algorithm)s, the credential as its payload."),
        )
    reason %= {"algorithm": algorithm}
    signed = f"{header_part}.{payload_part}".encode("ascii")
    return _Read(JWT, credential, Check("format", PASS, reason), header, payload, signed, signature)


# What the credential says ----------------------------------------------------------------------------------------


def _shown(text: str, limit: int = 80) -> str:
    """Text from the input, fit to be shown: control characters and broken code points replaced, at most ``limit``."""
    text = CONTROL_CHARACTERS.sub(" ", text[: limit + 1]).encode("utf-8", "replace").decode("utf-8")
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value, limit: int = 300) -> str | None:
    return _shown(value, limit) if isinstance(value, str) else None


def _first_object(value) -> dict:
    """A field that may hold an object or a list of them: the (first) object, or an empty one."""
    if isinstance(value, list):
        value = next((item for item in value if isinstance(item, dict)), None)
    return value if isinstance(value, dict) else {}


def _issuer_id(credential: dict) -> str | None:
    issuer = credential.get("issuer")
    issuer = issuer.get("id") if isinstance(issuer, dict) else issuer
    return issuer if isinstance(issuer, str) and issuer else None


def _holder_name(subject: dict) -> str | None:
    identifiers = subject.get("identifier")
    for identifier in identifiers if isinstance(identifiers, list) else [identifiers]:
        if isinstance(identifier, dict) and identifier.get("identityType") == "name" and not identifier.get("hashed"):
            return _text(identifier.get("identityHash"))
    return None


def _moment(value) -> datetime | None:
    """An XML Schema dateTime in UTC (none given: UTC); None for anything else."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        moment = datetime.fromisoformat(value)
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
        moment.timestamp()  # year 1 or 9999 near the edge of what a datetime holds: OverflowError
    except (ValueError, OverflowError):
        return None
    return moment


def _dates(credential: dict) -> dict[str, tuple[str, object]]:
    """validFrom and validUntil as the credential gives them (VC 1.1's issuanceDate and expirationDate else)."""
    found = {}
    for field, older in (("validFrom", "issuanceDate"), ("validUntil", "expirationDate")):
        name = field if field in credential or older not in credential else older
        found[field] = (name, credential.get(name))
    return found


def _summary(credential: dict) -> Summary:
    issuer = credential.get("issuer")
    subject = _first_object(credential.get("credentialSubject"))
    dates = _dates(credential)
    return Summary(
        credential_id=_text(credential.get("id")),
        issuer_name=_text(issuer.get("name")) if isinstance(issuer, dict) else None,
        issuer_id=_text(_issuer_id(credential)),
        holder_name=_holder_name(subject),
        achievement_name=_text(_first_object(subject.get("achievement")).get("name")),
        valid_from=_moment(dates["validFrom"][1]),
        valid_until=_moment(dates["validUntil"][1]),
    )


def _when(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


# schema ----------------------------------------------------------------------------------------------------------


@cache
def _schema_validator() -> jsonschema.Draft201909Validator:
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft201909Validator(schema, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)


def _json_type(value) -> str:
    """The JSON type's own name (as the schema names types): the same in every language."""
    if isinstance(value, bool):
        return "boolean"
    kinds = ((dict, "object"), (list, "array"), (str, "string"), (int | float, "number"))
    return next((name for kind, name in kinds if isinstance(value, kind)), "null")


def _path(error: jsonschema.ValidationError) -> str:
    """The field's path (credentialSubject.achievement.name); "$" for the credential itself, as JSONPath writes it."""
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else f".{_shown(part, 40)}"
    return path.lstrip(".") or "$"


def _schema_words(error: jsonschema.ValidationError) -> str:
    """One schema error as a sentence: the field's path and what is wrong (never the validator's own message)."""
    keyword, expected, instance = error.validator, error.validator_value, error.instance
    facts = {"path": _path(error)}
    if keyword == "required" and isinstance(instance, dict):
        missing = ", ".join(name for name in expected if name not in instance)
        if not error.absolute_path:
            return _("The credential lacks %(missing)s.") % {"missing": missing}
        return _("%(path)s lacks %(missing)s.") % {**facts, "missing": missing}
    if keyword in ("minItems", "minLength"):
        sentence = (
            ngettext(
                "%(path)s should hold at least %(count)d item.",
                "%(path)s should hold at least %(count)d items.",
                expected,
            )
            if keyword == "minItems"
            else ngettext(
                "%(path)s should be at least %(count)d character long.",
                "%(path)s should be at least %(count)d characters long.",
                expected,
            )
        )
        return sentence % {**facts, "count": expected}
    words = {
        "type": lambda: (
            _("%(path)s should be of type %(expected)s, not %(actual)s.")
            % {
                **facts,
                "expected": " | ".join(expected) if isinstance(expected, list) else expected,
                "actual": _json_type(instance),
            }
        ),
        "enum": lambda: (
            _("%(path)s should be one of %(values)s.")
            % {**facts, "values": ", ".join(json.dumps(item) for item in expected[:6])}
        ),
        "const": lambda: _("%(path)s should be %(value)s.") % {**facts, "value": json.dumps(expected)},
        "contains": lambda: (
            _("%(path)s lacks an item it must include (%(value)s).") % {**facts, "value": json.dumps(expected["const"])}
            if isinstance(expected, dict) and "const" in expected
            else _("%(path)s lacks an item it must include.") % facts
        ),
        "pattern": lambda: _("%(path)s does not have the expected form.") % facts,
        "format": lambda: _("%(path)s is not a valid %(format)s.") % {**facts, "format": expected},
        "anyOf": lambda: _("%(path)s matches none of the forms the schema allows.") % facts,
        "oneOf": lambda: _("%(path)s does not match exactly one of the forms the schema allows.") % facts,
        "additionalProperties": lambda: _("%(path)s holds a field the schema does not allow.") % facts,
    }
    default = lambda: _("%(path)s breaks the schema's rule “%(rule)s”.") % {**facts, "rule": keyword}  # noqa: E731
    return words.get(keyword, default)()


def _schema_check(credential: dict) -> Check:
    errors = sorted(islice(_schema_validator().iter_errors(credential), 50), key=relevance, reverse=True)
    if not errors:
        return Check("schema", PASS, _("It matches the Open Badges 3.0 AchievementCredential schema."))
    found = list(dict.fromkeys(_schema_words(error) for error in errors))
    sentences = [_("It does not match the Open Badges 3.0 schema."), *found[:3]]
    if len(found) > 3:
        more = len(found) - 3
        sentences.append(
            ngettext("%(count)d more problem was found.", "%(count)d more problems were found.", more) % {"count": more}
        )
    return Check("schema", FAIL, " ".join(sentences))


# issuer_key ------------------------------------------------------------------------------------------------------


def _proof(credential: dict) -> tuple[dict | None, str]:
    try:
        return proof_of(credential), ""
    except SigningError as exc:
        return None, str(exc)


def _jwt_method(header: dict, payload: dict) -> str | None:
    """The JWT's key: its ``kid``; one that is only a fragment ("#key-1") is the issuer's."""
    kid = header.get("kid")
    if isinstance(kid, str) and kid.startswith("#") and isinstance(payload.get("iss"), str):
        return payload["iss"] + kid
    return kid


def _database_safe(value: str, max_length: int) -> bool:
    """Whether a value from the input may go into a query (PostgreSQL refuses NUL; columns have a length)."""
    return 0 < len(value) <= max_length and "\x00" not in value


def _key_resolve(method, *, issuer_id: str | None) -> _Key:
    """The verification method's key: ours from the database, did:key and did:jwk from themselves, no other."""
    if not isinstance(method, str) or not method:
        return _Key(Check("issuer_key", FAIL, _("It names no key to check its signature with.")))
    did, _hash, fragment = method.partition("#")
    if did.startswith("did:key:"):
        key = _self_key(did, fragment, "did:key", _did_key_public)
    elif did.startswith("did:jwk:"):
        key = _self_key(did, fragment, "did:jwk", _did_jwk_public)
    elif did.startswith("did:web:"):
        key = _our_key(did, fragment, method)
    else:
        key = _not_fetched(method)
    if key.check.result == PASS and did != issuer_id:
        reason = (
            _("The key that signed it belongs to %(did)s, not to the credential's issuer %(issuer)s.")
            if issuer_id
            else _("The key that signed it belongs to %(did)s, but the credential names no issuer.")
        ) % {"did": _shown(did), "issuer": _shown(issuer_id or "")}
        return _Key(Check("issuer_key", FAIL, reason), key.public, key.row, key.method_kind)
    return key


def _not_fetched(method: str) -> _Key:
    reason = _("It names the key %(method)s: keys are not fetched from other hosts.") % {"method": _shown(method)}
    return _Key(Check("issuer_key", FAIL, reason))


def _our_key(did: str, fragment: str, method: str) -> _Key:
    issuer = Issuer.objects.filter(did=did).first() if _database_safe(did, 512) else None
    if issuer is None:
        hosts = {our.split(":")[2] for our in Issuer.objects.values_list("did", flat=True)}
        if did.split(":")[2] in hosts:
            reason = _("No issuer of this site has the identifier %(did)s.") % {"did": _shown(did)}
            return _Key(Check("issuer_key", FAIL, reason))
        return _not_fetched(method)
    row = issuer.keys.filter(key_id=fragment).first() if _database_safe(fragment, 64) else None
    if row is None:
        reason = (
            _("The issuer %(issuer)s has no key %(key)s.")
            if fragment
            else _("It names no key of the issuer %(issuer)s.")
        ) % {"issuer": issuer.name, "key": _shown(fragment)}
        return _Key(Check("issuer_key", FAIL, reason))
    try:
        public = public_key(row)
    except ConfigurationError:
        reason = _("The key %(key)s of the issuer %(issuer)s cannot be read on this site.") % {
            "key": row.key_id,
            "issuer": issuer.name,
        }
        return _Key(Check("issuer_key", FAIL, reason), row=row)
    reason = _(
        "The key belongs to the issuer %(issuer)s and was read from this site's own records (nothing was fetched)."
    ) % {"issuer": issuer.name}
    return _Key(Check("issuer_key", PASS, reason), public, row)


def _self_key(did: str, fragment: str, kind: str, decode) -> _Key:
    """A key that is its own identifier (did:key, did:jwk): read from the identifier, never fetched."""
    try:
        public, expected_fragment = decode(did.removeprefix(f"{kind}:"))
    except (ValueError, SigningError):
        reason = _("The %(method)s identifier holds no Ed25519 or P-256 key.") % {"method": kind}
        return _Key(Check("issuer_key", FAIL, reason))
    if fragment != expected_fragment:
        reason = _("The %(method)s key is named with the wrong fragment after “#”.") % {"method": kind}
        return _Key(Check("issuer_key", FAIL, reason))
    reason = _("The key is the issuer's %(method)s identifier itself (nothing was fetched).") % {"method": kind}
    return _Key(Check("issuer_key", PASS, reason), public, method_kind=kind)


def _did_key_public(value: str) -> tuple[PublicKey, str]:
    """did:key: a multibase Multikey (Ed25519 "z6Mk...", P-256 "zDn..."); its fragment repeats it."""
    raw = multibase_decode(value)
    if raw.startswith(P256_MULTICODEC) and len(raw) == 35:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw[2:]), value
    return multikey_public_decode(value), value


def _did_jwk_public(value: str) -> tuple[PublicKey, str]:
    """did:jwk: the base64url of a JSON Web Key; its one verification method is "#0"."""
    jwk, problem = _json_object_part(value)
    if jwk is None:
        raise ValueError(problem)
    return jwk_public_key(jwk), "0"


# signature, key_revoked --------------------------------------------------------------------------------------------


def _key_kind(key: PublicKey) -> str:
    if isinstance(key, Ed25519PublicKey):
        return "Ed25519"
    return "P-256" if isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1" else "other"


def _signature_check(read: _Read, proof: dict | None, key: _Key) -> Check:
    if key.public is None:
        return Check("signature", FAIL, _("Could not be checked: the key it names cannot be read (see the key check)."))
    kind = _key_kind(key.public)
    if read.form == JSON_LD:
        if kind != "Ed25519":
            reason = _("Its %(suite)s proof needs an Ed25519 key; the key it names is of another kind.")
            return Check("signature", FAIL, reason % {"suite": CRYPTOSUITE})
        try:
            untrusted_refuse(read.credential)
            proof_check(read.credential, proof, key=key.public)
        except SigningError as exc:
            return Check("signature", FAIL, _shown(str(exc), 300))
        except Exception:  # the JSON-LD processor on input from anyone: any failure of it is a refusal
            return Check("signature", FAIL, _("It cannot be read as JSON-LD, so its proof cannot be checked."))
        return Check(
            "signature", PASS, _("Its %(suite)s proof holds: nothing signed was changed.") % {"suite": CRYPTOSUITE}
        )
    algorithm = read.header["alg"]
    if (algorithm, kind) not in (("ES256", "P-256"), ("EdDSA", "Ed25519")):
        reason = _("The JWT is signed with %(algorithm)s, which the key it names cannot do.")
        return Check("signature", FAIL, reason % {"algorithm": algorithm})
    try:
        if algorithm == "ES256":
            if len(read.signature) != 64:
                raise InvalidSignature
            r, s = int.from_bytes(read.signature[:32], "big"), int.from_bytes(read.signature[32:], "big")
            key.public.verify(encode_dss_signature(r, s), read.signed, ec.ECDSA(hashes.SHA256()))
        else:
            key.public.verify(read.signature, read.signed)
    except InvalidSignature:
        return Check("signature", FAIL, _("The JWT's signature does not match: something signed was changed."))
    reason = _("The JWT's %(algorithm)s signature holds: nothing signed was changed.")
    return Check("signature", PASS, reason % {"algorithm": algorithm})


def _key_revoked_check(key: _Key) -> Check:
    if key.row is not None and key.public is not None:
        if key.row.revoked_at is not None:
            reason = _("The key that signed it was revoked on %(date)s.") % {"date": f"{key.row.revoked_at:%Y-%m-%d}"}
            return Check("key_revoked", FAIL, reason)
        return Check("key_revoked", PASS, _("The issuer has not revoked the key that signed it."))
    if key.method_kind:
        reason = _("A %(method)s key cannot be revoked: the key is its own identifier.") % {"method": key.method_kind}
        return Check("key_revoked", PASS, reason)
    return Check("key_revoked", FAIL, _("Could not be checked: the key it names cannot be read (see the key check)."))


# claims, validity ------------------------------------------------------------------------------------------------


def _no_claims() -> Check:
    return Check("claims", PASS, _("It is not a JWT: there are no claims to match."))


def _claim_problem(claim: str, value, field: str, expected, *, moment: bool) -> str:
    """What is wrong between a JWT claim and the credential field it repeats, as a sentence ("" when they match)."""
    names = {"claim": claim, "field": field}
    if value is None and expected is None:
        return ""
    if value is None:
        return _("The credential gives its %(field)s, but the JWT has no %(claim)s claim.") % names
    if expected is None:
        return _("The JWT has a %(claim)s claim, but the credential gives no %(field)s.") % names
    if moment:
        at = _moment(expected)
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            return _("The JWT's %(claim)s claim is not a time in seconds.") % names
        if at is None or int(value) != math.floor(at.timestamp()):
            return _("The JWT's %(claim)s claim is not the credential's %(field)s.") % names
        return ""
    return "" if value == expected else _("The JWT's %(claim)s claim is not the credential's %(field)s.") % names


def _claims_check(payload: dict, credential: dict, *, issuer_id: str | None) -> Check:
    if "iss" not in payload:
        return Check("claims", FAIL, _("The JWT has no iss claim naming its issuer."))
    dates = _dates(credential)
    subject = _first_object(credential.get("credentialSubject"))
    pairs = (
        ("iss", issuer_id, "issuer", False),
        ("jti", credential.get("id"), "id", False),
        ("nbf", dates["validFrom"][1], dates["validFrom"][0], True),
        ("exp", dates["validUntil"][1], dates["validUntil"][0], True),
        ("sub", subject.get("id"), "credentialSubject.id", False),
    )
    problems, matched = [], []
    for claim, expected, field, moment in pairs:
        problem = _claim_problem(claim, payload.get(claim), field, expected, moment=moment)
        if problem:
            problems.append(problem)
        elif claim in payload:
            matched.append(claim)
    if problems:
        return Check("claims", FAIL, " ".join(problems))
    return Check(
        "claims", PASS, _("The JWT's claims %(claims)s match the credential.") % {"claims": ", ".join(matched)}
    )


def _validity_check(credential: dict, *, now: datetime) -> Check:
    dates = _dates(credential)
    (start_name, start_value), (end_name, end_value) = dates["validFrom"], dates["validUntil"]
    start = _moment(start_value)
    if start_value is None:
        return Check("validity", FAIL, _("It has no validFrom date, so when it became valid is unknown."))
    if start is None:
        return Check("validity", FAIL, _("Its %(field)s is not a date and time.") % {"field": start_name})
    end = _moment(end_value)
    if end_value is not None and end is None:
        return Check("validity", FAIL, _("Its %(field)s is not a date and time.") % {"field": end_name})
    if start > now:
        return Check("validity", FAIL, _("It is not valid yet: it is valid from %(start)s.") % {"start": _when(start)})
    if end is not None and end <= now:
        return Check("validity", FAIL, _("It expired on %(end)s.") % {"end": _when(end)})
    if end is None:
        return Check("validity", PASS, _("Valid from %(start)s, with no end date.") % {"start": _when(start)})
    return Check(
        "validity", PASS, _("Valid from %(start)s until %(end)s.") % {"start": _when(start), "end": _when(end)}
    )


# revocation, suspension ------------------------------------------------------------------------------------------


def _status_checks(credential: dict, *, issuer_id: str | None, trusted: bool) -> tuple[Check, Check]:
    """Both status bits: from the entries the credential names and, for one of ours, its own suspension entry."""
    purposes = (StatusList.Purpose.REVOCATION.value, StatusList.Purpose.SUSPENSION.value)
    if not trusted:
        reason = _(
            "Could not be checked: without a valid signature by its issuer's key, its status entries prove nothing."
        )
        return tuple(Check(purpose, FAIL, reason) for purpose in purposes)
    entries = credential.get("credentialStatus")
    entries = [entry for entry in (entries if isinstance(entries, list) else [entries]) if isinstance(entry, dict)]
    ours = _our_credential(credential.get("id"), issuer_id=issuer_id)
    checks = []
    for purpose in purposes:
        named = [entry for entry in entries if entry.get("statusPurpose") == purpose]
        if named:
            results = [_entry_check(entry, purpose, issuer_id=issuer_id, ours=ours) for entry in named]
        elif ours is not None and (row := ours.open_badges_status.filter(purpose=purpose).first()) is not None:
            results = [_bit_check(row.status_list, row.index, purpose, ours=ours)]
        else:
            results = [Check(purpose, PASS, _("The issuer gave it no status list entry."))]
        checks.append(_worst(results))
    return checks[0], checks[1]


def _worst(results: Iterable[Check]) -> Check:
    results = list(results)
    return next((check for kind in (FAIL, NOT_CHECKED) for check in results if check.result == kind), results[0])


def _our_credential(credential_id, *, issuer_id: str | None) -> Credential | None:
    """The credential of ours a document is (urn:uuid:<verify_uuid>, with an entry in that issuer's lists)."""
    if not isinstance(credential_id, str) or not credential_id.startswith("urn:uuid:"):
        return None
    verify_uuid = parse_uuid(credential_id.removeprefix("urn:uuid:"))
    if verify_uuid is None or not isinstance(issuer_id, str):
        return None
    return (
        Credential.objects.filter(
            verify_uuid=verify_uuid, open_badges_status__status_list__issuer__did=issuer_id
        ).first()
        if _database_safe(issuer_id, 512)
        else None
    )


def _our_status_list(url: str) -> StatusList | None:
    """The list of ours at ``url`` (read from the database), or None when no list of ours is there."""
    try:
        match = resolve(urlsplit(url).path)
    except (ValueError, Http404):
        return None
    list_id = match.kwargs.get("list_id", "")
    if match.url_name != "open-badges-status" or not LIST_ID.fullmatch(list_id):
        return None
    status_list = status_list_get(list_id)
    return status_list if status_list is not None and status_list_url(status_list) == url else None


def _status_words(purpose: str) -> dict[str, str]:
    """The status checks' sentences for one purpose (revocation or suspension): each language words each whole."""
    if purpose == StatusList.Purpose.REVOCATION:
        return {
            "no_list": _("Its revocation entry names no status list."),
            "unknown_list": _("Its revocation entry names a status list this site does not have."),
            "other_issuer": _("Its revocation entry names the status list of another issuer."),
            "other_purpose": _("Its revocation entry names a suspension list."),
            "bad_index": _("Its revocation entry's index is not a place in the list."),
            "clear": _("The issuer's revocation list does not mark it revoked."),
            "set_on": _("The issuer revoked it on %(date)s."),
            "set": _("The issuer has revoked it."),
        }
    return {
        "no_list": _("Its suspension entry names no status list."),
        "unknown_list": _("Its suspension entry names a status list this site does not have."),
        "other_issuer": _("Its suspension entry names the status list of another issuer."),
        "other_purpose": _("Its suspension entry names a revocation list."),
        "bad_index": _("Its suspension entry's index is not a place in the list."),
        "clear": _("The issuer's suspension list does not mark it suspended."),
        "set_on": _("The issuer suspended it on %(date)s."),
        "set": _("The issuer has suspended it."),
    }


def _entry_check(entry: dict, purpose: str, *, issuer_id: str | None, ours: Credential | None) -> Check:
    url, index = entry.get("statusListCredential"), entry.get("statusListIndex")
    words = _status_words(purpose)
    if not isinstance(url, str) or not url:
        return Check(purpose, FAIL, words["no_list"])
    status_list = _our_status_list(url)
    if status_list is None:
        if any(url.startswith(f"{base}/") for base in Issuer.objects.values_list("base_url", flat=True)):
            return Check(purpose, FAIL, words["unknown_list"])
        return Check(purpose, NOT_CHECKED, _("Status lists of other hosts are not fetched."))
    if status_list.issuer.did != issuer_id:
        return Check(purpose, FAIL, words["other_issuer"])
    if status_list.purpose != purpose:
        return Check(purpose, FAIL, words["other_purpose"])
    if isinstance(index, str) and index.isdigit() and len(index) < 12:
        index = int(index)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < status_list.size:
        return Check(purpose, FAIL, words["bad_index"])
    return _bit_check(status_list, index, purpose, ours=ours)


def _bit_check(status_list: StatusList, index: int, purpose: str, *, ours: Credential | None) -> Check:
    revocation = purpose == StatusList.Purpose.REVOCATION
    words = _status_words(purpose)
    if not bit_get(bytes(status_list.bits), index):
        return Check(purpose, PASS, words["clear"])
    since = (ours.invalidated_at if revocation else ours.suspended_at) if ours is not None else None
    if since is None:
        return Check(purpose, FAIL, words["set"])
    return Check(purpose, FAIL, words["set_on"] % {"date": f"{since:%Y-%m-%d}"})

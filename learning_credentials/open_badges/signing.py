"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (W3C vc-di-eddsa), offline.

The proof signs the RDF the document means, not its bytes: both the document (without its proof)
and the proof's options are canonicalised with RDFC-1.0, each hashed with SHA-256, and Ed25519
signs ``hash(options) || hash(document)``. Canonicalisation reads the JSON-LD contexts, so they
come from the copies pinned in ``contexts/`` and never from the network (a verifier that fetched
them would trust whoever serves them). JSON-LD silently drops a term no context defines, which
would leave it unsigned: such a document is refused before signing.
"""

import hashlib
import json
import re
from collections.abc import Callable
from functools import cache
from pathlib import Path

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.utils.translation import gettext as _
from pyld import jsonld

CONTEXTS = Path(__file__).resolve().parent / "contexts"
CRYPTOSUITE = "eddsa-rdfc-2022"
# Multicodec prefixes of Multikey values (varint-encoded): ed25519-pub 0xed, ed25519-priv 0x1300.
ED25519_PUBLIC_PREFIX = b"\xed\x01"
ED25519_PRIVATE_PREFIX = b"\x80\x26"
# The contexts we sign with alias these keywords (VC 2.0 and OB 3.0 both): not properties.
KEYWORD_ALIASES = frozenset({"id", "type"})
# C0 and C1 controls but tab, newline and carriage return: JSON-LD processors escape them differently.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Objects a document from outside may hold: ours hold about fifteen; identical unnamed siblings cost
# canonicalisation quadratic time (500 of them: 0.4 s).
MAX_NODES = 256


class SigningError(ValueError):
    """A document that cannot be signed or checked as it is (an undefined term, a context we do not hold); its
    message is a whole translated sentence, shown as the verifier's reason."""


@cache
def pinned_contexts() -> dict[str, dict]:
    """URL -> the context document, from ``contexts/index.json`` (URL -> file name)."""
    index = json.loads((CONTEXTS / "index.json").read_text())
    return {url: json.loads((CONTEXTS / name).read_text()) for url, name in index.items()}


def document_loader(url: str, options=None) -> dict:
    """pyld's loader over the pinned contexts only: an unknown URL is an error, never a download."""
    try:
        document = pinned_contexts()[url]
    except KeyError:
        raise SigningError(_("The context %(url)s is not one of the contexts held here.") % {"url": url}) from None
    return {"contextUrl": None, "documentUrl": url, "document": document}


def _processed(operation, document: dict, options: dict):
    """A pyld operation; its errors (a context we do not pin among them) as a SigningError in words."""
    try:
        return operation(document, {**options, "documentLoader": document_loader})
    except jsonld.JsonLdError as exc:
        cause = exc
        while cause is not None and not isinstance(cause, SigningError):
            cause = cause.__cause__ or cause.__context__
        raise (cause or SigningError(_("The document is not valid JSON-LD (%(code)s).") % {"code": exc.code})) from None


def canonical_nquads(document: dict) -> str:
    """RDFC-1.0 (URDNA2015) canonical N-Quads of a JSON-LD document."""
    return _processed(jsonld.normalize, document, {"algorithm": "URDNA2015", "format": "application/n-quads"})


def multikey_public(key: Ed25519PublicKey) -> str:
    """``publicKeyMultibase``: "z" + base58btc(0xed01 || the 32 raw bytes)."""
    return "z" + base58.b58encode(ED25519_PUBLIC_PREFIX + key.public_bytes(Encoding.Raw, PublicFormat.Raw)).decode()


def multikey_public_decode(value: str) -> Ed25519PublicKey:
    raw = multibase_decode(value)
    if not raw.startswith(ED25519_PUBLIC_PREFIX) or len(raw) != 34:
        raise SigningError(_("It is not an Ed25519 Multikey public key."))
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def multikey_secret_decode(value: str) -> Ed25519PrivateKey:
    raw = multibase_decode(value)
    if not raw.startswith(ED25519_PRIVATE_PREFIX) or len(raw) != 34:
        raise SigningError(_("It is not an Ed25519 Multikey secret key."))
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def multibase_decode(value: str) -> bytes:
    """The bytes of a multibase base58btc value ("z" + base58btc); SigningError in words for anything else."""
    if not isinstance(value, str) or not value.startswith("z"):
        raise SigningError(_("A Multikey value is multibase base58btc: it starts with “z”."))
    try:
        return base58.b58decode(value[1:])
    except ValueError:
        raise SigningError(_("The value after “z” is not base58btc.")) from None


def strip_controls(value):
    """The document with control characters removed from every string (keys and values)."""
    if isinstance(value, str):
        return CONTROL_CHARACTERS.sub("", value)
    if isinstance(value, list):
        return [strip_controls(item) for item in value]
    if isinstance(value, dict):
        return {strip_controls(key): strip_controls(item) for key, item in value.items()}
    return value


def _properties(value, *, expanded: bool) -> int:
    """How many properties (keys that are not JSON-LD keywords) the value's objects hold, all levels down."""
    if isinstance(value, list):
        return sum(_properties(item, expanded=expanded) for item in value)
    if not isinstance(value, dict) or (expanded and "@value" in value):
        return 0
    count = 0
    for key, item in value.items():
        if key == "@context":
            continue
        if not key.startswith("@") and (expanded or key not in KEYWORD_ALIASES):
            count += 1
        count += _properties(item, expanded=expanded)
    return count


def undefined_terms_refuse(document: dict, *, expanded: list | None = None) -> None:
    """SigningError when expansion would drop a property (a term no context defines): it would go unsigned."""
    expanded = _processed(jsonld.expand, document, {}) if expanded is None else expanded
    if _properties(expanded, expanded=True) != _properties(document, expanded=False):
        known = _defined_terms(document.get("@context"))
        unknown = sorted({key for key in _keys(document) if key not in known and ":" not in key})
        if not unknown:
            raise SigningError(
                _("A nested object has a term its contexts do not define, which a proof would leave unsigned.")
            )
        raise SigningError(
            _("The document has terms its contexts do not define, which a proof would leave unsigned: %(terms)s.")
            % {"terms": ", ".join(unknown)}
        )


def _keys(value) -> set[str]:
    if isinstance(value, list):
        return set().union(*(_keys(item) for item in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    keys = {key for key in value if not key.startswith("@") and key not in KEYWORD_ALIASES}
    return keys.union(*(_keys(item) for key, item in value.items() if key != "@context"))


def _defined_terms(context) -> set[str]:
    """Every term any of the document's contexts (pinned, scoped ones included) defines, for the error's words."""
    terms: set[str] = set()

    def walk(node) -> None:
        if isinstance(node, str):
            if node in pinned_contexts():
                walk(pinned_contexts()[node]["@context"])
        elif isinstance(node, list):
            for item in node:
                walk(item)
        elif isinstance(node, dict):
            for key, item in node.items():
                terms.add(key)
                if isinstance(item, dict) and "@context" in item:
                    walk(item["@context"])

    walk(context)
    return terms


def _hash(document: dict) -> bytes:
    return hashlib.sha256(canonical_nquads(document).encode()).digest()


def _signing_input(document: dict, options: dict) -> bytes:
    unsigned = {key: value for key, value in document.items() if key != "proof"}
    return _hash({**options, "@context": document["@context"]}) + _hash(unsigned)


def proof_create(
    document: dict,
    *,
    key: Ed25519PrivateKey,
    verification_method: str,
    created: str,
    proof_purpose: str = "assertionMethod",
) -> dict:
    """The document with an ``eddsa-rdfc-2022`` DataIntegrityProof added (``proof`` is always an array)."""
    document = strip_controls(document)
    undefined_terms_refuse(document)
    options = {
        "type": "DataIntegrityProof",
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
    }
    signature = key.sign(_signing_input(document, options))
    proof = {**options, "proofValue": "z" + base58.b58encode(signature).decode()}
    existing = document.get("proof", [])
    return {**document, "proof": [*(existing if isinstance(existing, list) else [existing]), proof]}


def proof_of(document: dict) -> dict:
    """The document's one ``eddsa-rdfc-2022`` proof; SigningError in words when it has none, or several."""
    proofs = document.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs] if proofs else []
    if not proofs:
        raise SigningError(_("It carries no proof."))
    ours = [proof for proof in proofs if isinstance(proof, dict) and proof.get("cryptosuite") == CRYPTOSUITE]
    if not ours:
        raise SigningError(
            _("It carries no %(suite)s Data Integrity proof, the only kind checked here.") % {"suite": CRYPTOSUITE}
        )
    if len(ours) > 1:
        raise SigningError(
            _("It carries more than one %(suite)s proof, so which one counts is unclear.") % {"suite": CRYPTOSUITE}
        )
    return ours[0]


def proof_check(document: dict, proof: dict, *, key: Ed25519PublicKey) -> None:
    """SigningError, in words, unless ``proof`` (one of the document's) holds under ``key``."""
    if proof.get("type") != "DataIntegrityProof":
        raise SigningError(_("Its proof is not a DataIntegrityProof."))
    if proof.get("proofPurpose") != "assertionMethod":
        raise SigningError(_("Its proof was not made for asserting a credential (proofPurpose assertionMethod)."))
    try:
        signature = multibase_decode(proof.get("proofValue"))
    except SigningError:
        raise SigningError(_("Its proofValue is not multibase base58btc.")) from None
    options = {name: value for name, value in proof.items() if name != "proofValue"}
    try:
        key.verify(signature, _signing_input(document, options))
    except InvalidSignature:
        raise SigningError(_("The signature does not match the document: something signed was changed.")) from None


def proof_verify(document: dict, *, resolve_key: Callable[[str], Ed25519PublicKey]) -> bool:
    """Whether the document's ``eddsa-rdfc-2022`` proof holds under the key its verification method names.

    ``resolve_key``: the verification method's id -> its public key (raising when it is unknown or revoked).
    """
    try:
        proof = proof_of(document)
        proof_check(document, proof, key=resolve_key(proof["verificationMethod"]))
    except Exception:  # any failure (bad encoding, unknown key, bad signature) is "does not verify"
        return False
    return True


def untrusted_refuse(document: dict) -> None:
    """SigningError, in words, for a document from outside that canonicalisation cannot be trusted with.

    Its contexts must be pinned ones, named at the top only (an inline context could define anything).
    No blank node may be named (``_:``): named ones can form graphs whose canonicalisation grows
    factorially (seven that all name each other took 8 seconds, eight took 106); unnamed ones form
    trees, and are counted. No term may go undefined, or the proof would not cover it.
    """
    contexts = document.get("@context")
    contexts = contexts if isinstance(contexts, list) else [contexts]
    if not all(isinstance(url, str) and url in pinned_contexts() for url in contexts):
        raise SigningError(_("Its @context must name only the contexts held here (VC 2.0 and Open Badges 3.0)."))
    if _nested_context(document):
        raise SigningError(_("It defines a context inside the document, which is not accepted here."))
    expanded = _processed(jsonld.expand, document, {})
    nodes, named_blank = _nodes(expanded)
    if named_blank:
        raise SigningError(_("It names blank nodes (identifiers starting with “_:”), which no credential needs."))
    if nodes > MAX_NODES:
        raise SigningError(
            _("It holds more than %(count)d objects, more than a credential needs.") % {"count": MAX_NODES}
        )
    undefined_terms_refuse(document, expanded=expanded)


def _nested_context(value, *, top: bool = True) -> bool:
    if isinstance(value, list):
        return any(_nested_context(item, top=False) for item in value)
    if not isinstance(value, dict):
        return False
    return (not top and "@context" in value) or any(
        _nested_context(item, top=False) for key, item in value.items() if key != "@context"
    )


def _nodes(expanded) -> tuple[int, bool]:
    """How many objects (list items included) the expanded form holds, and whether one names a blank node."""
    count, named_blank, stack = 0, False, [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict) and "@value" not in value:
            count += 1
            types = value.get("@type") or []
            ids = [value.get("@id"), *(types if isinstance(types, list) else [types])]
            named_blank = named_blank or any(isinstance(item, str) and item.startswith("_:") for item in ids)
            stack.extend(value.values())
    return count, named_blank

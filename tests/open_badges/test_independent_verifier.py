"""An independent verifier in another language checks our Open Badges: Node with digitalbazaar's stack.

``tests/open_badges/node`` (package.json and its lock; Debian's nodejs and npm from ``make sysdeps``)
verifies a fresh credential's Data Integrity proof through the issuer's did:web document, its status
through the signed Bitstring Status List, and its VC-JWT through the issuer's JWKS, all over our own
endpoints (the live server), the contexts from our pinned copies and nothing else from the network.
Then it sees the credential revoked after an invalidation, and another suspended after a suspension.
It also verifies the VC-JWT our issued PDFs embed as the file ``credential.jwt`` (PDF/A-3 associated files: the
catalog's /Names /EmbeddedFiles name tree and /AF), read with pdf.js, from a PDF of either path (the fast
path's incremental update, the general path's file written at once), and refuses one whose token was altered.
"""

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.files.storage import storages

import learning_credentials.open_badges.signing as signing
from learning_credentials import conf
from learning_credentials.models import CredentialEvent
from learning_credentials.open_badges.credentials import credential_jwt
from learning_credentials.open_badges.models import StatusEntry, StatusList
from learning_credentials.open_badges.status import status_list_url
from learning_credentials.services.generation import credential_generate
from learning_credentials.services.invalidation import credential_invalidate
from learning_credentials.services.issuance import credential_issue
from learning_credentials.services.suspension import credential_suspend
from tests import factories
from tests.open_badges.test_issuers_and_keys import kek  # noqa: F401 - the fixture

NODE = Path(__file__).parent / "node"
SOURCE = CredentialEvent.Source.ADMIN
# Contexts the verifier needs besides ours: the verification method it is handed (Multikey) and DID documents.
EXTRA_CONTEXTS = {
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/did/v1": "did-v1.jsonld",
}
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("kek")]


def issued_pdf(configuration, name: str) -> tuple:
    """A credential issued to ``name`` and its PDF as our generation stored it (credential.jwt embedded)."""
    learner = factories.UserFactory(profile__full_name=name)
    factories.enroll(learner)
    credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
    credential = credential_generate(credential_id=credential.pk)
    assert credential.status == "available", credential.error_message
    with storages[conf.get("STORAGE")].open(credential.artifact) as file:
        return credential, file.read()


@pytest.fixture(scope="session")
def verifier() -> Path:
    """The Node packages, installed from the lock file (npm ci) unless installed from this very lock already;
    a clear failure, never a skip."""
    missing = [command for command in ("node", "npm") if shutil.which(command) is None]
    if missing:
        pytest.fail(f"{' and '.join(missing)} not found: make sysdeps installs nodejs and npm")
    lock = hashlib.sha256((NODE / "package-lock.json").read_bytes()).hexdigest()
    stamp = NODE / "node_modules" / ".installed-from-lock"
    if not stamp.exists() or stamp.read_text() != lock:
        result = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund"], cwd=NODE, capture_output=True, text=True, timeout=300
        )
        if result.returncode:
            pytest.fail(f"npm ci failed in {NODE} (make sysdeps installs nodejs and npm):\n{result.stderr[-2000:]}")
        stamp.write_text(lock)
    return NODE / "verify.mjs"


@pytest.fixture
def contexts(tmp_path) -> Path:
    documents = dict(signing.pinned_contexts())
    documents |= {url: json.loads((NODE / name).read_text()) for url, name in EXTRA_CONTEXTS.items()}
    path = tmp_path / "contexts.json"
    path.write_text(json.dumps(documents))
    return path


def issued(configuration):
    learner = factories.UserFactory()
    factories.enroll(learner)
    credential = credential_issue(user_id=learner.pk, configuration=configuration, source=SOURCE)
    credential.status = "available"
    credential.save(update_fields=["status"])
    return credential


def verify(verifier: Path, contexts: Path, base_url: str, credential) -> dict:
    entry = StatusEntry.objects.select_related("status_list__issuer").get(
        credential=credential, purpose=StatusList.Purpose.SUSPENSION
    )
    command = ["node", str(verifier), base_url, str(credential.verify_uuid), str(contexts)]
    command += [status_list_url(entry.status_list), str(entry.index)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def verify_pdf(verifier: Path, base_url: str, pdf: bytes, tmp_path: Path) -> dict:
    path = tmp_path / "credential.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["node", str(verifier), "--pdf", str(path), base_url], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_node_verifies_the_credential_then_sees_it_revoked_and_another_suspended(
    live_server, settings, configuration, verifier, contexts
):
    settings.LMS_ROOT_URL = live_server.url
    credential = issued(configuration)
    fresh = verify(verifier, contexts, live_server.url, credential)
    assert fresh["verified"] is True, fresh
    assert (fresh["revocation"]["verified"], fresh["revocation"]["status"]) == (True, False), fresh
    assert (fresh["suspension"]["verified"], fresh["suspension"]["status"]) == (True, False), fresh
    assert fresh["jwt"]["verified"] is True and fresh["jwt"]["jti"] == f"urn:uuid:{credential.verify_uuid}", fresh

    credential_invalidate(credential=credential, category="issued_in_error", source=SOURCE)
    revoked = verify(verifier, contexts, live_server.url, credential)
    # The proof still holds (what was issued is intact); the status says it no longer stands. digitalbazaar's
    # verifyCredential reports verified either way: its status result is what a verifier reads.
    assert revoked["verified"] is True and revoked["revocation"]["status"] is True, revoked

    other = issued(configuration)
    credential_suspend(credential=other, reason="inquiry", source=SOURCE)
    suspended = verify(verifier, contexts, live_server.url, other)
    assert suspended["suspension"]["status"] is True and suspended["revocation"]["status"] is False, suspended


# A Latin name is drawn by the fast path (the token in an incremental update after the prepared PDF); a
# CJK name the benchmark font lacks goes through the general path (pypdf writes the whole file).
@pytest.mark.parametrize("name", ["Ada Lovelace", "山田太郎"], ids=["fast-path", "general-path"])
def test_node_verifies_the_vc_jwt_our_pdf_embeds(live_server, settings, configuration, verifier, tmp_path, name):
    settings.LMS_ROOT_URL = live_server.url
    credential, pdf = issued_pdf(configuration, name)
    assert (pdf.count(b"startxref") == 2) is (name == "Ada Lovelace")  # the fast path's incremental update
    answer = verify_pdf(verifier, live_server.url, pdf, tmp_path)
    assert answer["attachments"] == ["credential.jwt"], answer
    assert answer["jwt"]["verified"] is True and answer["jwt"]["jti"] == f"urn:uuid:{credential.verify_uuid}", answer


def test_node_refuses_a_pdf_whose_embedded_jwt_was_altered(live_server, settings, configuration, verifier, tmp_path):
    settings.LMS_ROOT_URL = live_server.url
    credential, pdf = issued_pdf(configuration, "Ada Lovelace")
    token = credential_jwt(credential=credential)
    header, payload, signature = token.split(".")
    middle = len(payload) // 2  # not the last character, whose low bits may not count
    altered = payload[:middle] + ("A" if payload[middle] != "A" else "B") + payload[middle + 1 :]
    assert pdf.count(token.encode()) == 1
    tampered = pdf.replace(token.encode(), f"{header}.{altered}.{signature}".encode())  # same length: xref intact
    answer = verify_pdf(verifier, live_server.url, tampered, tmp_path)
    assert answer["attachments"] == ["credential.jwt"], answer
    assert answer["jwt"]["verified"] is False and "signature verification failed" in answer["jwt"]["error"], answer

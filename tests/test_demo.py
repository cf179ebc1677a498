"""The sandbox demo, run as `make demo` runs it: sound PDFs, one site address, honest counts and consistent data."""

import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.core.management import call_command
from pypdf import PdfReader
from sandbox.lms import models as lms
from sandbox.lms.management.commands.demo import ASSESSMENTS, PATH, assessments_reached

from learning_credentials.identifiers import format_code
from learning_credentials.models import Credential, CredentialConfiguration, CredentialRun
from learning_credentials.selectors import verify_short_url, verify_url

# Not the default: every link the demo makes must follow LMS_ROOT_URL, as `make demo PORT=8001` sets it.
BASE = "http://localhost:8001"
URL = re.compile(r"https?://[^\s\"'<>)]+")
ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.django_db(transaction=True)  # commits as `make demo` does, so on-commit work runs in order
def test_demo_issues_sound_pdfs(capsys, tmp_path, settings, client):
    settings.LMS_ROOT_URL = BASE
    call_command("demo")
    out = capsys.readouterr().out
    credentials = list(Credential.objects.select_related("configuration", "user"))
    assert len(credentials) >= 20
    assert {c.type_name for c in credentials} == {
        "Certificate of Completion",
        "Certificate of Achievement",
        "Professional Certificate",  # cert09's, issued by a passed final exam
    }
    assert all(c.status == "available" for c in credentials)
    assert not CredentialRun.objects.exclude(error="").exists()
    assert shutil.which("qpdf"), "qpdf is missing: run `make sysdeps`"
    for credential in credentials:
        path = default_storage.path(credential.artifact)
        check = subprocess.run(["qpdf", "--check", path], capture_output=True, text=True, check=False)
        assert check.returncode == 0, check.stdout
        text = "".join(PdfReader(path).pages[0].extract_text().split())
        assert "".join(credential.learner_name.split()) in text
        assert verify_url(credential).startswith(BASE) and verify_url(credential) in text
        # Each issued credential is listed once: username, language and name, then its own code and its own page.
        own_page = f"{BASE}/learning_credentials/verify/{credential.verify_uuid}/"
        assert re.search(
            rf"^{credential.user.username}\s+{credential.language}\s+{re.escape(credential.learner_name)}\s.*"
            rf"\s{format_code(credential.verification_code)}\s+{own_page}$",
            out,
            re.M,
        ), credential.user.username
        assert credential.template_version
    sample = default_storage.path(credentials[0].artifact)
    subprocess.run(["pdftoppm", "-png", "-r", "150", "-singlefile", sample, str(tmp_path / "page")], check=True)
    decoded = subprocess.run(["zbarimg", "-q", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True)
    assert decoded.stdout.strip() == verify_short_url(credentials[0])  # the QR code reads back as the short link
    assert decoded.stdout.strip().startswith(f"{BASE}/")
    achievement = next(c for c in credentials if c.type_name == "Certificate of Achievement")
    assert achievement.score is not None

    assert_every_link_follows_lms_root_url(out, credentials)
    assert_every_row_is_one_credential(client, out)
    assert_certification_page_labelled(client, out)
    assert_pdfs_in_the_learners_language(credentials, tmp_path)
    assert_achievement_shows_expiry_without_overlaps(credentials)
    assert_counts_of_this_run(out, issued=len(credentials))
    assert_the_data_agrees_with_itself()

    call_command("demo")  # running it again issues nothing more, and says so
    again = capsys.readouterr().out
    assert Credential.objects.count() == len(credentials)
    assert "This run issued no credentials" in again
    assert f"{len(credentials)} credentials from earlier runs are unchanged" in again
    assert "issued by this run (" not in again
    assert not re.search(r"^(learner|cert)\d\d\s.*/verify/\S+/$", again, re.M)  # no credential listed as new
    assert_counts_of_this_run(again, issued=0)
    assert_certification_page_labelled(client, again)


def assert_every_link_follows_lms_root_url(out: str, credentials) -> None:
    """The printed links and the emails' links all start with LMS_ROOT_URL (LinkedIn's own address aside)."""
    printed = URL.findall(out)
    strays = [url for url in printed if not f"{url}/".startswith(f"{BASE}/")]
    assert printed and not strays, strays
    assert f"`make serve PORT=8001`, then open {BASE}/ " in out
    assert len(mail.outbox) >= len(credentials) - 1  # cert09's certificate email included
    for message in mail.outbox:
        bodies = [message.body, *(content for content, _type in getattr(message, "alternatives", []))]
        links = {url for body in bodies for url in URL.findall(body)}
        ours = {url for url in links if not url.startswith("https://www.linkedin.com/")}
        assert ours and all(url.startswith(f"{BASE}/") for url in ours), ours


ROW = re.compile(r"^(?:learner|cert)\d\d\s.*\s(\w{5}-\w{5})\s+(https?://\S+/verify/\S+/)$", re.M)


def assert_every_row_is_one_credential(client, out: str) -> None:
    """Looking up a row's code opens that row's page: the code and the link of one credential, never two."""
    rows = ROW.findall(out)
    assert rows
    for code, page in rows:
        cache.clear()  # the public lookups' rate limit counts in the cache: each row is a fresh visitor
        looked_up = client.get(f"/learning_credentials/verify/code/{code}/")
        assert looked_up.status_code == 302, code
        assert urlsplit(looked_up.url).path == urlsplit(page).path, (code, page, looked_up.url)
        assert client.get(page.removeprefix(BASE)).status_code == 200


def assert_certification_page_labelled(client, out: str) -> None:
    """The certification's stable page is printed as such with its code; its current certificate with its own."""
    from learning_credentials.exams.models import Certification
    from learning_credentials.exams.selectors import certification_url

    certification = Certification.objects.get(passed=True)
    current = certification.credential
    assert (
        f"The certification's stable page {certification_url(certification)} (its code"
        f" {format_code(certification.code)})" in out
    )
    own_page = f"{BASE}/learning_credentials/verify/{current.verify_uuid}/"
    assert f"the current one's own page is {own_page} (its code {format_code(current.verification_code)})." in out
    cache.clear()
    assert client.get(certification_url(certification).removeprefix(BASE)).status_code == 200


# The demo's template text in each language (its first line, its title, is enough to tell them apart).
TEMPLATE_TITLES = {"en": "Certificate", "es": "Certificado", "fr": "Certificat", "de": "Zertifikat"}
VALID_UNTIL = {"en": "Valid until", "es": "Válido hasta", "fr": "Valable jusqu'au", "de": "Gültig bis"}
ENGLISH_ONLY = ("This certifies that", "has successfully completed")


def pdf_text(credential) -> str:
    path = default_storage.path(credential.artifact)
    return subprocess.run(["pdftotext", "-layout", path, "-"], capture_output=True, text=True, check=True).stdout


def assert_pdfs_in_the_learners_language(credentials, tmp_path) -> None:
    """Learners of es, fr, de and ar get every configuration's template in their language, with its fixed text."""
    languages = dict(lms.Profile.objects.filter(user__username__startswith="learner").values_list("user", "language"))
    assert {"es", "fr", "de", "ar"} <= set(languages.values())
    for configuration in CredentialConfiguration.objects.all():
        assert set(configuration.language_templates.values_list("language", flat=True)) == {"es", "fr", "de", "ar"}
    seen = set()
    for credential in credentials:
        text = pdf_text(credential)
        language = credential.language
        seen.add(language)
        if language in TEMPLATE_TITLES:
            assert TEMPLATE_TITLES[language] in text, (language, text)
        if language != "en":
            assert not any(english in text for english in ENGLISH_ONLY), (language, text)
        if language == "ar":
            assert re.search("[\u0600-\u06ff\ufe70-\ufefc]", text), text  # Arabic letters (shaped forms)
    assert {"en", "es", "fr", "de", "ar"} <= seen


def assert_achievement_shows_expiry_without_overlaps(credentials) -> None:
    """The 24-month certificate prints its expiry date in its language; no text touches another or an image."""
    achievements = [c for c in credentials if c.type_name == "Certificate of Achievement"]
    for credential in achievements:
        assert credential.expires_at is not None
        text = pdf_text(credential)
        if credential.language in VALID_UNTIL:
            assert VALID_UNTIL[credential.language] in text, text
        assert str(credential.expires_at.year) in text
    completion = next(c for c in credentials if c.type_name == "Certificate of Completion")
    assert "Valid until" not in pdf_text(completion)
    for credential in achievements:
        assert_nothing_overlaps(credential)


def assert_nothing_overlaps(credential) -> None:
    """Every drawn line's box (ascent to descent) stays clear of the other lines, and 4 pt from the images and QR."""
    path = default_storage.path(credential.artifact)
    html = subprocess.run(["pdftotext", "-bbox-layout", path, "-"], capture_output=True, text=True, check=True)
    number = r"([\d.]+)"
    lines = [
        tuple(map(float, box))
        for box in re.findall(rf'<line xMin="{number}" yMin="{number}" xMax="{number}" yMax="{number}"', html.stdout)
    ]
    height = 612  # landscape letter; the options give images from the bottom, pdftotext from the top
    options = credential.configuration.options()
    shapes = {"logo": 1, "signature": 180 / 600}  # height / width of the demo's images
    images = [
        (
            image["x"],
            height - image["y"] - image["width"] * shapes[name],
            image["x"] + image["width"],
            height - image["y"],
        )
        for name, image in options["images"].items()
    ]
    qr = options["qr"]
    images.append((qr["x"], height - qr["y"] - qr["size"], qr["x"] + qr["size"], height - qr["y"]))

    def apart(a, b, gap: float) -> bool:
        return a[2] + gap <= b[0] or b[2] + gap <= a[0] or a[3] + gap <= b[1] or b[3] + gap <= a[1]

    for index, line in enumerate(lines):
        for other in lines[index + 1 :]:
            assert apart(line, other, 0.5), (credential.user.username, line, other)
        for image in images:
            assert apart(line, image, 4), (credential.user.username, line, image)


def assert_counts_of_this_run(out: str, *, issued: int) -> None:
    """Each configuration: its learners, how many are eligible, and what this run issued (not the earlier runs)."""
    learners = get_user_model().objects.filter(username__startswith="learner").count()
    assert learners == 50
    for configuration in CredentialConfiguration.objects.filter(learning_context_key__in=[*lms_contexts()]):
        run = configuration.runs.order_by("-started_at").first()
        line = (
            f"{configuration.credential_type.name} in {configuration.learning_context_key}: {learners} learners,"
            f" {run.eligible} eligible: {run.issued} issued by this run, {run.already_held} already held"
        )
        assert line in out
        assert run.eligible < learners  # the demo never promises every learner a credential
    if issued:
        assert f"Credentials issued by this run ({issued}, in " in out


def lms_contexts() -> set[str]:
    return {"course-v1:DemoX+CS101+2026", PATH}


def assert_the_data_agrees_with_itself() -> None:
    """Progress only where the learner is enrolled; grades only for what their completion reached."""
    enrolled = set(lms.Enrollment.objects.filter(is_active=True).values_list("user_id", "context_key"))
    for user_id, course in lms.Completion.objects.values_list("user_id", "course__key"):
        assert (user_id, course) in enrolled, (user_id, course)
    graded: dict[int, set[str]] = {}
    for user_id, course, assessment in lms.AssessmentGrade.objects.values_list(
        "user_id", "course__key", "assessment_id"
    ):
        assert (user_id, course) in enrolled
        graded.setdefault(user_id, set()).add(assessment)
    first_course = "course-v1:DemoX+CS101+2026"
    for user_id, fraction in lms.Completion.objects.filter(course__key=first_course).values_list("user_id", "fraction"):
        expected = {assessment for assessment, _category in ASSESSMENTS[: assessments_reached(fraction)]}
        assert graded.get(user_id, set()) == expected, (user_id, fraction)
    steps = lms.LearningPathStep.objects.filter(path__key=PATH).values_list("course__key", flat=True)
    for user_id, context in enrolled:
        if context == PATH:
            assert all((user_id, step) in enrolled for step in steps)
    # Everyone the path credential went to completed every step of it.
    for credential in Credential.objects.filter(configuration__learning_context_key=PATH):
        fractions = lms.Completion.objects.filter(user=credential.user, course__key__in=list(steps))
        assert sorted(fractions.values_list("fraction", flat=True)) == [1.0, 1.0]


def test_make_demo_and_make_serve_share_one_address():
    """`make demo PORT=8001` and `make serve PORT=8001` run with the same LMS_ROOT_URL (make -n runs nothing)."""
    env = {k: v for k, v in os.environ.items() if k not in {"PORT", "LMS_ROOT_URL", "DEBUG"}}
    make = {"cwd": ROOT, "env": env, "capture_output": True, "text": True, "check": True}
    commands = {}
    for target in ("demo", "serve", "worker"):
        dry = subprocess.run(["make", "-n", target, "PORT=8001"], **make)
        commands[target] = [line for line in dry.stdout.splitlines() if "manage.py" in line or "celery -A" in line]
    assert all(commands.values())
    for line in [*commands["demo"], *commands["serve"], *commands["worker"]]:
        assert "LMS_ROOT_URL=http://localhost:8001 " in line, line
    assert commands["serve"][0].endswith("runserver 127.0.0.1:8001") and "DEBUG=0 " in commands["serve"][0]
    debug = subprocess.run(["make", "-n", "serve", "DEBUG=1"], **make)
    assert "LMS_ROOT_URL=http://localhost:8000 DEBUG=1 " in debug.stdout and "runserver 127.0.0.1:8000" in debug.stdout

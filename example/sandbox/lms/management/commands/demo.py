"""The sandbox demo: a course and a learning path with 50 learners, two credential types, one pipeline run.

Credentials are issued through the same Celery tasks beat calls: in this process by default,
or by a real worker when CELERY_BROKER_URL is set (start one with `make worker`).
"""

import io
import math
import random
import time
from pathlib import Path
from urllib.parse import urlsplit

import reportlab
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from learning_credentials import conf
from learning_credentials.adapters import get_adapter
from learning_credentials.exceptions import LearningCredentialsError
from learning_credentials.identifiers import format_code
from learning_credentials.languages import is_right_to_left
from learning_credentials.models import (
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialEvent,
    CredentialRun,
    CredentialType,
    LanguageTemplate,
)
from learning_credentials.rendering.fonts import SYSTEM_FALLBACK_FONTS
from learning_credentials.rendering.text import visual_line
from learning_credentials.selectors import credential_site, verify_url
from learning_credentials.services.configuration import configuration_run_queue

from ... import models as lms

COURSE = "course-v1:DemoX+CS101+2026"
SECOND_COURSE = "course-v1:DemoX+STAT2+2026"
PATH = "path-v1:DemoX+data-science+2026+all"
ORGANIZATION = "DemoX University"
FIRST = [
    "Ada",
    "Alan",
    "Grace",
    "Zoë",
    "José",
    "Ngozi",
    "Kenji",
    "Olga",
    "Priya",
    "Émile",
    "Fatima",
    "Lars",
    "Mei",
    "Tomás",
]
LAST = [
    "Lovelace",
    "Turing",
    "Hopper",
    "Ångström",
    "Muñoz",
    "Okafor",
    "Tanaka",
    "Ivanova",
    "Sharma",
    "Dubois",
    "Haddad",
]
LEARNERS = 50
# Continuing-education credits the achievement certificate carries (with the credits sub-app installed).
# Certification (with the exams sub-app installed): a course with a 150-question pool, a short child course
# drawing 10 questions from it, and a course whose premium access includes certification.
CERTIFICATION_COURSE = "course-v1:DemoX+DSF+2026"
CERTIFICATION_CHILD = "course-v1:DemoX+DSF-ESSENTIALS+2026"
CERTIFICATION_PREMIUM = "course-v1:DemoX+DSF-PRO+2026"
POOL_FILE = "example/certification/pool.json"
CERTIFICATION_PRICE = ("49.00", "USD", 60)
CERTIFICATION_LEARNERS = 10
CREDITS = (
    ("SHRM", "1.50", "24-DX101", {"name": "SHRM Professional Development Credits", "unit": "PDC"}),
    ("HRCI", "1.50", "DX-CS101", {"name": "HRCI Recertification Credits", "unit": "credit"}),
)
ASSESSMENTS = (("hw1", "Homework"), ("hw2", "Homework"), ("final", "Exam"))


def assessments_reached(progress: float) -> int:
    """How many of ASSESSMENTS (in course order) a learner with this completion has taken."""
    return sum(progress >= reached for reached in (0.4, 0.8, 0.95))


# The template's fixed text in each language the demo's configurations have a template for (demo content,
# not the app's catalogues): its title, the line above the learner's name and the line above the course.
TEMPLATE_WORDING = {
    "en": ("Certificate", "This certifies that", "has successfully completed"),
    "es": ("Certificado", "Se certifica que", "ha completado con éxito"),
    "fr": ("Certificat", "Nous certifions que", "a terminé avec succès"),
    "de": ("Zertifikat", "Verliehen an", "für den erfolgreichen Abschluss von"),
    "ar": ("شهادة", "تشهد هذه الوثيقة بأن", "قد أتم بنجاح"),
}
# The demo's own element texts per language: the signatory's title, the expiry line and the credits line
# (in Arabic a left-to-right mark keeps the credits, which start with a number, in their own order).
ELEMENT_WORDING = {
    "en": ("Dean of Studies, {organization}", "Valid until {expires}", "Continuing education: {credits}"),
    "es": ("Decana de Estudios, {organization}", "Válido hasta el {expires}", "Formación continua: {credits}"),
    "fr": ("Doyenne des études, {organization}", "Valable jusqu'au {expires}", "Formation continue : {credits}"),
    "de": ("Studiendekanin, {organization}", "Gültig bis {expires}", "Weiterbildung: {credits}"),
    "ar": ("عميدة الدراسات، {organization}", "صالحة حتى {expires}", "التعليم المستمر: \u200e{credits}"),
}
TEMPLATE_LANGUAGES = ("es", "fr", "de", "ar")
# Learners' languages, drawn at random: mostly English, Spanish and French, a few German and Arabic.
LEARNER_LANGUAGES = ("en", "en", "en", "es", "es", "fr", "fr", "de", "ar")


def template_slug(language: str) -> str:
    return "demo-template" if language == "en" else f"demo-template-{language}"


def template_pdf(language: str = "en") -> bytes:
    """A designer-style landscape template: background, border, title and fixed wording in ``language``.

    Arabic is drawn as the renderer draws it: shaped and in visual order, in a font that has its letters.
    """
    title, certifies, completed = TEMPLATE_WORDING[language]
    buffer = io.BytesIO()
    width, height = landscape(letter)
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setFillColorRGB(0.97, 0.96, 0.92)
    canvas.rect(0, 0, width, height, stroke=0, fill=1)
    canvas.setStrokeColorRGB(0.12, 0.27, 0.5)
    canvas.setLineWidth(8)
    canvas.rect(28, 28, width - 56, height - 56)
    canvas.setFillColorRGB(0.12, 0.27, 0.5)
    title_font, line_font = "Times-Bold", "Times-Italic"
    if is_right_to_left(language):
        title_font, line_font = _arabic_fonts()
        title, certifies, completed = (visual_line(text) for text in (title, certifies, completed))
    canvas.setFont(title_font, 38)
    canvas.drawCentredString(width / 2, height - 120, title)
    canvas.setFont(line_font, 16)
    canvas.drawCentredString(width / 2, height * 0.55 + 50, certifies)
    canvas.drawCentredString(width / 2, height * 0.44 + 36, completed)
    canvas.save()
    return buffer.getvalue()


def _arabic_fonts() -> tuple[str, str]:
    """DejaVu Sans (bold and regular), where the renderer finds it for Arabic, registered with reportlab."""
    regular = SYSTEM_FALLBACK_FONTS[0]
    bold = regular.with_name("DejaVuSans-Bold.ttf")
    if not (regular.is_file() and bold.is_file()):
        raise CommandError(f"The Arabic template needs DejaVu Sans ({regular}): install fonts-dejavu-core.")
    for name, path in (("DemoArabic-Bold", bold), ("DemoArabic", regular)):
        if name not in pdfmetrics.getRegisteredFontNames():
            pdfmetrics.registerFont(TTFont(name, str(path)))
    return "DemoArabic-Bold", "DemoArabic"


def logo_png() -> bytes:
    """An emblem: a blue disc with the organisation's initials."""
    image = Image.new("RGBA", (240, 240), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, 232, 232), fill=(31, 69, 128, 255), outline=(200, 170, 80, 255), width=10)
    draw.text((120, 122), "DX", fill="white", anchor="mm", font=ImageFont.load_default(size=96))
    return _png(image)


def signature_png() -> bytes:
    """A hand-drawn-looking signature on a transparent background."""
    image = Image.new("RGBA", (600, 180), (0, 0, 0, 0))
    points = [(20 + x * 5.6, 110 - 45 * math.sin(x / 9) * math.exp(-x / 140) - (x % 23)) for x in range(100)]
    ImageDraw.Draw(image).line(points, fill=(20, 30, 80, 255), width=6, joint="curve")
    return _png(image)


def own_verify_url(credential: Credential) -> str:
    """The credential's own page: its code leads there, even where its PDF carries a certification's stable page."""
    return credential_site(credential).base_url + reverse(
        "learning_credentials:verify", kwargs={"verify_uuid": credential.verify_uuid}
    )


def _png(image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Seed the sandbox LMS with 50 learners, issue credentials through the pipeline and print them."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=int, default=180, help="Seconds to wait for a real worker.")

    def handle(self, *args, timeout: int = 180, **options):
        configurations = self._seed()
        started, since = time.monotonic(), timezone.now()
        for configuration in configurations:  # as the admin's "Generate now" does
            try:
                configuration_run_queue(configuration=configuration, source=CredentialEvent.Source.COMMAND)
            except LearningCredentialsError as exc:
                raise CommandError(exc.message) from exc
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            self.stdout.write(f"Queued on {settings.CELERY_BROKER_URL}; waiting for the worker...")
            self._wait(configurations, since=since, timeout=timeout)
        certification = self._certification_demo() if self._with_exams() else None
        self._summary(configurations, since=since, seconds=time.monotonic() - started)
        if certification is not None:
            self._certification_summary(certification)
        self._next_steps()

    @transaction.atomic
    def _seed(self) -> list[CredentialConfiguration]:
        rng = random.Random(2026)
        course = self._course(COURSE, "Introduction to Computing")
        second = self._course(SECOND_COURSE, "Statistics")
        path, _ = lms.LearningPath.objects.get_or_create(
            key=PATH, defaults={"display_name": "Data Science", "organization": ORGANIZATION}
        )
        for order, step in enumerate((course, second), start=1):
            lms.LearningPathStep.objects.get_or_create(path=path, course=step, defaults={"order": order})
        for assessment, category in ASSESSMENTS:
            lms.Assessment.objects.get_or_create(
                course=course, assessment_id=assessment, defaults={"category": category}
            )
        users = get_user_model().objects
        password = make_password("demo")  # hashed once: hashing 50 times would dominate the demo's time
        for number in range(LEARNERS):
            username = f"learner{number:02d}"
            defaults = {"email": f"{username}@example.com", "password": password}
            user, created = users.get_or_create(username=username, defaults=defaults)
            if not created:
                continue
            full_name = f"{FIRST[number % len(FIRST)]} {LAST[number % len(LAST)]}"
            lms.Profile.objects.create(user=user, full_name=full_name, language=rng.choice(LEARNER_LANGUAGES))
            # Enrolled in the path and in both of its courses: nobody has progress in a course they are not in.
            for context in (COURSE, SECOND_COURSE, PATH):
                lms.Enrollment.objects.create(user=user, context_key=context)
            progress = rng.choice([1.0, 1.0, 1.0, 0.95, 0.8, 0.4, 0.0])
            lms.Completion.objects.create(user=user, course=course, fraction=progress)
            lms.Completion.objects.create(user=user, course=second, fraction=rng.choice([1.0, 0.6]))
            # Graded only in what the learner reached: both homeworks take 80 %, the final exam 95 %.
            for assessment, category in ASSESSMENTS[: assessments_reached(progress)]:
                earned = round(rng.uniform(0.35, 1.0), 2)
                lms.AssessmentGrade.objects.create(
                    user=user, course=course, assessment_id=assessment, category=category, earned=earned, possible=1
                )
        if not users.filter(username="admin").exists():
            users.create_superuser("admin", "admin@example.com", "admin")

        for language in TEMPLATE_WORDING:
            slug = template_slug(language)
            self._asset(slug, CredentialAsset.Kind.PDF_TEMPLATE, template_pdf(language), f"{slug}.pdf")
        vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"
        self._asset("vera-sans", CredentialAsset.Kind.FONT, vera.read_bytes(), "Vera.ttf")
        self._asset("demo-logo", CredentialAsset.Kind.IMAGE, logo_png(), "demo-logo.png")
        self._asset("demo-signature", CredentialAsset.Kind.IMAGE, signature_png(), "demo-signature.png")
        # Lines from the date down, each clear of the next: date, expiry, score, credits; then the signature
        # block on the left and the QR code on the right, with the verification lines between them.
        base = {
            "template": template_slug("en"),
            "font_asset": "vera-sans",
            "images": {
                "logo": {"image": "demo-logo", "x": 60, "y": 486, "width": 72},
                "signature": {"image": "demo-signature", "x": 106, "y": 107, "width": 130},
            },
            "elements": {
                "issue_date": {"y": 210},
                "score": {"y": 176},
                "signatory_name": {"text": "Dr. Ada Byron", "x": 171, "y": 92, "size": 11},
                "signatory_title": {"text": self._wording("en", 0), "x": 171, "y": 79, "size": 9},
                "verify_url": {"y": 56},
                "verify_code": {"y": 44},
            },
            "qr": {"x": 650, "y": 60, "size": 84},
        }
        completion = self._type(
            "completion", "Certificate of Completion", "course_completion", {**base, "required_completion": 100}
        )
        achievement_options = {**base, "required_completion": 90, "required_grades": {"Exam": 60}}
        if self._with_credits():
            elements = {
                **base["elements"],
                "credits": {"text": self._wording("en", 2), "y": 159, "size": 11, "max_width": 330},
            }
            achievement_options["elements"] = elements
        achievement = self._type(
            "achievement", "Certificate of Achievement", "completion_and_grades", achievement_options
        )
        pairs = ((COURSE, completion), (COURSE, achievement), (PATH, completion))
        configurations = [
            CredentialConfiguration.objects.get_or_create(learning_context_key=key, credential_type=kind)[0]
            for key, kind in pairs
        ]
        # The Certificate of Achievement is valid for two years, with reminders 60 and 7 days before it ends;
        # it prints its expiry date.
        CredentialConfiguration.objects.filter(pk=configurations[1].pk).update(
            validity_period=24,
            validity_unit="months",
            reminder_days="60, 7",
            custom_options={"elements": {"expires": {"text": self._wording("en", 1), "y": 193, "size": 11}}},
        )
        if self._with_credits():
            self._credits(configurations[1])
        if self._with_exams():
            self._certification_seed(base)
        self._language_templates()
        return configurations

    def _wording(self, language: str, index: int) -> str:
        return ELEMENT_WORDING[language][index].replace("{organization}", ORGANIZATION)

    def _language_templates(self) -> None:
        """Each of the demo's configurations gets the template in es, fr, de and ar, and its element texts in them."""
        demo_types = ("completion", "achievement", "certification")
        configurations = CredentialConfiguration.objects.filter(credential_type__slug__in=demo_types)
        for configuration in configurations.select_related("credential_type"):
            elements = configuration.options().get("elements", {})
            for language in TEMPLATE_LANGUAGES:
                overrides = {
                    name: {"text": self._wording(language, index)}
                    for index, name in enumerate(("signatory_title", "expires", "credits"))
                    if isinstance(elements.get(name), dict) and "text" in elements[name]
                }
                LanguageTemplate.objects.get_or_create(
                    configuration=configuration,
                    language=language,
                    defaults={"template": template_slug(language), "custom_options": {"elements": overrides}},
                )

    def _with_exams(self) -> bool:
        return apps.is_installed("learning_credentials.exams")

    @transaction.atomic
    def _certification_seed(self, base_options: dict) -> None:
        """Three certification courses, their settings and pool, and learners cert00-cert09 who completed them."""
        from learning_credentials.exams.models import CertificationSettings, PointsAccount
        from learning_credentials.exams.pools import question_pool_import, question_pool_parse
        from learning_credentials.exams.services import points_grant

        certificate = self._type(
            "certification",
            "Professional Certificate",
            "certification_exam_passed",
            {key: value for key, value in base_options.items() if key != "required_completion"},
        )
        amount, currency, points = CERTIFICATION_PRICE
        names = {
            CERTIFICATION_COURSE: "Data Science Foundations",
            CERTIFICATION_CHILD: "Data Science Foundations: Essentials",
            CERTIFICATION_PREMIUM: "Data Science Foundations (Premium)",
        }
        for key, name in names.items():
            self._course(key, name)
            configuration = CredentialConfiguration.objects.get_or_create(
                learning_context_key=key, credential_type=certificate
            )[0]
            CertificationSettings.objects.get_or_create(
                context_key=key,
                defaults={
                    "enabled": True,
                    "configuration": configuration,
                    "pool_context_key": None if key == CERTIFICATION_COURSE else CERTIFICATION_COURSE,
                    "exam_size": 10 if key == CERTIFICATION_CHILD else None,
                    "price_amount": amount,
                    "price_currency": currency,
                    "price_points": points,
                    "premium_includes_certification": key == CERTIFICATION_PREMIUM,
                },
            )
        pool = Path(settings.BASE_DIR).parent / POOL_FILE
        question_pool_import(
            pool_context_key=CERTIFICATION_COURSE,
            data=question_pool_parse(pool.read_bytes()),
            source=CredentialEvent.Source.COMMAND,
        )
        users = get_user_model().objects
        password = make_password("demo")
        for number in range(CERTIFICATION_LEARNERS):
            username = f"cert{number:02d}"
            user, created = users.get_or_create(
                username=username, defaults={"email": f"{username}@example.com", "password": password}
            )
            if not created:
                continue
            full_name = f"{FIRST[(number + 3) % len(FIRST)]} {LAST[(number + 5) % len(LAST)]}"
            lms.Profile.objects.create(user=user, full_name=full_name, language="en")
            for key in names:
                premium = key == CERTIFICATION_PREMIUM and number == 8
                lms.Enrollment.objects.create(user=user, context_key=key, mode="verified" if premium else "audit")
                lms.Completion.objects.create(user=user, course=lms.Course.objects.get(key=key), fraction=1.0)
            if not PointsAccount.objects.filter(user=user).exists():
                points_grant(
                    user_id=user.pk,
                    amount=100 if number < 5 else 50,
                    activity_source=CredentialEvent.Source.COMMAND,
                    note="Demo welcome points",
                )

    def _certification_demo(self):
        """cert09 pays through the sandbox's checkout and passes the final exam, 45 of 50 right (score 90)."""
        from learning_credentials.exams.attempts import attempt_answer, attempt_start, attempt_submit
        from learning_credentials.exams.models import Certification
        from learning_credentials.exams.payments import entitlement_purchase

        user = get_user_model().objects.get(username=f"cert{CERTIFICATION_LEARNERS - 1:02d}")
        done = Certification.objects.filter(user=user, context_key=CERTIFICATION_COURSE, passed=True).first()
        if done is not None:
            return done
        amount, currency, _points = CERTIFICATION_PRICE
        order = lms.Order.objects.create(
            reference=f"demo-{user.username}",
            user=user,
            context_key=CERTIFICATION_COURSE,
            amount=amount,
            currency=currency,
            paid_at=timezone.now(),
        )
        source = CredentialEvent.Source.COMMAND
        entitlement_purchase(
            user_id=user.pk, context_key=CERTIFICATION_COURSE, payment_reference=order.reference, activity_source=source
        )
        attempt = attempt_start(user_id=user.pk, context_key=CERTIFICATION_COURSE, activity_source=source)
        for number, question in enumerate(attempt.questions):
            right = [option["id"] for option in question["options"] if option["correct"]]
            wrong = [option["id"] for option in question["options"] if not option["correct"]][:1] or right[:-1]
            attempt_answer(
                attempt_id=str(attempt.pk),
                user_id=user.pk,
                question=question["id"],
                options=right if number < 45 else wrong,
                activity_source=source,
            )
        attempt_submit(attempt_id=str(attempt.pk), user_id=user.pk, activity_source=source)
        return Certification.objects.get(user=user, context_key=CERTIFICATION_COURSE)

    def _certification_summary(self, certification) -> None:
        from learning_credentials.exams.selectors import certification_url

        amount, currency, points = CERTIFICATION_PRICE
        last = CERTIFICATION_LEARNERS - 1
        current = certification.credential
        self.stdout.write(
            f"\ncert{last:02d} passed the final exam of {CERTIFICATION_COURSE} with {certification.score}%."
            f" The certification's stable page {certification_url(certification)} (its code"
            f" {format_code(certification.code)}), which its PDF and QR code carry, shows whichever of its"
            f" certificates is current; the current one's own page is {own_verify_url(current)}"
            f" (its code {format_code(current.verification_code)})."
        )
        base = conf.base_url()
        self.stdout.write(
            f"Try certification as cert00 (password demo): {base}"
            + reverse("learning_credentials:certification-courses")
            + f" (my courses), then Get certificate: {base}"
            + reverse("learning_credentials:certification-course", kwargs={"context_key": CERTIFICATION_COURSE})
            + f", and once entitled the final exam: {base}"
            + reverse("learning_credentials:certification-exam", kwargs={"context_key": CERTIFICATION_COURSE})
        )
        self.stdout.write(
            f"CERTIFICATION_DEMO course={CERTIFICATION_COURSE} child={CERTIFICATION_CHILD} "
            f"premium={CERTIFICATION_PREMIUM} pool_file={POOL_FILE} learners=cert00-cert{last:02d} password=demo "
            f"points_price={points} money_price={amount} currency={currency}"
        )

    def _with_credits(self) -> bool:
        return apps.is_installed("learning_credentials.credits")

    def _credits(self, configuration: CredentialConfiguration) -> None:
        """The achievement certificate awards SHRM PDCs and HRCI credits (types the credits migration created)."""
        from learning_credentials.credits.models import ConfigurationCredit, CreditType

        for code, amount, activity_id, type_defaults in CREDITS:
            kind = CreditType.objects.get_or_create(code=code, defaults=type_defaults)[0]
            ConfigurationCredit.objects.get_or_create(
                configuration=configuration, credit_type=kind, defaults={"amount": amount, "activity_id": activity_id}
            )

    def _course(self, key: str, name: str) -> lms.Course:
        return lms.Course.objects.get_or_create(key=key, defaults={"display_name": name, "organization": ORGANIZATION})[
            0
        ]

    def _asset(self, slug: str, kind: str, content: bytes, filename: str) -> None:
        if not CredentialAsset.objects.filter(slug=slug).exists():
            CredentialAsset.objects.create(slug=slug, kind=kind, file=ContentFile(content, name=filename))

    def _type(self, slug: str, name: str, retrieval: str, options: dict) -> CredentialType:
        defaults = {"name": name, "retrieval_func": retrieval, "generation_func": "pdf_credential"}
        return CredentialType.objects.get_or_create(slug=slug, defaults={**defaults, "custom_options": options})[0]

    def _credit_totals(self) -> None:
        """Each learner's active continuing-education credits, summed per credit type."""
        from learning_credentials.credits.models import CreditLedgerEntry
        from learning_credentials.credits.selectors import credit_totals_by_learner

        totals = credit_totals_by_learner(CreditLedgerEntry.objects.all())
        names = dict(get_user_model().objects.filter(pk__in=totals).values_list("pk", "username"))
        self.stdout.write(f"\nContinuing-education credits ({len(totals)} learners):")
        for user_id in sorted(totals, key=names.get):
            self.stdout.write(f"  {names[user_id]}: {' · '.join(total.label for total in totals[user_id])}")

    def _open_badges(self) -> None:
        """Where to see one credential as a signed Open Badge, and its issuer's keys (when the sub-app is installed)."""
        if not apps.is_installed("learning_credentials.open_badges"):
            return
        from learning_credentials.open_badges.keys import signing_configured
        from learning_credentials.open_badges.models import Issuer

        available = Credential.objects.filter(status="available").select_related("user")
        credential = available.order_by("learner_name").first()
        issuer = Issuer.objects.filter(organization="").first()
        if credential is None or issuer is None:
            return
        page = verify_url(credential)
        self.stdout.write(
            f"\nOpen Badges 3.0: {credential.learner_name}'s ({credential.user.username}) credential signed,"
            f" {page}ob3.json (and ob3.jwt);"
            f" its issuer {issuer.did}: {issuer.base_url}/learning_credentials/issuers/{issuer.slug}/did.json"
        )
        if issuer.base_url != conf.base_url():
            self.stdout.write(
                f"  The issuer was created when the site was at {issuer.base_url}: verifiers look for its keys there."
                " Its identifier never changes; start from a fresh database (delete example/db.sqlite3) to move it."
            )
        if signing_configured():
            self.stdout.write(
                f"Every PDF carries its signed credential (credential.jwt); drop one of the PDFs on"
                f" {conf.base_url()}{reverse('learning_credentials:open-badges-check-file')} to check it."
            )

    def _wait(self, configurations, *, since, timeout: int) -> None:
        """Until every configuration has a finished run started after ``since`` and nothing is generating."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            finished = CredentialRun.objects.filter(
                configuration__in=configurations, started_at__gte=since, finished_at__isnull=False
            )
            done = finished.values("configuration").distinct().count() == len(configurations)
            if done and not Credential.objects.filter(status="generating").exists():
                return
            time.sleep(1)
        raise CommandError(f"The worker did not finish within {timeout}s: is `make worker` running?")

    def _summary(self, configurations, *, since, seconds: float) -> None:
        """What this run did: each configuration's learners and run, then only the credentials it issued."""
        adapter = get_adapter()
        base = conf.base_url()
        learners = get_user_model().objects.filter(username__startswith="learner").count()
        self.stdout.write(
            f"Sandbox LMS at {base} (LMS_ROOT_URL): {learners} learners, learner00 ... learner{learners - 1:02d}"
            " (password demo)."
        )
        for configuration in configurations:
            configuration.refresh_from_db()
            key = configuration.learning_context_key
            enrolled = len(adapter.get_enrolled_user_ids(key))
            run = configuration.runs.filter(started_at__gte=since).order_by("-started_at").first()
            line = f"{configuration.credential_type.name} in {key}: {enrolled} learners"
            if run is not None:
                line += (
                    f", {run.eligible} eligible: {run.issued} issued by this run, {run.already_held} already held,"
                    f" {run.failed} failed"
                )
            self.stdout.write(line)
            if configuration.validity_period:
                self.stdout.write(
                    f"  valid for {configuration.validity_period} {configuration.validity_unit}; holders are reminded"
                    f" {configuration.reminder_days} days before expiry and renewed when they qualify again"
                )
        issued = list(
            Credential.objects.filter(created__gte=since)
            .select_related("configuration", "user")
            .order_by("configuration_id", "learner_name", "user__username")
        )
        held = Credential.objects.exclude(pk__in=[credential.pk for credential in issued]).count()
        if issued:
            self.stdout.write(f"\nCredentials issued by this run ({len(issued)}, in {seconds:.1f}s):")
            rows = [("username", "language", "learner", "credential", "context", "status", "code", "verify URL")]
            rows += [
                (
                    credential.user.username,
                    credential.language,
                    credential.learner_name,
                    credential.type_name,
                    credential.context_name,
                    credential.status,
                    format_code(credential.verification_code),
                    own_verify_url(credential),
                )
                for credential in issued
            ]
            widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
            for row in rows:
                cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
                self.stdout.write("  ".join(cells).rstrip())
        else:
            self.stdout.write("\nThis run issued no credentials: every eligible learner already holds theirs.")
        if held:
            self.stdout.write(f"{held} credentials from earlier runs are unchanged; the admin lists them all.")
        if self._with_credits():
            self._credit_totals()
        self._open_badges()
        folder = Path(settings.MEDIA_ROOT) / conf.get("ARTIFACT_PREFIX")
        self.stdout.write(f"\nPDFs: {folder}")
        self.stdout.write(f"Emails to learners: {settings.EMAIL_FILE_PATH}")

    def _next_steps(self) -> None:
        base = conf.base_url()
        port = urlsplit(base).port
        serve = "make serve" if port in (None, 8000) else f"make serve PORT={port}"
        self.stdout.write(
            f"\nNext: `{serve}`, then open {base}/ : its home page links My credentials (learner00 ... learner49,"
            f" password demo), the verification lookup and the admin ({base}/admin/, admin / admin). The API:"
            f" {base}/api/learning_credentials/v1/credentials/ signed in as a learner."
        )

"""Populate the sandbox LMS, issue credentials through the real services and show how to verify them."""

import io
import json

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from django.test import Client
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen.canvas import Canvas

from learning_credentials import conf
from learning_credentials.models import (
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialEvent,
    CredentialType,
)
from learning_credentials.selectors import verify_url
from learning_credentials.services import configuration_evaluate, credential_issue

from ... import models as lms

COURSE = "course-v1:DemoX+CS101+2026"
SECOND_COURSE = "course-v1:DemoX+STAT2+2026"
PATH = "path-v1:DemoX+data-science"
LEARNERS = [
    # username, full name, completion of CS101, exam grade, homework grade
    ("ada", "Ada Lovelace", 1.0, 0.95, 0.9),
    ("alan", "Alan Turing", 1.0, 0.62, 0.8),
    ("grace", "Grace Hopper", 0.6, 0.88, 1.0),
    ("zoe", "Zoë Ångström", 1.0, 0.81, 0.77),
]


def _template() -> bytes:
    buffer = io.BytesIO()
    width, height = landscape(letter)
    canvas = Canvas(buffer, pagesize=(width, height))
    canvas.setFillColorRGB(0.97, 0.96, 0.92)
    canvas.rect(0, 0, width, height, stroke=0, fill=1)
    canvas.setStrokeColorRGB(0.12, 0.27, 0.5)
    canvas.setLineWidth(8)
    canvas.rect(28, 28, width - 56, height - 56)
    canvas.setFillColorRGB(0.12, 0.27, 0.5)
    canvas.setFont("Times-Bold", 38)
    canvas.drawCentredString(width / 2, height - 120, "Certificate")
    canvas.setFont("Times-Italic", 16)
    canvas.drawCentredString(width / 2, height * 0.55 + 50, "This certifies that")
    canvas.drawCentredString(width / 2, height * 0.44 + 36, "has successfully completed")
    canvas.save()
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Seed the sandbox LMS, issue credentials and print their verification links."

    @transaction.atomic
    def _seed(self) -> list[CredentialConfiguration]:
        course, _ = lms.Course.objects.get_or_create(
            key=COURSE, defaults={"display_name": "Introduction to Computing", "organization": "DemoX University"}
        )
        second, _ = lms.Course.objects.get_or_create(
            key=SECOND_COURSE, defaults={"display_name": "Statistics", "organization": "DemoX University"}
        )
        path, _ = lms.LearningPath.objects.get_or_create(
            key=PATH, defaults={"display_name": "Data Science", "organization": "DemoX University"}
        )
        for order, step in enumerate((course, second), start=1):
            lms.LearningPathStep.objects.get_or_create(path=path, course=step, defaults={"order": order})
        for username, full_name, completion, exam, homework in LEARNERS:
            user, created = get_user_model().objects.get_or_create(
                username=username, defaults={"email": f"{username}@example.com"}
            )
            if created:
                user.set_password("demo")
                user.save()
            lms.Profile.objects.update_or_create(user=user, defaults={"full_name": full_name})
            for context in (COURSE, PATH):
                lms.Enrollment.objects.get_or_create(user=user, context_key=context)
            lms.Completion.objects.update_or_create(user=user, course=course, defaults={"fraction": completion})
            lms.Completion.objects.update_or_create(
                user=user, course=second, defaults={"fraction": 1.0 if username == "ada" else 0.3}
            )
            for assessment, category, grade in (("final", "Exam", exam), ("hw1", "Homework", homework)):
                lms.AssessmentGrade.objects.update_or_create(
                    user=user,
                    course=course,
                    assessment_id=assessment,
                    defaults={"category": category, "earned": grade, "possible": 1},
                )
        admin, created = get_user_model().objects.get_or_create(
            username="admin", defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password("admin")
            admin.save()

        if not CredentialAsset.objects.filter(slug="demo-template").exists():
            CredentialAsset.objects.create(
                slug="demo-template",
                kind=CredentialAsset.Kind.PDF_TEMPLATE,
                description="Sandbox certificate background",
                file=ContentFile(_template(), name="demo-template.pdf"),
            )
        completion_type, _ = CredentialType.objects.get_or_create(
            slug="completion",
            defaults={
                "name": "Certificate of Completion",
                "retrieval_func": "course_completion",
                "generation_func": "pdf_credential",
                "custom_options": {"template": "demo-template", "required_completion": 100},
            },
        )
        achievement_type, _ = CredentialType.objects.get_or_create(
            slug="achievement",
            defaults={
                "name": "Certificate of Achievement",
                "retrieval_func": "completion_and_grades",
                "generation_func": "pdf_credential",
                "custom_options": {
                    "template": "demo-template",
                    "required_completion": 90,
                    "required_grades": {"Exam": 70},
                    "elements": {"score": {"text": "Final score: {score}", "y": 150, "size": 12}},
                },
            },
        )
        configurations = []
        for context, credential_type in (
            (COURSE, completion_type),
            (COURSE, achievement_type),
            (PATH, completion_type),
        ):
            configuration, _ = CredentialConfiguration.objects.get_or_create(
                learning_context_key=context, credential_type=credential_type
            )
            configuration.full_clean()
            configurations.append(configuration)
        return configurations

    def handle(self, *args, **options):
        configurations = self._seed()
        for configuration in configurations:
            verdicts = configuration_evaluate(configuration=configuration)
            self.stdout.write(
                f"\n{configuration}: {sum(v.eligible for v in verdicts.values())} of {len(verdicts)} eligible"
            )
            for user_id, verdict in sorted(verdicts.items()):
                if (
                    not verdict.eligible
                    or Credential.objects.filter(user_id=user_id, configuration=configuration).exists()
                ):
                    continue
                with transaction.atomic():
                    credential_issue(
                        user_id=user_id,
                        configuration=configuration,
                        eligibility=verdict,
                        source=CredentialEvent.Source.COMMAND,
                    )

        self.stdout.write("\nCredentials (open these after `make serve`):")
        for credential in Credential.objects.select_related("configuration").order_by("created"):
            self.stdout.write(
                f"  {credential.status:<10} {credential.learner_name:<14} {credential.type_name:<27} "
                f"{credential.context_name:<26} code {credential.verification_code}\n"
                f"             {verify_url(credential)}"
            )
        sample = Credential.objects.filter(status="available").first()
        if sample is not None:
            response = Client().get(
                f"/api/learning_credentials/v1/metadata/{sample.verify_uuid}/", SERVER_NAME="localhost"
            )
            self.stdout.write(
                f"\nGET /api/learning_credentials/v1/metadata/{sample.verify_uuid}/ -> {response.status_code}"
            )
            self.stdout.write(json.dumps(response.json(), indent=2, ensure_ascii=False))
        self.stdout.write(
            f"\nSandbox ready on {conf.base_url()}: `make serve`, then sign in at /admin/ as admin/admin "
            "or as a learner (ada, alan, grace, zoe; password demo) and call /api/learning_credentials/v1/credentials/."
        )

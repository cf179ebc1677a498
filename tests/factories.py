"""factory_boy factories for our models, plus helpers that populate the sandbox host."""

import io

import factory
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from opaque_keys.edx.keys import CourseKey
from reportlab.lib.pagesizes import landscape, letter
from reportlab.pdfgen.canvas import Canvas
from sandbox.lms import models as lms

from learning_credentials.models import Credential, CredentialAsset, CredentialConfiguration, CredentialType

COURSE_KEY = "course-v1:DemoX+CS101+2026"


def template_pdf(title: str = "CERTIFICATE") -> bytes:
    """A landscape one-page PDF with vector art and text, like a designer's template."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=landscape(letter))
    canvas.setStrokeColorRGB(0.1, 0.3, 0.6)
    canvas.setLineWidth(6)
    canvas.rect(24, 24, landscape(letter)[0] - 48, landscape(letter)[1] - 48)
    canvas.setFont("Times-Bold", 40)
    canvas.drawCentredString(landscape(letter)[0] / 2, 480, title)
    canvas.save()
    return buffer.getvalue()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"learner{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    profile = factory.RelatedFactory("tests.factories.ProfileFactory", factory_related_name="user")


class ProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = lms.Profile

    full_name = factory.Faker("name")


class TemplateAssetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialAsset
        django_get_or_create = ("slug",)

    slug = "certificate-template"
    kind = CredentialAsset.Kind.PDF_TEMPLATE
    file = factory.LazyFunction(lambda: ContentFile(template_pdf(), name="template.pdf"))


class CredentialTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialType

    name = factory.Sequence(lambda n: f"Certificate of Completion {n}")
    slug = factory.Sequence(lambda n: f"completion-{n}")
    retrieval_func = "course_completion"
    generation_func = "pdf_credential"
    custom_options = factory.LazyFunction(lambda: {"template": "certificate-template", "required_completion": 90})


class ConfigurationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CredentialConfiguration

    learning_context_key = factory.LazyFunction(lambda: CourseKey.from_string(COURSE_KEY))
    credential_type = factory.SubFactory(CredentialTypeFactory)


class CredentialFactory(factory.django.DjangoModelFactory):
    """A credential row written directly, for read-path tests; services are tested on their own."""

    class Meta:
        model = Credential

    user = factory.SubFactory(UserFactory)
    configuration = factory.SubFactory(ConfigurationFactory)
    verification_code = factory.Sequence(lambda n: f"T{n:09d}"[:10].replace("0", "A"))
    learner_name = factory.LazyAttribute(lambda c: c.user.profile.full_name)
    context_name = "Introduction to Computing"
    type_name = factory.LazyAttribute(lambda c: c.configuration.credential_type.name)
    status = "available"


def make_course(key: str = COURSE_KEY, name: str = "Introduction to Computing", **kwargs) -> lms.Course:
    course, _ = lms.Course.objects.get_or_create(
        key=key, defaults={"display_name": name, "organization": "DemoX", **kwargs}
    )
    return course


def enroll(user, context_key: str = COURSE_KEY, *, active: bool = True) -> None:
    lms.Enrollment.objects.update_or_create(user=user, context_key=context_key, defaults={"is_active": active})


def set_completion(user, course: lms.Course, fraction: float) -> None:
    lms.Completion.objects.update_or_create(user=user, course=course, defaults={"fraction": fraction})


def set_grade(
    user, course: lms.Course, assessment_id: str, category: str, earned: float, possible: float = 1.0
) -> None:
    lms.AssessmentGrade.objects.update_or_create(
        user=user,
        course=course,
        assessment_id=assessment_id,
        defaults={"category": category, "earned": earned, "possible": possible},
    )


def list_assessment(course: lms.Course, assessment_id: str, category: str) -> None:
    """Put an assessment on the course's list of graded assessments (taken or not)."""
    lms.Assessment.objects.get_or_create(course=course, assessment_id=assessment_id, defaults={"category": category})


def configuration_form_data(*, context_key: str, credential_type_id: int, **overrides) -> dict:
    """What the configuration admin's change form posts: its fields and its inlines' empty management forms."""
    return {
        "learning_context_key": context_key,
        "credential_type": credential_type_id,
        "enabled": "on",
        "custom_options": "{}",
        "schedule_type": "interval",
        "interval_every": "1",
        "interval_period": "hours",
        "validity_unit": "months",
        "reminder_days": "60, 7",
        "crontab": "0 3 * * *",
        "credits-TOTAL_FORMS": 0,  # the credits sub-app's inline
        "credits-INITIAL_FORMS": 0,
        "language_templates-TOTAL_FORMS": 0,  # the PDF templates per language
        "language_templates-INITIAL_FORMS": 0,
        **overrides,
    }

"""Requests the verification page, its JSON and its short link of a credential, in the installed package.

Run by check_wheel.py in the host's virtualenv after `migrate`; exits non-zero with the reason.
"""

import io
import os
import sys
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms_host.settings")
django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.base import ContentFile  # noqa: E402
from django.test import Client  # noqa: E402
from opaque_keys.edx.keys import CourseKey  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

import learning_credentials  # noqa: E402
from learning_credentials.models import (  # noqa: E402
    Credential,
    CredentialAsset,
    CredentialConfiguration,
    CredentialType,
)


def fail(message: str) -> None:
    sys.exit(f"wheel check: {message}")


def template_pdf() -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(100, 700, "CERTIFICATE")
    canvas.save()
    return buffer.getvalue()


installed = Path(learning_credentials.__file__).resolve()
if "site-packages" not in installed.parts:
    fail(f"learning_credentials was imported from {installed}, not from the installed wheel")

user = get_user_model().objects.create_user("ada", "ada@example.org", "x")
CredentialAsset.objects.create(
    slug="certificate-template",
    kind=CredentialAsset.Kind.PDF_TEMPLATE,
    file=ContentFile(template_pdf(), name="template.pdf"),
)
credential_type = CredentialType.objects.create(
    name="Certificate of Completion",
    slug="completion",
    retrieval_func="course_completion",
    generation_func="pdf_credential",
    custom_options={"template": "certificate-template", "required_completion": 90},
)
configuration = CredentialConfiguration.objects.create(
    learning_context_key=CourseKey.from_string("course-v1:WheelX+W101+2026"), credential_type=credential_type
)
credential = Credential.objects.create(
    user=user,
    configuration=configuration,
    verification_code="WHEE1CHECK",
    learner_name="Ada Lovelace",
    context_name="Introduction to Computing",
    type_name=credential_type.name,
    status="available",
)

client = Client()
page = client.get(f"/learning_credentials/verify/{credential.verify_uuid}/")
if (
    page.status_code != 200
    or "Ada Lovelace" not in page.content.decode()
    or "Wheel Check University" not in page.content.decode()
):
    fail(f"the verification page answered {page.status_code} without the learner's name")
metadata = client.get(f"/api/learning_credentials/v1/metadata/{credential.verify_uuid}/")
if metadata.status_code != 200 or metadata.json().get("holder_name") != "Ada Lovelace":
    fail(f"the metadata API answered {metadata.status_code}: {metadata.content[:300]!r}")
short = client.get(f"/learning_credentials/v/{credential.verification_code}")
if short.status_code not in (301, 302) or str(credential.verify_uuid) not in short["Location"]:
    fail(f"the short link answered {short.status_code}")
apps = [app.split(".")[0] for app in settings.INSTALLED_APPS]
if "learning_credentials" not in apps or "django_celery_beat" not in apps:
    fail("edx-django-utils' plugin loader did not install the app and django-celery-beat")
print(f"wheel check: Django {django.get_version()}: verification page, metadata and short link served from {installed}")

"""The learner's certification pages on Open edX (the fakes): its enrollments and names, and the checkout
the operator's EXAMS CHECKOUT_URL names, as its adapter has no checkout of its own."""

import pytest
from django.test import Client
from opaque_keys.edx.keys import CourseKey

from learning_credentials.adapters import _load
from learning_credentials.exams.models import CertificationSettings
from tests.exams.conftest import make_pool

from .fakes import models

COURSE = CourseKey.from_string("course-v1:OpenedX+CERT101+2026")
PAGE = f"/learning_credentials/certification/{COURSE}/"


@pytest.fixture
def open_edx(openedx, settings):
    settings.LEARNING_CREDENTIALS = {
        **settings.LEARNING_CREDENTIALS,
        "ADAPTER": "learning_credentials.adapters.openedx.OpenEdxAdapter",
        "EXAMS": {"CHECKOUT_URL": "https://ecommerce.example/basket/add/?sku={context_key}&next={return_url}"},
    }
    _load.cache_clear()
    yield
    _load.cache_clear()


@pytest.fixture
def client(open_edx, learner, configuration):
    models.CourseOverview.objects.create(id=COURSE, display_name="Certified Data Science", display_org_with_default="X")
    models.CourseEnrollment.objects.create(user=learner, course_id=COURSE, mode="audit")
    CertificationSettings.objects.create(
        context_key=COURSE, enabled=True, configuration=configuration, price_amount="49.00", price_currency="USD"
    )
    make_pool(COURSE, 50)
    client = Client()
    client.force_login(learner)
    return client


@pytest.mark.django_db
def test_my_courses_lists_the_platform_s_enrollments(client):
    page = client.get("/learning_credentials/certification/").content.decode()
    assert "Certified Data Science" in page and "In progress" in page  # no completion on the platform yet


@pytest.mark.django_db
def test_pay_leads_to_the_checkout_the_setting_names(client):
    page = client.get(PAGE).content.decode()
    assert (
        'href="https://ecommerce.example/basket/add/?sku=course-v1%3AOpenedX%2BCERT101%2B2026'
        "&amp;next=http%3A%2F%2Ftestserver%2Flearning_credentials%2Fcertification%2F"
        'course-v1%3AOpenedX%2BCERT101%2B2026%2F">Pay 49.00 USD</a>'
    ) in page


@pytest.mark.django_db
def test_a_course_the_platform_does_not_enroll_the_learner_in_is_404(client):
    models.CourseEnrollment.objects.filter(course_id=COURSE).update(is_active=False)
    assert client.get(PAGE).status_code == 404

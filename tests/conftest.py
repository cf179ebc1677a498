import pytest

from learning_credentials.registry import generation_functions, retrieval_functions
from tests import factories


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LMS_ROOT_URL = "https://lms.example.com"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LEARNING_CREDENTIALS = {"ADAPTER": "sandbox.lms.adapter.SandboxAdapter"}


@pytest.fixture(autouse=True)
def _fresh_registries():
    yield
    retrieval_functions.clear_cache()
    generation_functions.clear_cache()


@pytest.fixture
def course(db):
    return factories.make_course()


@pytest.fixture
def template_asset(db):
    return factories.TemplateAssetFactory()


@pytest.fixture
def configuration(db, course, template_asset):
    return factories.ConfigurationFactory()


@pytest.fixture
def learner(db, course):
    user = factories.UserFactory(username="ada", profile__full_name="  Ada   Lovelace ")
    factories.enroll(user)
    return user


@pytest.fixture
def staff_user(db):
    return factories.UserFactory(username="staff", is_staff=True)

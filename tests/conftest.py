import sys
import textwrap

import pytest

from learning_credentials.registry import generation_functions, retrieval_functions
from tests import factories
from tests.publishing import celery_publishing


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LMS_ROOT_URL = "https://lms.example.com"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LEARNING_CREDENTIALS = {"ADAPTER": "sandbox.lms.adapter.SandboxAdapter"}
    # The sandbox reports every grade and completion change (issuing at once); tests about that turn it on.
    settings.SANDBOX_NOTIFY_PROGRESS = False


@pytest.fixture
def unreachable_broker():
    """A real broker address nobody listens on: publishing is refused, as when Redis is down."""
    with celery_publishing(broker_url="redis://127.0.0.1:1/0"):
        yield


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


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """Install a real distribution (dist-info with entry points) on sys.path, as pip would."""

    def install(module_source: str, entry_points: str, name: str = "lc_test_plugin"):
        (tmp_path / f"{name}.py").write_text(textwrap.dedent(module_source))
        dist = tmp_path / f"{name}-1.0.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        (dist / "entry_points.txt").write_text(textwrap.dedent(entry_points))
        monkeypatch.syspath_prepend(str(tmp_path))
        retrieval_functions.clear_cache()
        generation_functions.clear_cache()

    yield install
    sys.modules.pop("lc_test_plugin", None)

import sys
import textwrap

import pytest
from celery import current_app

from learning_credentials.registry import generation_functions, retrieval_functions
from tests import factories


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.LMS_ROOT_URL = "https://lms.example.com"
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.LEARNING_CREDENTIALS = {"ADAPTER": "sandbox.lms.adapter.SandboxAdapter"}
    # The sandbox reports every grade and completion change (issuing at once); tests about that turn it on.
    settings.SANDBOX_NOTIFY_PROGRESS = False


@pytest.fixture
def unreachable_broker(settings):
    """A real broker address nobody listens on: publishing is refused, as when Redis is down. Restored afterwards."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    app = current_app
    saved = app.conf.changes.get("broker_url")
    forget_connections(app)
    app.conf.changes["broker_url"] = "redis://127.0.0.1:1/0"
    yield
    app.conf.changes.pop("broker_url")
    if saved is not None:
        app.conf.changes["broker_url"] = saved
    forget_connections(app)


def forget_connections(app) -> None:
    """Drop the app's cached pools and queues: they stay bound to the broker they were opened for."""
    app._pool = None
    app.__dict__.pop("amqp", None)


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

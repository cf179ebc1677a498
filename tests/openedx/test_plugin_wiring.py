"""edx-django-utils' own plugin machinery finds the app, applies its settings and mounts its URLs, as the LMS does."""

import sys
from types import ModuleType

import pytest
from django.urls import reverse
from edx_django_utils.plugins import add_plugins, get_plugin_apps, get_plugin_url_patterns

from learning_credentials.apps import LearningCredentialsConfig

from . import fakes

PROJECT_TYPE = "lms.djangoapp"
ADAPTER = "learning_credentials.adapters.openedx.OpenEdxAdapter"
SIGNALS_CONFIG = LearningCredentialsConfig.plugin_app["signals_config"][PROJECT_TYPE]


@pytest.fixture(autouse=True)
def _only_our_plugins(monkeypatch):
    fakes.only_our_plugins(monkeypatch)


@pytest.fixture
def lms_settings(monkeypatch) -> ModuleType:
    """A small LMS settings module with an operator's own LEARNING_CREDENTIALS, as add_plugins imports it."""
    module = ModuleType("fake_lms_settings")
    module.INSTALLED_APPS = ["django.contrib.auth", "learning_credentials.apps.LearningCredentialsConfig"]
    module.LEARNING_CREDENTIALS = {"BASE_URL": "https://lms.example.org", "EMAIL_ENABLED": False}
    monkeypatch.setitem(sys.modules, module.__name__, module)
    return module


def test_the_lms_entry_point_makes_it_a_plugin_app():
    assert "learning_credentials.apps.LearningCredentialsConfig" in get_plugin_apps(PROJECT_TYPE)


@pytest.mark.parametrize("settings_type", ["common", "production", "test"])
def test_settings_default_the_adapter_and_install_celery_beat(lms_settings, settings_type):
    add_plugins(lms_settings.__name__, PROJECT_TYPE, settings_type)
    assert lms_settings.INSTALLED_APPS.count("django_celery_beat") == 1
    assert lms_settings.LEARNING_CREDENTIALS == {
        "ADAPTER": ADAPTER,
        "BASE_URL": "https://lms.example.org",
        "EMAIL_ENABLED": False,
    }


def test_settings_keep_the_operators_adapter_and_celery_beat(lms_settings):
    lms_settings.LEARNING_CREDENTIALS = {"ADAPTER": "my_lms.adapters.Adapter"}
    lms_settings.INSTALLED_APPS.append("django_celery_beat.apps.BeatConfig")
    add_plugins(lms_settings.__name__, PROJECT_TYPE, "common")
    assert lms_settings.LEARNING_CREDENTIALS == {"ADAPTER": "my_lms.adapters.Adapter"}
    assert "django_celery_beat" not in lms_settings.INSTALLED_APPS


def test_production_settings_apply_the_yaml_over_the_python_settings(lms_settings):
    lms_settings.ENV_TOKENS = {"LEARNING_CREDENTIALS": {"BASE_URL": "https://yaml.example.org", "CHUNK_SIZE": 50}}
    add_plugins(lms_settings.__name__, PROJECT_TYPE, "common")
    add_plugins(lms_settings.__name__, PROJECT_TYPE, "production")
    assert lms_settings.LEARNING_CREDENTIALS == {
        "ADAPTER": ADAPTER,
        "BASE_URL": "https://yaml.example.org",
        "EMAIL_ENABLED": False,
        "CHUNK_SIZE": 50,
    }
    assert lms_settings.INSTALLED_APPS.count("django_celery_beat") == 1


def test_production_settings_restore_the_adapter_when_the_yaml_replaced_the_dict(lms_settings):
    add_plugins(lms_settings.__name__, PROJECT_TYPE, "common")
    lms_settings.LEARNING_CREDENTIALS = {"BASE_URL": "https://yaml.example.org"}
    add_plugins(lms_settings.__name__, PROJECT_TYPE, "production")
    assert lms_settings.LEARNING_CREDENTIALS == {"ADAPTER": ADAPTER, "BASE_URL": "https://yaml.example.org"}


def test_urls_are_mounted_at_the_root_under_the_namespace(monkeypatch):
    urlconf = ModuleType("fake_lms_urls")
    urlconf.urlpatterns = get_plugin_url_patterns(PROJECT_TYPE)
    monkeypatch.setitem(sys.modules, urlconf.__name__, urlconf)
    (pattern,) = [p for p in urlconf.urlpatterns if p.namespace == "learning_credentials"]
    assert pattern.urlconf_name.__name__ == "learning_credentials.urls"
    url = reverse("learning_credentials:verify", kwargs={"verify_uuid": "abc"}, urlconf=urlconf.__name__)
    assert url == "/learning_credentials/verify/abc/"


def test_signal_receivers_connect(monkeypatch):
    """edx-django-utils imports the configured module and connects what it lists; a missing one raises."""
    assert SIGNALS_CONFIG["relative_path"] == "handlers"
    fakes.install(monkeypatch)  # the platform's retirement signals
    fakes.connect_our_receivers(monkeypatch)
    for name in ("USER_RETIRE_LMS_CRITICAL", "USER_RETIRE_LMS_MISC"):
        assert getattr(fakes.retirement, name).has_listeners()

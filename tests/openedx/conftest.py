"""Fixtures of the Open edX adapter tests: the fakes of edx-platform and its plugins, and their tables."""

import pytest
from django.db import connection

from . import fakes
from .fakes import models


@pytest.fixture(scope="package")
def _fake_tables(django_db_setup, django_db_blocker):
    """Tables of the fake models, for this package only: later tests may flush or truncate auth_user."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in models.ALL:
            editor.create_model(model)
    yield
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        for model in reversed(models.ALL):
            editor.delete_model(model)


@pytest.fixture
def openedx(monkeypatch, _fake_tables, db):
    """edx-platform with the completion aggregator and learning-paths plugins, empty."""
    fakes.install(monkeypatch)
    fakes.reset()
    yield
    fakes.reset()

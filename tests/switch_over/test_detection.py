"""Detection in-process: our own database is never taken for the plugin's; its files beside ours are a warning."""

from importlib import metadata
from pathlib import Path

import pytest
from django.core import checks

from learning_credentials.checks import check_openedx_plugin
from learning_credentials.switch_over import detection


@pytest.mark.django_db
def test_our_own_tables_are_not_the_plugin_s():
    found = detection.plugin_database()
    assert (found.found, found.switching) == (False, False)
    assert [m.id for m in check_openedx_plugin()] == []


class FakeDistribution:
    """The plugin's distribution as importlib.metadata describes it: a RECORD of files in a folder."""

    def __init__(self, root: Path, files: list[str]):
        self.root, self.files = root, [metadata.PackagePath(name) for name in files]

    def locate_file(self, path) -> Path:
        return self.root / path


def test_the_plugin_s_files_in_our_folder_are_a_warning_that_says_what_to_run(monkeypatch, tmp_path):
    (tmp_path / "learning_credentials").mkdir()
    (tmp_path / "learning_credentials" / "processors.py").write_text("")
    plugin = FakeDistribution(tmp_path, ["learning_credentials/processors.py", "learning_credentials/gone.py"])
    real = metadata.distribution
    monkeypatch.setattr(
        detection.metadata,
        "distribution",
        lambda name: plugin if name == detection.PLUGIN_DISTRIBUTION else real(name),
    )
    monkeypatch.setattr(detection, "plugin_database_or_none", lambda: None)
    (warning,) = check_openedx_plugin()
    assert warning.level == checks.WARNING and warning.id == "learning_credentials.W002"
    assert "learning_credentials/processors.py" in warning.msg and "gone.py" not in warning.msg
    assert "pip uninstall learning-credentials" in warning.hint

"""Fixtures of the switch-over tests: old sites built by the open-craft plugin 0.5.3 itself (harness.py).

- ``old_site`` (per test): a new database on the engine the suite runs on (SQLite by default; PostgreSQL or
  MariaDB when DATABASE_URL says so), never the test database, holding what the plugin's migrations and
  old_site/seed.py made, with its files in a media folder of the test's own; an OldSite (database_url,
  media_root, manifest, vendor, database_name, connect()). Dropped after the test.
  It is a copy of one seeded per session where the engine copies exactly (SQLite's file, PostgreSQL's
  TEMPLATE), and seeded anew on MariaDB (about 5 s).
- ``old_site_template`` (per session): that seeded site; tests must not change it.
- ``openedx_plugin_python`` (per session): the plugin's virtualenv, built with `make openedx-plugin-venv`.
  If it cannot be built, the tests fail (they never skip) and say why.

Run our side against an old site with ``harness.run_ours(site.database_url, "check", media_root=site.media_root)``.
"""

import pytest

from tests.switch_over import harness


@pytest.fixture(scope="session")
def openedx_plugin_python():
    try:
        return harness.build_plugin_virtualenv()
    except harness.HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def old_site_template(openedx_plugin_python, tmp_path_factory):
    server = harness.Server.current()
    try:
        site = harness.seed(server, tmp_path_factory.mktemp("old-site-template"), openedx_plugin_python)
    except harness.HarnessError as exc:
        pytest.fail(str(exc), pytrace=False)
    yield site
    server.drop(site.database_name)


@pytest.fixture
def old_site(request, tmp_path, openedx_plugin_python):
    server = harness.Server.current()
    site = None
    if server.vendor != "mysql":
        site = server.copy(request.getfixturevalue("old_site_template"), tmp_path / "old-site")
    if site is None:
        try:
            site = harness.seed(server, tmp_path / "old-site", openedx_plugin_python)
        except harness.HarnessError as exc:
            pytest.fail(str(exc), pytrace=False)
    yield site
    server.drop(site.database_name)

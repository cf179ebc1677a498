"""What the switch-over tests run: the open-craft plugin's old site (its own virtualenv) and our sandbox's manage.py.

- ``build_plugin_virtualenv()``: `make openedx-plugin-venv` (.venv-openedx-plugin, requirements/
  openedx-plugin-0.5.3.txt), under a lock so that parallel sessions build it once.
- ``Server``: the database server the suite runs on (from its DATABASE_URL, through Django's settings):
  SQLite files, or a PostgreSQL or MariaDB server on which it creates and drops databases of its own.
- ``seed(...)``: runs old_site/seed.py into an empty database with the plugin's Python, isolated (``-I``: neither
  our repository nor PYTHONPATH on its sys.path), and returns the manifest it wrote (seed.py documents it).
- ``run_ours(database_url, *args, media_root=...)``: our sandbox's ``manage.py`` with our Python and the
  worktree's code, against that database and media folder, as an operator runs it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from learning_credentials.switch_over import detection

REPO = Path(__file__).resolve().parents[2]
OLD_SITE = Path(__file__).resolve().parent / "old_site"
PLUGIN_VENV = REPO / ".venv-openedx-plugin"
PLUGIN_PYTHON = PLUGIN_VENV / "bin" / "python"
PLUGIN_STAMP = ".venv-openedx-plugin/.make-stamps/openedx-plugin-0.5.3"
PLUGIN_MIGRATIONS = ["0001_initial", *detection.PLUGIN_MIGRATIONS]  # what the plugin's own migrate applies


class HarnessError(Exception):
    """The old site could not be built: the message says what failed and what it printed."""


def _tail(text: str, size: int = 4000) -> str:
    return text[-size:] if text else ""


def build_plugin_virtualenv() -> Path:
    """The plugin's virtualenv, built by the Makefile's target (a no-op once up to date); its Python."""
    lock_path = (
        Path(tempfile.gettempdir()) / f"lc-openedx-plugin-venv-{hashlib.sha1(bytes(REPO)).hexdigest()[:12]}.lock"
    )
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            result = subprocess.run(
                ["make", "--no-print-directory", "-C", str(REPO), PLUGIN_STAMP],
                capture_output=True,
                text=True,
                timeout=1800,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HarnessError(f"`make openedx-plugin-venv` could not run: {exc}") from exc
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    if result.returncode != 0 or not PLUGIN_PYTHON.exists():
        raise HarnessError(
            "the open-craft plugin's virtualenv could not be built (`make openedx-plugin-venv` failed; it installs "
            "requirements/openedx-plugin-0.5.3.txt from the package index):\n"
            f"{_tail(result.stdout)}{_tail(result.stderr)}"
        )
    return PLUGIN_PYTHON


@dataclass
class OldSite:
    """One old site: its database (URL for dj-database-url), its MEDIA_ROOT and what the seed made."""

    database_url: str
    media_root: Path
    manifest: dict
    vendor: str
    database_name: str

    def connect(self):
        """A DB-API connection to the old site's database, from our process (no Django models)."""
        return Server.for_vendor(self.vendor).connect(self.database_name)


@dataclass
class Server:
    """The database server of the suite's engine; credentials from Django's settings of the default database."""

    vendor: str
    settings: dict

    @classmethod
    def current(cls) -> Server:
        from django.db import connections

        connection = connections["default"]
        return cls(connection.vendor, dict(connection.settings_dict))

    @classmethod
    def for_vendor(cls, vendor: str) -> Server:
        server = cls.current()
        if server.vendor != vendor:
            raise HarnessError(f"the suite runs on {server.vendor}, not {vendor}")
        return server

    def new_database_name(self, directory: Path) -> str:
        if self.vendor == "sqlite":
            return str(directory / f"old-site-{secrets.token_hex(4)}.sqlite3")
        return f"lc_switch_{secrets.token_hex(6)}"

    def url(self, name: str) -> str:
        if self.vendor == "sqlite":
            return f"sqlite:///{name}"
        scheme = {"postgresql": "postgres", "mysql": "mysql"}[self.vendor]
        user = quote(self.settings.get("USER") or "", safe="")
        password = self.settings.get("PASSWORD") or ""
        credentials = f"{user}:{quote(password, safe='')}" if password else user
        host = self.settings.get("HOST") or "127.0.0.1"
        port = self.settings.get("PORT")
        return f"{scheme}://{credentials}@{host}{f':{port}' if port else ''}/{name}"

    def connect(self, name: str | None = None):
        """A DB-API connection to database ``name`` (None: the server's maintenance database), autocommitting."""
        if self.vendor == "sqlite":
            return sqlite3.connect(name, isolation_level=None)
        host = self.settings.get("HOST") or "127.0.0.1"
        port = self.settings.get("PORT")
        if self.vendor == "postgresql":
            import psycopg

            return psycopg.connect(
                host=host,
                port=port or None,
                user=self.settings.get("USER") or None,
                password=self.settings.get("PASSWORD") or None,
                dbname=name or "postgres",
                autocommit=True,
            )
        import MySQLdb

        options = {"db": name} if name else {}
        connection = MySQLdb.connect(
            host=host,
            port=int(port or 3306),
            user=self.settings.get("USER") or "root",
            password=self.settings.get("PASSWORD") or "",
            charset="utf8mb4",
            **options,
        )
        connection.autocommit(True)
        return connection

    def _execute(self, sql: str) -> None:
        connection = self.connect()
        try:
            connection.cursor().execute(sql)
        finally:
            connection.close()

    def create(self, name: str, template: str | None = None) -> None:
        """An empty database (PostgreSQL: a copy of ``template``, if given); SQLite files need nothing."""
        if self.vendor == "postgresql":
            self._execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        elif self.vendor == "mysql":
            self._execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")

    def drop(self, name: str) -> None:
        if self.vendor == "sqlite":
            Path(name).unlink(missing_ok=True)
        elif self.vendor == "postgresql":
            self._execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            self._execute(f"DROP DATABASE IF EXISTS `{name}`")

    def copy(self, site: OldSite, directory: Path) -> OldSite | None:
        """A copy of a seeded old site, database and files, where the engine copies exactly (SQLite's file,
        PostgreSQL's TEMPLATE); None on MariaDB, which has no such copy (seed a new one instead)."""
        if self.vendor == "mysql":
            return None
        directory.mkdir(parents=True, exist_ok=True)
        name = self.new_database_name(directory)
        if self.vendor == "sqlite":
            shutil.copyfile(site.database_name, name)
        else:
            self.create(name, template=site.database_name)
        media_root = directory / "old-media"
        shutil.copytree(site.media_root, media_root)
        manifest = json.loads(json.dumps(site.manifest))
        manifest["media_root"] = str(media_root)
        return OldSite(self.url(name), media_root, manifest, self.vendor, name)


def seed(server: Server, directory: Path, python: Path) -> OldSite:
    """A new database on ``server``, migrated and filled by the plugin (old_site/seed.py); files in ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    name = server.new_database_name(directory)
    server.create(name)
    media_root = directory / "old-media"
    manifest_path = directory / "old-site-manifest.json"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(directory),
        "LANG": "C.UTF-8",
        "DATABASE_URL": server.url(name),
        "MEDIA_ROOT": str(media_root),
    }
    try:
        result = subprocess.run(
            [str(python), "-I", str(OLD_SITE / "seed.py"), str(manifest_path)],
            cwd=OLD_SITE,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
    except subprocess.TimeoutExpired as exc:
        server.drop(name)
        raise HarnessError(f"the old site's seed did not finish: {exc}") from exc
    if result.returncode != 0:
        server.drop(name)
        raise HarnessError(
            f"the old site's seed failed ({server.vendor}):\n{_tail(result.stdout)}{_tail(result.stderr)}"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    return OldSite(server.url(name), media_root, manifest, server.vendor, name)


def run_ours(
    database_url: str,
    *args: str,
    media_root: Path | str,
    env: dict | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess:
    """``python example/manage.py *args`` with our Python and this worktree's code (sandbox settings), against
    ``database_url`` and ``media_root`` (LC_MEDIA_ROOT), as an operator runs it. Never raises on a failure:
    the test reads returncode, stdout and stderr."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "PYTHONPATH", "SANDBOX_TEST_DB", "DATABASE_URL", "LC_MEDIA_ROOT"}
    }
    environment.update(
        {
            "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "example")]),
            "DATABASE_URL": database_url,
            "LC_MEDIA_ROOT": str(media_root),
            "SANDBOX_FAST_PASSWORDS": "1",
            **(env or {}),
        }
    )
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO / "example",
        env=environment,
        capture_output=True,
        text=True,
        timeout=timeout,
    )

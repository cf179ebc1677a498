"""The old site the switch-over tests start from is the open-craft plugin's own: its migrations, its tables,
its rows, its files, on the engine the suite runs on; and our manage.py reaches the same database."""

import hashlib
import json
import uuid
from pathlib import Path

from tests.switch_over import harness

STATUSES = {"available", "generating", "error", "invalidated"}


def rows(site, sql):
    connection = site.connect()
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        return cursor.fetchall()
    finally:
        connection.close()


def test_the_plugin_from_its_own_virtualenv_migrated_the_database(old_site):
    plugin = old_site.manifest["plugin"]
    assert plugin["version"] == "0.5.3"
    assert Path(plugin["module_file"]).is_relative_to(harness.PLUGIN_VENV)
    assert old_site.manifest["vendor"] == old_site.vendor
    applied = [
        name
        for (name,) in rows(
            old_site, "SELECT name FROM django_migrations WHERE app = 'learning_credentials' ORDER BY id"
        )
    ]
    assert applied == harness.PLUGIN_MIGRATIONS == old_site.manifest["migrations"]["learning_credentials"]
    assert set(old_site.manifest["tables"]) == {
        "learning_credentials_credential",
        "learning_credentials_credentialasset",
        "learning_credentials_credentialconfiguration",
        "learning_credentials_credentialtype",
    }
    columns = {column["name"] for column in old_site.manifest["tables"]["learning_credentials_credential"]["columns"]}
    assert {"uuid", "verify_uuid", "user_id", "configuration_id", "invalidation_reason", "legacy_id"} <= columns


def test_the_tables_hold_what_the_manifest_lists(old_site):
    manifest = old_site.manifest
    for table, key in (
        ("learning_credentials_credentialtype", "types"),
        ("learning_credentials_credentialconfiguration", "configurations"),
        ("learning_credentials_credentialasset", "assets"),
        ("learning_credentials_credential", "credentials"),
    ):
        assert rows(old_site, f"SELECT COUNT(*) FROM {table}")[0][0] == len(manifest[key]), table

    stored = {
        uuid.UUID(str(row[0])): (uuid.UUID(str(row[1])), row[2], row[3], row[4], row[5])
        for row in rows(
            old_site,
            "SELECT uuid, verify_uuid, status, user_full_name, learning_context_key, invalidation_reason "
            "FROM learning_credentials_credential",
        )
    }
    for credential in manifest["credentials"]:
        assert stored[uuid.UUID(credential["uuid"])] == (
            uuid.UUID(credential["verify_uuid"]),
            credential["status"],
            credential["user_full_name"],
            credential["learning_context_key"],
            credential["invalidation_reason"],
        )
    assert {credential["status"] for credential in manifest["credentials"]} == STATUSES
    reasons = {credential["invalidation_reason"] for credential in manifest["credentials"]}
    assert "Reissued" in reasons
    assert "Name changed at the learner's request\nReissued" in reasons
    assert any(credential["legacy_id"] for credential in manifest["credentials"])
    assert any(len(asset["slug"]) > 50 for asset in manifest["assets"])
    assert any(
        str(configuration["learning_context_key"]).startswith("path-v1:")
        for configuration in manifest["configurations"]
    )

    tasks = {
        name: (task, bool(enabled))
        for name, task, enabled in rows(old_site, "SELECT name, task, enabled FROM django_celery_beat_periodictask")
    }
    for configuration in manifest["configurations"]:
        periodic_task = configuration["periodic_task"]
        assert tasks[periodic_task["name"]] == (periodic_task["task"], periodic_task["enabled"])
        assert periodic_task["task"] == "learning_credentials.tasks.generate_credentials_for_config_task"


def test_the_files_are_where_the_plugin_put_them(old_site):
    manifest = old_site.manifest
    files = [asset for asset in manifest["assets"]]
    files += [credential["file"] for credential in manifest["credentials"] if credential["file"]]
    assert len(files) > len(manifest["assets"])
    for record in files:
        content = (old_site.media_root / record["path"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == record["sha256"], record["path"]
    for credential in manifest["credentials"]:
        if credential["status"] == "available" and credential["file"]:
            assert credential["file"]["path"] == f"learning_credentials/{credential['uuid']}.pdf"
            assert credential["download_url"].endswith(credential["file"]["path"])
            assert (old_site.media_root / credential["file"]["path"]).read_bytes().startswith(b"%PDF-")


def test_our_manage_py_reaches_the_old_sites_database(old_site):
    script = (
        "import json, learning_credentials; from django.conf import settings; from django.db import connection; "
        "print('RESULT', json.dumps([learning_credentials.__file__, connection.vendor, "
        "connection.settings_dict['NAME'], str(settings.MEDIA_ROOT), "
        "'learning_credentials_credential' in connection.introspection.table_names()]))"
    )
    result = harness.run_ours(old_site.database_url, "shell", "-c", script, media_root=old_site.media_root)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    module_file, vendor, name, media_root, has_old_table = json.loads(line.removeprefix("RESULT "))
    assert Path(module_file).is_relative_to(harness.REPO / "learning_credentials")
    assert (vendor, name, media_root, has_old_table) == (
        old_site.vendor,
        old_site.database_name,
        str(old_site.media_root),
        True,
    )

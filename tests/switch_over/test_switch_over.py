"""The switch-over, end to end, on a database and media folder the open-craft plugin 0.5.3 made itself.

Run as an operator runs it (our manage.py in a subprocess), on the engine the suite runs on (SQLite;
PostgreSQL or MariaDB with DATABASE_URL): check and migrate stop first; the dry run writes nothing;
--apply, interrupted half-way and run again, ends with every old verification link answering our
metadata API with the same holder, course and status and every old file served byte for byte.
"""

import json
import shutil
import uuid
from pathlib import Path

import pytest

from learning_credentials.switch_over.detection import ARCHIVE_PREFIX, COMMAND
from tests.switch_over import harness

PLUGIN_TASK = "learning_credentials.tasks.generate_credentials_for_config_task"
# What our pages and API say of each of the plugin's statuses (its "Reissued" reason: superseded).
PUBLIC_STATUS = {"available": "valid", "invalidated": "revoked"}
# The old site's six configurations here (old_site/seed.py): scheduled as the plugin ran them, when they can be.
EXPECTED_CONFIGURATIONS = [
    ["course-v1:Acme+Partner+2025", "ACME Partner Badge", False, "every 1 hours", None],  # a third-party type
    ["course-v1:OpenCraft+BROKEN+2025", "Certificate of Completion", False, "every 10 days", None],  # no template
    ["course-v1:OpenCraft+DS101+2024", "Certificate of Achievement", True, "every 10 days", True],
    ["course-v1:OpenCraft+DS101+2024", "Certificate of Completion", False, "every 10 days", False],  # disabled
    ["course-v1:OpenCraft+PY200+2025", "Certificate of Completion", True, "30 2 * * *", True],  # crontab
    ["path-v1:OpenCraft+DataPath+2025+all", "Learning Path Certificate", False, "every 10 days", None],  # per-step
]
PROBE = """
import hashlib, json, os
from django.contrib.auth import get_user_model
from django.test import Client
from django_celery_beat.models import PeriodicTask
from learning_credentials.models import Credential, CredentialConfiguration

staff = get_user_model().objects.create_superuser("switch-over-staff", "staff@example.com", "pw")
anonymous, admin = Client(), Client()
admin.force_login(staff)
answers = {}
for item in json.loads(os.environ["PROBE_CREDENTIALS"]):
    metadata = anonymous.get(f"/api/learning_credentials/v1/metadata/{item['verify_uuid']}/")
    public_pdf = anonymous.get(f"/learning_credentials/verify/{item['verify_uuid']}/credential.pdf")
    download = admin.get(f"/learning_credentials/credentials/{item['uuid']}/download/")
    digest = lambda r: hashlib.sha256(b"".join(r.streaming_content)).hexdigest() if r.status_code == 200 else None
    answers[item["uuid"]] = {
        "metadata_status": metadata.status_code,
        "metadata": metadata.json() if metadata.status_code == 200 else None,
        "public_pdf": digest(public_pdf),
        "download": digest(download),
    }
print("RESULT " + json.dumps({
    "credentials": answers,
    "plugin_tasks": PeriodicTask.objects.filter(task__startswith="learning_credentials.tasks.").count(),
    "configurations": sorted(
        [
            str(c.learning_context_key), c.credential_type.name, c.enabled,
            c.crontab if c.schedule_type == "crontab" else f"every {c.interval_every} {c.interval_period}",
            c.periodic_task.enabled if c.periodic_task else None,
        ]
        for c in CredentialConfiguration.objects.select_related("credential_type", "periodic_task")
    ),
    "statuses": sorted(Credential.objects.values_list("status", flat=True)),
}))
"""


def run(site, *args, env=None):
    return harness.run_ours(site.database_url, *args, media_root=site.media_root, env=env)


def tables(site) -> set[str]:
    connection = site.connect()
    try:
        cursor = connection.cursor()
        if site.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        elif site.vendor == "postgresql":
            cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        else:
            cursor.execute("SHOW TABLES")
        return {row[0] for row in cursor.fetchall()}
    finally:
        connection.close()


def execute(site, sql: str) -> None:
    connection = site.connect()
    try:
        connection.cursor().execute(sql)
        if site.vendor != "sqlite":
            connection.commit()
    finally:
        connection.close()


def probe(site) -> dict:
    credentials = [{"uuid": c["uuid"], "verify_uuid": c["verify_uuid"]} for c in site.manifest["credentials"]]
    # Django's test Client calls itself "testserver"; the sandbox allows only its own address by default.
    environment = {"PROBE_CREDENTIALS": json.dumps(credentials), "ALLOWED_HOSTS": "testserver"}
    result = run(site, "shell", "-c", PROBE, env=environment)
    assert result.returncode == 0, result.stderr[-3000:]
    (line,) = [line for line in result.stdout.splitlines() if line.startswith("RESULT ")]
    return json.loads(line.removeprefix("RESULT "))


def report(result) -> str:
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_check_and_migrate_stop_and_name_the_command(old_site):
    before = tables(old_site)
    for args in (("check",), ("migrate",), ("migrate", "--skip-checks")):
        result = run(old_site, *args)
        assert result.returncode != 0, args
        said = result.stdout + result.stderr
        assert "open-craft plugin's learning_credentials data" in said and COMMAND in said, args
        assert "Traceback" not in said or "CommandError" in said
    assert tables(old_site) == before  # nothing migrated


def test_the_dry_run_reports_and_writes_nothing(old_site):
    before = tables(old_site)
    out = report(run(old_site, COMMAND))
    manifest = old_site.manifest
    assert "DRY RUN" in out
    for name, key in (("credential types", "types"), ("assets", "assets"), ("credentials", "credentials")):
        line = next(line for line in out.splitlines() if line.startswith(name))
        assert line.split()[-4:] == [str(len(manifest[key])), "0", "0", "0"], line
    assert "acme_plugin.retrieval.retrieve_custom is not one of the plugin's built-in functions" in out
    assert tables(old_site) == before


def test_apply_keeps_every_link_and_every_file(old_site, tmp_path):
    report_file = tmp_path / "report.json"
    out = report(run(old_site, COMMAND, "--apply", "--report", str(report_file)))
    assert "APPLIED" in out
    written = json.loads(report_file.read_text())
    manifest = old_site.manifest
    credentials = written["counts"]["credentials"]
    assert credentials["found"] == credentials["imported"] == len(manifest["credentials"])
    assert written["counts"]["assets"]["imported"] == len(manifest["assets"])
    assert {f"{ARCHIVE_PREFIX}credential", f"{ARCHIVE_PREFIX}credentialtype"} <= tables(old_site)

    # The operator's next step: the platform's own migrate, then check, both clean now.
    assert run(old_site, "migrate").returncode == 0
    check = run(old_site, "check")
    assert check.returncode == 0 and "E005" not in check.stdout + check.stderr
    assert_every_link_and_file(old_site)


def test_an_interrupted_switch_over_resumes(old_site):
    """Interrupted twice: in its DDL (an object holding an archive table's name) and in its imports (a file that
    cannot be read); each time the same command, run again once the cause is gone, continues and finishes."""
    blocker = f"{ARCHIVE_PREFIX}credentialtype"
    execute(old_site, f"CREATE VIEW {blocker} AS SELECT 1 AS x")
    first = run(old_site, COMMAND, "--apply")
    assert first.returncode != 0
    kept_aside = tables(old_site)
    assert f"{ARCHIVE_PREFIX}credential" in kept_aside and "learning_credentials_credentialtype" in kept_aside
    execute(old_site, f"DROP VIEW {blocker}")

    available = next(c for c in old_site.manifest["credentials"] if c["status"] == "available" and c["file"])
    pdf = Path(old_site.media_root) / available["file"]["path"]
    shutil.move(pdf, pdf.with_suffix(".moved"))
    pdf.mkdir()  # its name now opens a folder: the copy fails half-way through the imports
    second = run(old_site, COMMAND, "--apply")
    assert second.returncode != 0
    pdf.rmdir()
    shutil.move(pdf.with_suffix(".moved"), pdf)

    out = report(run(old_site, COMMAND, "--apply"))
    assert "plugin tables: kept aside" in out
    types_line = next(line for line in out.splitlines() if line.startswith("credential types"))
    assert types_line.split()[-3:] == ["0", str(len(old_site.manifest["types"])), "0"]  # imported by the second run
    assert run(old_site, "migrate").returncode == 0
    assert_every_link_and_file(old_site)


def assert_every_link_and_file(site) -> None:
    seen = probe(site)
    assert seen["plugin_tasks"] == 0  # none of the plugin's beat entries is left to fail
    assert seen["configurations"] == EXPECTED_CONFIGURATIONS
    assert len(seen["statuses"]) == len(site.manifest["credentials"])
    for old in site.manifest["credentials"]:
        answer = seen["credentials"][old["uuid"]]
        if old["status"] not in PUBLIC_STATUS:  # generating or error: never had a verifiable PDF
            assert answer["metadata_status"] == 404, old["label"]
            continue
        metadata = answer["metadata"]
        assert answer["metadata_status"] == 200, old["label"]
        assert uuid.UUID(metadata["verify_uuid"]) == uuid.UUID(old["verify_uuid"])
        assert (metadata["holder_name"], metadata["context_key"], metadata["context_name"]) == (
            old["user_full_name"],
            old["learning_context_key"],
            old["learning_context_name"],
        ), old["label"]
        assert metadata["issue_date"] == old["created"][:10], old["label"]  # the sandbox's time zone is UTC
        reissued = (old["invalidation_reason"] or "").strip().endswith("Reissued")
        expected = "superseded" if reissued else PUBLIC_STATUS[old["status"]]
        assert metadata["status"] == expected, old["label"]
        if old["file"]:
            assert answer["download"] == old["file"]["sha256"], old["label"]  # the very bytes, to staff
            if old["status"] == "available":
                assert answer["public_pdf"] == old["file"]["sha256"], old["label"]


@pytest.mark.parametrize("status", ["available", "invalidated"])
def test_the_manifest_has_credentials_with_files_in_both_public_statuses(old_site, status):
    """Guards the proof above: it compares files in both statuses only if the old site made them."""
    assert any(c["status"] == status and c["file"] for c in old_site.manifest["credentials"])


def test_an_asset_whose_file_is_gone_is_reported_and_what_uses_it_waits_for_staff(old_site, tmp_path):
    font = next(asset for asset in old_site.manifest["assets"] if asset["path"].endswith(".ttf"))
    (Path(old_site.media_root) / font["path"]).unlink()
    report_file = tmp_path / "report.json"
    report(run(old_site, COMMAND, "--apply", "--report", str(report_file)))
    written = json.loads(report_file.read_text())
    assert f"asset '{font['slug']}': its file {font['path']} is missing; not imported" in written["problems"]
    assert any("imported for staff to correct" in problem for problem in written["problems"])
    assert written["counts"]["credentials"]["imported"] == len(old_site.manifest["credentials"])
    assert run(old_site, "migrate").returncode == 0  # nothing enabled depends on what is missing

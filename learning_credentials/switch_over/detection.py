"""Recognising the open-craft plugin's database and files, so ``check`` and ``migrate`` stop before harm.

Django records migrations by app label and name; the plugin's ``0001_initial`` has our name, so
Django would believe ours applied and never create our tables. Its later migration names and its
tables' columns are its own: either is proof.
"""

from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from django.db import DatabaseError, connection

APP_LABEL = "learning_credentials"
COMMAND = "learning_credentials_switch_from_openedx_plugin"
# The distribution on the package index that ships the open-craft plugin.
PLUGIN_DISTRIBUTION = "learning-credentials"
# The plugin's migrations after its 0001_initial (learning-credentials 0.5.3); none is ours.
PLUGIN_MIGRATIONS = (
    "0002_migrate_to_learning_credentials",
    "0003_rename_certificates_to_credentials",
    "0004_replace_course_keys_with_learning_context_keys",
    "0005_rename_processors_and_generators",
    "0006_cleanup_openedx_certificates_tables",
    "0007_migrate_to_text_elements_format",
    "0008_validation",
    "0009_credential_user_fk",
    "0010_credential_configuration_fk",
)
# Its tables (the same names as ours) and the columns only its credential table has.
PLUGIN_TABLES = (
    "learning_credentials_credential",
    "learning_credentials_credentialconfiguration",
    "learning_credentials_credentialtype",
    "learning_credentials_credentialasset",
)
# Each of its tables told from ours by its columns: (a column only the plugin's has, a column only ours has).
PLUGIN_SIGNATURES = {
    "learning_credentials_credential": ("user_full_name", "learner_name"),
    "learning_credentials_credentialconfiguration": ("periodic_task_id", "schedule_type"),
    "learning_credentials_credentialtype": ("retrieval_func", "slug"),
    "learning_credentials_credentialasset": ("asset_slug", "kind"),
}
# Where the switch-over keeps the plugin's tables (their rows stay for as long as the operator wants).
ARCHIVE_PREFIX = "lc_openedx_plugin_"


def archive_name(table: str) -> str:
    return ARCHIVE_PREFIX + table.removeprefix(f"{APP_LABEL}_")


@dataclass(frozen=True)
class PluginDatabase:
    """What the database holds of the plugin: its migration records, its tables, and tables already kept aside."""

    migrations: tuple[str, ...]
    tables: tuple[str, ...]
    archived: tuple[str, ...]

    @property
    def found(self) -> bool:
        """The plugin's schema is still live: ``migrate`` must not run before the switch-over."""
        return bool(self.migrations or self.tables)

    @property
    def switching(self) -> bool:
        """Some of its tables were kept aside already: a switch-over started (and may need resuming)."""
        return bool(self.archived)


def _is_plugins(cursor, table: str) -> bool:
    theirs, ours = PLUGIN_SIGNATURES[table]
    columns = {column.name for column in connection.introspection.get_table_description(cursor, table)}
    return theirs in columns and ours not in columns


def plugin_database() -> PluginDatabase:
    """Read the migration records and the table shapes; nothing is written.

    A table counts as the plugin's only by its columns: ours have the same names.
    """
    with connection.cursor() as cursor:
        existing = set(connection.introspection.table_names(cursor))
        migrations = ()
        if "django_migrations" in existing:
            cursor.execute("SELECT name FROM django_migrations WHERE app = %s", [APP_LABEL])
            migrations = tuple(sorted({row[0] for row in cursor.fetchall()} & set(PLUGIN_MIGRATIONS)))
        tables = tuple(table for table in PLUGIN_TABLES if table in existing and _is_plugins(cursor, table))
        archived = tuple(table for table in PLUGIN_TABLES if archive_name(table) in existing)
    return PluginDatabase(migrations=migrations, tables=tables, archived=archived)


def plugin_database_or_none() -> PluginDatabase | None:
    """None when the database cannot be read (not configured, down, or not created yet)."""
    try:
        return plugin_database()
    except DatabaseError:
        return None


def stop_message(found: PluginDatabase) -> str:
    """Why ``migrate`` must not run, and what to run instead, in the operator's words."""
    proof = (
        f"its migrations {', '.join(found.migrations[:2])}{' ...' if len(found.migrations) > 2 else ''} are recorded"
        if found.migrations
        else f"its table {found.tables[0]} has the plugin's columns"
    )
    return (
        "This database holds the open-craft plugin's learning_credentials data (learning-credentials 0.5.x): "
        f"{proof}. Running migrate now would skip our tables. Back up the database, then run "
        f"'manage.py {COMMAND}' to see what the switch-over will do, and again with --apply."
    )


def plugin_files_installed() -> list[str]:
    """Files of the plugin's distribution that sit in our package folder (both install into ``learning_credentials``).

    Pip removes a distribution's recorded files on uninstall: with both installed, uninstalling
    either deletes files the other needs.
    """
    try:
        plugin = metadata.distribution(PLUGIN_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return []
    return sorted(
        str(path)
        for path in plugin.files or ()
        if path.parts and path.parts[0] == APP_LABEL and Path(plugin.locate_file(path)).exists()
    )

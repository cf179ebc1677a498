"""Writes of many credential rows at once, for the paths that handle a chunk of credentials together."""

import uuid
from collections.abc import Mapping
from datetime import date

from django.db import connections, router

from ..models import Credential, VerificationCount


def credentials_write(credentials: list[Credential], fields: list[str]) -> None:
    """Write ``fields`` of many (locked) credentials with one parameterised UPDATE run for every row.

    Django's ``bulk_update`` builds a CASE expression per row and field, which costs milliseconds
    per credential in Python; ``executemany`` sends the same statement with each row's values.
    """
    if not credentials:
        return
    meta = Credential._meta
    db = connections[router.db_for_write(Credential)]
    quote = db.ops.quote_name
    columns = [meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in columns)
    sql = f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s"
    rows = [
        [field.get_db_prep_save(getattr(credential, field.attname), db) for field in columns]
        + [meta.pk.get_db_prep_value(credential.pk, db)]
        for credential in credentials
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)


def verification_counts_add(totals: Mapping[tuple[str, str, date], int]) -> None:
    """Add counts to VerificationCount, ``{(credential hex, channel, day): count}``, with one upsert.

    ``INSERT ... ON CONFLICT ... DO UPDATE`` (SQLite, PostgreSQL) or ``ON DUPLICATE KEY UPDATE``
    (MariaDB, MySQL) adds to a row that exists. ``executemany`` sends it once for all rows (psycopg
    pipelines it, mysqlclient makes it one multi-row INSERT).
    """
    if not totals:
        return
    meta = VerificationCount._meta
    db = connections[router.db_for_write(VerificationCount)]
    quote = db.ops.quote_name
    table = quote(meta.db_table)
    fields = [meta.get_field(name) for name in ("credential", "channel", "day", "count")]
    columns = ", ".join(quote(field.column) for field in fields)
    count = quote(fields[-1].column)
    if db.vendor == "mysql":
        conflict = f"ON DUPLICATE KEY UPDATE {count} = {count} + VALUES({count})"
    else:
        keys = ", ".join(quote(field.column) for field in fields[:3])
        conflict = f"ON CONFLICT ({keys}) DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}"
    sql = f"INSERT INTO {table} ({columns}) VALUES (%s, %s, %s, %s) {conflict}"
    rows = [
        [
            fields[0].target_field.get_db_prep_value(uuid.UUID(credential_hex), db),
            channel,
            fields[2].get_db_prep_save(day, db),
            added,
        ]
        for (credential_hex, channel, day), added in sorted(totals.items())
    ]
    with db.cursor() as cursor:
        cursor.executemany(sql, rows)

"""Writes of many credential rows at once, for the paths that handle a chunk of credentials together."""

from django.db import connections, router

from ..models import Credential


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

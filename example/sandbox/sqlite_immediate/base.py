"""Django's SQLite backend whose transactions take the write lock when they begin (Django 4.2 only).

Django 5.1's ``OPTIONS["transaction_mode"] = "IMMEDIATE"`` does the same; concurrent writers then wait
for the lock (``timeout``) instead of failing when a read transaction tries to become a write.
"""

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def _start_transaction_under_autocommit(self):
        self.cursor().execute("BEGIN IMMEDIATE")

"""SQLite for the sandbox on Django 4.2: transactions begin IMMEDIATE, as ``transaction_mode`` does from 5.1."""

"""Reading the structured activity log (``learning_credentials.observability.log_activity``) in tests."""


def activity(caplog, action: str) -> list[dict]:
    """The fields of every activity line ``action`` that caplog captured."""
    return [
        record.learning_credentials
        for record in caplog.records
        if getattr(record, "learning_credentials", {}).get("action") == action
    ]

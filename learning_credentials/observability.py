"""Structured log lines: one per act on a credential (issue, generation, failure, retry, invalidation,
duplicate attempt) and per progress check, on the ``learning_credentials.activity`` logger.

Each line reads ``learning_credentials.<action> key=value ...`` so that it can be grepped as it is,
and carries the same fields in ``record.learning_credentials`` (a dict: ``action`` plus the fields)
for JSON formatters and log shippers. Common fields: ``credential`` (uuid), ``user_id``,
``configuration`` (id), ``context`` (learning context key), ``source``, ``duration_ms``.
"""

import json
import logging
import time
from typing import Any

log = logging.getLogger("learning_credentials.activity")


def log_activity(action: str, *, level: int = logging.INFO, **fields: Any) -> None:
    """Write one structured line; fields that are None are left out."""
    if not log.isEnabledFor(level):
        return
    fields = {key: _plain(value) for key, value in fields.items() if value is not None}
    pairs = " ".join(f"{key}={_quote(value)}" for key, value in fields.items())
    log.log(
        level,
        "learning_credentials.%s %s",
        action,
        pairs,
        extra={"learning_credentials": {"action": action, **fields}},
    )


def elapsed_ms(started: float) -> float:
    """Milliseconds since ``started`` (a ``time.monotonic()`` reading), rounded for logs."""
    return round((time.monotonic() - started) * 1000, 1)


def _plain(value: Any) -> Any:
    """JSON-friendly: keys, UUIDs, Decimals and other objects become strings."""
    if isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return str(value)


def _quote(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if not value or any(c in value for c in ' ="\n') else value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def log_credential_activity(action: str, credential: Any, *, level: int = logging.INFO, **fields: Any) -> None:
    """``log_activity`` for an act on one credential: its id, learner and configuration come first."""
    log_activity(
        action,
        level=level,
        credential=credential.pk,
        user_id=credential.user_id,
        configuration=credential.configuration_id,
        **fields,
    )

"""Deliveries to the app's signed webhooks, signed as a sender would (HMAC-SHA256 over ``<timestamp>.<body>``)."""

import hashlib
import hmac
import time


def sign(raw: bytes, timestamp: str, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + raw, hashlib.sha256).hexdigest()


def post_signed(client, url: str, raw: bytes, *, secret: str, timestamp=None, headers=None):
    """POST ``raw`` to ``url`` signed with ``secret`` now (or at ``timestamp``); ``headers`` override, "" drops one."""
    timestamp = str(int(time.time())) if timestamp is None else str(timestamp)
    sent = {
        "X-Learning-Credentials-Timestamp": timestamp,
        "X-Learning-Credentials-Signature": sign(raw, timestamp, secret),
        **(headers or {}),
    }
    return client.post(url, data=raw, content_type="application/json", headers={k: v for k, v in sent.items() if v})

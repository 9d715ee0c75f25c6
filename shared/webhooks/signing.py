"""Standard Webhooks signing: secrets, signatures and the headers of a message.

A secret is ``whsec_`` + base64 of 24-64 random bytes; the key is those bytes (the base64 after the
prefix, decoded). A message's signature is ``v1,`` + base64 of HMAC-SHA256(key,
``f"{webhook_id}.{timestamp}.{body}"``), the timestamp in Unix seconds of the attempt; while a
rotated-out secret's grace lasts the header carries both signatures, space separated. Receivers verify
it with any Standard Webhooks library (and refuse a timestamp far from their clock).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Sequence

PREFIX = "whsec_"
SECRET_BYTES = 32  # what a new secret holds (the specification allows 24-64)
MIN_SECRET_BYTES, MAX_SECRET_BYTES = 24, 64
USER_AGENT = "NovaVMS-Events-Webhooks/1.0"


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of :data:`SECRET_BYTES` random bytes."""
    return PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_key(secret: str) -> bytes:
    """The HMAC key of a secret (the bytes its base64 holds); ValueError for anything else."""
    if not secret.startswith(PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        key = base64.b64decode(secret[len(PREFIX) :], validate=True)
    except binascii.Error as exc:
        raise ValueError("a webhook secret is whsec_ and base64") from exc
    if not MIN_SECRET_BYTES <= len(key) <= MAX_SECRET_BYTES:
        raise ValueError(f"a webhook secret holds {MIN_SECRET_BYTES}-{MAX_SECRET_BYTES} bytes")
    return key


def signature(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` of a message: ``v1,<base64 HMAC-SHA256 of id.timestamp.body>``."""
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str | Sequence[str], webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """Every header of one attempt of a message; several secrets (during a rotation's grace: the new
    one, then the old) give one signature each, space separated."""
    secrets_ = (secret,) if isinstance(secret, str) else tuple(secret)
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": " ".join(signature(key, webhook_id, timestamp, body) for key in secrets_),
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }

"""The endpoints' signing secrets at rest: AES-256-GCM under ``EVENTS_WEBHOOK_SECRET_KEY``.

The key is the SHA-256 of that setting (at least 32 bytes); each secret is sealed with a fresh 96-bit
nonce, bound to its org and endpoint (the associated data), and stored as base64 of nonce +
ciphertext. A secret sealed for one endpoint cannot be opened as another's.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared.config import require, settings

NONCE_BYTES = 12


def _cipher() -> AESGCM:
    key = require(settings().webhook_secret_key, "EVENTS_WEBHOOK_SECRET_KEY")
    return AESGCM(hashlib.sha256(key).digest())


def _bound(org_id: str, endpoint_id: str) -> bytes:
    return f"{org_id}/{endpoint_id}".encode()


def seal(secret: str, org_id: str, endpoint_id: str) -> str:
    """The stored form of an endpoint's secret."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _cipher().encrypt(nonce, secret.encode(), _bound(org_id, endpoint_id))
    return base64.b64encode(nonce + sealed).decode()


def open_sealed(stored: str, org_id: str, endpoint_id: str) -> str:
    """The secret a :func:`seal` stored (``cryptography``'s InvalidTag when it was not sealed for this
    endpoint under this key)."""
    raw = base64.b64decode(stored)
    return _cipher().decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _bound(org_id, endpoint_id)).decode()

"""Tokens and keys for the local stack: HS256 dev tokens and a generated URL-signing key."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def mint_token(
    *,
    secret: str,
    issuer: str,
    audience: str,
    org_id: str,
    role: str,
    sub: str | None = None,
    site_ids: list[str] | None = None,
    ttl: int = 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """An HS256 token the local stack accepts; a negative ``ttl`` gives an already expired one."""
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": issuer,
        "aud": audience,
        "sub": sub or f"user-{role}-{uuid.uuid4().hex[:8]}",
        "iat": now if ttl > 0 else now + ttl - 60,
        "exp": now + ttl,
        "org_id": org_id,
        "role": role,
    }
    if role == "viewer" or site_ids is not None:
        claims["site_ids"] = list(site_ids or [])
    claims.update(extra or {})
    return jwt.encode(claims, secret, algorithm="HS256")


def write_signing_key(path: Path, project: str) -> Path:
    """Write a fresh service-account key file (RSA 2048) for signing media URLs locally."""
    if path.exists():
        return path
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "type": "service_account",
                "project_id": project,
                "private_key_id": uuid.uuid4().hex,
                "private_key": pem,
                "client_email": f"events-dev@{project}.iam.gserviceaccount.com",
                "client_id": "0",
                "token_uri": "https://oauth2.googleapis.com/token",
            }
        )
    )
    path.chmod(0o600)
    return path

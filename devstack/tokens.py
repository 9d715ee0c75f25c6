"""Tokens and keys for the local stack: HS256 dev tokens and a generated URL-signing key."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
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


def stack_token(
    org_id: str,
    role: str,
    *,
    env: Mapping[str, str] | None = None,
    sub: str | None = None,
    site_ids: list[str] | None = None,
    ttl: int = 3600,
    extra: dict[str, Any] | None = None,
) -> str:
    """A token a stack accepts: signed with its ``EVENTS_JWT_DEV_SECRET`` for its
    ``EVENTS_JWT_ISSUER`` and ``EVENTS_JWT_AUDIENCE``, taken from ``env`` (the settings a test or
    benchmark stack was given) or, without it, from the settings in force."""
    if env is None:
        from shared.config import require, settings

        config = settings()
        secret = require(config.jwt_dev_secret, "EVENTS_JWT_DEV_SECRET")
        issuer = require(config.jwt_issuer, "EVENTS_JWT_ISSUER")
        audience = require(config.jwt_audience, "EVENTS_JWT_AUDIENCE")
    else:
        secret, issuer, audience = (
            env["EVENTS_JWT_DEV_SECRET"],
            env["EVENTS_JWT_ISSUER"],
            env["EVENTS_JWT_AUDIENCE"],
        )
    return mint_token(
        secret=secret,
        issuer=issuer,
        audience=audience,
        org_id=org_id,
        role=role,
        sub=sub,
        site_ids=site_ids,
        ttl=ttl,
        extra=extra,
    )


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

"""Settings of the service, read once from the environment.

Every environment variable the functions read is declared here, with its default; the README's
configuration table lists the same names. Call :func:`settings` (cached); tests that change the
environment call ``settings.cache_clear()``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

from shared.errors import ConfigurationError

MAX_JWT_LEEWAY_SECONDS = 30


@dataclass(frozen=True)
class Settings:
    """The service's configuration (see the README's table for each variable)."""

    project: str | None
    database: str
    jwt_issuer: str
    jwt_audience: str
    jwt_jwks_url: str | None
    jwt_dev_secret: str | None
    jwt_leeway_seconds: int
    forwarded_auth: bool
    pinned_org: str | None
    cursor_key: bytes
    media_bucket: str | None
    export_bucket: str | None
    signing_key_file: str | None
    signed_url_ttl_seconds: int
    export_max_rows: int


def _int(name: str, default: int, low: int, high: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name} must be an integer, got {raw!r}") from exc
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _str(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or default


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


@cache
def settings() -> Settings:
    """Read and validate the configuration; raises ConfigurationError when it is unusable."""
    jwks_url = _str("EVENTS_JWT_JWKS_URL")
    dev_secret = _str("EVENTS_JWT_DEV_SECRET")
    if not jwks_url and not dev_secret:
        raise ConfigurationError("set EVENTS_JWT_JWKS_URL (production) or EVENTS_JWT_DEV_SECRET (local)")
    issuer = _str("EVENTS_JWT_ISSUER")
    audience = _str("EVENTS_JWT_AUDIENCE")
    if not issuer or not audience:
        raise ConfigurationError("EVENTS_JWT_ISSUER and EVENTS_JWT_AUDIENCE must be set")
    cursor_key = _str("EVENTS_CURSOR_KEY")
    if not cursor_key or len(cursor_key) < 16:
        raise ConfigurationError("EVENTS_CURSOR_KEY must be set to a secret of at least 16 characters")
    return Settings(
        project=_str("GOOGLE_CLOUD_PROJECT"),
        database=_str("EVENTS_FIRESTORE_DATABASE", "(default)") or "(default)",
        jwt_issuer=issuer,
        jwt_audience=audience,
        jwt_jwks_url=jwks_url,
        jwt_dev_secret=None if jwks_url else dev_secret,
        jwt_leeway_seconds=_int("EVENTS_JWT_LEEWAY_SECONDS", 30, 0, MAX_JWT_LEEWAY_SECONDS),
        forwarded_auth=_bool("EVENTS_FORWARDED_AUTH", False),
        pinned_org=_str("EVENTS_PINNED_ORG"),
        cursor_key=cursor_key.encode(),
        media_bucket=_str("EVENTS_MEDIA_BUCKET"),
        export_bucket=_str("EVENTS_EXPORT_BUCKET"),
        signing_key_file=_str("EVENTS_SIGNING_KEY_FILE"),
        signed_url_ttl_seconds=_int("EVENTS_SIGNED_URL_TTL_SECONDS", 900, 60, 7 * 24 * 3600),
        export_max_rows=_int("EVENT_EXPORT_MAX_ROWS", 10000, 1, 1_000_000),
    )

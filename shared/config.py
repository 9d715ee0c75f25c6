"""Settings of the service, read once from the environment.

Every environment variable the functions read is declared here, with its default; the README's
configuration table lists the same names. Call :func:`settings` (cached); tests that change the
environment call ``settings.cache_clear()``. Values a function needs are checked with
:func:`require` where they are used.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from shared.errors import ConfigurationError

MAX_JWT_LEEWAY_SECONDS = 30
GOOGLE_OIDC_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"
T = TypeVar("T")
MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """The service's configuration (see the README's table for each variable)."""

    project: str | None
    database: str
    jwt_issuer: str | None
    jwt_audience: str | None
    jwt_jwks_url: str | None
    jwt_dev_secret: str | None
    jwt_leeway_seconds: int
    forwarded_auth: bool
    pinned_org: str | None
    ingest_topic: str
    pubsub_emulator_host: str | None
    cursor_key: bytes | None
    media_bucket: str | None
    export_bucket: str | None
    signing_key_file: str | None
    url_signer: str
    signing_hmac_access_id: str | None
    signing_hmac_secret: str | None
    upload_hmac_access_id: str | None
    upload_hmac_secret: str | None
    signed_url_ttl_seconds: int
    export_max_rows: int
    scheduled_export_max_rows: int
    scheduler_service_account: str | None
    scheduler_audience: str | None
    scheduler_certs_url: str
    scheduler_verify_signature: bool
    cors_origins: frozenset[str]
    store_deadline_seconds: float
    api_key_prefix: str
    api_key_secret: bytes | None
    auth_failures_per_minute: int
    forwarded_for_position: int
    rate_limit_per_minute: int
    rate_limit_key_share_percent: int
    key_cache_seconds: int
    store_cost_header: bool
    batch_max_events: int
    count_cap: int
    count_cache_seconds: int
    search_scan_cap: int
    max_keys_per_org: int
    changes_retention_seconds: int
    changes_settle_seconds: int
    ingest_rate_limit_per_minute: int
    ingest_max_body_bytes: int
    webhook_max_endpoints: int
    webhook_secret_key: bytes | None
    webhook_timeout_seconds: int
    webhook_retry_schedule: tuple[int, ...]
    webhook_allow_loopback: bool
    webhook_queue: str | None
    webhook_deliver_url: str | None
    webhook_tasks_account: str | None
    webhook_local_runner: str | None
    webhook_disable_after_seconds: int
    stream_heartbeat_seconds: int
    stream_max_seconds: int
    stream_max_per_org: int
    stream_ticket_seconds: int


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


def _str(name: str) -> str | None:
    return os.environ.get(name, "").strip() or None


def _bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise ConfigurationError(f"{name} must be true or false, got {raw!r}")


API_KEY_PREFIXES = ("sk_live_", "sk_test_")


URL_SIGNERS = ("hmac", "iam", "key-file")


def _url_signer() -> str:
    """``EVENTS_URL_SIGNER``, or the one the other settings imply: hmac, else key-file, else iam."""
    chosen = _str("EVENTS_URL_SIGNER")
    if chosen is None:
        if _str("EVENTS_SIGNING_HMAC_ACCESS_ID"):
            return "hmac"
        return "key-file" if _str("EVENTS_SIGNING_KEY_FILE") else "iam"
    if chosen not in URL_SIGNERS:
        raise ConfigurationError(f"EVENTS_URL_SIGNER must be one of {', '.join(URL_SIGNERS)}")
    return chosen


def _key_prefix() -> str:
    prefix = _str("EVENTS_API_KEY_PREFIX") or API_KEY_PREFIXES[0]
    if prefix not in API_KEY_PREFIXES:
        raise ConfigurationError(f"EVENTS_API_KEY_PREFIX must be one of {', '.join(API_KEY_PREFIXES)}")
    return prefix


def _topic(name: str, default: str) -> str:
    """A Pub/Sub topic id: 3-255 letters, digits and ``-_.~+%``, starting with a letter, not ``goog``."""
    topic = _str(name) or default
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9._~+%-]{2,254}", topic) or topic.lower().startswith("goog"):
        raise ConfigurationError(f"{name} must be a Pub/Sub topic id, got {topic!r}")
    return topic


DEFAULT_RETRY_SCHEDULE = "5,300,1800,7200,18000,36000,50400,72000,86400"  # Standard Webhooks' example
MAX_RETRY_DELAY_SECONDS = 86_400


def _retry_schedule() -> tuple[int, ...]:
    """``EVENTS_WEBHOOK_RETRY_SCHEDULE``: the delays (seconds, each after the previous attempt) of the
    retries of a failed webhook delivery; empty items are not allowed, at most 20 delays of 0-86400."""
    raw = _str("EVENTS_WEBHOOK_RETRY_SCHEDULE") or DEFAULT_RETRY_SCHEDULE
    try:
        delays = tuple(int(item) for item in raw.split(","))
    except ValueError as exc:
        raise ConfigurationError(
            f"EVENTS_WEBHOOK_RETRY_SCHEDULE must be comma-separated seconds, got {raw!r}"
        ) from exc
    if len(delays) > 20 or not all(0 <= delay <= MAX_RETRY_DELAY_SECONDS for delay in delays):
        raise ConfigurationError(
            f"EVENTS_WEBHOOK_RETRY_SCHEDULE must be at most 20 delays of 0-{MAX_RETRY_DELAY_SECONDS} s"
        )
    return delays


def _webhook_secret_key() -> bytes | None:
    """``EVENTS_WEBHOOK_SECRET_KEY``: the key (at least 32 bytes) the endpoints' signing secrets are
    encrypted under (its SHA-256 is the AES-256-GCM key)."""
    raw = _str("EVENTS_WEBHOOK_SECRET_KEY")
    if raw is not None and len(raw.encode()) < 32:
        raise ConfigurationError("EVENTS_WEBHOOK_SECRET_KEY must be a secret of at least 32 bytes")
    return raw.encode() if raw else None


def require(value: T | None, variable: str) -> T:
    """``value``, or a ConfigurationError naming the unset ``variable`` (checked where it is needed,
    so a function only demands the settings it uses)."""
    if value is None:
        raise ConfigurationError(f"{variable} must be set")
    return value


@cache
def settings() -> Settings:
    """Read and validate the configuration; raises ConfigurationError when a value is malformed."""
    jwks_url = _str("EVENTS_JWT_JWKS_URL")
    cursor_key = _str("EVENTS_CURSOR_KEY")
    if cursor_key is not None and len(cursor_key) < 16:
        raise ConfigurationError("EVENTS_CURSOR_KEY must be a secret of at least 16 characters")
    api_key_secret = _str("EVENTS_API_KEY_SECRET")
    if api_key_secret is not None and len(api_key_secret) < 16:
        raise ConfigurationError("EVENTS_API_KEY_SECRET must be a secret of at least 16 characters")
    return Settings(
        project=_str("GOOGLE_CLOUD_PROJECT"),
        database=_str("EVENTS_FIRESTORE_DATABASE") or "(default)",
        jwt_issuer=_str("EVENTS_JWT_ISSUER"),
        jwt_audience=_str("EVENTS_JWT_AUDIENCE"),
        jwt_jwks_url=jwks_url,
        jwt_dev_secret=None if jwks_url else _str("EVENTS_JWT_DEV_SECRET"),
        jwt_leeway_seconds=_int("EVENTS_JWT_LEEWAY_SECONDS", 30, 0, MAX_JWT_LEEWAY_SECONDS),
        forwarded_auth=_bool("EVENTS_FORWARDED_AUTH", False),
        pinned_org=_str("EVENTS_PINNED_ORG"),
        ingest_topic=_topic("EVENTS_INGEST_TOPIC", "events-ingest"),
        pubsub_emulator_host=_str("PUBSUB_EMULATOR_HOST"),
        cursor_key=cursor_key.encode() if cursor_key else None,
        media_bucket=_str("EVENTS_MEDIA_BUCKET"),
        export_bucket=_str("EVENTS_EXPORT_BUCKET"),
        signing_key_file=_str("EVENTS_SIGNING_KEY_FILE"),
        url_signer=_url_signer(),
        signing_hmac_access_id=_str("EVENTS_SIGNING_HMAC_ACCESS_ID"),
        signing_hmac_secret=_str("EVENTS_SIGNING_HMAC_SECRET"),
        upload_hmac_access_id=_str("EVENTS_UPLOAD_HMAC_ACCESS_ID"),
        upload_hmac_secret=_str("EVENTS_UPLOAD_HMAC_SECRET"),
        signed_url_ttl_seconds=_int("EVENTS_SIGNED_URL_TTL_SECONDS", 900, 60, 7 * 24 * 3600),
        export_max_rows=_int("EVENT_EXPORT_MAX_ROWS", 10000, 1, 1_000_000),
        scheduled_export_max_rows=_int("EVENTS_SCHEDULED_EXPORT_MAX_ROWS", 1_000_000, 1, 100_000_000),
        scheduler_service_account=_str("EVENTS_SCHEDULER_SERVICE_ACCOUNT"),
        scheduler_audience=_str("EVENTS_SCHEDULER_AUDIENCE"),
        scheduler_certs_url=_str("EVENTS_SCHEDULER_CERTS_URL") or GOOGLE_OIDC_CERTS_URL,
        scheduler_verify_signature=_bool("EVENTS_SCHEDULER_VERIFY_SIGNATURE", True),
        store_deadline_seconds=float(_int("EVENTS_STORE_DEADLINE_SECONDS", 10, 1, 60)),
        api_key_prefix=_key_prefix(),
        api_key_secret=api_key_secret.encode() if api_key_secret else None,
        auth_failures_per_minute=_int("EVENTS_AUTH_FAILURES_PER_MINUTE", 60, 1, 1_000_000),
        forwarded_for_position=_int("EVENTS_FORWARDED_FOR_POSITION", 2, 1, 10),
        rate_limit_per_minute=_int("EVENTS_RATE_LIMIT_PER_MINUTE", 600, 1, 1_000_000),
        rate_limit_key_share_percent=_int("EVENTS_RATE_LIMIT_KEY_SHARE", 50, 1, 100),
        key_cache_seconds=_int("EVENTS_KEY_CACHE_SECONDS", 30, 0, 60),
        store_cost_header=_bool("EVENTS_STORE_COST_HEADER", False),
        batch_max_events=_int("EVENTS_BATCH_MAX_EVENTS", 1000, 1, 10_000),
        count_cap=_int("EVENTS_COUNT_CAP", 10_000, 1, 1_000_000),
        count_cache_seconds=_int("EVENTS_COUNT_CACHE_SECONDS", 5, 0, 30),
        search_scan_cap=_int("EVENTS_SEARCH_SCAN_CAP", 5000, 1, 100_000),
        max_keys_per_org=_int("EVENTS_MAX_KEYS_PER_ORG", 100, 1, 10_000),
        changes_retention_seconds=_int("EVENTS_CHANGES_RETENTION_SECONDS", 604_800, 1, 30 * 24 * 3600),
        changes_settle_seconds=_int("EVENTS_CHANGES_SETTLE_SECONDS", 2, 0, 60),
        ingest_rate_limit_per_minute=_int("EVENTS_INGEST_RATE_LIMIT_PER_MINUTE", 6000, 1, 10_000_000),
        ingest_max_body_bytes=_int("EVENTS_INGEST_MAX_BODY_BYTES", 10 * MIB, 64 * 1024, 30 * MIB),
        webhook_max_endpoints=_int("EVENTS_WEBHOOK_MAX_ENDPOINTS", 20, 1, 100),
        webhook_secret_key=_webhook_secret_key(),
        webhook_timeout_seconds=_int("EVENTS_WEBHOOK_TIMEOUT_SECONDS", 15, 1, 60),
        webhook_retry_schedule=_retry_schedule(),
        webhook_allow_loopback=_bool("EVENTS_WEBHOOK_ALLOW_LOOPBACK", False),
        webhook_queue=_str("EVENTS_WEBHOOK_QUEUE"),
        webhook_deliver_url=_str("EVENTS_WEBHOOK_DELIVER_URL"),
        webhook_tasks_account=_str("EVENTS_WEBHOOK_TASKS_ACCOUNT"),
        webhook_local_runner=_str("EVENTS_WEBHOOK_LOCAL_RUNNER"),
        webhook_disable_after_seconds=_int("EVENTS_WEBHOOK_DISABLE_AFTER_SECONDS", 432_000, 1, 90 * 86_400),
        stream_heartbeat_seconds=_int("EVENTS_STREAM_HEARTBEAT_SECONDS", 15, 1, 300),
        stream_max_seconds=_int("EVENTS_STREAM_MAX_SECONDS", 3300, 1, 3600),
        stream_max_per_org=_int("EVENTS_STREAM_MAX_PER_ORG", 50, 1, 100_000),
        stream_ticket_seconds=_int("EVENTS_STREAM_TICKET_SECONDS", 60, 1, 600),
        cors_origins=frozenset(
            o.strip() for o in (_str("EVENTS_CORS_ORIGINS") or "").split(",") if o.strip()
        ),
    )

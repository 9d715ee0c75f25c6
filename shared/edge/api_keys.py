"""API keys as credentials: their format, and who a key is.

A key is ``<prefix><32 base62 characters><6 base62 characters of checksum>``: the prefix is the
deployment's (``EVENTS_API_KEY_PREFIX``: ``sk_live_``, or ``sk_test_`` for dev and test stacks; the
other prefix is refused), the random part carries about 190 bits, and the checksum is an HMAC-SHA256
of what precedes it keyed by the deployment's secret (``EVENTS_API_KEY_SECRET``), truncated to six
base62 characters. Only the deployment can make a key that passes it, so a made-up, mistyped or
forged key is refused (401) without any store read and takes no slot of the key cache. A key made
before the checksum was keyed (a CRC32 checksum) is refused with a 401 saying so, also without a
store read: its owner creates a new key. Changing ``EVENTS_API_KEY_SECRET`` invalidates every key.
A key's id is the first 16 hex digits of its SHA-256, which is all the store is asked for.

Verified keys are cached per instance for ``EVENTS_KEY_CACHE_SECONDS`` (default 30) in a bounded LRU
keyed by hash (a key the deployment signed but the store does not know, too), so a warm instance
reads no store on most requests. Revocation therefore takes effect at once on the instance that
revoked and within ``EVENTS_KEY_CACHE_SECONDS`` everywhere else. A lookup that cannot reach the store
is 503 (the request's store budget), never 401, never cached.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import zlib
from datetime import datetime

from shared.caches import ExpiringCache
from shared.config import require, settings
from shared.edge.logs import log_error
from shared.errors import AuthRequired
from shared.model.actor import Actor, ActorKind
from shared.model.scope import Scope
from shared.store.api_keys import ApiKeyRecord, ApiKeys
from shared.store.budget import remaining
from shared.timefmt import utcnow

ALPHABET = string.digits + string.ascii_uppercase + string.ascii_lowercase
RANDOM_CHARS = 32
CHECK_CHARS = 6
ID_DIGITS = 16
CACHE_ENTRIES = 4096
TOUCH_EVERY_SECONDS = 60
TOUCH_TIMEOUT_SECONDS = 1.0
TOUCHED_ENTRIES = 10_000  # the last-use table's bound (a forgotten key is at worst written again)
SITE_SCOPED_ROLES = ("viewer", "ingest")  # the key roles whose site_ids limit what they reach
_BODY = re.compile(rf"[{re.escape(ALPHABET)}]{{{RANDOM_CHARS + CHECK_CHARS}}}")


def _base62(value: int) -> str:
    digits = []
    for _ in range(CHECK_CHARS):
        value, digit = divmod(value, len(ALPHABET))
        digits.append(ALPHABET[digit])
    return "".join(reversed(digits))


def _checksum(text: str, secret: bytes) -> str:
    """The keyed checksum: HMAC-SHA256 of ``text`` under ``secret``, as six base62 characters."""
    mac = hmac.new(secret, text.encode(), hashlib.sha256).digest()
    return _base62(int.from_bytes(mac[:8], "big") % len(ALPHABET) ** CHECK_CHARS)


def _crc_checksum(text: str) -> str:
    """The unkeyed CRC32 checksum keys carried before (recognised only to refuse them clearly)."""
    return _base62(zlib.crc32(text.encode()))


def new_key(prefix: str, secret: bytes) -> str:
    """A fresh key with the deployment's prefix, its checksum keyed by the deployment's ``secret``."""
    body = prefix + "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return body + _checksum(body, secret)


def _shaped(token: str, prefix: str) -> bool:
    body = token.removeprefix(prefix)
    return body != token and _BODY.fullmatch(body) is not None


def well_formed(token: str, prefix: str, secret: bytes) -> bool:
    """Whether ``token`` is a key of this deployment's kind whose checksum ``secret`` made."""
    if not _shaped(token, prefix):
        return False
    return hmac.compare_digest(_checksum(token[:-CHECK_CHARS], secret), token[-CHECK_CHARS:])


def unkeyed_key(token: str, prefix: str) -> bool:
    """Whether ``token`` is shaped like a key made before checksums were keyed (a CRC32 checksum)."""
    return _shaped(token, prefix) and hmac.compare_digest(
        _crc_checksum(token[:-CHECK_CHARS]), token[-CHECK_CHARS:]
    )


def key_secret() -> bytes:
    """The deployment's key secret (``EVENTS_API_KEY_SECRET``); a ConfigurationError when unset."""
    return require(settings().api_key_secret, "EVENTS_API_KEY_SECRET")


def key_hash(token: str) -> str:
    """The SHA-256 (hex) the store keeps instead of the key."""
    return hashlib.sha256(token.encode()).hexdigest()


def id_of_hash(digest: str) -> str:
    """A key's public id from its hash: the first :data:`ID_DIGITS` hex digits (which is also why a
    key's cache entries can be found by its id)."""
    return digest[:ID_DIGITS]


def key_id_of(token: str) -> str:
    """The key's public id."""
    return id_of_hash(key_hash(token))


# A key's hash -> its record, or None for a key the store does not know (that is cached too).
_CACHE: ExpiringCache[str, ApiKeyRecord | None] = ExpiringCache(CACHE_ENTRIES)
_touched: dict[str, float] = {}
_touched_lock = threading.Lock()


def forget(key_id: str) -> None:
    """Drop a key from this instance's cache (its revocation takes effect here at once)."""
    _CACHE.forget(lambda digest: id_of_hash(digest) == key_id)


def _touch(record: ApiKeyRecord) -> None:
    """Write the last use at most about once a minute per key and instance; inline, short, best effort."""
    now = time.monotonic()
    with _touched_lock:
        if now - _touched.get(record.key_id, -TOUCH_EVERY_SECONDS) < TOUCH_EVERY_SECONDS:
            return
        if len(_touched) >= TOUCHED_ENTRIES:  # bounded: forget the keys not touched within the minute
            for key_id in [k for k, at in _touched.items() if now - at >= TOUCH_EVERY_SECONDS]:
                del _touched[key_id]
            if len(_touched) >= TOUCHED_ENTRIES:
                _touched.clear()
        _touched[record.key_id] = now
    try:
        ApiKeys().touch(record.key_id, utcnow(), timeout=min(TOUCH_TIMEOUT_SECONDS, remaining()))
    except Exception as exc:  # the answer does not depend on it
        log_error("api key last use not recorded", key_id=record.key_id, error=repr(exc))


def key_record(token: str) -> ApiKeyRecord:
    """The live record of a key; raises AuthRequired for a malformed, unknown, revoked or expired one."""
    config = settings()
    if not well_formed(token, config.api_key_prefix, key_secret()):
        if unkeyed_key(token, config.api_key_prefix):
            raise AuthRequired(
                "this API key predates this deployment's key format; an admin creates a new one"
            )
        raise AuthRequired("invalid API key")
    digest = key_hash(token)
    cached, record = _CACHE.get(digest)
    if not cached:
        record = ApiKeys().find(id_of_hash(digest))  # a store failure propagates: 503, never cached
        _CACHE.put(digest, record, config.key_cache_seconds)
    if record is None or not hmac.compare_digest(record.hash, digest):
        raise AuthRequired("unknown API key")
    if not record.usable_at(utcnow()):
        raise AuthRequired(
            "this API key was revoked" if record.revoked_at is not None else "this API key has expired"
        )
    if config.pinned_org and record.org_id != config.pinned_org:
        raise AuthRequired("key is not valid for this deployment")
    _touch(record)
    return record


def issue_key(
    org_id: str,
    name: str,
    role: str,
    site_ids: tuple[str, ...] | None,
    expires_at: datetime | None,
    by: Actor,
) -> tuple[ApiKeyRecord, str]:
    """A new key of ``org_id`` (not stored yet): its record and its secret."""
    secret = new_key(settings().api_key_prefix, key_secret())
    digest = key_hash(secret)
    record = ApiKeyRecord(
        key_id=id_of_hash(digest),
        org_id=org_id,
        name=name,
        role=role,
        site_ids=site_ids,
        last4=secret[-4:],
        hash=digest,
        created_at=utcnow(),
        created_by=by,
        expires_at=expires_at,
    )
    return record, secret


def key_scope(record: ApiKeyRecord) -> tuple[Actor, Scope]:
    """Who a key acts as and what it reaches (viewer keys, and ingest keys that name sites, are
    site-scoped)."""
    scoped = record.role in SITE_SCOPED_ROLES and record.site_ids is not None
    sites = frozenset(record.site_ids or ()) if scoped else None
    return Actor(ActorKind.API_KEY, record.key_id), Scope(record.org_id, sites)

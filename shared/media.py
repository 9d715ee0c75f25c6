"""Signed URLs for an event's snapshot and clip in the media bucket (``EVENTS_MEDIA_BUCKET``).

V4 signed GET URLs valid for ``EVENTS_SIGNED_URL_TTL_SECONDS`` (:mod:`shared.url_signing`), signed by
``EVENTS_URL_SIGNER``:

- ``hmac`` (production): ``EVENTS_SIGNING_HMAC_ACCESS_ID`` and ``EVENTS_SIGNING_HMAC_SECRET``, an HMAC
  key of a dedicated signer account that can only read the media bucket (Secret Manager holds it).
  Signing is local: no network call per URL.
- ``iam``: IAM signBlob as the function's own account, one network round trip per URL (signed 8 at a
  time); no secret to hold. The fallback.
- ``key-file``: ``EVENTS_SIGNING_KEY_FILE``, a service account key (RSA), for setups that have one.

Unset, the signer is ``hmac`` when an HMAC access id is set, ``key-file`` when a key file is, else
``iam``. With ``STORAGE_EMULATOR_HOST`` set the URLs point at the storage emulator.

Media an ingest caller uploads for an event live under the event's own prefix,
:func:`upload_prefix` (``uploads/{event_id}/``); an event written through the ingest API may name
only objects there (:func:`under_upload_prefix`).

Each instance keeps the URLs it signed (up to :data:`CACHE_ENTRIES`, least recently used first out)
and serves one again only while at least half its lifetime remains, so an answered URL always has at
least ``EVENTS_SIGNED_URL_TTL_SECONDS / 2`` to live.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from shared.caches import ExpiringCache
from shared.config import settings
from shared.errors import ConfigurationError
from shared.timefmt import utcnow
from shared.url_signing import HmacSigner, IamSigner, RsaKeySigner, Signer, V4Signing

IAM_SIGNING_THREADS = 8
CACHE_ENTRIES = 20_000
PUBLIC_ENDPOINT = "https://storage.googleapis.com"

_lock = threading.Lock()
_signers: dict[tuple[str, str | None, str | None], Signer] = {}


# Signed URLs by (endpoint, bucket, object), each kept for half its lifetime.
CACHE: ExpiringCache[tuple[str, str, str], str] = ExpiringCache(CACHE_ENTRIES)


UPLOADS = "uploads"


def upload_prefix(event_id: str) -> str:
    """Where the media uploaded for the event ``event_id`` (its canonical uuid) are named:
    ``uploads/{event_id}/``."""
    return f"{UPLOADS}/{event_id}/"


def under_upload_prefix(name: str, event_id: str) -> bool:
    """Whether the object ``name`` lies under the event's :func:`upload_prefix`: something follows
    the prefix, and no segment is empty, ``.`` or ``..`` (a URL would resolve those elsewhere)."""
    prefix = upload_prefix(event_id)
    if not name.startswith(prefix) or len(name) == len(prefix):
        return False
    return all(segment not in ("", ".", "..") for segment in name[len(prefix) :].split("/"))


def signer() -> Signer:
    """The configured signer (built once per setting)."""
    config = settings()
    kind = config.url_signer
    key = (kind, config.signing_hmac_access_id, config.signing_key_file)
    with _lock:
        if key not in _signers:
            _signers[key] = _build(kind)
        return _signers[key]


def _build(kind: str) -> Signer:
    config = settings()
    if kind == "hmac":
        if not (config.signing_hmac_access_id and config.signing_hmac_secret):
            raise ConfigurationError("hmac URL signing needs EVENTS_SIGNING_HMAC_ACCESS_ID and _SECRET")
        return HmacSigner(config.signing_hmac_access_id, config.signing_hmac_secret)
    if kind == "key-file":
        if not config.signing_key_file:
            raise ConfigurationError("key-file URL signing needs EVENTS_SIGNING_KEY_FILE")
        with open(config.signing_key_file, encoding="utf-8") as handle:
            info = json.load(handle)
        return RsaKeySigner(info["client_email"], info["private_key"])
    import google.auth

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    email = getattr(credentials, "service_account_email", None)
    if not email or email == "default":
        import google.auth.transport.requests

        credentials.refresh(google.auth.transport.requests.Request())  # resolves the metadata server's
        email = credentials.service_account_email
    return IamSigner(email, credentials)


def endpoint() -> str:
    """Where the URLs point: the storage emulator when one is set, else Cloud Storage."""
    emulator = os.environ.get("STORAGE_EMULATOR_HOST")
    if not emulator:
        return PUBLIC_ENDPOINT
    return emulator if "://" in emulator else f"http://{emulator}"


def signed_urls(object_names: Sequence[str | None]) -> list[str | None]:
    """A signed URL for each named media object (None where the name is None or no bucket is set)."""
    config = settings()
    if config.media_bucket is None or not any(object_names):
        return [None] * len(object_names)
    bucket, ttl, now, where = (
        config.media_bucket,
        timedelta(seconds=config.signed_url_ttl_seconds),
        utcnow(),
        endpoint(),
    )
    urls: list[str | None] = [None] * len(object_names)
    missing: list[tuple[int, str]] = []
    for index, name in enumerate(object_names):
        if name:
            urls[index] = CACHE.get((where, bucket, name))[1]
            if urls[index] is None:
                missing.append((index, name))
    if not missing:
        return urls
    chosen = signer()
    signing = V4Signing.of(chosen, where, bucket, now, ttl)  # the part every URL shares, built once

    def sign(name: str) -> str:
        url = signing.url(name)
        CACHE.put((where, bucket, name), url, ttl.total_seconds() / 2)  # served while half its life is left
        return url

    names = [name for _, name in missing]
    if chosen.remote and len(names) > 1:
        with ThreadPoolExecutor(IAM_SIGNING_THREADS) as pool:
            signed = list(pool.map(sign, names))
    else:
        signed = [sign(name) for name in names]
    for (index, _), url in zip(missing, signed, strict=True):
        urls[index] = url
    return urls

"""Signed PUT URLs through which a recording gateway uploads an event's snapshot and clip.

Each URL is a V4 signed URL (:mod:`shared.url_signing`) for ``PUT`` of one new object
``uploads/{event_id}/{random}`` in the media bucket (``EVENTS_MEDIA_BUCKET``), valid
:data:`UPLOAD_TTL`, that binds the object's ``Content-Type`` and its size range
(``x-goog-content-length-range: 0,<max>``): Cloud Storage refuses a PUT that does not send exactly
those headers, and one whose body is outside the range. ``random`` is 32 unguessable URL-safe
characters (``secrets.token_urlsafe``), so one gateway cannot guess, let alone overwrite, another's
objects.

The URLs are signed with the HMAC key of a dedicated uploader account
(``EVENTS_UPLOAD_HMAC_ACCESS_ID`` / ``EVENTS_UPLOAD_HMAC_SECRET``) that may only create objects in the
media bucket: the read signer's key (:mod:`shared.media`) can never write. Signing is local (no
network call). With ``STORAGE_EMULATOR_HOST`` set the URLs point at the storage emulator, like the
read URLs.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.config import require, settings
from shared.errors import ConfigurationError
from shared.media import endpoint, upload_prefix
from shared.timefmt import format_rfc3339, utcnow
from shared.url_signing import HmacSigner, V4Signing

UPLOAD_TTL = timedelta(minutes=15)
LENGTH_RANGE_HEADER = "x-goog-content-length-range"
RANDOM_BYTES = 24  # 32 URL-safe characters, 192 bits
MiB = 1024 * 1024


@dataclass(frozen=True)
class Upload:
    """One kind of media an event has: the content type its object must have and its largest size."""

    kind: str
    content_type: str
    max_bytes: int

    def headers(self) -> dict[str, str]:
        """The headers the PUT must send, exactly (they are signed)."""
        return {"Content-Type": self.content_type, LENGTH_RANGE_HEADER: f"0,{self.max_bytes}"}


SNAPSHOT = Upload("snapshot", "image/jpeg", 5 * MiB)
CLIP = Upload("clip", "video/mp4", 200 * MiB)
UPLOADS = (SNAPSHOT, CLIP)

_lock = threading.Lock()
_signers: dict[tuple[str, str], HmacSigner] = {}


def upload_signer() -> HmacSigner:
    """The uploader account's HMAC signer (built once per key); ConfigurationError when unset."""
    config = settings()
    access_id, secret = config.upload_hmac_access_id, config.upload_hmac_secret
    if not (access_id and secret):
        raise ConfigurationError("upload URLs need EVENTS_UPLOAD_HMAC_ACCESS_ID and _SECRET")
    with _lock:
        if (access_id, secret) not in _signers:
            _signers.clear()
            _signers[(access_id, secret)] = HmacSigner(access_id, secret)
        return _signers[(access_id, secret)]


def new_objects(event_id: str) -> dict[str, str]:
    """A fresh object name for each kind of media of the event (a canonical id):
    ``uploads/{event_id}/{random}`` (:func:`shared.media.upload_prefix`)."""
    return {upload.kind: upload_prefix(event_id) + secrets.token_urlsafe(RANDOM_BYTES) for upload in UPLOADS}


def upload_targets(objects: Mapping[str, str], issued: datetime | None = None) -> dict[str, Any]:
    """For each kind of media (``snapshot``, ``clip``) in ``objects`` (kind -> object name): the
    signed PUT of that object, ``{"url", "method", "headers", "object", "expires_at"}``, valid
    :data:`UPLOAD_TTL` from ``issued`` (now)."""
    bucket = require(settings().media_bucket, "EVENTS_MEDIA_BUCKET")
    signer, where, issued = upload_signer(), endpoint(), issued or utcnow()
    expires_at = format_rfc3339(issued.replace(microsecond=0) + UPLOAD_TTL)
    targets: dict[str, Any] = {}
    for upload in UPLOADS:
        headers = upload.headers()
        signing = V4Signing.of(signer, where, bucket, issued, UPLOAD_TTL, "PUT", headers)
        targets[upload.kind] = {
            "url": signing.url(objects[upload.kind]),
            "method": "PUT",
            "headers": headers,
            "object": objects[upload.kind],
            "expires_at": expires_at,
        }
    return targets

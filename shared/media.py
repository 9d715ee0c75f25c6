"""Signed URLs for an event's snapshot and clip in the media bucket (``EVENTS_MEDIA_BUCKET``).

V4 signed GET URLs valid for ``EVENTS_SIGNED_URL_TTL_SECONDS``. In production they are signed through
IAM signBlob with the function's own service account (no key file; the account needs
``iam.serviceAccountTokenCreator`` on itself). Locally ``EVENTS_SIGNING_KEY_FILE`` names a service
account key (the dev stack generates one) and, with ``STORAGE_EMULATOR_HOST`` set, the URLs point at
the storage emulator. ``google.cloud.storage`` is imported on first use only, so functions that never
sign do not pay for it at cold start.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from shared.config import settings
from shared.gcs import storage_client

IAM_SIGNING_THREADS = 8

_lock = threading.Lock()
_state: dict[str, Any] = {}


def _signer() -> tuple[Any, dict[str, Any], bool]:
    """(storage client, signing keyword arguments, whether each signature is a network call)."""
    with _lock:
        if "signing" not in _state:
            config = settings()
            if config.signing_key_file:
                from google.oauth2 import service_account

                key = service_account.Credentials.from_service_account_file(config.signing_key_file)
                _state["credentials"] = key
            else:
                import google.auth

                credentials, _ = google.auth.default(
                    scopes=["https://www.googleapis.com/auth/cloud-platform"]
                )
                _state["iam_credentials"] = credentials
            _state["signing"] = True
        iam = _state.get("iam_credentials")
        if iam is None:
            return storage_client(), {"credentials": _state["credentials"]}, False
        if not iam.valid:
            import google.auth.transport.requests

            iam.refresh(google.auth.transport.requests.Request())
        kwargs = {"service_account_email": iam.service_account_email, "access_token": iam.token}
        return storage_client(), kwargs, True


def signed_urls(object_names: Sequence[str | None]) -> list[str | None]:
    """A signed URL for each named media object (None where the name is None or no bucket is set)."""
    config = settings()
    if config.media_bucket is None or not any(object_names):
        return [None] * len(object_names)
    client, kwargs, remote = _signer()
    bucket = client.bucket(config.media_bucket)
    ttl = timedelta(seconds=config.signed_url_ttl_seconds)

    def sign(name: str | None) -> str | None:
        if not name:
            return None
        url: str = bucket.blob(name).generate_signed_url(version="v4", expiration=ttl, method="GET", **kwargs)
        return url

    if remote and len(object_names) > 1:
        with ThreadPoolExecutor(IAM_SIGNING_THREADS) as pool:
            return list(pool.map(sign, object_names))
    return [sign(name) for name in object_names]

"""The process's Cloud Storage client, built on first use (``google.cloud.storage`` is imported only
then, so functions that never touch Storage don't pay for it at cold start), or when a function that
uploads is imported (:func:`warm_storage_client`), so its first request does not build it. With
``STORAGE_EMULATOR_HOST`` set the client talks to the emulator with anonymous credentials."""

from __future__ import annotations

import contextlib
import threading
from typing import Any

from shared.config import settings

_lock = threading.Lock()
_clients: dict[str | None, Any] = {}


def storage_client() -> Any:
    """The shared ``google.cloud.storage.Client`` of the configured project."""
    project = settings().project
    with _lock:
        if project not in _clients:
            from google.cloud import storage

            _clients[project] = storage.Client(project=project)
        return _clients[project]


def warm_storage_client() -> None:
    """Build the shared client now (at the import of a function that uploads, before its first
    request). Where it cannot be built yet (no credentials), the first upload builds it and reports
    the error."""
    with contextlib.suppress(Exception):
        storage_client()

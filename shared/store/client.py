"""The process's Firestore client for the configured project and database (built once, thread-safe)."""

from __future__ import annotations

import threading

from google.cloud import firestore

from shared.config import settings

_client_lock = threading.Lock()
_clients: dict[tuple[str | None, str], firestore.Client] = {}


def firestore_client() -> firestore.Client:
    """The shared client of the configured project and database."""
    config = settings()
    key = (config.project, config.database)
    with _client_lock:
        if key not in _clients:
            _clients[key] = firestore.Client(project=config.project, database=config.database)
        return _clients[key]

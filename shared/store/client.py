"""The process's Firestore client for the configured project and database (built once, thread-safe)."""

from __future__ import annotations

import threading

from google.cloud import firestore

from shared.config import settings

_client_lock = threading.Lock()
_clients: dict[tuple[str | None, str], firestore.Client] = {}


def reset_clients() -> None:
    """Forget the clients (and their channels): the next call builds a fresh one, which connects at
    once instead of waiting out a dead channel's reconnect backoff."""
    with _client_lock:
        _clients.clear()


def firestore_client() -> firestore.Client:
    """The shared client of the configured project and database."""
    config = settings()
    key = (config.project, config.database)
    with _client_lock:
        if key not in _clients:
            _clients[key] = firestore.Client(project=config.project, database=config.database)
        return _clients[key]

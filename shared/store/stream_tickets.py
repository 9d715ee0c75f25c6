"""Stream tickets at ``stream_tickets/{sha256 of the ticket}``: what a browser opens an event stream
with instead of a bearer token (``EventSource`` cannot send headers).

A record holds who took the ticket (``org_id``, ``role``, ``site_ids`` or None for every site,
``actor``), what the credential it was taken with allows (``credential_expires_at``: the token's
expiry, None for an API key; ``key_id``: the API key's id, None for a token) and ``expires_at``
(when the ticket lapses; a TTL policy deletes it). The ticket itself is never stored. Redeeming
deletes the record in a transaction, so a ticket opens one stream at most.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from google.cloud import firestore

from shared.store.budget import get_document, rpc
from shared.store.client import firestore_client
from shared.store.transactions import run_transaction

COLLECTION = "stream_tickets"


class StreamTickets:
    """The stream tickets of every org (looked up by the ticket's hash alone)."""

    def __init__(self, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.tickets = self.client.collection(COLLECTION)

    def create(self, digest: str, record: dict[str, Any]) -> None:
        """Store the record of the ticket whose SHA-256 is ``digest``."""
        self.tickets.document(digest).create(record, **rpc(COLLECTION))

    def redeem(self, digest: str, now: datetime) -> dict[str, Any] | None:
        """The record of the ticket whose SHA-256 is ``digest``, deleted as it is read; None when there
        is none or it lapsed before ``now``."""
        ref = self.tickets.document(digest)

        def run(transaction: firestore.Transaction) -> dict[str, Any] | None:
            snap = get_document(ref, COLLECTION, transaction)
            if not snap.exists:
                return None
            transaction.delete(ref)
            data = snap.to_dict() or {}
            return data if data["expires_at"] > now else None

        found: dict[str, Any] | None = run_transaction(self.client, run, purpose=COLLECTION)
        return found

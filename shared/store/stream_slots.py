"""Open-stream slots at ``orgs/{org}/stream_slots/{slot_id}``: one document per open event stream,
shared by every instance, so an org holds at most ``EVENTS_STREAM_MAX_PER_ORG`` streams whatever the
number of instances.

A slot holds ``expires_at``, pushed forward at each heartbeat of its stream to two heartbeats ahead
(a write, no read); a slot past it counts as free, so a stream whose instance died without releasing
it frees its slot within two heartbeats. Taking a slot counts the live ones in a transaction that also
writes the org's ``guard`` document, so two instances taking the last slot at once conflict and one
retries. A TTL policy on ``expires_at`` deletes dead slots.
"""

from __future__ import annotations

from datetime import datetime

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.store.budget import get_document, query_run, rpc
from shared.store.client import firestore_client
from shared.store.meter import documents_read, written
from shared.store.transactions import run_transaction

COLLECTION = "stream_slots"
GUARD = "guard"


class StreamSlots:
    """One org's open-stream slots."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.slots = self.client.collection("orgs").document(org_id).collection(COLLECTION)

    def take(self, slot_id: str, limit: int, now: datetime, expires_at: datetime) -> bool:
        """Take slot ``slot_id`` until ``expires_at`` when fewer than ``limit`` slots are live at
        ``now``; False when the org is at its limit."""
        guard = self.slots.document(GUARD)
        live = self.slots.where(filter=FieldFilter("expires_at", ">", now)).limit(limit)

        def run(transaction: firestore.Transaction) -> bool:
            held = get_document(guard, COLLECTION, transaction)
            with query_run():
                taken = list(transaction.get(live, **rpc(COLLECTION)))
            documents_read(COLLECTION, len(taken))
            if len(taken) >= limit:
                return False
            opened = int((held.to_dict() or {}).get("opened", 0)) if held.exists else 0
            transaction.set(guard, {"opened": opened + 1})
            transaction.set(self.slots.document(slot_id), {"expires_at": expires_at})
            return True

        taken: bool = run_transaction(self.client, run, purpose=COLLECTION, lock_key=guard.path)
        return taken

    def renew(self, slot_id: str, expires_at: datetime) -> None:
        """Keep slot ``slot_id`` until ``expires_at`` (a write, no read)."""
        self.slots.document(slot_id).set({"expires_at": expires_at}, **rpc(COLLECTION))
        written(COLLECTION, 1)

    def release(self, slot_id: str) -> None:
        """Free slot ``slot_id``."""
        self.slots.document(slot_id).delete(**rpc(COLLECTION))
        written(COLLECTION, 1)

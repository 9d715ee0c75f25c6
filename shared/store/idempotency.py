"""Idempotency records at ``orgs/{org}/idempotency/{id}``: one per (caller, key), for 24 hours.

The document id is the SHA-256 of the caller (actor kind and id) and the key, never the raw key. A
record holds the request's fingerprint (SHA-256 of method, path and body) and its state:
``in_flight`` while the first request runs (a lock that lapses after :data:`LOCK_SECONDS`, so a
crashed request does not block its retries for long), then ``completed`` with the outcome, written by
the change's own transaction. ``expires_at`` drives Firestore's TTL deletion; since that lags, a
record past it counts as absent.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from google.cloud import firestore

from shared.model.actor import Actor
from shared.model.errors import ConflictError, InvalidValue
from shared.store.budget import get_document
from shared.store.client import firestore_client
from shared.store.transactions import run_transaction
from shared.timefmt import utcnow

RECORD_LIFETIME = timedelta(hours=24)
LOCK_SECONDS = 90  # longer than a mutating function's timeout (60 s)
COLLECTION = "idempotency"
KEY_HEADER = "Idempotency-Key"


@dataclass(frozen=True)
class Completed:
    """A request already executed under this key: its outcome, to answer again."""

    outcome: dict[str, Any]


class PendingRecord:
    """The in-flight record of a request being executed; the change's transaction completes it."""

    def __init__(self, ref: firestore.DocumentReference, fingerprint: str) -> None:
        self.ref = ref
        self.fingerprint = fingerprint

    def complete(self, outcome: dict[str, Any]) -> None:
        """Record the outcome on its own: for a request whose changes are many transactions (a
        batch), once all of them are done."""
        run_transaction(
            firestore_client(), lambda transaction: self.save(transaction, outcome), purpose="idempotency"
        )

    def save(self, transaction: firestore.Transaction, outcome: dict[str, Any]) -> None:
        """Record the outcome, in the transaction that makes the change."""
        now = utcnow()
        transaction.update(
            self.ref,
            {"state": "completed", "outcome": outcome, "completed_at": now, "locked_until": None},
        )


def fingerprint(method: str, path: str, body: bytes) -> str:
    """What a request asks: SHA-256 of its method, path (with query) and body."""
    digest = hashlib.sha256()
    for part in (method.upper().encode(), path.encode(), body):
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


class IdempotencyRecords:
    """One org's idempotency records."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.records = self.client.collection("orgs").document(org_id).collection(COLLECTION)

    def _ref(self, actor: Actor, key: str) -> firestore.DocumentReference:
        name = hashlib.sha256(f"{actor.kind.value}\n{actor.id}\n{key}".encode()).hexdigest()
        return self.records.document(name)

    def begin(self, actor: Actor, key: str, request_fingerprint: str) -> PendingRecord | Completed:
        """Claim ``key`` for this request, or find what an earlier one did with it.

        Raises InvalidValue (400) when the key was used for another request and ConflictError (409)
        while another request with it is still executing.
        """
        ref = self._ref(actor, key)

        def claim(transaction: firestore.Transaction) -> PendingRecord | Completed:
            snap = get_document(ref, "idempotency", transaction)
            data = snap.to_dict() if snap.exists else None
            now = utcnow()
            if data is not None and data["expires_at"] > now:
                if data["fingerprint"] != request_fingerprint:
                    raise InvalidValue(
                        KEY_HEADER, "was already used with another request (method, path or body)"
                    )
                if data["state"] == "completed":
                    return Completed(data["outcome"])
                if data["locked_until"] > now:
                    raise ConflictError(
                        "a request with this Idempotency-Key is still being executed; retry shortly",
                        retry_after=1,
                    )
            transaction.set(
                ref,
                {
                    "actor": actor.stored(),
                    "fingerprint": request_fingerprint,
                    "state": "in_flight",
                    "created_at": now,
                    "locked_until": now + timedelta(seconds=LOCK_SECONDS),
                    "expires_at": now + RECORD_LIFETIME,
                },
            )
            return PendingRecord(ref, request_fingerprint)

        result: PendingRecord | Completed = run_transaction(
            self.client, claim, purpose="idempotency", lock_key=ref.path
        )
        return result

    def release(self, record: PendingRecord) -> None:
        """Forget an in-flight record whose request ended without a stored outcome (a 400, 403, 5xx),
        so a retry executes; a completed record stays."""

        def drop(transaction: firestore.Transaction) -> None:
            snap = get_document(record.ref, "idempotency", transaction)
            data = snap.to_dict() if snap.exists else None
            if data and data.get("state") == "in_flight" and data.get("fingerprint") == record.fingerprint:
                transaction.delete(record.ref)

        run_transaction(self.client, drop, purpose="idempotency", lock_key=record.ref.path)

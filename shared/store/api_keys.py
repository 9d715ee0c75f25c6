"""API keys at ``api_keys/{key_id}``: who may call without a user's token, stored only as a hash.

The document id is the key id, the first 16 hex digits of the key's SHA-256; the document holds the
whole SHA-256 (never the key), the org, role and (viewer and ingest keys) sites, a name, the key's last four
characters, who created it and when, an optional expiry, the revocation time and the last use.
Creation and revocation are transactions that also record an idempotency outcome; the last use is
written at most about once a minute per key and instance, best effort, with a short deadline.

An org has at most ``EVENTS_MAX_KEYS_PER_ORG`` live keys (neither revoked nor expired): a creation
counts them (count aggregations, in the transaction) and creates the key in one serialisable
transaction, so concurrent creations, on one instance or many, never pass the cap together (one
instance's creations for an org also wait on each other first). Keys are listed newest first
(``created_at``, then id, descending), a page at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import settings
from shared.model.actor import Actor
from shared.model.errors import ConflictError, NotFoundError
from shared.model.event import Position
from shared.store.budget import get_document, query_run, rpc
from shared.store.client import firestore_client
from shared.store.events import OutcomeRecord
from shared.store.meter import called, documents_read, entries_counted, written
from shared.store.transactions import run_transaction
from shared.timefmt import utcnow

COLLECTION = "api_keys"
DESC = firestore.Query.DESCENDING


@dataclass(frozen=True)
class ApiKeyRecord:
    """A stored key (never the secret)."""

    key_id: str
    org_id: str
    name: str
    role: str
    site_ids: tuple[str, ...] | None
    last4: str
    hash: str
    created_at: datetime
    created_by: Actor
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    revoked_by: Actor | None = None
    last_used_at: datetime | None = None

    def usable_at(self, now: datetime) -> bool:
        """Neither revoked nor expired at ``now``: the key authenticates."""
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def document(self) -> dict[str, Any]:
        return {
            "org_id": self.org_id,
            "name": self.name,
            "role": self.role,
            "site_ids": list(self.site_ids) if self.site_ids is not None else None,
            "last4": self.last4,
            "hash": self.hash,
            "created_at": self.created_at,
            "created_by": self.created_by.stored(),
            "expires_at": self.expires_at,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by.stored() if self.revoked_by else None,
            "last_used_at": self.last_used_at,
        }

    @classmethod
    def of(cls, key_id: str, data: dict[str, Any]) -> ApiKeyRecord:
        sites = data.get("site_ids")
        return cls(
            key_id=key_id,
            org_id=data["org_id"],
            name=data["name"],
            role=data["role"],
            site_ids=tuple(sites) if sites is not None else None,
            last4=data["last4"],
            hash=data["hash"],
            created_at=data["created_at"],
            created_by=Actor.from_stored(data["created_by"]),
            expires_at=data.get("expires_at"),
            revoked_at=data.get("revoked_at"),
            revoked_by=Actor.from_stored(data["revoked_by"]) if data.get("revoked_by") else None,
            last_used_at=data.get("last_used_at"),
        )


class ApiKeys:
    """The deployment's API keys (every org's; each record names its org)."""

    def __init__(self, client: firestore.Client | None = None) -> None:
        self.client = client or firestore_client()
        self.keys = self.client.collection(COLLECTION)

    def find(self, key_id: str) -> ApiKeyRecord | None:
        """The key with this id, or None."""
        snap = get_document(self.keys.document(key_id), "keys")
        data = snap.to_dict() if snap.exists else None
        return ApiKeyRecord.of(snap.id, data) if data else None

    def page(
        self, org_id: str, after: Position | None, limit: int
    ) -> tuple[list[ApiKeyRecord], Position | None]:
        """A page of the org's keys, newest first (revoked ones included), after ``after``: the keys
        and the position after the last one when more follow (``triggered_at`` holds the creation
        time, ``event_id`` the key id)."""
        query = (
            self.keys.where(filter=FieldFilter("org_id", "==", org_id))
            .order_by("created_at", direction=DESC)
            .order_by("__name__", direction=DESC)
        )
        if after is not None:
            query = query.start_after({"created_at": after.triggered_at, "__name__": after.event_id})
        with query_run():
            snaps = list(query.limit(limit + 1).stream(**rpc("keys")))
        documents_read("keys", len(snaps))
        found = [ApiKeyRecord.of(snap.id, snap.to_dict() or {}) for snap in snaps[:limit]]
        more = len(snaps) > limit
        return found, Position(found[-1].created_at, found[-1].key_id) if more else None

    def of_org(self, org_id: str) -> list[ApiKeyRecord]:
        """Every key of the org, newest first (revoked ones included), read a page at a time."""
        found: list[ApiKeyRecord] = []
        after: Position | None = None
        while True:
            page, after = self.page(org_id, after, 500)
            found += page
            if after is None:
                return found

    def _live(self, org_id: str, transaction: firestore.Transaction) -> int:
        """How many of the org's keys are live (neither revoked nor expired), counted in
        ``transaction`` (two count aggregations: no document read)."""
        unrevoked = self.keys.where(filter=FieldFilter("org_id", "==", org_id)).where(
            filter=FieldFilter("revoked_at", "==", None)
        )
        lasting = unrevoked.where(filter=FieldFilter("expires_at", "==", None))
        expiring = unrevoked.where(filter=FieldFilter("expires_at", ">", utcnow()))
        total = 0
        for query in (lasting, expiring):
            with query_run():
                counted = sum(
                    int(result[0].value)
                    for result in query.count(alias="live").get(transaction=transaction, **rpc("keys"))
                )
            entries_counted("keys", counted)
            total += counted
        return total

    def create(self, record: ApiKeyRecord, outcome: dict[str, Any], log: OutcomeRecord | None) -> None:
        """Store a new key, and the creation's idempotency outcome, in one transaction; Conflict (409)
        when the org already has ``EVENTS_MAX_KEYS_PER_ORG`` live keys."""
        ref = self.keys.document(record.key_id)
        cap = settings().max_keys_per_org

        def run(transaction: firestore.Transaction) -> None:
            if get_document(ref, "keys", transaction).exists:  # 2^-64: a fresh key collided
                raise ConflictError("a key with this id exists; create another")
            if self._live(record.org_id, transaction) >= cap:
                raise ConflictError(f"the org already has {cap} live keys, the most it may have; revoke one")
            transaction.create(ref, record.document())
            if log is not None:
                log.save(transaction, outcome)

        run_transaction(self.client, run, purpose="keys", lock_key=f"{COLLECTION}/orgs/{record.org_id}")

    def revoke(self, org_id: str, key_id: str, actor: Actor, log: OutcomeRecord | None) -> ApiKeyRecord:
        """Revoke a key of the org (a second revocation keeps the first time); NotFoundError for any
        other id."""
        ref = self.keys.document(key_id)

        def run(transaction: firestore.Transaction) -> ApiKeyRecord | None:
            snap = get_document(ref, "keys", transaction)
            data = snap.to_dict() if snap.exists else None
            if data is None or data.get("org_id") != org_id:
                if log is not None:
                    log.save(transaction, {"kind": "not_found"})
                return None
            if data.get("revoked_at") is None:
                data.update(revoked_at=utcnow(), revoked_by=actor.stored())
                transaction.update(ref, {"revoked_at": data["revoked_at"], "revoked_by": data["revoked_by"]})
            if log is not None:
                log.save(transaction, {"kind": "key", "key_id": key_id})
            return ApiKeyRecord.of(key_id, data)

        record = run_transaction(self.client, run, purpose="keys", lock_key=ref.path)
        if record is None:
            raise NotFoundError("no such key in this org")
        return record

    def touch(self, key_id: str, when: datetime, timeout: float) -> None:
        """Record a use (best effort: the caller ignores failures)."""
        called("keys")
        self.keys.document(key_id).update({"last_used_at": when}, timeout=timeout, retry=None)
        written("keys", 1)

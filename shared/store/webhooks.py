"""Webhook endpoints and deliveries in Firestore.

An org's endpoints (at most ``EVENTS_WEBHOOK_MAX_ENDPOINTS``) live in one document,
``orgs/{org}/webhooks/endpoints`` (``{"endpoints": {id: endpoint}}``, each secret sealed by
:mod:`shared.webhooks.vault`), so every write of an event reads them in its own transaction or batched
write with one more document in the same read: an endpoint whose creation was answered before a change
was asked for always receives that change.

The outbox: the change's commit also creates one delivery per matching endpoint at
``orgs/{org}/webhook_deliveries/{id}``: ``endpoint_id``, ``message_id`` (the change id, or a fresh id
for a ``webhook.test``), ``type``, ``change_id``, ``status`` (``pending``, then ``succeeded`` or
``failed``), ``attempts`` (each ``at``, ``status_code``, ``error``, ``duration_ms``,
``response_body``), ``next_attempt_at``, a ``lease`` (``{id, until}``) while an attempt runs, ``body``
(the message, fixed by the first attempt so every attempt sends the same bytes) and ``expires_at``
(30 days on, Firestore's TTL policy deletes it). Endpoint reads are metered under ``webhooks``.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import settings
from shared.model.errors import ConflictError, NotFoundError
from shared.model.event import Position
from shared.store.budget import get_document, rpc
from shared.store.client import firestore_client
from shared.store.meter import documents_read
from shared.store.transactions import run_transaction

COLLECTION, DOCUMENT = "webhooks", "endpoints"
DELIVERIES = "webhook_deliveries"
PURPOSE = "webhooks"
RETENTION = timedelta(days=30)
TEST_TYPE = "webhook.test"
EVERY_TYPE = "*"
ENABLED, DISABLED = "enabled", "disabled"
STATUSES = (ENABLED, DISABLED)
PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
GONE_REASON = "the endpoint answered 410 Gone; enable it again to resume deliveries"
ADMIN_REASON = "disabled by an admin"
FILTERED = (("site_ids", "site_id"), ("camera_ids", "camera_id"), ("trigger_types", "trigger_type"))


@dataclass(frozen=True)
class Endpoint:
    """A stored endpoint (its secret sealed)."""

    id: str
    url: str
    event_types: tuple[str, ...]
    filter: Mapping[str, list[str]]
    description: str | None
    status: str
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    sealed_secret: str

    def stored(self) -> dict[str, Any]:
        """The endpoint's entry in its org's endpoints document."""
        return {
            "url": self.url,
            "event_types": list(self.event_types),
            "filter": {name: list(values) for name, values in self.filter.items()},
            "description": self.description,
            "status": self.status,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "secret": self.sealed_secret,
        }

    @classmethod
    def of(cls, endpoint_id: str, data: Mapping[str, Any]) -> Endpoint:
        return cls(
            id=endpoint_id,
            url=data["url"],
            event_types=tuple(data["event_types"]),
            filter={name: list(values) for name, values in (data.get("filter") or {}).items()},
            description=data.get("description"),
            status=data["status"],
            disabled_reason=data.get("disabled_reason"),
            created_at=data["created_at"],
            updated_at=data["updated_at"],
            sealed_secret=data["secret"],
        )

    def receives(self, change: Mapping[str, Any]) -> bool:
        """Whether this endpoint gets a message of a change record: enabled, one of its types, and
        the event's site, camera and trigger type each in its filter's list (when it has one)."""
        if self.status != ENABLED:
            return False
        if EVERY_TYPE not in self.event_types and change.get("type") not in self.event_types:
            return False
        return all(
            not self.filter.get(name) or change.get(field) in self.filter[name] for name, field in FILTERED
        )


def _field(endpoint_id: str) -> str:
    """The field path of an endpoint in its org's document (an id is ``ep_`` and hex: a plain name)."""
    return f"endpoints.{endpoint_id}"


def new_endpoint_id() -> str:
    return f"ep_{uuid.uuid4().hex}"


def new_delivery_id() -> str:
    return uuid.uuid4().hex


def endpoints_ref(client: firestore.Client, org_id: str) -> firestore.DocumentReference:
    """The document holding an org's endpoints."""
    return client.collection("orgs").document(org_id).collection(COLLECTION).document(DOCUMENT)


def endpoints_in(snap: firestore.DocumentSnapshot | None) -> dict[str, Endpoint]:
    """The endpoints an endpoints document holds (none when absent); meters its read."""
    data = snap.to_dict() if snap is not None and snap.exists else None
    documents_read(PURPOSE, 1 if data else 0)
    return {key: Endpoint.of(key, value) for key, value in ((data or {}).get("endpoints") or {}).items()}


def delivery_document(
    endpoint_id: str, message_id: str, kind: str, change_id: str | None, body: str | None, now: datetime
) -> dict[str, Any]:
    """A new delivery, due ``now``."""
    return {
        "endpoint_id": endpoint_id,
        "message_id": message_id,
        "type": kind,
        "change_id": change_id,
        "status": PENDING,
        "attempts": [],
        "next_attempt_at": now,
        "lease": None,
        "body": body,
        "created_at": now,
        "expires_at": now + RETENTION,
    }


def deliveries_of(client: firestore.Client, org_id: str) -> firestore.CollectionReference:
    return client.collection("orgs").document(org_id).collection(DELIVERIES)


def stage_deliveries(
    writes: Any,
    client: firestore.Client,
    org_id: str,
    endpoints: Mapping[str, Endpoint],
    change_id: str,
    change: Mapping[str, Any],
    now: datetime,
) -> tuple[str, ...]:
    """Create, in ``writes`` (the change's transaction or batched write), one delivery of the change
    per endpoint that receives it; returns their ids."""
    staged = []
    collection = deliveries_of(client, org_id)
    for endpoint in endpoints.values():
        if endpoint.receives(change):
            delivery_id = new_delivery_id()
            document = delivery_document(endpoint.id, change_id, change["type"], change_id, None, now)
            writes.create(collection.document(delivery_id), document)
            staged.append(delivery_id)
    return tuple(staged)


class WebhookEndpoints:
    """One org's endpoints."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.org_id = org_id
        self.client = client or firestore_client()
        self.ref = endpoints_ref(self.client, org_id)

    def all(self) -> dict[str, Endpoint]:
        """Every endpoint of the org."""
        snap = self.ref.get(**rpc(PURPOSE))
        return endpoints_in(snap)

    def get(self, endpoint_id: str) -> Endpoint:
        """The endpoint; NotFoundError when the org has none of that id."""
        found = self.all().get(endpoint_id)
        if found is None:
            raise NotFoundError("no such webhook endpoint in this org")
        return found

    def page(self, after: Position | None, limit: int) -> tuple[list[Endpoint], Position | None]:
        """A page of the endpoints, newest first, after ``after`` (``triggered_at`` holds the creation
        time, ``event_id`` the endpoint id), and the position after the last one when more follow."""
        ordered = sorted(self.all().values(), key=lambda e: (e.created_at, e.id), reverse=True)
        if after is not None:
            ordered = [e for e in ordered if (e.created_at, e.id) < (after.triggered_at, after.event_id)]
        found = ordered[:limit]
        more = len(ordered) > limit
        return found, Position(found[-1].created_at, found[-1].id) if more else None

    def _read(self, transaction: firestore.Transaction) -> dict[str, Endpoint]:
        return endpoints_in(get_document(self.ref, PURPOSE, transaction))

    def create(self, endpoint: Endpoint, outcome: dict[str, Any], log: Any) -> None:
        """Store a new endpoint (and the creation's idempotency outcome) in one transaction; Conflict
        (409) when the org has ``EVENTS_WEBHOOK_MAX_ENDPOINTS`` already."""
        cap = settings().webhook_max_endpoints

        def run(transaction: firestore.Transaction) -> None:
            if len(self._read(transaction)) >= cap:
                raise ConflictError(f"the org already has {cap} webhook endpoints, the most it may have")
            transaction.set(self.ref, {"endpoints": {endpoint.id: endpoint.stored()}}, merge=True)
            if log is not None:
                log.save(transaction, outcome)

        run_transaction(self.client, run, purpose=PURPOSE, lock_key=self.ref.path)

    def change(
        self, endpoint_id: str, change: Callable[[Endpoint], dict[str, Any]], log: Any = None
    ) -> Endpoint:
        """Apply ``change`` (the endpoint -> the stored fields to set) in a transaction; returns the
        endpoint as written. NotFoundError when there is no such endpoint."""

        def run(transaction: firestore.Transaction) -> Endpoint | None:
            endpoint = self._read(transaction).get(endpoint_id)
            if endpoint is None:
                if log is not None:
                    log.save(transaction, {"kind": "not_found"})
                return None
            stored = {**endpoint.stored(), **change(endpoint)}
            transaction.update(self.ref, {_field(endpoint_id): stored})
            updated = Endpoint.of(endpoint_id, stored)
            if log is not None:
                log.save(transaction, {"kind": "webhook_endpoint", "endpoint_id": endpoint_id})
            return updated

        written = run_transaction(self.client, run, purpose=PURPOSE, lock_key=self.ref.path)
        if written is None:
            raise NotFoundError("no such webhook endpoint in this org")
        return written

    def delete(self, endpoint_id: str, log: Any = None) -> None:
        """Remove the endpoint (its pending deliveries are then dropped at their next attempt);
        NotFoundError when there is no such endpoint."""

        def run(transaction: firestore.Transaction) -> bool:
            if endpoint_id not in self._read(transaction):
                if log is not None:
                    log.save(transaction, {"kind": "not_found"})
                return False
            path = _field(endpoint_id)
            transaction.update(self.ref, {path: firestore.DELETE_FIELD})
            if log is not None:
                log.save(transaction, {"kind": "deleted"})
            return True

        if not run_transaction(self.client, run, purpose=PURPOSE, lock_key=self.ref.path):
            raise NotFoundError("no such webhook endpoint in this org")


@dataclass(frozen=True)
class Claimed:
    """An attempt a delivery function now holds: the delivery, its endpoint, the message body, and
    the lease id its outcome is recorded under."""

    delivery_id: str
    message_id: str
    endpoint: Endpoint
    body: str
    lease_id: str
    attempt: int


class Deliveries:
    """One org's webhook deliveries."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.org_id = org_id
        self.client = client or firestore_client()
        self.collection = deliveries_of(self.client, org_id)
        self.endpoints_ref = endpoints_ref(self.client, org_id)

    def get(self, delivery_id: str) -> dict[str, Any] | None:
        snap = get_document(self.collection.document(delivery_id), PURPOSE)
        return snap.to_dict() if snap.exists else None

    def create_test(
        self, endpoint_id: str, message_id: str, body: str, now: datetime, log: Any = None
    ) -> str:
        """A ``webhook.test`` delivery to an enabled endpoint, due now (and the request's idempotency
        outcome ``log``, in the same transaction); NotFoundError for no such endpoint, ConflictError
        for a disabled one."""
        delivery_id = new_delivery_id()
        ref = self.collection.document(delivery_id)

        def run(transaction: firestore.Transaction) -> None:
            endpoint = endpoints_in(get_document(self.endpoints_ref, PURPOSE, transaction)).get(endpoint_id)
            if endpoint is None:
                raise NotFoundError("no such webhook endpoint in this org")
            if endpoint.status != ENABLED:
                raise ConflictError("the endpoint is disabled; enable it to send it messages")
            transaction.create(ref, delivery_document(endpoint_id, message_id, TEST_TYPE, None, body, now))
            if log is not None:
                log.save(transaction, {"kind": "webhook_test", "delivery_id": delivery_id})

        run_transaction(self.client, run, purpose=PURPOSE)
        return delivery_id

    def claim(
        self, delivery_id: str, now: datetime, lease_seconds: float, message: Callable[[dict[str, Any]], str]
    ) -> Claimed | str:
        """In one transaction: take the delivery's due attempt (a lease until ``now + lease_seconds``)
        and fix its body on the first (``message(change record)``), its endpoint as read just before;
        or say why not: ``missing``, its final status, ``in_flight`` (another holds the lease),
        ``not_due``, or ``failed`` when its endpoint is gone or disabled, or its change record has
        expired (then it is failed)."""
        ref = self.collection.document(delivery_id)
        # The endpoints are read before the transaction, not in it: the org's many concurrent attempts
        # never hold a lock on their one document (a change of an endpoint reaches the next attempt).
        endpoints = endpoints_in(self.endpoints_ref.get(**rpc(PURPOSE)))

        def run(transaction: firestore.Transaction) -> Claimed | str:
            snap = get_document(ref, PURPOSE, transaction)
            data = snap.to_dict() if snap.exists else None
            endpoint = endpoints.get(str((data or {}).get("endpoint_id")))
            if data is None:
                return "missing"
            if data["status"] != PENDING:
                return str(data["status"])
            lease = data.get("lease")
            if lease is not None and lease["until"] > now:
                return "in_flight"
            if data["next_attempt_at"] > now + timedelta(seconds=1):
                return "not_due"
            body = data.get("body")
            reason = None
            if endpoint is None or endpoint.status != ENABLED:
                reason = "the endpoint was deleted" if endpoint is None else "the endpoint is disabled"
            elif body is None:
                change_ref = self.client.collection("orgs").document(self.org_id).collection("changes")
                change = get_document(change_ref.document(data["change_id"]), PURPOSE, transaction)
                if change.exists:
                    body = message({**(change.to_dict() or {}), "id": change.id})
                else:
                    reason = "the change record is no longer kept"
            if reason is not None or endpoint is None or body is None:
                transaction.update(ref, {"status": FAILED, "failure": reason, "lease": None})
                return FAILED
            lease_id = uuid.uuid4().hex
            transaction.update(
                ref,
                {"lease": {"id": lease_id, "until": now + timedelta(seconds=lease_seconds)}, "body": body},
            )
            return Claimed(
                delivery_id, data["message_id"], endpoint, body, lease_id, len(data["attempts"]) + 1
            )

        return run_transaction(self.client, run, purpose=PURPOSE, lock_key=ref.path)

    def record(
        self,
        claimed: Claimed,
        attempt: dict[str, Any],
        next_attempt_at: datetime | None,
        succeeded: bool,
        disable_reason: str | None = None,
    ) -> str:
        """Record an attempt's outcome on its delivery: succeeded, pending again from
        ``next_attempt_at``, or failed (no next attempt); ``disable_reason``: the endpoint is disabled
        in the same transaction. Returns the delivery's status. An attempt whose lease another took
        meanwhile is recorded without changing the status."""
        ref = self.collection.document(claimed.delivery_id)

        def run(transaction: firestore.Transaction) -> str:
            snap = get_document(ref, PURPOSE, transaction)
            data = snap.to_dict() or {}
            if disable_reason is not None:
                endpoint = endpoints_in(get_document(self.endpoints_ref, PURPOSE, transaction)).get(
                    claimed.endpoint.id
                )
                if endpoint is not None and endpoint.status == ENABLED:
                    path = _field(endpoint.id)
                    transaction.update(
                        self.endpoints_ref,
                        {
                            f"{path}.status": DISABLED,
                            f"{path}.disabled_reason": disable_reason,
                            f"{path}.updated_at": attempt["at"],
                        },
                    )
            update: dict[str, Any] = {"attempts": firestore.ArrayUnion([attempt])}
            lease = data.get("lease")
            status = str(data.get("status"))
            if status == PENDING and lease is not None and lease["id"] == claimed.lease_id:
                status = SUCCEEDED if succeeded else PENDING if next_attempt_at is not None else FAILED
                update.update(status=status, lease=None)
                if next_attempt_at is not None and not succeeded:
                    update["next_attempt_at"] = next_attempt_at
            transaction.update(ref, update)
            return status

        return run_transaction(self.client, run, purpose=PURPOSE, lock_key=ref.path)


def overdue(
    now: datetime, grace_seconds: float, limit: int, client: firestore.Client | None = None
) -> list[tuple[str, str]]:
    """(org id, delivery id) of pending deliveries of every org due more than ``grace_seconds``
    before ``now`` whose lease, if any, has run out, oldest first (at most ``limit``)."""
    client = client or firestore_client()
    before = now - timedelta(seconds=grace_seconds)
    query = (
        client.collection_group(DELIVERIES)
        .where(filter=FieldFilter("status", "==", PENDING))
        .where(filter=FieldFilter("next_attempt_at", "<=", before))
        .order_by("next_attempt_at")
        .limit(limit)
    )
    snaps = list(query.stream(**rpc(PURPOSE)))
    documents_read(PURPOSE, len(snaps))
    found = []
    for snap in snaps:
        lease = (snap.to_dict() or {}).get("lease")
        if lease is None or lease["until"] <= now:
            found.append((snap.reference.parent.parent.id, snap.id))
    return found

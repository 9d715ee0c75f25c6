"""Webhook endpoints and deliveries in Firestore.

An org's endpoints (at most ``EVENTS_WEBHOOK_MAX_ENDPOINTS``) live in one document,
``orgs/{org}/webhooks/endpoints`` (``{"endpoints": {id: endpoint}}``, each secret sealed by
:mod:`shared.webhooks.vault`), so every write of an event reads them in its own transaction or batched
write with one more document in the same read: an endpoint whose creation was answered before a change
was asked for always receives that change.

The outbox: the change's commit also creates one delivery per matching endpoint at
``orgs/{org}/webhook_deliveries/{id}``: ``endpoint_id``, ``message_id`` (the change id, or a fresh id
for a ``webhook.test``), ``type``, ``change_id``, ``status`` (``pending``, then ``succeeded`` or
``failed``), ``state`` (what the delivery log shows and filters on: ``pending`` before any attempt,
``retrying`` while pending after a failed one, ``succeeded``, ``failed``), ``attempts`` (each ``at``,
``status_code``, ``error``, ``duration_ms``, ``response_body``: its first 1 KiB), ``series_start`` (the
attempts before the current series: a resend starts a new one, with the whole retry schedule),
``next_attempt_at``, a ``lease`` (``{id, until}``) while an attempt runs, ``body``
(the message, fixed by the first attempt so every attempt sends the same bytes) and ``expires_at``
(30 days on, Firestore's TTL policy deletes it). Endpoint reads are metered under ``webhooks``.

An endpoint also keeps, after a rotation, its previous secret (sealed like the current one) until
``previous_secret_expires_at``, and ``failing_since``: the first failed attempt since its last
success (None while it succeeds), written only when that changes.
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
from shared.model.actor import Actor, ActorKind
from shared.model.errors import ConflictError, NotFoundError
from shared.model.event import Position
from shared.store import changes
from shared.store.budget import get_document, query_run, rpc
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
RETRYING = "retrying"
STATES = (PENDING, RETRYING, SUCCEEDED, FAILED)
BATCH = 500  # the most writes of one batched write
# Who disables an endpoint whose deliveries fail, in the change log.
DELIVERY_ACTOR = Actor(ActorKind.SCHEDULER, "webhook-delivery")
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
    previous_sealed_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    failing_since: datetime | None = None

    def sealed_secrets(self, now: datetime) -> tuple[str, ...]:
        """The sealed secrets a message is signed with at ``now``: the current one, then the previous
        one while its grace lasts."""
        expires = self.previous_secret_expires_at
        if self.previous_sealed_secret and expires is not None and expires > now:
            return (self.sealed_secret, self.previous_sealed_secret)
        return (self.sealed_secret,)

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
            "previous_secret": self.previous_sealed_secret,
            "previous_secret_expires_at": self.previous_secret_expires_at,
            "failing_since": self.failing_since,
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
            previous_sealed_secret=data.get("previous_secret"),
            previous_secret_expires_at=data.get("previous_secret_expires_at"),
            failing_since=data.get("failing_since"),
        )

    def receives(self, change: Mapping[str, Any]) -> bool:
        """Whether this endpoint gets a message of a change record: enabled, one of its types, and
        for an event's change, the event's site, camera and trigger type each in its filter's list
        (when it has one); a change of no event (an endpoint's) passes the filter."""
        if self.status != ENABLED:
            return False
        if EVERY_TYPE not in self.event_types and change.get("type") not in self.event_types:
            return False
        if change.get("type") not in changes.EVENT_TYPES:
            return True
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
        "state": PENDING,
        "attempts": [],
        "series_start": 0,
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
        self,
        endpoint_id: str,
        change: Callable[[Endpoint], dict[str, Any]],
        log: Any = None,
        outcome: dict[str, Any] | None = None,
    ) -> Endpoint:
        """Apply ``change`` (the endpoint -> the stored fields to set) in a transaction, saving the
        request's idempotency ``outcome`` (default: the endpoint's id) in ``log``; returns the endpoint
        as written. NotFoundError when there is no such endpoint."""

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
                log.save(transaction, outcome or {"kind": "webhook_endpoint", "endpoint_id": endpoint_id})
            return updated

        written = run_transaction(self.client, run, purpose=PURPOSE, lock_key=self.ref.path)
        if written is None:
            raise NotFoundError("no such webhook endpoint in this org")
        return written

    def rotate(
        self, endpoint_id: str, sealed_secret: str, grace_seconds: int, now: datetime, log: Any = None
    ) -> Endpoint:
        """Make ``sealed_secret`` the endpoint's secret; the one it replaces still signs messages
        (beside the new one) for ``grace_seconds`` (0: not at all). The request's idempotency outcome
        (``log``) keeps the new secret sealed. NotFoundError for no such endpoint."""

        def change(endpoint: Endpoint) -> dict[str, Any]:
            kept = grace_seconds > 0
            return {
                "secret": sealed_secret,
                "previous_secret": endpoint.sealed_secret if kept else None,
                "previous_secret_expires_at": now + timedelta(seconds=grace_seconds) if kept else None,
                "updated_at": now,
            }

        outcome = {"kind": "webhook_secret", "endpoint_id": endpoint_id, "sealed": sealed_secret}
        return self.change(endpoint_id, change, log, outcome)

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

    def page(
        self, endpoint_id: str, state: str | None, after: Position | None, limit: int
    ) -> tuple[list[tuple[str, dict[str, Any]]], Position | None]:
        """A page of the endpoint's deliveries (id, stored fields), newest first, of one ``state`` or
        all, after ``after`` (``triggered_at`` holds the creation time, ``event_id`` the delivery id),
        and the position after the last one when more follow."""
        query = self.collection.where(filter=FieldFilter("endpoint_id", "==", endpoint_id))
        if state is not None:
            query = query.where(filter=FieldFilter("state", "==", state))
        query = query.order_by("created_at", direction=firestore.Query.DESCENDING).order_by(
            "__name__", direction=firestore.Query.DESCENDING
        )
        if after is not None:
            query = query.start_after(
                {"created_at": after.triggered_at, "__name__": self.collection.document(after.event_id)}
            )
        with query_run():
            snaps = list(query.limit(limit + 1).stream(**rpc(PURPOSE)))
        documents_read(PURPOSE, len(snaps))
        found = [(snap.id, snap.to_dict() or {}) for snap in snaps[:limit]]
        more = len(snaps) > limit
        return found, Position(found[-1][1]["created_at"], found[-1][0]) if more else None

    def resend(self, delivery_id: str, now: datetime, log: Any = None) -> None:
        """Start a new attempt series of the delivery (same message, same ``webhook-id``), due now;
        NotFoundError for no such delivery, ConflictError when its endpoint is gone or disabled or an
        attempt of it is in flight."""
        ref = self.collection.document(delivery_id)

        def run(transaction: firestore.Transaction) -> None:
            snap = get_document(ref, PURPOSE, transaction)
            endpoints = endpoints_in(get_document(self.endpoints_ref, PURPOSE, transaction))
            if not snap.exists:
                raise NotFoundError("no such webhook delivery in this org")
            data = snap.to_dict() or {}
            endpoint = endpoints.get(str(data.get("endpoint_id")))
            if endpoint is None:
                raise ConflictError("the delivery's endpoint was deleted")
            if endpoint.status != ENABLED:
                raise ConflictError("the endpoint is disabled; enable it to send it messages")
            lease = data.get("lease")
            if lease is not None and lease["until"] > now:
                raise ConflictError("an attempt of this delivery is in flight; try again when it ends")
            transaction.update(
                ref,
                {
                    "status": PENDING,
                    "state": PENDING,
                    "series_start": len(data.get("attempts") or []),
                    "next_attempt_at": now,
                    "lease": None,
                    "failure": None,
                    "expires_at": now + RETENTION,
                },
            )
            if log is not None:
                log.save(transaction, {"kind": "webhook_resend", "delivery_id": delivery_id})

        run_transaction(self.client, run, purpose=PURPOSE, lock_key=ref.path)

    def create_many(self, endpoint_id: str, records: list[tuple[str, str]], now: datetime) -> list[str]:
        """New deliveries to the endpoint of change records ``(change id, type)``, each with the change
        id as its ``webhook-id``, due now, written :data:`BATCH` at a time; their ids."""
        made = []
        for start in range(0, len(records), BATCH):
            batch = self.client.batch()
            for change_id, kind in records[start : start + BATCH]:
                delivery_id = new_delivery_id()
                document = delivery_document(endpoint_id, change_id, kind, change_id, None, now)
                batch.create(self.collection.document(delivery_id), document)
                made.append(delivery_id)
            batch.commit(**rpc(PURPOSE))
        return made

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
                transaction.update(ref, {"status": FAILED, "state": FAILED, "failure": reason, "lease": None})
                return FAILED
            lease_id = uuid.uuid4().hex
            transaction.update(
                ref,
                {"lease": {"id": lease_id, "until": now + timedelta(seconds=lease_seconds)}, "body": body},
            )
            attempt = len(data["attempts"]) - int(data.get("series_start") or 0) + 1
            return Claimed(delivery_id, data["message_id"], endpoint, body, lease_id, attempt)

        return run_transaction(self.client, run, purpose=PURPOSE, lock_key=ref.path)

    def record(
        self,
        claimed: Claimed,
        attempt: dict[str, Any],
        next_attempt_at: datetime | None,
        succeeded: bool,
        disable_reason: str | None = None,
    ) -> tuple[str, tuple[str, ...]]:
        """Record an attempt's outcome on its delivery: succeeded, pending again from
        ``next_attempt_at``, or failed (no next attempt). The endpoint's ``failing_since`` follows
        (set by a failure after a success, cleared by a success); ``disable_reason``, or failures for
        ``EVENTS_WEBHOOK_DISABLE_AFTER_SECONDS``, disable the endpoint in the same transaction, with a
        ``webhook_endpoint.disabled`` change record and its deliveries to the endpoints that receive
        it. Returns the delivery's status and those deliveries' ids. An attempt whose lease another
        took meanwhile is recorded without changing the status."""
        ref = self.collection.document(claimed.delivery_id)
        at: datetime = attempt["at"]
        known = claimed.endpoint
        # The endpoints document is written only when the endpoint's state changes (rarely), so the
        # org's many attempts do not contend on it.
        touches = (
            (known.failing_since is not None)
            if succeeded
            else (
                known.failing_since is None
                or disable_reason is not None
                or at - known.failing_since >= timedelta(seconds=settings().webhook_disable_after_seconds)
            )
        )

        def run(transaction: firestore.Transaction) -> tuple[str, tuple[str, ...]]:
            snap = get_document(ref, PURPOSE, transaction)
            data = snap.to_dict() or {}
            staged: tuple[str, ...] = ()
            if touches:
                staged = self._follow(transaction, known.id, at, succeeded, disable_reason)
            update: dict[str, Any] = {"attempts": firestore.ArrayUnion([attempt])}
            lease = data.get("lease")
            status = str(data.get("status"))
            if status == PENDING and lease is not None and lease["id"] == claimed.lease_id:
                status = SUCCEEDED if succeeded else PENDING if next_attempt_at is not None else FAILED
                update.update(status=status, state=RETRYING if status == PENDING else status, lease=None)
                if next_attempt_at is not None and not succeeded:
                    update["next_attempt_at"] = next_attempt_at
            transaction.update(ref, update)
            return status, staged

        return run_transaction(self.client, run, purpose=PURPOSE, lock_key=ref.path)

    def _follow(
        self,
        transaction: firestore.Transaction,
        endpoint_id: str,
        at: datetime,
        succeeded: bool,
        disable_reason: str | None,
    ) -> tuple[str, ...]:
        """The endpoint's side of an attempt, in its transaction (see :meth:`record`)."""
        endpoints = endpoints_in(get_document(self.endpoints_ref, PURPOSE, transaction))
        endpoint = endpoints.get(endpoint_id)
        if endpoint is None or endpoint.status != ENABLED:
            return ()
        path = _field(endpoint_id)
        if succeeded:
            if endpoint.failing_since is not None:
                transaction.update(self.endpoints_ref, {f"{path}.failing_since": None})
            return ()
        since = endpoint.failing_since or at
        limit = settings().webhook_disable_after_seconds
        if disable_reason is None and at - since >= timedelta(seconds=limit):
            disable_reason = (
                f"every delivery failed for {limit} seconds (since {since.isoformat()}); "
                "enable it again to resume deliveries"
            )
        if disable_reason is None:
            if endpoint.failing_since is None:
                transaction.update(self.endpoints_ref, {f"{path}.failing_since": at})
            return ()
        transaction.update(
            self.endpoints_ref,
            {
                f"{path}.status": DISABLED,
                f"{path}.disabled_reason": disable_reason,
                f"{path}.failing_since": None,
                f"{path}.updated_at": at,
            },
        )
        change_id = changes.new_id()
        expires = changes.expiry(at, settings().changes_retention_seconds)
        change = changes.endpoint_disabled_record(DELIVERY_ACTOR, endpoint_id, disable_reason, expires)
        records = self.client.collection("orgs").document(self.org_id).collection(changes.COLLECTION)
        transaction.create(records.document(change_id), change)
        others = {key: value for key, value in endpoints.items() if key != endpoint_id}
        return stage_deliveries(transaction, self.client, self.org_id, others, change_id, change, at)


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
    with query_run():
        snaps = list(query.stream(**rpc(PURPOSE)))
    documents_read(PURPOSE, len(snaps))
    found = []
    for snap in snaps:
        lease = (snap.to_dict() or {}).get("lease")
        if lease is None or lease["until"] <= now:
            found.append((snap.reference.parent.parent.id, snap.id))
    return found

"""The composite indexes the store's queries need and the single-field settings of its collections,
in ``firestore.indexes.json`` form (``novavms-events indexes`` writes the file; CI checks it and
compares it with what the emulator saw the tests' queries use; ``firebase deploy --only=firestore``
deploys it, field overrides and TTL policies included)."""

from __future__ import annotations

import itertools
from typing import Any

from shared.model.filter import EQUALITY_FIELDS
from shared.store import api_keys, changes, idempotency, rate_windows, webhooks
from shared.store.events import ASC, DESC

# The idempotency records' fields (shared/store/idempotency.py): Firestore's TTL deletes a record once
# ``expires_at`` has passed; nothing queries the records (each is read by its id), so none of these
# is indexed: ``outcome`` is a big map (the stored response), ``fingerprint`` a SHA-256 and an index
# on a timestamp that only grows (``expires_at``) would be a write hotspot.
IDEMPOTENCY_TTL_FIELD = "expires_at"
IDEMPOTENCY_UNINDEXED_FIELDS = ("outcome", "fingerprint")
CHANGES_UNINDEXED_FIELDS = ("event", "previous", "changed", "actor", "tags")
# Webhook deliveries are read by id, by the sweeper on (status, next_attempt_at) and by the delivery
# log on (endpoint_id[, state], created_at); the endpoints document is read by its id.
DELIVERIES_UNINDEXED_FIELDS = ("body", "attempts", "lease", "message_id", "change_id")


def required_indexes() -> list[dict[str, Any]]:
    """Every composite index the store's query shapes need, in ``firestore.indexes.json`` form.

    List, count and export: ``deleted`` plus any subset of the equality filters, then ``triggered_at``
    and ``__name__`` descending. Prev/next: ``deleted`` (and ``site_id`` for viewers) in both
    directions. The trash: the same subsets, then ``deleted_at``, ``triggered_at`` and ``__name__``
    descending. Equality fields are listed alphabetically, as the emulator reports them. Then the
    API keys' (:func:`key_indexes`) and the change feed's (:func:`change_indexes`).
    """
    subsets = [
        subset
        for size in range(len(EQUALITY_FIELDS) + 1)
        for subset in itertools.combinations(EQUALITY_FIELDS, size)
    ]
    shapes: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = [(subset, DESC, ()) for subset in subsets]
    shapes += [((), ASC, ()), (("site_id",), ASC, ())]
    shapes += [(subset, DESC, ("deleted_at",)) for subset in subsets]
    events = [
        {
            "collectionGroup": "events",
            "queryScope": "COLLECTION",
            "fields": [{"fieldPath": name, "order": "ASCENDING"} for name in sorted({"deleted", *equal})]
            + [{"fieldPath": name, "order": order} for name in (*leading, "triggered_at", "__name__")],
        }
        for equal, order, leading in shapes
    ]
    return [*events, *key_indexes(), *change_indexes(), *delivery_indexes()]


def delivery_indexes() -> list[dict[str, Any]]:
    """The webhook sweeper's index (every org's pending deliveries by due time, a collection group)
    and the delivery log's (an endpoint's deliveries, of one state or all, newest first)."""
    return [
        {
            "collectionGroup": webhooks.DELIVERIES,
            "queryScope": "COLLECTION_GROUP",
            "fields": [
                {"fieldPath": name, "order": "ASCENDING"}
                for name in ("status", "next_attempt_at", "__name__")
            ],
        },
        *(
            {
                "collectionGroup": webhooks.DELIVERIES,
                "queryScope": "COLLECTION",
                "fields": [{"fieldPath": name, "order": "ASCENDING"} for name in equal]
                + [{"fieldPath": name, "order": "DESCENDING"} for name in ("created_at", "__name__")],
            }
            for equal in (("endpoint_id",), ("endpoint_id", "state"))
        ),
    ]


def change_indexes() -> list[dict[str, Any]]:
    """The change feed's indexes: any non-empty subset of its equality filters (an ``in`` is one),
    then ``at`` and ``__name__`` ascending (with no filter, ``at``'s single-field index serves)."""
    subsets = [
        subset
        for size in range(1, len(changes.FILTER_FIELDS) + 1)
        for subset in itertools.combinations(changes.FILTER_FIELDS, size)
    ]
    return [
        {
            "collectionGroup": changes.COLLECTION,
            "queryScope": "COLLECTION",
            "fields": [
                {"fieldPath": name, "order": "ASCENDING"} for name in (*sorted(subset), "at", "__name__")
            ],
        }
        for subset in subsets
    ]


def key_indexes() -> list[dict[str, Any]]:
    """The API keys' indexes: an org's keys newest first (the key list's pages), and its unrevoked keys
    without an expiry and by expiry (the two counts of live keys a creation makes)."""
    up = "ASCENDING"
    fields = (
        (("org_id", up), ("created_at", "DESCENDING"), ("__name__", "DESCENDING")),
        (("expires_at", up), ("org_id", up), ("revoked_at", up), ("__name__", up)),
        (("org_id", up), ("revoked_at", up), ("expires_at", up), ("__name__", up)),
    )
    return [
        {
            "collectionGroup": api_keys.COLLECTION,
            "queryScope": "COLLECTION",
            "fields": [{"fieldPath": name, "order": order} for name, order in index],
        }
        for index in fields
    ]


def field_overrides() -> list[dict[str, Any]]:
    """The single-field settings, in ``firestore.indexes.json``'s ``fieldOverrides`` form: the TTL
    policies of the idempotency records, the rate-limit windows, the change records and the webhook
    deliveries (``"ttl":
    true``, which the Firebase CLI deploys as the field's ``ttlConfig``) and exemptions from
    single-field indexing
    (``"indexes": []``). The others carry no ``ttl`` key: the CLI then updates only their index
    settings."""
    group = idempotency.COLLECTION
    return [
        {"collectionGroup": group, "fieldPath": IDEMPOTENCY_TTL_FIELD, "ttl": True, "indexes": []},
        *(
            {"collectionGroup": group, "fieldPath": field, "indexes": []}
            for field in IDEMPOTENCY_UNINDEXED_FIELDS
        ),
        # Rate-limit windows: deleted an hour after their minute.
        {"collectionGroup": rate_windows.COLLECTION, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        # Change records: deleted once past their retention; the feed filters on ``at`` (never on
        # ``expires_at``) and never on the stored event, the previous values or the changed names.
        {"collectionGroup": changes.COLLECTION, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        *(
            {"collectionGroup": changes.COLLECTION, "fieldPath": field, "indexes": []}
            for field in CHANGES_UNINDEXED_FIELDS
        ),
        # Webhook deliveries: deleted 30 days after they were made.
        {"collectionGroup": webhooks.DELIVERIES, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        *(
            {"collectionGroup": webhooks.DELIVERIES, "fieldPath": field, "indexes": []}
            for field in DELIVERIES_UNINDEXED_FIELDS
        ),
        {"collectionGroup": webhooks.COLLECTION, "fieldPath": "endpoints", "indexes": []},
    ]


def index_file() -> dict[str, Any]:
    """The whole ``deploy/firestore.indexes.json``."""
    return {"indexes": required_indexes(), "fieldOverrides": field_overrides()}

"""The change log: one record per change of an event at ``orgs/{org}/changes/{change_id}``, written by
the store's one write path in the change's own transaction or batched write (never one without the
other), and the feed's reads of it.

A record holds ``type`` (:data:`TYPES`: an event's change, or :data:`ENDPOINT_DISABLED`, which names
no event, see :func:`endpoint_disabled_record`), ``event_id``, ``at`` (the commit time: Firestore's server
timestamp, resolved when the write commits), ``actor`` (``{kind, id}``), ``changed`` (the names, as
the API shows them, of the fields that changed: a media object named anew is its URL field,
``snapshot_url`` or ``clip_url``; fields the API never shows are left out, and a write that changes
none of the others records nothing), ``previous`` (their values before, for ``event.updated``; never a
media URL's, which is signed per read), ``event`` (the list item's stored fields after the change),
``dismissed`` (whether the event is dismissed after it), what filters and scope need (``site_id``,
``camera_id``, ``trigger_type``, ``tags``) and ``expires_at``, which Firestore's TTL policy deletes it
after. A record older than ``EVENTS_CHANGES_RETENTION_SECONDS`` counts as absent whether or not TTL has run.

The feed reads records in (``at``, id) order, never younger than ``EVENTS_CHANGES_SETTLE_SECONDS``:
Firestore stamps each commit with a TrueTime timestamp and a query sees every commit stamped before
its read time, so a change that commits later than a read carries a later stamp than that read's
time. What a page's upper bound must cover is only the gap between the function's clock and the
store's (NTP-synced, well under a second) and a commit in flight when the page is read; two seconds
cover both, so no change can appear behind a position a reader has passed.
"""

from __future__ import annotations

import heapq
import itertools
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.model.actor import Actor
from shared.model.event import OPERATOR_DEFAULTS, OPERATOR_FIELDS, PIPELINE_FIELDS
from shared.model.scope import Scope
from shared.store.budget import query_run, rpc
from shared.store.client import firestore_client
from shared.store.meter import documents_read
from shared.store.parallel import together

COLLECTION = "changes"
CREATED, UPDATED, DELETED, RESTORED = "event.created", "event.updated", "event.deleted", "event.restored"
EVENT_TYPES = (CREATED, UPDATED, DELETED, RESTORED)
# A webhook endpoint disabled by its deliveries (410, or failing for EVENTS_WEBHOOK_DISABLE_AFTER_SECONDS):
# a record of no event (``event_id`` None) naming the endpoint and the reason.
ENDPOINT_DISABLED = "webhook_endpoint.disabled"
TYPES = (*EVENT_TYPES, ENDPOINT_DISABLED)
DISJUNCTIONS = 30  # Firestore's limit on the disjunctions of one query (an ``in`` of n values is n)
# Stored fields the API never shows: the media object names, the scope's site, the dismissal flag.
HIDDEN_FIELDS = frozenset({"site_id", "snapshot_object", "clip_object", "deleted"})
SHOWN_FIELDS = tuple(name for name in (*PIPELINE_FIELDS, *OPERATOR_FIELDS) if name not in HIDDEN_FIELDS)
# A media object as the API shows it: its signed URL, named in ``changed`` when the object changes.
MEDIA_URL_FIELDS = {"snapshot_object": "snapshot_url", "clip_object": "clip_url"}
# The list item's stored fields (``id`` aside): what a record keeps of the event as of the change.
EVENT_FIELDS = (
    "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at", "summary",
    "tags", "ai_status", "acknowledged", "starred",
)  # fmt: skip
# Equality filters of the feed's queries, in the order the emulator reports them in an index, and its
# array filter (any of some tags).
FILTER_FIELDS = ("camera_id", "site_id", "trigger_type", "type")
ARRAY_FILTER = "tags"


def _shown(data: Mapping[str, Any], name: str) -> Any:
    value = data.get(name, OPERATOR_DEFAULTS.get(name))
    return list(value or []) if name == "tags" else value


def change_type(before: Mapping[str, Any] | None, after: Mapping[str, Any]) -> str:
    """The kind of change from ``before`` (None: no event yet) to ``after``."""
    if before is None:
        return CREATED
    if after.get("deleted") and not before.get("deleted"):
        return DELETED
    if before.get("deleted") and not after.get("deleted"):
        return RESTORED
    return UPDATED


def record(
    actor: Actor,
    event_id: str,
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any],
    expires_at: datetime,
) -> dict[str, Any] | None:
    """The record of the change ``before`` -> ``after`` (None when no field the API shows changed),
    its ``at`` the commit's time."""
    kind = change_type(before, after)
    if before is None:
        changed = sorted(name for name in SHOWN_FIELDS if _shown(after, name) is not None)
        media = [url for name, url in MEDIA_URL_FIELDS.items() if after.get(name)]
    else:
        changed = sorted(name for name in SHOWN_FIELDS if _shown(before, name) != _shown(after, name))
        media = [url for name, url in MEDIA_URL_FIELDS.items() if before.get(name) != after.get(name)]
    if kind == UPDATED and not changed and not media:
        return None
    stored: dict[str, Any] = {
        "type": kind,
        "event_id": event_id,
        "at": firestore.SERVER_TIMESTAMP,
        "actor": actor.stored(),
        "changed": sorted(changed + media),
        "site_id": after.get("site_id"),
        "camera_id": after.get("camera_id"),
        "trigger_type": after.get("trigger_type"),
        "tags": _shown(after, "tags"),
        "event": {name: _shown(after, name) for name in EVENT_FIELDS},
        "dismissed": bool(after.get("deleted")),
        "expires_at": expires_at,
    }
    if kind == UPDATED and before is not None:
        stored["previous"] = {name: _shown(before, name) for name in changed}
    return stored


def endpoint_disabled_record(
    actor: Actor, endpoint_id: str, reason: str, expires_at: datetime
) -> dict[str, Any]:
    """The record of a webhook endpoint disabled by its deliveries: no event, no site (so only callers
    who see every site read it in the feed), ``endpoint_id`` and ``reason``."""
    return {
        "type": ENDPOINT_DISABLED,
        "event_id": None,
        "at": firestore.SERVER_TIMESTAMP,
        "actor": actor.stored(),
        "changed": ["status"],
        "endpoint_id": endpoint_id,
        "reason": reason,
        "site_id": None,
        "camera_id": None,
        "trigger_type": None,
        "dismissed": False,
        "expires_at": expires_at,
    }


def new_id() -> str:
    """A change's id: random, so writes spread over the key space (the feed orders by ``at`` first)."""
    return uuid.uuid4().hex


@dataclass(frozen=True)
class FeedFilter:
    """Which changes a feed selects; None selects all. ``tags``: changes of events that carry any of
    these tags after the change (empty: any)."""

    types: tuple[str, ...] | None = None
    camera_id: str | None = None
    site_id: str | None = None
    trigger_type: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class FeedPosition:
    """A place in the feed: after the record (``at``, ``change_id``), or with an empty ``change_id``,
    after every record stamped at or before ``at``."""

    at: datetime
    change_id: str


@dataclass(frozen=True)
class Change:
    """A stored change record and its id."""

    id: str
    data: Mapping[str, Any]

    @property
    def position(self) -> FeedPosition:
        return FeedPosition(self.data["at"], self.id)


Condition = tuple[str, str, Any]  # (field, "==", "in", "array_contains" or "array_contains_any", value)
DISJUNCTIVE = ("in", "array_contains_any")  # operators Firestore counts a disjunction per value of


def query_plan(feed_filter: FeedFilter, scope: Scope) -> list[list[Condition]]:
    """The conditions of each query whose union is the filter's result within the scope, each within
    Firestore's :data:`DISJUNCTIONS` (the product of its ``in`` and ``array-contains-any`` sizes):
    the types in one ``in`` when every site is reached and they fit beside the tags, else one query
    per type; for a scope limited to some sites, one query per type and chunk of sites, the chunks
    small enough that sites x tags fit. Raises ScopeError for a site filter outside the scope."""
    base: list[Condition] = [
        (name, "==", value)
        for name in ("camera_id", "site_id", "trigger_type")
        if (value := getattr(feed_filter, name)) is not None
    ]
    tags = feed_filter.tags
    if len(tags) == 1:
        base.append(("tags", "array_contains", tags[0]))
    elif tags:
        base.append(("tags", "array_contains_any", list(tags)))
    per_value = max(1, len(tags))  # disjunctions each site or type multiplies
    types = feed_filter.types
    sites = scope.query_sites(feed_filter.site_id)  # None: every site, or the one the filter names
    if sites is None:
        if types is None:
            return [base]
        if len(types) == 1 or len(types) * per_value > DISJUNCTIONS:
            return [[*base, ("type", "==", kind)] for kind in types]
        return [[*base, ("type", "in", list(types))]]
    size = DISJUNCTIONS // per_value
    chunks = [list(sites[i : i + size]) for i in range(0, len(sites), size)]
    by_site: list[Condition] = [
        ("site_id", "==", chunk[0]) if len(chunk) == 1 else ("site_id", "in", chunk) for chunk in chunks
    ]
    if types is None:
        return [[*base, site] for site in by_site]
    return [[*base, site, ("type", "==", kind)] for site in by_site for kind in types]


def disjunctions(conditions: Sequence[Condition]) -> int:
    """How many disjunctions Firestore counts in a query of these conditions (the product of the
    sizes of its ``in`` and ``array-contains-any`` lists)."""
    count = 1
    for _, op, value in conditions:
        if op in DISJUNCTIVE:
            count *= len(value)
    return count


class ChangeLog:
    """The change records of one org, as a scope reads them."""

    def __init__(self, scope: Scope, client: firestore.Client | None = None) -> None:
        self.scope = scope
        self.client = client or firestore_client()
        self.records = self.client.collection("orgs").document(scope.org_id).collection(COLLECTION)

    def _stream(
        self, conditions: list[Condition], after: FeedPosition, upper: datetime, count: int
    ) -> list[Change]:
        query = self.records
        for field, op, value in conditions:
            query = query.where(filter=FieldFilter(field, op, value))
        query = query.where(filter=FieldFilter("at", "<=", upper))
        if not after.change_id:
            query = query.where(filter=FieldFilter("at", ">", after.at))
        query = query.order_by("at").order_by("__name__")
        if after.change_id:
            query = query.start_after({"at": after.at, "__name__": after.change_id})
        with query_run():
            snaps = list(query.limit(count).stream(**rpc(COLLECTION)))
        changes = [Change(snap.id, snap.to_dict() or {}) for snap in snaps]
        documents_read("changes", len(changes))
        return changes

    def page(
        self, feed_filter: FeedFilter, after: FeedPosition, upper: datetime, limit: int, now: datetime
    ) -> tuple[list[Change], FeedPosition | None]:
        """Up to ``limit`` records after ``after`` and stamped at or before ``upper``, oldest first
        (records past their ``expires_at`` as of ``now`` left out), and, when the page is full, the
        position of the last record read (more may follow it before ``upper``)."""
        plan = query_plan(feed_filter, self.scope)
        runs = together([partial(self._stream, query, after, upper, limit) for query in plan])
        merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=lambda c: (c.data["at"], c.id))
        read = list(itertools.islice(merged, limit))
        kept = [change for change in read if change.data["expires_at"] > now]
        return kept, read[-1].position if len(read) == limit else None


def expiry(now: datetime, retention_seconds: int) -> datetime:
    """When a record written ``now`` expires."""
    return now + timedelta(seconds=retention_seconds)

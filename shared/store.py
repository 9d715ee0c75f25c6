"""EventStore: the org's events in Firestore at ``orgs/{org}/events/{id}``.

List order is ``triggered_at`` desc, then document id desc; every query excludes soft-deleted events.
A query limited to more than 30 sites (Firestore's ``in`` limit) runs one query per 30 sites and
merges them in order. Counts are ``count()`` aggregations. PATCH and DELETE are transactions that also
append a history entry (who, when, each changed field old -> new) under ``.../events/{id}/history``.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from google.api_core.exceptions import Conflict
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.config import settings
from shared.cursor import Position
from shared.errors import NotFound, Unavailable
from shared.events import PIPELINE_FIELDS, Event
from shared.filters import EQUALITY_FIELDS, EventFilter
from shared.ids import canonical_uuid
from shared.patch import EventPatch
from shared.timefmt import utcnow

IN_LIMIT = 30
WRITE_BATCH = 500
TRANSACTION_ATTEMPTS = 6
_WRITE_LOCKS = tuple(threading.Lock() for _ in range(64))
DESC, ASC = firestore.Query.DESCENDING, firestore.Query.ASCENDING

_client_lock = threading.Lock()
_clients: dict[tuple[str | None, str], firestore.Client] = {}


def firestore_client() -> firestore.Client:
    """The process's Firestore client for the configured project and database (built once)."""
    config = settings()
    key = (config.project, config.database)
    with _client_lock:
        if key not in _clients:
            _clients[key] = firestore.Client(project=config.project, database=config.database)
        return _clients[key]


@dataclass(frozen=True)
class Page:
    """A page of events in list order; ``has_more`` when a further event matches."""

    events: list[Event]
    has_more: bool


@dataclass(frozen=True)
class Count:
    """A count of matching events and the snapshot time it was taken at (None: nothing queried)."""

    total: int
    read_time: datetime | None


def _sort_key(event: Event) -> tuple[Any, str]:
    return (event.data["triggered_at"], event.id)


class EventStore:
    """One org's events. ``sites`` arguments limit a query to those sites (None: no limit)."""

    def __init__(self, org_id: str, client: firestore.Client | None = None) -> None:
        self.org_id = org_id
        self.client = client or firestore_client()
        self.events = self.client.collection("orgs").document(org_id).collection("events")

    # -- reading ---------------------------------------------------------------------------------

    def _queries(
        self, event_filter: EventFilter, sites: Sequence[str] | None, direction: str = DESC
    ) -> list[firestore.Query]:
        """The ordered queries whose union, merged, is the filter's result (one unless > 30 sites)."""
        if sites is not None and not sites:
            return []
        base = self.events.where(filter=FieldFilter("deleted", "==", False))
        for field, value in event_filter.equalities():
            base = base.where(filter=FieldFilter(field, "==", value))
        if event_filter.date_from is not None:
            base = base.where(filter=FieldFilter("triggered_at", ">=", event_filter.date_from))
        if event_filter.date_to is not None:
            base = base.where(filter=FieldFilter("triggered_at", "<=", event_filter.date_to))
        base = base.order_by("triggered_at", direction=direction).order_by("__name__", direction=direction)
        if sites is None:
            return [base]
        chunks = [sites[i : i + IN_LIMIT] for i in range(0, len(sites), IN_LIMIT)]
        return [
            base.where(filter=FieldFilter("site_id", "==", chunk[0]))
            if len(chunk) == 1
            else base.where(filter=FieldFilter("site_id", "in", list(chunk)))
            for chunk in chunks
        ]

    @staticmethod
    def _after(query: firestore.Query, position: Position | None) -> firestore.Query:
        if position is None:
            return query
        return query.start_after({"triggered_at": position.triggered_at, "__name__": position.event_id})

    def _read(
        self,
        event_filter: EventFilter,
        sites: Sequence[str] | None,
        after: Position | None,
        count: int,
        direction: str = DESC,
        read_time: datetime | None = None,
    ) -> list[Event]:
        """Up to ``count`` matching events after ``after`` in ``direction`` order."""
        runs = [
            [
                Event(snap.id, snap.to_dict() or {})
                for snap in self._after(query, after).limit(count).stream(read_time=read_time)
            ]
            for query in self._queries(event_filter, sites, direction)
        ]
        merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=_sort_key, reverse=direction == DESC)
        return list(itertools.islice(merged, count))

    def page(
        self,
        event_filter: EventFilter,
        sites: Sequence[str] | None,
        after: Position | None,
        limit: int,
        read_time: datetime | None = None,
    ) -> Page:
        """One page of the list (as of ``read_time``, when given)."""
        events = self._read(event_filter, sites, after, limit + 1, read_time=read_time)
        return Page(events[:limit], has_more=len(events) > limit)

    def scan(
        self,
        event_filter: EventFilter,
        sites: Sequence[str] | None,
        after: Position | None = None,
        read_time: datetime | None = None,
        page_size: int = 500,
    ) -> Iterator[Event]:
        """Every matching event after ``after`` in list order, read a page at a time (exports)."""
        while True:
            page = self.page(event_filter, sites, after, page_size, read_time)
            yield from page.events
            if not page.has_more:
                return
            after = page.events[-1].position

    def count(
        self,
        event_filter: EventFilter,
        sites: Sequence[str] | None,
        after: Position | None = None,
        read_time: datetime | None = None,
    ) -> Count:
        """How many events match after ``after`` (aggregation queries, no documents read), and the
        time the count holds for: read at that ``read_time``, the same events come back."""
        total = 0
        for query in self._queries(event_filter, sites):
            for result in self._after(query, after).count(alias="total").get(read_time=read_time):
                total += int(result[0].value)
                read_time = read_time or result[0].read_time
        return Count(total, read_time)

    def get(self, event_id: str) -> Event | None:
        """The event, or None when it does not exist in this org or is deleted."""
        key = canonical_uuid(event_id)
        if key is None:
            return None
        snap = self.events.document(key).get()
        data = snap.to_dict() if snap.exists else None
        if data is None or data.get("deleted"):
            return None
        return Event(snap.id, data)

    def neighbours(self, event: Event, sites: Sequence[str] | None) -> tuple[str | None, str | None]:
        """(prev, next) visible event ids in list order: prev is the newer neighbour, next the older."""
        everything = EventFilter()
        newer = self._read(everything, sites, event.position, 1, direction=ASC)
        older = self._read(everything, sites, event.position, 1, direction=DESC)
        return (newer[0].id if newer else None, older[0].id if older else None)

    def history(self, event_id: str) -> list[dict[str, Any]]:
        """The event's change history, oldest first."""
        entries = self.events.document(event_id).collection("history").order_by("at").stream()
        return [entry.to_dict() or {} for entry in entries]

    # -- writing ---------------------------------------------------------------------------------

    def _change(
        self,
        event_id: str,
        action: str,
        user_id: str,
        decide: Callable[[Event], dict[str, Any]],
    ) -> Event:
        """In one transaction: read the live event (404 if absent or deleted), let ``decide`` check
        it and name the changes, write them and a history entry. Returns the event as written."""
        key = canonical_uuid(event_id)
        if key is None:
            raise NotFound()
        ref = self.events.document(key)

        @firestore.transactional  # type: ignore[untyped-decorator]
        def run(transaction: firestore.Transaction) -> Event:
            snap = ref.get(transaction=transaction)
            data = snap.to_dict() if snap.exists else None
            if data is None or data.get("deleted"):
                raise NotFound()
            current = Event(key, data)
            changes = decide(current)
            if changes:
                transaction.update(ref, changes)
                transaction.create(
                    ref.collection("history").document(),
                    {
                        "at": utcnow(),
                        "by": user_id,
                        "action": action,
                        "changes": {k: {"old": data.get(k), "new": v} for k, v in changes.items()},
                    },
                )
            return Event(key, {**data, **changes})

        # One writer per document per instance: threads of one instance never contend for the same
        # document's lock in Firestore; contention across instances is retried with jittered backoff.
        with _WRITE_LOCKS[hash(ref.path) % len(_WRITE_LOCKS)]:
            for attempt in range(TRANSACTION_ATTEMPTS):
                try:
                    result: Event = run(self.client.transaction())
                    return result
                except Conflict:  # Aborted, or the emulator's "transaction lock timeout"
                    time.sleep(random.uniform(0, 0.05 * 2**attempt))
        raise Unavailable("the event is being changed by others right now; retry shortly", retry_after=1)

    def update(self, event_id: str, patch: EventPatch, user_id: str, guard: Callable[[str], None]) -> Event:
        """Apply a PATCH transactionally once ``guard(site_id)`` passes; returns the new event."""

        def decide(event: Event) -> dict[str, Any]:
            guard(event.site_id)
            return patch.changes(event.data, user_id, utcnow())

        return self._change(event_id, "update", user_id, decide)

    def soft_delete(self, event_id: str, user_id: str, guard: Callable[[str], None]) -> None:
        """Mark the event deleted (who, when) once ``guard(site_id)`` passes; all its data stays."""

        def decide(event: Event) -> dict[str, Any]:
            guard(event.site_id)
            return {"deleted": True, "deleted_at": utcnow(), "deleted_by": user_id}

        self._change(event_id, "delete", user_id, decide)

    def upsert_pipeline(
        self, records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]
    ) -> tuple[int, int]:
        """Write events from the pipeline: (id, pipeline fields, initial operator fields).

        A new event gets both; an existing one (deleted or not) only its pipeline fields, so
        acknowledgements, stars, notes, deletions and history survive a re-load. Returns (created,
        updated).
        """
        created = updated = 0
        pending = iter(records)
        while chunk := list(itertools.islice(pending, WRITE_BATCH)):
            latest = {event_id: (pipeline, operator) for event_id, pipeline, operator in chunk}
            refs = [self.events.document(event_id) for event_id in latest]
            existing = {snap.id for snap in self.client.get_all(refs, field_paths=["deleted"]) if snap.exists}
            batch = self.client.batch()
            for ref in refs:
                pipeline, operator = latest[ref.id]
                if ref.id in existing:
                    batch.update(ref, {name: pipeline[name] for name in PIPELINE_FIELDS})
                    updated += 1
                else:
                    batch.set(ref, {**pipeline, **operator})
                    created += 1
            batch.commit()
        return created, updated


def required_indexes() -> list[dict[str, Any]]:
    """Every composite index the store's query shapes need, in ``firestore.indexes.json`` form.

    List, count and export: ``deleted`` plus any subset of the equality filters, then ``triggered_at``
    and ``__name__`` descending. Prev/next: ``deleted`` (and ``site_id`` for viewers) in both
    directions. Equality fields are listed alphabetically, as the emulator reports them.
    """
    shapes: list[tuple[tuple[str, ...], str]] = [
        (subset, DESC)
        for size in range(len(EQUALITY_FIELDS) + 1)
        for subset in itertools.combinations(EQUALITY_FIELDS, size)
    ]
    shapes += [((), ASC), (("site_id",), ASC)]
    return [
        {
            "collectionGroup": "events",
            "queryScope": "COLLECTION",
            "fields": [{"fieldPath": name, "order": "ASCENDING"} for name in sorted({"deleted", *equal})]
            + [{"fieldPath": "triggered_at", "order": order}, {"fieldPath": "__name__", "order": order}],
        }
        for equal, order in shapes
    ]

"""EventStore: the events of one scope (an org, and for viewers some of its sites) in Firestore at
``orgs/{org}/events/{id}``.

List order is ``triggered_at`` desc, then document id desc; every query excludes soft-deleted events.
The scope is enforced for reads and writes alike: queries are limited to its sites (one query per
30 sites, Firestore's ``in`` limit, merged in order), and reading or changing an event outside them
is 403. Counts are ``count()`` aggregations. Operator changes and dismissals are transactions that
also append a history entry (actor, time, each changed field old -> new) under
``.../events/{id}/history``, and, when the request carries an idempotency key, its record.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.errors import NotFound
from shared.ids import canonical_uuid
from shared.model.actor import Actor
from shared.model.changes import EventChanges, dismissal
from shared.model.event import PIPELINE_FIELDS, Event, Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.store.budget import rpc
from shared.store.client import firestore_client
from shared.store.meter import documents_read, entries_counted
from shared.store.parallel import together
from shared.store.transactions import run_transaction
from shared.timefmt import utcnow

IN_LIMIT = 30
WRITE_BATCH = 500
DESC, ASC = firestore.Query.DESCENDING, firestore.Query.ASCENDING


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


class OutcomeRecord(Protocol):
    """Where a change's outcome is recorded in the change's own transaction (an idempotency record)."""

    def save(self, transaction: firestore.Transaction, outcome: dict[str, Any]) -> None: ...


def _sort_key(event: Event) -> tuple[Any, str]:
    return (event.data["triggered_at"], event.id)


def _merged(runs: list[list[Event]], count: int, direction: str) -> list[Event]:
    """The first ``count`` events of ordered runs (one per chunk of sites), merged in order."""
    merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=_sort_key, reverse=direction == DESC)
    return list(itertools.islice(merged, count))


class EventStore:
    """The events a scope reaches."""

    def __init__(self, scope: Scope, client: firestore.Client | None = None) -> None:
        self.scope = scope
        self.client = client or firestore_client()
        self.events = self.client.collection("orgs").document(scope.org_id).collection("events")

    # -- reading ---------------------------------------------------------------------------------

    def _queries(self, event_filter: EventFilter, direction: str = DESC) -> list[firestore.Query]:
        """The ordered queries whose union, merged, is the filter's result within the scope (one
        unless more than 30 sites); raises Forbidden for a site filter outside the scope."""
        sites = self.scope.query_sites(event_filter.site_id)
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

    def _stream(
        self, query: firestore.Query, after: Position | None, count: int, read_time: datetime | None
    ) -> list[Event]:
        """Up to ``count`` events of one query after ``after`` (one RPC)."""
        stream = self._after(query, after).limit(count).stream(read_time=read_time, **rpc())
        events = [Event(snap.id, snap.to_dict() or {}) for snap in stream]
        documents_read("events", len(events))
        return events

    def _tally(
        self, query: firestore.Query, after: Position | None, read_time: datetime | None
    ) -> tuple[int, datetime | None]:
        """How many events one query matches after ``after``, and the time of that count (one RPC)."""
        total, counted_at = 0, read_time
        for result in self._after(query, after).count(alias="total").get(read_time=read_time, **rpc()):
            total += int(result[0].value)
            counted_at = counted_at or result[0].read_time
        entries_counted("events", total)
        return total, counted_at

    def _read(
        self,
        event_filter: EventFilter,
        after: Position | None,
        count: int,
        direction: str = DESC,
        read_time: datetime | None = None,
    ) -> list[Event]:
        """Up to ``count`` matching events after ``after`` in ``direction`` order (the chunks of a
        scope's sites are read together)."""
        queries = self._queries(event_filter, direction)
        runs = together([partial(self._stream, query, after, count, read_time) for query in queries])
        return _merged(runs, count, direction)

    def page_and_total(
        self, event_filter: EventFilter, after: Position | None, limit: int
    ) -> tuple[Page, int]:
        """A list page and the count of every match, their queries (each chunk's read and count)
        issued together."""
        queries = self._queries(event_filter)
        reads = [partial(self._stream, query, after, limit + 1, None) for query in queries]
        counts = [partial(self._tally, query, None, None) for query in queries]
        results: list[Any] = together([*reads, *counts])
        events = _merged(results[: len(queries)], limit + 1, DESC)
        total = sum(tally[0] for tally in results[len(queries) :])
        return Page(events[:limit], has_more=len(events) > limit), total

    def page(
        self,
        event_filter: EventFilter,
        after: Position | None,
        limit: int,
        read_time: datetime | None = None,
    ) -> Page:
        """One page of the list (as of ``read_time``, when given)."""
        events = self._read(event_filter, after, limit + 1, read_time=read_time)
        return Page(events[:limit], has_more=len(events) > limit)

    def scan(
        self,
        event_filter: EventFilter,
        after: Position | None = None,
        read_time: datetime | None = None,
        page_size: int = 500,
    ) -> Iterator[Event]:
        """Every matching event after ``after`` in list order, read a page at a time (exports)."""
        while True:
            page = self.page(event_filter, after, page_size, read_time)
            yield from page.events
            if not page.has_more:
                return
            after = page.events[-1].position

    def count(
        self,
        event_filter: EventFilter,
        after: Position | None = None,
        read_time: datetime | None = None,
    ) -> Count:
        """How many events match after ``after`` (aggregation queries, no documents read), and the
        time the count holds for: read at that ``read_time``, the same events come back. Without a
        ``read_time`` the first chunk's count sets it and the other chunks are counted together at it."""
        first, *others = self._queries(event_filter)
        total, read_time = self._tally(first, after, read_time)
        rest = together([partial(self._tally, query, after, read_time) for query in others])
        return Count(total + sum(tally for tally, _ in rest), read_time)

    def get(self, event_id: str) -> Event | None:
        """The event, or None when it does not exist in this org or is deleted; Forbidden when it is
        outside the scope's sites."""
        key = canonical_uuid(event_id)
        if key is None:
            return None
        snap = self.events.document(key).get(**rpc())
        documents_read("events", 1 if snap.exists else 0)
        data = snap.to_dict() if snap.exists else None
        if data is None or data.get("deleted"):
            return None
        event = Event(snap.id, data)
        self.scope.check(event.site_id)
        return event

    def neighbours(self, event: Event) -> tuple[str | None, str | None]:
        """(prev, next) event ids in list order within the scope: prev is the newer neighbour, next
        the older."""
        everything = EventFilter()
        newer_queries, older_queries = self._queries(everything, ASC), self._queries(everything, DESC)
        runs = together(
            [partial(self._stream, query, event.position, 1, None) for query in newer_queries + older_queries]
        )
        newer = _merged(runs[: len(newer_queries)], 1, ASC)
        older = _merged(runs[len(newer_queries) :], 1, DESC)
        return (newer[0].id if newer else None, older[0].id if older else None)

    def history(self, event_id: str) -> list[dict[str, Any]]:
        """The event's change history, oldest first, each entry's ``by`` read as an :class:`Actor`."""
        entries = self.events.document(event_id).collection("history").order_by("at").stream(**rpc())
        return [
            {**data, "by": Actor.from_stored(data.get("by"))}
            for data in (entry.to_dict() or {} for entry in entries)
        ]

    # -- writing ---------------------------------------------------------------------------------

    def _change(
        self,
        event_id: str,
        action: str,
        actor: Actor,
        decide: Callable[[Event, datetime], dict[str, Any]],
        record: OutcomeRecord | None,
    ) -> Event:
        """In one transaction: read the live event (404 if absent or deleted, 403 outside the scope),
        let ``decide`` name the changes as of one server time, write them, a history entry at that time
        and the outcome ``record``.
        Returns the event as written."""
        key = canonical_uuid(event_id)
        if key is None:
            raise NotFound()
        ref = self.events.document(key)

        def run(transaction: firestore.Transaction) -> Event | None:
            snap = ref.get(transaction=transaction, **rpc())
            data = snap.to_dict() if snap.exists else None
            if data is None or data.get("deleted"):
                if record is not None:
                    record.save(transaction, {"kind": "not_found"})
                return None
            self.scope.check(str(data["site_id"]))
            now = utcnow()
            changes = decide(Event(key, data), now)
            if changes:
                transaction.update(ref, changes)
                transaction.create(
                    ref.collection("history").document(),
                    {
                        "at": now,
                        "by": actor.stored(),
                        "action": action,
                        "changes": {k: {"old": data.get(k), "new": v} for k, v in changes.items()},
                    },
                )
            written = {**data, **changes}
            if record is not None:
                record.save(transaction, {"kind": "event", "event_id": key, "event": written})
            return Event(key, written)

        event = run_transaction(self.client, run, lock_key=ref.path)
        if event is None:
            raise NotFound()
        return event

    def update(
        self, event_id: str, changes: EventChanges, actor: Actor, record: OutcomeRecord | None = None
    ) -> Event:
        """Apply operator changes transactionally; returns the event as written."""
        return self._change(
            event_id, "update", actor, lambda event, now: changes.fields(event.data, actor, now), record
        )

    def dismiss(self, event_id: str, actor: Actor, record: OutcomeRecord | None = None) -> Event:
        """Soft delete: mark the event deleted (who, when); all its data stays."""
        return self._change(event_id, "delete", actor, lambda _, now: dismissal(actor, now), record)

    def upsert_pipeline(
        self, records: Iterable[tuple[str, dict[str, Any], dict[str, Any]]]
    ) -> tuple[int, int]:
        """Write events from the pipeline: (id, pipeline fields, initial operator fields).

        A new event gets both; an existing one (deleted or not) only its pipeline fields, so
        acknowledgements, stars, notes, deletions and history survive a re-load. No history entries
        are written. The scope must reach the whole org. Returns (created, updated).
        """
        if self.scope.sites is not None:
            raise ValueError("pipeline loads write the whole org; a site-scoped store cannot")
        created = updated = 0
        pending = iter(records)
        while chunk := list(itertools.islice(pending, WRITE_BATCH)):
            latest = {event_id: (pipeline, operator) for event_id, pipeline, operator in chunk}
            refs = [self.events.document(event_id) for event_id in latest]
            existing = {
                snap.id for snap in self.client.get_all(refs, field_paths=["deleted"], **rpc()) if snap.exists
            }
            batch = self.client.batch()
            for ref in refs:
                pipeline, operator = latest[ref.id]
                if ref.id in existing:
                    batch.update(ref, {name: pipeline[name] for name in PIPELINE_FIELDS})
                    updated += 1
                else:
                    batch.set(ref, {**pipeline, **operator})
                    created += 1
            batch.commit(**rpc())
        return created, updated

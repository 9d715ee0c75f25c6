"""EventStore: the events of one scope (an org, and for viewers some of its sites) in Firestore at
``orgs/{org}/events/{id}``.

List order is ``triggered_at`` desc, then document id desc; every query excludes soft-deleted events.
The scope is enforced for reads and writes alike: queries are limited to its sites (one query per
30 sites, Firestore's ``in`` limit, merged in order), and reading or changing an event outside them
raises ScopeError. Counts are ``count()`` aggregations.

Every write of an event (pipeline load and re-load, operator change, dismissal, restoration, each
event of a batch) goes through one path: its rules (not found, scope) are decided once per event
(:meth:`EventStore._plan`), and the event, a history entry (operator writes: actor, time, each changed
field old -> new, under ``.../events/{id}/history``) and its change record (:mod:`shared.store.changes`)
are staged into the same transaction or batched write, with the request's idempotency record when
it carries one; after the commit, the :data:`AFTER_COMMIT` hooks run. A write that changes nothing
writes nothing. Loads (the loader's :meth:`EventStore.upsert_pipeline`, the ingest API's
:meth:`EventStore.load` and :meth:`EventStore.load_one`, by the caller's actor) report each id's
outcome: ``created``, ``changed`` or ``unchanged``. The store raises the model's errors
(:mod:`shared.model.errors`), never HTTP ones.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from google.api_core import exceptions as google
from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from shared.caches import ExpiringCache
from shared.config import settings
from shared.ids import canonical_uuid
from shared.model.actor import PIPELINE, Actor
from shared.model.changes import EventChanges, dismissal, restoration
from shared.model.errors import NotFoundError, TooManyEvents
from shared.model.event import PIPELINE_FIELDS, Event, PipelineRecord, Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.model.search import TERMS_FIELD, clause_term, exact_by_query, matches, terms, with_terms
from shared.store.budget import get_document, query_run, rpc
from shared.store.client import firestore_client
from shared.store.meter import documents_read, entries_counted, written
from shared.store.parallel import bounded, together
from shared.store.totals import forget_org
from shared.store.transactions import run_transaction
from shared.store.webhook_queue import enqueue_all
from shared.timefmt import utcnow

if TYPE_CHECKING:
    from shared.store.webhooks import Endpoint

# The change log and the webhook outbox (shared.store.changes, shared.store.webhooks) are imported by
# the writes that stage into them, not here: a function that only reads (a GET) never loads them.

IN_LIMIT = 30
# Events a batch reads at once and writes in one batched write (3 writes each: the event, its history
# entry, its change record), within Firestore's 500 writes a batched write.
BATCH_CHUNK = 160
BATCH_CONCURRENCY = 4  # chunks of a batch at once
CHUNK_ATTEMPTS = 3  # reads of a chunk that concurrent changes overtake, before one transaction per event
WRITE_BATCH = 500
SCAN_BATCH = 500  # the most candidates a search reads from one query at once
WORD_CHOICE_SECONDS = 60  # how long an instance keeps a search's choice of its query word
DESC, ASC = firestore.Query.DESCENDING, firestore.Query.ASCENDING
NOT_FOUND, UNCHANGED, CHANGED, CREATED = "not_found", "unchanged", "changed", "created"
Decide = Callable[["Event | None", datetime], dict[str, Any]]


@dataclass(frozen=True)
class Operation:
    """What one write does to each event it reaches: ``decide`` names the stored fields to write as
    of a time (empty: nothing changes; for an absent event, when ``creates``, the whole document);
    ``action`` names its history entries (None: a pipeline load, which writes none);
    ``include_deleted``: dismissed events are reached too."""

    actor: Actor
    decide: Decide
    action: str | None
    include_deleted: bool = False
    creates: bool = False


@dataclass(frozen=True)
class Planned:
    """An operation's outcome for one event: ``status`` (not_found, unchanged, changed, created), the
    document before (None: absent), the fields written and, once staged, the webhook deliveries its
    change record made (their ids)."""

    key: str
    status: str
    before: Mapping[str, Any] | None
    fields: dict[str, Any]
    deliveries: tuple[str, ...] = ()

    @property
    def after(self) -> dict[str, Any]:
        """The document as written."""
        return {**(self.before or {}), **self.fields}


class _TooManyWrites(Exception):
    """A chunk whose writes (with the org's webhook deliveries) would not fit one batched write: write
    it ``fits`` events at a time."""

    def __init__(self, fits: int) -> None:
        super().__init__(fits)
        self.fits = fits


class Writes(Protocol):
    """A transaction or a batched write: where a change is staged until it commits."""

    def create(self, reference: firestore.DocumentReference, document_data: dict[str, Any]) -> Any: ...

    def update(
        self, reference: firestore.DocumentReference, field_updates: dict[str, Any], option: Any = None
    ) -> Any: ...


AfterCommit = Callable[[str, Sequence[Planned]], None]
AFTER_COMMIT: list[AfterCommit] = [
    lambda org_id, _: forget_org(org_id),
    lambda org_id, done: enqueue_all(org_id, [d for planned in done for d in planned.deliveries]),
]
"""What runs after changes commit, with the org and the changes (this instance's counts see them at
once; the webhook deliveries they made are enqueued, see :mod:`shared.store.webhook_queue`)."""


def _live(decide: Callable[[Event, datetime], dict[str, Any]]) -> Decide:
    """An operation's ``decide`` for events that exist (it never creates)."""
    return lambda event, now: {} if event is None else decide(event, now)


def _load(pipeline: dict[str, Any], operator: dict[str, Any], actor: Actor = PIPELINE) -> Operation:
    """A load of one event by ``actor`` (the loader, or an ingest API caller): created with its
    operator fields, else its pipeline fields that differ rewritten (dismissed events included, and
    left dismissed); when none differs, nothing is written."""

    def decide(event: Event | None, _: datetime) -> dict[str, Any]:
        if event is None:
            return {**pipeline, **operator}
        return {name: pipeline[name] for name in PIPELINE_FIELDS if event.data.get(name) != pipeline[name]}

    return Operation(actor, decide, None, include_deleted=True, creates=True)


@dataclass(frozen=True)
class Page:
    """A page of events in list order; ``has_more`` when a further event may match. ``resume``: where
    the next page starts when a search stopped at its read cap (:data:`EVENTS_SEARCH_SCAN_CAP`)
    past the page's last event (None: right after it)."""

    events: list[Event]
    has_more: bool
    resume: Position | None = None


@dataclass(frozen=True)
class LoadCounts:
    """What a pipeline load did: events ``created``, ``changed`` (an existing event whose pipeline
    fields differed, rewritten), ``unchanged`` (nothing differed: nothing written) and records
    ``superseded`` by a later record of the same id in the same chunk (not written)."""

    created: int
    changed: int
    unchanged: int
    superseded: int


@dataclass(frozen=True)
class Count:
    """A count of matching events and the snapshot time it was taken at (None: nothing queried);
    ``exact`` is False for a search that stopped at its read cap (``total`` is what it found)."""

    total: int
    read_time: datetime | None
    exact: bool = True


@dataclass(frozen=True)
class Plan:
    """How a filter is queried: ``queries`` (ordered, their union the candidates) and whether every
    candidate matches (``exact``) or each must be checked against the filter's tags and words after
    the query (:func:`shared.model.search.matches`)."""

    queries: list[firestore.Query]
    exact: bool


class OutcomeRecord(Protocol):
    """Where a change's outcome is recorded in the change's own transaction (an idempotency record)."""

    def save(self, transaction: firestore.Transaction, outcome: dict[str, Any]) -> None: ...


def _sort_key(event: Event) -> tuple[Any, str]:
    return (event.data["triggered_at"], event.id)


def _entry(
    action: str, actor: Actor, now: datetime, before: Mapping[str, Any], changes: dict[str, Any]
) -> dict[str, Any]:
    """A history entry: when, who, what, and each changed field's old and new value."""
    return {
        "at": now,
        "by": actor.stored(),
        "action": action,
        "changes": {
            name: {"old": before.get(name), "new": value}
            for name, value in changes.items()
            if name != TERMS_FIELD  # derived from the fields beside it, never shown
        },
    }


def _stored_entry(snap: firestore.DocumentSnapshot) -> dict[str, Any]:
    """A history entry as read: its fields, its ``id`` and ``by`` as an :class:`Actor`."""
    entry = snap.to_dict() or {}
    return {**entry, "id": snap.id, "by": Actor.from_stored(entry.get("by"))}


def _trash_key(event: Event) -> tuple[Any, Any, str]:
    return (event.data["deleted_at"], event.data["triggered_at"], event.id)


def trash_position(event: Event) -> Position:
    """A dismissed event's place in the trash (newest dismissal first)."""
    return Position(event.data["triggered_at"], event.id, event.data["deleted_at"])


def _merged(
    runs: list[list[Event]], count: int, direction: str, key: Callable[[Event], Any] = _sort_key
) -> list[Event]:
    """The first ``count`` events of ordered runs (one per chunk of sites), merged in order."""
    merged = runs[0] if len(runs) == 1 else heapq.merge(*runs, key=key, reverse=direction == DESC)
    return list(itertools.islice(merged, count))


def _position(event: Event) -> Position:
    return event.position


WORD_CHOICE: ExpiringCache[tuple[Any, ...], str] = ExpiringCache(2_000)
"""A multi-word search's query word (:meth:`EventStore._rarest`) by project, database, scope, list
and filter."""


class _Scan:
    """The candidates of a search's ordered queries (one per chunk of sites) merged in list order
    (newest first), read a batch per query at a time (the batch doubling up to :data:`SCAN_BATCH`),
    at most ``budget`` documents in all (None: no bound). Iteration ends at the end of every query
    (``exhausted``) or where the budget ran out before a query could be read further; ``last`` is the
    position of the last candidate given, where a later scan resumes without gap or repeat."""

    def __init__(
        self,
        store: EventStore,
        queries: list[firestore.Query],
        after: Position | None,
        key: Callable[[Event], Any],
        place: Callable[[Event], Position],
        budget: int | None,
        batch: int,
        read_time: datetime | None = None,
    ) -> None:
        self.store, self.queries, self.after, self.key, self.place = store, queries, after, key, place
        self.budget, self.batch, self.read_time = budget, batch, read_time
        self.read = 0
        self.exhausted = False
        self.last: Position | None = after

    def __iter__(self) -> Iterator[Event]:
        count = len(self.queries)
        buffers: list[deque[Event]] = [deque() for _ in range(count)]
        ended, where = [False] * count, [self.after] * count
        size = self.batch
        while True:
            needing = [i for i in range(count) if not buffers[i] and not ended[i]]
            if needing:
                share = size if self.budget is None else min(size, (self.budget - self.read) // len(needing))
                if share < 1:
                    return  # the budget is spent: a later scan resumes at ``last``
                runs = together(
                    [
                        partial(self.store._stream, self.queries[i], where[i], share, self.read_time)
                        for i in needing
                    ]
                )
                for i, run in zip(needing, runs, strict=True):
                    self.read += len(run)
                    buffers[i].extend(run)
                    ended[i] = len(run) < share
                    if run:
                        where[i] = self.place(run[-1])
                size = min(2 * size, SCAN_BATCH)
            live = [i for i in range(count) if buffers[i]]
            if not live:
                self.exhausted = True
                return
            event = buffers[max(live, key=lambda i: self.key(buffers[i][0]))].popleft()
            self.last = self.place(event)
            yield event


class EventStore:
    """The events a scope reaches."""

    def __init__(self, scope: Scope, client: firestore.Client | None = None) -> None:
        self.scope = scope
        self.client = client or firestore_client()
        self.events = self.client.collection("orgs").document(scope.org_id).collection("events")

    @property
    def changes(self) -> firestore.CollectionReference:
        """The org's change records (:mod:`shared.store.changes`)."""
        from shared.store.changes import COLLECTION

        return self.client.collection("orgs").document(self.scope.org_id).collection(COLLECTION)

    # -- reading ---------------------------------------------------------------------------------

    def _queries(
        self, event_filter: EventFilter, direction: str = DESC, trash: bool = False, word: str | None = None
    ) -> list[firestore.Query]:
        """The ordered queries whose union, merged, is the filter's candidates within the scope (one
        unless the sites need more than one ``in``); raises ScopeError for a site filter outside the
        scope. ``trash``: the dismissed events instead, newest dismissal first. One array clause at
        most: ``word`` (one of the filter's words) on the stored terms, else the tags (any of them);
        the scope's sites are chunked so that sites x tags stays within Firestore's 30 disjunctions."""
        sites = self.scope.query_sites(event_filter.site_id)
        base = self.events.where(filter=FieldFilter("deleted", "==", trash))
        for field, value in event_filter.equalities():
            base = base.where(filter=FieldFilter(field, "==", value))
        per_site = 1
        if word is not None:
            base = base.where(filter=FieldFilter(TERMS_FIELD, "array_contains", clause_term(word)))
        elif len(event_filter.tags) == 1:
            base = base.where(filter=FieldFilter("tags", "array_contains", event_filter.tags[0]))
        elif event_filter.tags:
            base = base.where(filter=FieldFilter("tags", "array_contains_any", list(event_filter.tags)))
            per_site = len(event_filter.tags)
        if event_filter.date_from is not None:
            base = base.where(filter=FieldFilter("triggered_at", ">=", event_filter.date_from))
        if event_filter.date_to is not None:
            base = base.where(filter=FieldFilter("triggered_at", "<=", event_filter.date_to))
        if trash:
            base = base.order_by("deleted_at", direction=direction)
        base = base.order_by("triggered_at", direction=direction).order_by("__name__", direction=direction)
        if sites is None:
            return [base]
        size = IN_LIMIT // per_site
        chunks = [sites[i : i + size] for i in range(0, len(sites), size)]
        return [
            base.where(filter=FieldFilter("site_id", "==", chunk[0]))
            if len(chunk) == 1
            else base.where(filter=FieldFilter("site_id", "in", list(chunk)))
            for chunk in chunks
        ]

    def plan(self, event_filter: EventFilter, trash: bool = False) -> Plan:
        """How ``event_filter`` is queried (newest first): a filter without words is exact; with
        words, the query is on the rarest word (:meth:`_rarest`) and exact only when that word is the
        filter's only search term and short enough for its stored prefix to decide."""
        if not event_filter.words:
            return Plan(self._queries(event_filter, trash=trash), exact=True)
        word = self._rarest(event_filter, trash)
        exact = event_filter.words == (word,) and not event_filter.tags and exact_by_query(word)
        return Plan(self._queries(event_filter, trash=trash, word=word), exact)

    def _rarest(self, event_filter: EventFilter, trash: bool) -> str:
        """The filter's word with the fewest candidates (counted with the filter's other equalities,
        each up to the scan cap, all at once; kept per instance for a minute), the longest on a tie."""
        words = event_filter.words
        if len(words) == 1:
            return words[0]
        config = settings()
        key = (config.project, config.database, self.scope, trash, event_filter.fingerprint())
        found, chosen = WORD_CHOICE.get(key)
        if found and chosen is not None:
            return chosen
        unsearched = replace(event_filter, words=(), tags=())
        per_word = [self._queries(unsearched, trash=trash, word=word) for word in words]
        tallies = together(
            [
                partial(self._tally, query, None, None, config.search_scan_cap + 1)
                for queries in per_word
                for query in queries
            ]
        )
        chunks = len(per_word[0])
        counts = [sum(t for t, _ in tallies[i * chunks : (i + 1) * chunks]) for i in range(len(words))]
        chosen = min(zip(counts, words, strict=True), key=lambda pair: (pair[0], -len(pair[1])))[1]
        WORD_CHOICE.put(key, chosen, WORD_CHOICE_SECONDS)
        return chosen

    @staticmethod
    def _after(query: firestore.Query, position: Position | None) -> firestore.Query:
        if position is None:
            return query
        fields: dict[str, Any] = {"triggered_at": position.triggered_at, "__name__": position.event_id}
        if position.deleted_at is not None:  # a place in the trash
            fields = {"deleted_at": position.deleted_at, **fields}
        return query.start_after(fields)

    def _stream(
        self, query: firestore.Query, after: Position | None, count: int, read_time: datetime | None
    ) -> list[Event]:
        """Up to ``count`` events of one query after ``after`` (one RPC)."""
        with query_run():
            snaps = list(self._after(query, after).limit(count).stream(read_time=read_time, **rpc()))
        events = [Event(snap.id, snap.to_dict() or {}) for snap in snaps]
        documents_read("events", len(events))
        return events

    def _tally(
        self,
        query: firestore.Query,
        after: Position | None,
        read_time: datetime | None,
        up_to: int | None = None,
    ) -> tuple[int, datetime | None]:
        """How many events one query matches after ``after`` (at most ``up_to``: Firestore stops
        counting there), and the time of that count (one RPC)."""
        total, counted_at = 0, read_time
        bounded_query = self._after(query, after)
        if up_to is not None:
            bounded_query = bounded_query.limit(up_to)
        with query_run():
            results = bounded_query.count(alias="total").get(read_time=read_time, **rpc())
        for result in results:
            total += int(result[0].value)
            counted_at = counted_at or result[0].read_time
        entries_counted("events", total)
        return total, counted_at

    def _read(
        self,
        queries: list[firestore.Query],
        after: Position | None,
        count: int,
        read_time: datetime | None = None,
    ) -> list[Event]:
        """Up to ``count`` events of an exact plan's ``queries`` after ``after``, newest first (the
        chunks of a scope's sites are read together)."""
        runs = together([partial(self._stream, query, after, count, read_time) for query in queries])
        return _merged(runs, count, DESC)

    def page_and_total(
        self,
        event_filter: EventFilter,
        after: Position | None,
        limit: int,
        trash: bool = False,
        count_up_to: int | None = None,
        counted: bool = True,
    ) -> tuple[Page, Count]:
        """A list page and the count of every match (each chunk counted up to ``count_up_to`` when
        given; none when not ``counted``: 0 then), their queries (each chunk's read and count) issued
        together; ``trash``: of the dismissed events, newest dismissal first. A filter that is not
        exact (:meth:`plan`) is a search: :meth:`_search_page`."""
        plan = self.plan(event_filter, trash)
        if not plan.exact:
            return self._search_page(event_filter, plan, after, limit, trash, counted)
        queries = plan.queries
        reads = [partial(self._stream, query, after, limit + 1, None) for query in queries]
        counts = (
            [partial(self._tally, query, None, None, count_up_to) for query in queries] if counted else []
        )
        results: list[Any] = together([*reads, *counts])
        events = _merged(results[: len(queries)], limit + 1, DESC, _trash_key if trash else _sort_key)
        total = sum(tally[0] for tally in results[len(queries) :])
        return Page(events[:limit], has_more=len(events) > limit), Count(total, None)

    def _search_page(
        self,
        event_filter: EventFilter,
        plan: Plan,
        after: Position | None,
        limit: int,
        trash: bool,
        counted: bool,
    ) -> tuple[Page, Count]:
        """A page of a search: its candidates read in order and checked, at most
        ``EVENTS_SEARCH_SCAN_CAP`` of them (or one per query, when more queries than that). Until
        ``limit`` + 1 matches are found, or, when ``counted``, to the end or the cap, which counts
        every match on the way (``exact`` when the end was reached). A page the cap cut short resumes
        after the last candidate read."""
        cap = max(settings().search_scan_cap, len(plan.queries))
        batch = SCAN_BATCH if counted else min(SCAN_BATCH, max(2 * (limit + 1), 50))
        place = trash_position if trash else _position
        scan = _Scan(self, plan.queries, after, _trash_key if trash else _sort_key, place, cap, batch)
        found: list[Event] = []
        total = 0
        for event in scan:
            if not matches(event.data, event_filter.tags, event_filter.words):
                continue
            total += 1
            if len(found) <= limit:
                found.append(event)
            if len(found) > limit and not counted:
                break
        more = len(found) > limit or not scan.exhausted
        resume = scan.last if len(found) <= limit and not scan.exhausted else None
        return Page(found[:limit], more, resume), Count(total, None, exact=scan.exhausted)

    def page(
        self,
        event_filter: EventFilter,
        after: Position | None,
        limit: int,
        read_time: datetime | None = None,
    ) -> Page:
        """One page of the list (as of ``read_time``, when given)."""
        events = list(self.scan(event_filter, after, read_time, page_size=limit + 1, rows=limit + 1))
        return Page(events[:limit], has_more=len(events) > limit)

    def scan(
        self,
        event_filter: EventFilter,
        after: Position | None = None,
        read_time: datetime | None = None,
        page_size: int = 500,
        rows: int | None = None,
    ) -> Iterator[Event]:
        """Every matching event after ``after`` in list order, read a page at a time (exports,
        batches); the first ``rows`` when given (a count's, at its ``read_time``): then each page of
        an exact filter reads no more than the rows still wanted, so ``rows`` events cost ``rows``
        document reads, else each page reads one more to know whether another follows. A search's
        candidates are read and checked until ``rows`` match (or to the end)."""
        plan = self.plan(event_filter)
        if not plan.exact:
            scan = _Scan(self, plan.queries, after, _sort_key, _position, None, page_size, read_time)
            hits = (event for event in scan if matches(event.data, event_filter.tags, event_filter.words))
            yield from hits if rows is None else itertools.islice(hits, rows)
            return
        left = rows
        while left is None or left > 0:
            size = page_size if left is None else min(page_size, left)
            events = self._read(plan.queries, after, size + (left is None), read_time)
            page = events[:size]
            yield from page
            if left is not None:
                left -= len(page)
            more = len(events) > size if left is None else len(page) == size
            if not more:
                return
            after = page[-1].position

    def count(
        self,
        event_filter: EventFilter,
        after: Position | None = None,
        read_time: datetime | None = None,
        up_to: int | None = None,
    ) -> Count:
        """How many events match after ``after`` (aggregation queries, no documents read; each chunk
        counted up to ``up_to`` when given, so a cap bounds the cost), and the time the count holds
        for: read at that ``read_time``, the same events come back. Without a ``read_time`` the
        first chunk's count sets it and the other chunks are counted together at it. A search
        (:meth:`plan` not exact) reads its candidates at that time and counts the matches, up to
        ``up_to`` and reading at most ``max(up_to, EVENTS_SEARCH_SCAN_CAP)`` candidates
        (TooManyEvents past that)."""
        plan = self.plan(event_filter)
        first, *others = plan.queries
        if plan.exact:
            total, read_time = self._tally(first, after, read_time, up_to)
            rest = together([partial(self._tally, query, after, read_time, up_to) for query in others])
            return Count(total + sum(tally for tally, _ in rest), read_time)
        if read_time is None:
            read_time = self._tally(first, None, None, 1)[1]
        reads = max(up_to or 0, settings().search_scan_cap, len(plan.queries))
        scan = _Scan(self, plan.queries, after, _sort_key, _position, reads, SCAN_BATCH, read_time)
        total = 0
        for event in scan:
            total += matches(event.data, event_filter.tags, event_filter.words)
            if up_to is not None and total >= up_to:
                return Count(total, read_time)
        if not scan.exhausted:
            raise TooManyEvents(
                f"the search must read more than {reads} events to count its matches: narrow it "
                "(for example with date_from/date_to, a site or a tag)"
            )
        return Count(total, read_time)

    def get(self, event_id: str) -> Event | None:
        """The event, or None when it does not exist in this org or is deleted; ScopeError when it is
        outside the scope's sites."""
        key = canonical_uuid(event_id)
        if key is None:
            return None
        snap = get_document(self.events.document(key))
        data = snap.to_dict() if snap.exists else None
        if data is None or data.get("deleted"):
            return None
        event = Event(snap.id, data)
        self.scope.check(event.site_id)
        return event

    def check_reach(self, event_id: str) -> None:
        """ScopeError when the event (a canonical id) exists, dismissed or not, on a site outside the
        scope. An event that does not exist yet has no site to check; a scope of every site reads
        nothing."""
        if self.scope.sites is None:
            return
        for site in self.stored_sites([event_id]).values():
            self.scope.check(site)

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

    def history_page(
        self, event_id: str, after: Position | None, limit: int, *, include_deleted: bool
    ) -> tuple[list[dict[str, Any]], Position | None]:
        """A page of the event's history, oldest first: entries (``id``, ``at``, ``by`` as an
        :class:`Actor`, ``action``, ``changes``) and the position after the last one when more
        follow. NotFoundError when the event is absent, or dismissed unless ``include_deleted``;
        ScopeError outside the scope's sites."""
        key = canonical_uuid(event_id)
        if key is None:
            raise NotFoundError()
        ref = self.events.document(key)
        snap = get_document(ref)
        data = snap.to_dict() if snap.exists else None
        if data is None or (data.get("deleted") and not include_deleted):
            raise NotFoundError()
        self.scope.check(str(data["site_id"]))
        query = ref.collection("history").order_by("at").order_by("__name__")
        if after is not None:
            query = query.start_after({"at": after.triggered_at, "__name__": after.event_id})
        with query_run():
            snaps = list(query.limit(limit + 1).stream(**rpc()))
        documents_read("events", len(snaps))
        entries = [_stored_entry(snap) for snap in snaps[:limit]]
        more = len(snaps) > limit
        return entries, Position(entries[-1]["at"], entries[-1]["id"]) if more else None

    # -- writing ---------------------------------------------------------------------------------
    # Every write of an event goes through :meth:`_plan` (its rules), :meth:`_stage` (the event, its
    # history entry and its change record, into one transaction or batched write) and, once that
    # commits, :meth:`_committed` (the after-commit hooks).

    def _plan(self, key: str, data: Mapping[str, Any] | None, op: Operation, now: datetime) -> Planned:
        """What ``op`` does to the event ``key`` whose document is ``data`` (None: absent): not found
        (absent and not created, or dismissed unless the operation reaches dismissed events),
        ScopeError when the event's stored site or the site it would be written with is outside the
        scope's sites (a load may not move an event out of them), unchanged (nothing to write) or
        the fields to write."""
        if data is None and not op.creates:
            return Planned(key, NOT_FOUND, data, {})
        if data is not None and data.get("deleted") and not op.include_deleted:
            return Planned(key, NOT_FOUND, data, {})
        fields = op.decide(None if data is None else Event(key, data), now)
        if data is not None:
            self.scope.check(str(data["site_id"]))
        if "site_id" in fields:
            self.scope.check(str(fields["site_id"]))
        if not fields:
            return Planned(key, UNCHANGED, data, {})
        return Planned(key, CREATED if data is None else CHANGED, data, with_terms(data, fields))

    def _stage(
        self,
        writes: Writes,
        planned: Planned,
        op: Operation,
        now: datetime,
        endpoints: Mapping[str, Endpoint],
        guard: Any = None,
    ) -> Planned:
        """Put a planned change into ``writes``: the event (created, or updated under ``guard``), its
        history entry (not for loads), its change record (when a field the API shows changed) and a
        webhook delivery of that record for each of the org's ``endpoints`` that receives it; returns
        the plan with those deliveries."""
        from shared.store import changes as change_log
        from shared.store import webhooks as outbox

        ref = self.events.document(planned.key)
        if planned.before is None:
            writes.create(ref, planned.fields)
        elif guard is None:
            writes.update(ref, planned.fields)
        else:
            writes.update(ref, planned.fields, option=guard)
        if op.action is not None and planned.before is not None:
            entry = _entry(op.action, op.actor, now, planned.before, planned.fields)
            writes.create(ref.collection("history").document(), entry)
        retention = settings().changes_retention_seconds
        change = change_log.record(
            op.actor, planned.key, planned.before, planned.after, change_log.expiry(now, retention)
        )
        if change is None:
            return planned
        change_id = change_log.new_id()
        writes.create(self.changes.document(change_id), change)
        org_id = self.scope.org_id
        staged = outbox.stage_deliveries(writes, self.client, org_id, endpoints, change_id, change, now)
        return replace(planned, deliveries=staged) if staged else planned

    def _committed(self, done: Sequence[Planned]) -> None:
        """Run the after-commit hooks for the changes that just committed (none for an empty list)."""
        written = [planned for planned in done if planned.status in (CHANGED, CREATED)]
        if written:
            for hook in AFTER_COMMIT:
                hook(self.scope.org_id, written)

    def _write_one(
        self, event_id: str, op: Operation, record: OutcomeRecord | None = None
    ) -> tuple[Planned, Event | None]:
        """In one transaction: read the event, plan ``op`` on it as of one server time, stage the change
        and save the outcome ``record``. Returns the plan and the event as written (None when not
        found)."""
        key = canonical_uuid(event_id)
        if key is None:
            return Planned(event_id, NOT_FOUND, None, {}), None
        from shared.store import webhooks as outbox

        ref = self.events.document(key)
        endpoints_ref = outbox.endpoints_ref(self.client, self.scope.org_id)

        def run(transaction: firestore.Transaction) -> tuple[Planned, Event | None]:
            snaps = {
                snap.reference.path: snap
                for snap in self.client.get_all([ref, endpoints_ref], transaction=transaction, **rpc())
            }
            snap = snaps[ref.path]
            documents_read("events", 1 if snap.exists else 0)
            endpoints = outbox.endpoints_in(snaps.get(endpoints_ref.path))
            now = utcnow()
            planned = self._plan(key, snap.to_dict() if snap.exists else None, op, now)
            if planned.status == NOT_FOUND:
                if record is not None:
                    record.save(transaction, {"kind": "not_found"})
                return planned, None
            if planned.fields:
                planned = self._stage(transaction, planned, op, now, endpoints)
            written = planned.after
            if record is not None:
                saved = {"kind": "event", "event_id": key, "event": written, "status": planned.status}
                record.save(transaction, saved)
            return planned, Event(key, written)

        planned, event = run_transaction(self.client, run, lock_key=ref.path)
        self._committed([planned])
        return planned, event

    def load_one(self, record: PipelineRecord, actor: Actor, outcome: OutcomeRecord | None = None) -> str:
        """Load one event (:func:`_load` by ``actor``) in one transaction, with the idempotency
        ``outcome`` record when given (its outcome names the status too); returns ``created``,
        ``changed`` or ``unchanged``. ScopeError (nothing written) outside the scope's sites."""
        event_id, pipeline, operator = record
        planned, _ = self._write_one(event_id, _load(pipeline, operator, actor), outcome)
        return planned.status

    def _change(self, event_id: str, op: Operation, record: OutcomeRecord | None) -> Event:
        """:meth:`_write_one`, NotFoundError when the event is not there."""
        _, event = self._write_one(event_id, op, record)
        if event is None:
            raise NotFoundError()
        return event

    def update(
        self, event_id: str, changes: EventChanges, actor: Actor, record: OutcomeRecord | None = None
    ) -> Event:
        """Apply operator changes transactionally; returns the event as written."""
        op = Operation(actor, _live(lambda event, now: changes.fields(event.data, actor, now)), "update")
        return self._change(event_id, op, record)

    def dismiss(self, event_id: str, actor: Actor, record: OutcomeRecord | None = None) -> Event:
        """Soft delete: mark the event deleted (who, when); all its data stays."""
        return self._change(
            event_id, Operation(actor, _live(lambda _, now: dismissal(actor, now)), "delete"), record
        )

    def restore(self, event_id: str, actor: Actor, record: OutcomeRecord | None = None) -> Event:
        """Undo a soft delete (a live event is left as it is); NotFoundError when the event is absent."""
        op = Operation(
            actor, _live(lambda event, _: restoration(event.data)), "restore", include_deleted=True
        )
        return self._change(event_id, op, record)

    def apply_each(
        self,
        event_ids: Sequence[str],
        action: str,
        actor: Actor,
        decide: Callable[[Event, datetime], dict[str, Any]],
        include_deleted: bool = False,
    ) -> list[tuple[str, str]]:
        """Apply ``decide`` to each event, its change, history entry and change record written
        together (never one without the others): each distinct id, in its canonical form (two
        spellings of one event are one), with ``changed``, ``unchanged`` or ``not_found`` (absent,
        another org's, or dismissed unless ``include_deleted``).

        Events are read :data:`BATCH_CHUNK` at a time (one read) and written in one batched write
        per chunk, each update guarded by the update time it was decided on; a chunk that a
        concurrent change overtook is read and decided again (:data:`CHUNK_ATTEMPTS` in all), then
        done one transaction per event. :data:`BATCH_CONCURRENCY` chunks run at once."""
        op = Operation(actor, _live(decide), action, include_deleted=include_deleted)
        first: dict[str, str] = {}  # canonical id -> the id as given first (duplicates collapse)
        for event_id in event_ids:
            first.setdefault(canonical_uuid(event_id) or event_id, event_id)
        items = [(key, given, op) for key, given in first.items()]
        chunks = [items[i : i + BATCH_CHUNK] for i in range(0, len(items), BATCH_CHUNK)]
        done = bounded([partial(self._write_chunk, chunk) for chunk in chunks], BATCH_CONCURRENCY)
        status = {planned.key: planned.status for results in done for planned in results}
        return [(key, status[key]) for key in first]

    def _write_chunk(self, chunk: list[tuple[str, str, Operation]]) -> list[Planned]:
        """The plans of one chunk of (canonical id, id as given, operation), written in one guarded
        batched write (re-read and re-decided when a concurrent change overtakes it)."""
        from shared.store import webhooks as outbox

        def write() -> list[Planned]:
            """One read of the chunk, one guarded batched write of its changes."""
            refs = [self.events.document(key) for key, given, _ in chunk if canonical_uuid(given) is not None]
            endpoints_ref = outbox.endpoints_ref(self.client, self.scope.org_id)
            read = list(self.client.get_all([*refs, endpoints_ref], **rpc())) if refs else []
            snaps = {
                snap.id: snap for snap in read if snap.exists and snap.reference.path != endpoints_ref.path
            }
            documents_read("events", len(snaps))
            endpoints = (
                outbox.endpoints_in(next((s for s in read if s.reference.path == endpoints_ref.path), None))
                if refs
                else {}
            )
            fits = max(1, WRITE_BATCH // (3 + len(endpoints)))  # an event, its history, change, deliveries
            if len(chunk) > fits:
                raise _TooManyWrites(fits)
            batch, now, plans = self.client.batch(), utcnow(), []
            for key, given, op in chunk:
                snap = snaps.get(key)
                data = snap.to_dict() if snap is not None else None
                if canonical_uuid(given) is None:
                    plans.append(Planned(key, NOT_FOUND, None, {}))
                    continue
                planned = self._plan(key, data, op, now)
                if planned.fields:
                    guard = (
                        None if snap is None else self.client.write_option(last_update_time=snap.update_time)
                    )
                    planned = self._stage(batch, planned, op, now, endpoints, guard)
                plans.append(planned)
            if any(planned.fields for planned in plans):
                written("events", len(batch.commit(**rpc())))
                self._committed(plans)
            return plans

        for _ in range(CHUNK_ATTEMPTS):
            try:
                return write()
            except (google.FailedPrecondition, google.Aborted, google.NotFound, google.AlreadyExists):
                continue  # a concurrent change overtook the chunk: read it again
            except _TooManyWrites as smaller:  # the org's webhook deliveries need smaller chunks
                parts = [chunk[i : i + smaller.fits] for i in range(0, len(chunk), smaller.fits)]
                return [planned for part in parts for planned in self._write_chunk(part)]
        return [self._write_one(given, op)[0] for _, given, op in chunk]

    def matching_ids(self, event_filter: EventFilter, cap: int) -> list[str]:
        """The ids of every live event the filter matches, in list order; TooManyEvents (before
        anything is read but a count) when there are more than ``cap``."""
        counted = self.count(event_filter, up_to=cap + 1)
        if counted.total > cap:
            raise TooManyEvents(f"the filter matches more than {cap} events; narrow it")
        scan = self.scan(event_filter, read_time=counted.read_time, rows=counted.total)
        return [event.id for event in scan]

    def reindex_terms(self, page_size: int = 400) -> tuple[int, int]:
        """Write the search terms of every event of the org (dismissed ones too) whose stored terms
        are missing or stale (events stored before terms existed, or under an older rule), a page
        at a time in id order: only the terms are written, each guarded by the update time it was
        computed from (an event changed meanwhile is read again; the write that changed it wrote its
        terms); no change record or history entry, as nothing the API shows changes. Returns (events
        read, events rewritten)."""
        if self.scope.sites is not None:
            raise ValueError("a reindex covers the whole org; a site-scoped store cannot")
        read = rewritten = 0
        after: str | None = None
        while True:
            query = self.events.order_by("__name__").limit(page_size)
            if after is not None:
                query = query.start_after({"__name__": self.events.document(after)})
            with query_run():
                snaps = list(query.stream(**rpc()))
            documents_read("events", len(snaps))
            read += len(snaps)
            rewritten += self._rewrite_terms(snaps)
            if len(snaps) < page_size:
                return read, rewritten
            after = snaps[-1].id

    def _rewrite_terms(
        self, snaps: Sequence[firestore.DocumentSnapshot], attempts: int = CHUNK_ATTEMPTS
    ) -> int:
        """Rewrite the stale terms of these events in one guarded batched write; when a concurrent
        change overtook one, each is read again and written alone (up to ``attempts`` times). Returns
        how many were rewritten."""
        batch, count = self.client.batch(), 0
        for snap in snaps:
            data = snap.to_dict() if snap.exists else None
            if data is not None and data.get(TERMS_FIELD) != (fresh := terms(data)):
                guard = self.client.write_option(last_update_time=snap.update_time)
                batch.update(snap.reference, {TERMS_FIELD: fresh}, option=guard)
                count += 1
        if not count:
            return 0
        try:
            written("events", len(batch.commit(**rpc())))
            return count
        except (google.FailedPrecondition, google.NotFound):
            if attempts <= 1:
                raise
            again = [get_document(snap.reference) for snap in snaps]
            return sum(self._rewrite_terms([snap], attempts - 1) for snap in again)

    def stored_sites(self, event_ids: Sequence[str]) -> dict[str, str]:
        """The stored site of each of these (canonical) ids that exists, dismissed or not, in one
        batched read (what a site-scoped load checks before it writes anything)."""
        refs = [self.events.document(key) for key in dict.fromkeys(event_ids)]
        if not refs:
            return {}
        snaps = [snap for snap in self.client.get_all(refs, **rpc()) if snap.exists]
        documents_read("events", len(snaps))
        return {snap.id: str((snap.to_dict() or {}).get("site_id")) for snap in snaps}

    def load(self, records: Iterable[PipelineRecord], actor: Actor = PIPELINE) -> dict[str, str]:
        """Load events, each (canonical id, pipeline fields, initial operator fields) as
        :func:`shared.pipeline.parse_pipeline_event` makes them, by ``actor`` through the one write
        path: the outcome of each distinct id, in the order ids first appear: ``created``, ``changed``
        (only its pipeline fields that differ rewritten: acknowledgements, stars, notes, dismissals and
        history survive) or ``unchanged`` (nothing differs: nothing written, no change record). The
        last record of an id wins. A new event gets both field sets; no history entries are written;
        a change record is, for each event created or changed in a field the API shows.

        Events are written :data:`BATCH_CHUNK` to a batched write (each chunk atomic, an event
        never half-written), :data:`BATCH_CONCURRENCY` chunks at once; ScopeError when an event's
        stored or given site is outside a site-scoped store's sites."""
        latest: dict[str, Operation] = {}
        for event_id, pipeline, operator in records:
            latest[event_id] = _load(pipeline, operator, actor)
        items = [(key, key, op) for key, op in latest.items()]
        chunks = [items[i : i + BATCH_CHUNK] for i in range(0, len(items), BATCH_CHUNK)]
        done = bounded([partial(self._write_chunk, chunk) for chunk in chunks], BATCH_CONCURRENCY)
        status = {planned.key: planned.status for results in done for planned in results}
        return {key: status[key] for key in latest}

    def upsert_pipeline(self, records: Iterable[PipelineRecord]) -> LoadCounts:
        """Write events from the pipeline's loader, read a chunk at a time (a file of any length), each
        chunk by :meth:`load` (its rules; the last record of an id in a chunk wins, a later chunk
        after an earlier one). The scope must reach the whole org. Returns the :class:`LoadCounts`."""
        if self.scope.sites is not None:
            raise ValueError("pipeline loads write the whole org; a site-scoped store cannot")
        counts = dict.fromkeys((CREATED, CHANGED, UNCHANGED), 0)
        superseded = 0
        pending = iter(records)
        while chunk := list(itertools.islice(pending, BATCH_CHUNK)):
            statuses = self.load(chunk)
            superseded += len(chunk) - len(statuses)
            for status in statuses.values():
                counts[status] += 1
        return LoadCounts(counts[CREATED], counts[CHANGED], counts[UNCHANGED], superseded)

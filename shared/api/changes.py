"""The change feed, ``GET /api/v1/events/changes``: its query, its pages and the change shape.

Parameters: ``cursor`` (from a previous page), ``since`` (RFC3339: where to start without a cursor;
without either, at the oldest record kept), ``limit`` 1-100 (default 100), ``types`` (comma-separated
change types), ``camera_id``, ``site_id`` (uuids), ``trigger_type`` and ``tag`` (repeatable: changes
of events carrying any of up to 10 tags after the change). A page is ``{"data":
[change...], "next_cursor"}``, oldest first; ``next_cursor`` is never null (an empty ``data`` means
nothing new yet) and names where the page stopped, so resuming with it never misses nor repeats a
change. No page holds a record younger than ``EVENTS_CHANGES_SETTLE_SECONDS``.

A cursor older than ``EVENTS_CHANGES_RETENTION_SECONDS`` is 410 ``gone`` (a ``since`` that old starts
at the oldest change kept, as no ``since`` does); a cursor not
issued for this org, these filters and callers of this role and scope is 400 (cursors are
:mod:`shared.api.cursor`'s, in the ``changes`` domain). A change: ``{"id", "type", "event_id", "at",
"actor", "changed", "previous"?, "event"}``, ``event`` the list item as of the change with
``snapshot_url`` null; a redacted change (a dismissed event's, or an endpoint's, for callers below
admin) is only ``{"id", "type", "event_id", "at"}``. A ``webhook_endpoint.disabled`` change names no
event (``event_id`` null): ``{"id", "type", "event_id", "at", "actor", "changed", "endpoint_id",
"reason"}``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.api import cursor
from shared.api.query import MAX_LIMIT, _paging, _single_values, parse_list_query
from shared.api.shapes import list_item
from shared.config import settings
from shared.errors import Gone, ValidationError
from shared.model.event import Event, Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.store.changes import (
    DELETED,
    ENDPOINT_DISABLED,
    RESTORED,
    TYPES,
    Change,
    ChangeLog,
    FeedFilter,
    FeedPosition,
)
from shared.timefmt import ONE_MICROSECOND, format_rfc3339, parse_rfc3339, utcnow

PARAMETERS = ("cursor", "since", "limit", "types", "camera_id", "site_id", "trigger_type", "tag")
FILTERS = ("camera_id", "site_id", "trigger_type", "tag")
DOMAIN = "changes"


@dataclass(frozen=True)
class FeedQuery:
    """A parsed feed request."""

    filter: FeedFilter
    cursor: str | None
    since: datetime | None
    limit: int

    @property
    def event_filter(self) -> EventFilter:
        """The event filters, as cursors are bound to them."""
        return EventFilter(
            camera_id=self.filter.camera_id,
            site_id=self.filter.site_id,
            trigger_type=self.filter.trigger_type,
            tags=self.filter.tags,
        )

    @property
    def domain(self) -> str:
        """The cursor domain: the feed, with the types it selects."""
        return DOMAIN if self.filter.types is None else f"{DOMAIN}/{','.join(sorted(self.filter.types))}"


def parse_feed_query(args: Mapping[str, Sequence[str]]) -> FeedQuery:
    """Validate the feed's parameters; raises ValidationError naming every bad one."""
    problems: dict[str, str] = {}
    values = _single_values(args, PARAMETERS, problems)
    given_cursor, limit = _paging(values, MAX_LIMIT, MAX_LIMIT, problems)
    since: datetime | None = None
    if "since" in values:
        try:
            since = parse_rfc3339(values["since"])
        except ValueError:
            problems["since"] = "must be an RFC3339 time, e.g. 2026-04-21T13:45:22Z"
    if given_cursor is not None and since is not None:
        problems["since"] = "give cursor or since, not both (a cursor already says where to resume)"
    types: tuple[str, ...] | None = None
    if "types" in values:
        named = [name.strip() for name in values["types"].split(",")]
        if not all(name in TYPES for name in named):
            problems["types"] = f"must be a comma-separated list of {', '.join(TYPES)}"
        else:
            types = tuple(dict.fromkeys(named))
    event_filter = EventFilter()
    try:
        event_filter = parse_list_query(
            {name: list(args[name]) for name in FILTERS if name in args}, default_limit=None
        ).filter
    except ValidationError as error:
        problems.update(error.fields)
    if problems:
        raise ValidationError.of("query", problems)
    assert limit is not None
    feed_filter = FeedFilter(
        types, event_filter.camera_id, event_filter.site_id, event_filter.trigger_type, event_filter.tags
    )
    return FeedQuery(feed_filter, given_cursor, since, limit)


def _wire(value: Any) -> Any:
    return format_rfc3339(value) if isinstance(value, datetime) else value


def change_view(change: Change, *, redacted: bool) -> dict[str, Any]:
    """A change as the API shows it; ``redacted`` (callers below admin): a dismissed event's change
    (its dismissal, its restoration, any change while dismissed) only says what and when."""
    data = change.data
    view: dict[str, Any] = {
        "id": change.id,
        "type": data["type"],
        "event_id": data["event_id"],
        "at": format_rfc3339(data["at"]),
    }
    if redacted and (data["type"] in (DELETED, RESTORED, ENDPOINT_DISABLED) or data.get("dismissed")):
        return view
    view.update(actor=dict(data["actor"]), changed=list(data["changed"]))
    if data["type"] == ENDPOINT_DISABLED:
        view.update(endpoint_id=data["endpoint_id"], reason=data["reason"])
        return view
    if "previous" in data:
        view["previous"] = {name: _wire(value) for name, value in data["previous"].items()}
    view["event"] = list_item(Event(data["event_id"], data["event"]), None)
    return view


@dataclass(frozen=True)
class FeedRead:
    """What one read of the feed found: the changes, oldest first, and where the read stopped."""

    changes: list[Change]
    last: FeedPosition


def start_position(scope: Scope, role: str, query: FeedQuery, now: datetime) -> FeedPosition:
    """Where a read of ``query`` starts: after its cursor (400 when not this caller's, 410 past the
    retention), at its ``since``, or at the oldest change kept."""
    oldest = now - timedelta(seconds=settings().changes_retention_seconds)
    if query.cursor is not None:
        position = cursor.decode(query.cursor, scope, role, query.event_filter, query.domain)
        after = FeedPosition(position.triggered_at, position.event_id)
        if after.at < oldest:
            kept = format_rfc3339(oldest)
            raise Gone(
                f"changes before {kept} are no longer kept; start again without a cursor (the oldest kept)"
            )
        return after
    if query.since is not None and query.since > oldest:
        return FeedPosition(query.since - ONE_MICROSECOND, "")
    return FeedPosition(oldest, "")  # a ``since`` before the oldest kept starts there too


def read_feed(scope: Scope, query: FeedQuery, after: FeedPosition, now: datetime) -> FeedRead:
    """Up to ``query.limit`` changes after ``after`` and at least ``EVENTS_CHANGES_SETTLE_SECONDS``
    old as of ``now``, and the position to resume from (never behind a change that may still
    appear)."""
    upper = now - timedelta(seconds=settings().changes_settle_seconds)
    changes, last = ChangeLog(scope).page(query.filter, after, upper, query.limit, now)
    if last is None:  # every record up to ``upper`` was read: resume after it
        last = FeedPosition(upper, "") if upper > after.at else after
    return FeedRead(changes, last)


def position_cursor(position: FeedPosition, scope: Scope, role: str, query: FeedQuery) -> str:
    """The feed's cursor for resuming after ``position`` (a change's: the SSE ``id`` of that change)."""
    return cursor.encode(
        Position(position.at, position.change_id), scope, role, query.event_filter, query.domain
    )


def feed_page(scope: Scope, role: str, query: FeedQuery, *, redacted: bool) -> dict[str, Any]:
    """``{"data", "next_cursor"}``: one page of the feed for a caller of ``scope`` and ``role``. A
    site filter outside the scope is 403 (before the cursor is read), a bad cursor 400, a cursor past
    the retention 410; a ``since`` before the oldest change kept starts at it."""
    scope.query_sites(query.filter.site_id)
    now = utcnow()
    read = read_feed(scope, query, start_position(scope, role, query, now), now)
    return {
        "data": [change_view(change, redacted=redacted) for change in read.changes],
        "next_cursor": position_cursor(read.last, scope, role, query),
    }

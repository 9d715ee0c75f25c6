"""Python values as the API takes them, in query strings and JSON bodies.

Dates: a ``date`` is ``YYYY-MM-DD`` (that UTC day), an aware ``datetime`` is RFC 3339 in UTC, text
passes as is. A naive ``datetime`` is ambiguous and raises ``ValueError`` before anything is sent.
A list (or other sequence) in a query repeats the parameter once per value (``tag=person&tag=vehicle``);
a single string is one value. Nothing else is checked here: the server's 400 is the one source of
truth for values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timezone
from typing import Any, Final, TypedDict, Union

from ._models import AiStatus, TriggerType

__all__ = [
    "NOT_GIVEN",
    "ChangeFilters",
    "DateLike",
    "EventFilters",
    "NotGiven",
    "json_body",
    "query",
    "wire",
]

DateLike = Union[str, date, datetime]
Uuid = Union[str, uuid.UUID]


class EventFilters(TypedDict, total=False):
    """The filters of ``GET /api/v1/events``, shared by list, export, the trash and a batch's
    ``filter``."""

    camera_id: Uuid
    site_id: Uuid
    date_from: DateLike
    date_to: DateLike
    trigger_type: TriggerType
    ai_status: AiStatus
    acknowledged: bool  # False: the unacknowledged queue; True: only acknowledged events
    starred: bool
    # Any-of, exact match on the event's tags, at most 10 values (``["person", "vehicle"]``).
    tag: Sequence[str] | None
    # Word search: 1-5 words, each equal to (or, from 3 characters, the start of) a word of the
    # event's summary, narrative, tags, camera name or notes; case and accents ignored.
    q: str | None


class ChangeFilters(TypedDict, total=False):
    """The filters of the change feed and the live stream (besides ``types``, ``since`` and
    ``cursor``)."""

    camera_id: Uuid
    site_id: Uuid
    trigger_type: TriggerType
    tag: Sequence[str] | None  # changes of events with any of these tags


class NotGiven:
    """The default of an optional body field: absent from the request (``None`` sends ``null``)."""

    _instance: NotGiven | None = None

    def __new__(cls) -> NotGiven:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = NotGiven()


def _time_text(value: datetime) -> str:
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            f"naive datetime {value.isoformat()} is ambiguous: give it a timezone "
            "(for example datetime(..., tzinfo=timezone.utc))"
        )
    text = value.astimezone(timezone.utc).isoformat()
    return text.replace("+00:00", "Z")


def _listed(value: Any) -> bool:
    """Whether ``value`` is a list of values (any sequence but text and bytes)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, bytearray))


def wire(value: Any) -> Any:
    """A value as JSON carries it (times and uuids as text; sequences and mappings walked)."""
    if isinstance(value, datetime):
        return _time_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if _listed(value):
        return [wire(item) for item in value]
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    return value


def query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters: ``None`` values left out, booleans as ``true``/``false``, times and uuids
    as text; a sequence repeats the parameter for each of its values, in order (an empty one is
    left out, as ``None``)."""
    pairs = []
    for name, value in params.items():
        if value is None or isinstance(value, NotGiven):
            continue
        for item in value if _listed(value) else [value]:
            wired = wire(item)
            pairs.append((name, ("true" if wired else "false") if isinstance(wired, bool) else str(wired)))
    return pairs


def json_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body of the given fields (``NOT_GIVEN`` ones left out; ``None`` sent as null)."""
    return {name: wire(value) for name, value in fields.items() if not isinstance(value, NotGiven)}

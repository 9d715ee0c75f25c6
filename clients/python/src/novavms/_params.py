"""Python values as the API takes them, in query strings and JSON bodies.

Dates: a ``date`` is ``YYYY-MM-DD`` (that UTC day), an aware ``datetime`` is RFC 3339 in UTC, text
passes as is. A naive ``datetime`` is ambiguous and raises ``ValueError`` before anything is sent.
Nothing else is checked here: the server's 400 is the one source of truth for values.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
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
    """The filters of ``GET /api/v1/events``, shared by list and export."""

    camera_id: Uuid
    site_id: Uuid
    date_from: DateLike
    date_to: DateLike
    trigger_type: TriggerType
    ai_status: AiStatus
    acknowledged: bool  # False: the unacknowledged queue; True: only acknowledged events
    starred: bool


class ChangeFilters(TypedDict, total=False):
    """The filters of ``GET /api/v1/events/changes`` (besides ``types`` and ``since``)."""

    camera_id: Uuid
    site_id: Uuid
    trigger_type: TriggerType


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


def wire(value: Any) -> Any:
    """A value as JSON carries it (times and uuids as text; lists and mappings walked)."""
    if isinstance(value, datetime):
        return _time_text(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [wire(item) for item in value]
    if isinstance(value, Mapping):
        return {key: wire(item) for key, item in value.items()}
    return value


def query(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query parameters: ``None`` values left out, booleans as ``true``/``false``, times and uuids
    as text."""
    pairs = []
    for name, value in params.items():
        if value is None or isinstance(value, NotGiven):
            continue
        wired = wire(value)
        pairs.append((name, ("true" if wired else "false") if isinstance(wired, bool) else str(wired)))
    return pairs


def json_body(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON body of the given fields (``NOT_GIVEN`` ones left out; ``None`` sent as null)."""
    return {name: wire(value) for name, value in fields.items() if not isinstance(value, NotGiven)}

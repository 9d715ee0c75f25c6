"""The query parameters of ``GET /api/v1/events`` and its export -> :class:`ListQuery`.

One definition for list and export. Rules: unknown or repeated parameters, bad uuids, bad enums, bad
dates, ``date_from`` after ``date_to`` and ``limit`` outside its range (1-100 for a list page,
1-``EVENT_EXPORT_MAX_ROWS`` for an export, where it caps the rows) are 400 ``validation_error``.
``date_from``/``date_to`` take RFC3339 (any offset) or ``YYYY-MM-DD`` (a UTC day) and are inclusive; a
plain date in ``date_to`` covers that whole day. ``starred=true`` keeps only starred events;
``starred=false`` does not filter. ``acknowledged=false`` keeps only unacknowledged events (the queue),
``acknowledged=true`` only acknowledged ones. ``tag`` may be repeated: any of up to 10 tags (each 1-100
characters; duplicates collapse). ``q``: 1-5 search words, every one of which must match
(:mod:`shared.model.search` states the rule).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.api import cursor
from shared.api.key_request import plain_text
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.model.event import AI_STATUSES, TRIGGER_TYPES, Position
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.model.search import MAX_TAG_CHARS, MAX_TAGS, parse_query
from shared.store.totals import Total
from shared.timefmt import parse_bound

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
FILTER_PARAMETERS = (
    "camera_id", "site_id", "date_from", "date_to", "trigger_type", "ai_status", "acknowledged", "starred",
    "tag", "q",
)  # fmt: skip
REPEATABLE = ("tag",)
BOOLEAN_PARAMETERS = ("acknowledged", "starred")  # parameters that may be given more than once
PAGING_PARAMETERS = ("cursor", "limit")


@dataclass(frozen=True)
class ListQuery:
    """A parsed list/export request: the filter plus paging."""

    filter: EventFilter
    cursor: str | None
    limit: int | None


def _single_values(
    args: Mapping[str, Sequence[str]], allowed: Sequence[str], problems: dict[str, str]
) -> dict[str, str]:
    """Each allowed parameter's one value; an unknown or repeated one is a problem."""
    values: dict[str, str] = {}
    for name, given in args.items():
        if name not in allowed:
            problems[name] = "unknown query parameter"
        elif name in REPEATABLE:
            continue
        elif len(given) != 1:
            problems[name] = "given more than once"
        else:
            values[name] = given[0]
    return values


def _paging(
    values: Mapping[str, str], default_limit: int | None, max_limit: int, problems: dict[str, str]
) -> tuple[str | None, int | None]:
    """``cursor`` (not empty) and ``limit`` (1 to ``max_limit``, else ``default_limit``)."""
    limit = default_limit
    if "limit" in values:
        raw = values["limit"]
        if not re.fullmatch(r"[0-9]{1,10}", raw) or not 1 <= int(raw) <= max_limit:
            problems["limit"] = f"must be an integer from 1 to {max_limit}"
        else:
            limit = int(raw)
    cursor = values.get("cursor")
    if cursor is not None and not cursor:
        problems["cursor"] = "must not be empty"
    return cursor, limit


def parse_paging(
    args: Mapping[str, Sequence[str]], *, default_limit: int, max_limit: int
) -> tuple[str | None, int]:
    """Only ``cursor`` and ``limit``, by the list's rules (a history's query); raises ValidationError."""
    problems: dict[str, str] = {}
    cursor, limit = _paging(
        _single_values(args, PAGING_PARAMETERS, problems), default_limit, max_limit, problems
    )
    if problems:
        raise ValidationError.of("query", problems)
    assert limit is not None
    return cursor, limit


def parse_list_query(
    args: Mapping[str, Sequence[str]],
    *,
    default_limit: int | None = DEFAULT_LIMIT,
    max_limit: int = MAX_LIMIT,
) -> ListQuery:
    """Validate query parameters (name -> all given values) into a ListQuery; raises ValidationError
        naming every bad field. ``default_limit=None`` leaves ``limit`` unset when absent (export: every
    match); ``limit`` may be 1 to ``max_limit``."""
    problems: dict[str, str] = {}
    values = _single_values(args, (*FILTER_PARAMETERS, *PAGING_PARAMETERS), problems)

    def uuid_param(name: str) -> str | None:
        if name not in values:
            return None
        value = canonical_uuid(values[name])
        if value is None:
            problems[name] = "must be a uuid"
        return value

    def enum_param(name: str, allowed: tuple[str, ...]) -> str | None:
        value = values.get(name)
        if value is not None and value not in allowed:
            problems[name] = f"must be one of {', '.join(allowed)}"
            return None
        return value

    def date_param(name: str, *, end_of_day: bool) -> datetime | None:
        if name not in values:
            return None
        try:
            return parse_bound(values[name], end_of_day=end_of_day)
        except ValueError:
            problems[name] = "must be RFC3339 (2026-04-21T13:45:22Z) or a date (2026-04-21)"
            return None

    def bool_param(name: str) -> bool | None:
        if name not in values:
            return None
        if values[name] not in ("true", "false"):
            problems[name] = "must be true or false"
            return None
        return values[name] == "true"

    starred = True if bool_param("starred") else None
    tags = parse_tags(args.get("tag", ()), problems)
    words: tuple[str, ...] = ()
    if "q" in values:
        try:
            words = tuple(sorted(parse_query(values["q"])))
        except ValueError as error:
            problems["q"] = str(error)

    cursor, limit = _paging(values, default_limit, max_limit, problems)
    event_filter = EventFilter(
        camera_id=uuid_param("camera_id"),
        site_id=uuid_param("site_id"),
        date_from=date_param("date_from", end_of_day=False),
        date_to=date_param("date_to", end_of_day=True),
        trigger_type=enum_param("trigger_type", TRIGGER_TYPES),
        ai_status=enum_param("ai_status", AI_STATUSES),
        acknowledged=bool_param("acknowledged"),
        starred=starred,
        tags=tags,
        words=words,
    )
    if event_filter.date_from and event_filter.date_to and event_filter.date_from > event_filter.date_to:
        problems["date_from"] = "must not be after date_to"
    if problems:
        raise ValidationError.of("query", problems)
    return ListQuery(filter=event_filter, cursor=cursor, limit=limit)


def parse_tags(given: Sequence[str], problems: dict[str, str]) -> tuple[str, ...]:
    """The distinct tags of a ``tag`` filter, sorted (any of them matches); a problem names ``tag``
    when there are more than 10 values, or one is empty, longer than 100 characters or holds a
    control or format character or is not text Firestore stores (:func:`plain_text`, the rule of key
    names)."""
    if len(given) > MAX_TAGS:
        problems["tag"] = f"at most {MAX_TAGS} tags (any of them matches)"
    elif not all(0 < len(tag) <= MAX_TAG_CHARS and plain_text(tag) for tag in given):
        problems["tag"] = f"each tag must be 1 to {MAX_TAG_CHARS} characters, none a control character"
    return tuple(sorted(set(given))) if "tag" not in problems else ()


def filter_arguments(
    data: Mapping[str, object], prefix: str, problems: dict[str, str]
) -> dict[str, list[str]]:
    """A filter given as a JSON object (a batch's ``filter``, a scheduled export's job) as query
    arguments: ``acknowledged`` and ``starred`` as JSON booleans, ``tag`` as a list of strings, the
    others as strings; a problem names ``{prefix}{name}`` for a value of another type. Unknown names
    are left to the caller."""
    args: dict[str, list[str]] = {}
    for name, value in data.items():
        if name in BOOLEAN_PARAMETERS:
            if isinstance(value, bool):
                args[name] = ["true" if value else "false"]
            else:
                problems[f"{prefix}{name}"] = "must be true or false"
        elif name in REPEATABLE:
            if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
                args[name] = list(value)
            else:
                problems[f"{prefix}{name}"] = f"must be a list of 1 to {MAX_TAGS} strings"
        elif isinstance(value, str):
            args[name] = [value]
        else:
            problems[f"{prefix}{name}"] = "must be a string"
    return args


def start_of(
    query: ListQuery, scope: Scope, role: str, domain: str = "list"
) -> tuple[Position | None, Total | None]:
    """Where a list page (of ``domain``: the list, or the trash) or an export starts, for a caller of
    ``scope`` and ``role``, and the total its cursor carries: a site filter outside a viewer's sites
    is 403 first, then a cursor not issued for this org, list, filter, scope and role is 400."""
    scope.query_sites(query.filter.site_id)
    if not query.cursor:
        return None, None
    return cursor.decode_with_total(query.cursor, scope, role, query.filter, domain)

"""What an operations team asks of webhooks: the delivery log's query and shape, the bodies of a
replay and of a secret rotation.

A delivery as the API shows it: ``{"id", "endpoint_id", "message_id" (the ``webhook-id``), "type",
"status" ("pending" | "retrying" | "succeeded" | "failed"), "attempts": [{"at", "status_code",
"error", "duration_ms", "response_body" (its first 1 KiB)}], "next_attempt_at" (null unless pending
or retrying), "created_at"}``; never its body nor anything of the secret. The log's query takes
``cursor``, ``limit`` (1-100, default 20) and ``status``. A replay's body is ``{"since", "until"?,
"types"?}``: ``since`` within the change log's retention (``EVENTS_CHANGES_RETENTION_SECONDS``) and
not in the future, ``until`` not before it, ``types`` distinct change types. A rotation's body is
``{"grace_seconds"?}``, 0-604800 (default 86400). Anything else is 400 ``validation_error`` naming
the field.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from shared.api.bodies import json_object
from shared.api.query import DEFAULT_LIMIT, MAX_LIMIT, _paging, _single_values
from shared.config import settings
from shared.errors import ValidationError
from shared.store.changes import TYPES
from shared.store.webhooks import PENDING, RETRYING, STATES
from shared.timefmt import format_rfc3339, parse_rfc3339, utcnow

DELIVERY_PARAMETERS = ("cursor", "limit", "status")
REPLAY_FIELDS = ("since", "until", "types")
DEFAULT_GRACE_SECONDS = 86_400
MAX_GRACE_SECONDS = 604_800


@dataclass(frozen=True)
class DeliveryQuery:
    """A parsed delivery-log request."""

    cursor: str | None
    limit: int
    status: str | None


def parse_delivery_query(args: Mapping[str, Sequence[str]]) -> DeliveryQuery:
    """``cursor``, ``limit`` and ``status`` of the delivery log; raises ValidationError naming each."""
    problems: dict[str, str] = {}
    values = _single_values(args, DELIVERY_PARAMETERS, problems)
    given, limit = _paging(values, DEFAULT_LIMIT, MAX_LIMIT, problems)
    status = values.get("status")
    if status is not None and status not in STATES:
        problems["status"] = f"one of {', '.join(STATES)}"
    if problems:
        raise ValidationError.of("query", problems)
    assert limit is not None
    return DeliveryQuery(given, limit, status)


def delivery_state(data: Mapping[str, Any]) -> str:
    """A stored delivery's state (deliveries stored before ``state`` was: from its status)."""
    state = data.get("state")
    if isinstance(state, str):
        return state
    status = str(data["status"])
    return (RETRYING if data.get("attempts") else PENDING) if status == PENDING else status


def _stamp(value: Any) -> str | None:
    return format_rfc3339(value) if isinstance(value, datetime) else None


def delivery_view(delivery_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery as the API shows it."""
    state = delivery_state(data)
    return {
        "id": delivery_id,
        "endpoint_id": data["endpoint_id"],
        "message_id": data["message_id"],
        "type": data["type"],
        "status": state,
        "attempts": [
            {
                "at": _stamp(attempt.get("at")),
                "status_code": attempt.get("status_code"),
                "error": attempt.get("error"),
                "duration_ms": attempt.get("duration_ms"),
                "response_body": attempt.get("response_body") or "",
            }
            for attempt in data.get("attempts") or []
        ],
        "next_attempt_at": _stamp(data.get("next_attempt_at")) if state in (PENDING, RETRYING) else None,
        "created_at": _stamp(data.get("created_at")),
    }


@dataclass(frozen=True)
class Replay:
    """A parsed replay body."""

    since: datetime
    until: datetime | None
    types: tuple[str, ...] | None


def _time(value: Any, name: str, problems: dict[str, str]) -> datetime | None:
    if not isinstance(value, str):
        problems[name] = "an RFC3339 time, e.g. 2026-04-21T13:45:22Z"
        return None
    try:
        return parse_rfc3339(value)
    except ValueError:
        problems[name] = "an RFC3339 time, e.g. 2026-04-21T13:45:22Z"
        return None


def parse_replay(body: bytes, now: datetime | None = None) -> Replay:
    """A replay body; raises ValidationError naming every bad field (``since`` older than the change
    log keeps, or in the future, included)."""
    data = json_object(body)
    now = now or utcnow()
    problems = {name: "unknown field" for name in data if name not in REPLAY_FIELDS}
    since = _time(data.get("since"), "since", problems) if "since" in data else None
    if "since" not in data:
        problems["since"] = "required: an RFC3339 time within the change log's retention"
    retention = settings().changes_retention_seconds
    if since is not None and not now - timedelta(seconds=retention) <= since <= now:
        problems["since"] = (
            f"must be within the change log's retention ({retention} seconds before now), not in the future"
        )
    until = _time(data["until"], "until", problems) if data.get("until") is not None else None
    if until is not None and since is not None and until < since:
        problems["until"] = "must not be before since"
    types: tuple[str, ...] | None = None
    if data.get("types") is not None:
        named = data["types"]
        if (
            not isinstance(named, list)
            or not named
            or any(kind not in TYPES for kind in named)
            or len(set(named)) != len(named)
        ):
            problems["types"] = f"a list of distinct values of {', '.join(TYPES)}"
        else:
            types = tuple(named)
    if problems:
        raise ValidationError.of("body", problems)
    assert since is not None
    return Replay(since, until, types)


def parse_rotation(body: bytes) -> int:
    """A rotation body's ``grace_seconds`` (an empty body: the default); raises ValidationError."""
    data = json_object(body, empty={})
    problems = {name: "unknown field" for name in data if name != "grace_seconds"}
    grace = data.get("grace_seconds", DEFAULT_GRACE_SECONDS)
    if isinstance(grace, bool) or not isinstance(grace, int) or not 0 <= grace <= MAX_GRACE_SECONDS:
        problems["grace_seconds"] = f"an integer from 0 to {MAX_GRACE_SECONDS}"
    if problems:
        raise ValidationError.of("body", problems)
    return int(grace)

"""The bodies of ``POST /api/v1/events/batch-update`` and ``batch-delete`` -> :class:`BatchRequest`.

A selection, exactly one of: ``ids``, 1 to :data:`MAX_IDS` event ids (each uuid in its canonical,
lowercase form, so two spellings of one id are one id; duplicates collapse, order kept; an id that is
not a uuid is reported ``not_found`` as given, like any other unknown id), or ``filter``,
an object of the list's filter names with JSON types (``"trigger_type": "motion"``,
``"acknowledged": false``, ``"tag": ["person", "vehicle"]``, ``"q": "red van"``; no ``cursor`` or
``limit``; an empty filter is refused). batch-update adds
``changes``: the PATCH body's fields and rules. Anything else is 400 ``validation_error`` naming the
field (``filter.trigger_type``, ``changes.notes``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import flask

from shared.api.bodies import json_object
from shared.api.patch import patch_changes
from shared.api.query import FILTER_PARAMETERS, filter_arguments, parse_list_query
from shared.api.responses import json_response
from shared.config import settings
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.model.actor import Actor
from shared.model.changes import EventChanges
from shared.model.event import Event
from shared.model.filter import EventFilter
from shared.store.budget import per_call
from shared.store.events import EventStore
from shared.store.idempotency import PendingRecord

MAX_IDS = 100


@dataclass(frozen=True)
class BatchRequest:
    """Which events (``ids`` or ``filter``) and, for an update, the changes."""

    ids: tuple[str, ...] | None
    filter: EventFilter | None
    changes: EventChanges | None


def _prefixed(prefix: str, error: ValidationError) -> dict[str, str]:
    return {f"{prefix}.{name}": problem for name, problem in error.fields.items()}


def _filter(data: Any, problems: dict[str, str]) -> EventFilter | None:
    if not isinstance(data, dict) or not data:
        problems["filter"] = "must be an object with at least one of the list's filters"
        return None
    for name in data:
        if name not in FILTER_PARAMETERS:
            problems[f"filter.{name}"] = "unknown filter (cursor and limit do not apply)"
    known = {name: value for name, value in data.items() if name in FILTER_PARAMETERS}
    args = filter_arguments(known, "filter.", problems)
    try:
        return parse_list_query(args, default_limit=None).filter
    except ValidationError as error:
        problems.update(_prefixed("filter", error))
        return None


def parse_batch(body: bytes, *, with_changes: bool) -> BatchRequest:
    """Validate a batch body; raises ValidationError naming every bad field."""
    data = json_object(body, shape="must be a JSON object with ids or filter")
    problems: dict[str, str] = {}
    allowed = {"ids", "filter", "changes"} if with_changes else {"ids", "filter"}
    for name in data:
        if name not in allowed:
            problems[name] = "unknown field"
    ids: tuple[str, ...] | None = None
    event_filter: EventFilter | None = None
    if ("ids" in data) == ("filter" in data):
        problems["ids"] = "give exactly one of ids and filter"
    elif "ids" in data:
        raw = data["ids"]
        if (
            not isinstance(raw, list)
            or not 1 <= len(raw) <= MAX_IDS
            or not all(isinstance(i, str) and i for i in raw)
        ):
            problems["ids"] = f"must be a list of 1 to {MAX_IDS} event ids"
        else:
            ids = tuple(dict.fromkeys(canonical_uuid(given) or given for given in raw))
    else:
        event_filter = _filter(data["filter"], problems)
    changes: EventChanges | None = None
    if with_changes:
        if not isinstance(data.get("changes"), dict):
            problems["changes"] = "must be an object with acknowledged, starred or notes"
        else:
            try:
                changes = patch_changes(data["changes"])
            except ValidationError as error:
                problems.update(_prefixed("changes", error))
    if problems:
        raise ValidationError.of("body", problems)
    return BatchRequest(ids, event_filter, changes)


def run_batch(
    store: EventStore,
    request: BatchRequest,
    action: str,
    actor: Actor,
    decide: Callable[[Event, datetime], dict[str, Any]],
    *,
    include_deleted: bool = False,
    record: PendingRecord | None = None,
) -> dict[str, Any]:
    """Apply ``decide`` to every selected event, its change and history entry written together:
    ``{"matched", "changed", "results": [{"id", "status"}]}``. A filter matching more than
    ``EVENTS_BATCH_MAX_EVENTS`` is 413 before anything is written. With an idempotency ``record``,
    the result is stored once every event is done: a retry answers it again; a retry of a batch that
    was interrupted executes again and finishes it (what was done is then ``unchanged``)."""
    with per_call():  # each transaction gets a whole store budget: a batch is long by design
        if request.ids is not None:
            ids: list[str] = list(request.ids)
        else:
            assert request.filter is not None
            ids = store.matching_ids(request.filter, settings().batch_max_events)
        statuses = store.apply_each(ids, action, actor, decide, include_deleted)
    results = [{"id": event_id, "status": status} for event_id, status in statuses]
    result = {
        "matched": sum(status != "not_found" for _, status in statuses),
        "changed": sum(status == "changed" for _, status in statuses),
        "results": results,
    }
    if record is not None:
        record.complete({"kind": "batch", "result": result})
    return result


def replay_batch(context: Any, outcome: dict[str, Any]) -> flask.Response:
    """The first answer of a batch again."""
    return json_response(outcome["result"])

"""PUT /api/v1/events/{id}: create or re-load one event (ingest keys and admins). Idempotent by id;
Idempotency-Key. Spends 1 of the org's ingest budget.

The body is the loader's event (:mod:`shared.api.ingest`); 201 ``{"id", "status": "created"}``,
200 ``{"id", "status": "updated" | "unchanged"}``. A re-load rewrites only the pipeline's fields,
never what operators did; a dismissed event stays dismissed. 403 when the event's given or stored
site is outside a site-scoped key's sites (nothing written).
"""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.ingest import STATUS_OF, parse_put
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


def _answer(event_id: str, stored_status: str) -> flask.Response:
    status = STATUS_OF[stored_status]
    return json_response({"id": event_id, "status": status}, 201 if status == "created" else 200)


def replay_upsert(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer again (the outcome stored with the write names its status)."""
    return _answer(outcome["event_id"], outcome["status"])


@functions_framework.http
@endpoint("upsert_event", steps=[rate_limit, idempotent(replay_upsert)])
def upsert_event(context: Context) -> flask.Response:
    """Validate the body (400 naming each bad field), then load the event in one transaction."""
    record = parse_put(context.json_body(), context.path_params["id"])
    stored = EventStore(context.principal.scope).load_one(record, context.actor, context.idempotency)
    return _answer(record[0], stored)

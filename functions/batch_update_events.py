"""POST /api/v1/events/batch-update: acknowledge, star or annotate many events at once (operator and
admin). Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.batch import parse_batch, replay_batch, run_batch
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.events import EventStore


@functions_framework.http
@endpoint("batch_update_events", steps=[rate_limit, idempotent(replay_batch)])
def batch_update_events(context: Context) -> flask.Response:
    """``{"matched", "changed", "results": [{"id", "status"}]}``; the PATCH rules for each event."""
    request = parse_batch(context.request.get_data(), with_changes=True)
    assert request.changes is not None
    changes, actor = request.changes, context.actor
    result = run_batch(
        EventStore(context.principal.scope),
        request,
        "update",
        actor,
        lambda event, now: changes.fields(event.data, actor, now),
        record=context.idempotency,
    )
    return json_response(result)

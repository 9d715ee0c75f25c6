"""POST /api/v1/events/batch-delete: dismiss (soft delete) many events at once (admin).
Idempotency-Key."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.batch import parse_batch, replay_batch, run_batch
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.model.changes import dismissal
from shared.store.events import EventStore


@functions_framework.http
@endpoint("batch_delete_events", steps=[rate_limit, idempotent(replay_batch)])
def batch_delete_events(context: Context) -> flask.Response:
    """``{"matched", "changed", "results"}``: an event already dismissed is ``unchanged``."""
    request = parse_batch(context.request.get_data(), with_changes=False)
    actor = context.actor
    result = run_batch(
        EventStore(context.principal.scope),
        request,
        "delete",
        actor,
        lambda event, now: {} if event.data.get("deleted") else dismissal(actor, now),
        include_deleted=True,
        record=context.idempotency,
    )
    return json_response(result)

"""POST /api/v1/events/ingest: create or re-load 1-500 events (ingest keys and admins). Idempotency-Key.
Spends the batch's number of events of the org's ingest budget (429 before anything is written when
fewer remain).

Each event is validated on its own (:mod:`shared.api.ingest`); the valid ones are written through the
store's one write path in atomic chunks (an event is never half-written). 200 ``{"created",
"updated", "unchanged", "invalid", "superseded", "results": [...]}``, one result per event in input
order. A site-scoped key's request naming, or moving an event from, a site outside its sites is 403
before anything is written.
"""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.ingest import (
    batch_result,
    check_sites,
    parse_batch,
    stored_answer,
    stored_outcome,
    valid_records,
)
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.store.budget import per_call
from shared.store.events import EventStore
from shared.store.idempotency import IdempotencyRecords


def replay_ingest(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The first answer of the batch again."""
    return json_response(stored_answer(outcome))


@functions_framework.http
@endpoint("ingest_events", steps=[rate_limit, idempotent(replay_ingest)])
def ingest_events(context: Context) -> flask.Response:
    """Validate each event, check a scoped key's sites (403), write the valid ones, answer each."""
    entries = parse_batch(context.json_body())
    records = valid_records(entries)
    store = EventStore(context.principal.scope)
    with per_call():  # each chunk's write gets a whole store budget: a batch is long by design
        check_sites(store, records)
        outcomes = store.load(records, context.actor) if records else {}
    result = batch_result(entries, outcomes)
    if context.idempotency is not None:
        outcome = stored_outcome(result)
        if outcome is None:  # too large to keep: a retry executes again (idempotent by id)
            IdempotencyRecords(context.principal.org_id).release(context.idempotency)
        else:
            context.idempotency.complete(outcome)
    return json_response(result)

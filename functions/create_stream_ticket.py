"""POST /api/v1/stream-tickets: a single-use ticket that opens one event stream (viewer and up; an
ingest key is 403). See :mod:`shared.edge.tickets`."""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.auth import caller_credential
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.edge.tickets import issue_ticket

OUTCOME = {"kind": "stream_ticket"}  # what an Idempotency-Key records: never the ticket itself


def _issue(context: Context) -> flask.Response:
    principal = context.principal
    return json_response(issue_ticket(principal, caller_credential(context.request.headers)), 201)


def replay(context: Context, _outcome: dict[str, Any]) -> flask.Response:
    """A retry with the same ``Idempotency-Key`` gets a fresh ticket (a ticket is stored hashed only,
    so the first can't be answered again; unused, it lapses within a minute)."""
    return _issue(context)


@functions_framework.http
@endpoint("create_stream_ticket", steps=[rate_limit, idempotent(replay)])
def create_stream_ticket(context: Context) -> flask.Response:
    """201 ``{"ticket", "expires_at"}``: valid ``EVENTS_STREAM_TICKET_SECONDS``, bound to the
    caller's org, role and sites; no body is read."""
    response = _issue(context)
    if context.idempotency is not None:
        context.idempotency.complete(OUTCOME)
    return response

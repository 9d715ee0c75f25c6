"""POST /api/v1/stream-tickets: a single-use ticket that opens one event stream (viewer and up; an
ingest key is 403). See :mod:`shared.edge.tickets`."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.auth import caller_credential
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.edge.tickets import issue_ticket


@functions_framework.http
@endpoint("create_stream_ticket", steps=[rate_limit])
def create_stream_ticket(context: Context) -> flask.Response:
    """201 ``{"ticket", "expires_at"}``: valid ``EVENTS_STREAM_TICKET_SECONDS``, bound to the
    caller's org, role and sites; no body is read."""
    principal = context.principal
    return json_response(issue_ticket(principal, caller_credential(context.request.headers)), 201)

"""GET /api/v1/event-types: the catalogue of every type a webhook message or change record can carry,
each with its description and its message's JSON Schema (from the OpenAPI document, self-contained).
Any role but an ingest key."""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.webhooks.catalogue import catalogue


@functions_framework.http
@endpoint("list_event_types", steps=[rate_limit])
def list_event_types(context: Context) -> flask.Response:
    """``{"data": [{"type", "description", "schema"}, ...]}``."""
    return json_response({"data": catalogue()})

"""GET /api/v1/events/export: CSV export (operator and admin). Built under issue 3; until then it
answers 501 after the shared auth, role and filter checks."""

from __future__ import annotations

import flask
import functions_framework

from shared.filters import parse_list_query
from shared.http import Call, endpoint, json_response


@functions_framework.http
@endpoint("export_events")
def export_events(call: Call) -> flask.Response:
    """Validates like the list, then 501 ``not_implemented``."""
    parse_list_query(call.request.args.to_dict(flat=False), default_limit=None)
    return json_response({"error": "not_implemented", "message": "CSV export is not built yet"}, 501)

"""DELETE /api/v1/events/{id}: soft delete (admin). 204, empty body."""

from __future__ import annotations

from functools import partial

import flask
import functions_framework

from shared.auth import check_site
from shared.http import Call, endpoint
from shared.store import EventStore


@functions_framework.http
@endpoint("delete_event")
def delete_event(call: Call) -> flask.Response:
    """Mark the event deleted; it keeps its data and disappears from every read."""
    guard = partial(check_site, call.principal)
    EventStore(call.principal.org_id).soft_delete(call.path_params["id"], call.principal.user_id, guard)
    return flask.Response(status=204)

"""GET /api/v1/events/stream: the change feed as Server-Sent Events (viewer and up, site-scoped;
a bearer token, an API key, or a stream ticket as ``?ticket=``). See :mod:`shared.edge.stream`."""

from __future__ import annotations

from collections.abc import Iterator

import flask
import functions_framework

from shared.api.changes import parse_feed_query, start_position
from shared.edge.auth import caller_credential
from shared.edge.endpoint import Context, endpoint
from shared.edge.rate_limit import rate_limit
from shared.edge.stream import CONTENT_TYPE, Stream, head, reset_stream, run_stream, take_slot
from shared.edge.tickets import TICKET_PARAMETER
from shared.errors import Gone, ValidationError
from shared.timefmt import utcnow

PARAMETERS = ("cursor", "types", "camera_id", "site_id", "trigger_type", "tag", TICKET_PARAMETER)
LAST_EVENT_ID = "Last-Event-ID"


def _answer(body: Iterator[str]) -> flask.Response:
    response = flask.Response(body, content_type=CONTENT_TYPE)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Accel-Buffering"] = "no"
    return response


@functions_framework.http
@endpoint("stream_events", steps=[rate_limit])
def stream_events(context: Context) -> flask.Response:
    """``text/event-stream`` of the caller's changes after ``Last-Event-ID`` (it wins) or ``cursor``,
    else from now; 400 for a bad parameter or cursor, 403 for a site outside the scope, 429 when the
    org holds ``EVENTS_STREAM_MAX_PER_ORG`` streams."""
    request, principal = context.request, context.principal
    args = request.args.to_dict(flat=False)
    unknown = {name: "unknown query parameter" for name in args if name not in PARAMETERS}
    if unknown:
        raise ValidationError.of("query", unknown)
    args.pop(TICKET_PARAMETER, None)
    last_id = request.headers.get(LAST_EVENT_ID, "").strip()
    if last_id:
        args["cursor"] = [last_id]
    query = parse_feed_query(args)
    scope, role = principal.scope, principal.role.name
    scope.query_sites(query.filter.site_id)
    try:
        start = head() if query.cursor is None else start_position(scope, role, query, utcnow())
    except Gone as gone:
        return _answer(reset_stream(principal, query, gone.message))
    credential = context.credential or caller_credential(request.headers)
    slot_id = take_slot(principal)
    stream = Stream(principal, credential, query, start, slot_id, catch_up=query.cursor is not None)
    return _answer(run_stream(stream))

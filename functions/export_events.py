"""GET /api/v1/events/export: the list's events as CSV (operator and admin).

Same query parameters and validation as the list; ``cursor`` starts after that position. ``limit`` is
optional and caps the rows, 1 to ``EVENT_EXPORT_MAX_ROWS``; absent, every match is exported, and more
matches than ``EVENT_EXPORT_MAX_ROWS`` is 413 before any CSV is sent (a limit never causes a 413). The
body streams while the same bytes are written to the export bucket, named in ``X-Export-Object``.
"""

from __future__ import annotations

from collections.abc import Iterator

import flask
import functions_framework

from shared.api.query import parse_list_query, start_of
from shared.config import settings
from shared.edge.endpoint import Context, endpoint
from shared.edge.logs import log_error
from shared.edge.rate_limit import rate_limit
from shared.exports.export import CONTENT_TYPE, plan_export, write_export
from shared.exports.objects import on_demand_export
from shared.gcs import warm_storage_client
from shared.store.events import EventStore

warm_storage_client()  # built with the instance, not by its first request


@functions_framework.http
@endpoint("export_events", steps=[rate_limit])
def export_events(context: Context) -> flask.Response:
    """The CSV as an attachment, streamed; the object it was written to in ``X-Export-Object``."""
    cap = settings().export_max_rows
    query = parse_list_query(context.request.args.to_dict(flat=False), default_limit=None, max_limit=cap)
    org = context.principal.org_id
    store = EventStore(context.principal.scope)
    # An export counts for itself (its cap needs it): the cursor's total is not used.
    after, _ = start_of(query, store.scope, context.principal.role.name)
    plan = plan_export(store, query.filter, after, query.limit, cap)
    target = on_demand_export(
        org, context.actor.label, request_id=context.request_id, query=context.request.query_string.decode()
    )
    chunks = write_export(plan, target.name, target.metadata)

    def body() -> Iterator[bytes]:
        try:
            yield from chunks
        except Exception as exc:  # headers are gone: end the stream unfinished, so the client sees it broke
            log_error(
                "export failed midway",
                object=target.name,
                org_id=org,
                request_id=context.request_id,
                error=repr(exc),
            )
            raise

    response = flask.Response(body(), content_type=CONTENT_TYPE)
    response.headers["Content-Disposition"] = f'attachment; filename="{target.filename}"'
    response.headers["X-Export-Object"] = target.url
    response.headers["X-Export-Rows"] = str(plan.rows)
    response.headers["Cache-Control"] = "no-store"
    return response

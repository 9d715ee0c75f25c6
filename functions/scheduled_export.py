"""Scheduled export (Cloud Scheduler -> HTTP POST with an OIDC token). Not routed by the API gateway.

Exports one org's events of a period (default: the previous UTC day) to the export bucket, under a name
made of org, period and filters (``shared.exports.objects``), and answers
``{"object", "rows", "org_id", "date_from", "date_to"}``.
Running the same job again replaces that object whole. The interactive cap does not apply; the
ceiling is ``EVENTS_SCHEDULED_EXPORT_MAX_ROWS``. Only the scheduler's service account may call it.
"""

from __future__ import annotations

import flask
import functions_framework

from shared.api.responses import json_response
from shared.config import settings
from shared.edge.endpoint import Context, endpoint
from shared.edge.scheduler_auth import authenticate_scheduler
from shared.exports.export import plan_export, write_export
from shared.exports.objects import scheduled_export as scheduled_object
from shared.exports.scheduled import parse_job
from shared.gcs import warm_storage_client
from shared.model.scope import Scope
from shared.store.budget import per_call
from shared.store.events import EventStore
from shared.timefmt import format_rfc3339, utcnow

warm_storage_client()  # built with the instance, not by its first request


@functions_framework.http
@endpoint("scheduled_export", auth=authenticate_scheduler)
def scheduled_export(context: Context) -> flask.Response:
    """Run one scheduled export job."""
    config = settings()
    job = parse_job(context.request.get_data(), config.pinned_org, utcnow().date())
    context.log["org_id"] = job.org_id
    plan = plan_export(
        EventStore(Scope(job.org_id)), job.event_filter, None, None, config.scheduled_export_max_rows
    )
    target = scheduled_object(job.org_id, job.event_filter, context.actor.label, context.request_id)
    with per_call():  # counted within the request's budget; each page of the file then gets its own
        for _ in write_export(plan, target.name, target.metadata):
            pass
    return json_response(
        {
            "object": target.url,
            "rows": plan.rows,
            "org_id": job.org_id,
            "date_from": format_rfc3339(job.event_filter.date_from),
            "date_to": format_rfc3339(job.event_filter.date_to),
        }
    )

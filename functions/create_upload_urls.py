"""POST /api/v1/events/{id}/upload-urls: signed PUT URLs for the event's snapshot and clip (ingest
keys and admins), 200 whether or not the event exists yet. Idempotency-Key: a retry names the same
objects, with URLs signed afresh.

The answer is ``{"snapshot": {"url", "method": "PUT", "headers", "object", "expires_at"}, "clip":
{...}}`` (:mod:`shared.uploads`): the client PUTs the file to ``url`` with exactly ``headers``
within 15 minutes, then names ``object`` as the event's ``snapshot_object`` / ``clip_object``. A
caller reaching only some sites (an ingest key with ``site_ids``) is 403 for an event that exists
(dismissed or not) on another site; an event that does not exist yet has no site to check, so such
a caller may upload for it, and its site is checked when the event is written.
"""

from __future__ import annotations

from typing import Any

import flask
import functions_framework

from shared.api.bodies import json_object
from shared.api.responses import json_response
from shared.edge.endpoint import Context, endpoint
from shared.edge.idempotency import idempotent
from shared.edge.rate_limit import rate_limit
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.store.events import EventStore
from shared.uploads import new_objects, upload_targets

OUTCOME_KIND = "upload_urls"


def replay(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The same objects again, their URLs signed afresh."""
    return json_response(upload_targets(outcome["objects"]))


@functions_framework.http
@endpoint("create_upload_urls", steps=[rate_limit, idempotent(replay)])
def create_upload_urls(context: Context) -> flask.Response:
    """Fresh objects under ``uploads/{id}/`` and their signed PUT URLs; the body is empty or ``{}``
    (400 otherwise); 403 for an existing event outside a site-scoped caller's sites."""
    if json_object(context.request.get_data(), empty={}):
        raise ValidationError.field("body", "must be empty or {}: this request takes no fields")
    event_id = canonical_uuid(context.path_params["id"])
    assert event_id is not None  # the route checked the id (404 otherwise)
    EventStore(context.principal.scope).check_reach(event_id)
    objects = new_objects(event_id)
    if context.idempotency is not None:
        context.idempotency.complete({"kind": OUTCOME_KIND, "objects": objects})
    return json_response(upload_targets(objects))

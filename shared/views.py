"""The API's answers built from stored events, where more than one verb gives the same answer."""

from __future__ import annotations

import flask

from shared.auth import Principal, visible_sites
from shared.events import Event, detail
from shared.http import json_response
from shared.media import signed_urls
from shared.store import EventStore


def event_detail_response(store: EventStore, event: Event, principal: Principal) -> flask.Response:
    """GET's and PATCH's answer: the detail shape with signed media URLs and the caller's prev/next."""
    snapshot_url, clip_url = signed_urls([event.data.get("snapshot_object"), event.data.get("clip_object")])
    prev_id, next_id = store.neighbours(event, visible_sites(principal, None))
    return json_response(detail(event, snapshot_url, clip_url, prev_id, next_id))

"""The API's answers built from stored events, where more than one verb gives the same answer."""

from __future__ import annotations

from typing import Any

import flask

from shared.api.responses import json_response
from shared.api.shapes import detail
from shared.errors import NotFound
from shared.media import signed_urls
from shared.model.event import Event
from shared.store.events import EventStore


def replay_event(context: Any, outcome: dict[str, Any]) -> flask.Response:
    """An idempotent replay of a change of one event (PATCH, restore): the event as the first request
    wrote it, media URLs signed afresh and neighbours read now, but only while the caller may still
    read the event: otherwise what a GET answers now (404 once it is dismissed or gone, 403 outside
    the caller's sites), and nothing is signed."""
    store = EventStore(context.principal.scope)
    if store.get(outcome["event_id"]) is None:
        raise NotFound()
    return event_detail_response(store, Event(outcome["event_id"], outcome["event"]))


def event_detail_response(store: EventStore, event: Event) -> flask.Response:
    """GET's and PATCH's answer: the detail shape with signed media URLs and prev/next within the
    store's scope."""
    snapshot_url, clip_url = signed_urls([event.data.get("snapshot_object"), event.data.get("clip_object")])
    prev_id, next_id = store.neighbours(event)
    return json_response(detail(event, snapshot_url, clip_url, prev_id, next_id))

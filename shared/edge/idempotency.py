"""The idempotency step (as Stripe's): a mutating request may carry ``Idempotency-Key``.

The key is 1-255 printable ASCII characters, scoped to the caller (org, actor) and kept 24 hours.
The first request with a key executes; its outcome is recorded in the same transaction as its
change. A retry with the same key and the same method, path and body answers that first outcome
again (media URLs signed afresh) with ``Idempotent-Replayed: true`` and writes nothing; a DELETE
retried after a lost answer gets its 204, not a 404. A replay that shows an event (PATCH, restore)
first checks the caller may still read it: if not, it answers what a GET would (404 for an event
dismissed since), and signs no media URL. The same key with another request is 400
``validation_error`` naming ``Idempotency-Key``; while the first is still executing a retry is 409
``conflict`` with ``Retry-After``. Only executed outcomes are stored (the change, or a 404 for an
event that is not there), never a 400, 401, 403, 429 or 5xx, so a retry after those executes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

from shared.api.responses import error_response
from shared.edge.endpoint import Context, Handler, Step
from shared.errors import NotFound, ValidationError
from shared.store.idempotency import KEY_HEADER, Completed, IdempotencyRecords, fingerprint

REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
Replay = Callable[[Context, dict[str, Any]], flask.Response]


def parse_key(raw: str) -> str:
    """A valid key; raises ValidationError naming the header."""
    if not 1 <= len(raw) <= MAX_KEY_LENGTH or not all(" " <= char <= "~" for char in raw):
        raise ValidationError.field(KEY_HEADER, f"must be 1-{MAX_KEY_LENGTH} printable ASCII characters")
    return raw


def replay_no_content(context: Context, outcome: dict[str, Any]) -> flask.Response:
    """The replay of a verb whose answer is 204 (a DELETE): 204 again."""
    return flask.Response(status=204)


def idempotent(replay: Replay) -> Step:
    """The step; ``replay(context, outcome)`` answers a stored outcome of kind ``event`` again."""

    def step(context: Context, proceed: Handler) -> flask.Response:
        raw = context.request.headers.get(KEY_HEADER)
        if raw is None:
            return proceed(context)
        key = parse_key(raw)
        request = context.request
        path = request.full_path if request.query_string else request.path
        records = IdempotencyRecords(context.principal.org_id)
        found = records.begin(context.actor, key, fingerprint(request.method, path, request.get_data()))
        context.log["idempotency"] = "replayed" if isinstance(found, Completed) else "executed"
        if isinstance(found, Completed):
            if found.outcome.get("kind") == "not_found":
                response = error_response(NotFound(), context.request_id)
            else:
                response = replay(context, found.outcome)
            response.headers[REPLAYED_HEADER] = "true"
            return response
        context.idempotency = found
        try:
            return proceed(context)
        except BaseException:
            records.release(found)  # no outcome was stored: a retry must execute
            raise

    return step

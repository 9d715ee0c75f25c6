"""CORS for the browser origins of ``EVENTS_CORS_ORIGINS``: preflights and the response headers."""

from __future__ import annotations

import flask
from werkzeug.wrappers import Request

from shared.api.responses import REQUEST_ID_HEADER
from shared.config import settings
from shared.edge.routes import resolve
from shared.errors import NotFound

EXPOSED_HEADERS = (
    REQUEST_ID_HEADER,
    "X-Export-Object",
    "X-Export-Rows",
    "Content-Disposition",
    "Retry-After",
    "Idempotent-Replayed",
    "RateLimit",
    "RateLimit-Policy",
)
ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", REQUEST_ID_HEADER, "Idempotency-Key")


def allow_origin(request: Request, response: flask.Response) -> None:
    """Let a configured browser origin read the answer. When CORS is configured every answer says
    ``Vary: Origin`` (whatever the request's origin, errors included), so no cache hands one origin's
    answer to another."""
    allowed = settings().cors_origins
    if not allowed:
        return
    response.vary.add("Origin")
    origin = request.headers.get("Origin")
    if origin and (origin in allowed or "*" in allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)


def preflight(request: Request) -> flask.Response:
    """The answer to a CORS preflight (``OPTIONS``) of a routed path: no auth, 204 with the path's
    methods; an unknown path is 404."""
    _, allowed = resolve(request.method, request.path)
    if not allowed:
        raise NotFound(f"no route for {request.path}")
    response = flask.Response(status=204)
    response.headers["Allow"] = ", ".join([*allowed, "OPTIONS"])
    if request.headers.get("Origin"):
        response.headers["Access-Control-Allow-Methods"] = ", ".join(allowed)
        response.headers["Access-Control-Allow-Headers"] = ", ".join(ALLOWED_REQUEST_HEADERS)
        response.headers["Access-Control-Max-Age"] = "3600"
    return response

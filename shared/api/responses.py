"""JSON responses and the contract's error envelope."""

from __future__ import annotations

import json
from collections.abc import Mapping

import flask

from shared.errors import ApiError

REQUEST_ID_HEADER = "X-Request-Id"


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    """A JSON response."""
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def error_response(error: ApiError, request_id: str) -> flask.Response:
    """The contract's error envelope for ``error``, carrying ``request_id`` in body and header."""
    headers = {**error.headers, REQUEST_ID_HEADER: request_id}
    return json_response(error.body(request_id), error.status, headers)

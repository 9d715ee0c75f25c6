"""JSON responses and the contract's error envelope."""

from __future__ import annotations

import json
from collections.abc import Mapping

import flask

from shared.errors import ApiError


def json_response(
    body: object, status: int = 200, headers: Mapping[str, str] | None = None
) -> flask.Response:
    """A JSON response."""
    response = flask.Response(json.dumps(body), status=status, mimetype="application/json")
    response.headers.update(headers or {})
    return response


def error_response(error: ApiError) -> flask.Response:
    """The contract's error envelope for ``error``."""
    return json_response(error.body(), error.status, error.headers)

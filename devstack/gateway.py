"""The local gateway: every function behind one WSGI app, routed by ``shared.edge.routes``.

It plays API Gateway's part locally: the request reaches the function unchanged (full path, headers),
as with ``path_translation: APPEND_PATH_TO_ADDRESS``. It also serves the OpenAPI document at
``/openapi.json``. An unknown path is 404 and a wrong method 405, in the API's error envelope.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.wrappers import Request

from shared.api.responses import error_response
from shared.edge.cors import REQUEST_ID_HEADER
from shared.edge.endpoint import request_id_of
from shared.edge.routes import PUBLIC_ROUTES, resolve
from shared.errors import MethodNotAllowed, NotFound

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def function_app(function: str) -> WsgiApp:
    """The functions-framework app of one function, as Cloud Functions would build it."""
    app: WsgiApp = functions_framework.create_app(function, str(FUNCTIONS_DIR / f"{function}.py"), "http")
    return app


def openapi_document() -> bytes:
    """The API's OpenAPI 3 document."""
    return resources.files("shared").joinpath("openapi.json").read_bytes()


class Gateway:
    """A WSGI app routing each request by method and path to its function's app."""

    def __init__(self) -> None:
        self.apps = {route.function: function_app(route.function) for route in PUBLIC_ROUTES}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        if request.path == "/openapi.json" and request.method == "GET":
            start_response(
                "200 OK", [("Content-Type", "application/json"), (REQUEST_ID_HEADER, request_id_of(request))]
            )
            return [openapi_document()]
        route, allowed = resolve(request.method, request.path)
        if request.method == "OPTIONS" and allowed:  # CORS preflight: any function of the path answers
            route, _ = resolve(allowed[0], request.path)
        if route is not None:
            return self.apps[route.function](environ, start_response)
        error = (
            MethodNotAllowed(request.method, allowed) if allowed else NotFound(f"no route for {request.path}")
        )
        response = error_response(error)
        response.headers[REQUEST_ID_HEADER] = request_id_of(request)
        answer: Iterable[bytes] = response(environ, start_response)
        return answer

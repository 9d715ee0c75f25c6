"""The local gateway: every function behind one WSGI app, routed by ``shared.edge.routes``.

It plays API Gateway's part locally: the request reaches the function unchanged (full path, headers),
as with ``path_translation: APPEND_PATH_TO_ADDRESS``; the docs page and ``/openapi.json`` are routes of
the ``api_docs`` function like any other. An unknown path is 404 and a wrong method 405, in the API's
error envelope, with the headers every answer carries. Its request log lines are redacted like the
functions' (no credential of a URL reaches them).

A streamed answer (an export, the event stream) passes through as it is made: the function's body is
handed to werkzeug's threaded server, which writes and flushes each chunk (chunked encoding), one
thread per open request.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any

import functions_framework
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request

from shared.api.responses import REQUEST_ID_HEADER, error_response
from shared.config import settings
from shared.edge.endpoint import finish_answer, request_id_of
from shared.edge.logs import redact
from shared.edge.routes import PUBLIC_ROUTES, resolve
from shared.errors import InternalError, MethodNotAllowed, NotFound, ValidationError

FUNCTIONS_DIR = Path(__file__).resolve().parent.parent / "functions"
WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def function_app(function: str) -> WsgiApp:
    """The functions-framework app of one function, as Cloud Functions would build it."""
    app: WsgiApp = functions_framework.create_app(function, str(FUNCTIONS_DIR / f"{function}.py"), "http")
    return app


class Gateway:
    """A WSGI app routing each request by method and path to its function's app."""

    def __init__(self) -> None:
        self.apps = {route.function: function_app(route.function) for route in PUBLIC_ROUTES}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        request = Request(environ)
        route, allowed = resolve(request.method, request.path)
        if request.method == "OPTIONS" and allowed:  # CORS preflight: any function of the path answers
            route, _ = resolve(allowed[0], request.path)
        if route is not None:
            return self.apps[route.function](environ, start_response)
        error = (
            MethodNotAllowed(request.method, allowed) if allowed else NotFound(f"no route for {request.path}")
        )
        response = error_response(error, request_id_of(request))
        finish_answer(request, response)
        answer: Iterable[bytes] = response(environ, start_response)
        return answer


class GatewayRequestHandler(WSGIRequestHandler):
    """Werkzeug's request handler, but the errors it answers itself before any app runs (a request
    line over 64 KiB: 414; too many or too long headers: 431; a malformed request: 400) leave in the
    API's JSON envelope with a request id, like every other error."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        error = (
            ValidationError(f"{message or HTTPStatus(code).phrase}")
            if code < 500
            else InternalError(message or HTTPStatus(code).phrase)
        )
        request_id = uuid.uuid4().hex
        body = json.dumps(error.body(request_id)).encode()
        self.close_connection = True
        self.send_response(code, message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header(REQUEST_ID_HEADER, request_id)
        self.send_header("X-Content-Type-Options", "nosniff")
        if settings().cors_origins:
            self.send_header("Vary", "Origin")
        self.send_header("Connection", "close")
        self.end_headers()
        if (
            self.command != "HEAD"
            and code >= 200
            and code not in (HTTPStatus.NO_CONTENT, HTTPStatus.NOT_MODIFIED)
        ):
            self.wfile.write(body)

    def log(self, type: str, message: str, *args: Any) -> None:
        """Werkzeug's request log line, with any credential of its URL redacted."""
        super().log(type, "%s", redact(message % args if args else message))


def gateway_server(port: int, host: str = "127.0.0.1") -> BaseWSGIServer:
    """The local gateway, listening (threaded) on ``host:port`` (0: a free port); serve with
    ``serve_forever``."""
    return make_server(host, port, Gateway(), threaded=True, request_handler=GatewayRequestHandler)

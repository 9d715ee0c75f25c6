"""The HTTP edge every function shares: routing check, authentication, role, errors, request ids, logs.

``@endpoint("list_events")`` wraps a verb's handler. For each request it: takes or makes a request id
(``X-Request-Id``, echoed on every response); checks method and path against the route table (405, 404);
authenticates the caller (401) and checks the route's role (403); calls the handler with a
:class:`Call`; turns :class:`ApiError` into the contract's JSON envelope, and anything else into a 500
without internals; writes one structured JSON log line that Cloud Logging understands.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import flask
from werkzeug.wrappers import Request

from shared.auth import Principal, Role, authenticate, require_role
from shared.config import settings
from shared.errors import ApiError, InternalError, MethodNotAllowed, NotFound
from shared.routes import resolve, route_of

REQUEST_ID_HEADER = "X-Request-Id"
EXPOSED_HEADERS = (
    REQUEST_ID_HEADER,
    "X-Export-Object",
    "X-Export-Rows",
    "Content-Disposition",
    "Retry-After",
)
ALLOWED_REQUEST_HEADERS = ("Authorization", "Content-Type", REQUEST_ID_HEADER)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")


@dataclass(frozen=True)
class Call:
    """One authenticated request to a verb: the raw request, the caller, the path parameters and the
    request id its answer and logs carry."""

    request: flask.Request
    principal: Principal
    path_params: Mapping[str, str] = field(default_factory=dict)
    request_id: str = ""


class _JsonFormatter(logging.Formatter):
    """One JSON object per line, with the fields Cloud Logging reads (severity, message, httpRequest)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {"severity": record.levelname, "message": record.getMessage()}
        entry.update(getattr(record, "structured", {}))
        if record.exc_info:
            entry["stack_trace"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time of each record (runtimes may replace it)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stdout
        super().emit(record)


def _logger() -> logging.Logger:
    logger = logging.getLogger("novavms.events")
    if not logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    return logger


def request_id_of(request: Request) -> str:
    """The caller's request id when it is sane, else the Cloud trace id, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if _REQUEST_ID.match(given):
        return given
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
    if re.fullmatch(r"[0-9a-f]{32}", trace):
        return trace
    return uuid.uuid4().hex


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


def _log_request(request: flask.Request, status: int, started: float, request_id: str, **extra: Any) -> None:
    structured: dict[str, Any] = {
        "httpRequest": {
            "requestMethod": request.method,
            "requestUrl": request.url,
            "status": status,
            "userAgent": request.headers.get("User-Agent", ""),
            "remoteIp": request.headers.get("X-Forwarded-For", request.remote_addr or ""),
            "latency": f"{time.perf_counter() - started:.6f}s",
        },
        "request_id": request_id,
        **extra,
    }
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
    project = settings().project if trace else None
    if trace and project:
        structured["logging.googleapis.com/trace"] = f"projects/{project}/traces/{trace}"
    severity = logging.ERROR if status >= 500 else logging.WARNING if status >= 400 else logging.INFO
    _logger().log(severity, f"{request.method} {request.path} {status}", extra={"structured": structured})


Handler = Callable[[Call], flask.Response]
EntryPoint = Callable[[flask.Request], flask.Response]


def answer(
    request: flask.Request, function: str, work: Callable[[dict[str, Any], str], flask.Response]
) -> flask.Response:
    """Run ``work(log_fields, request_id)`` for a request: errors become the envelope (500 hides
    internals), the response gets the request id, and one structured log line records it."""
    started = time.perf_counter()
    request_id = request_id_of(request)
    extra: dict[str, Any] = {"function": function}
    try:
        response = work(extra, request_id)
    except ApiError as error:
        extra["error"] = error.code
        response = error_response(error)
    except Exception:  # a bug or an outage, never the caller's fault: log it, hide internals
        _logger().exception("unhandled error", extra={"structured": {"request_id": request_id}})
        response = error_response(InternalError("internal error; quote the request id to support"))
    response.headers[REQUEST_ID_HEADER] = request_id
    _allow_origin(request, response)
    _log_request(request, response.status_code, started, request_id, **extra)
    return response


def _allow_origin(request: Request, response: flask.Response) -> None:
    """CORS: let a configured browser origin read the answer (``EVENTS_CORS_ORIGINS``)."""
    origin = request.headers.get("Origin")
    allowed = settings().cors_origins
    if origin and (origin in allowed or "*" in allowed):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Expose-Headers"] = ", ".join(EXPOSED_HEADERS)
        response.headers.add("Vary", "Origin")


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


def log_error(message: str, **fields: Any) -> None:
    """A structured error log line (for failures after the response has started)."""
    _logger().error(message, extra={"structured": fields})


def endpoint(function: str) -> Callable[[Handler], EntryPoint]:
    """Make ``handler`` the Cloud Function entry point of route table function ``function``."""
    route = route_of(function)

    def wrap(handler: Handler) -> EntryPoint:
        def entry_point(request: flask.Request) -> flask.Response:
            def work(extra: dict[str, Any], request_id: str) -> flask.Response:
                params = route.match(request.path.rstrip("/") or "/")
                if params is None:
                    raise NotFound(f"no route for {request.path}")
                if request.method == "OPTIONS":
                    return preflight(request)
                if request.method != route.method:
                    raise MethodNotAllowed(request.method, [route.method])
                principal = authenticate(request.headers)
                extra.update(org_id=principal.org_id, user_id=principal.user_id)
                require_role(principal, Role.parse(route.min_role))
                return handler(Call(request, principal, params, request_id))

            return answer(request, function, work)

        entry_point.__name__ = function
        entry_point.__doc__ = handler.__doc__
        return entry_point

    return wrap

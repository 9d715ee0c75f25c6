"""``@endpoint``: what every function does around its handler.

``@endpoint("update_event", steps=[idempotent(replay_event)])`` makes a handler the Cloud Function
entry point of that route-table function. For each request it: takes or makes a request id
(``X-Request-Id``, echoed on every response); checks path and method against the route table (404,
405; ``OPTIONS`` is a CORS preflight); refuses a credential in the query string (400 naming the
parameter); refuses a client address over its failed authentications (429, see
:mod:`shared.edge.auth_failures`); authenticates the caller with the route's ``auth`` (401: a
user's bearer token or API key by default, the scheduler's OIDC token for the scheduled export);
runs the steps marked ``before_role`` for the route (the API's rate limit: every authenticated
request counts); checks the route's role (403), the path's id (404: an id the API never issues is
refused before any store call) and a body's size (413 over the route's ``max_body_bytes``: 64 KiB,
a bulk route's ``EVENTS_INGEST_MAX_BODY_BYTES``) and type (400); runs the other ``steps`` in order
(the ingest budget, which counts a request's events once its body is known, then idempotency), each
wrapping the rest (idempotency); calls the handler with a :class:`Context`; turns :class:`ApiError`,
and the model's and the store's errors (mapped by :mod:`shared.edge.errors`), into the contract's
JSON envelope and anything else into a 500 without internals; adds the headers steps put in
``Context.headers`` to the answer, whatever it is; sets ``X-Content-Type-Options: nosniff`` and
the CORS headers on every answer; writes one structured log line (its URL redacted) with the
request's store usage (a streamed answer's once its body has been sent, or has stopped, so the counts
include the body's reads).

A route that takes a stream ticket (``ticket``: the event stream) lets a ``?ticket=`` parameter
through the query-credential check and authenticates with it when given, spending it
(:mod:`shared.edge.tickets`); the caller's :class:`~shared.edge.auth.Credential` is then on the
context.
"""

from __future__ import annotations

import functools
import io
import re
import time
import uuid
from collections.abc import Callable, Generator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

import flask
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from shared.api.bodies import json_object
from shared.api.responses import REQUEST_ID_HEADER, error_response
from shared.config import settings
from shared.edge.auth import (
    Credential,
    HeaderSource,
    Principal,
    Role,
    authenticate_caller,
    caller_credential,
    require_role,
)
from shared.edge.auth_failures import record_failure, refuse_if_over
from shared.edge.cors import allow_origin, preflight
from shared.edge.errors import api_error, from_domain
from shared.edge.logs import (
    client_address,
    credential_parameter,
    holds_credential,
    log_exception,
    log_index_not_ready,
    log_request,
)
from shared.edge.routes import MAX_BODY_BYTES, Route, routes_of
from shared.edge.tickets import TICKET_PARAMETER, redeem_ticket
from shared.errors import (
    ApiError,
    AuthRequired,
    InternalError,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ValidationError,
)
from shared.model.actor import Actor
from shared.model.errors import IndexNotReady
from shared.store.budget import outage, request_budget
from shared.store.client import reset_clients
from shared.store.idempotency import PendingRecord
from shared.store.meter import STORE_COST_HEADER, StoreMeter, metering

_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,128}")


@dataclass
class Context:
    """One request to a function: the raw request, its route and path parameters, its request id,
    the authenticated caller, the fields its log line will carry, the headers its answer will carry
    (error or not), and what steps attached."""

    request: flask.Request
    route: Route
    request_id: str
    path_params: Mapping[str, str] = field(default_factory=dict)
    caller: Principal | Actor | None = None
    credential: Credential | None = None
    log: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    idempotency: PendingRecord | None = None
    _body: dict[str, Any] | None = None

    def json_body(self) -> dict[str, Any]:
        """The request's body as a JSON object (400 naming ``body`` otherwise), parsed once."""
        if self._body is None:
            self._body = json_object(self.request.get_data())
        return self._body

    @property
    def principal(self) -> Principal:
        """The caller of a route that authenticates users (or API keys)."""
        if not isinstance(self.caller, Principal):
            raise InternalError(f"{self.route.function} has no user principal")
        return self.caller

    @property
    def actor(self) -> Actor:
        """Who acts in this request."""
        if isinstance(self.caller, Principal):
            return self.caller.actor
        if isinstance(self.caller, Actor):
            return self.caller
        raise InternalError("the request is not authenticated")


Handler = Callable[[Context], flask.Response]
Step = Callable[[Context, Handler], flask.Response]
Authenticator = Callable[[HeaderSource], Principal | Actor]
EntryPoint = Callable[[flask.Request], flask.Response]


def request_id_of(request: Request) -> str:
    """The caller's request id when it is sane, else the Cloud trace id, else a new one."""
    given = request.headers.get(REQUEST_ID_HEADER, "")
    if _REQUEST_ID.fullmatch(given):
        return given
    trace = request.headers.get("X-Cloud-Trace-Context", "").split("/")[0]
    if re.fullmatch(r"[0-9a-f]{32}", trace):
        return trace
    return uuid.uuid4().hex


def _chain(handler: Handler, steps: Sequence[Step]) -> Handler:
    """The handler wrapped by the steps, the first step outermost."""
    for step in reversed(steps):
        handler = functools.partial(step, proceed=handler)  # type: ignore[call-arg]
    return handler


BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def _read_unsized_body(request: flask.Request, limit: int) -> None:
    """Read a body sent without a length (chunked) whole, up to one byte past ``limit``: over it is
    413; within it, the request reads on as if the body had come with its length."""
    environ = request.environ
    if "wsgi.input_terminated" not in environ:  # the server did not decode it: nothing is read
        return
    stream, data = environ["wsgi.input"], b""
    while len(data) <= limit and (chunk := stream.read(limit + 1 - len(data))):
        data += chunk
    if len(data) > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(data), str(len(data))


def check_json_body(request: flask.Request, limit: int = MAX_BODY_BYTES) -> None:
    """A request body is at most ``limit`` bytes (413, whether it came with a length or chunked;
    :data:`MAX_BODY_BYTES` unless the route takes bulk bodies) and, when present, JSON (400 naming
    ``Content-Type``)."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body is larger than {limit} bytes")
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    if request.content_length is None and chunked:
        _read_unsized_body(request, limit)
    request.max_content_length = limit
    has_body = bool(request.content_length) or chunked
    if has_body and request.mimetype != "application/json":
        raise ValidationError.field("Content-Type", "must be application/json")


def refuse_query_credentials(request: Request, allowed: frozenset[str] = frozenset()) -> None:
    """Credentials travel in headers only: a query parameter named like one (``api_key``, ``token``,
    ...) or holding something shaped like a key, a JWT or a bearer token is 400 naming it; the
    parameters ``allowed`` (a stream ticket on the stream route) are let through by name, never a
    value shaped like a key or token."""
    for name, value in request.args.items(multi=True):
        if (credential_parameter(name) and name not in allowed) or holds_credential(value):
            raise ValidationError.field(
                name, "credentials are not accepted in the query string; send Authorization: Bearer <token>"
            )


def finish_answer(request: Request, response: flask.Response) -> None:
    """What every answer carries, errors included: ``X-Content-Type-Options: nosniff`` and the CORS
    headers (``Vary: Origin`` whenever CORS is configured)."""
    response.headers["X-Content-Type-Options"] = "nosniff"
    allow_origin(request, response)


def api_error_of(exc: HTTPException) -> ApiError:
    """The API's error for an HTTP error werkzeug or Flask raised before or around a handler."""
    status = exc.code or 500
    description = exc.description or HTTPStatus(status).phrase
    if status == 404:
        return NotFound(
            f"no route for {flask.request.path!r}" if flask.has_request_context() else "not found"
        )
    if status == 405:
        allowed = list(getattr(exc, "valid_methods", None) or [])
        return MethodNotAllowed(flask.request.method if flask.has_request_context() else "?", allowed)
    if status == 413:
        limit = flask.request.max_content_length if flask.has_request_context() else None
        return PayloadTooLarge(f"the body is larger than {limit or MAX_BODY_BYTES} bytes")
    if status < 500:
        return ValidationError(description)
    return InternalError("internal error; quote the request id to support")


def _framework_error(exc: HTTPException) -> flask.Response:
    """What the framework itself answers (a path no rule matches, such as one with a newline; a method
    it does not route): the API's envelope with a request id, never an HTML page."""
    request_id = request_id_of(flask.request)
    response = error_response(api_error_of(exc), request_id)
    finish_answer(flask.request, response)
    return response


def _answer_for(raised: Exception, context: Context) -> ApiError:
    """The error a request ends with: a query's index not ready (logged once per index), the store's
    outage (its client is then rebuilt, so the next request reconnects at once), the API's own error
    or a domain error's, the framework's, or a bug (logged, 500)."""
    if isinstance(raised, IndexNotReady):  # the channel is fine: the client is kept
        log_index_not_ready(raised.link, raised.detail)
        context.log["cause"] = "query index not ready"
        return from_domain(raised)
    if (unavailable := outage(raised)) is not None:
        reset_clients()
        if unavailable is not raised:
            context.log["cause"] = repr(raised)
        return from_domain(unavailable)
    if (answer := api_error(raised)) is not None:
        return answer
    if isinstance(raised, HTTPException):
        return api_error_of(raised)
    log_exception("unhandled error", request_id=context.request_id, function=context.route.function)
    return InternalError("internal error; quote the request id to support")


def _route_for(routes: Sequence[Route], method: str, path: str) -> tuple[Route, dict[str, str]]:
    """The function's route for ``method path`` and its path parameters; 404 for a path the function
    does not serve, 405 (naming the function's methods there) for another method."""
    path = path.rstrip("/") or "/"
    matching = [(route, params) for route in routes if (params := route.match(path)) is not None]
    if not matching:
        raise NotFound(f"no route for {path}")
    for route, params in matching:
        if route.method == method:
            return route, params
    raise MethodNotAllowed(method, [route.method for route, _ in matching])


def _metered_body(
    body: Iterable[Any], meter: StoreMeter, finished: Callable[[bool], None]
) -> Generator[Any, None, None]:
    """A streamed body whose chunks are made counting into the request's ``meter``; then
    ``finished(whether the whole body was sent)``, also when it fails or the client goes away."""
    chunks = iter(body)
    sent = False
    try:
        while True:
            with metering(meter):
                chunk = next(chunks, None)
            if chunk is None:
                break
            yield chunk
        sent = True
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            with metering(meter):
                close()
        finished(sent)


def _before_role(step: Step, route: Route) -> bool:
    """Whether ``step`` runs before the role check on ``route``: its ``before_role`` mark, a bool or
    a predicate of the route (the rate limit: the API's budget before, the ingest budget after)."""
    mark = getattr(step, "before_role", False)
    return bool(mark(route) if callable(mark) else mark)


def endpoint(
    function: str, *, auth: Authenticator | None = authenticate_caller, steps: Sequence[Step] = ()
) -> Callable[[Handler], EntryPoint]:
    """Make the decorated handler the entry point of route-table function ``function`` (of every
    route it answers). ``auth=None``: the routes are open (the docs page), no caller."""
    routes = routes_of(function)

    def wrap(handler: Handler) -> EntryPoint:
        def checked(context: Context) -> flask.Response:
            """The role (403), the path's id (404), the body's form (413, 400), then the other steps and
            the handler."""
            if isinstance(context.caller, Principal) and context.route.min_role is not None:
                require_role(context.caller, Role.parse(context.route.min_role))
            context.route.check_id(context.path_params)
            if context.route.method in BODY_METHODS:
                check_json_body(context.request, context.route.max_body_bytes)
            return inners[context.route](context)

        early = {route: [step for step in steps if _before_role(step, route)] for route in routes}
        inners = {
            route: _chain(handler, [step for step in steps if step not in early[route]]) for route in routes
        }
        chained = {route: _chain(checked, early[route]) for route in routes}
        if flask.has_app_context():  # functions-framework runs this module inside its app's context
            flask.current_app.register_error_handler(HTTPException, _framework_error)

        def admit(context: Context) -> flask.Response:
            request = context.request
            path = request.path.rstrip("/") or "/"
            if request.method == "OPTIONS" and any(r.public and r.match(path) is not None for r in routes):
                return preflight(request)
            context.route, context.path_params = _route_for(routes, request.method, request.path)
            takes_ticket = context.route.ticket
            refuse_query_credentials(request, frozenset({TICKET_PARAMETER}) if takes_ticket else frozenset())
            if auth is None:
                return inners[context.route](context)
            address = client_address(request)
            refuse_if_over(address)
            try:
                if takes_ticket and TICKET_PARAMETER in request.args:
                    context.caller, context.credential = redeem_ticket(request.args[TICKET_PARAMETER])
                else:
                    context.caller = auth(request.headers)
                    if takes_ticket and isinstance(context.caller, Principal):
                        context.credential = caller_credential(request.headers)
            except AuthRequired:
                record_failure(address)
                raise
            context.log["actor"] = context.actor.stored()
            if isinstance(context.caller, Principal):
                context.log["org_id"] = context.caller.org_id
            return chained[context.route](context)

        @functools.wraps(handler)
        def entry_point(request: flask.Request) -> flask.Response:
            started = time.perf_counter()
            context = Context(request, routes[0], request_id_of(request), log={"function": function})
            with metering() as meter:
                try:
                    with request_budget():
                        response = admit(context)
                except Exception as raised:
                    error = _answer_for(raised, context)
                    context.log["error"] = error.code
                    response = error_response(error, context.request_id)
            response.headers.update(context.headers)
            if settings().store_cost_header:  # a streamed body's reads come after: see the log line
                response.headers[STORE_COST_HEADER] = meter.header()
            response.headers[REQUEST_ID_HEADER] = context.request_id
            finish_answer(request, response)

            def log(sent: bool | None = None) -> None:
                fields = {"request_id": context.request_id, **context.log, "store": meter.summary()}
                if sent is not None:
                    fields["body_sent"] = sent
                log_request(request, response.status_code, started, fields)

            if response.is_streamed:
                response.response = _metered_body(response.response, meter, log)
            else:
                log()
            return response

        entry_point.steps = tuple(steps)  # type: ignore[attr-defined]
        return entry_point

    return wrap

"""The route table: the single source of truth for which function answers which method and path.

The local gateway routes by it, each function checks its own request against it, the tests walk it and
the API Gateway config is generated from it. Order matters: the first route whose path matches wins, so
``/api/v1/events/export`` and ``/api/v1/events/changes`` come before ``/api/v1/events/{id}``. A route's
``kind`` says where it belongs: ``api`` routes are the API's operations (in the OpenAPI document, bearer
token checked at the gateway); ``docs`` routes serve the docs page and the document itself, without
auth; ``internal`` routes (the scheduled export and the webhook sweeper, which Cloud Scheduler calls, and the
webhook delivery, which Cloud Tasks calls, each at its function's own URL) are in neither gateway. A function
may answer several routes. A route whose path takes an ``{id}`` names what kind of id it is (``event``,
``key`` or ``webhook_endpoint``): an id the API never issues is 404 before any store call.

A route's ``budget`` says which per-org rate budget it spends (:mod:`shared.edge.rate_limit`): ``api``
(requests) or ``ingest`` (events: the ingest routes and media upload URLs, never the API's). Its
``bulk_body`` says it takes bodies up to ``EVENTS_INGEST_MAX_BODY_BYTES`` (default 10 MiB) instead of
:data:`MAX_BODY_BYTES` (64 KiB). ``min_role`` ``ingest`` admits ingest API keys and admins only; an
ingest key is refused (403) by every other route (:func:`shared.edge.auth.require_role`). The event stream
comes before ``{id}`` too; ``ticket`` marks the one route that takes a credential in the URL, its
``?ticket=`` (:mod:`shared.edge.tickets`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from shared.config import settings
from shared.errors import NotFound
from shared.ids import canonical_uuid, valid_endpoint_id, valid_key_id

IdKind = Literal["event", "key", "webhook_endpoint"]
Budget = Literal["api", "ingest"]
MAX_BODY_BYTES = 64 * 1024  # every route's body limit but a bulk route's
# Each kind of id: whether a value is one the API issues, and the 404's message when not.
ID_RULES: dict[str, tuple[Callable[[str], bool], str]] = {
    "event": (lambda value: canonical_uuid(value) is not None, "event not found"),
    "key": (valid_key_id, "no such key in this org"),
    "webhook_endpoint": (valid_endpoint_id, "no such webhook endpoint in this org"),
}


@dataclass(frozen=True)
class Route:
    """One operation: ``method path`` answered by ``functions/<function>.py:<function>``."""

    method: str
    path: str
    function: str
    min_role: str | None
    kind: Literal["api", "docs", "internal"] = "api"
    id_kind: IdKind | None = None
    budget: Budget = "api"
    bulk_body: bool = False
    ticket: bool = False

    @property
    def max_body_bytes(self) -> int:
        """The largest body the route takes (413 above it)."""
        return settings().ingest_max_body_bytes if self.bulk_body else MAX_BODY_BYTES

    @property
    def public(self) -> bool:
        """Routed by the gateways (local and API Gateway)."""
        return self.kind != "internal"

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        """The path as a regex; ``{name}`` matches one non-empty segment."""
        parts = re.split(r"(\{[a-z_]+\})", self.path)
        regex = "".join(
            f"(?P<{part[1:-1]}>[^/]+)" if part.startswith("{") else re.escape(part) for part in parts
        )
        return re.compile(regex)

    def match(self, path: str) -> dict[str, str] | None:
        """The path parameters when ``path`` is this route's path, else None."""
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None

    def check_id(self, params: Mapping[str, str]) -> None:
        """Raise NotFound when the path's ``{id}`` is not an id of the route's kind as the API issues
        them (a reserved store id such as ``__name__`` or ``..`` included)."""
        if self.id_kind is None:
            return
        valid, message = ID_RULES[self.id_kind]
        if not valid(params.get("id", "")):
            raise NotFound(message)


ROUTES: tuple[Route, ...] = (
    Route("GET", "/api/v1/events", "list_events", "viewer"),
    Route("GET", "/api/v1/events/export", "export_events", "operator"),
    Route("GET", "/api/v1/events/deleted", "list_deleted_events", "admin"),
    Route("GET", "/api/v1/events/changes", "list_changes", "viewer"),
    Route("GET", "/api/v1/events/stream", "stream_events", "viewer", ticket=True),
    Route("POST", "/api/v1/events/batch-update", "batch_update_events", "operator"),
    Route("POST", "/api/v1/events/batch-delete", "batch_delete_events", "admin"),
    Route("POST", "/api/v1/events/ingest", "ingest_events", "ingest", budget="ingest", bulk_body=True),
    Route("GET", "/api/v1/events/{id}", "get_event", "viewer", id_kind="event"),
    Route(
        "PUT",
        "/api/v1/events/{id}",
        "upsert_event",
        "ingest",
        id_kind="event",
        budget="ingest",
        bulk_body=True,
    ),
    Route("PATCH", "/api/v1/events/{id}", "update_event", "operator", id_kind="event"),
    Route("DELETE", "/api/v1/events/{id}", "delete_event", "admin", id_kind="event"),
    Route("POST", "/api/v1/events/{id}/restore", "restore_event", "admin", id_kind="event"),
    Route("GET", "/api/v1/events/{id}/history", "get_event_history", "viewer", id_kind="event"),
    Route(
        "POST",
        "/api/v1/events/{id}/upload-urls",
        "create_upload_urls",
        "ingest",
        id_kind="event",
        budget="ingest",
    ),
    Route("POST", "/api/v1/keys", "create_key", "admin"),
    Route("GET", "/api/v1/keys", "list_keys", "admin"),
    Route("DELETE", "/api/v1/keys/{id}", "revoke_key", "admin", id_kind="key"),
    Route("POST", "/api/v1/stream-tickets", "create_stream_ticket", "viewer"),
    Route("POST", "/api/v1/webhook-endpoints", "create_webhook_endpoint", "admin"),
    Route("GET", "/api/v1/webhook-endpoints", "list_webhook_endpoints", "admin"),
    Route(
        "GET", "/api/v1/webhook-endpoints/{id}", "get_webhook_endpoint", "admin", id_kind="webhook_endpoint"
    ),
    Route(
        "PATCH",
        "/api/v1/webhook-endpoints/{id}",
        "update_webhook_endpoint",
        "admin",
        id_kind="webhook_endpoint",
    ),
    Route(
        "DELETE",
        "/api/v1/webhook-endpoints/{id}",
        "delete_webhook_endpoint",
        "admin",
        id_kind="webhook_endpoint",
    ),
    Route(
        "POST",
        "/api/v1/webhook-endpoints/{id}/test",
        "test_webhook_endpoint",
        "admin",
        id_kind="webhook_endpoint",
    ),
    Route("GET", "/openapi.json", "api_docs", None, kind="docs"),
    Route("GET", "/docs", "api_docs", None, kind="docs"),
    Route("GET", "/docs/{asset}", "api_docs", None, kind="docs"),
    Route("GET", "/live", "api_docs", None, kind="docs"),
    Route("GET", "/live/{asset}", "api_docs", None, kind="docs"),
    Route("POST", "/", "scheduled_export", None, kind="internal"),
    Route("POST", "/", "deliver_webhook", None, kind="internal"),
    Route("POST", "/", "sweep_webhooks", None, kind="internal"),
)
PUBLIC_ROUTES: tuple[Route, ...] = tuple(route for route in ROUTES if route.public)
API_ROUTES: tuple[Route, ...] = tuple(route for route in ROUTES if route.kind == "api")
MUTATING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

FUNCTIONS: tuple[str, ...] = tuple(dict.fromkeys(route.function for route in ROUTES))


def routes_of(function: str) -> tuple[Route, ...]:
    """The routes a function answers, in table order."""
    found = tuple(route for route in ROUTES if route.function == function)
    if not found:
        raise KeyError(function)
    return found


def route_of(function: str) -> Route:
    """The first route a function answers."""
    return routes_of(function)[0]


def resolve(method: str, path: str) -> tuple[Route | None, list[str]]:
    """The public route for ``method path`` and the methods the path allows (empty: unknown path).

    A path owned by a more specific route (``/export``) never falls through to ``{id}``.
    """
    path = path.rstrip("/") or "/"
    owner: str | None = None
    allowed: list[str] = []
    chosen: Route | None = None
    for route in PUBLIC_ROUTES:
        if route.match(path) is None:
            continue
        if owner is None:
            owner = route.path
        if route.path != owner:
            continue
        allowed.append(route.method)
        if route.method == method.upper():
            chosen = route
    return chosen, allowed

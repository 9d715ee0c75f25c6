"""The API's operations (the OpenAPI document's ``operationId``, method and path) and the one way a
call to one of them is described. Every request the client sends is built from this table; a test
holds it equal to the server's OpenAPI document.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

__all__ = ["OPERATIONS", "Call", "Operation", "call"]


@dataclass(frozen=True)
class Operation:
    id: str
    method: str
    path: str


OPERATIONS: dict[str, Operation] = {
    op.id: op
    for op in (
        Operation("list_events", "GET", "/api/v1/events"),
        Operation("export_events", "GET", "/api/v1/events/export"),
        Operation("list_deleted_events", "GET", "/api/v1/events/deleted"),
        Operation("list_changes", "GET", "/api/v1/events/changes"),
        Operation("stream_events", "GET", "/api/v1/events/stream"),
        Operation("batch_update_events", "POST", "/api/v1/events/batch-update"),
        Operation("batch_delete_events", "POST", "/api/v1/events/batch-delete"),
        Operation("ingest_events", "POST", "/api/v1/events/ingest"),
        Operation("get_event", "GET", "/api/v1/events/{id}"),
        Operation("update_event", "PATCH", "/api/v1/events/{id}"),
        Operation("delete_event", "DELETE", "/api/v1/events/{id}"),
        Operation("restore_event", "POST", "/api/v1/events/{id}/restore"),
        Operation("get_event_history", "GET", "/api/v1/events/{id}/history"),
        Operation("upsert_event", "PUT", "/api/v1/events/{id}"),
        Operation("create_upload_urls", "POST", "/api/v1/events/{id}/upload-urls"),
        Operation("create_stream_ticket", "POST", "/api/v1/stream-tickets"),
        Operation("create_key", "POST", "/api/v1/keys"),
        Operation("list_keys", "GET", "/api/v1/keys"),
        Operation("revoke_key", "DELETE", "/api/v1/keys/{id}"),
        Operation("create_webhook_endpoint", "POST", "/api/v1/webhook-endpoints"),
        Operation("list_webhook_endpoints", "GET", "/api/v1/webhook-endpoints"),
        Operation("get_webhook_endpoint", "GET", "/api/v1/webhook-endpoints/{id}"),
        Operation("update_webhook_endpoint", "PATCH", "/api/v1/webhook-endpoints/{id}"),
        Operation("delete_webhook_endpoint", "DELETE", "/api/v1/webhook-endpoints/{id}"),
        Operation("test_webhook_endpoint", "POST", "/api/v1/webhook-endpoints/{id}/test"),
        Operation("list_webhook_deliveries", "GET", "/api/v1/webhook-endpoints/{id}/deliveries"),
        Operation("replay_webhook_endpoint", "POST", "/api/v1/webhook-endpoints/{id}/replay"),
        Operation("rotate_webhook_secret", "POST", "/api/v1/webhook-endpoints/{id}/rotate-secret"),
        Operation("resend_webhook_delivery", "POST", "/api/v1/webhook-deliveries/{id}/resend"),
        Operation("list_event_types", "GET", "/api/v1/event-types"),
    )
}


@dataclass(frozen=True)
class Call:
    """One call: its operation, the concrete path, query, JSON body and, for a change, the
    Idempotency-Key that every retry of this call repeats."""

    operation: Operation
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    json: dict[str, Any] | None = None
    idempotency_key: str | None = None


def call(
    operation_id: str,
    *,
    path_params: Mapping[str, str] | None = None,
    params: list[tuple[str, str]] | None = None,
    json: dict[str, Any] | None = None,
    idempotency_key: str | None = None,
) -> Call:
    """The call of an operation. A path parameter is percent-encoded whole (an id cannot reach
    another path; an empty one is a ``ValueError``); a change carries the caller's
    Idempotency-Key, else a fresh uuid4."""
    operation = OPERATIONS[operation_id]
    path = operation.path
    for name, value in (path_params or {}).items():
        if not str(value):
            raise ValueError(f"{operation_id}: expected a non-empty {name}")
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    key = None
    if operation.method != "GET":
        key = idempotency_key if idempotency_key is not None else str(uuid.uuid4())
    return Call(operation, path, list(params or []), json, key)

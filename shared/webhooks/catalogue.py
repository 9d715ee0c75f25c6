"""The event-type catalogue (``GET /api/v1/event-types``): every type a webhook message or a change
record can carry, what it means, and the JSON Schema of its message, taken from the OpenAPI
document's ``WebhookMessage`` schemas with every ``$ref`` resolved in place and OpenAPI's
``nullable`` written as JSON Schema's ``"type": [..., "null"]``, so each schema stands alone."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from shared.api.docs_page import openapi_document
from shared.store.changes import CREATED, DELETED, ENDPOINT_DISABLED, RESTORED, UPDATED
from shared.store.webhooks import TEST_TYPE

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
# Each type: its description and the OpenAPI schema of its message.
TYPES: tuple[tuple[str, str, str], ...] = (
    (CREATED, "An event was created (ingested or written with PUT).", "EventChangeMessage"),
    (UPDATED, "Fields of an event changed (previous holds their values before).", "EventChangeMessage"),
    (DELETED, "An event was dismissed (moved to the trash).", "EventChangeMessage"),
    (RESTORED, "A dismissed event was restored from the trash.", "EventChangeMessage"),
    (
        ENDPOINT_DISABLED,
        "A webhook endpoint of the org was disabled by its deliveries (a 410 Gone, or every delivery "
        "failing for EVENTS_WEBHOOK_DISABLE_AFTER_SECONDS); reason says which.",
        "EndpointDisabledMessage",
    ),
    (
        TEST_TYPE,
        "A test message an admin asked for (POST /api/v1/webhook-endpoints/{id}/test).",
        "WebhookTestMessage",
    ),
)


def _resolved(node: Any, schemas: dict[str, Any], seen: tuple[str, ...] = ()) -> Any:
    """``node`` with every ``#/components/schemas/`` reference replaced by the schema it names."""
    if isinstance(node, list):
        return [_resolved(item, schemas, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen:
            raise ValueError(f"schema {name} refers to itself")
        return _resolved(schemas[name], schemas, (*seen, name))
    out = {key: _resolved(value, schemas, seen) for key, value in node.items() if key != "nullable"}
    if node.get("nullable") is True and "type" in out:
        out["type"] = [out["type"], "null"]
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
    return out


@cache
def catalogue() -> list[dict[str, Any]]:
    """Every type: ``{"type", "description", "schema"}`` (the schema's ``type`` narrowed to the one)."""
    schemas = json.loads(openapi_document())["components"]["schemas"]
    found = []
    for kind, description, name in TYPES:
        schema = _resolved(schemas[name], schemas)
        schema["properties"]["type"] = {"type": "string", "const": kind}
        found.append({"type": kind, "description": description, "schema": {"$schema": JSON_SCHEMA, **schema}})
    return found

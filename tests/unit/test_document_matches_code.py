"""Request validation is the code's; this checks it against the document, rule by rule, so the two
cannot drift: the parameters each operation takes, their enums and ranges, the PATCH body's fields,
the response shapes' field lists and the error codes. (The integration layer checks every response
it receives against the document, and that every request the API accepted is valid by it.)"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from shared.api.key_request import FIELDS as KEY_FIELDS
from shared.api.key_request import MAX_NAME, NAME_REFUSED, NAME_VISIBLE
from shared.api.query import DEFAULT_LIMIT, FILTER_PARAMETERS, MAX_LIMIT, PAGING_PARAMETERS
from shared.api.shapes import DETAIL_FIELDS, LIST_FIELDS
from shared.config import settings
from shared.edge.idempotency import MAX_KEY_LENGTH
from shared.edge.routes import API_ROUTES
from shared.errors import ApiError
from shared.ids import (
    EVENT_ID_PATTERN,
    KEY_ID_PATTERN,
    WEBHOOK_DELIVERY_ID_PATTERN,
    WEBHOOK_ENDPOINT_ID_PATTERN,
)
from shared.model.event import AI_STATUSES, NOTES_MAX_CHARS, TRIGGER_TYPES

DOCUMENT: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parents[2] / "shared" / "openapi.json").read_text()
)


def _resolve(item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        node: Any = DOCUMENT
        for part in item["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        item = node
    return item


def _parameters(path: str, method: str) -> dict[str, dict[str, Any]]:
    item = DOCUMENT["paths"][path]
    listed = [*item.get("parameters", []), *item[method].get("parameters", [])]
    return {parameter["name"]: parameter for parameter in map(_resolve, listed)}


def _all_subclasses(cls: type) -> list[type]:
    found: list[type] = []
    direct: type
    for direct in cls.__subclasses__():
        found += [direct, *_all_subclasses(direct)]
    return found


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/events/export"])
def test_list_and_export_take_exactly_the_codes_parameters(path: str) -> None:
    parameters = _parameters(path, "get")
    assert {name for name, p in parameters.items() if p["in"] == "query"} == {
        *FILTER_PARAMETERS,
        *PAGING_PARAMETERS,
    }
    assert parameters["trigger_type"]["schema"]["enum"] == list(TRIGGER_TYPES)
    assert parameters["ai_status"]["schema"]["enum"] == list(AI_STATUSES)
    for name in ("camera_id", "site_id"):
        assert parameters[name]["schema"]["format"] == "uuid"
    limit = parameters["limit"]["schema"]
    assert limit["minimum"] == 1
    if path.endswith("export"):
        assert (
            "default" not in limit and str(settings().export_max_rows) in parameters["limit"]["description"]
        )
    else:
        assert (limit["maximum"], limit["default"]) == (MAX_LIMIT, DEFAULT_LIMIT)


def test_patch_body_is_the_codes() -> None:
    schema = _resolve(
        DOCUMENT["paths"]["/api/v1/events/{id}"]["patch"]["requestBody"]["content"]["application/json"][
            "schema"
        ]
    )
    assert set(schema["properties"]) == {"acknowledged", "starred", "notes"}
    assert schema["additionalProperties"] is False and schema["minProperties"] == 1
    assert schema["properties"]["notes"]["maxLength"] == NOTES_MAX_CHARS


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_mutations_document_the_idempotency_key(method: str) -> None:
    key = _parameters("/api/v1/events/{id}", method)["Idempotency-Key"]
    assert key["in"] == "header" and key["schema"]["maxLength"] == MAX_KEY_LENGTH
    assert {"409", "503"} <= set(DOCUMENT["paths"]["/api/v1/events/{id}"][method]["responses"])


def test_response_shapes_list_the_codes_fields() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    assert set(schemas["EventListItem"]["properties"]) == {*LIST_FIELDS, "snapshot_url"}
    computed = {"snapshot_url", "clip_url", "recording_source", "prev_event_id", "next_event_id"}
    assert set(schemas["EventDetail"]["properties"]) == {*DETAIL_FIELDS, *computed}


def test_error_codes_are_the_codes() -> None:
    codes = {cls.code for cls in _all_subclasses(ApiError)}  # type: ignore[attr-defined]
    assert set(DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["enum"]) == codes


@pytest.mark.parametrize("route", API_ROUTES, ids=lambda route: f"{route.method} {route.path}")
def test_every_operation_documents_the_statuses_any_operation_can_answer(route: Any) -> None:
    responses = DOCUMENT["paths"][route.path][route.method.lower()]["responses"]
    assert {"401", "403", "405", "429", "500", "503"} <= set(responses)
    assert DOCUMENT["paths"][route.path][route.method.lower()]["x-novavms-min-role"] == route.min_role


def test_a_key_request_is_the_codes() -> None:
    schema = _resolve(
        DOCUMENT["paths"]["/api/v1/keys"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    )
    for variant in schema["oneOf"]:
        name = variant["properties"]["name"]
        assert (name["pattern"], name["not"], name["maxLength"]) == (
            NAME_VISIBLE,
            {"pattern": NAME_REFUSED},
            MAX_NAME,
        )
        assert variant["additionalProperties"] is False and set(variant["properties"]) <= set(KEY_FIELDS)


def test_path_ids_are_the_codes() -> None:
    """Each route's ``{id}`` is documented with the pattern of the ids its code accepts."""
    expected = {
        "event": ("EventId", EVENT_ID_PATTERN),
        "key": ("KeyId", KEY_ID_PATTERN),
        "webhook_endpoint": ("WebhookEndpointId", WEBHOOK_ENDPOINT_ID_PATTERN),
        "webhook_delivery": ("WebhookDeliveryId", WEBHOOK_DELIVERY_ID_PATTERN),
    }
    for route in API_ROUTES:
        if "{id}" not in route.path:
            assert route.id_kind is None
            continue
        assert route.id_kind is not None, route
        name, pattern = expected[route.id_kind]
        listed = DOCUMENT["paths"][route.path].get("parameters", [])
        assert {"$ref": f"#/components/parameters/{name}"} in listed, route
        assert DOCUMENT["components"]["parameters"][name]["schema"]["pattern"] == pattern


def test_the_key_list_takes_the_lists_paging() -> None:
    parameters = _parameters("/api/v1/keys", "get")
    assert set(parameters) == set(PAGING_PARAMETERS)
    limit = parameters["limit"]["schema"]
    assert (limit["minimum"], limit["maximum"], limit["default"]) == (1, MAX_LIMIT, DEFAULT_LIMIT)
    assert "next_cursor" in DOCUMENT["components"]["schemas"]["ApiKeyList"]["required"]

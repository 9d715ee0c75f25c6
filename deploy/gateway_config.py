"""The API Gateway config (OpenAPI 2.0, the format API Gateway takes), generated from the route table
and the OpenAPI document the local gateway serves.

Each operation of ``shared/routes.py`` gets ``x-google-backend`` pointing at its function with
``path_translation: APPEND_PATH_TO_ADDRESS`` (the function sees the full ``/api/v1/events/...`` path,
as behind the local gateway) and a deadline long enough for its work (export streams for minutes).
The functions authenticate every caller themselves, from ``X-Forwarded-Authorization``: API keys
(``sk_live_...``) are no JWTs the gateway could validate, so no operation requires the gateway's JWT
scheme (it stays declared, with the identity provider's issuer, JWKS and audiences). Nor does the
gateway set quotas (API Gateway meters only Google API keys): the functions limit abuse themselves
before any store read, as cheaply as the gateway could: a forged API key fails its keyed checksum
(``EVENTS_API_KEY_SECRET``), a client address over ``EVENTS_AUTH_FAILURES_PER_MINUTE`` failed
authentications is 429, and the org's budgets bound authenticated callers. The functions read the
client's address from the ``X-Forwarded-For`` that the gateway's and the functions' Google front ends
append to (``EVENTS_FORWARDED_FOR_POSITION``). CORS preflights (``OPTIONS``) pass to a function of
the path, which answers them. Request bodies: API Gateway takes up to 32 MB and a gen2 function (Cloud
Run) 32 MiB, above the ingest routes' ``EVENTS_INGEST_MAX_BODY_BYTES`` (10 MiB by default, at most
30 MiB), so the functions' own limits (64 KiB, the ingest routes' setting) are the ones callers meet.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from shared.edge.routes import PUBLIC_ROUTES, Route

# The event stream holds its request up to EVENTS_STREAM_MAX_SECONDS (3300 s): a gateway with streaming
# enabled (preview) passes SSE through and bounds the whole response by the deadline, at most 3600 s.
DEADLINE_SECONDS = {"export_events": 900.0, "stream_events": 3600.0}
DEFAULT_DEADLINE_SECONDS = 60.0


def function_url(region: str, project: str, function_name: str) -> str:
    """The HTTPS address of a deployed function."""
    return f"https://{region}-{project}.cloudfunctions.net/{function_name}"


def _openapi3() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(resources.files("shared").joinpath("openapi.json").read_text())
    return document


def _parameters(path: str, operation: dict[str, Any], document: dict[str, Any]) -> list[dict[str, Any]]:
    """OpenAPI 3 parameters of the path item and the operation -> 2.0 (type inline, no schema)."""
    converted = []
    for parameter in [*document["paths"][path].get("parameters", []), *operation.get("parameters", [])]:
        if "$ref" in parameter:
            parameter = document["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        schema = parameter.get("schema", {})
        item: dict[str, Any] = {
            "name": parameter["name"],
            "in": parameter["in"],
            "required": parameter.get("required", False),
            "type": schema.get("type", "string"),
        }
        for key in ("format", "enum", "minimum", "maximum", "default", "maxItems"):
            if key in schema:
                item[key] = schema[key]
        if item["type"] == "array":  # a repeated parameter (?tag=a&tag=b)
            item["items"] = {"type": schema.get("items", {}).get("type", "string")}
            item["collectionFormat"] = "multi"
        converted.append(item)
    return converted


def _docs_operation_id(route: Route) -> str:
    """A unique operation id for a docs route (one function answers several paths)."""
    slug = "".join(char if char.isalnum() else "_" for char in route.path.strip("/")).strip("_")
    return f"{route.function}_{slug}"


def render(
    function_names: dict[str, str],
    *,
    region: str,
    project: str,
    title: str,
    jwt_issuer: str,
    jwt_jwks_url: str,
    jwt_audiences: list[str],
) -> dict[str, Any]:
    """The API config. ``function_names`` maps each route's function to its deployed name."""
    document = _openapi3()
    paths: dict[str, dict[str, Any]] = {}
    preflight_owner: dict[str, Route] = {}
    for route in PUBLIC_ROUTES:
        address = function_url(region, project, function_names[route.function])
        backend = {
            "address": address,
            "path_translation": "APPEND_PATH_TO_ADDRESS",
            "deadline": DEADLINE_SECONDS.get(route.function, DEFAULT_DEADLINE_SECONDS),
            "jwt_audience": address,
        }
        gateway_path = route.path
        if route.kind == "docs":  # the docs page and the document: open, not API operations
            paths.setdefault(gateway_path, {})[route.method.lower()] = {
                "operationId": _docs_operation_id(route),
                "summary": "the live page (new events as they arrive)"
                if route.path.startswith("/live")
                else "the interactive docs page and the OpenAPI document it renders",
                "parameters": [
                    {"name": name, "in": "path", "required": True, "type": "string"}
                    for name in route.pattern.groupindex
                ],
                "security": [],
                "x-google-backend": backend,
                "responses": {"200": {"description": "the page, asset or document"}},
            }
            continue
        source = document["paths"][route.path][route.method.lower()]
        paths.setdefault(gateway_path, {})[route.method.lower()] = {
            "operationId": route.function,
            "summary": source.get("summary", route.function),
            "parameters": _parameters(route.path, source, document),
            # The functions authenticate every caller: API keys are no JWTs the gateway could check.
            "security": [],
            "x-google-backend": backend,
            "responses": {
                code: {"description": body.get("description", code)}
                for code, body in source["responses"].items()
            },
        }
        preflight_owner.setdefault(gateway_path, route)
    for gateway_path, route in preflight_owner.items():
        address = function_url(region, project, function_names[route.function])
        paths[gateway_path]["options"] = {
            "operationId": f"{route.function}_preflight",
            "summary": "CORS preflight",
            "parameters": [
                p for p in paths[gateway_path][route.method.lower()]["parameters"] if p["in"] == "path"
            ],
            "security": [],
            "x-google-backend": {
                "address": address,
                "path_translation": "APPEND_PATH_TO_ADDRESS",
                "deadline": DEFAULT_DEADLINE_SECONDS,
                "jwt_audience": address,
            },
            "responses": {"204": {"description": "the path's methods and CORS headers"}},
        }
    return {
        "swagger": "2.0",
        "info": {"title": title, "version": document["info"]["version"]},
        "schemes": ["https"],
        "produces": ["application/json"],
        "securityDefinitions": {
            "novavms_jwt": {
                "type": "oauth2",
                "flow": "implicit",
                "authorizationUrl": jwt_issuer,  # unused by API Gateway; a URI keeps the document valid
                "x-google-issuer": jwt_issuer,
                "x-google-jwks_uri": jwt_jwks_url,
                "x-google-audiences": ",".join(jwt_audiences),
            }
        },
        "paths": paths,
    }

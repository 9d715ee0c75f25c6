"""Schemathesis against the local stack: generated requests (valid and invalid) for every operation of
the document, for a viewer, an operator and an admin of an org of their own, with all of Schemathesis'
default checks: no 5xx, valid data accepted, invalid data rejected, every status, header, content type
and body as documented. Bounded by ``max_examples`` so ``make test`` stays in its budget.

What a generator cannot know is declared in the document, and honoured here generically, never by
exempting an answer: ``x-novavms-after-now`` (a time that must be in the future: moved there),
``x-novavms-opaque`` (a value only the server issues, such as a cursor: not
generated), ``x-novavms-unique`` (a value each distinct request needs its own of, such as an
Idempotency-Key: a fresh one per request) and ``x-novavms-not-after`` (an order between two parameters
or body properties, such as date_from and date_to: valid requests keep it), ``x-novavms-path-id`` (a body
property that, given, must be the path's ``id``: set to it) and ``x-novavms-upload-object`` (a media
object name that must lie under the path's event's upload prefix: moved there). ``x-novavms-not-issued``
lists values of a path parameter the API never issues (reserved store ids such as ``__name__`` or
``..``): each is sent as an explicit example through Schemathesis' checks and must be a documented 404.
``x-novavms-reachable-url`` (a URL whose host must resolve to an address the service may call, such as
a webhook endpoint's: a loopback URL, which test stacks allow). ``x-novavms-recent`` (a time within the
change log's retention, such as a replay's range: moved to a minute ago). ``x-novavms-rule-in-prose`` (a
value whose rule only the description can state, such as ``q``'s words, counted after folding
accents and case: valid requests use the documented example; invalid ones still break the schema).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.config._checks import NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES

from shared.ids import canonical_uuid
from shared.media import upload_prefix
from shared.timefmt import parse_bound
from tests.contract import document
from tests.integration.conftest import Token, event_line

# Invalid data is rejected with a 4xx: 413 payload_too_large is one too (a batch over its documented
# maxItems, as the contract says), alongside Schemathesis' default rejection statuses.
REJECTIONS = [*NEGATIVE_DATA_REJECTION_EXPECTED_STATUSES, "413"]
CHECKS = {"negative_data_rejection": {"expected-statuses": REJECTIONS}}
SCHEMA = schemathesis.openapi.from_dict(document(), config=SchemathesisConfig.from_dict({"checks": CHECKS}))
SITE = event_line()["site_id"]
PROSE_RULE = "x-novavms-rule-in-prose"
RECEIVER = "http://127.0.0.1:9/hooks"  # a webhook URL the test stack accepts (loopback is allowed there)


def _parameters(ctx: Any) -> Iterator[dict[str, Any]]:
    """The document's parameters of the hook's operation, references resolved."""
    operation = getattr(ctx, "operation", None)
    if operation is None:
        return
    item = document()["paths"][operation.path]
    for parameter in [*item.get("parameters", []), *item[operation.method.lower()].get("parameters", [])]:
        if "$ref" in parameter:
            parameter = document()["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
        yield parameter


def _future_fields(ctx: Any, mark: str = "x-novavms-after-now") -> set[str]:
    """Body properties the document declares must be after now (``x-novavms-after-now``), or carry
    another ``mark``."""
    operation = getattr(ctx, "operation", None)
    if operation is None:
        return set()
    body = document()["paths"][operation.path][operation.method.lower()].get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    variants = schema.get("oneOf", [schema])
    return {
        name for variant in variants for name, spec in variant.get("properties", {}).items() if spec.get(mark)
    }


def _resolved(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document()["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _keep_order(value: Any, schema: dict[str, Any]) -> None:
    """In a body, at any depth (a batch's ``filter``): swap each pair of properties out of their
    declared order (``x-novavms-not-after``), and give each property whose rule only prose states
    (``x-novavms-rule-in-prose``) its example."""
    if not isinstance(value, dict):
        return
    schema = _resolved(schema)
    for variant in schema.get("oneOf", [schema]):
        for name, spec in _resolved(variant).get("properties", {}).items():
            spec = _resolved(spec)
            later = spec.get("x-novavms-not-after")
            if later and name in value and later in value and _after(value[name], value[later]):
                value[name], value[later] = value[later], value[name]
            if spec.get(PROSE_RULE) and name in value:
                value[name] = spec["example"]
            _keep_order(value.get(name), spec)


def _body_schema(ctx: Any) -> dict[str, Any]:
    operation = getattr(ctx, "operation", None)
    if operation is None:
        return {}
    body = document()["paths"][operation.path][operation.method.lower()].get("requestBody", {})
    return dict(body.get("content", {}).get("application/json", {}).get("schema", {}))


def _bind_to_path(case: Any, schema: dict[str, Any]) -> None:
    """In a body, give each property declared ``x-novavms-path-id`` the path's id, and put each
    ``x-novavms-upload-object`` name under the path's event's upload prefix."""
    path_id = canonical_uuid((getattr(case, "path_parameters", None) or {}).get("id"))
    if path_id is None or not isinstance(case.body, dict):
        return
    for variant in _resolved(schema).get("oneOf", [_resolved(schema)]):
        for name, spec in _resolved(variant).get("properties", {}).items():
            if name not in case.body:
                continue
            if spec.get("x-novavms-path-id"):
                case.body[name] = path_id
            elif spec.get("x-novavms-upload-object") and isinstance(case.body[name], str):
                case.body[name] = f"{upload_prefix(path_id)}object"


def _positive(case: Any) -> bool:
    meta = getattr(case, "meta", None)
    return meta is None or bool(meta.generation.mode.is_positive)


def _after(earlier: Any, later: Any) -> bool:
    try:
        return parse_bound(str(earlier), end_of_day=False) > parse_bound(str(later), end_of_day=True)
    except ValueError:
        return False


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Make a case that is valid by the schema valid by the document's declarations too (every
    phase: examples, coverage, fuzzing); an invalid case is left as it was generated."""
    if not _positive(case):
        return
    if isinstance(case.body, dict):
        for name in _future_fields(ctx, "x-novavms-recent"):
            if isinstance(case.body.get(name), str):
                case.body[name] = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        _keep_order(case.body, _body_schema(ctx))
        _bind_to_path(case, _body_schema(ctx))
        for name in _future_fields(ctx):
            if name in case.body and _after(datetime.now(UTC).isoformat(), case.body[name]):
                case.body[name] = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for name in _future_fields(ctx, "x-novavms-reachable-url"):
            if isinstance(case.body.get(name), str):  # a URL the stack accepts: loopback, allowed in tests
                case.body[name] = RECEIVER
    for parameter in _parameters(ctx):
        name, place = parameter["name"], parameter["in"]
        values = case.query if place == "query" else case.headers if place == "header" else None
        if not values or name not in values:
            continue
        if parameter.get("x-novavms-opaque"):  # only the server issues one: a client never makes it up
            del values[name]
        elif parameter.get(PROSE_RULE):  # a rule no schema keyword states: the documented example
            values[name] = parameter["example"]
        elif parameter.get("x-novavms-unique"):  # one per distinct request
            values[name] = uuid.uuid4().hex
        elif (
            (later := parameter.get("x-novavms-not-after"))
            and later in values
            and _after(values[name], values[later])
        ):
            values[name], values[later] = values[later], values[name]


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
@SCHEMA.parametrize()
@settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
def test_generated_requests_keep_the_contract(
    case: Any, role: str, gateway_url: str, token: Token, add_events: Any
) -> None:
    bearer = token(role, sites=[SITE] if role == "viewer" else None)
    case.call_and_validate(base_url=gateway_url, headers={"Authorization": f"Bearer {bearer}"})


def _not_issued() -> Iterator[tuple[str, str, str]]:
    """(path, method, value) for each value a path parameter declares the API never issues
    (``x-novavms-not-issued``: reserved store ids such as ``__name__`` or ``..``)."""
    for path, item in document()["paths"].items():
        for parameter in item.get("parameters", []):
            if "$ref" in parameter:
                parameter = document()["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]
            for value in parameter.get("x-novavms-not-issued", []):
                for method in item:
                    if method != "parameters":
                        yield path, method.upper(), value


@pytest.mark.parametrize(("path", "method", "value"), list(_not_issued()))
def test_ids_the_api_never_issues_are_404_as_documented(
    path: str, method: str, value: str, gateway_url: str, token: Token
) -> None:
    """The document's explicit examples of ids the API never issues, each through Schemathesis' checks:
    a 404 in the envelope, never a 5xx. The id is sent as one percent-encoded segment, dots included
    (Schemathesis, like any HTTP client, would resolve a bare ``.`` or ``..`` to another path)."""
    extra: dict[str, Any] = {"body": {"starred": True}} if method == "PATCH" else {}
    case = SCHEMA[path][method].Case(path_parameters={"id": value}, media_type="application/json", **extra)
    headers = {"Authorization": f"Bearer {token('admin')}"}
    kwargs = case.as_transport_kwargs(base_url=gateway_url, headers=headers)
    kwargs["url"] = gateway_url + path.replace("{id}", quote(value, safe="").replace(".", "%2E"))
    response = requests.request(**kwargs, timeout=60)
    assert f"/{value}" in response.request.path_url  # the id reached the server as given
    case.validate_response(response, headers=headers, transport_kwargs=kwargs)
    assert response.status_code == 404, (response.status_code, response.text[:300])
    assert response.json()["error"] == "not_found"

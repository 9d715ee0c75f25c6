"""Input that is well-formed but extreme, deeply nested, oversized, of the wrong type or carrying control
characters: always a 4xx JSON error in the envelope (or, where it is valid, an answer), never a 500,
from the gateway and from each function served alone."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import functions_framework
import pytest

from devstack.harness import whole_history
from shared.model.scope import Scope
from shared.store.events import EventStore
from tests.integration.conftest import Api, Token, event_line

ROOT = Path(__file__).resolve().parents[2]
EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]
EXTREME_BOUNDS = [
    {"date_to": "9999-12-31"},
    {"date_to": "9999-12-31T23:59:59-01:00"},
    {"date_from": "0001-01-01T00:00:00+01:00"},
    {"date_from": "0001-01-01", "date_to": "9999-12-31"},
]


def error(answer: Any, status: int, code: str) -> dict[str, Any]:
    assert answer.status_code == status, (answer.status_code, answer.text[:300])
    body: dict[str, Any] = answer.json()
    assert body["error"] == code and body["request_id"] == answer.headers["X-Request-Id"], body
    return body


@pytest.mark.parametrize("bounds", EXTREME_BOUNDS)
def test_extreme_valid_dates_answer_on_list_and_export(
    api: Api, token: Token, add_events: AddEvents, bounds: dict[str, str]
) -> None:
    line = add_events([event_line(0)])[0]
    operator = token("operator")
    listed = api.get(EVENTS, operator, params=bounds)
    assert listed.status_code == 200 and [item["id"] for item in listed.json()["data"]] == [line["id"]]
    exported = api.get(f"{EVENTS}/export", operator, params=bounds)
    assert exported.status_code == 200 and line["id"] in exported.text


@pytest.mark.parametrize(
    "params",
    [
        {"date_from": "2026-04-21\n"},
        {"camera_id": "550e8400-e29b-41d4-a716-446655440000\n"},
        {"site_id": "11111111-1111-4111-8111-111111111111\x00"},
        {"trigger_type": "motion\n"},
        {"limit": "5\n"},
        {"date_from": "10000-01-01"},
        {"date_to": "2026-02-30"},
    ],
)
def test_values_with_control_characters_or_out_of_range_are_400(
    api: Api, token: Token, params: dict[str, str]
) -> None:
    body = error(api.get(EVENTS, token("operator"), params=params), 400, "validation_error")
    assert set(body["fields"]) == set(params)


def test_ten_thousand_query_parameters_are_400(api: Api, token: Token) -> None:
    query = "&".join(["trigger_type=motion", *(["a="] * 10_000)])  # 10,001 parameters, 30 KB
    body = error(api.get(f"{EVENTS}?{query}", token("operator")), 400, "validation_error")
    assert len(json.dumps(body)) < 20_000, "the answer stays small"


def test_patch_bodies_deep_big_or_not_json(api: Api, token: Token, add_events: AddEvents, org: str) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    at = f"{EVENTS}/{event_id}"
    json_type = {"Content-Type": "application/json"}
    for nested in (
        "[" * 1000 + "]" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        '{"notes": ' + "[" * 500 + "]" * 500 + "}",
    ):
        body = error(api.patch(at, operator, data=nested, headers=json_type), 400, "validation_error")
        assert set(body["fields"]) <= {"body", "notes"}, body
    huge = json.dumps({"notes": "x" * 1_000_000})
    error(api.patch(at, operator, data=huge, headers=json_type), 413, "payload_too_large")
    body = error(
        api.patch(at, operator, data='{"starred": true}', headers={"Content-Type": "text/plain"}),
        400,
        "validation_error",
    )
    assert set(body["fields"]) == {"Content-Type"}
    error(api.patch(at, operator, data=b"\xff\xfe{", headers=json_type), 400, "validation_error")
    assert whole_history(EventStore(Scope(org)), event_id) == [], "nothing was written"


def test_oversized_headers_and_tokens(api: Api, token: Token, add_events: AddEvents) -> None:
    add_events([event_line(0)])
    big = {"X-Junk": "j" * 16_000}
    assert api.get(EVENTS, token("operator"), headers=big).status_code == 200
    error(api.get(EVENTS, "x" * 16_000), 401, "auth_required")


def test_claims_with_newlines_or_numeric_strings_are_401(api: Api, token: Token, org: str) -> None:
    error(api.get(EVENTS, token("operator", org_id=f"{org}\n")), 401, "auth_required")
    error(api.get(EVENTS, token("operator", exp="9999999999")), 401, "auth_required")
    error(api.get(EVENTS, token("operator", iat="1")), 401, "auth_required")


def test_paths_with_control_characters_are_json_404(api: Api, token: Token) -> None:
    operator = token("operator")
    for path in (f"{EVENTS}/%0A", f"{EVENTS}/c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f%0A", f"{EVENTS}%0A"):
        error(api.get(path, operator), 404, "not_found")


@pytest.mark.parametrize("function", ["get_event", "update_event", "list_events"])
def test_a_function_alone_answers_json_for_what_its_framework_refuses(function: str, token: Token) -> None:
    client = functions_framework.create_app(
        function, str(ROOT / "functions" / f"{function}.py"), "http"
    ).test_client()
    bearer = {"Authorization": f"Bearer {token('admin')}"}
    for path, method in ((f"{EVENTS}/%0A", "GET"), (f"{EVENTS}/x", "TRACE")):
        answer = client.open(path, method=method, headers=bearer)
        assert answer.status_code in (404, 405), (path, method, answer.status_code)
        assert answer.is_json and answer.get_json()["request_id"] == answer.headers["X-Request-Id"], (
            answer.data[:200]
        )

"""The route table is the single source of truth: the gateway, each function alone, the OpenAPI document
and functions-framework itself all agree with it."""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import free_port
from devstack.processes import spawn, stopping
from shared.edge.routes import API_ROUTES, FUNCTIONS, resolve
from tests.contract import check_response
from tests.integration.conftest import Api, Token, event_line

ROOT = Path(__file__).resolve().parents[2]
OPENAPI = json.loads((ROOT / "shared" / "openapi.json").read_text())


def test_openapi_document_matches_the_route_table(api: Api) -> None:
    served = api.get("/openapi.json")
    assert served.status_code == 200 and served.json() == OPENAPI
    operations = {
        (method.upper(), path, operation["operationId"], operation["x-novavms-min-role"])
        for path, item in OPENAPI["paths"].items()
        for method, operation in item.items()
        if method in {"get", "patch", "delete", "post", "put"}
    }
    assert operations == {(r.method, r.path, r.function, r.min_role) for r in API_ROUTES}
    assert OPENAPI["openapi"].startswith("3.")


def test_resolve_prefers_the_specific_route() -> None:
    export, allowed = resolve("GET", "/api/v1/events/export")
    assert export is not None and export.function == "export_events" and allowed == ["GET"]
    assert resolve("DELETE", "/api/v1/events/export") == (None, ["GET"])
    one, allowed = resolve("PATCH", "/api/v1/events/abc/")
    assert one is not None and one.function == "update_event" and allowed == ["GET", "PUT", "PATCH", "DELETE"]
    assert resolve("GET", "/api/v1/events/a/b") == (None, [])


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/api/v2/events", 404, "not_found"),
        ("GET", "/", 404, "not_found"),
        ("POST", "/api/v1/events", 405, "method_not_allowed"),
        ("POST", "/api/v1/events/c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f", 405, "method_not_allowed"),
        ("GET", "/api/v1/events/ingest", 405, "method_not_allowed"),
        ("POST", "/api/v1/events/export", 405, "method_not_allowed"),
    ],
)
def test_unknown_routes_and_wrong_methods(
    api: Api, token: Token, method: str, path: str, status: int, code: str
) -> None:
    answer = api.call(method, path, token("admin"))
    assert answer.status_code == status
    assert answer.json()["error"] == code and answer.json()["message"]
    assert answer.headers["X-Request-Id"]
    if status == 405:
        assert answer.headers["Allow"]


def test_request_id_is_echoed_or_made(api: Api, token: Token) -> None:
    mine = api.get("/api/v1/events", token("admin"), headers={"X-Request-Id": "req-0123456789"})
    assert mine.headers["X-Request-Id"] == "req-0123456789"
    made = api.get("/api/v1/events", token("admin"), headers={"X-Request-Id": "bad id with spaces"})
    assert made.headers["X-Request-Id"] != "bad id with spaces" and len(made.headers["X-Request-Id"]) >= 8


def test_structured_log_line_per_request(api: Api, token: Token, capfd: pytest.CaptureFixture[str]) -> None:
    api.get("/api/v1/events", token("operator"), headers={"X-Request-Id": "log-check-42"})
    entries = [json.loads(line) for line in capfd.readouterr().out.splitlines() if line.startswith("{")]
    mine = [entry for entry in entries if entry.get("request_id") == "log-check-42"]
    assert mine, entries
    assert mine[0]["severity"] == "INFO" and mine[0]["httpRequest"]["status"] == 200
    assert mine[0]["function"] == "list_events"


def test_a_function_alone_refuses_other_routes(token: Token) -> None:
    import functions_framework

    client = functions_framework.create_app(
        "list_events", str(ROOT / "functions" / "list_events.py")
    ).test_client()
    auth = {"Authorization": f"Bearer {token('admin')}"}
    assert client.get("/api/v1/events", headers=auth).status_code == 200
    wrong = client.get("/api/v1/events/c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f", headers=auth)
    assert wrong.status_code == 404 and wrong.get_json()["error"] == "not_found"
    assert client.post("/api/v1/events", headers=auth).status_code == 405


def test_the_gateways_own_errors_are_json_envelopes_with_the_request_id(api: Api, gateway_url: str) -> None:
    host, port = gateway_url.removeprefix("http://").split(":")
    answers = [
        api.get("/api/v2/nothing"),
        api.call("POST", "/api/v1/events"),
        api.get("/api/v1/events?" + "x" * 70_000),
        api.get("/api/v1/events", headers={f"X-Filler-{n}": "y" for n in range(120)}),
        api.get("/api/v1/events", headers={"X-Long": "z" * 70_000}),
    ]
    assert [answer.status_code for answer in answers] == [404, 405, 414, 431, 431]
    for answer in answers:
        assert answer.headers["Content-Type"].startswith("application/json"), answer.text[:200]
        body = answer.json()
        assert body["request_id"] == answer.headers["X-Request-Id"] and len(body["request_id"]) >= 8
        assert body["error"] in {"not_found", "method_not_allowed", "validation_error"} and body["message"]
    given = api.get("/api/v2/nothing", headers={"X-Request-Id": "caller-id-1234"})
    assert given.json()["request_id"] == given.headers["X-Request-Id"] == "caller-id-1234"
    with socket.create_connection((host, int(port)), timeout=5) as raw:  # not even HTTP
        raw.sendall(b"NONSENSE\r\n\r\n")
        reply = raw.recv(65536).decode(errors="replace")
    assert json.loads(reply[reply.index("{") :])["error"] == "validation_error", reply[:300]


def test_bad_configuration_is_a_500_without_internals(api: Api, token: Token) -> None:
    bearer = token("admin")
    os.environ.pop("EVENTS_JWT_ISSUER")
    from tests.integration.conftest import reset_caches

    reset_caches()
    answer = api.get("/api/v1/events", bearer)
    assert answer.status_code == 500
    assert answer.json() == {
        "error": "internal",
        "message": "internal error; quote the request id to support",
        "request_id": answer.headers["X-Request-Id"],
    }


@pytest.mark.parametrize("function", FUNCTIONS)
def test_every_function_module_defines_its_entry_point(function: str) -> None:
    source = (ROOT / "functions" / f"{function}.py").read_text()
    assert f'@endpoint("{function}"' in source and f"def {function}(" in source


def test_served_by_functions_framework(token: Token, add_events: Any, org: str) -> None:
    """The real functions-framework server (gunicorn) runs a function from its source file."""
    line = add_events([event_line(0)])[0]
    port = free_port()
    command = [
        str(Path(sys.executable).parent / "functions-framework"), "--target", "get_event",
        "--source", str(ROOT / "functions" / "get_event.py"), "--port", str(port),
    ]  # fmt: skip
    with stopping(spawn(command, env=os.environ)):
        deadline = time.monotonic() + 120  # only ends a hang: a loaded machine starts slowly
        url = f"http://127.0.0.1:{port}/api/v1/events/{line['id']}"
        while True:
            try:
                answer = requests.get(
                    url,
                    headers={"Authorization": f"Bearer {token('viewer', sites=[line['site_id']])}"},
                    timeout=5,
                )
                check_response(answer)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "functions-framework did not start"
                time.sleep(0.2)
        assert answer.status_code == 200, answer.text
        assert answer.json()["id"] == line["id"] and answer.headers["X-Request-Id"]


def test_cors_for_configured_origins_only(api: Api, token: Token) -> None:
    os.environ["EVENTS_CORS_ORIGINS"] = "https://console.novavms.example"
    from tests.integration.conftest import reset_caches

    reset_caches()
    origin = {"Origin": "https://console.novavms.example"}
    preflight = api.call("OPTIONS", "/api/v1/events/c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f", headers=origin)
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    assert preflight.headers["Access-Control-Allow-Methods"] == "GET, PUT, PATCH, DELETE"
    assert "Authorization" in preflight.headers["Access-Control-Allow-Headers"]
    listed = api.get("/api/v1/events", token("admin"), headers=origin)
    assert listed.headers["Access-Control-Allow-Origin"] == origin["Origin"]
    assert "X-Request-Id" in listed.headers["Access-Control-Expose-Headers"]
    stranger = api.get("/api/v1/events", token("admin"), headers={"Origin": "https://evil.example"})
    assert stranger.status_code == 200 and "Access-Control-Allow-Origin" not in stranger.headers
    assert api.call("OPTIONS", "/api/v1/nothing", headers=origin).status_code == 404

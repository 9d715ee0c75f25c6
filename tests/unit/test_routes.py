"""The route table (shared/edge/routes.py): matching, resolving a method and path, and its shape."""

from __future__ import annotations

import pytest

from shared.edge.routes import (
    FUNCTIONS,
    MAX_BODY_BYTES,
    MUTATING_METHODS,
    PUBLIC_ROUTES,
    ROUTES,
    Route,
    resolve,
    route_of,
)

EVENT_ID = "550e8400-e29b-41d4-a716-446655440000"
ITEM = f"/api/v1/events/{EVENT_ID}"


@pytest.mark.parametrize(
    ("method", "path", "function"),
    [
        ("GET", "/api/v1/events", "list_events"),
        ("GET", "/api/v1/events/", "list_events"),
        ("GET", "/api/v1/events/export", "export_events"),
        ("GET", "/api/v1/events/export/", "export_events"),
        ("GET", ITEM, "get_event"),
        ("get", ITEM, "get_event"),
        ("PATCH", ITEM, "update_event"),
        ("DELETE", ITEM, "delete_event"),
        ("GET", "/api/v1/events/not-a-uuid-yet", "get_event"),  # the function validates the id
    ],
)
def test_resolve_finds_the_function(method: str, path: str, function: str) -> None:
    route, _ = resolve(method, path)
    assert route is not None and route.function == function


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/api/v1/events", ["GET"]),
        ("/api/v1/events/export", ["GET"]),
        (ITEM, ["GET", "PUT", "PATCH", "DELETE"]),
        ("/api/v1/events/ingest", ["POST"]),
    ],
)
def test_resolve_lists_the_methods_a_path_allows(path: str, allowed: list[str]) -> None:
    assert resolve("OPTIONS", path)[1] == allowed
    assert resolve("HEAD", path) == (None, allowed)


def test_the_export_path_never_falls_through_to_an_event_id() -> None:
    assert resolve("PATCH", "/api/v1/events/export") == (None, ["GET"])
    assert resolve("DELETE", "/api/v1/events/export") == (None, ["GET"])
    assert resolve("PUT", "/api/v1/events/ingest") == (None, ["POST"])
    assert resolve("GET", "/api/v1/events/ingest") == (None, ["POST"])


def test_the_ingest_routes_take_bulk_bodies_and_spend_the_ingest_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from shared.config import settings

    monkeypatch.setenv("EVENTS_INGEST_MAX_BODY_BYTES", str(2 * 1024 * 1024))
    settings.cache_clear()
    try:
        for function in ("ingest_events", "upsert_event"):
            route = route_of(function)
            assert (route.min_role, route.budget) == ("ingest", "ingest")
            assert route.max_body_bytes == 2 * 1024 * 1024
        for route in ROUTES:
            if route.min_role != "ingest":
                assert (route.budget, route.max_body_bytes) == ("api", MAX_BODY_BYTES)
        uploads = route_of("create_upload_urls")  # an ingest route whose body is empty: 64 KiB
        assert (uploads.min_role, uploads.budget, uploads.max_body_bytes) == (
            "ingest",
            "ingest",
            MAX_BODY_BYTES,
        )
    finally:
        monkeypatch.undo()
        settings.cache_clear()
    assert route_of("ingest_events").max_body_bytes == 10 * 1024 * 1024


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "",
        "/api/v1",
        "/api/v2/events",
        "/api/v1/events/a/b",
        "/api/v1/eventsx",
        "/API/V1/EVENTS",
        "/api/v1/events/export/x",
    ],
)
def test_unknown_paths_allow_nothing(path: str) -> None:
    assert resolve("GET", path) == (None, [])


def test_the_scheduled_export_is_not_public() -> None:
    assert resolve("POST", "/") == (None, [])
    scheduled = route_of("scheduled_export")
    assert scheduled.public is False and scheduled not in PUBLIC_ROUTES
    assert scheduled.match("/") == {}


def test_match_gives_the_path_parameters() -> None:
    item = route_of("get_event")
    assert item.match(ITEM) == {"id": EVENT_ID}
    assert item.match(f"/api/v1/events/{EVENT_ID.upper()}") == {"id": EVENT_ID.upper()}
    assert item.match("/api/v1/events/") is None  # a parameter is a non-empty segment
    assert item.match(f"{ITEM}/x") is None
    assert item.match(f"/prefix{ITEM}") is None
    assert route_of("list_events").match("/api/v1/events") == {}


def test_literal_path_characters_are_not_patterns() -> None:
    dotted = Route("GET", "/a.b/{name}", "dotted", None)
    assert dotted.match("/a.b/x") == {"name": "x"}
    assert dotted.match("/aXb/x") is None


def test_route_of_each_function_and_an_unknown_one() -> None:
    assert [route_of(function).function for function in FUNCTIONS] == list(FUNCTIONS)
    with pytest.raises(KeyError):
        route_of("no_such_function")


def test_the_apis_operations() -> None:
    operations = [route for route in ROUTES if route.public and route.min_role is not None]
    assert [(route.method, route.path, route.function, route.min_role) for route in operations] == [
        ("GET", "/api/v1/events", "list_events", "viewer"),
        ("GET", "/api/v1/events/export", "export_events", "operator"),
        ("GET", "/api/v1/events/deleted", "list_deleted_events", "admin"),
        ("GET", "/api/v1/events/changes", "list_changes", "viewer"),
        ("GET", "/api/v1/events/stream", "stream_events", "viewer"),
        ("POST", "/api/v1/events/batch-update", "batch_update_events", "operator"),
        ("POST", "/api/v1/events/batch-delete", "batch_delete_events", "admin"),
        ("POST", "/api/v1/events/ingest", "ingest_events", "ingest"),
        ("GET", "/api/v1/events/{id}", "get_event", "viewer"),
        ("PUT", "/api/v1/events/{id}", "upsert_event", "ingest"),
        ("PATCH", "/api/v1/events/{id}", "update_event", "operator"),
        ("DELETE", "/api/v1/events/{id}", "delete_event", "admin"),
        ("POST", "/api/v1/events/{id}/restore", "restore_event", "admin"),
        ("GET", "/api/v1/events/{id}/history", "get_event_history", "viewer"),
        ("POST", "/api/v1/events/{id}/upload-urls", "create_upload_urls", "ingest"),
        ("POST", "/api/v1/keys", "create_key", "admin"),
        ("GET", "/api/v1/keys", "list_keys", "admin"),
        ("DELETE", "/api/v1/keys/{id}", "revoke_key", "admin"),
        ("POST", "/api/v1/stream-tickets", "create_stream_ticket", "viewer"),
        ("POST", "/api/v1/webhook-endpoints", "create_webhook_endpoint", "admin"),
        ("GET", "/api/v1/webhook-endpoints", "list_webhook_endpoints", "admin"),
        ("GET", "/api/v1/webhook-endpoints/{id}", "get_webhook_endpoint", "admin"),
        ("PATCH", "/api/v1/webhook-endpoints/{id}", "update_webhook_endpoint", "admin"),
        ("DELETE", "/api/v1/webhook-endpoints/{id}", "delete_webhook_endpoint", "admin"),
        ("POST", "/api/v1/webhook-endpoints/{id}/test", "test_webhook_endpoint", "admin"),
    ]
    assert set(FUNCTIONS) == {route.function for route in ROUTES} and len(set(FUNCTIONS)) == len(FUNCTIONS)
    assert {"POST", "PUT", "PATCH", "DELETE"} == MUTATING_METHODS

"""The Python client's own rules, without a server: it matches the OpenAPI document (every operation
has a method, the models' fields and enums are the schemas'), values reach the wire as the API takes
them, errors map by status, retries wait as documented, and unknown fields stay readable."""

from __future__ import annotations

import asyncio
import inspect
import io
import json
import typing
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import novavms
import pytest
from novavms import _errors, _ingest, _media, _models, _operations, _pagination, _params, _retries
from novavms.resources.keys import ApiKeyList

ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = json.loads((ROOT / "shared" / "openapi.json").read_text())
METHODS = ("get", "post", "put", "patch", "delete")


def document_operations() -> dict[str, tuple[str, str]]:
    return {
        operation["operationId"]: (method.upper(), path)
        for path, item in DOCUMENT["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def query_parameters(operation_id: str) -> set[str]:
    for item in DOCUMENT["paths"].values():
        for method, operation in item.items():
            if method in METHODS and operation["operationId"] == operation_id:
                params = [resolve(p) for p in operation.get("parameters", [])]
                return {p["name"] for p in params if p["in"] == "query"}
    raise KeyError(operation_id)


def template_of(path: str) -> str:
    """``/api/v1/events/e1`` -> ``/api/v1/events/{id}`` (the ids the probe passes are ``e1``)."""
    return "/".join("{id}" if part == "e1" else part for part in path.split("/"))


async def awaited(result: Awaitable[Any]) -> Any:
    return await result


COMPOSITES = {"upload_media"}  # methods whose first request is another method's (upload_urls)


def probe_client(client_class: type[Any], seen: list[Any]) -> Any:
    """A client whose transport records each request in ``seen`` and answers 418 (an APIError)."""
    import httpx

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(418, json={"error": "probe", "message": "probe", "request_id": "p"})

    transport = httpx.MockTransport(record)
    is_async = client_class is novavms.AsyncClient
    http: Any = httpx.AsyncClient(transport=transport) if is_async else httpx.Client(transport=transport)
    return client_class(api_key="sk_test_x", base_url="http://probe", http_client=http, max_retries=0)


def operations_called(client_class: type[Any]) -> dict[str, str]:
    """Each public method of the client's resources, called once through a transport that records the
    request and answers 418: which operation (method and path of the document) it sends."""
    import asyncio

    import httpx

    by_route = {route: operation_id for operation_id, route in document_operations().items()}
    seen: list[httpx.Request] = []
    is_async = client_class is novavms.AsyncClient
    client = probe_client(client_class, seen)
    called: dict[str, str] = {}
    for resource_name in ("events", "keys", "webhook_endpoints", "event_types"):
        resource = getattr(client, resource_name)
        for name, method in inspect.getmembers(resource, inspect.ismethod):
            if name.startswith("_"):
                continue
            required = [
                p for p in inspect.signature(method).parameters.values()
                if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            ]  # fmt: skip
            args: list[Any] = ["e1" for p in required if p.kind is p.POSITIONAL_OR_KEYWORD]
            kwargs: dict[str, Any] = {p.name: "x" for p in required if p.kind is p.KEYWORD_ONLY}
            if name == "export_to":
                args = [io.BytesIO()]
            if name == "upload_media":
                kwargs = {"snapshot": b"\xff\xd8\xff"}  # its first request is upload_urls'
            before = len(seen)
            with pytest.raises(novavms.APIError):
                result = method(*args, **kwargs)
                if is_async:  # a coroutine, or a list call's paginator (awaitable)
                    asyncio.run(awaited(result))
            assert len(seen) == before + 1, f"{resource_name}.{name} sent {len(seen) - before} requests"
            request = seen[-1]
            route = (request.method, template_of(request.url.path))
            assert route in by_route, f"{resource_name}.{name} sends {route}, which the document lacks"
            if name not in COMPOSITES:
                called.setdefault(by_route[route], f"{resource_name}.{name}")
    return called


# -- drift: the client and the document -----------------------------------------------------------------


def test_the_operation_table_is_the_documents() -> None:
    table = {op.id: (op.method, op.path) for op in _operations.OPERATIONS.values()}
    assert table == document_operations()


@pytest.mark.parametrize("client_class", [novavms.Client, novavms.AsyncClient])
def test_every_operation_has_a_method_on_both_clients(client_class: type[Any]) -> None:
    called = operations_called(client_class)
    assert set(called) == set(document_operations()), "an operation of the document has no client method"
    assert called == {
        "list_events": "events.list",
        "export_events": "events.export",
        "get_event": "events.get",
        "update_event": "events.update",
        "delete_event": "events.delete",
        "list_deleted_events": "events.list_deleted",
        "batch_update_events": "events.batch_update",
        "batch_delete_events": "events.batch_delete",
        "restore_event": "events.restore",
        "get_event_history": "events.history",
        "list_changes": "events.changes",
        "stream_events": "events.stream",
        "create_stream_ticket": "events.stream_ticket",
        "upsert_event": "events.upsert",
        "ingest_events": "events.ingest",
        "create_upload_urls": "events.upload_urls",
        "create_key": "keys.create",
        "list_keys": "keys.list",
        "revoke_key": "keys.revoke",
        "create_webhook_endpoint": "webhook_endpoints.create",
        "list_webhook_endpoints": "webhook_endpoints.list",
        "get_webhook_endpoint": "webhook_endpoints.get",
        "update_webhook_endpoint": "webhook_endpoints.update",
        "delete_webhook_endpoint": "webhook_endpoints.delete",
        "list_webhook_deliveries": "webhook_endpoints.deliveries",
        "resend_webhook_delivery": "webhook_endpoints.resend",
        "replay_webhook_endpoint": "webhook_endpoints.replay",
        "rotate_webhook_secret": "webhook_endpoints.rotate_secret",
        "list_event_types": "event_types.list",
        "test_webhook_endpoint": "webhook_endpoints.test",
    }


def schema_properties(name: str) -> dict[str, Any]:
    return dict(DOCUMENT["components"]["schemas"][name]["properties"])


@pytest.mark.parametrize(
    ("model", "schema"),
    [
        (novavms.Event, "EventListItem"),
        (novavms.EventDetail, "EventDetail"),
        (novavms.ApiKey, "ApiKey"),
        (novavms.ApiKeyCreated, "ApiKeyCreated"),
        (novavms.TrashedEvent, "TrashItem"),
        (novavms.HistoryEntry, "HistoryEntry"),
        (novavms.Actor, "Actor"),
        (novavms.BatchResult, "BatchResult"),
        (novavms.UploadTarget, "UploadTarget"),
        (novavms.UploadUrls, "UploadUrls"),
        (novavms.UpsertResult, "IngestOutcome"),
        (novavms.IngestResult, "IngestResult"),
        (novavms.WebhookEndpoint, "WebhookEndpoint"),
        (novavms.WebhookEndpointCreated, "WebhookEndpointCreated"),
        (novavms.WebhookTestQueued, "WebhookTestQueued"),
        (novavms.StreamTicket, "StreamTicket"),
    ],
)
def test_model_fields_are_the_schemas(model: type[Any], schema: str) -> None:
    import dataclasses

    properties = schema_properties(schema)
    assert {f.name for f in dataclasses.fields(model)} == set(properties)
    times = {name for name, p in properties.items() if p.get("format") == "date-time"}
    assert times == model._TIME_FIELDS


@pytest.mark.parametrize(
    ("alias", "schema", "field"),
    [
        (novavms.TriggerType, "EventDetail", "trigger_type"),
        (novavms.AiStatus, "EventDetail", "ai_status"),
        (novavms.Role, "ApiKey", "role"),
        (novavms.ActorKind, "Actor", "kind"),
        (novavms.HistoryAction, "HistoryEntry", "action"),
        (novavms.WebhookEndpointStatus, "WebhookEndpoint", "status"),
    ],
)
def test_enums_are_the_schemas(alias: Any, schema: str, field: str) -> None:
    assert list(typing.get_args(alias)) == schema_properties(schema)[field]["enum"]


def test_an_ingest_result_item_is_the_schemas() -> None:
    import dataclasses

    item = schema_properties("IngestResult")["results"]["items"]["properties"]
    assert {f.name for f in dataclasses.fields(novavms.IngestItem)} == set(item)
    assert list(typing.get_args(novavms.IngestStatus)) == item["status"]["enum"]
    assert list(typing.get_args(novavms.UpsertStatus)) == schema_properties("IngestOutcome")["status"]["enum"]


def test_filters_and_update_fields_are_the_documents() -> None:
    filters = set(_params.EventFilters.__annotations__)
    assert filters | {"cursor", "limit"} == query_parameters("list_events")
    assert query_parameters("list_events") == query_parameters("export_events")
    assert query_parameters("list_events") == query_parameters("list_deleted_events")
    assert filters == set(schema_properties("BatchFilter")), "a batch's filter takes the list's filters"
    for operation in ("list_changes", "stream_events"):
        assert set(_params.ChangeFilters.__annotations__) <= query_parameters(operation), operation
    patch = set(schema_properties("EventPatch"))
    keywords = set(inspect.signature(novavms.resources.Events.update).parameters) - {"self", "event_id"}
    assert keywords - {"idempotency_key"} == patch
    for operation, method in (
        ("WebhookEndpointRequest", novavms.resources.WebhookEndpoints.create),
        ("WebhookEndpointPatch", novavms.resources.WebhookEndpoints.update),
    ):
        keywords = set(inspect.signature(method).parameters) - {"self", "endpoint_id", "idempotency_key"}
        assert keywords == set(schema_properties(operation)), operation
    event_types = schema_properties("WebhookEndpoint")["event_types"]["items"]["enum"]
    assert list(typing.get_args(novavms.WebhookEventType)) == event_types
    codes = {cls.__name__ for cls in _errors._BY_STATUS.values()}
    assert len(codes) == len(DOCUMENT["components"]["schemas"]["Error"]["properties"]["error"]["enum"])


# -- values on the wire ---------------------------------------------------------------------------------


def test_query_values_as_the_api_takes_them() -> None:
    moment = datetime(2026, 4, 21, 15, 45, 22, tzinfo=timezone(timedelta(hours=2)))
    pairs = _params.query(
        {
            "date_from": date(2026, 4, 20),
            "date_to": moment,
            "starred": True,
            "camera_id": None,
            "trigger_type": "ai_tag",
            "limit": 5,
        }
    )
    assert pairs == [
        ("date_from", "2026-04-20"),
        ("date_to", "2026-04-21T13:45:22Z"),
        ("starred", "true"),
        ("trigger_type", "ai_tag"),
        ("limit", "5"),
    ]
    with pytest.raises(ValueError, match="naive datetime"):
        _params.query({"date_from": datetime(2026, 4, 20)})


def test_a_sequence_repeats_its_parameter_and_text_is_one_value() -> None:
    assert _params.query({"tag": ["person", "vehicle"], "q": "person pac", "limit": 3}) == [
        ("tag", "person"),
        ("tag", "vehicle"),
        ("q", "person pac"),
        ("limit", "3"),
    ]
    assert _params.query({"tag": ("vest",)}) == [("tag", "vest")]
    assert _params.query({"tag": "person"}) == [("tag", "person")], "a str is one tag, not its letters"
    assert _params.query({"tag": [], "q": None}) == [], "an empty list filters nothing, as None"
    assert _params.wire({"tag": ("person", "vehicle")}) == {"tag": ["person", "vehicle"]}


TAGGED = [("tag", "person"), ("tag", "vehicle")]
SEARCHED = [*TAGGED, ("q", "person pac")]


@pytest.mark.parametrize("client_class", [novavms.Client, novavms.AsyncClient])
def test_tag_and_q_reach_every_search_operation_as_the_api_takes_them(client_class: type[Any]) -> None:
    """``tag`` repeated once per value and ``q`` once, on the list, export and trash; ``tag`` alone on
    the change feed and the live stream; a batch filter's ``tag`` as a JSON array, its ``q`` as text."""
    seen: list[Any] = []
    client = probe_client(client_class, seen)
    tags = ["person", "vehicle"]
    search: dict[str, Any] = {"tag": tags, "q": "person pac"}
    selection: Any = {"tag": ("person",), "q": "van"}
    events = client.events
    calls: dict[str, tuple[Callable[[], Any], list[tuple[str, str]]]] = {
        "list": (lambda: events.list(**search, limit=3), [*SEARCHED, ("limit", "3")]),
        "export": (lambda: events.export(**search), SEARCHED),
        "export_to": (lambda: events.export_to(io.BytesIO(), **search), SEARCHED),
        "list_deleted": (lambda: events.list_deleted(**search, cursor="c1"), [*SEARCHED, ("cursor", "c1")]),
        "changes": (lambda: events.changes(tag=tuple(tags)), TAGGED),
        "stream": (lambda: events.stream(tag=tags, site_id="s1"), [*TAGGED, ("site_id", "s1")]),
        "batch_update": (lambda: events.batch_update(filter=selection, starred=True), []),
        "batch_delete": (lambda: events.batch_delete(filter={"tag": tags}), []),
    }  # fmt: skip
    for name, (invoke, expected) in calls.items():
        with pytest.raises(novavms.APIError):
            result = invoke()
            if client_class is novavms.AsyncClient:
                asyncio.run(awaited(result))
        assert seen[-1].url.params.multi_items() == expected, name
    assert b"tag=person&tag=vehicle" in seen[0].url.query
    update, delete = (json.loads(request.content) for request in seen[-2:])
    assert update == {"filter": {"tag": ["person"], "q": "van"}, "changes": {"starred": True}}
    assert delete == {"filter": {"tag": ["person", "vehicle"]}}


def test_body_fields_not_given_are_absent_and_none_is_null() -> None:
    assert _params.json_body({"acknowledged": True, "starred": novavms.NOT_GIVEN, "notes": None}) == {
        "acknowledged": True,
        "notes": None,
    }
    assert not novavms.NOT_GIVEN and novavms.NotGiven() is novavms.NOT_GIVEN


def test_calls_encode_ids_and_carry_one_idempotency_key() -> None:
    get = _operations.call("get_event", path_params={"id": "../keys"})
    assert get.path == "/api/v1/events/..%2Fkeys" and get.idempotency_key is None
    patch = _operations.call("update_event", path_params={"id": "e1"}, json={})
    assert patch.idempotency_key is not None and len(patch.idempotency_key) == 36
    given = _operations.call("delete_event", path_params={"id": "e1"}, idempotency_key="mine")
    assert given.idempotency_key == "mine"
    with pytest.raises(ValueError, match="non-empty id"):
        _operations.call("get_event", path_params={"id": ""})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-04-21T13:45:22Z", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21T13:45:22.5Z", datetime(2026, 4, 21, 13, 45, 22, 500000, tzinfo=UTC)),
        ("2026-04-21T13:45:22.123456789Z", datetime(2026, 4, 21, 13, 45, 22, 123456, tzinfo=UTC)),
        ("2026-04-21T15:45:22+02:00", datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)),
        ("2026-04-21t13:45:22-00:30", datetime(2026, 4, 21, 14, 15, 22, tzinfo=UTC)),
    ],
)
def test_times_parse_to_aware_utc(text: str, expected: datetime) -> None:
    parsed = _models.parse_datetime(text)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


ITEM = DOCUMENT["components"]["schemas"]["EventListItem"]["example"]


def scan_capped_pages() -> tuple[dict[str | None, dict[str, Any]], list[str | None]]:
    """A search's pages as a server past its scan cap answers them: an empty page and a short one,
    each with a next_cursor, before the last; and the list of cursors asked for."""
    item = {**ITEM, "id": "e-2"}
    pages: dict[str | None, dict[str, Any]] = {
        None: {"data": [], "next_cursor": "c1", "total": 0, "total_exact": False},
        "c1": {"data": [ITEM], "next_cursor": "c2", "total": 0, "total_exact": False},
        "c2": {"data": [], "next_cursor": "c3", "total": 0, "total_exact": False},
        "c3": {"data": [item], "next_cursor": None, "total": 0, "total_exact": False},
    }
    return pages, []


def test_iterating_follows_next_cursor_past_empty_and_short_pages() -> None:
    pages, asked = scan_capped_pages()

    def request(cursor: str | None) -> dict[str, Any]:
        asked.append(cursor)
        return pages[cursor]

    first = _pagination.sync_pages(request, novavms.Event, None)
    assert first.data == [] and first.has_next_page() and first.total_exact is False
    assert [event.id for event in first] == [ITEM["id"], "e-2"]
    assert asked == [None, "c1", "c2", "c3"]
    following = first.next_page()
    assert following is not None and [event.id for event in following.data] == [ITEM["id"]]

    async def walk() -> list[str]:
        async def fetch(cursor: str | None) -> dict[str, Any]:
            return request(cursor)

        return [event.id async for event in _pagination.async_pages(fetch, novavms.Event, None)]

    asked.clear()
    assert asyncio.run(walk()) == [ITEM["id"], "e-2"] and asked == [None, "c1", "c2", "c3"]


def test_a_field_a_newer_server_adds_stays_readable() -> None:
    wire = dict(DOCUMENT["components"]["schemas"]["EventDetail"]["example"], risk_score=0.93)
    event = novavms.EventDetail.from_dict(wire)
    assert event.extra == {"risk_score": 0.93} and getattr(event, "risk_score") == 0.93  # noqa: B009 (typed code cannot: untyped)
    assert event.triggered_at == datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
    assert event.to_dict() == wire
    with pytest.raises(AttributeError, match="nonexistent"):
        getattr(event, "nonexistent")  # noqa: B009
    last_page: Any = lambda cursor: pytest.fail(f"a last page has no next page ({cursor})")  # noqa: E731
    keys = ApiKeyList(data=[], next_cursor=None, total=None, total_exact=None, _fetch=last_page)
    assert list(keys) == [] and keys.data == [] and keys.next_page() is None


# -- errors and retries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, novavms.ValidationError),
        (401, novavms.AuthenticationError),
        (403, novavms.PermissionDeniedError),
        (404, novavms.NotFoundError),
        (405, novavms.MethodNotAllowedError),
        (409, novavms.ConflictError),
        (413, novavms.PayloadTooLargeError),
        (429, novavms.RateLimitError),
        (500, novavms.InternalServerError),
        (502, novavms.InternalServerError),
        (503, novavms.ServiceUnavailableError),
        (418, novavms.APIError),
    ],
)
def test_errors_map_by_status(status: int, cls: type[novavms.APIError]) -> None:
    body = json.dumps({"error": "x", "message": "why", "fields": {"limit": "bad"}, "request_id": "r1"})
    error = _errors.error_for_status(status, {}, body.encode(), None)
    assert type(error) is cls and error.status == status and error.message == "why"
    assert error.request_id == "r1" and str(error) == f"{status} x: why (request_id=r1)"


def test_an_error_page_that_is_not_the_envelope_is_still_readable() -> None:
    error = _errors.error_for_status(502, {"x-request-id": "gw"}, b"<html>Bad Gateway</html>", None)
    assert isinstance(error, novavms.InternalServerError) and error.code is None
    assert error.message == "<html>Bad Gateway</html>" and error.request_id == "gw"
    invalid = _errors.error_for_status(400, {}, b'{"error":"validation_error","message":"m"}', None)
    assert isinstance(invalid, novavms.ValidationError) and invalid.fields == {}


def error(status: int, retry_after: float | None = None) -> novavms.APIError:
    return _errors.error_for_status(status, {}, b"", retry_after)


def test_what_is_retried() -> None:
    for retried in (error(429), error(502), error(503), error(504), error(409, retry_after=1)):
        assert _retries.retry_delay(retried, 0, 2) is not None
    for final in (error(400), error(401), error(404), error(409), error(500), error(413)):
        assert _retries.retry_delay(final, 0, 2) is None
    assert _retries.retry_delay(novavms.APIConnectionError(), 0, 2) is not None
    assert _retries.retry_delay(novavms.APITimeoutError(), 1, 2) is not None
    assert _retries.retry_delay(error(503), 2, 2) is None, "the retries are spent"


def test_backoff_grows_with_jitter_and_retry_after_wins() -> None:
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (4, 8.0), (9, 8.0)]:
        delays = {_retries.retry_delay(error(503), attempt, 10) for _ in range(50)}
        assert all(d is not None and 0.75 * ceiling <= d <= ceiling for d in delays)
        assert len(delays) > 1, "jittered"
    waited = _retries.retry_delay(error(429, retry_after=7), 0, 2)
    assert waited is not None and 7 <= waited <= 7.1
    too_long = _retries.retry_delay(error(429, retry_after=3600), 0, 2)
    assert too_long is not None and too_long <= _retries.MAX_DELAY


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert _retries.retry_after_seconds({"retry-after": "17"}) == 17
    assert _retries.retry_after_seconds({}) is None
    assert _retries.retry_after_seconds({"retry-after": "soon"}) is None
    later = (datetime.now(UTC) + timedelta(seconds=30)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    seconds = _retries.retry_after_seconds({"retry-after": later})
    assert seconds is not None and 25 <= seconds <= 31


# -- settings -------------------------------------------------------------------------------------------


def test_settings_come_from_arguments_or_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NOVAVMS_API_KEY", raising=False)
    monkeypatch.delenv("NOVAVMS_BASE_URL", raising=False)
    with pytest.raises(novavms.NovaVMSError, match="NOVAVMS_API_KEY"):
        novavms.Client(base_url="https://events.example.com")
    with pytest.raises(novavms.NovaVMSError, match="NOVAVMS_BASE_URL"):
        novavms.Client(api_key="sk_live_x")
    monkeypatch.setenv("NOVAVMS_API_KEY", "sk_live_secret")
    monkeypatch.setenv("NOVAVMS_BASE_URL", "https://events.example.com/")
    with novavms.Client() as client:
        assert client.base_url == "https://events.example.com" and client.timeout == 60.0
        assert client.max_retries == 2 and "sk_live_secret" not in repr(client)
        faster = client.with_options(timeout=5, max_retries=0)
        assert faster.timeout == 5 and faster.max_retries == 0 and faster.events._client is faster
        assert client.user_agent.startswith(f"novavms-python/{novavms.__version__} ")


@pytest.mark.parametrize(
    ("client_class", "iterate"),
    [
        (novavms.Client, "for event in client.events.list("),
        (novavms.AsyncClient, "async for event in client.events.list("),
    ],
)
def test_help_of_a_client_names_its_resources_and_their_methods(
    client_class: type[Any], iterate: str
) -> None:
    text = " ".join((inspect.getdoc(client_class) or "").split())  # what help() shows first
    for resource_name in ("events", "keys", "webhook_endpoints", "event_types"):
        assert f"client.{resource_name}" in text, (
            f"help({client_class.__name__}) does not name {resource_name}"
        )
        resource = typing.get_type_hints(client_class)[resource_name]
        methods = [
            name for name, _ in inspect.getmembers(resource, inspect.isfunction) if not name.startswith("_")
        ]
        assert methods and [name for name in methods if f"``{name}``" not in text] == []
    assert iterate in text


# -- ingest: batches of at most 500, one report in input order ----------------------------------------


def counted(count: int, read: list[int]) -> typing.Iterator[dict[str, Any]]:
    """``count`` events, noting in ``read`` how many were taken so far."""
    for n in range(count):
        read.append(n)
        yield {"id": f"e{n}"}


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, [0]), (1, [1]), (500, [500]), (501, [500, 1]), (1201, [500, 500, 201])]
)
def test_ingest_batches_hold_at_most_500_in_input_order(count: int, sizes: list[int]) -> None:
    sent = list(_ingest.batches({"id": f"e{n}"} for n in range(count)))
    assert [len(batch) for batch in sent] == sizes
    assert [event["id"] for batch in sent for event in batch] == [f"e{n}" for n in range(count)]

    async def collect() -> list[list[Any]]:
        async def events() -> typing.AsyncIterator[dict[str, Any]]:
            for n in range(count):
                yield {"id": f"e{n}"}

        return [batch async for batch in _ingest.async_batches(events())]

    assert [len(batch) for batch in asyncio.run(collect())] == sizes


def test_ingest_batches_read_the_input_lazily() -> None:
    read: list[int] = []
    sent = _ingest.batches(counted(1200, read))
    assert len(next(sent)) == 500 and len(read) == 500  # the second batch is not read yet
    assert len(next(sent)) == 500 and len(read) == 1000
    with pytest.raises(ValueError, match="at least one"):
        next(_ingest.batches([], 0))


def test_each_batch_has_its_own_idempotency_key_derived_from_the_callers() -> None:
    assert [_ingest.batch_key("load-7", n) for n in range(3)] == ["load-7", "load-7/1", "load-7/2"]
    assert _ingest.batch_key(None, 2) is None


def answer(created: int, results: list[dict[str, Any]], **counts: int) -> dict[str, Any]:
    base = {"created": created, "updated": 0, "unchanged": 0, "invalid": 0, "superseded": 0}
    return {**base, **counts, "results": results}


def test_the_reports_of_batches_merge_in_input_order_with_positions_in_the_whole_input() -> None:
    reports = _ingest.IngestReports()
    first = answer(
        1,
        [
            {"id": "a", "status": "created"},
            {"id": None, "status": "invalid", "errors": {"id": "missing"}, "index": 1},
        ],
        invalid=1,
    )
    reports.add(first, 2)
    assert reports.merged() == first  # one batch: the server's answer as it is
    reports.add(
        answer(
            0,
            [
                {"id": "b", "status": "unchanged"},
                {"id": None, "status": "invalid", "errors": {"id": "x"}, "index": 1},
            ],
            unchanged=1,
            invalid=1,
        ),
        2,
    )
    reports.add(
        answer(
            0,
            [{"id": "a", "status": "superseded", "superseded_by": 1}, {"id": "a", "status": "updated"}],
            updated=1,
            superseded=1,
        ),
        2,
    )
    result = reports.result()
    assert (result.created, result.updated, result.unchanged, result.invalid, result.superseded) == (
        1,
        1,
        1,
        2,
        1,
    )
    assert [(item.id, item.status, item.index, item.superseded_by) for item in result.results] == [
        ("a", "created", None, None),
        (None, "invalid", 1, None),
        ("b", "unchanged", None, None),
        (None, "invalid", 3, None),
        ("a", "superseded", None, 5),
        ("a", "updated", None, None),
    ]
    assert result.results[3].errors == {"id": "x"} and reports.sent == 6
    assert first["results"][1]["index"] == 1, "the answers themselves are left as they were"


def test_a_batch_failing_after_others_were_written_says_what_was() -> None:
    reports = _ingest.IngestReports()
    refused = error(429, 30.0)
    assert reports.failure(refused) is refused  # nothing written yet: the error as it is
    reports.add(answer(500, [{"id": f"e{n}", "status": "created"} for n in range(500)]), 500)
    failure = reports.failure(refused)
    assert isinstance(failure, novavms.IngestIncompleteError) and isinstance(failure, novavms.APIError)
    assert failure.error is refused and failure.sent == 500 and failure.result.created == 500
    assert failure.status == 429 and failure.retry_after == 30.0
    assert "after 500 events were written" in str(failure)


def test_bodies_carry_times_as_rfc3339_inside_events() -> None:
    moment = datetime(2026, 4, 21, 15, 45, 22, tzinfo=timezone(timedelta(hours=2)))
    event = {"triggered_at": moment, "tags": ["person"], "clip": {"start": moment}}
    assert _params.wire(event) == {
        "triggered_at": "2026-04-21T13:45:22Z", "tags": ["person"], "clip": {"start": "2026-04-21T13:45:22Z"}
    }  # fmt: skip


# -- media uploads: the signed headers, nothing else --------------------------------------------------


def test_an_upload_sends_the_signed_headers_and_its_length_only(tmp_path: Path) -> None:
    target = novavms.UploadTarget.from_dict(
        {
            "url": "http://storage/upload?X-Goog-Signature=abc",
            "method": "PUT",
            "headers": {"Content-Type": "image/jpeg", "x-goog-content-length-range": "0,5242880"},
            "object": "uploads/e1/r4nd0m",
            "expires_at": "2026-04-21T14:00:00Z",
        }
    )
    in_memory = _media.media_body(bytearray(b"\xff\xd8jpeg"))
    assert in_memory.content() == b"\xff\xd8jpeg"
    assert _media.upload_headers(target, in_memory) == {
        "Content-Type": "image/jpeg", "x-goog-content-length-range": "0,5242880", "Content-Length": "6"
    }  # fmt: skip
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"m" * (_media.CHUNK + 3))
    on_disk = _media.media_body(clip)
    first, again = on_disk.content(), on_disk.content()
    assert not isinstance(first, bytes) and not isinstance(again, bytes), "a file is streamed"
    assert on_disk.size == _media.CHUNK + 3 and b"".join(first) == clip.read_bytes()
    assert b"".join(again) == clip.read_bytes(), "each attempt reads the file afresh"
    with pytest.raises(OSError):
        _media.media_body(tmp_path / "missing.jpg")


def test_a_refused_upload_reads_storages_message() -> None:
    import httpx

    xml = b"<?xml version='1.0'?><Error><Code>SignatureDoesNotMatch</Code><Message>Bad sig</Message></Error>"
    refused = _media.upload_error(httpx.Response(403, content=xml, headers={"retry-after": "2"}))
    assert isinstance(refused, novavms.UploadError) and not isinstance(refused, novavms.PermissionDeniedError)
    assert refused.status == 403 and refused.message == "Bad sig" and refused.retry_after == 2.0
    assert _retries.retry_delay(refused, 0, 2) is None  # a refusal is final; a 503 of storage is retried
    unavailable = _media.upload_error(httpx.Response(503, content=b"busy"))
    assert unavailable.message == "busy" and _retries.retry_delay(unavailable, 0, 2) is not None

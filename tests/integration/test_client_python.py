"""The Python client ``novavms`` (clients/python) against the real local stack: the Firestore and
storage emulators behind the local gateway. Every contract example as written, paging in sync and
async, each typed error, retries (a stub upstream answers the 429s and 503s the gateway would not
give on demand), and exports to disk, whole and broken.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx
import novavms
import pytest

from devstack.seed import EXAMPLE_EVENT, EXAMPLE_EVENT_ID
from tests.integration.conftest import SITE_A, SITE_B, Token, event_line, reset_caches
from tests.integration.export_faults import FailingStorageProxy, function_process
from tests.integration.stub_upstream import Step, error_step, stub_upstream

AddEvents = Callable[..., list[dict[str, Any]]]
MakeClient = Callable[..., novavms.Client]

CONTRACT_DETAIL = {
    "id": "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f",
    "camera_id": "550e8400-e29b-41d4-a716-446655440000",
    "camera_name": "Loading Dock East",
    "camera_deleted": False,
    "trigger_type": "ai_tag",
    "triggered_at": "2026-04-21T13:45:22Z",
    "clip_start_at": "2026-04-21T13:45:12Z",
    "clip_end_at": "2026-04-21T13:45:42Z",
    "duration_sec": 30,
    "summary": "Person carrying package approaches dock door",
    "narrative": "A courier in an orange vest walked to the dock...",
    "tags": ["person", "package", "vest"],
    "ai_status": "completed",
    "acknowledged": False,
    "acknowledged_by": None,
    "acknowledged_at": None,
    "starred": False,
    "notes": None,
    "clip_codec": "h264",
    "recording_source": "gateway_ring_buffer",
}
CONTRACT_CSV_HEADER = (
    "id,camera_id,camera_name,trigger_type,triggered_at,duration_sec,summary,tags,ai_status,acknowledged,"
    "starred"
)
CONTRACT_CSV_ROW = (
    "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f,550e8400-e29b-41d4-a716-446655440000,Loading Dock East,ai_tag,"
    "2026-04-21T13:45:22Z,30,Person carrying package approaches dock door,"
    '"person,package",completed,false,false'
)


@pytest.fixture
def make_client(gateway_url: str, token: Token) -> Iterator[MakeClient]:
    """``make_client(role, base_url=..., **options)``: a client with a fresh token of the test's org
    (a viewer's covers SITE_A)."""
    made: list[novavms.Client] = []

    def make(role: str = "admin", *, api_key: str | None = None, **options: Any) -> novavms.Client:
        options.setdefault("base_url", gateway_url)
        sites = [SITE_A] if role == "viewer" else None
        client = novavms.Client(api_key=api_key or token(role, sub=f"user-{role}", sites=sites), **options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()


@pytest.fixture
def example(org: str, add_events: AddEvents) -> dict[str, Any]:
    """The contract's example event in the test's org, with neighbours outside the examples' filter."""
    line = {**EXAMPLE_EVENT, "snapshot_object": f"{org}/{EXAMPLE_EVENT_ID}/snapshot.jpg"}
    older = event_line(at=datetime(2026, 4, 20, 9, 0, tzinfo=UTC), trigger_type="motion")
    earlier = event_line(at=datetime(2026, 4, 19, 9, 0, tzinfo=UTC))  # before the examples' date_from
    add_events([line, older, earlier])
    return {**line, "older_id": older["id"]}


def requests_counted(into: list[httpx.Request]) -> httpx.Client:
    return httpx.Client(event_hooks={"request": [into.append]})


# -- the contract's examples, as written ------------------------------------------------------------------


def test_contract_examples_as_written_with_an_api_key(
    make_client: MakeClient, example: dict[str, Any]
) -> None:
    admin = make_client("admin")
    key = admin.keys.create(name="VMS bridge", role="admin")
    assert key.secret is not None and key.secret.startswith("sk_test_")
    client = novavms.Client(api_key=key.secret, base_url=admin.base_url)

    page = client.events.list(trigger_type="ai_tag", date_from="2026-04-20")
    assert [event.id for event in page.data] == [EXAMPLE_EVENT_ID]
    assert page.total == 1 and page.next_cursor is None
    listed = page.data[0]
    assert listed.triggered_at == datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
    assert listed.tags == ["person", "package", "vest"] and listed.snapshot_url

    event = client.events.get(EXAMPLE_EVENT_ID)
    wire = event.to_dict()
    assert {k: wire[k] for k in CONTRACT_DETAIL} == CONTRACT_DETAIL
    assert event.prev_event_id is None and event.next_event_id == example["older_id"]
    assert event.clip_start_at == datetime(2026, 4, 21, 13, 45, 12, tzinfo=UTC)
    assert event.duration_sec == 30 and event.acknowledged_at is None

    updated = client.events.update(EXAMPLE_EVENT_ID, acknowledged=True, notes="Confirmed courier")
    assert updated.acknowledged and updated.notes == "Confirmed courier"
    assert updated.acknowledged_by == f"key:{key.id}"
    assert updated.acknowledged_at is not None and updated.acknowledged_at.tzinfo is not None
    assert abs(updated.acknowledged_at - datetime.now(UTC)) < timedelta(minutes=1)

    csv_bytes = client.events.export(date_from="2026-04-20", date_to="2026-04-21")
    lines = csv_bytes.decode("utf-8").splitlines()
    assert lines[0] == CONTRACT_CSV_HEADER
    # The contract's row, with this event's three tags and its acknowledgement just made.
    expected = CONTRACT_CSV_ROW.replace('"person,package"', '"person,package,vest"').replace(
        "completed,false,false", "completed,true,false"
    )
    assert lines[1] == expected and len(lines) == 3  # then the older motion event

    client.events.delete(EXAMPLE_EVENT_ID)
    with pytest.raises(novavms.NotFoundError):
        client.events.get(EXAMPLE_EVENT_ID)
    client.close()


def test_dates_take_date_datetime_and_text(make_client: MakeClient, example: dict[str, Any]) -> None:
    client = make_client("operator")
    as_text = client.events.list(date_from="2026-04-20", date_to="2026-04-21")
    as_dates = client.events.list(date_from=date(2026, 4, 20), date_to=date(2026, 4, 21))
    as_times = client.events.list(
        date_from=datetime(2026, 4, 20, 2, 0, tzinfo=UTC).astimezone(),
        date_to=datetime(2026, 4, 21, 23, 59, 59, tzinfo=UTC),
    )
    ids = [event.id for event in as_text.data]
    assert len(ids) == 2 and EXAMPLE_EVENT_ID in ids
    assert [event.id for event in as_dates.data] == ids == [event.id for event in as_times.data]


def test_a_naive_datetime_raises_before_anything_is_sent(make_client: MakeClient) -> None:
    sent: list[httpx.Request] = []
    client = make_client("operator", http_client=requests_counted(sent))
    with pytest.raises(ValueError, match="naive datetime"):
        client.events.list(date_from=datetime(2026, 4, 20, 12, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        client.events.export(date_to=datetime(2026, 4, 20, 12, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        client.keys.create(name="k", role="admin", expires_at=datetime(2030, 1, 1))
    assert sent == []


# -- keys -----------------------------------------------------------------------------------------------


def test_keys_create_list_revoke(make_client: MakeClient, example: dict[str, Any]) -> None:
    admin = make_client("admin")
    expiry = datetime.now(UTC) + timedelta(days=30)
    site = example["site_id"]
    viewer_key = admin.keys.create(name="Lobby screen", role="viewer", site_ids=[site], expires_at=expiry)
    assert viewer_key.role == "viewer" and viewer_key.site_ids == [site]
    assert viewer_key.expires_at is not None and abs(viewer_key.expires_at - expiry) < timedelta(seconds=1)
    assert viewer_key.secret is not None and viewer_key.last4 == viewer_key.secret[-4:]

    listed = admin.keys.list()
    assert [key.id for key in listed] == [viewer_key.id]
    assert listed.data[0].revoked_at is None and listed.data[0].extra == {}

    viewer = make_client(api_key=viewer_key.secret)
    assert viewer.events.get(EXAMPLE_EVENT_ID).id == EXAMPLE_EVENT_ID
    with pytest.raises(novavms.PermissionDeniedError):
        viewer.events.list(site_id=SITE_B)

    admin.keys.revoke(viewer_key.id)
    assert admin.keys.list().data[0].revoked_at is not None
    reset_caches()
    with pytest.raises(novavms.AuthenticationError) as caught:
        make_client(api_key=viewer_key.secret, max_retries=0).events.get(EXAMPLE_EVENT_ID)
    assert caught.value.status == 401 and caught.value.code == "auth_required"


def test_keys_list_is_paged_sync_and_async(make_client: MakeClient, gateway_url: str, token: Token) -> None:
    sent: list[httpx.Request] = []
    admin = make_client("admin", http_client=requests_counted(sent))
    created = [admin.keys.create(name=f"key {n}", role="operator").id for n in range(5)]
    sent.clear()
    page = admin.keys.list(limit=2)
    assert [key.id for key in page.data] == created[:-3:-1] and page.has_next_page()
    assert [key.id for key in page] == created[::-1], "iterating walks every page"
    assert [key.id for key in page.auto_paging_iter()] == created[::-1]
    assert len(sent) == 5 and all(request.url.params["limit"] == "2" for request in sent)
    assert len(admin.keys.list().data) == 5 and admin.keys.list().next_cursor is None

    async def walk() -> tuple[list[str], list[str]]:
        async with novavms.AsyncClient(api_key=token("admin"), base_url=gateway_url) as client:
            first = await client.keys.list(limit=2)
            return [key.id for key in first.data], [key.id async for key in client.keys.list(limit=2)]

    assert asyncio.run(walk()) == (created[:-3:-1], created[::-1])


# -- paging ---------------------------------------------------------------------------------------------


def paged_lines(count: int) -> list[dict[str, Any]]:
    return [
        event_line(n, trigger_type="ai_tag" if n % 3 else "motion", starred=n % 2 == 0) for n in range(count)
    ]


def test_auto_paging_walks_every_page_once_keeping_the_filters(
    make_client: MakeClient, add_events: AddEvents
) -> None:
    lines = add_events(paged_lines(45))
    expected = [line["id"] for line in lines if line["trigger_type"] == "ai_tag"]  # newest first already
    sent: list[httpx.Request] = []
    client = make_client("viewer", http_client=requests_counted(sent))
    page = client.events.list(trigger_type="ai_tag", limit=7)
    assert len(sent) == 1 and page.total == len(expected) == 30
    assert [event.id for event in page.data] == expected[:7]  # .data: this page only

    walked = iter(page)  # iterating the list result: every item, across pages
    assert len(sent) == 1, "lazy: nothing is fetched before the iterator is read"
    assert [event.id for event in walked] == expected
    assert len(sent) == 5  # ceil(30 / 7) pages, one request each
    for request in sent:
        assert request.url.params["trigger_type"] == "ai_tag" and request.url.params["limit"] == "7"
    assert [r.url.params.get("cursor") is None for r in sent] == [True, False, False, False, False]
    assert [event.id for event in page.auto_paging_iter()] == expected and len(sent) == 9
    assert [event.id for event in client.events.list(trigger_type="ai_tag", limit=7)] == expected

    last = page
    while last.has_next_page():
        following = last.next_page()
        assert following is not None
        last = following
    assert last.next_page() is None and len(last.data) == 2


def test_async_client_pages_and_calls(gateway_url: str, token: Token, add_events: AddEvents) -> None:
    lines = add_events(paged_lines(25))
    starred = [line["id"] for line in lines if line["starred"]]

    async def run() -> tuple[list[str], int, novavms.EventDetail, bytes]:
        sent: list[httpx.Request] = []

        async def count(request: httpx.Request) -> None:
            sent.append(request)

        http = httpx.AsyncClient(event_hooks={"request": [count]})
        async with novavms.AsyncClient(
            api_key=token("operator", sub="user-async"), base_url=gateway_url, http_client=http
        ) as client:
            listing = client.events.list(starred=True, limit=4)
            assert isinstance(listing, novavms.AsyncPaginator) and sent == [], "nothing asked yet"
            page = await listing  # awaited: the first page
            assert isinstance(page, novavms.AsyncPage) and page.total == 13 and len(sent) == 1
            assert [event.id for event in page.data] == starred[:4]
            ids = [event.id async for event in client.events.list(starred=True, limit=4)]
            pages = len(sent) - 1
            assert [event.id async for event in page] == ids  # a page walks on from itself
            assert [event.id async for event in page.auto_paging_iter()] == ids
            updated = await client.events.update(lines[0]["id"], starred=False, notes="async")
            history = [entry.action async for entry in client.events.history(lines[0]["id"], limit=1)]
            assert history == ["update"]
            csv_bytes = await client.events.export(starred=True)
        await http.aclose()
        return ids, pages, updated, csv_bytes

    ids, pages, updated, csv_bytes = asyncio.run(run())
    assert ids == starred and len(starred) == 13 and pages == 4
    assert updated.starred is False and updated.notes == "async"
    exported = [row[0] for row in csv.reader(io.StringIO(csv_bytes.decode()))][1:]
    assert exported == starred[1:]  # the first was unstarred in between


# -- typed errors ---------------------------------------------------------------------------------------


def test_each_error_of_the_contract_is_its_own_class(
    make_client: MakeClient, example: dict[str, Any], token: Token, org: str
) -> None:
    with pytest.raises(novavms.AuthenticationError) as unauthenticated:
        make_client(api_key="sk_test_not_a_key").events.list()
    assert unauthenticated.value.code == "auth_required" and unauthenticated.value.request_id

    with pytest.raises(novavms.PermissionDeniedError) as forbidden:
        make_client("viewer").events.update(EXAMPLE_EVENT_ID, starred=True)
    assert forbidden.value.status == 403 and forbidden.value.code == "forbidden"

    with pytest.raises(novavms.NotFoundError) as missing:
        make_client("operator").events.get(str(uuid.uuid4()))
    assert missing.value.status == 404 and "not found" in missing.value.message

    with pytest.raises(novavms.ValidationError) as invalid:
        make_client("operator").events.list(limit=500)
    assert invalid.value.status == 400 and set(invalid.value.fields) == {"limit"}
    with pytest.raises(novavms.ValidationError) as empty_patch:
        make_client("operator").events.update(EXAMPLE_EVENT_ID)
    assert empty_patch.value.code == "validation_error"
    with pytest.raises(novavms.ValidationError) as bad_enum:
        make_client("operator").events.list(trigger_type="smoke")  # type: ignore[arg-type]
    assert "trigger_type" in bad_enum.value.fields

    with pytest.raises(novavms.PayloadTooLargeError) as too_big:
        make_client("admin").keys.create(name="x" * 70_000, role="admin")
    assert too_big.value.status == 413 and too_big.value.code == "payload_too_large"

    os.environ["EVENT_EXPORT_MAX_ROWS"] = "2"
    reset_caches()
    with pytest.raises(novavms.PayloadTooLargeError):
        make_client("operator").events.export()
    assert make_client("operator").events.export(limit=2).count(b"\n") == 3

    os.environ["EVENTS_RATE_LIMIT_PER_MINUTE"] = "3"
    reset_caches()  # another org, whose budget nothing has leased yet
    other_org = token("operator", org_id=f"{org}-limited")
    limited = make_client(api_key=other_org, max_retries=0)
    with pytest.raises(novavms.RateLimitError) as rate_limited:
        for _ in range(7):  # 3 a minute: even across a window's end, one of these is refused
            limited.events.list()
    assert rate_limited.value.status == 429 and rate_limited.value.retry_after is not None
    assert 1 <= rate_limited.value.retry_after <= 60

    closed = novavms.Client(api_key="sk_test_x", base_url="http://127.0.0.1:9", max_retries=0)
    with pytest.raises(novavms.APIConnectionError) as refused:
        closed.events.list()
    assert refused.value.status is None and not isinstance(refused.value, novavms.APITimeoutError)

    for error in (unauthenticated, forbidden, missing, invalid, too_big, rate_limited, refused):
        assert isinstance(error.value, novavms.APIError) and isinstance(error.value, novavms.NovaVMSError)


def test_service_errors_conflict_and_timeout_through_a_stub(
    make_client: MakeClient, example: dict[str, Any], gateway_url: str
) -> None:
    script = [
        error_step(500, "internal"),
        error_step(503, "unavailable", retry_after=1),
        error_step(409, "conflict"),
        Step(delay=1.5),
    ]
    with stub_upstream(gateway_url, script) as stub:
        client = make_client("operator", base_url=stub.url, max_retries=0)
        with pytest.raises(novavms.InternalServerError) as internal:
            client.events.get(EXAMPLE_EVENT_ID)
        assert internal.value.status == 500 and internal.value.request_id == "stub0001"
        with pytest.raises(novavms.ServiceUnavailableError) as unavailable:
            client.events.get(EXAMPLE_EVENT_ID)
        assert unavailable.value.retry_after == 1
        with pytest.raises(novavms.ConflictError):
            make_client("operator", base_url=stub.url).events.update(EXAMPLE_EVENT_ID, starred=True)
        with pytest.raises(novavms.APITimeoutError):
            client.with_options(timeout=0.5).events.get(EXAMPLE_EVENT_ID)
    # A 409 without Retry-After is an answer, not "in flight": retried never, even with retries left.
    assert len(stub.requests_of("PATCH")) == 1


# -- retries --------------------------------------------------------------------------------------------


def test_a_429_is_retried_after_its_retry_after_with_the_same_idempotency_key(
    make_client: MakeClient, example: dict[str, Any], gateway_url: str
) -> None:
    with stub_upstream(gateway_url, [error_step(429, "rate_limited", retry_after=1)]) as stub:
        client = make_client("operator", base_url=stub.url)
        started = time.monotonic()
        event = client.events.update(EXAMPLE_EVENT_ID, starred=True)
        waited = time.monotonic() - started
    assert event.starred is True
    patches = stub.requests_of("PATCH")
    assert len(patches) == 2 and waited >= 1.0
    keys = {seen.headers["Idempotency-Key"] for seen in patches}
    assert len(keys) == 1 and uuid.UUID(keys.pop()).version == 4
    assert patches[1].forwarded_status == 200


def test_a_lost_answer_is_retried_and_the_change_applies_once(
    make_client: MakeClient, example: dict[str, Any], gateway_url: str
) -> None:
    """The gateway executes the PATCH but its answer is lost (the stub says 503): the retry repeats the
    Idempotency-Key and the server replays the first outcome instead of acknowledging again."""
    with stub_upstream(gateway_url, [error_step(503, "unavailable", retry_after=1, forward=True)]) as stub:
        client = make_client("operator", base_url=stub.url)
        event = client.events.update(EXAMPLE_EVENT_ID, acknowledged=True, notes="once")
    first, second = stub.requests_of("PATCH")
    assert first.headers["Idempotency-Key"] == second.headers["Idempotency-Key"]
    assert first.forwarded_status == 200 and second.forwarded_status == 200
    assert second.forwarded_headers.get("Idempotent-Replayed") == "true"
    assert event.acknowledged and event.notes == "once"
    assert make_client("operator").events.get(EXAMPLE_EVENT_ID).acknowledged_at == event.acknowledged_at


def test_retries_stop_at_max_retries_and_the_callers_key_is_used(
    make_client: MakeClient, example: dict[str, Any], gateway_url: str
) -> None:
    script = [error_step(503, "unavailable", retry_after=0)] * 4
    with stub_upstream(gateway_url, script) as stub:
        client = make_client("admin", base_url=stub.url, max_retries=3)
        with pytest.raises(novavms.ServiceUnavailableError):
            client.events.delete(EXAMPLE_EVENT_ID, idempotency_key="dismiss-c1d2e3f4")
        assert [seen.headers["Idempotency-Key"] for seen in stub.requests_of("DELETE")] == [
            "dismiss-c1d2e3f4"
        ] * 4
        client.events.delete(EXAMPLE_EVENT_ID, idempotency_key="dismiss-c1d2e3f4")  # script spent: forwarded
        gets = [error_step(502, "internal"), error_step(504, "internal")]
        stub.script.extend(gets)
        with pytest.raises(novavms.NotFoundError):
            client.events.get(EXAMPLE_EVENT_ID)
    assert "Idempotency-Key" not in stub.requests_of("GET")[0].headers
    assert [seen.forwarded_status for seen in stub.requests_of("GET")] == [None, None, 404]


def test_headers_name_the_client_and_the_key_is_never_logged(
    make_client: MakeClient, example: dict[str, Any], gateway_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    secret_token = "sk_test_" + uuid.uuid4().hex
    caplog.set_level(logging.DEBUG)
    with stub_upstream(gateway_url, [error_step(429, "rate_limited", retry_after=0)]) as stub:
        client = novavms.Client(api_key=secret_token, base_url=stub.url)
        with pytest.raises(novavms.AuthenticationError):
            client.events.list()
        client.close()
    seen = stub.seen[0].headers
    assert seen["Authorization"] == f"Bearer {secret_token}"
    assert seen["User-Agent"].startswith(f"novavms-python/{novavms.__version__} ")
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retry 1 of 2" in logged and "GET /api/v1/events -> 401" in logged
    assert secret_token not in logged and secret_token not in repr(client)
    assert all(secret_token not in str(record.args) for record in caplog.records)


# -- exports to disk ------------------------------------------------------------------------------------


EXPORT_TO_PEAK = """
import json, sys, tracemalloc
import novavms
base_url, api_key, target = sys.argv[1:]
with novavms.Client(api_key=api_key, base_url=base_url) as client:
    tracemalloc.start()
    result = client.events.export_to(target)
    peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"peak": peak, "bytes": result.bytes, "rows": result.rows, "path": str(result.path),
                  "object_url": result.object_url}))
"""


def big_lines(count: int) -> list[dict[str, Any]]:
    return [event_line(n, summary=f"{n:05d} " + "long summary text " * 30) for n in range(count)]


def test_export_to_streams_a_large_export_to_disk(
    make_client: MakeClient, add_events: AddEvents, tmp_path: Path, org: str
) -> None:
    lines = add_events(big_lines(4000))
    client = make_client("operator")
    target = tmp_path / "events.csv"
    # In its own process, so that the memory measured is the client's (the gateway runs in this one).
    measured = subprocess.run(
        [sys.executable, "-c", EXPORT_TO_PEAK, client.base_url, client._api_key, str(target)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(measured.stdout)
    size = target.stat().st_size
    assert size > 2_500_000 and result["bytes"] == size and result["rows"] == 4000
    assert result["path"] == str(target) and f"/exports/{org}/" in result["object_url"]
    # The server sends 500 rows a chunk (about 350 KB here): the client holds about a chunk, never the file.
    peak = result["peak"]
    assert peak < min(size / 3, 1024 * 1024), f"export_to held {peak} bytes for a {size} byte file"
    rows = list(csv.reader(target.open(newline="", encoding="utf-8")))
    assert [row[0] for row in rows[1:]] == [line["id"] for line in lines]
    assert target.read_bytes() == client.events.export()

    into = io.BytesIO(b"kept:")
    into.seek(5)
    assert client.events.export_to(into, limit=10).rows == 10
    assert into.getvalue().startswith(b"kept:id,camera_id") and into.getvalue().count(b"\r\n") == 11


def test_a_transfer_cut_midway_raises_and_leaves_no_file(
    make_client: MakeClient, add_events: AddEvents, gateway_url: str, tmp_path: Path
) -> None:
    add_events(big_lines(400))
    target = tmp_path / "events.csv"
    with stub_upstream(gateway_url, [Step(cut_after=50_000), Step(cut_after=50_000)]) as stub:
        client = make_client("operator", base_url=stub.url)
        with pytest.raises(novavms.APIConnectionError, match="broke after 50000 bytes"):
            client.events.export_to(target)
        assert not target.exists() and list(tmp_path.iterdir()) == []

        kept = io.BytesIO(b"earlier content")
        kept.seek(0, io.SEEK_END)
        with pytest.raises(novavms.APIConnectionError):
            client.events.export_to(kept)
        assert kept.getvalue() == b"earlier content"

        async def async_export() -> None:
            async with novavms.AsyncClient(api_key=client._api_key, base_url=stub.url) as aclient:
                stub.script.append(Step(cut_after=10_000))
                await aclient.events.export_to(target)

        with pytest.raises(novavms.APIConnectionError, match="broke after 10000 bytes"):
            asyncio.run(async_export())
        assert list(tmp_path.iterdir()) == []


def test_a_server_failing_midway_breaks_export_to(
    org: str, token: Token, add_events: AddEvents, tmp_path: Path
) -> None:
    """The export function itself fails midway (its storage upload is refused): the client sees the
    transfer end without its final chunk and keeps nothing."""
    add_events(big_lines(3000))
    proxy = FailingStorageProxy(os.environ["STORAGE_EMULATOR_HOST"])
    env = {**os.environ, "STORAGE_EMULATOR_HOST": proxy.url, "PYTHONUNBUFFERED": "1"}
    target = tmp_path / "out" / "events.csv"
    target.parent.mkdir()
    try:
        with function_process("export_events", env, tmp_path / "export.log") as base:
            # functions-framework serves the one function at any path: the client's path is fine.
            client = novavms.Client(api_key=token("operator"), base_url=base, max_retries=0)
            with pytest.raises(novavms.APIConnectionError, match="broke after"):
                client.events.export_to(target)
            client.close()
    finally:
        proxy.close()
    assert list(target.parent.iterdir()) == []


# -- the operator workflow ------------------------------------------------------------------------------


def test_the_operator_workflow_methods(make_client: MakeClient, add_events: AddEvents) -> None:
    lines = add_events([event_line(n, trigger_type="motion" if n < 6 else "ai_tag") for n in range(8)])
    operator, admin = make_client("operator"), make_client("admin")
    assert operator.events.list(acknowledged=False).total == 8

    storm = operator.events.batch_update(
        filter={"trigger_type": "motion", "acknowledged": False}, acknowledged=True
    )
    assert isinstance(storm, novavms.BatchResult) and storm.matched == storm.changed == 6
    assert {item.id for item in storm.results} == {line["id"] for line in lines[:6]}
    assert all(item.status == "changed" for item in storm.results)
    queue = operator.events.list(acknowledged=False)
    assert [event.id for event in queue] == [line["id"] for line in lines[6:]]
    starred = operator.events.batch_update([lines[6]["id"], lines[6]["id"], "nope"], starred=True, notes=None)
    assert [(item.id, item.status) for item in starred.results] == [
        (lines[6]["id"], "changed"),
        ("nope", "not_found"),
    ]

    dismissed = admin.events.batch_delete([line["id"] for line in lines[:3]])
    assert dismissed.changed == 3
    trash = admin.events.list_deleted(limit=2)
    assert trash.total == 3 and len(trash.data) == 2
    walked = list(trash)
    assert {event.id for event in walked} == {line["id"] for line in lines[:3]}
    assert all(
        isinstance(event, novavms.TrashedEvent) and event.deleted_by == "user-admin" for event in walked
    )
    assert walked[0].deleted_at >= walked[-1].deleted_at

    restored = admin.events.restore(lines[0]["id"])
    assert restored.id == lines[0]["id"] and operator.events.list().total == 6
    entries = list(admin.events.history(lines[0]["id"], limit=1))
    assert [entry.action for entry in entries] == ["update", "delete", "restore"]
    assert entries[0].by == novavms.Actor(kind="user", id="user-operator")
    assert entries[0].changes["acknowledged"] == {"old": False, "new": True}
    assert entries[2].at.tzinfo is not None and entries[2].changes["deleted"] == {"old": True, "new": False}
    with pytest.raises(novavms.NotFoundError):
        operator.events.history(lines[1]["id"])  # dismissed: admins only
    with pytest.raises(novavms.ValidationError) as invalid:
        operator.events.batch_update(acknowledged=True)  # neither ids nor filter: the server says so
    assert "ids" in invalid.value.fields


# -- search: tag and q -----------------------------------------------------------------------------------

# Four kinds of event, in turn (event n is kind n % 4), newest first.
SCENES = [
    {"summary": "Courier with a package at the Café", "tags": ["person", "package"]},
    {"summary": "Truck at the barrier", "tags": ["vehicle", "truck"], "camera_name": "North Gate"},
    {"summary": "Person walking", "tags": ["person"]},
    {"summary": "Delivery van with packages", "tags": ["vehicle"]},
]


def scene_lines(count: int) -> list[dict[str, Any]]:
    return [event_line(n, narrative="", **SCENES[n % 4]) for n in range(count)]


def kinds(lines: list[dict[str, Any]], *wanted: int) -> list[str]:
    return [line["id"] for n, line in enumerate(lines) if n % 4 in wanted]


def test_tag_and_q_search_through_the_client(make_client: MakeClient, add_events: AddEvents) -> None:
    lines = add_events(scene_lines(12))
    elsewhere = add_events([event_line(20 + n, site_id=SITE_B, tags=["vehicle"]) for n in range(2)])
    sent: list[httpx.Request] = []
    client = make_client("operator", http_client=requests_counted(sent))

    vehicles = client.events.list(tag=["vehicle", "truck"], limit=2)
    assert sent[0].url.query == b"tag=vehicle&tag=truck&limit=2"
    assert [event.id for event in vehicles] == [*kinds(lines, 1, 3), *(line["id"] for line in elsewhere)]
    assert all(request.url.params.get_list("tag") == ["vehicle", "truck"] for request in sent)
    viewer = make_client("viewer")  # SITE_A only
    assert [event.id for event in viewer.events.list(tag=["vehicle"], limit=2)] == kinds(lines, 1, 3)

    sent.clear()
    cafe = client.events.list(q="CAFE pack", limit=2)  # accents and case folded; "pack" begins "package"
    assert sent[0].url.params.multi_items() == [("q", "CAFE pack"), ("limit", "2")]
    assert [event.id for event in cafe] == kinds(lines, 0)
    assert client.events.list(q="pa").total == 0, "two characters: whole words only"
    vans = client.events.list(q="van", tag=["vehicle"], trigger_type="ai_tag")
    assert [event.id for event in vans] == kinds(lines, 3)

    csv_bytes = client.events.export(tag="truck")  # a single string is one tag
    exported = [row[0] for row in csv.reader(io.StringIO(csv_bytes.decode()))][1:]
    assert exported == kinds(lines, 1)

    acknowledged = client.events.batch_update(filter={"tag": ["truck"], "q": "north"}, acknowledged=True)
    assert acknowledged.matched == acknowledged.changed == 3
    assert [event.id for event in client.events.list(tag=("truck",), acknowledged=False)] == []
    admin = make_client("admin")
    assert admin.events.batch_delete(filter={"tag": ["truck"]}).changed == 3
    trash = admin.events.list_deleted(tag=["truck"], q="barrier", limit=2)
    assert sorted(event.id for event in trash) == sorted(kinds(lines, 1))
    with pytest.raises(novavms.ValidationError) as invalid:
        client.events.list(tag=[f"t{n}" for n in range(11)])
    assert "tag" in invalid.value.fields
    with pytest.raises(novavms.ValidationError) as invalid:
        client.events.list(q="one two three four five six")
    assert "q" in invalid.value.fields


def test_the_change_feed_takes_tag(make_client: MakeClient, add_events: AddEvents) -> None:
    os.environ["EVENTS_CHANGES_SETTLE_SECONDS"] = "0"
    reset_caches()
    lines = add_events(scene_lines(8))
    sent: list[httpx.Request] = []
    client = make_client("operator", http_client=requests_counted(sent))
    changes = list(client.events.changes(tag=["truck", "package"], types=["event.created"], limit=3))
    assert sorted(str(change.event_id) for change in changes) == sorted(kinds(lines, 0, 1))
    assert all(request.url.params.get_list("tag") == ["truck", "package"] for request in sent)


def test_iterating_a_search_past_the_scan_cap_walks_every_match_once(
    make_client: MakeClient, gateway_url: str, token: Token, add_events: AddEvents
) -> None:
    """With EVENTS_SEARCH_SCAN_CAP at 2, a two-word search reads at most 2 candidates a page: pages come
    back short or empty with a next_cursor, and iterating still gives every match once, in order."""
    os.environ["EVENTS_SEARCH_SCAN_CAP"] = "2"
    reset_caches()
    # Every fifth event matches; between two matches, two events with only "person" and two with
    # only a word beginning "pac": whichever word the query is on, two candidates in a row fail.
    cycle = [SCENES[0], SCENES[2], SCENES[2], SCENES[3], SCENES[3]]
    lines = add_events([event_line(n, narrative="", **cycle[n % 5]) for n in range(11)])
    expected = [line["id"] for n, line in enumerate(lines) if n % 5 == 0]
    sent: list[httpx.Request] = []
    client = make_client("operator", http_client=requests_counted(sent))
    first = client.events.list(q="person pac", limit=2)
    assert first.total_exact is False and first.has_next_page() and len(first.data) < 2
    pages = [first]
    while pages[-1].has_next_page():
        following = pages[-1].next_page()
        assert following is not None
        pages.append(following)
    assert [event.id for page in pages for event in page.data] == expected
    assert any(not page.data and page.next_cursor for page in pages), "an empty page that is not the last"
    sent.clear()
    assert [event.id for event in client.events.list(q="person pac", limit=2)] == expected
    assert len(sent) == len(pages)

    async def walk() -> list[str]:
        async with novavms.AsyncClient(api_key=token("operator"), base_url=gateway_url) as other:
            return [event.id async for event in other.events.list(q="person pac", limit=2)]

    assert asyncio.run(walk()) == expected


# -- the change feed ------------------------------------------------------------------------------------


def test_the_change_feed_is_paged_until_drained_sync_and_async(
    make_client: MakeClient, gateway_url: str, token: Token, add_events: AddEvents
) -> None:
    os.environ["EVENTS_CHANGES_SETTLE_SECONDS"] = "0"
    reset_caches()
    lines = add_events([event_line(n) for n in range(9)])
    sent: list[httpx.Request] = []
    client = make_client("operator", http_client=requests_counted(sent))
    client.events.update(lines[0]["id"], starred=True)

    changes = list(client.events.changes(limit=4))
    assert sorted(str(change.event_id) for change in changes[:9]) == sorted(line["id"] for line in lines)
    assert [change.type for change in changes] == ["event.created"] * 9 + ["event.updated"]
    assert len(sent) == 1 + 4, "the PATCH; three pages of changes, then the empty one that ends the walk"
    updated = changes[-1]
    assert isinstance(updated, novavms.Change) and isinstance(updated.actor, novavms.Actor)
    assert updated.changed == ["starred"] and updated.previous == {"starred": False}
    assert isinstance(updated.event, novavms.Event) and updated.event.starred is True
    assert updated.event.snapshot_url is None and updated.at.tzinfo is not None

    last = client.events.changes(types=["event.updated"])
    assert [change.id for change in last.data] == [updated.id] and last.next_cursor
    polled = client.events.changes(cursor=last.next_cursor, types=["event.updated"])
    assert polled.data == [] and polled.next_cursor and not polled.has_next_page()

    async def walk() -> list[str]:
        async with novavms.AsyncClient(
            api_key=token("viewer", sites=[SITE_A]), base_url=gateway_url
        ) as viewer:
            return [change.id async for change in viewer.events.changes(limit=3, types=["event.created"])]

    assert asyncio.run(walk()) == [change.id for change in changes[:9]]

    os.environ["EVENTS_CHANGES_RETENTION_SECONDS"] = "1"
    reset_caches()
    time.sleep(1.5)
    with pytest.raises(novavms.GoneError) as gone:
        client.events.changes(cursor=last.next_cursor, types=["event.updated"])
    assert gone.value.status == 410 and gone.value.code == "gone"


# -- the way in for recording gateways: upsert, ingest, media uploads ------------------------------------


@pytest.fixture
def ingest_key(make_client: MakeClient) -> str:
    """The secret of a fresh ingest key of the test's org (made as an admin user makes it)."""
    key = make_client("admin").keys.create(name="gateway site A", role="ingest")
    assert key.secret is not None and key.role == "ingest"
    return key.secret


def test_upsert_creates_then_updates_then_leaves_unchanged(
    make_client: MakeClient, ingest_key: str, gateway_url: str
) -> None:
    gateway = make_client(api_key=ingest_key)
    line = event_line(0, ai_status="pending", summary=None, narrative=None, tags=[])
    event_id, body = line["id"], {k: v for k, v in line.items() if k != "id"}
    body["triggered_at"] = datetime(2026, 4, 21, 15, 45, 22, tzinfo=timezone(timedelta(hours=2)))

    created = gateway.events.upsert(event_id, body)
    assert isinstance(created, novavms.UpsertResult) and (created.id, created.status) == (event_id, "created")
    assert gateway.events.upsert(event_id, body).status == "unchanged"

    operator = make_client("operator")
    operator.events.update(event_id, acknowledged=True, notes="seen")
    completed = {**body, "ai_status": "completed", "narrative": "A courier at the dock.", "tags": ["person"]}
    assert gateway.events.upsert(event_id, completed, idempotency_key="reload-1").status == "updated"
    assert (
        gateway.events.upsert(event_id, completed, idempotency_key="reload-1").status == "updated"
    )  # replay

    event = operator.events.get(event_id)
    assert event.triggered_at == datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC)
    assert event.ai_status == "completed" and event.tags == ["person"]
    assert event.acknowledged and event.notes == "seen", "a re-load keeps what operators did"


def test_ingest_reports_a_mixed_batch_in_input_order(make_client: MakeClient, ingest_key: str) -> None:
    gateway = make_client(api_key=ingest_key)
    same, kept = event_line(0), event_line(1)
    gateway.events.ingest([same, kept])
    no_id = {k: v for k, v in event_line(2).items() if k != "id"}
    fresh, duplicate = event_line(3), event_line(4)
    batch = [
        same,  # 0: the same again
        event_line(5, trigger_type="explosion", snapshot_url="https://x/y.jpg"),  # 1: invalid
        no_id,  # 2: no usable id
        fresh,  # 3
        {**kept, "summary": "revised"},  # 4
        duplicate,  # 5: superseded by 6
        {**duplicate, "summary": "the last wins"},  # 6
    ]
    result = gateway.events.ingest(iter(batch))  # any iterable
    assert isinstance(result, novavms.IngestResult)
    assert [(item.id, item.status) for item in result.results] == [
        (same["id"], "unchanged"),
        (batch[1]["id"], "invalid"),
        (None, "invalid"),
        (fresh["id"], "created"),
        (kept["id"], "updated"),
        (duplicate["id"], "superseded"),
        (duplicate["id"], "created"),
    ]
    bad = result.results[1].errors or {}
    assert {"trigger_type", "snapshot_url"} <= set(bad), bad
    assert result.results[2].index == 2 and result.results[2].errors
    assert result.results[5].superseded_by == 6
    counts = (result.created, result.updated, result.unchanged, result.invalid, result.superseded)
    assert counts == (2, 1, 1, 2, 1)
    admin = make_client("admin")
    assert admin.events.get(duplicate["id"]).summary == "the last wins"
    assert admin.events.get(kept["id"]).summary == "revised"
    with pytest.raises(novavms.NotFoundError):
        admin.events.get(batch[1]["id"])
    with pytest.raises(novavms.ValidationError) as empty:
        gateway.events.ingest([])
    assert "events" in empty.value.fields


def test_ingest_of_more_than_500_events_is_sent_in_batches_and_reported_as_one(
    make_client: MakeClient, ingest_key: str, token: Token
) -> None:
    sent: list[httpx.Request] = []
    gateway = make_client(api_key=ingest_key, http_client=requests_counted(sent))
    lines = [event_line(n % 600) for n in range(1203)]
    lines[1100] = {k: v for k, v in lines[1100].items() if k != "id"}  # reported with its index
    read: list[int] = []

    def events() -> Iterator[dict[str, Any]]:
        for n, line in enumerate(lines):
            read.append(n)
            yield line

    result = gateway.events.ingest(events(), idempotency_key=f"bulk-{uuid.uuid4()}")
    assert [request.url.path for request in sent] == ["/api/v1/events/ingest"] * 3
    assert [len(json.loads(request.content)["events"]) for request in sent] == [500, 500, 203]
    keys = [request.headers["idempotency-key"] for request in sent]
    assert keys[1] == keys[0] + "/1" and keys[2] == keys[0] + "/2"
    assert (result.created, result.invalid, len(result.results)) == (1202, 1, 1203)
    assert result.results[1100].id is None and result.results[1100].index == 1100
    assert [item.id for item in result.results[:1100]] == [line["id"] for line in lines[:1100]]
    assert make_client("admin").events.list(limit=1).total == 1202


def test_async_ingest_takes_an_async_iterable(gateway_url: str, ingest_key: str, token: Token) -> None:
    lines = [event_line(n) for n in range(501)]

    async def events() -> Any:
        for line in lines:
            yield line

    async def run() -> novavms.IngestResult:
        async with novavms.AsyncClient(api_key=ingest_key, base_url=gateway_url) as client:
            return await client.events.ingest(events())

    result = asyncio.run(run())
    assert result.created == 501 and [item.id for item in result.results] == [line["id"] for line in lines]


def test_upload_media_puts_the_files_to_storage_and_the_event_serves_them(
    make_client: MakeClient, ingest_key: str, tmp_path: Path
) -> None:
    sent: list[httpx.Request] = []
    gateway = make_client(api_key=ingest_key, http_client=requests_counted(sent))
    line = event_line(0)
    snapshot = b"\xff\xd8\xff\xe0" + os.urandom(2048)
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"\x00\x00\x00\x18ftypmp42" + os.urandom(300_000))

    objects = gateway.events.upload_media(line["id"], snapshot=snapshot, clip=clip)
    assert isinstance(objects, novavms.MediaObjects)
    for name in (objects.snapshot_object, objects.clip_object):
        assert name is not None and name.startswith(f"uploads/{line['id']}/")
    puts = [request for request in sent if request.method == "PUT"]
    assert len(puts) == 2 and all("authorization" not in request.headers for request in puts)
    by_type = {request.headers["content-type"]: request for request in puts}
    assert by_type["image/jpeg"].headers["x-goog-content-length-range"] == "0,5242880"
    assert by_type["video/mp4"].headers["content-length"] == str(clip.stat().st_size)

    assert gateway.events.upsert(line["id"], {**line, **objects.event_fields()}).status == "created"
    event = make_client("admin").events.get(line["id"])
    assert event.snapshot_url and event.clip_url
    assert httpx.get(event.snapshot_url).content == snapshot
    assert httpx.get(event.clip_url).content == clip.read_bytes()


def test_async_upload_media_uploads_both_files(gateway_url: str, ingest_key: str) -> None:
    event_id = str(uuid.uuid4())

    async def run() -> novavms.MediaObjects:
        async with novavms.AsyncClient(api_key=ingest_key, base_url=gateway_url) as client:
            return await client.events.upload_media(event_id, snapshot=b"\xff\xd8jpeg", clip=b"mp4")

    objects = asyncio.run(run())
    assert set(objects.event_fields()) == {"snapshot_object", "clip_object"}
    assert objects.snapshot_object != objects.clip_object


def test_ingest_errors_are_typed(make_client: MakeClient, ingest_key: str) -> None:
    viewer = make_client("viewer")
    line = event_line(0)
    for call in (
        lambda: viewer.events.upsert(line["id"], line),
        lambda: viewer.events.ingest([line]),
        lambda: viewer.events.upload_urls(line["id"]),
    ):
        with pytest.raises(novavms.PermissionDeniedError):
            call()
    gateway = make_client(api_key=ingest_key)
    with pytest.raises(novavms.PermissionDeniedError):
        gateway.events.list()  # an ingest key may only ingest
    with pytest.raises(novavms.ValidationError) as invalid:
        gateway.events.upsert(line["id"], {**line, "colour": "red", "snapshot_object": "uploads/other/x"})
    assert {"colour", "snapshot_object"} <= set(invalid.value.fields)
    too_many = novavms._operations.call("ingest_events", json={"events": [line] * 501})
    with pytest.raises(novavms.PayloadTooLargeError):
        gateway._json(too_many)  # what ingest() never sends: it splits


def test_an_ingest_over_the_budget_is_refused_whole_or_reports_what_was_written(
    make_client: MakeClient, ingest_key: str
) -> None:
    os.environ["EVENTS_INGEST_RATE_LIMIT_PER_MINUTE"] = "600"
    reset_caches()
    gateway = make_client(api_key=ingest_key, max_retries=0)
    lines = [event_line(n) for n in range(1000)]
    with pytest.raises(novavms.IngestIncompleteError) as stopped:
        gateway.events.ingest(lines)
    incomplete = stopped.value
    assert isinstance(incomplete.error, novavms.RateLimitError) and incomplete.status == 429
    assert incomplete.retry_after is not None and incomplete.retry_after > 0
    assert incomplete.sent == 500 and incomplete.result.created == 500
    with pytest.raises(novavms.RateLimitError):  # nothing written: the error as the server gave it
        gateway.events.ingest(lines[500:])
    assert make_client("admin").events.list(limit=1).total == 500

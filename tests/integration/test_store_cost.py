"""What a request costs the store, exactly, derived from what the request must do: read from the
``X-Store-Cost`` header the test stack turns on and, for a streamed export whose reads follow its
headers, from the request's log line, written once the body has been sent.

A list page reads its N+1 documents with one query and one count per chunk of sites, issued together;
a GET reads the event and one neighbour each way; a PATCH is one transaction (begin, one read of the
event and of the org's webhook endpoints document, commit of the event, its history entry, its change
record and a delivery per matching endpoint) and the neighbour reads; an export counts, then reads its
N rows in pages of C (ceil(N/C) queries, N documents); a batch reads its events (and the endpoints
document) in one call and writes each change with its history entry and change record in one commit;
an ingest batch reads its events (and the endpoints document) in one call (a site-scoped key's first
reads their stored sites in one more) and commits only the events that changed, with their change
records. The limiter's and idempotency's calls are reported apart.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from shared.api.responses import REQUEST_ID_HEADER
from shared.store.meter import STORE_COST_HEADER, parse_header
from tests.integration.conftest import SITE_A, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]
# The limiter's lease of a slice (a fresh org's first request in a window): one write, an atomic
# increment of the window's document, read nothing.
LEASE = {"rpcs": 1, "documents": 0, "counted": 0, "billed": 0, "writes": 1}
# Every write of events also reads the org's webhook endpoints document, in the same read as the
# events (no RPC of its own): without endpoints it is absent, one billed read.
NO_ENDPOINTS = {"rpcs": 0, "documents": 0, "counted": 0, "billed": 1, "writes": 0}


def usage(rpcs: int, documents: int, billed: int, counted: int = 0, writes: int = 0) -> dict[str, int]:
    return {"rpcs": rpcs, "documents": documents, "counted": counted, "billed": billed, "writes": writes}


def cost(answer: requests.Response) -> dict[str, dict[str, int]]:
    assert answer.status_code == 200, answer.text
    return parse_header(answer.headers[STORE_COST_HEADER])


class Lines(logging.Handler):
    """The service's structured log lines, as they are written."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[dict[str, Any]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.entries.append(dict(getattr(record, "structured", {})))

    def of_request(self, request_id: str, wait_seconds: float = 30.0) -> dict[str, Any]:
        """The request's line; a streamed answer's is written just after its last byte, so it may
        follow the client's read by a moment (bounded wait, not a timing assertion)."""
        deadline = time.monotonic() + wait_seconds
        while time.monotonic() < deadline:
            found = [entry for entry in self.entries if entry.get("request_id") == request_id]
            if found:
                assert len(found) == 1, f"one log line per request: {found}"
                return found[0]
            time.sleep(0.02)
        raise AssertionError(f"no log line for request {request_id}")


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    from shared.edge.logs import logger

    handler = Lines()
    logger().addHandler(handler)
    try:
        yield handler
    finally:
        logger().removeHandler(handler)


class Windows:
    """Made before an org's first request: whether a later request may have met a new rate-limit
    window (then it leases again; without a new window the first slice, 6 of the default 600 a
    minute, covers the test's few requests)."""

    def __init__(self) -> None:
        self.first = int(time.time()) // 60

    def assert_no_lease_unless_a_new_one(self, answer: requests.Response) -> None:
        limiter = cost(answer).get("rate_limit")
        assert limiter is None or (int(time.time()) // 60 != self.first and limiter == LEASE), limiter


def test_a_list_page_reads_n_plus_one_documents_with_one_query_and_one_count(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    add_events([event_line(n) for n in range(50)])
    operator = token("operator")
    windows = Windows()
    first = api.get(EVENTS, operator, params={"limit": 20})
    assert cost(first) == {"events": usage(2, 21, 22, counted=50), "rate_limit": LEASE}
    last = api.get(EVENTS, operator, params={"limit": 20, "cursor": first.json()["next_cursor"]})
    second = api.get(EVENTS, operator, params={"limit": 20, "cursor": last.json()["next_cursor"]})
    # Later pages carry the first page's total in their cursor: no count, only the page query.
    assert cost(second)["events"] == usage(1, 10, 10)
    windows.assert_no_lease_unless_a_new_one(second)
    filtered = api.get(EVENTS, operator, params={"limit": 100, "trigger_type": "motion"})
    assert cost(filtered)["events"] == usage(2, 0, 2)  # an empty query and an empty count bill one each
    windows.assert_no_lease_unless_a_new_one(filtered)


def test_a_get_reads_the_event_and_one_neighbour_each_way(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(5)])
    answer = api.get(f"{EVENTS}/{lines[2]['id']}", token("viewer", sites=[lines[2]["site_id"]]))
    body = answer.json()
    assert (body["prev_event_id"], body["next_event_id"]) == (lines[1]["id"], lines[3]["id"])
    assert cost(answer) == {"events": usage(3, 3, 3), "rate_limit": LEASE}


def test_a_viewer_of_45_sites_costs_one_query_and_one_count_per_chunk(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    sites = [str(uuid.uuid4()) for _ in range(45)]
    lines = add_events([event_line(n, site_id=sites[n % 45]) for n in range(90)])
    viewer = token("viewer", sites=sites)
    answer = api.get(EVENTS, viewer, params={"limit": 20})
    assert answer.json()["total"] == 90 and len(answer.json()["data"]) == 20
    # two chunks (30 + 15 sites), each read (up to N+1: it cannot know the split) and counted
    assert cost(answer)["events"] == usage(4, 2 * 21, 2 * 21 + 2, counted=90)
    # Event 44: the 44 newer and the 45 older events each span every site, so whichever sites the
    # chunks hold, both neighbour reads of each chunk find their one neighbour.
    detail = api.get(f"{EVENTS}/{lines[44]['id']}", viewer)
    # the event, then both neighbour reads per chunk
    assert cost(detail)["events"] == usage(1 + 2 * 2, 1 + 2 * 2, 1 + 2 * 2)


def test_a_patch_is_one_transaction_and_the_neighbour_reads(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(5)])
    operator = token("operator")
    windows = Windows()
    patched = api.patch(f"{EVENTS}/{lines[2]['id']}", operator, json={"starred": True})
    # begin, read (the event and the webhook endpoints document), commit (the event, its history entry
    # and its change record), then the two neighbour queries
    assert cost(patched) == {
        "events": usage(5, 3, 3, writes=3),
        "webhooks": NO_ENDPOINTS,
        "rate_limit": LEASE,
    }
    keyed = api.patch(
        f"{EVENTS}/{lines[3]['id']}",
        operator,
        json={"notes": "checked"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    spent = cost(keyed)
    # the key's record is claimed in a transaction of its own (absent: one billed read, one write);
    # the change's transaction also completes it (a fourth write)
    assert spent["idempotency"] == usage(3, 0, 1, writes=1)
    assert spent["events"] == usage(5, 3, 3, writes=4)
    windows.assert_no_lease_unless_a_new_one(keyed)
    unchanged = api.patch(f"{EVENTS}/{lines[2]['id']}", operator, json={"starred": True})
    assert cost(unchanged)["events"] == usage(5, 3, 3)  # the transaction commits nothing
    endpoint = {"url": "http://127.0.0.1:9/hooks", "event_types": ["event.updated"]}
    assert api.post("/api/v1/webhook-endpoints", token("admin"), json=endpoint).status_code == 201
    hooked = cost(api.patch(f"{EVENTS}/{lines[1]['id']}", operator, json={"starred": True}))
    # with an endpoint the same read returns its document, and the commit adds its delivery
    assert hooked["events"] == usage(5, 3, 3, writes=4)
    assert hooked["webhooks"] == usage(0, 1, 1)


def test_a_streamed_export_reports_its_whole_scan_in_its_log_line(
    api: Api, token: Token, add_events: AddEvents, log_lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.exports import export

    monkeypatch.setattr(export, "READ_PAGE", 20)  # 50 rows in pages of 20: 3 queries
    add_events([event_line(n) for n in range(50)])
    answer = api.get(f"{EVENTS}/export", token("operator"))
    assert answer.status_code == 200 and len(answer.text.splitlines()) == 1 + 50
    # The header leaves before the body: what was spent until then, the count (50 entries, 1 read).
    assert cost(answer)["events"] == usage(1, 0, 1, counted=50)
    line = log_lines.of_request(answer.headers[REQUEST_ID_HEADER])
    assert line["body_sent"] is True
    # The count, then 3 page queries reading exactly the 50 rows (no page reads past the count).
    assert line["store"]["events"] == usage(1 + 3, 50, 1 + 50, counted=50)
    assert line["store"]["rate_limit"] == LEASE


def test_a_limited_export_reads_only_its_rows(
    api: Api, token: Token, add_events: AddEvents, log_lines: Lines, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.exports import export

    monkeypatch.setattr(export, "READ_PAGE", 20)
    add_events([event_line(n) for n in range(50)])
    answer = api.get(f"{EVENTS}/export", token("operator"), params={"limit": 40})
    assert answer.status_code == 200 and len(answer.text.splitlines()) == 1 + 40
    line = log_lines.of_request(answer.headers[REQUEST_ID_HEADER])
    # counted up to the limit and one more (41 entries), then 2 pages of 20
    assert line["store"]["events"] == usage(1 + 2, 40, 1 + 40, counted=41)


def test_a_batch_reads_its_events_in_one_call_and_writes_them_in_one_commit(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n, trigger_type="motion") for n in range(3)])
    add_events([event_line(10 + n) for n in range(2)])  # not motion
    operator = token("operator")
    windows = Windows()
    by_ids = api.post(
        f"{EVENTS}/batch-update",
        operator,
        json={"ids": [line["id"] for line in lines[:2]], "changes": {"starred": True}},
    )
    assert by_ids.json()["changed"] == 2
    # one read of both events (and the webhook endpoints document), one commit of each change, its
    # history entry and its change record
    assert cost(by_ids) == {"events": usage(2, 2, 2, writes=6), "webhooks": NO_ENDPOINTS, "rate_limit": LEASE}
    by_filter = api.post(
        f"{EVENTS}/batch-update",
        operator,
        json={"filter": {"trigger_type": "motion"}, "changes": {"acknowledged": True}},
    )
    assert by_filter.json()["changed"] == 3
    # the count (3 entries), one page of exactly the 3 ids, the chunk's read, one commit
    assert cost(by_filter)["events"] == usage(4, 3 + 3, 1 + 3 + 3, counted=3, writes=9)
    assert cost(by_filter)["webhooks"] == NO_ENDPOINTS
    windows.assert_no_lease_unless_a_new_one(by_filter)


def test_the_header_is_off_unless_configured(api: Api, token: Token, log_lines: Lines) -> None:
    os.environ["EVENTS_STORE_COST_HEADER"] = "false"
    reset_caches()
    answer = api.get(EVENTS, token("viewer", sites=[event_line()["site_id"]]))
    assert answer.status_code == 200 and STORE_COST_HEADER not in answer.headers
    line = log_lines.of_request(answer.headers[REQUEST_ID_HEADER])
    assert line["store"] == {"events": usage(2, 0, 2), "rate_limit": LEASE}, "the log line still has it"


def test_an_ingest_batch_reads_its_events_in_one_call_and_writes_them_in_one_commit(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    (existing,) = add_events([event_line(0)])
    admin = token("admin")
    lines = [event_line(n + 1) for n in range(3)]
    windows = Windows()
    created = api.post(f"{EVENTS}/ingest", admin, json={"events": [*lines, existing]})
    assert created.json()["created"] == 3 and created.json()["unchanged"] == 1
    # one read of the four ids (the one that exists is billed), one commit of the three new events
    # and their change records; the unchanged one writes nothing. The same read takes the org's webhook
    # endpoints document (absent: one billed read). The ingest budget leases its slice.
    assert cost(created) == {
        "events": usage(2, 1, 1, writes=6),
        "webhooks": NO_ENDPOINTS,
        "rate_limit": LEASE,
    }
    again = api.post(f"{EVENTS}/ingest", admin, json={"events": [*lines, {**existing, "summary": "new"}]})
    assert again.json()["unchanged"] == 3 and again.json()["updated"] == 1
    # the four are read; only the changed one is written, with its change record
    assert cost(again)["events"] == usage(2, 4, 4, writes=2)
    windows.assert_no_lease_unless_a_new_one(again)
    unchanged = api.call("PUT", f"{EVENTS}/{existing['id']}", admin, json={**existing, "summary": "new"})
    assert unchanged.json()["status"] == "unchanged"
    # begin, read, and a commit of nothing
    assert parse_header(unchanged.headers[STORE_COST_HEADER])["events"] == usage(3, 1, 1)
    key = api.post("/api/v1/keys", admin, json={"name": "gw", "role": "ingest", "site_ids": [SITE_A]})
    scoped = api.post(f"{EVENTS}/ingest", key.json()["secret"], json={"events": lines})
    assert scoped.json()["unchanged"] == 3
    # a site-scoped key's request first reads the stored sites of its ids (one call), then the chunk
    assert cost(scoped)["events"] == usage(2, 6, 6)

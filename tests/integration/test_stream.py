"""GET /api/v1/events/stream on the real emulators, read by an SSE reader over httpx: messages in
change-log order with the feed's ids and views; resume with Last-Event-ID after a forced drop;
writers while streams drop at random; org and viewer scope; heartbeat, max duration and the reset;
tickets; the per-org limit."""

from __future__ import annotations

import json
import os
import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from shared.store.client import firestore_client
from shared.timefmt import parse_rfc3339
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
STREAM = f"{EVENTS}/stream"
FEED = f"{EVENTS}/changes"
TICKETS = "/api/v1/stream-tickets"


@dataclass
class Message:
    """One SSE message (``comment`` for a comment line)."""

    id: str | None = None
    event: str | None = None
    data: str = ""
    retry: int | None = None
    comment: str | None = None

    @property
    def change(self) -> dict[str, Any]:
        body: dict[str, Any] = json.loads(self.data)
        return body


def sse(lines: Iterator[str]) -> Iterator[Message]:
    """The messages (and comments) of an event stream, parsed as the SSE spec says."""
    current = Message()
    data: list[str] = []
    for line in lines:
        if line == "":
            if data or current.retry is not None or current.id is not None:
                current.data = "\n".join(data)
                yield current
            current, data = Message(), []
            continue
        if line.startswith(":"):
            yield Message(comment=line[1:].strip())
            continue
        name, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if name == "data":
            data.append(value)
        elif name == "id":
            current.id = value
        elif name == "event":
            current.event = value
        elif name == "retry":
            current.retry = int(value)


@dataclass
class Reader:
    """A stream read in a thread: every message with an id, in order, until it ends or is dropped."""

    base: str
    headers: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    retry: int | None = None
    opening_id: str | None = None
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    ended: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)
    drop: threading.Event = field(default_factory=threading.Event)
    body: str = ""
    answer: httpx.Response | None = None

    def start(self) -> Reader:
        threading.Thread(target=self._run, daemon=True).start()
        assert self.opened.wait(30), "the stream did not answer"
        return self

    def _run(self) -> None:
        try:
            url = self.base + STREAM
            with (
                httpx.Client(timeout=httpx.Timeout(60, read=120)) as client,
                client.stream("GET", url, headers=self.headers, params=self.params) as answer,
            ):
                self.status, self.response_headers = answer.status_code, dict(answer.headers)
                if answer.status_code != 200:
                    self.body = answer.read().decode()
                    return
                self.opened.set()
                for message in sse(answer.iter_lines()):
                    if message.comment is not None:
                        self.comments.append(message.comment)
                    elif message.retry is not None and message.event is None and not message.data:
                        self.retry, self.opening_id = message.retry, message.id
                    else:
                        self.messages.append(message)
                    if self.drop.is_set():
                        return
        except (httpx.HTTPError, OSError, ValueError):  # a drop the test forced
            pass
        finally:
            self.opened.set()
            self.ended.set()

    def close(self) -> None:
        """Drop the connection (as a network failure would)."""
        self.drop.set()
        if self.answer is not None:
            self.answer.close()
        self.ended.wait(30)

    def wait_for(self, count: int, seconds: float = 30) -> list[Message]:
        deadline = time.monotonic() + seconds
        while len(self.messages) < count and time.monotonic() < deadline and not self.ended.is_set():
            time.sleep(0.05)
        return list(self.messages)

    @property
    def last_id(self) -> str | None:
        return self.messages[-1].id if self.messages else None


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def configure(**values: int) -> None:
    """Run the service (in this process, behind the gateway) with these settings."""
    for name, value in values.items():
        os.environ[f"EVENTS_{name.upper()}"] = str(value)
    reset_caches()


def put_event(api: Api, admin: str, line: dict[str, Any]) -> None:
    answer = api.call("PUT", f"{EVENTS}/{line['id']}", admin, json=line)
    assert answer.status_code in (200, 201), answer.text


@pytest.fixture(autouse=True)
def _quick() -> None:
    configure(changes_settle_seconds=1, stream_heartbeat_seconds=2, stream_max_seconds=600)


def test_ingest_patch_delete_restore_arrive_in_change_log_order_as_the_feed_shows_them(
    api: Api, token: Token
) -> None:
    admin = token("admin")
    reader = Reader(api.base, bearer(admin)).start()
    time.sleep(0.5)  # the opening frame is read
    line = event_line(0)
    put_event(api, admin, line)
    event = f"{EVENTS}/{line['id']}"
    assert api.patch(event, admin, json={"acknowledged": True}).status_code == 200
    assert api.delete(event, admin).status_code in (200, 204)
    assert api.post(f"{event}/restore", admin).status_code == 200
    got = reader.wait_for(4)
    assert [m.event for m in got] == ["event.created", "event.updated", "event.deleted", "event.restored"]
    assert reader.retry == 2000
    assert reader.response_headers["content-type"].startswith("text/event-stream")
    assert reader.response_headers["cache-control"] == "no-store"
    feed = api.feed_after(admin, None)
    assert [m.change for m in got] == feed[-4:]
    # an SSE id is a feed cursor: after the first message the feed shows exactly the other three
    assert api.feed_after(admin, got[0].id) == [m.change for m in got[1:]]
    # the opening names where the stream started: a reader dropped before its first change resumes
    # there and misses nothing
    assert reader.opening_id is not None and api.feed_after(admin, reader.opening_id) == [
        m.change for m in got
    ]
    reader.close()


def settled_cursor(api: Api, value: str) -> tuple[str, list[str]]:
    """The feed's cursor after every change made so far (waiting out the settle window), and their ids."""
    time.sleep(1.2)
    ids: list[str] = []
    cursor: str | None = None
    while True:
        answer = api.get(FEED, value, params={"cursor": cursor} if cursor else {})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [change["id"] for change in body["data"]]
        cursor = body["next_cursor"]
        if not body["data"]:
            return cursor, ids


def stored_change_ids(org: str) -> set[str]:
    records = firestore_client().collection("orgs").document(org).collection("changes")
    return {snap.id for snap in records.stream()}


def test_a_reconnect_with_last_event_id_after_a_forced_drop_gets_exactly_the_missed_changes(
    api: Api, token: Token
) -> None:
    admin = token("admin")
    first = Reader(api.base, bearer(admin)).start()
    lines = [event_line(n) for n in range(5)]
    for line in lines[:2]:
        put_event(api, admin, line)
    before = first.wait_for(2)
    assert len(before) == 2
    first.close()
    for line in lines[2:]:
        put_event(api, admin, line)
    again = Reader(api.base, {**bearer(admin), "Last-Event-ID": str(before[-1].id)}).start()
    missed = again.wait_for(3)
    assert [m.change["event_id"] for m in missed] == [line["id"] for line in lines[2:]]
    # Last-Event-ID wins over a cursor
    third = Reader(
        api.base, {**bearer(admin), "Last-Event-ID": str(missed[0].id)}, {"cursor": str(before[0].id)}
    ).start()
    assert [m.id for m in third.wait_for(2)] == [m.id for m in missed[1:]]
    again.close()
    third.close()


def test_eight_writers_while_streams_drop_at_random_each_stream_gets_every_change_once(
    api: Api, token: Token, org: str
) -> None:
    admin, operator = token("admin"), token("operator")
    lines = [event_line(n) for n in range(16)]
    for line in lines:
        put_event(api, admin, line)
    start, before = settled_cursor(api, admin)
    writing = threading.Event()
    writing.set()
    failures: list[str] = []

    def writer(number: int) -> None:
        chooser = random.Random(number)
        with httpx.Client(timeout=60) as client:
            for write in range(5):
                line = chooser.choice(lines)
                answer = client.patch(
                    f"{api.base}{EVENTS}/{line['id']}",
                    json={"notes": f"writer {number} write {write}"},
                    headers=bearer(operator),
                )
                if answer.status_code != 200:
                    failures.append(answer.text)

    received: dict[int, list[str]] = {0: [], 1: []}

    def follower(number: int, expected: threading.Event) -> None:
        chooser, last = random.Random(100 + number), start
        while not expected.is_set():
            reader = Reader(api.base, {**bearer(admin), "Last-Event-ID": last}).start()
            reader.wait_for(chooser.randint(1, 6), seconds=3)
            reader.close()  # a drop at a random point of the stream
            got = list(reader.messages)
            received[number] += [m.change["id"] for m in got]
            if got:
                last = str(got[-1].id)

    done = threading.Event()
    followers = [threading.Thread(target=follower, args=(n, done)) for n in received]
    for thread in followers:
        thread.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    assert not failures, failures
    written = stored_change_ids(org) - set(before)
    assert len(written) == 40
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not all(set(ids) >= written for ids in received.values()):
        time.sleep(0.2)
    done.set()
    for thread in followers:
        thread.join(60)
    for ids in received.values():
        assert set(ids) == written
        assert len(ids) == len(set(ids)), "a change came twice"


def test_org_and_viewer_scope(api: Api, token: Token) -> None:
    admin, viewer = token("admin"), token("viewer", sites=[SITE_A])
    other_org_admin = token("admin", org_id="org-elsewhere-" + os.urandom(4).hex())
    mine = Reader(api.base, bearer(viewer)).start()
    other = Reader(api.base, bearer(other_org_admin)).start()
    on_b, on_a = event_line(0, site_id=SITE_B), event_line(1)
    put_event(api, admin, on_b)
    put_event(api, admin, on_a)
    assert api.patch(f"{EVENTS}/{on_a['id']}", admin, json={"starred": True}).status_code == 200
    got = mine.wait_for(2)
    assert [m.change["event_id"] for m in got] == [on_a["id"], on_a["id"]]
    # the viewer's messages are the feed's, as that viewer sees it (ids are the viewer's cursors)
    assert [m.change for m in got] == api.feed_after(viewer, None)[-2:]
    assert other.wait_for(1, seconds=2) == []
    outside = Reader(api.base, bearer(viewer), {"site_id": SITE_B}).start()
    assert outside.status == 403
    refused = Reader(api.base, bearer(viewer), {"since": "2026-01-01T00:00:00Z"}).start()
    assert refused.status == 400
    mine.close()
    other.close()


def test_heartbeats_then_a_clean_close_after_the_max_duration(api: Api, token: Token) -> None:
    configure(stream_heartbeat_seconds=1, stream_max_seconds=3)
    reader = Reader(api.base, bearer(token("viewer", sites=[SITE_A]))).start()
    assert reader.ended.wait(30), "the stream did not close"
    assert reader.status == 200 and reader.retry == 2000
    assert "heartbeat" in reader.comments
    assert reader.messages == []


def test_the_stream_closes_at_the_tokens_expiry(api: Api, token: Token) -> None:
    configure(stream_heartbeat_seconds=1)
    reader = Reader(api.base, bearer(token("operator", ttl=3))).start()
    assert reader.ended.wait(30), "the stream outlived its token"
    assert reader.status == 200


def test_a_cursor_past_the_retention_gets_one_reset_naming_the_head_then_the_close(
    api: Api, token: Token
) -> None:
    admin = token("admin")
    put_event(api, admin, event_line(0))
    old, _ = settled_cursor(api, admin)
    configure(changes_retention_seconds=1)
    time.sleep(1.5)
    reader = Reader(api.base, bearer(admin), {"cursor": old}).start()
    assert reader.ended.wait(30)
    assert [m.event for m in reader.messages] == ["reset"]
    head = str(reader.messages[0].id)
    configure(changes_retention_seconds=600)
    later = event_line(1)
    put_event(api, admin, later)
    time.sleep(1.2)
    assert [c["event_id"] for c in api.feed_after(admin, head)] == [later["id"]]


def test_tickets_single_use_expiry_scope_and_reopening_with_the_last_id(api: Api, token: Token) -> None:
    admin, viewer = token("admin"), token("viewer", sites=[SITE_A])

    def ticket(value: str) -> str:
        answer = api.post(TICKETS, value)
        assert answer.status_code == 201, answer.text
        assert set(answer.json()) == {"ticket", "expires_at"}
        found: str = answer.json()["ticket"]
        return found

    first = ticket(viewer)
    reader = Reader(api.base, {}, {"ticket": first}).start()
    assert reader.status == 200
    on_a, on_b = event_line(0), event_line(1, site_id=SITE_B)
    put_event(api, admin, on_b)
    put_event(api, admin, on_a)
    got = reader.wait_for(1)
    assert [m.change["event_id"] for m in got] == [on_a["id"]]  # the ticket carries the viewer's sites
    reader.close()
    spent = Reader(api.base, {}, {"ticket": first}).start()
    assert spent.status == 401
    assert api.patch(f"{EVENTS}/{on_a['id']}", admin, json={"starred": True}).status_code == 200
    reopened = Reader(api.base, {}, {"ticket": ticket(viewer), "cursor": str(got[-1].id)}).start()
    missed = reopened.wait_for(1)
    assert [(m.event, m.change["event_id"]) for m in missed] == [("event.updated", on_a["id"])]
    reopened.close()
    configure(stream_ticket_seconds=1)
    lapsed = ticket(viewer)
    time.sleep(1.5)
    assert Reader(api.base, {}, {"ticket": lapsed}).start().status == 401
    assert Reader(api.base, {}, {"ticket": "st_made-up"}).start().status == 401
    # no other route takes a credential in the URL
    answer = api.get(FEED, None, params={"ticket": ticket(viewer)})
    assert answer.status_code == 400 and "ticket" in answer.json()["fields"]
    key = api.call("POST", "/api/v1/keys", admin, json={"name": "gateway", "role": "ingest"})
    assert key.status_code == 201, key.text
    assert api.post(TICKETS, key.json()["secret"]).status_code == 403
    assert Reader(api.base, bearer(key.json()["secret"])).start().status == 403


def test_a_stream_opened_with_an_api_key_closes_after_the_keys_revocation(api: Api, token: Token) -> None:
    configure(key_cache_seconds=1, stream_heartbeat_seconds=1)
    admin = token("admin")
    key = api.call(
        "POST", "/api/v1/keys", admin, json={"name": "console", "role": "viewer", "site_ids": [SITE_A]}
    )
    assert key.status_code == 201, key.text
    reader = Reader(api.base, bearer(key.json()["secret"])).start()
    assert reader.status == 200
    assert not reader.ended.wait(2)
    assert api.delete(f"/api/v1/keys/{key.json()['id']}", admin).status_code == 204
    assert reader.ended.wait(30), "the stream outlived its key"


def test_the_org_limit_is_429_with_retry_after_and_a_dropped_stream_frees_its_slot(
    api: Api, token: Token
) -> None:
    configure(stream_max_per_org=2, stream_heartbeat_seconds=1)
    viewer = bearer(token("viewer", sites=[SITE_A]))
    open_ = [Reader(api.base, viewer).start() for _ in range(2)]
    assert [reader.status for reader in open_] == [200, 200]
    refused = Reader(api.base, viewer).start()
    assert refused.status == 429
    assert int(refused.response_headers["retry-after"]) >= 1
    assert json.loads(refused.body)["error"] == "rate_limited"
    open_[0].close()  # the server learns of it at its next heartbeat, and frees the slot
    deadline, status = time.monotonic() + 30, None
    while time.monotonic() < deadline:
        again = Reader(api.base, viewer).start()
        status = again.status
        if status == 200:
            again.close()
            break
        time.sleep(0.5)
    assert status == 200
    open_[1].close()


def test_the_live_page_shows_an_event_ingested_after_it_opened_and_acknowledges_it(
    api: Api, token: Token
) -> None:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from devstack.browser import ensure_chromium

    page = requests_get(api.base + "/live")
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-cache"
    policy = page.headers["Content-Security-Policy"]
    assert policy.startswith("default-src 'self'") and "img-src 'self' data: http" in policy
    assert requests_get(api.base + "/live/swagger-ui-bundle.js").status_code == 404
    assert requests_get(api.base + "/docs/live.js").status_code == 404
    admin, operator = token("admin"), token("operator")
    chromium, driver_path = ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.get(api.base + "/live")
        driver.find_element(By.ID, "token").send_keys(operator)
        driver.find_element(By.CSS_SELECTOR, "#connect button").click()
        wait = WebDriverWait(driver, 60)
        wait.until(lambda d: d.find_element(By.ID, "status").get_attribute("data-state") == "open")
        assert driver.find_element(By.ID, "token").get_attribute("value") == ""  # not kept in the form
        line = event_line(0, summary="Forklift near the loading bay")
        ingested = time.monotonic()
        put_event(api, admin, line)
        row = wait.until(
            lambda d: d.find_elements(By.CSS_SELECTOR, f"tr[data-event-id='{line['id']}']") or False
        )[0]
        appeared = time.monotonic() - ingested
        print(f"the event appeared on the live page {appeared:.2f} s after its ingest")
        cells = [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
        assert cells[0] == line["camera_name"] and cells[2] == line["summary"]
        assert parse_rfc3339(cells[1]) == parse_rfc3339(line["triggered_at"])
        row.find_element(By.CSS_SELECTOR, "button.ack").click()
        wait.until(
            lambda d: (
                d.find_element(By.CSS_SELECTOR, f"tr[data-event-id='{line['id']}'] button.ack").text
                == "Acknowledged"
            )
        )
        assert api.get(f"{EVENTS}/{line['id']}", admin).json()["acknowledged"] is True
    finally:
        driver.quit()


def requests_get(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30)

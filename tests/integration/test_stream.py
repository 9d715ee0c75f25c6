"""GET /api/v1/events/stream on the real emulators, read by an SSE reader over httpx: messages in
change-log order with the feed's ids and views; resume with Last-Event-ID after a forced drop;
writers while streams drop at random; org and viewer scope; heartbeat, max duration and the reset;
tickets; the per-org limit."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.integration.conftest import SITE_A, Api, Token, event_line, reset_caches

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
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    ended: threading.Event = field(default_factory=threading.Event)
    opened: threading.Event = field(default_factory=threading.Event)
    drop: threading.Event = field(default_factory=threading.Event)
    body: str = ""

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
                    elif message.retry is not None and message.id is None:
                        self.retry = message.retry
                    else:
                        self.messages.append(message)
                    if self.drop.is_set():
                        return
        finally:
            self.opened.set()
            self.ended.set()

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


def feed_after(api: Api, value: str, cursor: str | None) -> list[dict[str, Any]]:
    """Every change the feed shows after ``cursor`` (once settled)."""
    changes: list[dict[str, Any]] = []
    while True:
        answer = api.get(FEED, value, params={"cursor": cursor} if cursor else {})
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if not body["data"]:
            return changes
        changes += body["data"]
        cursor = body["next_cursor"]


@pytest.fixture(autouse=True)
def _quick() -> None:
    configure(changes_settle_seconds=1, stream_heartbeat_seconds=2)


def test_ingest_patch_delete_restore_arrive_in_change_log_order_as_the_feed_shows_them(
    api: Api, token: Token
) -> None:
    admin, viewer = token("admin"), token("viewer", sites=[SITE_A])
    head = api.get(FEED, admin, params={"limit": 1}).json()["next_cursor"]
    reader = Reader(api.base, bearer(admin)).start()
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
    feed = feed_after(api, admin, None)
    assert [m.change for m in got] == feed[-4:]
    # an SSE id is a feed cursor: after the first message the feed shows exactly the other three
    assert feed_after(api, admin, got[0].id) == [m.change for m in got[1:]]
    assert head  # the feed's cursor before the stream opened
    reader.drop.set()
    # a viewer sees the same changes, a dismissed event's redacted, with its own ids
    seen = Reader(api.base, bearer(viewer), {"cursor": feed_after_cursor(api, viewer)}).start()
    assert seen.status == 200


def feed_after_cursor(api: Api, value: str) -> str:
    """The feed's cursor at its oldest change kept (a cursor this caller may use)."""
    answer = api.get(FEED, value, params={"limit": 1, "since": "2000-01-01T00:00:00Z"})
    assert answer.status_code == 200, answer.text
    cursor: str = answer.json()["next_cursor"]
    return cursor

"""Both clients' live stream (``client.events.stream``) against the real local stack: the sync and
async Python iterators get ingest, PATCH, DELETE and restore changes in the change log's order, as the
feed shows them; across forced network drops (a TCP proxy cutting every connection) and the server's
own closes (its maximum duration shortened) they resume without a gap or a repeat. The JS client's
stream runs in ``clients/js/test/stream.test.ts`` (through ``test_client_js.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import novavms
import pytest

from tests.integration.conftest import Token, event_line, reset_caches

WAIT_SECONDS = 60


def configure(**values: int) -> None:
    """Run the service (in this process, behind the gateway) with these settings."""
    for name, value in values.items():
        os.environ[f"EVENTS_{name.upper()}"] = str(value)
    reset_caches()


@pytest.fixture(autouse=True)
def _quick() -> None:
    configure(changes_settle_seconds=1, stream_heartbeat_seconds=1)


@pytest.fixture
def admin(gateway_url: str, token: Token) -> Iterator[novavms.Client]:
    with novavms.Client(api_key=token("admin"), base_url=gateway_url) as client:
        yield client


def feed_after(client: novavms.Client, cursor: str) -> list[dict[str, Any]]:
    return [change.to_dict() for change in client.events.changes(cursor=cursor)]


def head(client: novavms.Client) -> str:
    """The feed's cursor after every change so far."""
    page = client.events.changes()
    cursor = page.next_cursor
    for _ in page:
        pass
    last = client.events.changes(cursor=cursor)
    while last.data:
        assert last.next_cursor is not None
        last = client.events.changes(cursor=last.next_cursor)
    assert last.next_cursor is not None
    return last.next_cursor


def write_lifecycle(client: novavms.Client) -> str:
    """Ingest one event, acknowledge it, dismiss it and restore it: four changes. Its id."""
    line = event_line(0)
    client.events.upsert(line["id"], line)
    client.events.update(line["id"], acknowledged=True)
    client.events.delete(line["id"])
    client.events.restore(line["id"])
    return str(line["id"])


class Collector:
    """Iterates a sync stream in a thread, keeping what it yields, until :meth:`wait` has enough."""

    def __init__(self, stream: novavms.EventStream) -> None:
        self.stream = stream
        self.changes: list[novavms.Change] = []
        self.cursors: list[str | None] = []  # the stream's last_id as each change was yielded
        self.failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            for change in self.stream:
                self.cursors.append(self.stream.last_id)
                self.changes.append(change)
        except BaseException as exc:
            self.failure = exc

    def wait(self, done: Callable[[list[novavms.Change]], bool]) -> list[novavms.Change]:
        deadline = time.monotonic() + WAIT_SECONDS
        while not done(self.changes) and self.failure is None and time.monotonic() < deadline:
            time.sleep(0.05)
        got = list(self.changes)
        self.stream.close()
        self._thread.join(10)
        assert done(got), f"the stream gave {len(got)} changes ({self.failure!r})"
        return got


class DroppingProxy:
    """A TCP proxy in front of the gateway: :meth:`drop` cuts every open connection (a network
    failure the server does not choose)."""

    def __init__(self, target: str) -> None:
        host, port = target.removeprefix("http://").split(":")
        self._target = (host, int(port))
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self.drops = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self._target)
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pump, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        for end in (source, sink):
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)

    def drop(self) -> None:
        with self._lock:
            cut, self._open = self._open, []
        for connection in cut:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
            connection.close()
        self.drops += 1

    def close(self) -> None:
        self._listener.close()
        self.drop()


def test_the_sync_stream_gets_ingest_patch_delete_restore_in_change_log_order(admin: novavms.Client) -> None:
    start = head(admin)
    with admin.events.stream() as stream:
        collector = Collector(stream)
        event_id = write_lifecycle(admin)
        got = collector.wait(lambda changes: len(changes) >= 4)
    assert [change.type for change in got] == [
        "event.created",
        "event.updated",
        "event.deleted",
        "event.restored",
    ]
    assert {change.event_id for change in got} == {event_id}
    assert [change.to_dict() for change in got] == feed_after(admin, start)
    assert stream.last_id == collector.cursors[3]
    assert feed_after(admin, collector.cursors[1] or "") == [change.to_dict() for change in got[2:]]


def test_the_async_stream_gets_them_too_and_a_filter_applies(
    admin: novavms.Client, gateway_url: str, token: Token
) -> None:
    start = head(admin)

    async def run() -> list[novavms.Change]:
        async with novavms.AsyncClient(api_key=token("admin"), base_url=gateway_url) as client:
            stream = await client.events.stream(types=["event.created", "event.restored"])
            writer = asyncio.get_running_loop().run_in_executor(None, write_lifecycle, admin)
            got: list[novavms.Change] = []

            async def take() -> None:
                async for change in stream:
                    got.append(change)
                    if len(got) == 2:
                        break

            await asyncio.wait_for(take(), WAIT_SECONDS)
            await writer
            await stream.aclose()
            return got

    got = asyncio.run(run())
    feed = [
        change for change in feed_after(admin, start) if change["type"] in ("event.created", "event.restored")
    ]
    assert [change.to_dict() for change in got] == feed
    assert [change.type for change in got] == ["event.created", "event.restored"]


def test_forced_drops_and_the_servers_closes_resume_without_gaps_or_repeats(
    admin: novavms.Client, gateway_url: str, token: Token
) -> None:
    configure(stream_max_seconds=2)
    start = head(admin)
    proxy = DroppingProxy(gateway_url)
    try:
        with novavms.Client(api_key=token("admin"), base_url=proxy.url) as client:
            stream = client.events.stream(cursor=start)
            collector = Collector(stream)
            written = 0
            for round_ in range(6):
                for _ in range(2):
                    line = event_line(round_)
                    admin.events.upsert(line["id"], line)
                    admin.events.update(line["id"], starred=True)
                    written += 2
                time.sleep(0.5)
                if round_ % 2 == 0:
                    proxy.drop()
            got = collector.wait(lambda changes: len(changes) >= written)
    finally:
        proxy.close()
    ids = [change.id for change in got]
    assert len(ids) == len(set(ids)) == written
    assert [change.to_dict() for change in got] == feed_after(admin, start)
    assert proxy.drops >= 3


def test_a_cursor_resumes_where_an_earlier_stream_stopped(admin: novavms.Client) -> None:
    start = head(admin)
    with admin.events.stream(cursor=start) as first:
        collector = Collector(first)
        write_lifecycle(admin)
        got = collector.wait(lambda changes: len(changes) >= 4)
    resumed_at = collector.cursors[1]
    with admin.events.stream(cursor=resumed_at) as second:
        rest = Collector(second).wait(lambda changes: len(changes) >= 2)
    assert [change.id for change in rest] == [change.id for change in got[2:]]


def test_the_async_stream_resumes_across_forced_drops_and_the_servers_closes(
    admin: novavms.Client, gateway_url: str, token: Token
) -> None:
    configure(stream_max_seconds=2)
    start = head(admin)
    proxy = DroppingProxy(gateway_url)

    def write() -> int:
        written = 0
        for round_ in range(4):
            line = event_line(round_)
            admin.events.upsert(line["id"], line)
            admin.events.update(line["id"], starred=True)
            written += 2
            time.sleep(0.7)
            proxy.drop()
        return written

    async def run() -> tuple[int, list[novavms.Change]]:
        async with novavms.AsyncClient(api_key=token("admin"), base_url=proxy.url) as client:
            stream = await client.events.stream(cursor=start)
            writer = asyncio.get_running_loop().run_in_executor(None, write)
            got: list[novavms.Change] = []

            async def take() -> None:
                async for change in stream:
                    got.append(change)
                    if len(got) == 8:
                        break

            await asyncio.wait_for(take(), WAIT_SECONDS)
            written = await writer
            await stream.aclose()
            return written, got

    try:
        written, got = asyncio.run(run())
    finally:
        proxy.close()
    assert len({change.id for change in got}) == len(got) == written
    assert [change.to_dict() for change in got] == feed_after(admin, start)


def test_stream_ticket_gives_a_new_short_lived_ticket_each_call(admin: novavms.Client) -> None:
    ticket = admin.events.stream_ticket()
    other = admin.events.stream_ticket()
    assert ticket.ticket and ticket.ticket != other.ticket
    assert 0 < (ticket.expires_at - datetime.now(UTC)).total_seconds() <= 60

"""The Python client's live stream without the API: its SSE decoder against the standard's rules, and
its reconnection against a small local SSE server that drops connections, closes them, answers errors
and resets (what it saw is checked: the Last-Event-ID each reconnection carried)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import novavms
import pytest
from novavms import _stream
from novavms._sse import ServerSentEvent, SSEDecoder


def feed_all(chunks: list[str]) -> tuple[list[ServerSentEvent], SSEDecoder]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events, decoder


def test_multi_line_data_joins_with_newlines_and_the_type_and_id_are_kept() -> None:
    events, decoder = feed_all(['event: event.created\nid: c1\ndata: {"a":\ndata:  1}\n\n'])
    assert events == [ServerSentEvent("event.created", '{"a":\n 1}', "c1")]
    assert decoder.last_id == "c1"


def test_comments_are_skipped_and_a_message_without_a_type_is_message() -> None:
    events, _ = feed_all([": heartbeat\n\n:\ndata: x\n: between\n\n"])
    assert events == [ServerSentEvent("message", "x", "")]


@pytest.mark.parametrize(
    "chunks",
    [
        ["id: 1\r\ndata: a\r\n\r\nid: 2\r\ndata: b\r\n\r\n"],
        ["id: 1\rdata: a\r\rid: 2\rdata: b\r\r"],
        ["id: 1\r", "\ndata: a\r", "\n\r", "\nid: 2\r\nda", "ta: b\r\n", "\r", "\n"],
        list("id: 1\r\ndata: a\r\n\r\nid: 2\ndata: b\n\n"),
    ],
)
def test_line_ends_crlf_cr_and_lf_in_chunks_of_any_size(chunks: list[str]) -> None:
    events, _ = feed_all(chunks)
    assert events == [ServerSentEvent("message", "a", "1"), ServerSentEvent("message", "b", "2")]


def test_retry_takes_digits_only() -> None:
    _, decoder = feed_all(["retry: 2000\n\n"])
    assert decoder.retry_ms == 2000
    _, decoder = feed_all(["retry: 2000\nretry: 1.5\nretry: x\n\n"])
    assert decoder.retry_ms == 2000


def test_a_field_loses_one_space_and_a_line_without_colon_is_a_field_name() -> None:
    events, _ = feed_all(["data:  two\ndata\ndata:x\n\n"])
    assert events == [ServerSentEvent("message", " two\n\nx", "")]


def test_the_id_commits_at_the_message_end_even_without_data_and_nul_is_ignored() -> None:
    decoder = SSEDecoder()
    assert decoder.feed("id: 7\ndata: a") == []
    assert decoder.last_id == ""  # the message has not ended
    assert decoder.feed("\n\nid: 8\n\n") == [ServerSentEvent("message", "a", "7")]
    assert decoder.last_id == "8"
    decoder.feed("id: 9\0\ndata: b\n\n")
    assert decoder.last_id == "8"


def test_a_leading_byte_order_mark_is_dropped_and_an_unended_message_is_not_dispatched() -> None:
    events, _ = feed_all(["\ufeffdata: a\n\n", "data: b\n"])
    assert events == [ServerSentEvent("message", "a", "")]


# -- reconnection against a local SSE server -----------------------------------------------------------


def change(number: int) -> dict[str, Any]:
    at = "2026-04-20T10:00:00Z"
    return {"id": f"c{number}", "type": "event.created", "event_id": f"e{number}", "at": at}


def message(number: int) -> bytes:
    return f"id: c{number}\nevent: event.created\ndata: {json.dumps(change(number))}\n\n".encode()


Plan = Callable[[int, dict[str, str]], tuple[int, list[bytes], bool]]


class SSEServer:
    """Connection ``n`` (from 0) with its headers gets ``plan(n, headers)``: a status, the body's
    pieces, and whether to cut the connection (no end of the chunked body) after them."""

    def __init__(self, plan: Plan) -> None:
        self.seen: list[dict[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                headers = {k.lower(): v for k, v in self.headers.items()}
                headers["path"] = self.path
                server.seen.append(headers)
                status, pieces, cut = plan(len(server.seen) - 1, headers)
                self.send_response(status)
                if status != 200:
                    body = json.dumps({"error": "x", "message": "refused", "request_id": "r"}).encode()
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    if status == 429:
                        self.send_header("Retry-After", "0")
                    self.end_headers()
                    self.wfile.write(body)
                    return
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for piece in pieces:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                    self.wfile.flush()
                if cut:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                self.wfile.write(b"0\r\n\r\n")
                self.close_connection = True

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Reconnection waits of a millisecond (the server says ``retry: 1``)."""
    monkeypatch.setattr(_stream, "DEFAULT_RETRY_MS", 1)


def serve(plan: Plan) -> Iterator[SSEServer]:
    server = SSEServer(plan)
    try:
        yield server
    finally:
        server.close()


def dropping_plan(number: int, headers: dict[str, str]) -> tuple[int, list[bytes], bool]:
    """Three changes per connection from where the client says it is; connection 1 is cut halfway
    through a message, connection 2 closes cleanly, connection 3 is a 503, connection 4 a 429; from
    connection 7 on only heartbeats."""
    start = int(headers.get("last-event-id", "c0").removeprefix("c")) + 1
    if number == 3:
        return 503, [], False
    if number == 4:
        return 429, [], False
    if number >= 7:
        return 200, [b"retry: 1\n\n", b": heartbeat\n\n"], False
    pieces = [b"retry: 1\n\n"] + [message(n) for n in range(start, start + 3)]
    if number == 1:
        return 200, [*pieces[:-1], message(start + 2)[:20]], True
    return 200, pieces, number != 2


@pytest.fixture
def dropping(fast: None) -> Iterator[SSEServer]:
    yield from serve(dropping_plan)


def test_sync_stream_resumes_after_drops_closes_and_errors_without_gaps_or_repeats(
    dropping: SSEServer,
) -> None:
    with novavms.Client(api_key="sk_test", base_url=dropping.url, max_retries=0) as client:
        stream = client.events.stream(cursor="c0", types=["event.created"], site_id="s1")
        ids = [next(stream).id for _ in range(12)]
        stream.close()
    assert ids == [f"c{n}" for n in range(1, 13)]
    assert stream.last_id == "c12"
    first, *later = dropping.seen
    assert "cursor=c0" in first["path"] and "types=event.created" in first["path"]
    assert "site_id=s1" in first["path"] and "last-event-id" not in first
    assert [seen.get("last-event-id") for seen in later] == ["c3", "c5", "c8", "c8", "c8", "c11"]
    assert all("cursor=" not in seen["path"] and "site_id=s1" in seen["path"] for seen in later)
    assert all(seen["accept"] == "text/event-stream" for seen in dropping.seen)


def test_async_stream_resumes_the_same_way(dropping: SSEServer) -> None:
    async def run() -> list[str]:
        async with novavms.AsyncClient(api_key="sk_test", base_url=dropping.url, max_retries=0) as client:
            stream = await client.events.stream(cursor="c0")
            ids = []
            async for change in stream:
                ids.append(change.id)
                if len(ids) == 12:
                    break
            await stream.aclose()
            return ids

    assert asyncio.run(run()) == [f"c{n}" for n in range(1, 13)]
    assert [seen.get("last-event-id") for seen in dropping.seen[1:]] == ["c3", "c5", "c8", "c8", "c8", "c11"]


def test_a_final_answer_raises_and_a_reset_moves_to_the_head(fast: None) -> None:
    def plan(number: int, headers: dict[str, str]) -> tuple[int, list[bytes], bool]:
        if number == 0:
            return 200, [b"retry: 1\nid: c50\nevent: reset\ndata: {}\n\n"], False
        if number == 1:
            return 200, [message(51)], False
        return 401, [], False

    heads: list[str] = []
    for server in serve(plan):
        with novavms.Client(api_key="sk_test", base_url=server.url, max_retries=0) as client:
            stream = client.events.stream(cursor="c1", on_reset=heads.append)
            assert next(stream).id == "c51"
            with pytest.raises(novavms.AuthenticationError):
                next(stream)
        assert heads == ["c50"] and stream.resets == 1 and stream.last_id == "c51"
        assert [seen.get("last-event-id") for seen in server.seen] == [None, "c50", "c51"]


def test_the_first_connection_is_made_by_stream_and_a_refusal_raises_there(fast: None) -> None:
    for server in serve(lambda number, headers: (403, [], False)):
        client = novavms.Client(api_key="sk_test", base_url=server.url)
        with client, pytest.raises(novavms.PermissionDeniedError):
            client.events.stream()
        assert len(server.seen) == 1


def test_an_id_without_data_moves_where_a_reconnection_starts(fast: None) -> None:
    """A message of only ``id:`` (say the head when a stream opens) yields nothing but is resumed from."""

    def plan(number: int, headers: dict[str, str]) -> tuple[int, list[bytes], bool]:
        if number == 0:
            return 200, [b"retry: 1\nid: c40\n\n"], True
        return 200, [message(41)], False

    for server in serve(plan):
        with novavms.Client(api_key="sk_test", base_url=server.url, max_retries=0) as client:
            stream = client.events.stream()
            assert next(stream).id == "c41"
            stream.close()
        assert [seen.get("last-event-id") for seen in server.seen[:2]] == [None, "c40"]

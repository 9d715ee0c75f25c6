"""The event stream's rules called directly: the SSE framing, the ticket the stream route alone lets
through the query-credential check (and the logs redact), and how a stream's waker remembers reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from shared.edge.endpoint import refuse_query_credentials
from shared.edge.logs import REDACTED, redact
from shared.edge.routes import ROUTES, route_of
from shared.edge.stream import Waker, message
from shared.edge.tickets import TICKET_PARAMETER
from shared.errors import ValidationError

TICKET = "st_" + "A" * 43


def request(query: str) -> Request:
    return Request(EnvironBuilder(path="/api/v1/events/stream", query_string=query).get_environ())


def test_a_message_is_id_event_and_one_line_of_json() -> None:
    data = {"id": "c1", "summary": "two\nlines", "type": "event.created"}
    text = message("cursor.sig", "event.created", data)
    assert text.endswith("\n\n") and text.count("\n") == 4
    lines = text.split("\n")
    assert lines[:2] == ["id: cursor.sig", "event: event.created"]
    assert json.loads(lines[2].removeprefix("data: ")) == data


def test_only_the_stream_route_takes_a_ticket_in_the_query() -> None:
    assert [route.function for route in ROUTES if route.ticket] == ["stream_events"]
    assert route_of("stream_events").path == "/api/v1/events/stream"
    refuse_query_credentials(request(f"ticket={TICKET}"), frozenset({TICKET_PARAMETER}))
    with pytest.raises(ValidationError) as refused:
        refuse_query_credentials(request(f"ticket={TICKET}"))
    assert "ticket" in refused.value.fields
    with pytest.raises(ValidationError):  # a token is refused even under the ticket's name
        refuse_query_credentials(request("ticket=sk_test_abc"), frozenset({TICKET_PARAMETER}))
    with pytest.raises(ValidationError):
        refuse_query_credentials(request(f"token={TICKET}"), frozenset({TICKET_PARAMETER}))


def test_the_logs_redact_a_ticket() -> None:
    logged = redact(f"http://h/api/v1/events/stream?cursor=abc&ticket={TICKET}")
    assert TICKET not in logged and f"ticket={REDACTED}" in logged and "cursor=abc" in logged


def test_a_waker_gives_the_earliest_report_after_a_position_and_forgets_older_ones() -> None:
    waker, start = Waker(), datetime(2026, 12, 6, tzinfo=UTC)
    assert waker.first_after(start) is None
    for seconds in (3, 1, 2):
        waker.wake(start + timedelta(seconds=seconds))
    assert waker.event.is_set()
    assert waker.first_after(start) == start + timedelta(seconds=1)  # later reports do not postpone it
    assert waker.first_after(start + timedelta(seconds=2)) == start + timedelta(seconds=3)
    assert waker.first_after(start) == start + timedelta(seconds=3)  # the read ones are forgotten

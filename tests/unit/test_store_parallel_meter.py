"""Independent store reads run together (and see the request's context), and the store meter adds
up what a request asked of the store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextvars import ContextVar

import pytest

from shared.store import meter
from shared.store.parallel import together

LABEL: ContextVar[str] = ContextVar("label", default="none")


def test_calls_run_together_in_order_with_the_callers_context() -> None:
    barrier = threading.Barrier(3, timeout=5)  # only passes when all three run at the same time

    def call(n: int) -> tuple[int, str]:
        barrier.wait()
        return n, LABEL.get()

    token = LABEL.set("request-7")
    try:
        assert together([lambda: call(0), lambda: call(1), lambda: call(2)]) == [
            (0, "request-7"),
            (1, "request-7"),
            (2, "request-7"),
        ]
    finally:
        LABEL.reset(token)
    assert together([]) == [] and together([lambda: 5]) == [5]


def test_an_error_is_raised_after_every_call_has_finished() -> None:
    finished: list[str] = []

    def fail() -> str:
        raise ValueError("first")

    def slow() -> str:
        time.sleep(0.2)
        finished.append("slow")
        return "slow"

    with pytest.raises(ValueError, match="first"):
        together([fail, slow])
    assert finished == ["slow"], "the other call was awaited, not abandoned"


def test_the_meter_adds_up_by_purpose_and_bills_as_firestore_does() -> None:
    meter.called("events")  # outside a request: nothing is metered, nothing fails
    with meter.metering() as metered:
        for _ in range(2):
            meter.called("events")
        meter.documents_read("events", 21)
        meter.documents_read("events", 0)  # an empty query still bills one read
        meter.entries_counted("events", 2500)  # one read per 1,000 index entries, rounded up
        meter.called("rate_limit", 2)  # a transaction's begin and commit
        meter.written("rate_limit", 1)
        together([lambda: meter.documents_read("events", 1)] * 50)  # from the pool's threads
    summary = metered.summary()
    billed = 21 + 1 + 3 + 50
    assert summary["events"] == {"rpcs": 2, "documents": 71, "counted": 2500, "billed": billed, "writes": 0}
    assert summary["rate_limit"] == {"rpcs": 2, "documents": 0, "counted": 0, "billed": 0, "writes": 1}
    assert meter.parse_header(metered.header()) == summary


def _body(pages: int) -> Iterator[bytes]:
    """A streamed body that reads the store for each chunk, as the export's does."""
    for page in range(pages):
        meter.called("events")
        meter.documents_read("events", 10)
        yield f"page {page}\n".encode()


def test_a_streamed_body_counts_into_its_request_and_reports_when_it_ends() -> None:
    from shared.edge.endpoint import _metered_body

    with meter.metering() as metered:
        meter.called("events")  # the request's own count, before the body
    ended: list[bool] = []
    body = _metered_body(_body(3), metered, ended.append)
    assert metered.summary()["events"]["rpcs"] == 1 and ended == [], "nothing is read before it is sent"
    assert list(body) == [b"page 0\n", b"page 1\n", b"page 2\n"]  # sent outside any request's context
    spent = metered.summary()["events"]
    assert spent == {"rpcs": 4, "documents": 30, "counted": 0, "billed": 30, "writes": 0}
    assert ended == [True]


def test_a_body_the_client_leaves_reports_it_was_not_all_sent() -> None:
    from shared.edge.endpoint import _metered_body

    metered = meter.StoreMeter()
    ended: list[bool] = []
    body = _metered_body(_body(3), metered, ended.append)
    assert next(body) == b"page 0\n"
    body.close()  # what the server does when the client goes away
    assert ended == [False] and metered.summary()["events"]["rpcs"] == 1

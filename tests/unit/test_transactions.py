"""The one transaction retry layer (shared/store/transactions.py): what counts as contention, and the
loop that retries it within a bounded time (on a stand-in for the client; the emulator tests run the
real one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from google.api_core import exceptions as google

from shared.model.errors import ConflictError, StoreUnavailable
from shared.store import transactions
from shared.store.transactions import _retryable, run_transaction


def wrapped(cause: BaseException, *, implicit: bool = False) -> ValueError:
    """The library's wrapper: a ValueError raised from ``cause`` or (implicit) while handling it."""
    outer = ValueError("commit failed")
    if implicit:
        outer.__context__ = cause
    else:
        outer.__cause__ = cause
    return outer


@pytest.mark.parametrize(
    "exc",
    [
        google.Aborted("contention"),
        google.Conflict("lock timeout"),
        google.DeadlineExceeded("slow"),
        google.ServiceUnavailable("down"),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_contention_and_transient_unavailability_are_retried(exc: Exception) -> None:
    assert _retryable(exc)


@pytest.mark.parametrize(
    "exc",
    [
        google.NotFound("gone"),
        google.PermissionDenied("no"),
        google.InvalidArgument("bad"),
        google.FailedPrecondition("index"),
        google.AlreadyExists("a create that found the document: lasting, not contention"),
        google.InternalServerError("boom"),
        RuntimeError("bug"),
        ValueError("plain"),
        KeyError("field"),
        ConflictError("a refusal of the store is an answer, not contention"),
        StoreUnavailable("already spent", 1),
    ],
    ids=lambda exc: type(exc).__module__.split(".")[0] + "." + type(exc).__name__,
)
def test_everything_else_is_not(exc: Exception) -> None:
    assert not _retryable(exc)


def test_the_librarys_value_error_wrappers_of_contention_are_retried() -> None:
    assert _retryable(wrapped(google.Aborted("exhausted")))
    assert _retryable(wrapped(google.Aborted("exhausted"), implicit=True))
    assert _retryable(wrapped(wrapped(google.ServiceUnavailable("down"))))  # wrapped twice


def test_value_errors_wrapping_anything_else_are_not() -> None:
    assert not _retryable(wrapped(google.NotFound("gone")))
    assert not _retryable(wrapped(RuntimeError("bug"), implicit=True))


def test_only_value_errors_count_as_wrappers() -> None:
    outer = TypeError("not the library's wrapper")
    outer.__cause__ = google.Aborted("contention")
    assert not _retryable(outer)


# -- the loop --------------------------------------------------------------------------------------------


class Loop:
    """Stand-ins for Firestore and the clock: each attempt calls ``work`` directly with a fresh
    transaction (recorded), and the pauses between attempts are recorded instead of slept."""

    def __init__(self) -> None:
        self.transactions: list[SimpleNamespace] = []
        self.pauses: list[float] = []
        self.client = SimpleNamespace(transaction=self._transaction)

    def _transaction(self, max_attempts: int) -> SimpleNamespace:
        self.transactions.append(SimpleNamespace(max_attempts=max_attempts, write_results=[]))
        return self.transactions[-1]


@pytest.fixture
def loop(monkeypatch: pytest.MonkeyPatch) -> Loop:
    stand_in = Loop()

    def transactional(work: Callable[[Any], Any]) -> Callable[[Any], Any]:
        return work

    monkeypatch.setattr(transactions, "firestore", SimpleNamespace(transactional=transactional))
    monkeypatch.setattr(
        transactions, "time", SimpleNamespace(monotonic=time.monotonic, sleep=stand_in.pauses.append)
    )
    return stand_in


def test_a_commit_that_works_runs_once_as_a_single_try(loop: Loop) -> None:
    assert run_transaction(loop.client, lambda transaction: "done") == "done"
    assert [transaction.max_attempts for transaction in loop.transactions] == [1]
    assert loop.pauses == []


def test_contention_is_retried_until_it_commits(loop: Loop) -> None:
    failures = [google.Aborted("1"), wrapped(google.Aborted("2"))]

    def work(transaction: Any) -> str:
        assert transaction is loop.transactions[-1]
        if failures:
            raise failures.pop(0)
        return "committed"

    assert run_transaction(loop.client, work, lock_key="orgs/o/events/e") == "committed"
    assert len(loop.transactions) == 3 and len(loop.pauses) == 2
    assert 0 <= loop.pauses[0] <= transactions.FIRST_BACKOFF_SECONDS
    assert 0 <= loop.pauses[1] <= 2 * transactions.FIRST_BACKOFF_SECONDS


def test_other_errors_are_raised_at_once(loop: Loop) -> None:
    def work(transaction: Any) -> None:
        raise google.NotFound("gone")

    with pytest.raises(google.NotFound):
        run_transaction(loop.client, work)
    assert len(loop.transactions) == 1 and loop.pauses == []


def test_contention_past_the_time_budget_is_store_unavailable_with_retry_after(loop: Loop) -> None:
    def work(transaction: Any) -> None:
        raise google.Aborted("always")

    with pytest.raises(StoreUnavailable) as spent:
        run_transaction(loop.client, work, total_seconds=0)
    assert spent.value.retry_after == 1
    assert isinstance(spent.value.__cause__, google.Aborted)
    assert len(loop.transactions) == 1

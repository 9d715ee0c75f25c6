"""Faults on the real emulators: the Firestore emulator paused (a silent store), killed, and replaced on
the same port. At default settings every verb answers JSON 503 with Retry-After within 30 s of the
store going silent, never a hang and never a 500; the first request after the store returns answers
within 20 s without a restart; a write that answered 503 was applied whole or not at all. (The storage
emulator failing midway through an export is test_export's.)"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import Emulators
from shared.model.scope import Scope
from shared.store.client import reset_clients
from shared.store.events import EventStore
from tests.integration.conftest import Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
SILENT_BOUND_SECONDS = 30
RECOVERY_BOUND_SECONDS = 20
AddEvents = Callable[..., list[dict[str, Any]]]


@pytest.fixture
def own_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulators]:
    """A Firestore emulator of this test's own (the session's stays untouched), used by the gateway."""
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST")
    stack = Emulators.start(log_dir=tmp_path, heap="-Xmx256m")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", stack.firestore_host)
    monkeypatch.delenv("EVENTS_STORE_DEADLINE_SECONDS", raising=False)  # the default budget
    reset_caches()
    reset_clients()
    try:
        yield stack
    finally:
        if stack.firestore is not None:
            stack.resume_firestore()
        stack.stop()
        reset_clients()


def timed(call: Callable[[], requests.Response]) -> tuple[requests.Response, float]:
    started = time.monotonic()
    answer = call()
    return answer, time.monotonic() - started


def assert_unavailable(answer: requests.Response, elapsed: float) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text[:300])
    assert answer.json()["error"] == "unavailable" and int(answer.headers["Retry-After"]) >= 1
    assert elapsed < SILENT_BOUND_SECONDS, f"answered after {elapsed:.1f}s"


def test_a_silent_store_is_503_within_the_bound_and_recovers(
    own_store: Emulators, api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    patched, dismissed = (line["id"] for line in add_events([event_line(0), event_line(1)]))
    operator, admin = token("operator"), token("admin")
    calls: dict[str, Callable[[], requests.Response]] = {
        "list": lambda: api.get(EVENTS, operator),
        "get": lambda: api.get(f"{EVENTS}/{patched}", operator),
        "patch": lambda: api.patch(f"{EVENTS}/{patched}", operator, json={"notes": "during the outage"}),
        "delete": lambda: api.delete(f"{EVENTS}/{dismissed}", admin, headers={"Idempotency-Key": "outage-1"}),
        "export": lambda: api.get(f"{EVENTS}/export", operator),
    }
    answers: dict[str, tuple[requests.Response, float]] = {}

    def run(name: str) -> None:
        answers[name] = timed(calls[name])

    own_store.pause_firestore()
    try:
        threads = [threading.Thread(target=run, args=(name,)) for name in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=SILENT_BOUND_SECONDS + 30)
    finally:
        own_store.resume_firestore()
    assert set(answers) == set(calls), f"no answer from {set(calls) - set(answers)}"
    for answer, elapsed in answers.values():
        assert_unavailable(answer, elapsed)

    listed, elapsed = timed(lambda: api.get(EVENTS, operator))
    assert listed.status_code == 200 and elapsed < RECOVERY_BOUND_SECONDS, (listed.text[:200], elapsed)

    store = EventStore(Scope(org))
    event = store.get(patched)
    assert event is not None
    history = store.history(patched)
    if event.data.get("notes") == "during the outage":  # applied whole: the change and its history
        assert [entry["changes"]["notes"]["new"] for entry in history] == ["during the outage"]
    else:  # or not at all
        assert event.data.get("notes") is None and history == []
    retried = api.delete(f"{EVENTS}/{dismissed}", admin, headers={"Idempotency-Key": "outage-1"})
    assert retried.status_code == 204, retried.text  # a retry after the 503 executes (or replays)
    assert store.get(dismissed) is None and len(store.history(dismissed)) == 1


def test_a_killed_store_is_503_and_its_replacement_is_reached_at_once(
    own_store: Emulators,
    api: Api,
    token: Token,
    add_events: AddEvents,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "3")  # a short budget: the bound scales with it
    reset_caches()
    add_events([event_line(0)])
    operator = token("operator")
    assert api.get(EVENTS, operator).json()["total"] == 1
    own_store.kill_firestore()
    for call in (lambda: api.get(EVENTS, operator), lambda: api.get(f"{EVENTS}/export", operator)):
        answer, elapsed = timed(call)
        assert_unavailable(answer, elapsed)
        assert elapsed < 3 + 2, f"a 3 s budget, answered after {elapsed:.1f}s"
    monkeypatch.delenv("EVENTS_STORE_DEADLINE_SECONDS")  # recovery is measured at default settings
    reset_caches()
    own_store.restart_firestore(log_dir=tmp_path)
    listed, elapsed = timed(lambda: api.get(EVENTS, operator))
    assert listed.status_code == 200, listed.text[:300]
    assert listed.json()["total"] == 0, "a new, empty emulator"
    assert elapsed < RECOVERY_BOUND_SECONDS, f"the first request after the store returned took {elapsed:.1f}s"


def test_a_key_lookup_that_cannot_reach_the_store_is_503_never_401(
    own_store: Emulators, api: Api, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_KEY_CACHE_SECONDS", "0")  # every request reads the key
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "3")
    reset_caches()
    created = api.call("POST", "/api/v1/keys", token("admin"), json={"name": "k", "role": "operator"})
    assert created.status_code == 201, created.text
    key = created.json()["secret"]
    assert api.get(EVENTS, key).status_code == 200
    own_store.pause_firestore()
    try:
        answer, elapsed = timed(lambda: api.get(EVENTS, key))
    finally:
        own_store.resume_firestore()
    assert_unavailable(answer, elapsed)
    listed, _ = timed(lambda: api.get(EVENTS, key))
    assert listed.status_code == 200, "the key was not cached as unknown"


@pytest.mark.parametrize("fault", ["paused", "killed"])
def test_a_batch_during_an_outage_says_the_store_did_not_answer(
    own_store: Emulators,
    api: Api,
    token: Token,
    add_events: AddEvents,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
) -> None:
    """Not that others are changing the events: nobody is, the store is silent or gone."""
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "3")  # a short budget: the message is the point
    reset_caches()
    ids = [line["id"] for line in add_events([event_line(0), event_line(1)])]
    operator = token("operator")
    assert api.get(EVENTS, operator).status_code == 200  # the rate limiter's slice is leased
    body: dict[str, Any] = {"ids": ids, "changes": {"starred": True}}
    by_filter = {"filter": {"trigger_type": "motion"}, "changes": {"starred": True}}
    if fault == "paused":
        own_store.pause_firestore()
    else:
        own_store.kill_firestore()
    try:
        answers = [
            timed(lambda: api.post(f"{EVENTS}/batch-update", operator, json=body)),
            timed(
                lambda: api.post(
                    f"{EVENTS}/batch-update", operator, json=body, headers={"Idempotency-Key": "outage"}
                )
            ),
            timed(lambda: api.patch(f"{EVENTS}/{ids[0]}", operator, json={"starred": True})),
            timed(lambda: api.post(f"{EVENTS}/batch-update", operator, json=by_filter)),
        ]
    finally:
        if fault == "paused":
            own_store.resume_firestore()
    for answer, elapsed in answers:
        assert_unavailable(answer, elapsed)
        message = answer.json()["message"]
        assert "did not answer" in message and "changed by others" not in message, message

"""Faults on the real emulators: the Firestore emulator paused (a silent store), killed, and replaced on
the same port. Every verb answers JSON 503 with Retry-After when the store goes silent (after its
deadline budget), never a hang and never a 500; the first request after the store returns answers
without a restart; a write that answered 503 was applied whole or not at all. (The storage emulator
failing midway through an export is test_export's.) How long each answer took is printed, never
asserted: a loaded machine stretches every figure, and the bounds here only end a hang."""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from google.api_core import exceptions as google
from google.cloud.firestore_v1.services.firestore.client import FirestoreClient

from devstack.emulators import Emulators
from devstack.harness import whole_history
from shared.model.scope import Scope
from shared.store.client import reset_clients
from shared.store.events import EventStore
from tests.integration.conftest import Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
HANG_BOUND_SECONDS = 180  # only ends a hang: each call's own timeout is the Api's 60 s
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


def timed(name: str, call: Callable[[], requests.Response]) -> requests.Response:
    """``call()``'s answer; how long it took is printed (reported, not asserted)."""
    started = time.monotonic()
    answer = call()
    print(f"\n{name}: {answer.status_code} after {time.monotonic() - started:.1f}s")
    return answer


def assert_unavailable(answer: requests.Response) -> None:
    assert answer.status_code == 503, (answer.status_code, answer.text[:300])
    assert answer.json()["error"] == "unavailable" and int(answer.headers["Retry-After"]) >= 1


def test_a_silent_store_is_503_and_recovers(
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
    answers: dict[str, requests.Response] = {}

    def run(name: str) -> None:
        answers[name] = timed(f"{name} while the store is silent", calls[name])

    own_store.pause_firestore()
    try:
        threads = [threading.Thread(target=run, args=(name,)) for name in calls]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=HANG_BOUND_SECONDS)
    finally:
        own_store.resume_firestore()
    assert set(answers) == set(calls), f"no answer from {set(calls) - set(answers)}"
    for answer in answers.values():
        assert_unavailable(answer)

    listed = timed("list after the store returned", lambda: api.get(EVENTS, operator))
    assert listed.status_code == 200, listed.text[:200]

    store = EventStore(Scope(org))
    event = store.get(patched)
    assert event is not None
    history = whole_history(store, patched)
    if event.data.get("notes") == "during the outage":  # applied whole: the change and its history
        assert [entry["changes"]["notes"]["new"] for entry in history] == ["during the outage"]
    else:  # or not at all
        assert event.data.get("notes") is None and history == []
    retried = api.delete(f"{EVENTS}/{dismissed}", admin, headers={"Idempotency-Key": "outage-1"})
    assert retried.status_code == 204, retried.text  # a retry after the 503 executes (or replays)
    assert store.get(dismissed) is None and len(whole_history(store, dismissed)) == 1


def test_a_killed_store_is_503_and_its_replacement_is_reached_at_once(
    own_store: Emulators,
    api: Api,
    token: Token,
    add_events: AddEvents,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    add_events([event_line(0)])
    operator = token("operator")
    assert api.get(EVENTS, operator).json()["total"] == 1  # at the default budget: a cold store is slow
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "3")  # a short budget for the outage
    reset_caches()
    own_store.kill_firestore()
    for path in (EVENTS, f"{EVENTS}/export"):
        answer = timed(
            f"GET {path} with the store killed (a 3 s budget)", functools.partial(api.get, path, operator)
        )
        assert_unavailable(answer)
    monkeypatch.delenv("EVENTS_STORE_DEADLINE_SECONDS")  # recovery is measured at default settings
    reset_caches()
    own_store.restart_firestore(log_dir=tmp_path)
    listed = timed("the first list after the store returned", lambda: api.get(EVENTS, operator))
    assert listed.status_code == 200, listed.text[:300]
    assert listed.json()["total"] == 0, "a new, empty emulator"


def test_a_key_lookup_that_cannot_reach_the_store_is_503_never_401(
    own_store: Emulators, api: Api, token: Token, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_KEY_CACHE_SECONDS", "0")  # every request reads the key
    reset_caches()
    created = api.call("POST", "/api/v1/keys", token("admin"), json={"name": "k", "role": "operator"})
    assert created.status_code == 201, created.text
    key = created.json()["secret"]
    assert api.get(EVENTS, key).status_code == 200  # at the default budget: a cold store is slow
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "3")  # a short budget for the outage
    reset_caches()
    own_store.pause_firestore()
    try:
        answer = timed("a key lookup with the store silent", lambda: api.get(EVENTS, key))
    finally:
        own_store.resume_firestore()
    assert_unavailable(answer)
    monkeypatch.delenv("EVENTS_STORE_DEADLINE_SECONDS")  # the resumed store at default settings
    reset_caches()
    listed = timed("a key lookup after", lambda: api.get(EVENTS, key))
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
            timed("a batch by ids", lambda: api.post(f"{EVENTS}/batch-update", operator, json=body)),
            timed(
                "a batch by ids with an Idempotency-Key",
                lambda: api.post(
                    f"{EVENTS}/batch-update", operator, json=body, headers={"Idempotency-Key": "outage"}
                ),
            ),
            timed("a PATCH", lambda: api.patch(f"{EVENTS}/{ids[0]}", operator, json={"starred": True})),
            timed("a batch by filter", lambda: api.post(f"{EVENTS}/batch-update", operator, json=by_filter)),
        ]
    finally:
        if fault == "paused":
            own_store.resume_firestore()
    for answer in answers:
        assert_unavailable(answer)
        message = answer.json()["message"]
        assert "did not answer" in message and "changed by others" not in message, message


# Firestore's own words when a query's composite index is missing, and while it builds (the emulator
# never needs an index, so the RPCs below answer them the way Firestore does).
INDEX_MISSING = (
    "The query requires an index. You can create it here: https://console.firebase.google.com/v1/r/"
    "project/novavms-dev/firestore/indexes?create_composite=ClVwcm9qZWN0cy9ub3Zhdm1zLWRldi9ldmVudHM"
)
INDEX_BUILDING = (
    "The query requires an index. That index is currently building and cannot be used yet. See its "
    "status here: https://console.firebase.google.com/v1/r/project/novavms-dev/firestore/indexes?"
    "create_composite=ClVwcm9qZWN0cy9idWlsZGluZw"
)


def test_a_query_whose_index_is_not_ready_is_503_naming_it_and_logged_once_with_its_link(
    api: Api,
    token: Token,
    add_events: AddEvents,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    event_id, dismissed = (line["id"] for line in add_events([event_line(0), event_line(1)]))
    operator, admin = token("operator"), token("admin")
    assert api.get(EVENTS, operator).status_code == 200  # the rate limiter's slice is leased first
    reads: dict[str, Callable[[], requests.Response]] = {
        "list": lambda: api.get(EVENTS, operator),
        "get (its neighbours are a query)": lambda: api.get(f"{EVENTS}/{event_id}", operator),
        "history": lambda: api.get(f"{EVENTS}/{event_id}/history", operator),
        "changes": lambda: api.get(f"{EVENTS}/changes", operator),
        "export": lambda: api.get(f"{EVENTS}/export", operator),
        "keys": lambda: api.get("/api/v1/keys", admin),
    }
    for message in (INDEX_MISSING, INDEX_BUILDING):

        def refuse(*args: Any, _message: str = message, **kwargs: Any) -> Any:
            raise google.FailedPrecondition(_message)

        capsys.readouterr()
        with monkeypatch.context() as patch:
            # Every query (documents or a count) is refused by Firestore's API, as a real one without
            # the index refuses it; a write that answers without a query (a dismissal) goes on.
            patch.setattr(FirestoreClient, "run_query", refuse)
            patch.setattr(FirestoreClient, "run_aggregation_query", refuse)
            for name, read in reads.items():
                for _ in range(2):
                    answer = read()
                    assert answer.status_code == 503, (name, answer.status_code, answer.text[:300])
                    body = answer.json()
                    assert body["error"] == "unavailable", (name, body)
                    assert "index is not ready" in body["message"], (name, body)
                    assert int(answer.headers["Retry-After"]) >= 1
                    assert body["request_id"] == answer.headers["X-Request-Id"]
            if message == INDEX_MISSING:
                dismissal = api.delete(f"{EVENTS}/{dismissed}", admin, headers={"Idempotency-Key": "idx-1"})
                assert dismissal.status_code == 204, dismissal.text
        link = message[message.index("https://") :]
        logged = [json.loads(line) for line in capsys.readouterr().out.splitlines() if link in line]
        assert [entry.get("index_link") for entry in logged] == [link], logged  # once, for every read
    for name, read in reads.items():  # once the index is built, the same client answers at once
        assert read().status_code == 200, name
    assert [event["id"] for event in api.get(EVENTS, operator).json()["data"]] == [event_id]

"""Idempotency keys on PATCH and DELETE, on the real emulators (Stripe's rules).

A retry with the same key and request answers the first outcome again and writes nothing; another
request under the same key is 400; a key in flight is 409; only executed outcomes are stored; keys are
scoped to the caller and org, stored only as a hash and kept 24 hours.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from google.api_core.exceptions import Aborted
from google.cloud import firestore

from devstack.harness import whole_history
from shared.model.actor import Actor
from shared.model.errors import StoreUnavailable
from shared.model.scope import Scope
from shared.store.client import firestore_client
from shared.store.events import EventStore
from shared.store.idempotency import IdempotencyRecords, PendingRecord, fingerprint
from shared.store.transactions import run_transaction
from tests.integration.conftest import Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]
URL_FIELDS = ("snapshot_url", "clip_url")


def at(event_id: str) -> str:
    return f"{EVENTS}/{event_id}"


def patch(api: Api, bearer: str, event_id: str, body: Any, key: str | None) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Idempotency-Key"] = key
    return api.patch(at(event_id), bearer, data=json.dumps(body), headers=headers)


def delete(api: Api, bearer: str, event_id: str, key: str | None) -> requests.Response:
    return api.delete(at(event_id), bearer, headers={"Idempotency-Key": key} if key is not None else {})


def without_urls(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name not in URL_FIELDS}


def records(org: str) -> list[tuple[str, dict[str, Any]]]:
    collection = firestore_client().collection("orgs").document(org).collection("idempotency")
    return [(snap.id, snap.to_dict() or {}) for snap in collection.stream()]


def test_patch_retry_answers_the_first_response_and_writes_nothing(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0, snapshot_object=f"{org}/snap.jpg")])[0]["id"]
    operator = token("operator", sub="op-1")
    first = patch(api, operator, event_id, {"acknowledged": True, "notes": "checked"}, "key-1")
    assert first.status_code == 200, first.text
    assert "Idempotent-Replayed" not in first.headers
    history = whole_history(EventStore(Scope(org)), event_id)
    assert len(history) == 1

    # Another operator changes the note meanwhile; the replay still shows what the first call wrote.
    assert patch(api, token("operator"), event_id, {"notes": "later"}, None).status_code == 200
    again = patch(api, operator, event_id, {"acknowledged": True, "notes": "checked"}, "key-1")
    assert again.status_code == 200, again.text
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert without_urls(again.json()) == without_urls(first.json())
    assert again.json()["notes"] == "checked" and again.json()["acknowledged_by"] == "op-1"
    assert again.json()["snapshot_url"] and again.json()["snapshot_url"].startswith("http")
    assert len(whole_history(EventStore(Scope(org)), event_id)) == 2  # the other operator's change only


def test_delete_retried_after_a_lost_answer_gets_its_204(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    admin = token("admin")
    first = delete(api, admin, event_id, "delete-once")
    assert first.status_code == 204 and first.content == b""
    again = delete(api, admin, event_id, "delete-once")
    assert again.status_code == 204 and again.content == b""
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(whole_history(EventStore(Scope(org)), event_id)) == 1
    assert delete(api, admin, event_id, None).status_code == 404
    assert delete(api, admin, event_id, "another-key").status_code == 404


def test_same_key_with_another_request_is_400_naming_the_header(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    first_id, second_id = (line["id"] for line in add_events([event_line(0), event_line(1)]))
    operator = token("operator")
    assert patch(api, operator, first_id, {"starred": True}, "reused").status_code == 200
    for event_id, body in ((first_id, {"starred": False}), (second_id, {"starred": True})):
        answer = patch(api, operator, event_id, body, "reused")
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "validation_error"
        assert "Idempotency-Key" in answer.json()["fields"]
    admin = token("admin")
    assert patch(api, admin, second_id, {"starred": True}, "admin-key").status_code == 200
    assert delete(api, admin, second_id, "admin-key").status_code == 400  # same key, another method
    assert api.get(at(second_id), admin).status_code == 200  # and nothing was deleted
    store = EventStore(Scope(org))
    assert store.get(first_id) is not None and store.get(first_id).data["starred"] is True  # type: ignore[union-attr]


def test_keys_belong_to_their_caller_and_org(api: Api, org: str, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    alice, bob = token("operator", sub="alice"), token("operator", sub="bob")
    assert patch(api, alice, event_id, {"acknowledged": True}, "shared-key").status_code == 200
    bobs = patch(api, bob, event_id, {"acknowledged": True}, "shared-key")
    assert bobs.status_code == 200 and "Idempotent-Replayed" not in bobs.headers
    other_org = f"{org}-other"
    other_id = add_events([event_line(0)], org_id=other_org)[0]["id"]
    elsewhere = patch(
        api, token("operator", sub="alice", org_id=other_org), other_id, {"starred": True}, "shared-key"
    )
    assert elsewhere.status_code == 200 and "Idempotent-Replayed" not in elsewhere.headers


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9", "tab\there"])
def test_malformed_keys_are_400_and_change_nothing(
    api: Api, org: str, token: Token, add_events: AddEvents, key: str
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    headers = {"Content-Type": "application/json", "Idempotency-Key": key.encode("utf-8")}
    answer = api.patch(at(event_id), token("operator"), data=json.dumps({"starred": True}), headers=headers)
    assert answer.status_code == 400, answer.text
    assert "Idempotency-Key" in answer.json()["fields"]
    assert whole_history(EventStore(Scope(org)), event_id) == []


def test_longest_printable_key_is_accepted(api: Api, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    key = "~ !" * 85  # 255 printable ASCII characters, spaces included
    assert patch(api, token("operator"), event_id, {"starred": True}, key).status_code == 200


def test_failures_are_not_stored_so_a_retry_executes(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    bad = patch(api, operator, event_id, {"starred": "yes"}, "retry-me")
    assert bad.status_code == 400
    assert records(org) == []  # the 400 left no record behind
    fixed = patch(api, operator, event_id, {"starred": True}, "retry-me")
    assert fixed.status_code == 200 and "Idempotent-Replayed" not in fixed.headers
    forbidden = patch(api, token("viewer", sites=[event_line()["site_id"]]), event_id, {"starred": True}, "v")
    assert forbidden.status_code == 403
    assert [data["state"] for _, data in records(org)] == ["completed"]


def test_a_404_is_an_outcome_and_is_replayed(api: Api, org: str, token: Token, add_events: AddEvents) -> None:
    line = event_line(0)
    admin = token("admin")
    assert delete(api, admin, line["id"], "gone").status_code == 404
    add_events([line])  # the event arrives after the first attempt
    again = delete(api, admin, line["id"], "gone")
    assert again.status_code == 404 and again.json()["error"] == "not_found"
    assert again.headers["Idempotent-Replayed"] == "true"
    assert EventStore(Scope(org)).get(line["id"]) is not None


def test_a_key_in_flight_is_409_with_retry_after_until_its_lock_lapses(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator", sub="op-busy")
    body = json.dumps({"starred": True})
    pending = IdempotencyRecords(org).begin(
        Actor.user("op-busy"), "busy", fingerprint("PATCH", at(event_id), body.encode())
    )
    assert isinstance(pending, PendingRecord)
    answer = patch(api, operator, event_id, {"starred": True}, "busy")
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"] == "conflict" and int(answer.headers["Retry-After"]) >= 1
    assert whole_history(EventStore(Scope(org)), event_id) == []
    pending.ref.update({"locked_until": datetime.now(UTC) - timedelta(seconds=1)})  # the first one died
    taken_over = patch(api, operator, event_id, {"starred": True}, "busy")
    assert taken_over.status_code == 200 and "Idempotent-Replayed" not in taken_over.headers
    assert len(whole_history(EventStore(Scope(org)), event_id)) == 1


def test_concurrent_retries_execute_once(api: Api, org: str, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    statuses: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def send() -> None:
        answer = patch(api, operator, event_id, {"notes": "once"}, "burst")
        with lock:
            statuses.append((answer.status_code, answer.headers.get("Idempotent-Replayed")))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    executed = [s for s in statuses if s == (200, None)]
    assert len(executed) == 1, statuses
    assert all(s in {(200, "true"), (409, None), (200, None)} for s in statuses), statuses
    assert len(whole_history(EventStore(Scope(org)), event_id)) == 1


def test_records_hold_a_hash_not_the_key_and_expire_after_24_hours(
    api: Api, org: str, token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    key = "secret-looking-key-0123456789"
    before = datetime.now(UTC)
    assert patch(api, token("operator"), event_id, {"starred": True}, key).status_code == 200
    [(record_id, data)] = records(org)
    assert len(record_id) == 64 and key not in record_id
    assert key not in json.dumps(data, default=str)
    assert data["state"] == "completed"
    assert before + timedelta(hours=24) <= data["expires_at"] <= datetime.now(UTC) + timedelta(hours=24)


def test_an_expired_record_counts_as_absent(api: Api, org: str, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    assert patch(api, operator, event_id, {"starred": True}, "old-key").status_code == 200
    [(record_id, _)] = records(org)
    collection = firestore_client().collection("orgs").document(org).collection("idempotency")
    collection.document(record_id).update({"expires_at": datetime.now(UTC) - timedelta(seconds=1)})
    fresh = patch(api, operator, event_id, {"starred": False}, "old-key")  # TTL deletion lags
    assert fresh.status_code == 200 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.json()["starred"] is False


def test_cors_allows_the_key_and_exposes_the_replay_header(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    os.environ["EVENTS_CORS_ORIGINS"] = "https://console.example"
    reset_caches()
    event_id = add_events([event_line(0)])[0]["id"]
    origin = {"Origin": "https://console.example"}
    preflight = api.call(
        "OPTIONS",
        at(event_id),
        headers={
            **origin,
            "Access-Control-Request-Method": "PATCH",
            "Access-Control-Request-Headers": "idempotency-key",
        },
    )
    assert preflight.status_code == 204
    assert "Idempotency-Key" in preflight.headers["Access-Control-Allow-Headers"].split(", ")
    answer = api.patch(
        at(event_id),
        token("operator"),
        data=json.dumps({"starred": True}),
        headers={**origin, "Content-Type": "application/json", "Idempotency-Key": "cors"},
    )
    assert answer.status_code == 200
    assert "Idempotent-Replayed" in answer.headers["Access-Control-Expose-Headers"].split(", ")


def test_contention_past_the_budget_is_503_with_retry_after(emulators: object) -> None:
    attempts: list[int] = []

    def always_contended(transaction: firestore.Transaction) -> None:
        attempts.append(1)
        raise Aborted("contended")

    started = datetime.now(UTC)
    with pytest.raises(StoreUnavailable) as raised:
        run_transaction(firestore_client(), always_contended, total_seconds=0.5)
    assert raised.value.retry_after == 1
    assert len(attempts) > 1  # retried, within the budget
    print(f"\n{len(attempts)} attempts, gave up after {datetime.now(UTC) - started}")

"""Webhooks an operations team runs, end to end on the local stack with real receivers on loopback:
the delivery log, resend and replay, secret rotation, auto-disable and the event-type catalogue.
Every message is verified with the independent ``standardwebhooks`` library."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import jsonschema
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from devstack.tasks import TaskRunner
from devstack.webhook_receiver import Receiver
from tests.integration.conftest import Api, Token, event_line
from tests.integration.test_ingest import make_key
from tests.integration.test_webhooks import AddEvents, configure, create, verified

ENDPOINTS = "/api/v1/webhook-endpoints"
DELIVERIES = "/api/v1/webhook-deliveries"
EVENTS = "/api/v1/events"
CATALOGUE = "/api/v1/event-types"
SEEN: dict[str, list[dict[str, Any]]] = {}  # every message the tests received, by type


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    """A task runner of this test (sweeping every second), the feed showing changes at once."""
    configure(EVENTS_CHANGES_SETTLE_SECONDS="0")
    with TaskRunner(sweep_seconds=1.0) as started:
        yield started


def seen(message: dict[str, Any]) -> dict[str, Any]:
    SEEN.setdefault(message["type"], []).append(message)
    return message


def log(api: Api, admin: str, endpoint_id: str, **params: Any) -> dict[str, Any]:
    answer = api.get(f"{ENDPOINTS}/{endpoint_id}/deliveries", admin, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def settled_log(api: Api, admin: str, endpoint_id: str, count: int, timeout: float = 30.0) -> list[Any]:
    """The endpoint's ``count`` deliveries (newest first) once none is pending or retrying."""
    deadline = time.monotonic() + timeout
    while True:
        found = log(api, admin, endpoint_id, limit=100)["data"]
        if len(found) == count and all(d["status"] in ("succeeded", "failed") for d in found):
            return list(found)
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries not settled: {[d['status'] for d in found]}")
        time.sleep(0.1)


def test_the_log_shows_every_attempt_cut_at_1_kib_pages_newest_first_and_filters(
    api: Api, token: Token, add_events: AddEvents, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE="1,1,1")
    admin = token("admin")
    answer = "é" * 1500  # 3000 bytes: what is kept is the first 1024
    with Receiver(statuses=[500, 500, 500, 200], body=answer.encode()) as receiver:
        endpoint = create(api, admin, receiver.url)
        first = add_events([event_line(0)])[0]
        attempts = receiver.wait_for(4)
        [delivery] = settled_log(api, admin, endpoint["id"], 1)
        [seen(verified(received, endpoint["secret"])) for received in attempts]
        assert delivery["status"] == "succeeded" and delivery["endpoint_id"] == endpoint["id"]
        assert delivery["message_id"] == attempts[0].headers["webhook-id"]
        assert (delivery["type"], delivery["next_attempt_at"]) == ("event.created", None)
        assert [a["status_code"] for a in delivery["attempts"]] == [500, 500, 500, 200]
        assert [a["error"] for a in delivery["attempts"]] == ["HTTP 500"] * 3 + [None]
        for attempt in delivery["attempts"]:
            assert attempt["response_body"] == answer[:512]  # 1024 bytes of two-byte characters
            assert attempt["duration_ms"] >= 0 and attempt["at"].endswith("Z")

        add_events([event_line(1), event_line(2)])
        receiver.wait_for(6)
        every = settled_log(api, admin, endpoint["id"], 3)
    assert every[-1]["id"] == delivery["id"], "newest first"
    assert [d["created_at"] for d in every] == sorted((d["created_at"] for d in every), reverse=True)
    page = log(api, admin, endpoint["id"], limit=2)
    rest = log(api, admin, endpoint["id"], limit=2, cursor=page["next_cursor"])
    assert [d["id"] for d in page["data"] + rest["data"]] == [d["id"] for d in every]
    assert rest["next_cursor"] is None
    assert len(log(api, admin, endpoint["id"], status="succeeded")["data"]) == 3
    assert log(api, admin, endpoint["id"], status="failed")["data"] == []
    other = api.get(
        f"{ENDPOINTS}/{endpoint['id']}/deliveries",
        admin,
        params={"cursor": page["next_cursor"], "status": "failed"},
    )
    assert other.status_code == 400 and "cursor" in other.json()["fields"]
    bad = api.get(f"{ENDPOINTS}/{endpoint['id']}/deliveries", admin, params={"status": "lost", "limit": 0})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"status", "limit"}
    assert first["id"] in {m["data"]["event_id"] for m in SEEN["event.created"]}


def test_resend_and_replay_deliver_again_with_the_same_ids(
    api: Api, token: Token, add_events: AddEvents, runner: TaskRunner
) -> None:
    admin = token("admin")
    before = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    with Receiver() as receiver:
        endpoint = create(api, admin, receiver.url, ["event.created", "event.updated"])
        made = add_events([event_line(0), event_line(1)])
        assert api.patch(f"{EVENTS}/{made[0]['id']}", admin, json={"starred": True}).status_code == 200
        originals = receiver.wait_for(3)
        ids = [received.headers["webhook-id"] for received in originals]
        delivered = settled_log(api, admin, endpoint["id"], 3)
        target = delivered[-1]

        resent = api.post(f"{DELIVERIES}/{target['id']}/resend", admin)
        assert resent.status_code == 202 and resent.json() == {"delivery_id": target["id"]}
        [again] = receiver.wait_for(4)[3:]
        assert again.headers["webhook-id"] == target["message_id"]
        assert again.body == originals[ids.index(target["message_id"])].body
        seen(verified(again, endpoint["secret"]))
        assert len(settled_log(api, admin, endpoint["id"], 3)[-1]["attempts"]) == 2

        key = str(uuid.uuid4())
        body = {"since": before, "types": ["event.created"]}
        replay, keyed = f"{ENDPOINTS}/{endpoint['id']}/replay", {"Idempotency-Key": key}
        replayed = api.post(replay, admin, json=body, headers=keyed)
        assert replayed.status_code == 202 and replayed.json() == {"scheduled": 2}, replayed.text
        twice = api.post(replay, admin, json=body, headers=keyed)
        assert twice.json() == {"scheduled": 2} and twice.headers["Idempotent-Replayed"] == "true"
        replays = receiver.wait_for(6)[4:]
        settled_log(api, admin, endpoint["id"], 5)
        created_ids = {
            i for i, r in zip(ids, originals, strict=True) if r.message()["type"] == "event.created"
        }
        assert {r.headers["webhook-id"] for r in replays} == created_ids
        for received in replays:
            message = seen(verified(received, endpoint["secret"]))
            assert received.body == originals[ids.index(received.headers["webhook-id"])].body
            assert message["type"] == "event.created"
        everything = api.post(replay, admin, json={"since": before})
        assert everything.json() == {"scheduled": 3}
        receiver.wait_for(9)
        settled_log(api, admin, endpoint["id"], 8)
    assert len(receiver.received) == 9


def test_a_replay_outside_the_retention_or_malformed_is_400_naming_the_field(api: Api, token: Token) -> None:
    admin = token("admin")
    endpoint = create(api, admin, "http://127.0.0.1:9/hooks")
    replay = f"{ENDPOINTS}/{endpoint['id']}/replay"
    old = (datetime.now(UTC) - timedelta(days=8)).isoformat()  # the retention is 7 days
    answer = api.post(replay, admin, json={"since": old})
    assert answer.status_code == 400 and list(answer.json()["fields"]) == ["since"]
    now = datetime.now(UTC).isoformat()
    answer = api.post(replay, admin, json={"since": now, "until": old, "types": ["event.moved"], "x": 1})
    assert answer.status_code == 400 and set(answer.json()["fields"]) == {"until", "types", "x"}
    missing = api.post(replay, admin, json={})
    assert missing.status_code == 400 and list(missing.json()["fields"]) == ["since"]


def test_rotation_signs_with_both_secrets_during_the_grace_then_only_the_new(
    api: Api, token: Token, add_events: AddEvents, runner: TaskRunner
) -> None:
    admin = token("admin")
    with Receiver() as receiver:
        endpoint = create(api, admin, receiver.url, ["event.created"])
        old = endpoint["secret"]
        rotated = api.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", admin, json={"grace_seconds": 600})
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != old
        add_events([event_line(0)])
        [during] = receiver.wait_for(1)
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert Webhook(old).verify(during.body, during.headers) == seen(verified(during, new))

        abrupt = api.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", admin, json={"grace_seconds": 0})
        newest = abrupt.json()["secret"]
        add_events([event_line(1)])
        [after] = receiver.wait_for(2)[1:]
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    seen(verified(after, newest))
    for stale in (old, new):
        with pytest.raises(WebhookVerificationError):
            Webhook(stale).verify(after.body, after.headers)
    assert "secret" not in api.get(f"{ENDPOINTS}/{endpoint['id']}", admin).json()
    for body in ({"grace_seconds": -1}, {"grace_seconds": 604_801}, {"grace_seconds": "1"}, {"x": 1}):
        answer = api.post(f"{ENDPOINTS}/{endpoint['id']}/rotate-secret", admin, json=body)
        assert answer.status_code == 400, body


def test_an_endpoint_failing_for_the_setting_is_disabled_and_its_change_reaches_the_feed_and_others(
    api: Api, token: Token, add_events: AddEvents, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_DISABLE_AFTER_SECONDS="2", EVENTS_WEBHOOK_RETRY_SCHEDULE=",".join(["1"] * 10))
    admin = token("admin")
    with Receiver(statuses=[500] * 100) as failing, Receiver() as healthy:
        doomed = create(api, admin, failing.url, ["event.created"])
        watcher = create(api, admin, healthy.url, ["event.created", "webhook_endpoint.disabled"])
        add_events([event_line(0)])
        messages = [seen(verified(received, watcher["secret"])) for received in healthy.wait_for(2)]
        disabled = api.get(f"{ENDPOINTS}/{doomed['id']}", admin).json()
        assert disabled["status"] == "disabled"
        assert "failed for 2 seconds" in disabled["disabled_reason"]
        tries = len(failing.received)
        assert tries >= 3
        [delivery] = settled_log(api, admin, doomed["id"], 1)
        assert delivery["status"] == "failed" and len(delivery["attempts"]) == tries
    [notice] = [m for m in messages if m["type"] == "webhook_endpoint.disabled"]
    assert (notice["data"]["endpoint_id"], notice["data"]["event_id"]) == (doomed["id"], None)
    assert notice["data"]["reason"] == disabled["disabled_reason"]
    only = {"types": "webhook_endpoint.disabled"}
    assert api.get(f"{EVENTS}/changes", admin, params=only).json()["data"] == [notice["data"]]
    operator = api.get(f"{EVENTS}/changes", token("operator"), params=only)  # below admin: redacted
    assert operator.json()["data"] == [{k: notice["data"][k] for k in ("id", "type", "event_id", "at")}]
    enabled = api.patch(f"{ENDPOINTS}/{doomed['id']}", admin, json={"status": "enabled"}).json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)


def test_the_catalogue_lists_every_type_with_a_schema_each_message_seen_meets(
    api: Api, token: Token, runner: TaskRunner
) -> None:
    admin = token("admin")
    with Receiver() as receiver:
        endpoint = create(api, admin, receiver.url)
        assert api.post(f"{ENDPOINTS}/{endpoint['id']}/test", admin).status_code == 202
        seen(verified(receiver.wait_for(1)[0], endpoint["secret"]))
    answer = api.get(CATALOGUE, token("viewer"))
    assert answer.status_code == 200, answer.text
    catalogue = {entry["type"]: entry for entry in answer.json()["data"]}
    assert set(catalogue) == {
        "event.created",
        "event.updated",
        "event.deleted",
        "event.restored",
        "webhook_endpoint.disabled",
        "webhook.test",
    }
    assert set(SEEN) <= set(catalogue) and "webhook.test" in SEEN
    for kind, entry in catalogue.items():
        assert entry["description"] and "$ref" not in str(entry["schema"])
        jsonschema.Draft202012Validator.check_schema(entry["schema"])
        for message in SEEN.get(kind, []):
            jsonschema.validate(message, entry["schema"], cls=jsonschema.Draft202012Validator)
        wrong = {**(SEEN.get(kind) or [{"type": kind, "timestamp": "x", "data": {}}])[0], "type": "other"}
        assert not jsonschema.Draft202012Validator(entry["schema"]).is_valid(wrong)


def test_the_operations_are_admins_only_and_404_for_what_the_org_has_not(api: Api, token: Token) -> None:
    admin = token("admin")
    endpoint = create(api, admin, "http://127.0.0.1:9/hooks")
    unknown_endpoint, unknown_delivery = f"ep_{uuid.uuid4().hex}", uuid.uuid4().hex
    since = datetime.now(UTC).isoformat()

    def calls(endpoint_id: str, delivery_id: str) -> list[tuple[str, str, dict[str, Any] | None]]:
        return [
            ("GET", f"{ENDPOINTS}/{endpoint_id}/deliveries", None),
            ("POST", f"{ENDPOINTS}/{endpoint_id}/replay", {"since": since}),
            ("POST", f"{ENDPOINTS}/{endpoint_id}/rotate-secret", {}),
            ("POST", f"{DELIVERIES}/{delivery_id}/resend", None),
        ]

    ingest = make_key(api, admin, "ingest")
    for credential in (token("viewer"), token("operator"), ingest):
        for method, path, body in calls(endpoint["id"], unknown_delivery):
            assert api.call(method, path, credential, json=body).status_code == 403, (path, credential[:8])
    assert api.get(CATALOGUE, ingest).status_code == 403
    for method, path, body in calls(unknown_endpoint, unknown_delivery) + calls("ep_nope", "__name__"):
        answer = api.call(method, path, admin, json=body)
        assert answer.status_code == 404, (path, answer.text)
        assert answer.json()["error"] == "not_found"
    other = create(api, token("admin", org_id=f"org-{uuid.uuid4().hex[:12]}"), "http://127.0.0.1:9/hooks")
    assert api.get(f"{ENDPOINTS}/{other['id']}/deliveries", admin).status_code == 404


def test_a_replay_over_the_cap_is_400_naming_since_and_schedules_nothing(
    api: Api, token: Token, add_events: AddEvents, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.webhooks import delivery

    configure(EVENTS_CHANGES_SETTLE_SECONDS="0")
    admin = token("admin")
    since = (datetime.now(UTC) - timedelta(seconds=5)).isoformat()
    endpoint = create(api, admin, "http://127.0.0.1:9/hooks", ["event.created"])
    add_events([event_line(n) for n in range(3)])
    before = len(log(api, admin, endpoint["id"], limit=100)["data"])
    monkeypatch.setattr(delivery, "REPLAY_CAP", 2)  # the gateway runs in this process
    monkeypatch.setattr(delivery, "REPLAY_PAGE", 2)
    refused = api.post(f"{ENDPOINTS}/{endpoint['id']}/replay", admin, json={"since": since})
    assert refused.status_code == 400 and list(refused.json()["fields"]) == ["since"]
    assert "more than 2 changes" in refused.json()["fields"]["since"]
    assert len(log(api, admin, endpoint["id"], limit=100)["data"]) == before
    monkeypatch.setattr(delivery, "REPLAY_CAP", 3)
    answer = api.post(f"{ENDPOINTS}/{endpoint['id']}/replay", admin, json={"since": since})
    assert answer.json() == {"scheduled": 3}
    assert len(log(api, admin, endpoint["id"], limit=100)["data"]) == before + 3

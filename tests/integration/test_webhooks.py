"""Webhooks end to end on the local stack: endpoints through the API, changes through the API and the
pipeline, the local task runner calling ``deliver_webhook`` over HTTP, and real receivers on loopback.
Every message is verified with the independent ``standardwebhooks`` library."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import novavms
import pytest
from standardwebhooks import Webhook

from devstack.tasks import TaskRunner
from devstack.webhook_receiver import Received, Receiver
from shared.store.client import firestore_client
from shared.store.webhooks import DELIVERIES
from tests.integration.conftest import CAMERA_A, CAMERA_B, Api, Token, event_line, reset_caches

ENDPOINTS = "/api/v1/webhook-endpoints"
EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]


def verified(received: Received, secret: str) -> dict[str, Any]:
    """The message, verified by the independent ``standardwebhooks`` library and by the Python
    client's verifier (each raises when the signature or timestamp is wrong)."""
    message: dict[str, Any] = Webhook(secret).verify(received.body, received.headers)
    assert novavms.Webhook(secret).verify(received.body, received.headers) == message
    return message


def configure(**settings: str) -> None:
    os.environ.update(settings)
    reset_caches()


@pytest.fixture
def runner() -> Iterator[TaskRunner]:
    """A task runner of this test (sweeping every second), the feed showing changes at once."""
    configure(EVENTS_CHANGES_SETTLE_SECONDS="0")
    with TaskRunner(sweep_seconds=1.0) as started:
        yield started


def create(
    api: Api, admin: str, url: str, event_types: list[str] | None = None, **fields: Any
) -> dict[str, Any]:
    answer = api.post(ENDPOINTS, admin, json={"url": url, "event_types": event_types or ["*"], **fields})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def deliveries(org: str) -> list[dict[str, Any]]:
    """Every delivery of the org (as stored)."""
    collection = firestore_client().collection("orgs").document(org).collection(DELIVERIES)
    return [{**(snap.to_dict() or {}), "id": snap.id} for snap in collection.stream()]


def feed(api: Api, admin: str) -> dict[str, dict[str, Any]]:
    """The change feed as an admin sees it, by change id."""
    answer = api.get(f"{EVENTS}/changes", admin)
    assert answer.status_code == 200, answer.text
    return {change["id"]: change for change in answer.json()["data"]}


def test_each_change_reaches_each_matching_endpoint_once_signed_as_the_feed_shows_it(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    admin = token("admin")
    with Receiver() as everything, Receiver() as dismissals:
        every = create(api, admin, everything.url)
        deleted_only = create(
            api,
            admin,
            dismissals.url,
            ["event.deleted"],
            filter={"camera_ids": [CAMERA_A]},
            description="trash",
        )
        first, second = add_events([event_line(0), event_line(1, camera_id=CAMERA_B)])
        assert api.patch(f"{EVENTS}/{first['id']}", admin, json={"starred": True}).status_code == 200
        assert api.delete(f"{EVENTS}/{first['id']}", admin).status_code == 204
        assert api.delete(f"{EVENTS}/{second['id']}", admin).status_code == 204  # camera B: not B's
        assert api.post(f"{EVENTS}/{first['id']}/restore", admin).status_code == 200

        messages = [verified(received, every["secret"]) for received in everything.wait_for(6)]
        shown = feed(api, admin)
        assert sorted(message["type"] for message in messages) == sorted(
            ["event.created"] * 2 + ["event.updated", "event.deleted", "event.deleted", "event.restored"]
        )
        for received, message in zip(everything.received, messages, strict=True):
            assert received.headers["webhook-id"] == message["data"]["id"]
            assert message["data"] == shown[message["data"]["id"]]  # the admin's feed view, no signed URL
            assert message["timestamp"] == message["data"]["at"]
            assert received.headers["content-type"] == "application/json"
            assert "NovaVMS" in received.headers["user-agent"]
        assert len({received.headers["webhook-id"] for received in everything.received}) == 6

        [dismissal] = [verified(received, deleted_only["secret"]) for received in dismissals.wait_for(1)]
        assert (dismissal["type"], dismissal["data"]["event_id"]) == ("event.deleted", first["id"])
        assert all(delivery["status"] == "succeeded" for delivery in _settled(org, 7))
        assert len(dismissals.received) == 1


def _settled(org: str, count: int, timeout: float = 30.0) -> list[dict[str, Any]]:
    """The org's ``count`` deliveries once none is pending (bounded wait)."""
    deadline = time.monotonic() + timeout
    while True:
        found = deliveries(org)
        if len(found) == count and all(delivery["status"] != "pending" for delivery in found):
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"deliveries not settled: {[d['status'] for d in found]}")
        time.sleep(0.1)


def test_endpoint_crud_shows_the_secret_once_and_caps_the_org(api: Api, token: Token, org: str) -> None:
    admin = token("admin")
    configure(EVENTS_WEBHOOK_MAX_ENDPOINTS="3")
    first = create(api, admin, "http://127.0.0.1:9/a", ["event.created"], description="first")
    assert first["secret"].startswith("whsec_") and len(base64.b64decode(first["secret"][6:])) == 32
    assert (first["status"], first["disabled_reason"], first["filter"]) == ("enabled", None, {})

    key = str(uuid.uuid4())
    made = api.post(
        ENDPOINTS,
        admin,
        json={"url": "http://127.0.0.1:9/b", "event_types": ["*"]},
        headers={"Idempotency-Key": key},
    )
    again = api.post(
        ENDPOINTS,
        admin,
        json={"url": "http://127.0.0.1:9/b", "event_types": ["*"]},
        headers={"Idempotency-Key": key},
    )
    assert made.status_code == again.status_code == 201
    assert again.json() == {**made.json(), "secret": None} and again.headers["Idempotent-Replayed"] == "true"
    create(api, admin, "http://127.0.0.1:9/c")
    over = api.post(ENDPOINTS, admin, json={"url": "http://127.0.0.1:9/d", "event_types": ["*"]})
    assert over.status_code == 409 and over.json()["error"] == "conflict"

    got = api.get(f"{ENDPOINTS}/{first['id']}", admin).json()
    assert got == {name: value for name, value in first.items() if name != "secret"}
    page = api.get(ENDPOINTS, admin, params={"limit": 2}).json()
    rest = api.get(ENDPOINTS, admin, params={"limit": 2, "cursor": page["next_cursor"]}).json()
    listed = [item["id"] for item in page["data"] + rest["data"]]
    assert len(listed) == 3 and listed[-1] == first["id"] and rest["next_cursor"] is None
    assert all("secret" not in item for item in page["data"] + rest["data"])

    changed = api.patch(
        f"{ENDPOINTS}/{first['id']}",
        admin,
        json={"status": "disabled", "filter": {"trigger_types": ["motion"]}},
    )
    assert changed.status_code == 200, changed.text
    assert (changed.json()["status"], changed.json()["disabled_reason"]) == (
        "disabled",
        "disabled by an admin",
    )
    assert changed.json()["filter"] == {"trigger_types": ["motion"]}
    assert api.post(f"{ENDPOINTS}/{first['id']}/test", admin).status_code == 409
    enabled = api.patch(f"{ENDPOINTS}/{first['id']}", admin, json={"status": "enabled"}).json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)

    assert api.delete(f"{ENDPOINTS}/{first['id']}", admin).status_code == 204
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"description": "x"}} if method == "patch" else {}
        assert getattr(api, method)(f"{ENDPOINTS}/{first['id']}", admin, **kwargs).status_code == 404
    assert api.get(f"{ENDPOINTS}/not-an-endpoint", admin).status_code == 404
    assert api.get(ENDPOINTS, token("operator")).status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://127.0.0.1/x", "event_types": ["*"]}, "url"),
        ({"event_types": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["event.exploded"]}, "event_types"),
        ({"url": "http://127.0.0.1:9/x", "event_types": []}, "event_types"),
        (
            {"url": "http://127.0.0.1:9/x", "event_types": ["*"], "filter": {"site_ids": ["nope"]}},
            "filter.site_ids",
        ),
        (
            {"url": "http://127.0.0.1:9/x", "event_types": ["*"], "filter": {"colour": ["red"]}},
            "filter.colour",
        ),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "secret": "whsec_mine"}, "secret"),
    ],
)
def test_a_bad_endpoint_is_400_naming_the_field(
    api: Api, token: Token, body: dict[str, Any], field: str
) -> None:
    answer = api.post(ENDPOINTS, token("admin"), json=body)
    assert answer.status_code == 400 and field in answer.json()["fields"], answer.text


def test_a_test_message_is_signed_and_delivered(api: Api, token: Token, runner: TaskRunner) -> None:
    admin = token("admin")
    with Receiver() as receiver:
        endpoint = create(api, admin, receiver.url)
        queued = api.post(f"{ENDPOINTS}/{endpoint['id']}/test", admin)
        assert queued.status_code == 202, queued.text
        [message] = [verified(received, endpoint["secret"]) for received in receiver.wait_for(1)]
    assert message["type"] == "webhook.test" and message["data"]["endpoint_id"] == endpoint["id"]


def _deliveries_of(org: str, endpoint_id: str) -> list[dict[str, Any]]:
    return [delivery for delivery in deliveries(org) if delivery["endpoint_id"] == endpoint_id]


def _wait(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.1)


def test_failures_are_retried_on_the_schedule_with_one_webhook_id(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE="1,1,1")
    admin = token("admin")
    with Receiver(statuses=[500, 500, 500, 200]) as receiver:
        endpoint = create(api, admin, receiver.url)
        add_events([event_line(0)])
        attempts = receiver.wait_for(4)
        [delivery] = _settled(org, 1)
    messages = [verified(received, endpoint["secret"]) for received in attempts]
    assert len({received.headers["webhook-id"] for received in attempts}) == 1
    assert len({received.body for received in attempts}) == 1, "every attempt sends the same bytes"
    assert all(message == messages[0] for message in messages)
    assert delivery["status"] == "succeeded"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [500, 500, 500, 200]
    assert [attempt["error"] for attempt in delivery["attempts"]] == ["HTTP 500"] * 3 + [None]
    assert all('"ok"' in attempt["response_body"] for attempt in delivery["attempts"])
    assert len(receiver.received) == 4


def test_a_spent_schedule_fails_the_delivery(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE="1")
    admin = token("admin")
    with Receiver(statuses=[503, 302]) as receiver:  # a redirect is a failure, never followed
        create(api, admin, receiver.url)
        add_events([event_line(0)])
        receiver.wait_for(2)
        [delivery] = _settled(org, 1)
    assert delivery["status"] == "failed"
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [503, 302]


def test_a_410_disables_the_endpoint_and_it_gets_nothing_more(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    admin = token("admin")
    with Receiver(statuses=[410]) as gone:
        endpoint = create(api, admin, gone.url)
        add_events([event_line(0)])
        gone.wait_for(1)
        [delivery] = _settled(org, 1)
        shown = api.get(f"{ENDPOINTS}/{endpoint['id']}", admin).json()
        assert delivery["status"] == "failed" and len(delivery["attempts"]) == 1
        assert shown["status"] == "disabled" and "410" in shown["disabled_reason"]
        add_events([event_line(1)])
        assert len(deliveries(org)) == 1, "a disabled endpoint gets no delivery"
        enabled = api.patch(f"{ENDPOINTS}/{endpoint['id']}", admin, json={"status": "enabled"}).json()
        assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)
        add_events([event_line(2)])
        [message] = [verified(received, endpoint["secret"]) for received in gone.wait_for(2)[1:]]
    assert message["type"] == "event.created"


def test_a_receiver_down_for_a_while_gets_everything_once_it_is_back(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE=",".join(["1"] * 20))
    admin = token("admin")
    with Receiver() as probe:
        port = int(probe.url.split(":")[2].split("/")[0])
    endpoint = create(api, admin, f"http://127.0.0.1:{port}/hooks")  # nothing listens there now
    lines = add_events([event_line(n) for n in range(3)])
    _wait(
        lambda: all(d["attempts"] for d in deliveries(org)) and len(deliveries(org)) == 3, "failed attempts"
    )
    assert all(d["attempts"][0]["status_code"] is None and d["attempts"][0]["error"] for d in deliveries(org))
    with Receiver(port=port) as back:
        messages = [verified(received, endpoint["secret"]) for received in back.wait_for(3)]
        _settled(org, 3)
    assert sorted(message["data"]["event_id"] for message in messages) == sorted(line["id"] for line in lines)
    assert len(back.received) == 3


def test_a_slow_endpoint_never_holds_up_another(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    admin = token("admin")
    with Receiver(delay=10.0) as slow, Receiver() as fast:
        create(api, admin, slow.url)
        quick = create(api, admin, fast.url)
        add_events([event_line(0)])
        [received] = fast.wait_for(1)
        verified(received, quick["secret"])
        slow.wait_for(1)
        _wait(lambda: bool(slow.answered), "the slow receiver answered")
        assert received.at < slow.answered[0], "the fast endpoint got its message while the slow one was busy"
        _settled(org, 2)


def test_a_runner_stopped_mid_flight_loses_nothing(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE="2")
    admin = token("admin")
    with Receiver(statuses=[500]) as receiver:
        endpoint = create(api, admin, receiver.url)
        add_events([event_line(0)])
        receiver.wait_for(1)
        _wait(lambda: [len(d["attempts"]) for d in deliveries(org)] == [1], "the first attempt recorded")
        runner.stop()  # its queued retry goes with it
        with TaskRunner(sweep_seconds=1.0):  # a new runner: its sweeper finds the overdue delivery
            first, second = receiver.wait_for(2)
            [delivery] = _settled(org, 1)
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    verified(second, endpoint["secret"])
    assert delivery["status"] == "succeeded" and len(delivery["attempts"]) == 2


def test_the_secret_is_in_no_log_line(
    api: Api,
    token: Token,
    add_events: AddEvents,
    runner: TaskRunner,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level("DEBUG")
    admin = token("admin")
    with Receiver() as receiver:
        endpoint = create(api, admin, receiver.url)
        add_events([event_line(0)])
        assert api.post(f"{ENDPOINTS}/{endpoint['id']}/test", admin).status_code == 202
        received = receiver.wait_for(2)
    assert [verified(message, endpoint["secret"])["type"] for message in received]
    out, err = "", ""
    deadline = time.monotonic() + 30  # an attempt's log line follows its receipt (once it is recorded)
    while '"function": "deliver_webhook"' not in out and time.monotonic() < deadline:
        more = capfd.readouterr()
        out, err = out + more.out, err + more.err
        time.sleep(0.05)
    logged = "\n".join([out, err, caplog.text])
    assert '"function": "deliver_webhook"' in out, "the delivery function's log lines were captured"
    for part in (endpoint["secret"], endpoint["secret"].removeprefix("whsec_")):
        assert part not in logged


def test_with_loopback_refused_a_loopback_url_is_400_naming_url(api: Api, token: Token) -> None:
    configure(EVENTS_WEBHOOK_ALLOW_LOOPBACK="false")
    for url in ("http://127.0.0.1:9/hooks", "https://127.0.0.1/hooks", "https://localhost/hooks"):
        answer = api.post(ENDPOINTS, token("admin"), json={"url": url, "event_types": ["*"]})
        assert answer.status_code == 400 and "url" in answer.json()["fields"], answer.text


def test_a_batch_writes_every_delivery_with_its_change_in_smaller_commits(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    """20 endpoints make 23 writes an event: a batch's chunk is committed 21 events at a time (within
    Firestore's 500 writes), each change with its 20 deliveries."""
    configure(EVENTS_CHANGES_SETTLE_SECONDS="0")
    admin = token("admin")
    lines = add_events([event_line(n) for n in range(30)])
    for n in range(20):
        create(api, admin, f"http://127.0.0.1:9/hooks/{n}", ["event.updated"])
    answer = api.post(
        f"{EVENTS}/batch-update",
        admin,
        json={"ids": [line["id"] for line in lines], "changes": {"starred": True}},
    )
    assert answer.status_code == 200 and answer.json()["changed"] == 30, answer.text
    made = deliveries(org)
    assert len(made) == 30 * 20
    updates = {
        change_id for change_id, change in feed(api, admin).items() if change["type"] == "event.updated"
    }
    assert len(updates) == 30 and {delivery["change_id"] for delivery in made} == updates
    # no runner here: remove the undeliverable outbox, so no later test's sweeper spends its time on it
    collection = firestore_client().collection("orgs").document(org).collection(DELIVERIES)
    for start in range(0, len(made), 500):
        batch = firestore_client().batch()
        for delivery in made[start : start + 500]:
            batch.delete(collection.document(delivery["id"]))
        batch.commit()


def test_a_429_with_retry_after_waits_at_least_that_long(
    api: Api, token: Token, add_events: AddEvents, org: str, runner: TaskRunner
) -> None:
    configure(EVENTS_WEBHOOK_RETRY_SCHEDULE="1")
    admin = token("admin")
    with Receiver(statuses=[429, 200], headers={"Retry-After": "3"}) as receiver:
        endpoint = create(api, admin, receiver.url)
        add_events([event_line(0)])
        receiver.wait_for(1)
        _wait(lambda: [len(d["attempts"]) for d in deliveries(org)] == [1], "the first attempt recorded")
        [pending] = deliveries(org)
        assert pending["status"] == "pending"
        assert (pending["next_attempt_at"] - pending["attempts"][0]["at"]).total_seconds() >= 3
        second = receiver.wait_for(2)[1]
        [delivery] = _settled(org, 1)
    verified(second, endpoint["secret"])
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [429, 200]

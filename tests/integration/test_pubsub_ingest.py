"""Ingest from Pub/Sub on the real emulators: the Pub/Sub emulator (started for this module only),
the local delivery that plays Eventarc (pull, binary CloudEvent, ack or backoff) and the
``ingest_pubsub`` function, writing to the Firestore emulator. Each test has a Pub/Sub project of its
own (topics, subscriptions and dead letters of nobody else) and a fresh org."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devstack.emulators import Emulators, free_port
from devstack.pubsub import DeadLetter, Delivery, clients, ensure_topology, read_dead_letters
from shared.api.ingest import MAX_EVENTS
from shared.model.scope import Scope
from shared.store.client import firestore_client, reset_clients
from shared.store.events import EventStore
from tests.integration.conftest import ROOT, Api, Token, event_line, reset_caches

TOPIC = "events-ingest"
EVENTS = "/api/v1/events"
PIPELINE = {"kind": "pipeline", "id": TOPIC}
CLI = str(ROOT / ".venv" / "bin" / "novavms-events")
WAIT_BOUND_SECONDS = 120  # only ends a hang: deliveries are awaited, never timed


@pytest.fixture(scope="module")
def pubsub_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The Pub/Sub emulator of this module (or the one PUBSUB_EMULATOR_HOST names)."""
    stack = Emulators()
    try:
        yield stack.start_pubsub(tmp_path_factory.mktemp("pubsub-logs"))
    finally:
        stack.stop()


@pytest.fixture
def project(pubsub_host: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A Pub/Sub project of this test's own, with the ingest topics and subscriptions."""
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_host)
    monkeypatch.setenv("EVENTS_CHANGES_SETTLE_SECONDS", "0")
    reset_caches()
    name = f"ps-{uuid.uuid4().hex[:10]}"
    ensure_topology(name, TOPIC)
    return name


@pytest.fixture
def delivery(project: str) -> Iterator[Delivery]:
    """Eventarc's delivery of the test's topic to the function, running."""
    running = Delivery(project, TOPIC).start()
    try:
        yield running
    finally:
        running.stop()


def publish(project: str, data: bytes | dict[str, Any], **attributes: str) -> str:
    """Publish one message; its id."""
    publisher, _ = clients()
    payload = data if isinstance(data, bytes) else json.dumps(data).encode()
    message_id: str = publisher.publish(publisher.topic_path(project, TOPIC), payload, **attributes).result(
        30
    )
    return message_id


def wait_for(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_BOUND_SECONDS
    while not check():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.2)


def settled(delivery: Delivery, *message_ids: str) -> None:
    """Wait until the function took each message (its last delivery answered 2xx)."""
    wait_for(
        lambda: all(delivery.statuses(m) and delivery.statuses(m)[-1] < 300 for m in message_ids),
        f"the deliveries of {message_ids}",
    )


def dead_letters(project: str, org: str | None, count: int) -> dict[str, DeadLetter]:
    """The first ``count`` dead letters of the org (every org's with None), by original message id."""
    found: list[DeadLetter] = []

    def enough() -> bool:
        found.extend(read_dead_letters(project, TOPIC, org, acknowledge=True))
        return len(found) >= count

    wait_for(enough, f"{count} dead letters")
    assert len(found) == count, [letter.view() for letter in found]
    return {str(letter.original_message_id): letter for letter in found}


def listed_ids(api: Api, bearer: str) -> set[str]:
    answer = api.get(EVENTS, bearer, params={"limit": 100})
    assert answer.status_code == 200, answer.text
    return {item["id"] for item in answer.json()["data"]}


def change_records(org: str, event_id: str) -> list[dict[str, Any]]:
    changes = firestore_client().collection("orgs").document(org).collection("changes")
    return [snap.to_dict() for snap in changes.stream() if snap.get("event_id") == event_id]


def test_published_events_appear_in_the_list_and_the_change_feed_as_the_pipelines(
    project: str, delivery: Delivery, api: Api, token: Token, org: str
) -> None:
    one, *two = (event_line(n) for n in range(3))
    sent = [publish(project, one, org_id=org), publish(project, {"events": two}, org_id=org)]
    settled(delivery, *sent)
    assert [delivery.statuses(message_id) for message_id in sent] == [[200], [200]], "each taken at once"

    operator = token("operator")
    assert listed_ids(api, operator) == {one["id"], two[0]["id"], two[1]["id"]}
    stored = EventStore(Scope(org)).get(one["id"])
    assert stored is not None and stored.data["summary"] == one["summary"]
    feed = api.feed_after(operator)
    assert sorted(change["event_id"] for change in feed) == sorted([one["id"], two[0]["id"], two[1]["id"]])
    assert {change["type"] for change in feed} == {"event.created"}
    assert all(change["actor"] == PIPELINE for change in feed), [change["actor"] for change in feed]


def test_a_poison_message_is_dead_lettered_with_its_reason_while_the_valid_events_are_written(
    project: str, delivery: Delivery, api: Api, token: Token, org: str
) -> None:
    good, bad, other = event_line(0), event_line(1, camera_id="not-a-uuid"), event_line(2)
    too_many = {"events": [event_line(n) for n in range(MAX_EVENTS + 1)]}
    sent = {
        "not_json": publish(project, b"{not json", org_id=org),
        "not_an_event": publish(project, b"[1, 2]", org_id=org),
        "empty": publish(project, {"events": []}, org_id=org),
        "too_many_events": publish(project, too_many, org_id=org),
        "invalid_events": publish(project, {"events": [good, bad, other]}, org_id=org),
        "single_invalid": publish(project, {**event_line(3), "snapshot_url": "https://x"}, org_id=org),
    }
    settled(delivery, *sent.values())
    assert all(delivery.statuses(message_id) == [200] for message_id in sent.values()), "acknowledged"

    letters = dead_letters(project, org, len(sent))
    assert {name: letters[message_id].reason for name, message_id in sent.items()} == {
        "not_json": "not_json",
        "not_an_event": "not_an_event",
        "empty": "not_an_event",
        "too_many_events": "too_many_events",
        "invalid_events": "invalid_events",
        "single_invalid": "invalid_events",
    }
    assert letters[sent["not_json"]].data == b"{not json", "a rejected message is dead-lettered as it was"
    assert all(letter.org_id == org for letter in letters.values())
    partial = letters[sent["invalid_events"]]
    assert json.loads(partial.data) == {"events": [bad]}, "only the invalid events, ready to publish again"
    assert "camera_id" in partial.detail and "1 of 3" in partial.detail
    assert "snapshot_url" in letters[sent["single_invalid"]].detail

    assert listed_ids(api, token("operator")) == {good["id"], other["id"]}


def test_a_redelivered_message_changes_nothing(project: str, api: Api, token: Token, org: str) -> None:
    class LostFirstAck(Delivery):
        """An ack that never reaches Pub/Sub: the message is delivered again, as at-least-once allows."""

        lost = 0

        def acknowledge(self, received: Any) -> None:
            if self.lost == 0:
                self.lost += 1
                self.retry_later(received, 1)
                return
            super().acknowledge(received)

    line = event_line(0)
    running = LostFirstAck(project, TOPIC).start()
    try:
        message_id = publish(project, line, org_id=org)
        wait_for(lambda: len(running.statuses(message_id)) >= 2, "the redelivery")
        first = firestore_client().document(f"orgs/{org}/events/{line['id']}").get().update_time
        time.sleep(1.5)  # a third delivery, if any, would be over by now
    finally:
        running.stop()
    assert running.statuses(message_id) == [200, 200]
    assert firestore_client().document(f"orgs/{org}/events/{line['id']}").get().update_time == first
    assert [record["type"] for record in change_records(org, line["id"])] == ["event.created"]
    assert listed_ids(api, token("operator")) == {line["id"]}


@pytest.fixture
def own_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Emulators]:
    """A Firestore emulator of this test's own, to pause (the session's stays untouched)."""
    monkeypatch.delenv("FIRESTORE_EMULATOR_HOST")
    stack = Emulators.start(log_dir=tmp_path, heap="-Xmx256m")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", stack.firestore_host)
    monkeypatch.setenv("EVENTS_STORE_DEADLINE_SECONDS", "2")  # a delivery fails within 2 s of silence
    reset_caches()
    reset_clients()
    try:
        yield stack
    finally:
        stack.resume_firestore()
        stack.stop()
        reset_clients()


def test_a_message_that_fails_on_a_paused_store_is_redelivered_and_written_once(
    own_store: Emulators, project: str, delivery: Delivery, org: str
) -> None:
    line = event_line(0)
    own_store.pause_firestore()
    try:
        message_id = publish(project, line, org_id=org)
        wait_for(lambda: 500 in delivery.statuses(message_id), "a delivery failing on the silent store")
    finally:
        own_store.resume_firestore()
    reset_clients()
    settled(delivery, message_id)
    statuses = delivery.statuses(message_id)
    assert statuses[-1] == 200 and set(statuses[:-1]) == {500}, statuses
    stored = EventStore(Scope(org)).get(line["id"])
    assert stored is not None and stored.data["camera_name"] == line["camera_name"]
    assert [record["type"] for record in change_records(org, line["id"])] == ["event.created"]


def test_the_org_is_the_pinned_one_and_an_attribute_naming_another_is_dead_lettered(
    project: str, delivery: Delivery, org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_PINNED_ORG", org)
    reset_caches()
    plain, named, foreign = event_line(0), event_line(1), event_line(2)
    sent = [
        publish(project, plain),
        publish(project, named, org_id=org),
        publish(project, foreign, org_id="another-org"),
    ]
    settled(delivery, *sent)
    store = EventStore(Scope(org))
    assert store.get(plain["id"]) is not None and store.get(named["id"]) is not None
    assert store.get(foreign["id"]) is None
    assert EventStore(Scope("another-org")).get(foreign["id"]) is None
    letter = dead_letters(project, org, 1)[sent[2]]
    assert letter.reason == "org_mismatch" and "another-org" in letter.detail
    assert json.loads(letter.data) == foreign


def test_without_a_pinned_org_the_org_attribute_is_required(
    project: str, delivery: Delivery, org: str
) -> None:
    line = event_line(0)
    sent = [publish(project, line), publish(project, event_line(1), org_id="../etc")]
    settled(delivery, *sent)
    assert EventStore(Scope(org)).get(line["id"]) is None
    letters = dead_letters(project, None, 2)
    assert {letters[m].reason for m in sent} == {"org_missing"}
    assert all(letter.org_id is None for letter in letters.values())


def test_the_cli_publishes_json_lines_and_shows_the_dead_letters(
    project: str, delivery: Delivery, api: Api, token: Token, org: str, tmp_path: Path
) -> None:
    lines = [event_line(n) for n in range(3)]
    source = tmp_path / "events.jsonl"
    text = [json.dumps(lines[0]), json.dumps(lines[1]), "this is not JSON", json.dumps(lines[2])]
    source.write_text("\n".join(text) + "\n")
    env = {**os.environ, "GOOGLE_CLOUD_PROJECT": project}
    done = cli("publish", "--org", org, "--batch", "2", str(source), env=env)
    assert done.returncode == 0, done.stderr
    ids = done.stdout.split()
    assert len(ids) == 3, done.stdout  # the first two lines, the line that is not JSON, the last line
    settled(delivery, *ids)
    assert listed_ids(api, token("operator")) == {line["id"] for line in lines}

    shown = cli("dead-letters", "--org", org, "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    views = [json.loads(row) for row in shown.stdout.splitlines()]
    assert [(view["reason"], view["original_message_id"], view["data"]) for view in views] == [
        ("not_json", ids[1], "this is not JSON")
    ]
    table = cli("dead-letters", "--org", org, env=env)
    assert table.returncode == 0 and "not_json" in table.stdout and ids[1] in table.stdout, table.stdout
    assert cli("dead-letters", "--org", "nobody", "--json", env=env).stdout == "", "other orgs' stay hidden"


def cli(*args: str, env: dict[str, str]) -> Any:
    import subprocess

    return subprocess.run(
        [CLI, *args], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120, stdin=subprocess.DEVNULL
    )


def test_a_message_over_the_ingest_budget_fails_writes_nothing_and_is_written_once_it_fits(
    project: str, delivery: Delivery, org: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVENTS_INGEST_RATE_LIMIT_PER_MINUTE", "3")
    reset_caches()
    lines = [event_line(n) for n in range(5)]
    message_id = publish(project, {"events": lines}, org_id=org)
    wait_for(lambda: len(delivery.statuses(message_id)) >= 2, "a redelivery over the budget")
    store = EventStore(Scope(org))
    assert all(store.get(line["id"]) is None for line in lines), "nothing of it was written"
    assert set(delivery.statuses(message_id)) == {500}

    monkeypatch.setenv("EVENTS_INGEST_RATE_LIMIT_PER_MINUTE", "1000")  # the budget the org is given now
    reset_caches()
    settled(delivery, message_id)
    assert all(store.get(line["id"]) is not None for line in lines)
    assert all(len(change_records(org, line["id"])) == 1 for line in lines), "each written once"


@pytest.mark.parametrize("command", [("publish", "--org", "demo", "-"), ("dead-letters", "--org", "demo")])
def test_the_pubsub_commands_without_an_emulator_say_so_in_one_line(
    command: tuple[str, ...], tmp_path: Path
) -> None:
    bare = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EVENTS_", "EVENT_", "GOOGLE_", "FIRESTORE_", "STORAGE_", "PUBSUB_"))
    }
    bare["NOVAVMS_DEVSTACK_DIR"] = str(tmp_path / "no-stack-here")
    done = cli(*command, env=bare)
    assert done.returncode == 2 and done.stdout == "", (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "no Pub/Sub emulator found" in done.stderr, done.stderr
    gone = cli(*command, env={**bare, "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{free_port()}"})
    assert gone.returncode == 2 and "does not answer" in gone.stderr and gone.stderr.count("\n") == 1

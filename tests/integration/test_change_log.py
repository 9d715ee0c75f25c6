"""The change log on the real emulator: each kind of write (load, re-load, PATCH, DELETE, restore, each
event of a batch) commits exactly its change record with it, a write that changes nothing commits
none, and a change whose transaction fails leaves no record."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from google.cloud import firestore

from devstack.emulators import Emulators
from shared.config import settings
from shared.model.actor import Actor
from shared.model.changes import EventChanges
from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.client import firestore_client
from shared.store.events import EventStore
from tests.integration.conftest import Api, Token, event_line
from tests.integration.test_faults import own_store

__all__ = ["own_store"]  # the fixture: a Firestore emulator of the test's own, which it pauses

EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]
CLOCK_SLACK = timedelta(seconds=5)


def records(org: str) -> list[dict[str, Any]]:
    """Every change record of the org, oldest first, with its id."""
    query = firestore_client().collection("orgs").document(org).collection("changes").order_by("at")
    return [{**(snap.to_dict() or {}), "id": snap.id} for snap in query.order_by("__name__").stream()]


def test_a_load_records_each_created_event_and_a_reload_only_what_differs(org: str) -> None:
    first, second = event_line(0), event_line(1)
    before = datetime.now(UTC)
    EventStore(Scope(org)).upsert_pipeline(parse_pipeline_event(line) for line in (first, second))
    created = records(org)
    assert sorted(r["event_id"] for r in created) == sorted([first["id"], second["id"]])
    for record in created:
        assert record["type"] == "event.created"
        assert record["actor"] == {"kind": "pipeline", "id": "loader"}
        assert "previous" not in record
        assert {"summary", "triggered_at", "tags", "camera_id"} <= set(record["changed"])
        assert not {"snapshot_object", "clip_object", "site_id", "deleted"} & set(record["changed"])
        assert record["site_id"] == first["site_id"] and record["trigger_type"] == "ai_tag"
        assert record["event"]["summary"] == first["summary"] and record["event"]["acknowledged"] is False
        assert before - CLOCK_SLACK <= record["at"] <= datetime.now(UTC) + CLOCK_SLACK
        retention = timedelta(seconds=settings().changes_retention_seconds)
        assert abs(record["expires_at"] - (record["at"] + retention)) < CLOCK_SLACK

    EventStore(Scope(org)).upsert_pipeline([parse_pipeline_event(first)])  # the same again: nothing
    assert len(records(org)) == 2
    reloaded = {**first, "summary": "Courier leaves", "snapshot_object": "media/new.jpg"}
    EventStore(Scope(org)).upsert_pipeline([parse_pipeline_event(reloaded)])
    updated = records(org)[2:]
    assert len(updated) == 1
    assert updated[0]["type"] == "event.updated" and updated[0]["event_id"] == first["id"]
    assert updated[0]["changed"] == ["snapshot_url", "summary"]  # the object by the URL field it makes
    assert updated[0]["previous"] == {"summary": first["summary"]}  # a signed URL has no previous value
    assert updated[0]["event"]["summary"] == "Courier leaves"

    EventStore(Scope(org)).upsert_pipeline([parse_pipeline_event({**reloaded, "site_id": str(uuid.uuid4())})])
    assert len(records(org)) == 3  # only a hidden field changed: no record
    EventStore(Scope(org)).upsert_pipeline([parse_pipeline_event({**reloaded, "snapshot_object": "b.jpg"})])
    (media,) = records(org)[3:]  # new media only: a record naming its URL field
    assert (media["changed"], media["previous"]) == (["snapshot_url"], {})


def test_patch_delete_and_restore_each_record_exactly_their_change(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    (line,) = add_events([event_line(0)])
    event_id, loaded = line["id"], len(records(org))
    operator, admin = token("operator", sub="op-7"), token("admin", sub="admin-1")

    assert api.patch(f"{EVENTS}/{event_id}", operator, json={"acknowledged": True, "notes": "seen"}).ok
    assert api.patch(f"{EVENTS}/{event_id}", operator, json={"acknowledged": True, "notes": "seen"}).ok
    assert api.delete(f"{EVENTS}/{event_id}", admin).status_code == 204
    assert api.delete(f"{EVENTS}/{event_id}", admin).status_code == 404
    assert api.post(f"{EVENTS}/{event_id}/restore", admin).status_code == 200
    assert api.post(f"{EVENTS}/{event_id}/restore", admin).status_code == 200  # live already: no change

    updated, deleted, restored = records(org)[loaded:]
    assert updated["type"] == "event.updated" and updated["actor"] == {"kind": "user", "id": "op-7"}
    assert updated["changed"] == ["acknowledged", "acknowledged_at", "acknowledged_by", "notes"]
    assert updated["previous"] == {
        "acknowledged": False,
        "acknowledged_at": None,
        "acknowledged_by": None,
        "notes": None,
    }
    assert updated["event"]["acknowledged"] is True and updated["dismissed"] is False
    assert deleted["type"] == "event.deleted" and deleted["actor"] == {"kind": "user", "id": "admin-1"}
    assert deleted["changed"] == ["deleted_at", "deleted_by"] and "previous" not in deleted
    assert deleted["dismissed"] is True
    assert restored["type"] == "event.restored" and restored["dismissed"] is False
    assert {r["event_id"] for r in (updated, deleted, restored)} == {event_id}
    assert updated["at"] < deleted["at"] < restored["at"]


def test_a_batch_records_each_changed_event_once(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    lines = add_events([event_line(n) for n in range(5)])
    ids = [line["id"] for line in lines]
    operator = token("operator")
    assert api.patch(f"{EVENTS}/{ids[0]}", operator, json={"starred": True}).ok
    loaded = len(records(org))
    body = {"ids": ids, "changes": {"starred": True}}
    answer = api.post(f"{EVENTS}/batch-update", operator, json=body).json()
    assert answer["changed"] == 4
    batch = records(org)[loaded:]
    assert sorted(r["event_id"] for r in batch) == sorted(ids[1:])
    assert all(r["changed"] == ["starred"] and r["previous"] == {"starred": False} for r in batch)
    assert all(r["actor"]["kind"] == "user" for r in batch)

    answer = api.post(f"{EVENTS}/batch-delete", token("admin"), json={"ids": ids[:2]}).json()
    assert answer["changed"] == 2
    assert [r["type"] for r in records(org)[loaded + 4 :]] == ["event.deleted", "event.deleted"]


class FailingRecord:
    """An outcome record whose save fails: the transaction fails after the change is staged."""

    def save(self, transaction: firestore.Transaction, outcome: dict[str, Any]) -> None:
        raise RuntimeError("the store went away mid-transaction")


def test_a_change_that_fails_leaves_neither_the_change_nor_its_record(
    org: str, add_events: AddEvents
) -> None:
    (line,) = add_events([event_line(0)])
    store, loaded = EventStore(Scope(org)), len(records(org))
    with pytest.raises(RuntimeError):
        store.update(line["id"], EventChanges(starred=True), Actor.user("u"), FailingRecord())
    with pytest.raises(RuntimeError):
        store.dismiss(line["id"], Actor.user("u"), FailingRecord())
    assert len(records(org)) == loaded
    event = store.get(line["id"])
    assert event is not None and not event.value("starred")


def test_a_change_cut_off_by_a_paused_store_commits_whole_or_not_at_all(
    own_store: Emulators, api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    (line,) = add_events([event_line(0)])
    loaded = len(records(org))
    own_store.pause_firestore()
    try:
        answer = api.patch(f"{EVENTS}/{line['id']}", token("operator"), json={"starred": True})
    finally:
        own_store.resume_firestore()
    assert answer.status_code == 503, answer.text
    event = EventStore(Scope(org)).get(line["id"])
    assert event is not None
    written = records(org)[loaded:]
    if event.value("starred"):  # committed whole: the change and its one record
        assert [r["changed"] for r in written] == [["starred"]]
    else:  # or not at all
        assert written == []

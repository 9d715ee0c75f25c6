"""The store enforces one scope for reads and writes alike, and records who acted as an actor.

These call the store directly (the HTTP tests cover the same rules through the API), because some
combinations cannot be reached through the API today: no site-scoped role may write, and no actor but
a user calls it yet.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from devstack.harness import whole_history
from shared.model.actor import Actor, ActorKind
from shared.model.changes import EventChanges
from shared.model.errors import NotFoundError, ScopeError
from shared.model.filter import EventFilter
from shared.model.scope import Scope
from shared.store.events import EventStore
from tests.integration.conftest import SITE_A, SITE_B, event_line

AddEvents = Callable[..., list[dict[str, Any]]]
KEY = Actor(ActorKind.API_KEY, "key123")


def test_a_site_scope_limits_reads_and_writes(org: str, add_events: AddEvents) -> None:
    at_a, at_b = add_events([event_line(0, site_id=SITE_A), event_line(1, site_id=SITE_B)])
    only_b = EventStore(Scope(org, frozenset({SITE_B})))
    assert [event.id for event in only_b.page(EventFilter(), None, 10).events] == [at_b["id"]]
    assert only_b.count(EventFilter()).total == 1
    with pytest.raises(ScopeError):
        only_b.page(EventFilter(site_id=SITE_A), None, 10)
    with pytest.raises(ScopeError):
        only_b.get(at_a["id"])
    with pytest.raises(ScopeError):
        only_b.update(at_a["id"], EventChanges(starred=True), Actor.user("u"))
    with pytest.raises(ScopeError):
        only_b.dismiss(at_a["id"], Actor.user("u"))
    whole_org = EventStore(Scope(org))
    untouched = whole_org.get(at_a["id"])
    assert untouched is not None and untouched.data["starred"] is False and not untouched.data["deleted"]
    assert whole_history(whole_org, at_a["id"]) == []
    assert only_b.neighbours(whole_org.get(at_b["id"])) == (None, None)  # type: ignore[arg-type]
    assert whole_org.neighbours(whole_org.get(at_b["id"])) == (at_a["id"], None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="site-scoped"):
        only_b.upsert_pipeline([])


def test_an_event_absent_from_the_scope_org_is_not_found(org: str, add_events: AddEvents) -> None:
    line = add_events([event_line(0)])[0]
    elsewhere = EventStore(Scope(f"{org}-x"))
    assert elsewhere.get(line["id"]) is None
    with pytest.raises(NotFoundError):
        elsewhere.update(line["id"], EventChanges(starred=True), Actor.user("u"))


def test_actors_are_recorded_with_their_kind(org: str, add_events: AddEvents) -> None:
    line = add_events([event_line(0)])[0]
    store = EventStore(Scope(org))
    acknowledged = store.update(line["id"], EventChanges(acknowledged=True), KEY)
    assert acknowledged.data["acknowledged_by"] == "key:key123"
    store.dismiss(line["id"], Actor.user("admin-1"))
    document = store.events.document(line["id"]).get().to_dict() or {}
    assert document["deleted_by"] == "admin-1"
    raw = [entry.to_dict() for entry in store.events.document(line["id"]).collection("history").stream()]
    assert sorted(entry["by"]["kind"] for entry in raw if entry) == ["api_key", "user"]
    assert [entry["by"] for entry in whole_history(store, line["id"])] == [KEY, Actor.user("admin-1")]


def test_history_entries_older_than_actors_read_as_users(org: str, add_events: AddEvents) -> None:
    line = add_events([event_line(0)])[0]
    store = EventStore(Scope(org))
    store.update(line["id"], EventChanges(starred=True), Actor.user("new-user"))
    [legacy] = [snap.reference for snap in store.events.document(line["id"]).collection("history").stream()]
    legacy.update({"by": "old-user"})  # what v1 wrote
    assert [entry["by"] for entry in whole_history(store, line["id"])] == [Actor.user("old-user")]


def test_pipeline_reloads_write_no_history(org: str, add_events: AddEvents) -> None:
    line = add_events([event_line(0)])[0]
    add_events([{**line, "summary": "re-analysed"}])
    store = EventStore(Scope(org))
    event = store.get(line["id"])
    assert event is not None and event.data["summary"] == "re-analysed"
    assert whole_history(store, line["id"]) == []

"""The change log's rules without a store: what a change record says, and the feed's queries, each
within Firestore's 30 disjunctions and each with its index."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from shared.api.shapes import LIST_FIELDS
from shared.model.actor import Actor
from shared.model.errors import ScopeError
from shared.model.event import OPERATOR_DEFAULTS
from shared.model.scope import Scope
from shared.store import changes
from shared.store.indexes import FEED_ORDER, Shape, parse_indexes, query_shapes, required_indexes, served

NOW = datetime(2026, 4, 21, 13, 45, tzinfo=UTC)
EVENT = {
    "site_id": "s1", "camera_id": "c1", "trigger_type": "motion", "summary": "a", "tags": ["person"],
    "snapshot_object": "media/a.jpg", **OPERATOR_DEFAULTS,
}  # fmt: skip


def sites(count: int) -> list[str]:
    return [str(uuid.UUID(int=n)) for n in range(count)]


def test_a_record_names_shown_fields_only_and_a_no_op_records_nothing() -> None:
    actor = Actor.user("u1")
    assert changes.record(actor, "e1", EVENT, dict(EVENT), NOW) is None
    assert changes.record(actor, "e1", EVENT, {**EVENT, "site_id": "s2"}, NOW) is None
    media = changes.record(actor, "e1", EVENT, {**EVENT, "snapshot_object": "media/b.jpg"}, NOW)
    assert media is not None and (media["changed"], media["previous"]) == (["snapshot_url"], {})
    updated = changes.record(actor, "e1", EVENT, {**EVENT, "starred": True, "clip_object": "x"}, NOW)
    assert updated is not None
    assert (updated["type"], updated["changed"], updated["previous"]) == (
        "event.updated",
        ["clip_url", "starred"],
        {"starred": False},
    )
    assert updated["actor"] == {"kind": "user", "id": "u1"} and updated["expires_at"] == NOW
    dismissed = {**EVENT, "deleted": True, "deleted_at": NOW, "deleted_by": "u1"}
    deleted = changes.record(actor, "e1", EVENT, dismissed, NOW)
    assert deleted is not None and deleted["type"] == "event.deleted" and "previous" not in deleted
    restored = changes.record(actor, "e1", dismissed, EVENT, NOW)
    assert restored is not None and restored["type"] == "event.restored"
    created = changes.record(actor, "e1", None, EVENT, NOW)
    assert created is not None and created["type"] == "event.created"
    assert not changes.HIDDEN_FIELDS & set(created["changed"])
    assert "snapshot_url" in created["changed"] and "clip_url" not in created["changed"]


def test_a_record_keeps_the_list_items_fields() -> None:
    assert set(changes.EVENT_FIELDS) == set(LIST_FIELDS) - {"id"}


TYPE_CHOICES = [None, *(tuple(c) for n in (1, 2, 4) for c in itertools.combinations(changes.TYPES, n))]


@pytest.mark.parametrize("site_count", [None, 1, 7, 30, 31, 75])
@pytest.mark.parametrize("types", TYPE_CHOICES)
def test_every_feed_query_stays_within_30_disjunctions_and_covers_the_scope_once(
    site_count: int | None, types: tuple[str, ...] | None
) -> None:
    scope = Scope("org", None if site_count is None else frozenset(sites(site_count)))
    plan = changes.query_plan(changes.FeedFilter(types=types, trigger_type="motion"), scope)
    assert all(changes.disjunctions(query) <= changes.DISJUNCTIONS for query in plan)
    covered: list[tuple[str, str]] = []
    for query in plan:
        values = {field: value if op == "in" else [value] for field, op, value in query}
        covered += itertools.product(values.get("site_id", ["*"]), values.get("type", ["*"]))
    assert len(covered) == len(set(covered)), "a site and type is queried twice"
    wanted_sites = ["*"] if site_count is None else sites(site_count)
    assert set(covered) == set(itertools.product(wanted_sites, types or ["*"]))


def test_every_feed_query_shape_has_its_index() -> None:
    declared = parse_indexes(required_indexes())
    shapes = set(query_shapes())
    filters = [
        changes.FeedFilter(types=types, camera_id=camera, site_id=site, trigger_type=trigger)
        for types in TYPE_CHOICES
        for camera in (None, "c1")
        for site in (None, sites(1)[0])
        for trigger in (None, "motion")
    ]
    for feed_filter, scope in itertools.product(filters, (Scope("org"), Scope("org", frozenset(sites(40))))):
        for query in changes.query_plan(feed_filter, scope):
            shape = Shape(changes.COLLECTION, frozenset(field for field, _, _ in query), FEED_ORDER)
            assert shape in shapes and served(shape, declared), shape


def test_a_site_filter_outside_a_viewers_sites_is_refused() -> None:
    with pytest.raises(ScopeError):
        changes.query_plan(changes.FeedFilter(site_id="elsewhere"), Scope("org", frozenset({"s1"})))

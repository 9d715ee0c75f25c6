"""The index plan against the store's query shapes: every shape is served by the declared file, whole
or by merging indexes that share its ordering (the rule of :func:`shared.store.indexes.served`); the
rule refuses what Firestore could not merge; the plan grows by one index per filter and family."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.model.filter import EQUALITY_FIELDS
from shared.model.search import TERMS_FIELD
from shared.store.indexes import (
    ARRAY_FIELDS,
    EVENTS,
    FEED_ORDER,
    INDEX_BUDGET,
    LIST_ORDER,
    PREV_ORDER,
    TRASH_ORDER,
    WHOLE,
    Index,
    Shape,
    event_shapes,
    parse_indexes,
    plan,
    query_shapes,
    reported_served,
    served,
)

ROOT = Path(__file__).resolve().parents[2]
DECLARED = parse_indexes(json.loads((ROOT / "deploy" / "firestore.indexes.json").read_text())["indexes"])


def test_every_query_shape_is_declared_whole_or_merges_declared_indexes() -> None:
    shapes = query_shapes()
    assert len(shapes) > 100  # every subset of the filters, in each family and scope
    for shape in shapes:
        assert served(shape, DECLARED), shape


def test_every_declared_index_but_the_whole_combinations_is_needed_by_some_shape() -> None:
    for index in set(DECLARED) - {shape.whole for shape in WHOLE}:
        rest = [other for other in DECLARED if other != index]
        assert not all(served(shape, rest) for shape in query_shapes()), f"{index} serves nothing"


def test_the_whole_combinations_are_declared_whole() -> None:
    for shape in WHOLE:
        assert shape.whole in DECLARED


def test_a_merge_needs_the_same_ordering_and_no_foreign_field() -> None:
    two = Shape(EVENTS, frozenset({"deleted", "camera_id", "starred"}), LIST_ORDER)
    camera = Index(EVENTS, ("camera_id", "deleted"), LIST_ORDER)
    starred = Index(EVENTS, ("deleted", "starred"), LIST_ORDER)
    assert served(two, [camera, starred])
    assert not served(two, [camera])  # starred uncovered
    assert not served(two, [camera, Index(EVENTS, ("deleted", "starred"), TRASH_ORDER)])  # another order
    assert not served(two, [camera, Index(EVENTS, ("deleted", "starred"), PREV_ORDER)])  # other direction
    wider = Index(EVENTS, ("camera_id", "deleted", "site_id", "starred"), LIST_ORDER)
    assert not served(two, [wider])  # holds a field the query does not filter on
    assert not served(two, [Index("changes", ("camera_id",), LIST_ORDER), starred])  # another collection
    assert served(Shape("changes", frozenset(), FEED_ORDER), [])  # Firestore's single-field index on `at`


def test_the_emulators_report_is_checked_by_the_rule() -> None:
    merged = {  # what the emulator names for a query on two filters: one whole index
        "name": "projects/p/databases/(default)/collectionGroups/events/indexes/_",
        "fields": [
            {"fieldPath": "ai_status", "order": "ASCENDING"},
            {"fieldPath": "camera_id", "order": "ASCENDING"},
            {"fieldPath": "deleted", "order": "ASCENDING"},
            {"fieldPath": "triggered_at", "order": "DESCENDING"},
            {"fieldPath": "__name__", "order": "DESCENDING"},
        ],
    }
    assert reported_served(merged, DECLARED)
    no_ai = [index for index in DECLARED if "ai_status" not in index.equal]
    assert not reported_served(merged, no_ai)
    unordered = {**merged, "fields": merged["fields"][:3]}
    assert not reported_served(unordered, DECLARED)


def test_the_plan_grows_by_one_index_per_filter_and_family() -> None:
    shapes = event_shapes()
    families = {shape.family for shape in shapes}
    base = len(plan(shapes, whole=()))
    fewer = [shape for shape in shapes if "starred" not in shape.equal]
    assert base - len(plan(fewer, whole=())) == len(families) - 1  # prev/next takes no filter
    # the list and the trash: one per equality field and array field (tags, the search terms), plus
    # the fixed equality alone; prev: ``deleted`` alone and with the scope's site
    assert len(families) == 3 and base == 2 * (len(EQUALITY_FIELDS) + len(ARRAY_FIELDS) + 1) + 2


def test_tags_and_words_cost_the_five_indexes_planned() -> None:
    with_arrays = plan(query_shapes())
    without = [shape for shape in query_shapes() if not shape.equal & {"tags", TERMS_FIELD}]
    assert len(with_arrays) - len(plan(without)) == 5  # tags: list, trash, feed; words: list, trash
    arrays = [index for index in with_arrays if set(index.equal) & {"tags", TERMS_FIELD}]
    assert {(index.collection, index.equal) for index in arrays} == {
        ("events", ("deleted", "tags")),
        ("events", ("deleted", TERMS_FIELD)),
        ("changes", ("tags",)),
    }
    for index in arrays:  # indexed as arrays, in firestore.indexes.json's form
        fields = index.as_json()["fields"]
        assert {
            "fieldPath": next(n for n in index.equal if n in ARRAY_FIELDS),
            "arrayConfig": "CONTAINS",
        } in fields


def test_the_plan_leaves_room_for_five_more_filters_on_every_family() -> None:
    assert len(DECLARED) + 5 * 3 <= INDEX_BUDGET


@pytest.mark.parametrize("shape", WHOLE, ids=lambda shape: "+".join(sorted(shape.equal)))
def test_a_whole_combination_would_also_merge(shape: Shape) -> None:
    rest = [index for index in DECLARED if index != shape.whole]
    assert served(shape, rest)  # kept whole for speed in production, not for correctness

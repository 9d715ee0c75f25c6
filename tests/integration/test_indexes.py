"""deploy/firestore.indexes.json against what Firestore would need.

The emulator does not enforce composite indexes but reports (indexUsage) the one whole index each query
would need in production. Here every query shape the store makes runs in a project of its own: each
reported index must be one of the generator's shapes and be served by the declared file, whole or by
merging (:func:`shared.store.indexes.served`), and every declared index must take part in serving some
query; the session fixture also checks every project the other tests used.
"""

from __future__ import annotations

import itertools
import json
import uuid
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from google.cloud import firestore

from devstack.emulators import Emulators, index_usage
from shared.edge.api_keys import issue_key
from shared.model.actor import Actor
from shared.model.filter import EQUALITY_FIELDS, EventFilter
from shared.model.scope import Scope
from shared.pipeline import parse_pipeline_event
from shared.store.api_keys import ApiKeys
from shared.store.changes import FILTER_FIELDS, TYPES, ChangeLog, FeedFilter, FeedPosition
from shared.store.events import EventStore
from shared.store.indexes import (
    field_overrides,
    parse_indexes,
    query_shapes,
    reported_served,
    required_indexes,
)
from shared.store.webhooks import Deliveries, overdue
from shared.timefmt import utcnow
from tests.integration.conftest import (
    BASE_TIME,
    CAMERA_A,
    PROJECTS_USED,
    SITE_A,
    declared_indexes,
    event_line,
)

ROOT = Path(__file__).resolve().parents[2]

# The array clauses a filter may add: a tag, some tags (any of), one search word, several (the rarest
# is queried, the rest checked after the query).
ARRAY_CLAUSES: list[dict[str, tuple[str, ...]]] = [
    {"tags": ("person",)},
    {"tags": ("person", "vehicle")},
    {"words": ("package",)},
    {"words": ("courier", "package")},
]
VALUES = {
    "camera_id": CAMERA_A,
    "site_id": SITE_A,
    "trigger_type": "ai_tag",
    "ai_status": "completed",
    "acknowledged": False,
    "starred": True,
}


def test_declared_file_is_generated_from_the_store() -> None:
    declared = json.loads((ROOT / "deploy" / "firestore.indexes.json").read_text())
    assert declared == {"indexes": required_indexes(), "fieldOverrides": field_overrides()}


def test_every_query_shape_uses_a_declared_index(emulators: Emulators) -> None:
    project = f"idx-{uuid.uuid4().hex[:10]}"
    PROJECTS_USED.add((project, "(default)"))
    client = firestore.Client(project=project)
    store = EventStore(Scope("org-indexes"), client=client)
    store.upsert_pipeline([parse_pipeline_event(event_line(0, starred=True))])
    many_sites = [str(uuid.UUID(int=n)) for n in range(45)] + [SITE_A]
    for size in range(len(EQUALITY_FIELDS) + 1):
        for fields in itertools.combinations(EQUALITY_FIELDS, size):
            chosen = EventFilter(**{name: VALUES[name] for name in fields})  # type: ignore[arg-type]
            dated = EventFilter(
                **{name: VALUES[name] for name in fields},  # type: ignore[arg-type]
                date_from=BASE_TIME - timedelta(days=1),
                date_to=BASE_TIME,
            )
            searches = [  # with up to two other filters (larger sets merge the same indexes)
                replace(chosen, **search)  # type: ignore[arg-type]
                for search in (ARRAY_CLAUSES if size <= 2 else [])
            ]
            for event_filter in (chosen, dated, *searches):
                scopes = [None] if "site_id" in fields else [None, [SITE_A], many_sites]
                for sites in scopes:
                    scoped = EventStore(
                        Scope("org-indexes", None if sites is None else frozenset(sites)), client=client
                    )
                    page = scoped.page(event_filter, None, 5)
                    assert scoped.count(event_filter).total == len(page.events)
                    trash, total = scoped.page_and_total(event_filter, None, 5, trash=True)
                    assert trash.events == [] and total.total == 0
    event = store.page(EventFilter(), None, 1).events[0]
    for sites in (None, [SITE_A], many_sites):
        scoped = EventStore(Scope("org-indexes", None if sites is None else frozenset(sites)), client=client)
        assert scoped.neighbours(event) == (None, None)
    feed_values = {"camera_id": CAMERA_A, "site_id": SITE_A, "trigger_type": "ai_tag"}
    for size in range(len(FILTER_FIELDS) + 1):  # the change feed: each filter subset, each scope
        for fields in itertools.combinations(FILTER_FIELDS, size):
            for types, tags in itertools.product(
                [None] if "type" not in fields else [("event.created",), TYPES],
                [(), ("person",), ("person", "vehicle")],
            ):
                feed_filter = FeedFilter(
                    types, **{name: feed_values[name] for name in fields if name != "type"}, tags=tags
                )
                for sites in [None] if "site_id" in fields else [None, [SITE_A], many_sites]:
                    log = ChangeLog(
                        Scope("org-indexes", None if sites is None else frozenset(sites)), client=client
                    )
                    found, _ = log.page(
                        feed_filter, FeedPosition(BASE_TIME - timedelta(days=3650), ""), utcnow(), 5, utcnow()
                    )
                    assert all(change.data["event_id"] for change in found)
    keys = ApiKeys(client=client)
    for expiry in (None, BASE_TIME + timedelta(days=3650)):  # a creation counts the live keys
        record, _ = issue_key("org-indexes", "k", "operator", None, expiry, Actor.user("indexes"))
        keys.create(record, {}, None)
    first, after = keys.page("org-indexes", None, 1)  # the key list, a page at a time
    assert len(first) == 1 and after is not None and len(keys.page("org-indexes", after, 1)[0]) == 1
    assert overdue(utcnow(), 0, 5, client=client) == []  # the webhook sweeper: no delivery is due
    deliveries = Deliveries("org-indexes", client=client)  # an endpoint's delivery log, of all states or one
    assert deliveries.page("ep_" + "0" * 32, None, None, 5) == ([], None)
    assert deliveries.page("ep_" + "0" * 32, "failed", None, 5) == ([], None)
    declared = declared_indexes()
    reported = index_usage(emulators.firestore_host, project)
    assert all(reported_served(index, declared) for index in reported)
    used = parse_indexes(reported)
    assert set(used) - {shape.whole for shape in query_shapes()} == set(), "shapes the generator lacks"
    merged = [index for index in used if index not in declared]
    assert any(len(index.equal) > 2 for index in merged), "no query needed a merge"
    for index in declared:  # each declared index serves some query, whole or as part of a merge
        assert any(
            (index.collection, index.scope, index.order) == (other.collection, other.scope, other.order)
            and set(index.equal) <= set(other.equal)
            for other in used
        ), index

"""The composite indexes the store's queries need and the single-field settings of its collections,
in ``firestore.indexes.json`` form (``novavms-events indexes`` writes the file; CI checks it and
checks what the emulator saw the tests' queries use against :func:`served`; ``firebase deploy
--only=firestore`` deploys it, field overrides and TTL policies included).

The plan grows linearly with the filters. Every query shape the store makes (:func:`query_shapes`: its
collection, the fields it filters by equality, its ordering) belongs to a family, the shapes of one
collection with one ordering. A family gets one index per equality field its shapes use, each holding
the family's fixed equalities (``deleted`` for the events), that field, then the ordering; plus the
fixed equalities alone when some shape filters on nothing else. **The rule**: a shape is served when
one declared index holds exactly its equality fields then its ordering (declared whole), or when the
declared indexes of its collection that end in exactly its ordering and whose equality fields are all
among the shape's together cover the shape's equality fields (Firestore merges them, a zigzag join
along the shared ordering). A few combinations of low-selectivity filters that operators use most are
also declared whole (:data:`WHOLE`), so production does not merge them.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.model.filter import EQUALITY_FIELDS, EventFilter
from shared.model.scope import Scope
from shared.model.search import TERMS_FIELD
from shared.store import api_keys, changes, idempotency, rate_windows, stream_slots, stream_tickets, webhooks

UP, DOWN = "ASCENDING", "DESCENDING"
CONTAINS = "CONTAINS"  # an array field's place in an index (``array-contains``, ``array-contains-any``)
# The array fields queries filter on: at most one per query (Firestore's rule), indexed as CONTAINS.
ARRAY_FIELDS = ("tags", TERMS_FIELD)
COLLECTION, COLLECTION_GROUP = "COLLECTION", "COLLECTION_GROUP"
EVENTS = "events"
# Composite indexes per database we plan against (Firestore's quota without billing; 1,000 with it).
INDEX_BUDGET = 200
Order = tuple[tuple[str, str], ...]  # (field, direction), ending in __name__

# The events' orderings: the list, count, export and next (newest first), prev (oldest first), the
# trash (newest dismissal first). The change feed's: oldest first.
LIST_ORDER: Order = (("triggered_at", DOWN), ("__name__", DOWN))
PREV_ORDER: Order = (("triggered_at", UP), ("__name__", UP))
TRASH_ORDER: Order = (("deleted_at", DOWN), ("triggered_at", DOWN), ("__name__", DOWN))
FEED_ORDER: Order = (("at", UP), ("__name__", UP))

# A site-limited scope with this many sites makes the store add a ``site_id`` ``in`` (an equality
# per site, in chunks of 30): any number above one stands for every such scope.
SOME_SITES = frozenset({"site-a", "site-b"})
EVERY_SCOPE = (Scope("org"), Scope("org", SOME_SITES))

# The idempotency records' fields (shared/store/idempotency.py): Firestore's TTL deletes a record once
# ``expires_at`` has passed; nothing queries the records (each is read by its id), so none of these
# is indexed: ``outcome`` is a big map (the stored response), ``fingerprint`` a SHA-256 and an index
# on a timestamp that only grows (``expires_at``) would be a write hotspot.
IDEMPOTENCY_TTL_FIELD = "expires_at"
IDEMPOTENCY_UNINDEXED_FIELDS = ("outcome", "fingerprint")
CHANGES_UNINDEXED_FIELDS = ("event", "previous", "changed", "actor")
# Webhook deliveries are read by id, by the sweeper on (status, next_attempt_at) and by the delivery
# log on (endpoint_id[, state], created_at); the endpoints document is read by its id.
DELIVERIES_UNINDEXED_FIELDS = ("body", "attempts", "lease", "message_id", "change_id")


@dataclass(frozen=True)
class Index:
    """A composite index: equality fields (ascending, or CONTAINS for :data:`ARRAY_FIELDS`;
    alphabetical as the emulator reports them), then an ordering."""

    collection: str
    equal: tuple[str, ...]
    order: Order
    scope: str = COLLECTION

    def as_json(self) -> dict[str, Any]:
        """The index in ``firestore.indexes.json`` form."""
        return {
            "collectionGroup": self.collection,
            "queryScope": self.scope,
            "fields": [
                {"fieldPath": name, "arrayConfig": CONTAINS}
                if name in ARRAY_FIELDS
                else {"fieldPath": name, "order": UP}
                for name in self.equal
            ]
            + [{"fieldPath": name, "order": order} for name, order in self.order],
        }


@dataclass(frozen=True)
class Shape:
    """A query shape: the collection, the fields filtered by equality (``==``, or ``in``, which
    Firestore answers as one equality per value), the ordering (range filters only on its fields).
    ``merges``: False for shapes that are only ever declared whole (range filters on a field before
    their ordering, or a plan too small to be worth splitting)."""

    collection: str
    equal: frozenset[str]
    order: Order
    scope: str = COLLECTION
    merges: bool = True

    @property
    def whole(self) -> Index:
        """The one index that serves the shape by itself (what the emulator reports)."""
        return Index(self.collection, tuple(sorted(self.equal)), self.order, self.scope)

    @property
    def family(self) -> tuple[str, str, Order]:
        """The shapes that can merge one another's indexes: one collection (and scope), one ordering."""
        return self.collection, self.scope, self.order


def _subsets(fields: Sequence[str]) -> list[tuple[str, ...]]:
    return [subset for size in range(len(fields) + 1) for subset in itertools.combinations(fields, size)]


_SAMPLE: Mapping[str, object] = {
    "camera_id": "camera",
    "site_id": "site-a",
    "trigger_type": "motion",
    "ai_status": "completed",
    "acknowledged": False,
    "starred": True,
}  # a value for each filter


# The array clause a query may add (:meth:`shared.store.events.EventStore._queries`): none, the tags,
# or one search word on the stored terms.
_ARRAY_CLAUSES: tuple[tuple[str, ...], ...] = ((), ("tags",), (TERMS_FIELD,))


def event_shapes() -> list[Shape]:
    """The events' shapes, as :meth:`shared.store.events.EventStore._queries` builds them: ``deleted``
    (the trash: True), the filter's equalities, the scope's ``site_id`` unless the filter names a
    site, at most one array clause (tags, or a search word), then the ordering. The list, count,
    export, next and a search's word counts: every subset, newest first; prev: no filter, oldest
    first; the trash: every subset, newest dismissal first."""
    shapes = []
    for subset, array in itertools.product(_subsets(EQUALITY_FIELDS), _ARRAY_CLAUSES):
        event_filter = EventFilter(**{name: _SAMPLE[name] for name in subset})  # type: ignore[arg-type]
        for scope, order in itertools.product(EVERY_SCOPE, (LIST_ORDER, TRASH_ORDER)):
            shapes.append(Shape(EVENTS, _event_equalities(event_filter, scope) | set(array), order))
    for scope in EVERY_SCOPE:
        shapes.append(Shape(EVENTS, _event_equalities(EventFilter(), scope), PREV_ORDER))
    return list(dict.fromkeys(shapes))


def _event_equalities(event_filter: EventFilter, scope: Scope) -> frozenset[str]:
    fields = {"deleted", *(name for name, _ in event_filter.equalities())}
    if scope.query_sites(event_filter.site_id) is not None:
        fields.add("site_id")
    return frozenset(fields)


def feed_shapes() -> list[Shape]:
    """The change feed's shapes, from :func:`shared.store.changes.query_plan` for every filter
    subset, with and without a tag filter (one tag, and some), and scope, ordered by ``at`` then id."""
    values = {"camera_id": "camera", "site_id": "site-a", "trigger_type": "motion"}
    shapes = []
    for subset in _subsets(changes.FILTER_FIELDS):
        for types in [None] if "type" not in subset else [(changes.CREATED,), changes.TYPES]:
            for tags in ((), ("person",), ("person", "vehicle")):
                feed_filter = changes.FeedFilter(
                    types, **{name: values[name] for name in subset if name != "type"}, tags=tags
                )
                for scope in EVERY_SCOPE:
                    for query in changes.query_plan(feed_filter, scope):
                        equal = frozenset(field for field, _, _ in query)
                        shapes.append(Shape(changes.COLLECTION, equal, FEED_ORDER))
    return list(dict.fromkeys(shapes))


def key_shapes() -> list[Shape]:
    """The API keys' shapes (:mod:`shared.store.api_keys`), each declared whole: an org's keys newest
    first (the key list's pages), and its unrevoked keys without an expiry and by expiry (the two
    counts of live keys a creation makes)."""
    group = api_keys.COLLECTION
    return [
        Shape(group, frozenset({"org_id"}), (("created_at", DOWN), ("__name__", DOWN)), merges=False),
        Shape(group, frozenset({"expires_at", "org_id", "revoked_at"}), (("__name__", UP),), merges=False),
        Shape(
            group, frozenset({"org_id", "revoked_at"}), (("expires_at", UP), ("__name__", UP)), merges=False
        ),
    ]


def delivery_shapes() -> list[Shape]:
    """The webhook sweeper's shape (:func:`shared.store.webhooks.overdue`): every org's pending
    deliveries by due time (a collection group); the delivery log's: an endpoint's deliveries, of one
    state or all, newest first (declared whole: one small family, no filter to combine)."""
    order: Order = (("next_attempt_at", UP), ("__name__", UP))
    newest: Order = (("created_at", DOWN), ("__name__", DOWN))
    return [
        Shape(webhooks.DELIVERIES, frozenset({"status"}), order, COLLECTION_GROUP),
        Shape(webhooks.DELIVERIES, frozenset({"endpoint_id"}), newest, merges=False),
        Shape(webhooks.DELIVERIES, frozenset({"endpoint_id", "state"}), newest, merges=False),
    ]


def query_shapes() -> list[Shape]:
    """Every query shape the store makes."""
    return [*event_shapes(), *feed_shapes(), *key_shapes(), *delivery_shapes()]


# The combinations declared whole although merging would serve them: two low-selectivity filters
# that operators use most, where a merge would walk long runs of both indexes to find a page
# (docs/indexes.md says why each is here).
WHOLE: tuple[Shape, ...] = (
    # The unacknowledged queue by site: every site-scoped viewer's queue, and an operator's per site.
    Shape(EVENTS, frozenset({"deleted", "acknowledged", "site_id"}), LIST_ORDER),
    # The unacknowledged queue by trigger type: the storm clean-up (batch-update of unacknowledged
    # motion events, a count then a scan).
    Shape(EVENTS, frozenset({"deleted", "acknowledged", "trigger_type"}), LIST_ORDER),
    # A site-scoped reader of the change feed (and the live stream) asking for some types.
    Shape(changes.COLLECTION, frozenset({"site_id", "type"}), FEED_ORDER),
)


def _single_field(shape: Shape) -> bool:
    """Whether Firestore's automatic single-field indexes serve the shape: no equality and one field
    ordered (``__name__`` following in the same direction)."""
    return not shape.equal and len(shape.order) == 2 and shape.order[1] == ("__name__", shape.order[0][1])


def plan(shapes: Iterable[Shape], whole: Iterable[Shape] = WHOLE) -> list[Index]:
    """The indexes that serve ``shapes`` by :func:`served`'s rule: per family, the fixed equalities
    alone (when a shape has no other) and with each other field (in :data:`EQUALITY_FIELDS` order,
    then alphabetically); the shapes that do not merge and the ``whole`` ones, whole."""
    shapes = list(shapes)
    indexes: list[Index] = []
    families: dict[tuple[str, str, Order], list[Shape]] = {}
    for shape in shapes:
        if shape.merges:
            families.setdefault(shape.family, []).append(shape)
    for (collection, scope, order), members in families.items():
        fixed = frozenset.intersection(*(shape.equal for shape in members))
        others = sorted(
            set().union(*(shape.equal - fixed for shape in members)),
            key=lambda name: (
                EQUALITY_FIELDS.index(name) if name in EQUALITY_FIELDS else len(EQUALITY_FIELDS),
                name in ARRAY_FIELDS,
                name,
            ),
        )
        if any(shape.equal == fixed and not _single_field(shape) for shape in members):
            indexes.append(Index(collection, tuple(sorted(fixed)), order, scope))
        indexes += [Index(collection, tuple(sorted({*fixed, name})), order, scope) for name in others]
    indexes += [shape.whole for shape in (*(s for s in shapes if not s.merges), *whole)]
    return list(dict.fromkeys(indexes))


def served(shape: Shape, declared: Iterable[Index]) -> bool:
    """The rule: whether ``declared`` serves ``shape``: whole (one index of exactly its equality
    fields then its ordering), by Firestore's single-field indexes, or merged (the indexes of its
    collection ending in exactly its ordering whose equality fields are all among its own together
    cover them)."""
    declared = set(declared)
    if shape.whole in declared or _single_field(shape):
        return True
    if not shape.merges:
        return False
    parts = [
        index
        for index in declared
        if (index.collection, index.scope, index.order) == shape.family and set(index.equal) <= shape.equal
    ]
    return bool(parts) and set().union(*(index.equal for index in parts)) == shape.equal


def declared_index(index: Mapping[str, Any]) -> Index | None:
    """An index of ``firestore.indexes.json``, or of the emulator's index usage report (which names
    the collection in ``name`` and may leave out the scope), as an :class:`Index` whose ordering is
    that of a family of :func:`query_shapes`; None when no family's ordering ends it (then no rule
    applies, and only an identical declared index serves it)."""
    collection = str(index.get("collectionGroup") or index.get("name", "").split("/collectionGroups/")[-1])
    collection = collection.split("/")[0]
    fields = [
        (field["fieldPath"], field.get("order") or field.get("arrayConfig", "")) for field in index["fields"]
    ]
    scope = index.get("queryScope")
    candidates = []
    for shape in query_shapes():
        if shape.collection != collection or scope not in (None, shape.scope):
            continue
        head, tail = fields[: len(fields) - len(shape.order)], tuple(fields[len(fields) - len(shape.order) :])
        if tail == shape.order and all(
            order == (CONTAINS if name in ARRAY_FIELDS else UP) for name, order in head
        ):
            candidates.append(Index(collection, tuple(name for name, _ in head), shape.order, shape.scope))
    wholes = {shape.whole for shape in query_shapes()}
    # A shape's own whole index first (the API keys' orderings end one another), else the longest.
    candidates.sort(key=lambda found: (found not in wholes, -len(found.order)))
    return candidates[0] if candidates else None


def parse_indexes(indexes: Iterable[Mapping[str, Any]]) -> list[Index]:
    """The indexes of a ``firestore.indexes.json`` (ValueError for one no family orders)."""
    found = []
    for index in indexes:
        parsed = declared_index(index)
        if parsed is None:
            raise ValueError(f"an index no query shape orders: {index}")
        found.append(parsed)
    return found


def reported_served(index: Mapping[str, Any], declared: Iterable[Index]) -> bool:
    """Whether the index the emulator reports a query used (the whole index it would need) is served
    by ``declared`` under :func:`served`'s rule."""
    parsed = declared_index(index)
    if parsed is None:
        return False
    shape = Shape(parsed.collection, frozenset(parsed.equal), parsed.order, parsed.scope)
    return served(shape, declared)


def required_indexes() -> list[dict[str, Any]]:
    """Every composite index of the plan (:func:`plan` of :func:`query_shapes`), in
    ``firestore.indexes.json`` form."""
    return [index.as_json() for index in plan(query_shapes())]


def field_overrides() -> list[dict[str, Any]]:
    """The single-field settings, in ``firestore.indexes.json``'s ``fieldOverrides`` form: the TTL
    policies of the idempotency records, the rate-limit windows, the change records, the webhook
    deliveries, the stream slots and tickets (``"ttl": true``, which the Firebase CLI deploys as the
    field's ``ttlConfig``) and exemptions from single-field indexing (``"indexes": []``). The others
    carry no ``ttl`` key: the CLI then updates only their index settings."""
    group = idempotency.COLLECTION
    return [
        {"collectionGroup": group, "fieldPath": IDEMPOTENCY_TTL_FIELD, "ttl": True, "indexes": []},
        *(
            {"collectionGroup": group, "fieldPath": field, "indexes": []}
            for field in IDEMPOTENCY_UNINDEXED_FIELDS
        ),
        # Rate-limit windows: deleted an hour after their minute.
        {"collectionGroup": rate_windows.COLLECTION, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        # Change records: deleted once past their retention; the feed filters on ``at`` (never on
        # ``expires_at``) and never on the stored event, the previous values or the changed names.
        {"collectionGroup": changes.COLLECTION, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        *(
            {"collectionGroup": changes.COLLECTION, "fieldPath": field, "indexes": []}
            for field in CHANGES_UNINDEXED_FIELDS
        ),
        # Webhook deliveries: deleted 30 days after they were made.
        {"collectionGroup": webhooks.DELIVERIES, "fieldPath": "expires_at", "ttl": True, "indexes": []},
        *(
            {"collectionGroup": webhooks.DELIVERIES, "fieldPath": field, "indexes": []}
            for field in DELIVERIES_UNINDEXED_FIELDS
        ),
        {"collectionGroup": webhooks.COLLECTION, "fieldPath": "endpoints", "indexes": []},
        # Open-stream slots: deleted once lapsed; a new stream counts the live ones by ``expires_at``,
        # so it keeps its single-field index. Stream tickets: read by id only.
        {
            "collectionGroup": stream_slots.COLLECTION,
            "fieldPath": "expires_at",
            "ttl": True,
            "indexes": [{"order": "ASCENDING", "queryScope": "COLLECTION"}],
        },
        {"collectionGroup": stream_tickets.COLLECTION, "fieldPath": "expires_at", "ttl": True, "indexes": []},
    ]


def index_file() -> dict[str, Any]:
    """The whole ``deploy/firestore.indexes.json``."""
    return {"indexes": required_indexes(), "fieldOverrides": field_overrides()}

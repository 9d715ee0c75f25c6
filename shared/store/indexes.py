"""The composite indexes the store's queries need and the single-field settings of its collections,
in ``firestore.indexes.json`` form (``novavms-events indexes`` writes the file; CI checks it and
compares it with what the emulator saw the tests' queries use)."""

from __future__ import annotations

import itertools
from typing import Any

from shared.model.filter import EQUALITY_FIELDS
from shared.store.events import ASC, DESC


def required_indexes() -> list[dict[str, Any]]:
    """Every composite index the store's query shapes need, in ``firestore.indexes.json`` form.

    List, count and export: ``deleted`` plus any subset of the equality filters, then ``triggered_at``
    and ``__name__`` descending. Prev/next: ``deleted`` (and ``site_id`` for viewers) in both
    directions. Equality fields are listed alphabetically, as the emulator reports them.
    """
    shapes: list[tuple[tuple[str, ...], str]] = [
        (subset, DESC)
        for size in range(len(EQUALITY_FIELDS) + 1)
        for subset in itertools.combinations(EQUALITY_FIELDS, size)
    ]
    shapes += [((), ASC), (("site_id",), ASC)]
    return [
        {
            "collectionGroup": "events",
            "queryScope": "COLLECTION",
            "fields": [{"fieldPath": name, "order": "ASCENDING"} for name in sorted({"deleted", *equal})]
            + [{"fieldPath": "triggered_at", "order": order}, {"fieldPath": "__name__", "order": order}],
        }
        for equal, order in shapes
    ]

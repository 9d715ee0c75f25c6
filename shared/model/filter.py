"""Which events a list or export selects: :class:`EventFilter`, one definition for both.

``starred`` is True or None (``starred=false`` does not filter, as the contract says);
``acknowledged`` filters both ways (``false`` is the unacknowledged queue). Dates are inclusive bounds
on ``triggered_at``. ``tags``: any of these tags (empty: no tag filter); ``words``: every one of these
search words (:mod:`shared.model.search`, folded; empty: no search).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from shared.timefmt import format_rfc3339

# Equality filters in the order they appear in queries and in deploy/firestore.indexes.json.
EQUALITY_FIELDS = ("camera_id", "site_id", "trigger_type", "ai_status", "acknowledged", "starred")


@dataclass(frozen=True)
class EventFilter:
    """Which events match."""

    camera_id: str | None = None
    site_id: str | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None
    trigger_type: str | None = None
    ai_status: str | None = None
    acknowledged: bool | None = None
    starred: bool | None = None
    tags: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @property
    def searches(self) -> bool:
        """Whether the filter sets tags or words (an array clause, see :mod:`shared.model.search`)."""
        return bool(self.tags or self.words)

    def equalities(self) -> list[tuple[str, object]]:
        """The (field, value) equality conditions this filter sets, in index order."""
        return [(name, getattr(self, name)) for name in EQUALITY_FIELDS if getattr(self, name) is not None]

    def fingerprint(self) -> str:
        """A stable digest of the filter, which cursors are bound to."""
        canonical = {
            name: format_rfc3339(value) if isinstance(value, datetime) else value
            for name, value in sorted(vars(self).items())
            if value != ()  # no tag or word filter: the digest of a filter without them
        }
        return hashlib.sha256(json.dumps(canonical, sort_keys=True).encode()).hexdigest()

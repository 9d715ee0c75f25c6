"""What operators change on an event, and the stored fields each change writes.

``acknowledged=True`` records the actor and the time, and a repeated acknowledge keeps the first;
``False`` clears all three. ``starred`` and ``notes`` (None clears) are written as given. A dismissal
(soft delete) marks the event deleted, by whom and when; every other field stays; a restoration
clears those three again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.model.actor import Actor


class _Unset:
    """The marker of a field a change leaves alone."""

    def __repr__(self) -> str:
        return "UNSET"


UNSET = _Unset()


@dataclass(frozen=True)
class EventChanges:
    """The operator fields to change; fields left :data:`UNSET` are not touched."""

    acknowledged: bool | _Unset = UNSET
    starred: bool | _Unset = UNSET
    notes: str | _Unset | None = UNSET

    def fields(self, current: Mapping[str, Any], actor: Actor, now: datetime) -> dict[str, Any]:
        """The stored fields to write, given the current document; empty when nothing changes."""
        wanted: dict[str, Any] = {}
        if self.acknowledged is True and not current.get("acknowledged"):
            wanted.update(acknowledged=True, acknowledged_by=actor.label, acknowledged_at=now)
        elif self.acknowledged is False:
            wanted.update(acknowledged=False, acknowledged_by=None, acknowledged_at=None)
        if not isinstance(self.starred, _Unset):
            wanted["starred"] = self.starred
        if not isinstance(self.notes, _Unset):
            wanted["notes"] = self.notes
        return {name: value for name, value in wanted.items() if current.get(name) != value}


def dismissal(actor: Actor, now: datetime) -> dict[str, Any]:
    """The stored fields of a soft delete."""
    return {"deleted": True, "deleted_at": now, "deleted_by": actor.label}


def restoration(current: Mapping[str, Any]) -> dict[str, Any]:
    """The stored fields that undo a soft delete (none when the event is live)."""
    if not current.get("deleted"):
        return {}
    return {"deleted": False, "deleted_at": None, "deleted_by": None}

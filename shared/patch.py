"""The body of ``PATCH /api/v1/events/{id}`` and what it changes.

Fields: ``acknowledged`` (bool), ``starred`` (bool), ``notes`` (string of at most 2000 characters, or
null to clear). ``acknowledged: true`` records the caller and the server time, and a repeated
acknowledge keeps the first; ``false`` clears both. An empty body, non-JSON, an unknown or
server-managed field, a wrong type or too long notes is 400 ``validation_error`` naming the field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.errors import ValidationError
from shared.events import NOTES_MAX_CHARS, encodable

_UNSET: Any = object()
SERVER_MANAGED = ("id", "acknowledged_by", "acknowledged_at")


@dataclass(frozen=True)
class EventPatch:
    """A validated PATCH body; fields the caller did not send are ``_UNSET``."""

    acknowledged: bool = _UNSET
    starred: bool = _UNSET
    notes: str | None = _UNSET

    def changes(self, current: Mapping[str, Any], user_id: str, now: datetime) -> dict[str, Any]:
        """The stored fields to write, given the current document; empty when nothing changes."""
        wanted: dict[str, Any] = {}
        if self.acknowledged is not _UNSET:
            if self.acknowledged and not current.get("acknowledged"):
                wanted.update(acknowledged=True, acknowledged_by=user_id, acknowledged_at=now)
            elif not self.acknowledged:
                wanted.update(acknowledged=False, acknowledged_by=None, acknowledged_at=None)
        if self.starred is not _UNSET:
            wanted["starred"] = self.starred
        if self.notes is not _UNSET:
            wanted["notes"] = self.notes
        return {name: value for name, value in wanted.items() if current.get(name) != value}


def parse_patch(body: bytes) -> EventPatch:
    """Validate a PATCH body; raises ValidationError."""
    try:
        data = json.loads(body) if body.strip() else None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationError.field("body", "must be a JSON object") from exc
    if not isinstance(data, dict):
        raise ValidationError.field("body", "must be a JSON object with at least one field")
    if not data:
        raise ValidationError.field("body", "is empty: give acknowledged, starred or notes")
    problems: dict[str, str] = {}
    for name in data:
        if name in SERVER_MANAGED:
            problems[name] = "is set by the server"
        elif name not in ("acknowledged", "starred", "notes"):
            problems[name] = "unknown field"
    for name in ("acknowledged", "starred"):
        if name in data and not isinstance(data[name], bool):
            problems[name] = "must be true or false"
    notes = data.get("notes")
    if notes is not None and (
        not isinstance(notes, str) or len(notes) > NOTES_MAX_CHARS or not encodable(notes)
    ):
        problems["notes"] = f"must be a string of at most {NOTES_MAX_CHARS} characters, or null"
    if problems:
        raise ValidationError.of("body", problems)
    return EventPatch(
        acknowledged=data.get("acknowledged", _UNSET),
        starred=data.get("starred", _UNSET),
        notes=data.get("notes", _UNSET),
    )

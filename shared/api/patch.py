"""The body of ``PATCH /api/v1/events/{id}`` -> :class:`~shared.model.changes.EventChanges`.

Fields: ``acknowledged`` (bool), ``starred`` (bool), ``notes`` (string of at most 2000 characters, or
null to clear); what each writes is :mod:`shared.model.changes`. An empty body, non-JSON, an unknown or
server-managed field, a wrong type or too long notes is 400 ``validation_error`` naming the field.
"""

from __future__ import annotations

from typing import Any

from shared.api.bodies import json_object
from shared.errors import ValidationError
from shared.model.changes import UNSET, EventChanges
from shared.model.event import NOTES_MAX_CHARS, encodable

SERVER_MANAGED = ("id", "acknowledged_by", "acknowledged_at")


def parse_patch(body: bytes) -> EventChanges:
    """Validate a PATCH body; raises ValidationError."""
    return patch_changes(json_object(body, shape="must be a JSON object with at least one field"))


def patch_changes(data: dict[str, Any]) -> EventChanges:
    """Validate the fields of a PATCH (or a batch's ``changes``); raises ValidationError."""
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
    return EventChanges(
        acknowledged=data.get("acknowledged", UNSET),
        starred=data.get("starred", UNSET),
        notes=data.get("notes", UNSET),
    )

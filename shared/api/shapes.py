"""The contract's response shapes of an event: the list item and the detail (GET and PATCH).

Values leave as the API shows them: times as RFC3339 UTC text, tags as a list, operator fields
defaulted. The CSV export shows the same values (:func:`wire_value`).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.model.event import Event
from shared.timefmt import format_rfc3339

if TYPE_CHECKING:  # a type only: the event shapes load without the key store
    from shared.store.api_keys import ApiKeyRecord

COMPUTED_FIELDS = ("snapshot_url", "clip_url", "prev_event_id", "next_event_id")
LIST_FIELDS = (
    "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at", "summary",
    "tags", "ai_status", "acknowledged", "starred",
)  # fmt: skip
DETAIL_FIELDS = (
    "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at",
    "clip_start_at", "clip_end_at", "duration_sec", "summary", "narrative", "tags", "ai_status",
    "acknowledged", "acknowledged_by", "acknowledged_at", "starred", "notes", "clip_codec",
)  # fmt: skip


def wire_value(event: Event, name: str) -> Any:
    """A field as the API shows it."""
    value = event.value(name)
    if name == "tags":
        return list(value or [])
    return format_rfc3339(value) if isinstance(value, datetime) else value


def list_item(event: Event, snapshot_url: str | None) -> dict[str, Any]:
    """The contract's list item."""
    item = {name: wire_value(event, name) for name in LIST_FIELDS}
    item["snapshot_url"] = snapshot_url
    return item


def trash_item(event: Event, snapshot_url: str | None) -> dict[str, Any]:
    """An item of the trash: the list item, plus when and by whom it was dismissed."""
    return {
        **list_item(event, snapshot_url),
        "deleted_at": wire_value(event, "deleted_at"),
        "deleted_by": wire_value(event, "deleted_by"),
    }


def _time_or_value(value: Any) -> Any:
    return format_rfc3339(value) if isinstance(value, datetime) else value


def history_entry(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry as the API shows it: when, who (the actor), what, each field old -> new."""
    changes = entry.get("changes") or {}
    return {
        "at": format_rfc3339(entry["at"]),
        "by": entry["by"].stored(),
        "action": entry.get("action"),
        "changes": {
            name: {"old": _time_or_value(change.get("old")), "new": _time_or_value(change.get("new"))}
            for name, change in sorted(changes.items())
        },
    }


def detail(
    event: Event,
    snapshot_url: str | None,
    clip_url: str | None,
    prev_event_id: str | None,
    next_event_id: str | None,
) -> dict[str, Any]:
    """The contract's detail shape (GET and PATCH answers)."""
    body = {name: wire_value(event, name) for name in DETAIL_FIELDS}
    body.update(
        snapshot_url=snapshot_url,
        clip_url=clip_url,
        recording_source=wire_value(event, "recording_source"),
        prev_event_id=prev_event_id,
        next_event_id=next_event_id,
    )
    return body


def key_view(record: ApiKeyRecord) -> dict[str, Any]:
    """An API key as the API shows it: never its secret, never its hash."""
    return {
        "id": record.key_id,
        "name": record.name,
        "role": record.role,
        "site_ids": list(record.site_ids) if record.site_ids is not None else None,
        "last4": record.last4,
        "created_at": format_rfc3339(record.created_at),
        "created_by": record.created_by.label,
        "expires_at": format_rfc3339(record.expires_at),
        "revoked_at": format_rfc3339(record.revoked_at),
        "last_used_at": format_rfc3339(record.last_used_at),
    }

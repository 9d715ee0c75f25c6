"""The event: its stored document, who owns which field, and its two API shapes.

A document at ``orgs/{org}/events/{id}`` holds fields the recording and AI pipeline own
(:data:`PIPELINE_FIELDS`) and fields operators own (:data:`OPERATOR_FIELDS`). A re-load from the
pipeline rewrites only the former; PATCH and DELETE write only the latter. ``list_item`` and ``detail``
are the contract's list and detail shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.cursor import Position
from shared.errors import ValidationError
from shared.filters import AI_STATUSES, TRIGGER_TYPES
from shared.ids import canonical_uuid
from shared.timefmt import format_rfc3339, parse_rfc3339

PIPELINE_FIELDS = (
    "camera_id", "camera_name", "camera_deleted", "site_id", "trigger_type", "triggered_at",
    "clip_start_at", "clip_end_at", "duration_sec", "summary", "narrative", "tags", "ai_status",
    "clip_codec", "recording_source", "snapshot_object", "clip_object",
)  # fmt: skip
OPERATOR_DEFAULTS: Mapping[str, Any] = {
    "acknowledged": False,
    "acknowledged_by": None,
    "acknowledged_at": None,
    "starred": False,
    "notes": None,
    "deleted": False,
    "deleted_at": None,
    "deleted_by": None,
}
OPERATOR_FIELDS = tuple(OPERATOR_DEFAULTS)
COMPUTED_FIELDS = ("snapshot_url", "clip_url", "prev_event_id", "next_event_id")
NOTES_MAX_CHARS = 2000
MAX_DURATION_SEC = 7 * 24 * 3600

LIST_FIELDS = (
    "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at", "summary",
    "tags", "ai_status", "acknowledged", "starred",
)  # fmt: skip
DETAIL_FIELDS = (
    "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "triggered_at",
    "clip_start_at", "clip_end_at", "duration_sec", "summary", "narrative", "tags", "ai_status",
    "acknowledged", "acknowledged_by", "acknowledged_at", "starred", "notes", "clip_codec",
)  # fmt: skip


@dataclass(frozen=True)
class Event:
    """A stored event: its id and its document's fields."""

    id: str
    data: Mapping[str, Any]

    @property
    def position(self) -> Position:
        return Position(self.data["triggered_at"], self.id)

    @property
    def site_id(self) -> str:
        return str(self.data["site_id"])

    def field(self, name: str) -> Any:
        """A field as the API shows it: times as RFC3339 text."""
        if name == "id":
            return self.id
        value = self.data.get(name, OPERATOR_DEFAULTS.get(name))
        if name == "tags":
            return list(value or [])
        return format_rfc3339(value) if isinstance(value, datetime) else value


def list_item(event: Event, snapshot_url: str | None) -> dict[str, Any]:
    """The contract's list item."""
    item = {name: event.field(name) for name in LIST_FIELDS}
    item["snapshot_url"] = snapshot_url
    return item


def detail(
    event: Event,
    snapshot_url: str | None,
    clip_url: str | None,
    prev_event_id: str | None,
    next_event_id: str | None,
) -> dict[str, Any]:
    """The contract's detail shape (GET and PATCH answers)."""
    body = {name: event.field(name) for name in DETAIL_FIELDS}
    body.update(
        snapshot_url=snapshot_url,
        clip_url=clip_url,
        recording_source=event.field("recording_source"),
        prev_event_id=prev_event_id,
        next_event_id=next_event_id,
    )
    return body


def encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode that Firestore can store (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def parse_pipeline_event(raw: object) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """Validate one event from the recording/AI pipeline (the detail shape plus ``site_id`` and
    optional ``snapshot_object``/``clip_object``) into (id, pipeline fields, initial operator fields).

    Operator fields in the input only seed a new event; they never overwrite a stored one.
    Raises ValidationError naming every bad field.
    """
    if not isinstance(raw, dict):
        raise ValidationError("an event must be a JSON object")
    problems: dict[str, str] = {}
    known = {"id", *PIPELINE_FIELDS, *OPERATOR_FIELDS}
    for name in raw:
        if name in COMPUTED_FIELDS:
            problems[name] = "is computed by the API; give snapshot_object/clip_object instead"
        elif name not in known:
            problems[name] = "unknown field"

    def required_uuid(name: str) -> str:
        value = canonical_uuid(raw.get(name))
        if value is None:
            problems[name] = "required, a uuid"
        return value or ""

    def text(name: str, *, required: bool = False, max_chars: int = 10_000) -> str | None:
        value = raw.get(name)
        if value is None and not required:
            return None
        if (
            not isinstance(value, str)
            or (required and not value.strip())
            or len(value) > max_chars
            or not encodable(value)
        ):
            problems[name] = f"{'required, ' if required else ''}a string of at most {max_chars} characters"
            return None
        return value

    def moment(name: str, *, required: bool = False) -> datetime | None:
        value = raw.get(name)
        if value is None and not required:
            return None
        try:
            if not isinstance(value, str):
                raise ValueError
            return parse_rfc3339(value)
        except ValueError:
            problems[name] = f"{'required, ' if required else ''}an RFC3339 time"
            return None

    def choice(name: str, allowed: tuple[str, ...]) -> str | None:
        value = raw.get(name)
        if value not in allowed:
            problems[name] = f"required, one of {', '.join(allowed)}"
            return None
        return str(value)

    def flag(name: str, default: bool) -> bool:
        value = raw.get(name, default)
        if not isinstance(value, bool):
            problems[name] = "must be true or false"
            return default
        return value

    event_id = required_uuid("id")
    tags = raw.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag and encodable(tag) for tag in tags):
        problems["tags"] = "must be a list of non-empty strings"
        tags = []
    duration = raw.get("duration_sec")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or not 0 <= duration <= MAX_DURATION_SEC
    ):
        problems["duration_sec"] = f"must be an integer from 0 to {MAX_DURATION_SEC}"
    pipeline: dict[str, Any] = {
        "camera_id": required_uuid("camera_id"),
        "camera_name": text("camera_name", required=True, max_chars=200),
        "camera_deleted": flag("camera_deleted", False),
        "site_id": required_uuid("site_id"),
        "trigger_type": choice("trigger_type", TRIGGER_TYPES),
        "triggered_at": moment("triggered_at", required=True),
        "clip_start_at": moment("clip_start_at"),
        "clip_end_at": moment("clip_end_at"),
        "duration_sec": duration,
        "summary": text("summary", max_chars=2000),
        "narrative": text("narrative"),
        "tags": tags,
        "ai_status": choice("ai_status", AI_STATUSES),
        "clip_codec": text("clip_codec", max_chars=50),
        "recording_source": text("recording_source", max_chars=100),
        "snapshot_object": text("snapshot_object", max_chars=1024),
        "clip_object": text("clip_object", max_chars=1024),
    }
    operator: dict[str, Any] = {
        "acknowledged": flag("acknowledged", False),
        "acknowledged_by": text("acknowledged_by", max_chars=256),
        "acknowledged_at": moment("acknowledged_at"),
        "starred": flag("starred", False),
        "notes": text("notes", max_chars=NOTES_MAX_CHARS),
        "deleted": False,
        "deleted_at": None,
        "deleted_by": None,
    }
    for name in ("deleted", "deleted_at", "deleted_by"):
        if name in raw:
            problems[name] = "is set by DELETE, not by the pipeline"
    if problems:
        raise ValidationError.of("event", problems)
    return event_id, pipeline, operator

"""Events from the recording/AI pipeline: the loader's JSON object -> what the store writes.

The input is the contract's detail shape plus ``site_id`` and optional ``snapshot_object`` /
``clip_object`` (media object names). Operator fields in the input only seed a new event; a re-load
never overwrites what operators did, and loads write no history entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.api.shapes import COMPUTED_FIELDS
from shared.errors import ValidationError
from shared.ids import canonical_uuid
from shared.model.event import (
    AI_STATUSES,
    MAX_DURATION_SEC,
    NOTES_MAX_CHARS,
    OPERATOR_FIELDS,
    PIPELINE_FIELDS,
    TRIGGER_TYPES,
    PipelineRecord,
    encodable,
)
from shared.timefmt import parse_rfc3339

__all__ = ["PipelineRecord", "parse_pipeline_event"]


def parse_pipeline_event(raw: object) -> PipelineRecord:
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

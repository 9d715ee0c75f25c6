"""The event: its stored document, who owns which field, and its place in list order.

A document at ``orgs/{org}/events/{id}`` holds fields the recording and AI pipeline own
(:data:`PIPELINE_FIELDS`) and fields operators own (:data:`OPERATOR_FIELDS`). A re-load from the
pipeline rewrites only the former; operator changes write only the latter. List order is
``triggered_at`` descending, then id descending (:class:`Position`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

TRIGGER_TYPES = ("motion", "ai_tag", "manual")
AI_STATUSES = ("pending", "completed", "skipped", "failed")

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
PipelineRecord = tuple[str, dict[str, Any], dict[str, Any]]
"""An event as the pipeline's loader and the ingest API write it: (canonical id, pipeline fields,
initial operator fields)."""
NOTES_MAX_CHARS = 2000
INGEST_BATCH_MAX = 500  # the most events one ingest request may carry
MAX_DURATION_SEC = 7 * 24 * 3600


@dataclass(frozen=True)
class Position:
    """A place in list order: after the event with this ``triggered_at`` and ``id`` (in the trash,
    ordered by dismissal first, also its ``deleted_at``; in a history, ``triggered_at`` is the
    entry's time and ``event_id`` the entry's id)."""

    triggered_at: datetime
    event_id: str
    deleted_at: datetime | None = None


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

    def value(self, name: str) -> Any:
        """A field's stored value, operator fields defaulted (``id`` is the document id)."""
        if name == "id":
            return self.id
        return self.data.get(name, OPERATOR_DEFAULTS.get(name))


def encodable(text: str) -> bool:
    """Whether ``text`` is valid Unicode that Firestore can store (no lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

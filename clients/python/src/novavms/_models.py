"""Typed results: events and API keys as the API returns them, with real ``datetime`` values.

Each field of the contract is an attribute; time fields are timezone-aware ``datetime`` values (UTC).
A field a newer server adds is kept, never an error: it is in :attr:`Model.extra` and readable as an
attribute too (``event.new_field``), untyped. :meth:`Model.to_dict` gives the object as sent.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar

__all__ = [
    "Actor",
    "ActorKind",
    "AiStatus",
    "ApiKey",
    "ApiKeyCreated",
    "BatchItem",
    "BatchResult",
    "BatchStatus",
    "Change",
    "ChangeType",
    "Event",
    "EventDetail",
    "HistoryAction",
    "HistoryEntry",
    "IngestItem",
    "IngestResult",
    "IngestStatus",
    "MediaObjects",
    "Model",
    "Role",
    "StreamTicket",
    "TrashedEvent",
    "TriggerType",
    "UploadTarget",
    "UploadUrls",
    "UpsertResult",
    "UpsertStatus",
    "parse_datetime",
]

TriggerType = Literal["motion", "ai_tag", "manual"]
AiStatus = Literal["pending", "completed", "skipped", "failed"]
Role = Literal["viewer", "operator", "admin", "ingest"]
ActorKind = Literal["user", "api_key", "pipeline", "scheduler"]
HistoryAction = Literal["update", "delete", "restore"]
BatchStatus = Literal["changed", "unchanged", "not_found"]
ChangeType = Literal[
    "event.created", "event.updated", "event.deleted", "event.restored", "webhook_endpoint.disabled"
]
UpsertStatus = Literal["created", "updated", "unchanged"]
IngestStatus = Literal["created", "updated", "unchanged", "invalid", "superseded"]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))$"
)


def parse_datetime(text: str) -> datetime:
    """An RFC 3339 time (``2026-04-21T13:45:22Z``, any fraction, any offset) as an aware datetime
    (Python 3.9's ``fromisoformat`` takes neither ``Z`` nor every fraction)."""
    match = _RFC3339.match(text)
    if not match:
        raise ValueError(f"not an RFC 3339 time: {text!r}")
    year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
    offset = timedelta(0) if zulu else timedelta(hours=int(off_h), minutes=int(off_m))
    if sign == "-":
        offset = -offset
    micro = int((fraction or "0")[:6].ljust(6, "0"))
    moment = datetime(
        int(year), int(month), int(day), int(hour), int(minute), int(second), micro, timezone(offset)
    )
    return moment.astimezone(timezone.utc)


def _time(value: Any) -> Any:
    return parse_datetime(value) if isinstance(value, str) else value


M = TypeVar("M", bound="Model")


class Model:
    """Base of the result types: built from the API's JSON by :meth:`from_dict`."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset()
    _NESTED: ClassVar[dict[str, type[Model]]] = {}  # fields holding a model (or a list of them)

    @classmethod
    def _value(cls, name: str, value: Any) -> Any:
        if name in cls._TIME_FIELDS:
            return _time(value)
        nested = cls._NESTED.get(name)
        if nested is not None and isinstance(value, list):
            return [nested.from_dict(item) for item in value]
        if nested is not None and isinstance(value, Mapping):
            return nested.from_dict(value)
        return value

    @classmethod
    def from_dict(cls: type[M], data: Mapping[str, Any]) -> M:
        """The object of one JSON object: known fields typed, unknown ones kept in :attr:`extra`."""
        known = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
        values = {name: cls._value(name, data.get(name)) for name in known}
        model = cls(**values)
        object.__setattr__(model, "_extra", {k: v for k, v in data.items() if k not in known})
        object.__setattr__(model, "_raw", dict(data))
        return model

    @property
    def extra(self) -> dict[str, Any]:
        """Fields the server sent that this version of the client does not know."""
        return dict(self.__dict__.get("_extra", {}))

    def to_dict(self) -> dict[str, Any]:
        """The object as the API sent it (times as their RFC 3339 text)."""
        return dict(self.__dict__.get("_raw", {}))

    if not TYPE_CHECKING:  # at run time only: type checkers keep flagging misspelt attributes

        def __getattr__(self, name: str) -> Any:
            extra = self.__dict__.get("_extra", {})
            if name in extra:
                return extra[name]
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")


@dataclasses.dataclass(frozen=True)
class Event(Model):
    """An event as listed (``GET /api/v1/events``)."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"triggered_at"})

    id: str
    camera_id: str
    camera_name: str
    camera_deleted: bool
    trigger_type: TriggerType
    triggered_at: datetime
    summary: str | None
    tags: list[str]
    ai_status: AiStatus
    acknowledged: bool
    starred: bool
    snapshot_url: str | None


@dataclasses.dataclass(frozen=True)
class EventDetail(Event):
    """An event in full detail (``GET`` and ``PATCH /api/v1/events/{id}``): clip, narrative, notes,
    who acknowledged it and when, and its neighbours in list order."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"triggered_at", "clip_start_at", "clip_end_at", "acknowledged_at"}
    )

    clip_start_at: datetime | None
    clip_end_at: datetime | None
    duration_sec: int | None
    narrative: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    notes: str | None
    clip_codec: str | None
    clip_url: str | None
    recording_source: str | None
    prev_event_id: str | None
    next_event_id: str | None


@dataclasses.dataclass(frozen=True)
class TrashedEvent(Event):
    """A dismissed event in the trash (``client.events.list_deleted()``): a listed event plus when
    and by whom it was dismissed."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"triggered_at", "deleted_at"})

    deleted_at: datetime
    deleted_by: str


@dataclasses.dataclass(frozen=True)
class Actor(Model):
    """Who acted: ``kind`` (``user``, ``api_key``, ``pipeline``, ``scheduler``) and ``id``."""

    kind: ActorKind
    id: str


@dataclasses.dataclass(frozen=True)
class HistoryEntry(Model):
    """One change of an event: when, who (:attr:`by`), the ``action`` (``update``, ``delete``,
    ``restore``) and each changed field's ``{"old": ..., "new": ...}`` (times as sent, RFC 3339)."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"at"})
    _NESTED: ClassVar[dict[str, type[Model]]] = {"by": Actor}

    at: datetime
    by: Actor
    action: HistoryAction
    changes: dict[str, dict[str, Any]]


@dataclasses.dataclass(frozen=True)
class Change(Model):
    """One change of the feed (``client.events.changes()``): its ``id``, ``type``, ``event_id``, when it
    committed (``at``), who made it (``actor``), the fields that ``changed`` and, for
    ``event.updated``, their ``previous`` values (as sent), and the ``event`` as of the change (its
    ``snapshot_url`` None). Below admin, a dismissed event's changes carry only id, type, event_id and
    at (the others are None). A ``webhook_endpoint.disabled`` change names no event (``event_id``
    None) but the ``endpoint_id`` and the ``reason``."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"at"})
    _NESTED: ClassVar[dict[str, type[Model]]] = {"actor": Actor, "event": Event}

    id: str
    type: ChangeType
    event_id: str | None
    at: datetime
    actor: Actor | None = None
    changed: list[str] | None = None
    previous: dict[str, Any] | None = None
    event: Event | None = None
    endpoint_id: str | None = None
    reason: str | None = None


@dataclasses.dataclass(frozen=True)
class BatchItem(Model):
    """One event of a batch: its ``id`` and ``status`` (``changed``, ``unchanged``, ``not_found``)."""

    id: str
    status: BatchStatus


@dataclasses.dataclass(frozen=True)
class BatchResult(Model):
    """What a batch did: ``matched`` events found, ``changed`` events changed, and each one's status."""

    _NESTED: ClassVar[dict[str, type[Model]]] = {"results": BatchItem}

    matched: int
    changed: int
    results: list[BatchItem]


@dataclasses.dataclass(frozen=True)
class ApiKey(Model):
    """An API key as listed: never its secret."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"created_at", "expires_at", "revoked_at", "last_used_at"}
    )

    id: str
    name: str
    role: Role
    site_ids: list[str] | None
    last4: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


@dataclasses.dataclass(frozen=True)
class ApiKeyCreated(ApiKey):
    """An API key just created: :attr:`secret` is shown this once (None on an idempotent replay)."""

    secret: str | None


@dataclasses.dataclass(frozen=True)
class UpsertResult(Model):
    """What ``PUT /api/v1/events/{id}`` did to one event: ``created`` (201), ``updated`` (the
    pipeline's fields changed) or ``unchanged`` (the same event again)."""

    id: str
    status: UpsertStatus


@dataclasses.dataclass(frozen=True)
class IngestItem(Model):
    """One event of an ingest, in input order: its ``id`` (None when it had no usable id; then
    ``index`` is its position in the input) and its ``status``: ``created``, ``updated``,
    ``unchanged``, ``invalid`` (nothing written; ``errors`` names each bad field, as a validation
    error's ``fields``) or ``superseded`` (the same id came again later in the same request, at
    position ``superseded_by``, and only that one was written)."""

    id: str | None
    status: IngestStatus
    errors: dict[str, str] | None = None
    index: int | None = None
    superseded_by: int | None = None


@dataclasses.dataclass(frozen=True)
class IngestResult(Model):
    """What an ingest did: how many events were ``created``, ``updated``, ``unchanged``,
    ``invalid`` (nothing written) and ``superseded``, and each event's :class:`IngestItem` in input
    order (positions count from 0 in the whole input)."""

    _NESTED: ClassVar[dict[str, type[Model]]] = {"results": IngestItem}

    created: int
    updated: int
    unchanged: int
    invalid: int
    superseded: int
    results: list[IngestItem]


@dataclasses.dataclass(frozen=True)
class UploadTarget(Model):
    """Where to upload one media file: a signed ``url`` to send ``method`` (``PUT``) to, with exactly
    these ``headers`` (they bind the content type and size range) and no Authorization, before
    ``expires_at``; ``object`` is the name to give the event (``snapshot_object``/``clip_object``)."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"expires_at"})

    url: str
    method: str
    headers: dict[str, str]
    object: str
    expires_at: datetime


@dataclasses.dataclass(frozen=True)
class UploadUrls(Model):
    """The signed upload targets of an event's media: the ``snapshot`` (``image/jpeg``) and the
    ``clip`` (``video/mp4``)."""

    _NESTED: ClassVar[dict[str, type[Model]]] = {"snapshot": UploadTarget, "clip": UploadTarget}

    snapshot: UploadTarget
    clip: UploadTarget


@dataclasses.dataclass(frozen=True)
class MediaObjects:
    """The objects :meth:`~novavms.resources.Events.upload_media` uploaded (None for a file not
    given): put them in the event, ``{**event, **objects.event_fields()}``."""

    snapshot_object: str | None = None
    clip_object: str | None = None

    def event_fields(self) -> dict[str, str]:
        """``snapshot_object`` and ``clip_object`` as event fields, those uploaded only."""
        return {name: value for name, value in dataclasses.asdict(self).items() if value is not None}


@dataclasses.dataclass(frozen=True)
class StreamTicket(Model):
    """A ticket for opening the live stream without a header (``?ticket=...``, as a browser's
    ``EventSource`` must): single use, valid until ``expires_at`` (60 s), with the caller's org, role
    and sites."""

    _TIME_FIELDS: ClassVar[frozenset[str]] = frozenset({"expires_at"})

    ticket: str
    expires_at: datetime

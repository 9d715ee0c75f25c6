"""The ingest API's bodies and answers: ``PUT /api/v1/events/{id}`` (one event) and
``POST /api/v1/events/ingest`` (``{"events": [...]}``, 1 to :data:`MAX_EVENTS`).

An event is the loader's shape, validated by the loader's rules
(:func:`shared.pipeline.parse_pipeline_event`), plus the ingest API's own rule: ``snapshot_object``
and ``clip_object`` must name objects under the event's upload prefix, ``uploads/{event_id}/``
(:func:`shared.media.upload_prefix`; 400 naming the field). On PUT the body's ``id`` may be left out;
given, it must be the path's (400 naming ``id``).

A batch validates each event on its own and answers, in input order, one result per event:
``{"id", "status"}`` with status ``created`` (201 for a PUT), ``updated`` or ``unchanged`` (nothing
differed: nothing written, no change record), or ``invalid`` with ``errors`` (field -> problem, like
the error envelope's ``fields``; an event without a usable id has ``"id": null`` and its ``index``).
An id given more than once: the last valid occurrence is written and reported with the write's
status; each earlier valid occurrence is reported ``superseded`` with ``superseded_by``, the index of
the occurrence that replaced it (nothing of it is written). The answer counts each status:
``created + updated + unchanged + invalid + superseded`` is the number of events sent. An empty list
is 400 naming ``events``; more than :data:`MAX_EVENTS` is 413 ``payload_too_large``.

A site-scoped ingest key writes only events of its sites: :func:`check_sites` refuses (403) a
request whose events name another site, or would move a stored event away from the key's sites,
before anything is written (the store checks again as it writes).

What another way in (a Pub/Sub subscriber) reuses, so its events follow the same rules: validate with
:func:`ingest_event` (one event) or :func:`parse_batch` (a body), check a scoped caller with
:func:`check_sites`, write the valid records with :meth:`shared.store.events.EventStore.load` (the
caller's actor; each id's ``created``/``changed``/``unchanged``, :data:`STATUS_OF` maps them to the
API's words) and report with :func:`batch_result`.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from shared.errors import Forbidden, PayloadTooLarge, ValidationError
from shared.ids import canonical_uuid
from shared.media import under_upload_prefix, upload_prefix
from shared.model.event import INGEST_BATCH_MAX, PipelineRecord
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore

MAX_EVENTS = INGEST_BATCH_MAX
MEDIA_FIELDS = ("snapshot_object", "clip_object")
BODY_FIELDS = ("events",)
# The store's outcome of a write -> the status the API answers.
STATUS_OF = {"created": "created", "changed": "updated", "unchanged": "unchanged"}
COUNTED = ("created", "updated", "unchanged", "invalid", "superseded")
# The most a batch's stored answer (for Idempotency-Key replays) may take, compressed: within
# Firestore's 1 MiB document.
MAX_STORED_ANSWER = 900_000


@dataclass(frozen=True)
class Entry:
    """One event of a batch: its index, its canonical id (None: no usable id), and either its
    record (valid) or its errors."""

    index: int
    id: str | None
    record: PipelineRecord | None = None
    errors: Mapping[str, str] | None = None


def ingest_event(raw: object, path_id: str | None = None) -> PipelineRecord:
    """One event by the loader's rules and the ingest API's (media under the event's upload prefix;
    with ``path_id``, a given ``id`` must be it). Raises ValidationError naming every bad field."""
    problems: dict[str, str] = {}
    record: PipelineRecord | None = None
    try:
        record = parse_pipeline_event(raw)
    except ValidationError as error:
        problems.update(error.fields or {"event": error.message})
    if isinstance(raw, dict):
        event_id = canonical_uuid(raw.get("id"))
        if path_id is not None and event_id != path_id:
            problems["id"] = "must be the path's event id (or left out)"
        if event_id is not None:
            for name in MEDIA_FIELDS:
                value = raw.get(name)
                if isinstance(value, str) and not under_upload_prefix(value, event_id):
                    problems[name] = (
                        f"must name an object under {upload_prefix(event_id)} (see the event's upload-urls)"
                    )
    if problems:
        raise ValidationError.of("event", problems)
    assert record is not None
    return record


def parse_put(body: dict[str, Any], path_id: str) -> PipelineRecord:
    """The body of ``PUT /api/v1/events/{path_id}`` (the path's id when the body names none)."""
    key = canonical_uuid(path_id) or path_id
    return ingest_event(body if "id" in body else {**body, "id": key}, key)


def parse_batch(body: dict[str, Any]) -> list[Entry]:
    """The events of a batch body, each validated on its own; ValidationError for a body that is not
    ``{"events": [1 to 500 events]}`` (naming ``events`` or the unknown field), PayloadTooLarge over
    :data:`MAX_EVENTS`."""
    unknown = {name: "unknown field" for name in body if name not in BODY_FIELDS}
    if unknown:
        raise ValidationError.of("body", unknown)
    events = body.get("events")
    if not isinstance(events, list) or not events:
        raise ValidationError.field("events", f"required, a list of 1 to {MAX_EVENTS} events")
    if len(events) > MAX_EVENTS:
        raise PayloadTooLarge(f"a batch takes at most {MAX_EVENTS} events; this one has {len(events)}")
    entries = []
    for index, raw in enumerate(events):
        event_id = canonical_uuid(raw.get("id")) if isinstance(raw, dict) else None
        try:
            entries.append(Entry(index, event_id, record=ingest_event(raw)))
        except ValidationError as error:
            entries.append(Entry(index, event_id, errors=error.fields or {"event": error.message}))
    return entries


def check_sites(store: EventStore, records: Sequence[PipelineRecord]) -> None:
    """For a site-scoped store (an ingest key with ``site_ids``): Forbidden when an event names a
    site outside the scope, or when a stored event of these ids lies outside it (a re-load would move
    it away); one batched read of the stored events, nothing written."""
    sites = store.scope.sites
    if sites is None or not records:
        return
    outside = sorted({str(pipeline["site_id"]) for _, pipeline, _ in records} - sites)
    if outside:
        raise Forbidden(f"this key may not write events of site {', '.join(outside)}")
    stored = store.stored_sites([event_id for event_id, _, _ in records])
    moved = sorted(event_id for event_id, site in stored.items() if site not in sites)
    if moved:
        raise Forbidden(f"event {', '.join(moved)} belongs to a site outside this key's sites")


def batch_result(entries: Sequence[Entry], outcomes: Mapping[str, str]) -> dict[str, Any]:
    """The batch's answer from its entries and the store's outcome of each id written."""
    last = {entry.id: entry.index for entry in entries if entry.record is not None}
    results: list[dict[str, Any]] = []
    for entry in entries:
        item: dict[str, Any]
        if entry.record is None:
            item = {"id": entry.id, "status": "invalid", "errors": dict(entry.errors or {})}
            if entry.id is None:
                item["index"] = entry.index
        elif last[entry.id] != entry.index:
            item = {"id": entry.id, "status": "superseded", "superseded_by": last[entry.id]}
        else:
            assert entry.id is not None
            item = {"id": entry.id, "status": STATUS_OF[outcomes[entry.id]]}
        results.append(item)
    counts = {status: sum(item["status"] == status for item in results) for status in COUNTED}
    return {**counts, "results": results}


def stored_outcome(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """A batch's answer as its idempotency record keeps it: compressed JSON (its ``errors`` are keyed
    by whatever field names the caller sent, which a Firestore map may not hold); None when it would
    not fit (then nothing is kept, and a retry executes again: ingest is idempotent by id)."""
    packed = zlib.compress(json.dumps(result, separators=(",", ":")).encode())
    return {"kind": "batch", "answer": packed} if len(packed) <= MAX_STORED_ANSWER else None


def stored_answer(outcome: Mapping[str, Any]) -> dict[str, Any]:
    """The answer a :func:`stored_outcome` keeps."""
    answer: dict[str, Any] = json.loads(zlib.decompress(outcome["answer"]))
    return answer


def valid_records(entries: Sequence[Entry]) -> list[PipelineRecord]:
    """The records of the valid entries, in input order."""
    return [entry.record for entry in entries if entry.record is not None]

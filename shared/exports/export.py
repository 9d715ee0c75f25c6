"""CSV exports of events: planned against a cap, then streamed and written to the export bucket.

An export is counted first (a ``count()`` aggregation, so a cap is enforced before the first byte) and
then read at the count's snapshot time, so the file holds exactly the counted rows even while events
arrive. Rows are read in pages and leave in chunks, so memory stays flat whatever the row count. The
same bytes go to the export bucket (the object :mod:`shared.exports.objects` names) through a
resumable upload that is finalised only after the last chunk: a failure midway cancels it, so an
object is either the complete export or absent.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.config import require, settings
from shared.errors import PayloadTooLarge
from shared.exports.csv_format import csv_chunks
from shared.gcs import storage_client
from shared.model.event import Event, Position
from shared.model.filter import EventFilter
from shared.store.events import EventStore
from shared.timefmt import format_rfc3339

CONTENT_TYPE = "text/csv; charset=utf-8"
UPLOAD_CHUNK_BYTES = 1024 * 1024  # a multiple of 256 KiB, as resumable uploads require
READ_PAGE = 500


@dataclass(frozen=True)
class ExportPlan:
    """What an export will write: the rows it selects, how many, and the snapshot it reads."""

    store: EventStore
    event_filter: EventFilter
    after: Position | None
    rows: int
    read_time: datetime | None


def plan_export(
    store: EventStore,
    event_filter: EventFilter,
    after: Position | None,
    limit: int | None,
    cap: int,
) -> ExportPlan:
    """Count the rows, exactly up to the cap and no further (so the count's cost is bounded by it);
    413 ``payload_too_large`` when they are more than ``cap``."""
    counted = store.count(event_filter, after, up_to=(cap if limit is None else min(limit, cap)) + 1)
    rows = counted.total if limit is None else min(limit, counted.total)
    if rows > cap:
        raise PayloadTooLarge(
            f"the filter matches more than the export cap of {cap} events: narrow it "
            "(for example with date_from/date_to) and export in parts"
        )
    return ExportPlan(store, event_filter, after, rows, counted.read_time)


def export_object_url(object_name: str) -> str:
    """``gs://bucket/object`` of an export object."""
    return f"gs://{require(settings().export_bucket, 'EVENTS_EXPORT_BUCKET')}/{object_name}"


def write_export(
    plan: ExportPlan,
    object_name: str,
    metadata: dict[str, str],
    progress: Callable[[int], object] = lambda _: None,
) -> Iterator[bytes]:
    """The CSV of ``plan`` in chunks, each also written to the export object, which is finalised
    after the last chunk and cancelled if anything fails (or the consumer stops) before it.
    ``progress(1)`` is called for each row read."""
    bucket = storage_client().bucket(require(settings().export_bucket, "EVENTS_EXPORT_BUCKET"))
    blob = bucket.blob(object_name)
    blob.metadata = {
        **metadata,
        "rows": str(plan.rows),
        "read_time": format_rfc3339(plan.read_time) or "",
    }
    events = plan.store.scan(
        plan.event_filter, plan.after, read_time=plan.read_time, page_size=READ_PAGE, rows=plan.rows
    )
    writer: Any = blob.open("wb", chunk_size=UPLOAD_CHUNK_BYTES, content_type=CONTENT_TYPE, ignore_flush=True)
    with writer:  # leaving with an exception (GeneratorExit included) cancels the upload
        for chunk in csv_chunks(_counted(events, progress)):
            writer.write(chunk)
            yield chunk


def _counted(events: Iterable[Event], progress: Callable[[int], object]) -> Iterator[Event]:
    for event in events:
        progress(1)
        yield event

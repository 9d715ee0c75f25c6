"""Where an export is written and what its object says about itself: the one place every export
(the API's, the CLI's, the scheduled one, the benchmarks') gets its object name and metadata.

Objects live in the export bucket (``EVENTS_EXPORT_BUCKET``) under ``exports/<org>/``:

- on demand (API, CLI): ``exports/<org>/events-<org>-<UTC stamp>-<8 hex>.csv``, a new object each
  time; the download is named ``events-<org>-<UTC stamp>.csv``;
- scheduled: ``exports/<org>/scheduled/events-<org>-<from>_<to>[-<filters>].csv``, made of org,
  period and filters, so running the same job for the same period again replaces the same object.

Metadata: ``org_id``, ``requested_by`` (the actor's label, or ``cli``), ``request_id`` and ``query``
when there is one; :func:`shared.exports.export.write_export` adds ``rows`` and ``read_time``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from shared.exports.export import export_object_url
from shared.model.filter import EventFilter
from shared.timefmt import utcnow

PREFIX = "exports"
STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class ExportObject:
    """An export's object: its name in the export bucket, the file name a download gets, and the
    metadata written with it."""

    name: str
    filename: str
    metadata: dict[str, str]

    @property
    def url(self) -> str:
        """``gs://<export bucket>/<name>``."""
        return export_object_url(self.name)


def _metadata(org_id: str, requested_by: str, request_id: str | None, query: str | None) -> dict[str, str]:
    metadata = {"org_id": org_id, "requested_by": requested_by}
    if request_id is not None:
        metadata["request_id"] = request_id
    if query is not None:
        metadata["query"] = query
    return metadata


def on_demand_export(
    org_id: str,
    requested_by: str,
    *,
    request_id: str | None = None,
    query: str | None = None,
    at: datetime | None = None,
) -> ExportObject:
    """A new object for an export asked for now (or ``at``): never one an earlier export wrote."""
    stem = f"events-{org_id}-{at or utcnow():{STAMP}}"
    return ExportObject(
        f"{PREFIX}/{org_id}/{stem}-{uuid.uuid4().hex[:8]}.csv",
        f"{stem}.csv",
        _metadata(org_id, requested_by, request_id, query),
    )


def scheduled_export(
    org_id: str, event_filter: EventFilter, requested_by: str, request_id: str | None = None
) -> ExportObject:
    """The object of a scheduled job's period (both bounds set) and filters: the same job for the
    same period names the same object."""
    if event_filter.date_from is None or event_filter.date_to is None:
        raise ValueError("a scheduled export names its period: both date bounds")
    period = f"{event_filter.date_from:{STAMP}}_{event_filter.date_to:{STAMP}}"
    filters = ",".join(f"{name}={str(value).lower()}" for name, value in event_filter.equalities())
    filename = f"events-{org_id}-{period}{f'-{filters}' if filters else ''}.csv"
    return ExportObject(
        f"{PREFIX}/{org_id}/scheduled/{filename}", filename, _metadata(org_id, requested_by, request_id, None)
    )

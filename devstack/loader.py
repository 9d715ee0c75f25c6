"""Bulk load of events from JSON Lines (``novavms-events load``).

Each line is an event in the contract's detail shape plus ``site_id`` (see
``shared.pipeline.parse_pipeline_event``). A bad line is reported with its number and nothing of it is
written; good lines are written in batches. Loading is idempotent by id and never erases what
operators did. A file whose first lines are none of them JSON is not JSON Lines: reading stops there.

Two ways in, one reading of the file (:func:`read_lines`): :func:`load_lines` validates each event
here and writes to Firestore; :func:`load_through_api` sends the parsed lines through the ingest API
(the Python client's ``events.ingest``, 500 events a request), where the server validates them, and
maps its per-event results back to line numbers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from shared.errors import ValidationError
from shared.pipeline import parse_pipeline_event

if TYPE_CHECKING:
    from novavms.resources import Events

    from shared.store.events import EventStore


@dataclass
class LoadReport:
    """What a load did, either way in, in the ingest API's words: events ``created``, ``updated``
    (their pipeline fields differed), ``unchanged`` (re-sent as they were: nothing written),
    ``superseded`` lines (a later line of the same id in the same request, or store chunk, won),
    each rejected line with its reason (by line number), whether it stopped early (the input is not
    JSON Lines), and ``failure``: why the API stopped the load, if it did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False
    failure: str | None = None

    def summary(self) -> str:
        """The load's summary line: ``created C, updated U, unchanged N, rejected R`` (then
        ``superseded S ...`` when some were)."""
        line = (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"rejected {len(self.errors)}"
        )
        if self.superseded:
            line += f", superseded {self.superseded} (a later line of the same id won)"
        return line


def read_lines(
    lines: Iterable[bytes],
    report: LoadReport,
    progress: Callable[[int], None] = lambda _: None,
    give_up_after: int | None = None,
) -> Iterator[tuple[int, Any]]:
    """(line number, parsed JSON) of each line that is JSON (raw bytes, UTF-8; blank lines skipped);
    a line that is not UTF-8 or not JSON goes to ``report.errors``. With ``give_up_after``: when that
    many lines were rejected before any line was JSON, the input is not JSON Lines and reading stops
    (``report.stopped``)."""
    seen_json = False
    for number, raw in enumerate(lines, start=1):
        progress(1)
        if not seen_json and give_up_after is not None and len(report.errors) >= give_up_after:
            report.stopped = True
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            report.errors.append((number, f"not UTF-8: {exc}"))
            continue
        if not line.strip():
            continue
        try:
            parsed = json.loads(line)
        except (ValueError, RecursionError) as exc:
            report.errors.append((number, f"not JSON: {exc}"))
            continue
        seen_json = True
        yield number, parsed


def load_lines(
    store: EventStore,
    lines: Iterable[bytes],
    progress: Callable[[int], None] = lambda _: None,
    give_up_after: int | None = None,
) -> LoadReport:
    """Validate and write every line to the store; returns the report (see :func:`read_lines`)."""
    report = LoadReport()

    def valid() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        for number, parsed in read_lines(lines, report, progress, give_up_after):
            try:
                yield parse_pipeline_event(parsed)
            except ValidationError as exc:
                report.errors.append((number, exc.message))
            except (ValueError, RecursionError) as exc:
                report.errors.append((number, f"not an event: {exc}"))

    counts = store.upsert_pipeline(valid())
    report.created, report.updated, report.unchanged = counts.created, counts.changed, counts.unchanged
    report.superseded = counts.superseded
    return report


def load_through_api(
    events: Events,
    lines: Iterable[bytes],
    progress: Callable[[int], None] = lambda _: None,
    give_up_after: int | None = None,
) -> LoadReport:
    """Send every JSON line through the ingest API (``events`` is a client's ``client.events``) and
    report its results by line number: the server validates each event (its ``errors`` are the
    line's reason). An API error (a 403 for a key that may not ingest, a 429 after the client's
    retries, ...) stops the load: ``report.failure`` says why, and the report counts what the
    requests before it wrote."""
    from novavms import APIError, IngestIncompleteError, IngestResult

    report = LoadReport()
    numbers: list[int] = []

    def parsed() -> Iterator[Any]:
        for number, value in read_lines(lines, report, progress, give_up_after):
            numbers.append(number)
            yield value

    result: IngestResult | None = None
    try:
        result = events.ingest(parsed())
    except IngestIncompleteError as stopped:
        result, report.failure = stopped.result, str(stopped.error)
    except APIError as error:
        report.failure = str(error)
    results = result.results if result is not None else []
    for number, item in zip(numbers[: len(results)], results, strict=True):
        if item.status == "invalid":
            reasons = "; ".join(f"{name}: {problem}" for name, problem in sorted((item.errors or {}).items()))
            report.errors.append((number, f"invalid event: {reasons}"))
        elif item.status == "created":
            report.created += 1
        elif item.status == "updated":
            report.updated += 1
        elif item.status == "unchanged":
            report.unchanged += 1
        elif item.status == "superseded":
            report.superseded += 1
    report.errors.sort()
    return report

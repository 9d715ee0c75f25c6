"""Bulk load of events from JSON Lines (``novavms-events load``).

Each line is an event in the contract's detail shape plus ``site_id`` (see
``shared.pipeline.parse_pipeline_event``). A bad line is reported with its number and nothing of it is
written; good lines are written in batches. Loading is idempotent by id and never erases what
operators did. A file whose first lines are none of them JSON is not JSON Lines: reading stops there.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from shared.errors import ValidationError
from shared.pipeline import parse_pipeline_event
from shared.store.events import EventStore


@dataclass
class LoadReport:
    """What a load did: events created and updated, each rejected line with its reason, and whether
    it stopped early (the input is not JSON Lines)."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False


def load_lines(
    store: EventStore,
    lines: Iterable[bytes],
    progress: Callable[[int], None] = lambda _: None,
    give_up_after: int | None = None,
) -> LoadReport:
    """Validate and write every line (raw bytes, UTF-8 JSON); returns the report. With
    ``give_up_after``: when that many lines were rejected as not JSON before any line was JSON, the
    input is not JSON Lines and reading stops (what was valid is written)."""
    report = LoadReport()

    def valid() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
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
            try:
                yield parse_pipeline_event(parsed)
            except ValidationError as exc:
                report.errors.append((number, exc.message))
            except (ValueError, RecursionError) as exc:
                report.errors.append((number, f"not an event: {exc}"))

    report.created, report.updated = store.upsert_pipeline(valid())
    return report

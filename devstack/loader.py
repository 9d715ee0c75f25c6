"""Bulk load of events from JSON Lines (``novavms-events load``).

Each line is an event in the contract's detail shape plus ``site_id`` (see
``shared.pipeline.parse_pipeline_event``). A bad line is reported with its number and nothing of it is
written; good lines are written in batches. Loading is idempotent by id and never erases what
operators did.
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
    """What a load did: events created and updated, and each rejected line with its reason."""

    created: int = 0
    updated: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def load_lines(
    store: EventStore, lines: Iterable[bytes], progress: Callable[[int], None] = lambda _: None
) -> LoadReport:
    """Validate and write every line (raw bytes, UTF-8 JSON); returns the report."""
    report = LoadReport()

    def valid() -> Iterator[tuple[str, dict[str, Any], dict[str, Any]]]:
        for number, raw in enumerate(lines, start=1):
            progress(1)
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                report.errors.append((number, f"not UTF-8: {exc}"))
                continue
            if not line.strip():
                continue
            try:
                yield parse_pipeline_event(json.loads(line))
            except ValidationError as exc:
                report.errors.append((number, exc.message))
            except (ValueError, RecursionError) as exc:
                report.errors.append((number, f"not JSON: {exc}"))

    report.created, report.updated = store.upsert_pipeline(valid())
    return report

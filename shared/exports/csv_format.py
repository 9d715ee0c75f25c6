"""Events -> CSV, as the contract's export defines it.

Columns: :data:`COLUMNS`. RFC 4180: comma-separated, CRLF line ends, a field with a comma, quote, CR
or LF is quoted and its quotes doubled (tags are joined with commas into one field). Booleans are
``true``/``false``, times ``2026-04-21T13:45:22Z``, missing values empty.

Formula injection (OWASP "CSV Injection"): a free-text cell (camera name, summary, tags) that starts
with ``=``, ``+``, ``-``, ``@``, tab, CR or LF would run as a formula in a spreadsheet; it gets a
leading apostrophe ``'``, which makes spreadsheets treat the cell as text. A cell that already starts
with ``'`` gets one too, so reading back is unambiguous: a free-text cell that starts with ``'`` had
exactly that one character added; drop it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from shared.api.shapes import wire_value
from shared.model.event import Event

COLUMNS = (
    "id", "camera_id", "camera_name", "trigger_type", "triggered_at", "duration_sec", "summary", "tags",
    "ai_status", "acknowledged", "starred",
)  # fmt: skip
FREE_TEXT = frozenset({"camera_name", "summary", "tags"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
ROWS_PER_CHUNK = 500


def neutralise(text: str) -> str:
    """The cell text a spreadsheet will show as text, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def cell(event: Event, column: str) -> str:
    """One cell of the CSV."""
    value = wire_value(event, column)
    if column == "tags":
        value = ",".join(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return neutralise(text) if column in FREE_TEXT else text


def csv_chunks(events: Iterable[Event], rows_per_chunk: int = ROWS_PER_CHUNK) -> Iterator[bytes]:
    """The header, then the rows, as UTF-8 chunks of up to ``rows_per_chunk`` rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for rows, event in enumerate(events, start=1):
        writer.writerow([cell(event, column) for column in COLUMNS])
        if rows % rows_per_chunk == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()

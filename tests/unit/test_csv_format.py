"""The export's CSV (shared/exports/csv_format.py): RFC 4180, formula neutralising, chunks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.exports.csv_format import COLUMNS, FREE_TEXT, cell, csv_chunks, neutralise
from shared.model.event import Event

HEADER = (
    b"id,camera_id,camera_name,trigger_type,triggered_at,duration_sec,summary,tags,ai_status,"
    b"acknowledged,starred\r\n"
)


def event(n: int = 0, **fields: Any) -> Event:
    data: dict[str, Any] = {
        "camera_id": "550e8400-e29b-41d4-a716-446655440000",
        "camera_name": "Loading Dock East",
        "site_id": "11111111-1111-4111-8111-111111111111",
        "trigger_type": "ai_tag",
        "triggered_at": datetime(2026, 4, 21, 13, 45, 22, tzinfo=UTC),
        "duration_sec": 30,
        "summary": "Person carrying package",
        "tags": ["person", "package"],
        "ai_status": "completed",
    }
    data.update(fields)
    return Event(f"00000000-0000-4000-8000-{n:012d}", data)


def export(events: list[Event], rows_per_chunk: int = 500) -> bytes:
    return b"".join(csv_chunks(events, rows_per_chunk))


def test_header_then_one_row_per_event_crlf_terminated() -> None:
    text = export([event(1, starred=True)])
    assert text.startswith(HEADER)
    assert text == HEADER + (
        b"00000000-0000-4000-8000-000000000001,550e8400-e29b-41d4-a716-446655440000,Loading Dock East,"
        b'ai_tag,2026-04-21T13:45:22Z,30,Person carrying package,"person,package",completed,false,true\r\n'
    )
    assert tuple(HEADER.decode().rstrip("\r\n").split(",")) == COLUMNS


def test_no_events_is_the_header_alone() -> None:
    assert export([]) == HEADER


def test_missing_values_are_empty_and_booleans_lowercase() -> None:
    row = export([event(duration_sec=None, summary=None, tags=[], acknowledged=True)]).split(b"\r\n")[1]
    assert row.endswith(b",ai_tag,2026-04-21T13:45:22Z,,,,completed,true,false")


def test_times_keep_microseconds_in_utc() -> None:
    moment = datetime(2026, 4, 21, 13, 45, 22, 120000, tzinfo=UTC)
    assert cell(event(triggered_at=moment), "triggered_at") == "2026-04-21T13:45:22.12Z"


@pytest.mark.parametrize(
    ("summary", "quoted"),
    [
        ("plain", b",plain,"),
        ("a, b", b',"a, b",'),
        ('say "hi"', b',"say ""hi""",'),
        ("line one\nline two", b',"line one\nline two",'),
        ("carriage\rreturn", b',"carriage\rreturn",'),
        ("Caf\u00e9 \u6771\u4eac", ",Caf\u00e9 \u6771\u4eac,".encode()),
    ],
)
def test_rfc4180_quoting(summary: str, quoted: bytes) -> None:
    assert quoted in export([event(summary=summary)])


def test_every_row_reads_back_with_the_csv_module() -> None:
    events = [
        event(1, camera_name='Main "Entrance", gate 2', summary="a,\r\nb", tags=["x,y", 'q"'], starred=True),
        event(2, summary=None, tags=[]),
    ]
    rows = list(csv.reader(io.StringIO(export(events).decode(), newline="")))
    assert rows[0] == list(COLUMNS)
    assert rows[1][2] == 'Main "Entrance", gate 2'
    assert rows[1][6] == "a,\r\nb"
    assert rows[1][7] == 'x,y,q"'
    assert rows[2][6] == "" and rows[2][7] == ""
    assert len(rows) == 3 and all(len(row) == len(COLUMNS) for row in rows)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n", "'"])
def test_free_text_that_could_run_as_a_formula_gets_an_apostrophe(start: str) -> None:
    text = f"{start}HYPERLINK(1)"
    assert neutralise(text) == "'" + text
    for column in ("camera_name", "summary"):
        fields: dict[str, Any] = {column: text}
        assert cell(event(**fields), column) == "'" + text
    assert cell(event(tags=[text, "ok"]), "tags") == f"'{text},ok"


@pytest.mark.parametrize("text", ["plain", " =leading space", "a=1+2", "", "x-1", "\u00e9=1"])
def test_other_text_is_left_alone(text: str) -> None:
    assert neutralise(text) == text
    assert cell(event(summary=text), "summary") == text


def test_only_free_text_columns_are_neutralised() -> None:
    assert {"camera_name", "summary", "tags"} == FREE_TEXT
    weird = event(trigger_type="=cmd", ai_status="-1", duration_sec=-5)
    assert cell(weird, "trigger_type") == "=cmd"
    assert cell(weird, "ai_status") == "-1"
    assert cell(weird, "duration_sec") == "-5"


def test_a_neutralised_cell_reads_back_as_the_text_plus_one_apostrophe() -> None:
    rows = list(csv.reader(io.StringIO(export([event(summary="'quoted", camera_name="=1+1")]).decode())))
    assert rows[1][6] == "''quoted" and rows[1][2] == "'=1+1"


@pytest.mark.parametrize(
    ("count", "per_chunk", "sizes"), [(5, 2, [3, 2, 1]), (4, 2, [3, 2]), (0, 2, [1]), (3, 500, [4])]
)
def test_chunks_hold_up_to_n_rows_the_first_with_the_header(
    count: int, per_chunk: int, sizes: list[int]
) -> None:
    events = [event(n) for n in range(count)]
    chunks = list(csv_chunks(events, per_chunk))
    assert [chunk.count(b"\r\n") for chunk in chunks] == sizes
    assert chunks[0].startswith(HEADER)
    assert all(isinstance(chunk, bytes) and chunk.endswith(b"\r\n") for chunk in chunks)
    assert b"".join(chunks) == export(events)


def test_chunks_are_produced_lazily() -> None:
    def endless() -> Any:
        n = 0
        while True:
            yield event(n)
            n += 1

    chunks = csv_chunks(endless(), 3)
    first, second = next(chunks), next(chunks)
    assert first.count(b"\r\n") == 4 and second.count(b"\r\n") == 3

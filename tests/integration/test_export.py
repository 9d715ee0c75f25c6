"""CSV exports against the real emulators: ``GET /api/v1/events/export`` through the gateway, the object it
writes to the export bucket, a storage failure midway (a real function process behind a faulty storage
proxy), the scheduled export with real signed OIDC tokens, and ``novavms-events export``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.scheduler import SigningKey, certs_endpoint, make_key, scheduled_export_client
from devstack.scheduler import oidc_token as scheduler_token
from tests.integration.conftest import (
    BASE_TIME,
    CAMERA_A,
    CAMERA_B,
    ROOT,
    SITE_A,
    SITE_B,
    Api,
    Token,
    event_line,
    reset_caches,
)
from tests.integration.export_faults import FailingStorageProxy, function_process

EVENTS = "/api/v1/events"
EXPORT = "/api/v1/events/export"
BUCKET = "test-exports"
HEADER = [
    "id", "camera_id", "camera_name", "trigger_type", "triggered_at", "duration_sec", "summary", "tags",
    "ai_status", "acknowledged", "starred",
]  # fmt: skip
CSV_TYPE = "text/csv; charset=utf-8"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "'")
VENV_BIN = ROOT / ".venv" / "bin"
NON_ASCII = "Caf\u00e9 \u2013 \u6771\u4eac"  # Cafe, en dash, Tokyo in kanji

SCHEDULER_ACCOUNT = "scheduler@proj.iam.gserviceaccount.com"
SCHEDULER_AUDIENCE = "https://export.example/run"


# -- helpers ---------------------------------------------------------------------------------------------


def parse_csv(body: bytes) -> list[list[str]]:
    """Every record of a CSV body (UTF-8), header included, as Python's csv module reads it."""
    return list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))


def rows_of(body: bytes) -> list[list[str]]:
    """The data rows of a CSV body, after checking its header row."""
    records = parse_csv(body)
    assert records, "empty CSV"
    assert records[0] == HEADER
    return records[1:]


def ids_of(body: bytes) -> list[str]:
    return [row[0] for row in rows_of(body)]


def record_terminators(body: bytes) -> list[bytes]:
    """The line ends that close records (outside quoted fields), checking quotes are balanced."""
    ends: list[bytes] = []
    quoted = False
    i = 0
    while i < len(body):
        byte = body[i : i + 1]
        if byte == b'"':
            quoted = not quoted
        elif not quoted and byte in (b"\r", b"\n"):
            end = body[i : i + 2] if body[i : i + 2] == b"\r\n" else byte
            ends.append(end)
            i += len(end)
            continue
        i += 1
    assert not quoted, "unbalanced quotes"
    return ends


def expected_row(line: dict[str, Any]) -> list[str]:
    """The CSV row the contract defines for an event in the loader's shape (no formula prefixes)."""
    at = datetime.fromisoformat(line["triggered_at"].replace("Z", "+00:00")).astimezone(UTC)
    return [
        line["id"],
        line["camera_id"],
        line["camera_name"],
        line["trigger_type"],
        at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "" if line.get("duration_sec") is None else str(line["duration_sec"]),
        line.get("summary") or "",
        ",".join(line.get("tags") or []),
        line["ai_status"],
        "true" if line.get("acknowledged") else "false",
        "true" if line.get("starred") else "false",
    ]


def newest_first(lines: list[dict[str, Any]]) -> list[str]:
    """Ids in list order: triggered_at descending, then id descending."""
    keyed = [
        (datetime.fromisoformat(line["triggered_at"].replace("Z", "+00:00")), line["id"]) for line in lines
    ]
    return [event_id for _, event_id in sorted(keyed, reverse=True)]


def listed_ids(api: Api, bearer: str, **params: str) -> list[str]:
    """Every id the list answers for these filters (following next_cursor)."""
    ids: list[str] = []
    query: dict[str, str] = {"limit": "100", **params}
    while True:
        answer = api.get(EVENTS, bearer, params=query)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        ids += [item["id"] for item in body["data"]]
        if body["next_cursor"] is None:
            return ids
        query["cursor"] = body["next_cursor"]


def export(api: Api, bearer: str | None, **params: str) -> requests.Response:
    return api.get(EXPORT, bearer, params=params)


def exported_ids(api: Api, bearer: str, **params: str) -> list[str]:
    answer = export(api, bearer, **params)
    assert answer.status_code == 200, answer.text
    return ids_of(answer.content)


def storage_client() -> Any:
    from google.cloud import storage

    return storage.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])


def blob_at(url: str) -> Any:
    """The blob a ``gs://bucket/name`` URL names, or None when it does not exist."""
    assert url.startswith("gs://"), url
    bucket, _, name = url.removeprefix("gs://").partition("/")
    return storage_client().bucket(bucket).get_blob(name)


def objects_under(prefix: str) -> list[str]:
    return sorted(blob.name for blob in storage_client().list_blobs(BUCKET, prefix=prefix))


def object_pattern(org: str) -> re.Pattern[str]:
    return re.compile(rf"^gs://{BUCKET}/exports/{re.escape(org)}/[^/]+\.csv$")


def download(url: str) -> bytes:
    blob = blob_at(url)
    assert blob is not None, f"{url} was not written"
    data: bytes = blob.download_as_bytes()
    assert blob.content_type.startswith("text/csv")
    return data


def store_lines(org: str, lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    from shared.model.scope import Scope
    from shared.pipeline import parse_pipeline_event
    from shared.store.events import EventStore

    EventStore(Scope(org)).upsert_pipeline(parse_pipeline_event(line) for line in lines)
    return lines


def long_lines(count: int, summary_chars: int) -> list[dict[str, Any]]:
    """``count`` events a second apart with long, distinct, partly non-ASCII summaries (some quoted)."""
    filler = f"Person in an orange vest, carrying a 'package' to dock door {NON_ASCII} - "
    lines = []
    for n in range(count):
        head = f'#{n} "quoted" '
        summary = (head + filler * (summary_chars // len(filler) + 1))[:summary_chars]
        lines.append(
            event_line(at=BASE_TIME - timedelta(seconds=n), summary=summary, tags=["person", f"t{n % 7}"])
        )
    return lines


# -- 1. shape, quoting, headers, bucket copy -------------------------------------------------------------


def test_export_csv_header_cells_quoting_and_headers(
    api: Api, org: str, token: Token, add_events: Any
) -> None:
    lines = [
        event_line(
            0,
            summary='He said "stop", then left',
            tags=["person", "package"],
            acknowledged=True,
            starred=True,
            duration_sec=45,
        ),
        event_line(
            1,
            camera_name=NON_ASCII,
            summary="line one\nline two\r\nline three, with a comma",
            tags=["visitor", "\u6771\u4eac", "a,b"],
            camera_id=CAMERA_B,
            site_id=SITE_B,
        ),
        event_line(2, summary=None, tags=[], duration_sec=None, trigger_type="motion", ai_status="pending"),
        event_line(3, camera_name='Dock "West", gate 2', summary="plain", tags=["vehicle"]),
    ]
    add_events([lines[2], lines[0], lines[3], lines[1]])  # stored out of order
    before = datetime.now(UTC).replace(microsecond=0)
    answer = export(api, token("operator"))
    after = datetime.now(UTC)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Content-Type"] == CSV_TYPE

    disposition = re.fullmatch(
        rf'attachment; filename="events-{re.escape(org)}-(\d{{8}}T\d{{6}}Z)\.csv"',
        answer.headers["Content-Disposition"],
    )
    assert disposition, answer.headers["Content-Disposition"]
    stamp = datetime.strptime(disposition.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    assert before - timedelta(seconds=1) <= stamp <= after

    body = answer.content
    assert not body.startswith(b"\xef\xbb\xbf"), "no byte order mark before the header"
    assert body.startswith(",".join(HEADER).encode() + b"\r\n")
    rows = rows_of(body)
    assert [row[0] for row in rows] == [line["id"] for line in lines], "newest first"
    for row, line in zip(rows, lines, strict=True):
        assert row == expected_row(line)
    # Spot checks of the contract's formats, beyond the generic expectation.
    assert rows[0][4] == "2026-04-21T13:45:22Z"
    assert rows[0][9:] == ["true", "true"] and rows[2][9:] == ["false", "false"]
    assert rows[1][7] == "visitor,\u6771\u4eac,a,b" and rows[1][2] == NON_ASCII
    assert rows[1][6] == "line one\nline two\r\nline three, with a comma"
    assert rows[2][5] == "" and rows[2][6] == "" and rows[2][7] == ""
    assert rows[3][2] == 'Dock "West", gate 2'
    # RFC 4180 on the wire: quotes doubled inside a quoted field, UTF-8, every record ends in CRLF.
    assert b'"He said ""stop"", then left"' in body
    assert NON_ASCII.encode("utf-8") in body
    assert record_terminators(body) == [b"\r\n"] * 5
    assert body.endswith(b"\r\n")

    # The same bytes went to the export bucket, named in X-Export-Object.
    url = answer.headers["X-Export-Object"]
    assert object_pattern(org).match(url), url
    assert download(url) == body


def test_export_formula_injection_is_neutralised_and_reads_back(
    api: Api, token: Token, add_events: Any
) -> None:
    dangerous = [
        event_line(
            n,
            camera_name=f"{start}Cam {n}",
            summary=f"{start}1+1 summary",
            tags=[f"{start}cmd|' /C calc'!A0", "plain"],
        )
        for n, start in enumerate(FORMULA_STARTS)
    ]
    examples = [
        event_line(
            20, camera_name='=HYPERLINK("http://evil.example","x")', summary="@SUM(A1)", tags=["-2+3"]
        ),
        event_line(21, camera_name="+44 20 7946 0000", summary="\t=1+1", tags=["'already"]),
    ]
    safe = [
        event_line(30, camera_name="Cam=1", summary="a=1+2, -3 @home 'x'", tags=["tag-1", "=second"]),
        event_line(31, camera_name="Lobby", summary=" =leading space", tags=["ok"]),
    ]
    lines = add_events(dangerous + examples + safe)
    answer = export(api, token("admin"))
    assert answer.status_code == 200, answer.text
    rows = {row[0]: row for row in rows_of(answer.content)}
    assert len(rows) == len(lines)
    columns = {"camera_name": 2, "summary": 6, "tags": 7}
    for line in dangerous + examples:
        row = rows[line["id"]]
        for name, index in columns.items():
            original = ",".join(line["tags"]) if name == "tags" else line[name]
            assert row[index] == "'" + original, (name, original, row[index])
            assert row[index][1:] == original  # dropping the one added apostrophe restores it exactly
    for line in safe:
        row = rows[line["id"]]
        for name, index in columns.items():
            original = ",".join(line["tags"]) if name == "tags" else line[name]
            assert row[index] == original, (name, original, row[index])
    # Columns that are not free text are never prefixed.
    for row in rows.values():
        assert not row[0].startswith("'") and not row[4].startswith("'") and not row[8].startswith("'")


# -- 2. the list's filters, paging and validation --------------------------------------------------------


def test_export_applies_every_list_filter_like_the_list(
    api: Api, org: str, token: Token, add_events: Any
) -> None:
    day = datetime(2026, 4, 20, tzinfo=UTC)
    b_site: dict[str, Any] = {"camera_id": CAMERA_B, "site_id": SITE_B}
    named = {
        "a": event_line(at=BASE_TIME),
        "b": event_line(at=BASE_TIME, **b_site, trigger_type="motion", ai_status="pending", starred=True),
        "c": event_line(
            at=day + timedelta(days=1), trigger_type="manual", ai_status="skipped", site_id=SITE_B
        ),
        "d": event_line(at=day + timedelta(days=1, seconds=-1), ai_status="failed", starred=True),
        "e": event_line(at=day + timedelta(hours=12), **b_site, trigger_type="motion"),
        "f": event_line(at=day, trigger_type="motion", ai_status="pending"),
        "g": event_line(at=day - timedelta(seconds=1), starred=True),
        "h": event_line(at=day + timedelta(hours=18), trigger_type="motion", starred=True, site_id=SITE_B),
    }
    add_events(list(named.values()))
    admin = token("admin")
    deleted = api.delete(f"{EVENTS}/{named['h']['id']}", admin)
    assert deleted.status_code == 204, deleted.text
    operator = token("operator")

    combos: list[tuple[dict[str, str], str]] = [
        ({}, "abcdefg"),
        ({"camera_id": CAMERA_B}, "be"),
        ({"site_id": SITE_B}, "bce"),
        ({"trigger_type": "motion"}, "bef"),
        ({"ai_status": "pending"}, "bf"),
        ({"starred": "true"}, "bdg"),
        ({"starred": "false"}, "abcdefg"),
        ({"date_from": "2026-04-20", "date_to": "2026-04-20"}, "def"),
        ({"date_from": "2026-04-20T12:00:00Z"}, "abcde"),
        ({"date_to": "2026-04-21T01:00:00+02:00"}, "efg"),
        ({"site_id": SITE_B, "trigger_type": "motion", "date_from": "2026-04-20"}, "be"),
        ({"starred": "true", "date_to": "2026-04-20"}, "dg"),
        ({"camera_id": CAMERA_A, "ai_status": "completed"}, "ag"),
        ({"trigger_type": "manual", "ai_status": "skipped", "site_id": SITE_B, "starred": "true"}, ""),
    ]
    for params, letters in combos:
        expected = newest_first([named[letter] for letter in letters])
        listed = listed_ids(api, admin, **params)
        got = exported_ids(api, operator, **params)
        assert got == listed, params
        assert got == expected, params
        assert named["h"]["id"] not in got  # soft-deleted events never appear


def test_export_cursor_and_limit_page_like_the_list(api: Api, token: Token, add_events: Any) -> None:
    lines = add_events(
        [event_line(n, trigger_type="motion" if n % 2 else "ai_tag") for n in range(7)]
        + [event_line(3, trigger_type="manual")]  # a tie on triggered_at, ordered by id
    )
    operator = token("operator")
    every = newest_first(lines)
    assert exported_ids(api, operator) == every

    page = api.get(EVENTS, operator, params={"limit": "3"})
    assert page.status_code == 200, page.text
    cursor = page.json()["next_cursor"]
    assert [item["id"] for item in page.json()["data"]] == every[:3] and cursor
    assert exported_ids(api, operator, cursor=cursor) == every[3:]
    assert exported_ids(api, operator, cursor=cursor) == listed_ids(api, operator, cursor=cursor)
    assert exported_ids(api, operator, cursor=cursor, limit="2") == every[3:5]
    assert exported_ids(api, operator, limit="4") == every[:4]
    assert exported_ids(api, operator, limit="100") == every

    motion = newest_first([line for line in lines if line["trigger_type"] == "motion"])
    page = api.get(EVENTS, operator, params={"limit": "1", "trigger_type": "motion"})
    cursor = page.json()["next_cursor"]
    assert cursor and [item["id"] for item in page.json()["data"]] == motion[:1]
    assert exported_ids(api, operator, trigger_type="motion", cursor=cursor) == motion[1:]
    # A cursor is bound to its filter: reused without it, the export refuses it as the list does.
    refused = export(api, operator, cursor=cursor)
    assert refused.status_code == 400 and refused.json()["error"] == "validation_error"
    assert without_request_id(refused) == without_request_id(
        api.get(EVENTS, operator, params={"cursor": cursor})
    )


def without_request_id(answer: requests.Response) -> dict[str, Any]:
    body: dict[str, Any] = answer.json()
    assert body.pop("request_id") == answer.headers["X-Request-Id"]
    return body


def test_export_validation_errors_are_the_lists(api: Api, org: str, token: Token, add_events: Any) -> None:
    add_events([event_line(0)])
    operator = token("operator")
    cases: list[Any] = [
        {"bogus": "1"},
        {"limit": "0"},
        {"limit": "abc"},
        {"limit": "-1"},
        {"trigger_type": "smoke"},
        {"ai_status": "done"},
        {"camera_id": "not-a-uuid"},
        {"site_id": "1234"},
        {"starred": "yes"},
        {"date_from": "yesterday"},
        {"date_from": "2026-04-22", "date_to": "2026-04-21"},
        {"cursor": "garbage.cursor"},
        [("trigger_type", "motion"), ("trigger_type", "manual")],
        {"limit": "0", "bogus": "x", "trigger_type": "smoke"},
    ]
    for params in cases:
        exported = api.get(EXPORT, operator, params=params)
        listed = api.get(EVENTS, operator, params=params)
        assert exported.status_code == 400, (params, exported.text)
        assert exported.headers["Content-Type"].startswith("application/json")
        assert exported.json()["error"] == "validation_error", params
        assert listed.status_code == 400
        if "limit" in dict(params):  # the same rule, over another range (the export's cap)
            assert set(exported.json()["fields"]) == set(listed.json()["fields"]), params
        else:
            assert without_request_id(exported) == without_request_id(listed), params
        assert "X-Export-Object" not in exported.headers
    assert objects_under(f"exports/{org}/") == [], "a refused export writes nothing"
    # The list's page is 1-100; the export's limit caps rows, 1 to EVENT_EXPORT_MAX_ROWS.
    assert api.get(EVENTS, operator, params={"limit": "101"}).status_code == 400
    assert export(api, operator, limit="101").status_code == 200
    above = export(api, operator, limit="10001")
    assert above.status_code == 400 and above.json()["fields"] == {
        "limit": "must be an integer from 1 to 10000"
    }


# -- 3. roles --------------------------------------------------------------------------------------------


def test_export_roles(api: Api, org: str, token: Token, add_events: Any) -> None:
    lines = add_events([event_line(n) for n in range(2)])
    viewer = export(api, token("viewer", sites=[SITE_A]))
    assert viewer.status_code == 403, viewer.text
    assert viewer.json()["error"] == "forbidden"
    for role in ("operator", "admin"):
        answer = export(api, token(role))
        assert answer.status_code == 200, (role, answer.text)
        assert ids_of(answer.content) == [line["id"] for line in lines]
    anonymous = export(api, None)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "auth_required"
    expired = export(api, token("admin", ttl=-120))
    assert expired.status_code == 401 and expired.json()["error"] == "auth_required"
    # Another org's operator exports that org's (no) events, never these.
    stranger = export(api, token("operator", org_id=f"org-{uuid.uuid4().hex[:12]}"))
    assert stranger.status_code == 200 and rows_of(stranger.content) == []


# -- 4. the cap ------------------------------------------------------------------------------------------


def test_export_cap_at_exactly_n_and_n_plus_one(api: Api, org: str, token: Token, add_events: Any) -> None:
    os.environ["EVENT_EXPORT_MAX_ROWS"] = "5"
    reset_caches()
    operator = token("operator")
    five = add_events([event_line(n) for n in range(5)])
    at_cap = export(api, operator)
    assert at_cap.status_code == 200, at_cap.text
    assert ids_of(at_cap.content) == [line["id"] for line in five]
    written = objects_under(f"exports/{org}/")
    assert len(written) == 1

    sixth = add_events([event_line(5, trigger_type="motion")])
    over = export(api, operator)
    assert over.status_code == 413, over.text
    assert over.headers["Content-Type"].startswith("application/json")
    assert over.json()["error"] == "payload_too_large" and over.json()["message"]
    assert "X-Export-Object" not in over.headers
    assert objects_under(f"exports/{org}/") == written, "a refused export writes no object"

    limited = export(api, operator, limit="3")
    assert limited.status_code == 200, limited.text
    assert ids_of(limited.content) == [line["id"] for line in five[:3]]
    at_the_cap = export(api, operator, limit="5")  # a limit within the cap never causes a 413
    assert at_the_cap.status_code == 200, at_the_cap.text
    assert ids_of(at_the_cap.content) == [line["id"] for line in five]  # the newest five of six
    assert export(api, operator, limit="6").status_code == 400
    narrowed = export(api, operator, trigger_type="ai_tag")
    assert narrowed.status_code == 200 and len(rows_of(narrowed.content)) == 5
    # Soft-deleted events do not count against the cap.
    assert api.delete(f"{EVENTS}/{sixth[0]['id']}", token("admin")).status_code == 204
    again = export(api, operator)
    assert again.status_code == 200 and ids_of(again.content) == [line["id"] for line in five]


# -- 6. large export: several upload chunks, object == body ----------------------------------------------

LARGE_ROWS = 4000
LARGE_SUMMARY = 600  # about 2.9 MiB of CSV: three 1 MiB upload chunks, eight read pages


def test_large_export_object_equals_streamed_body(api: Api, org: str, token: Token) -> None:
    lines = store_lines(org, long_lines(LARGE_ROWS, LARGE_SUMMARY))
    with api.get(EXPORT, token("operator"), stream=True) as answer:
        assert answer.status_code == 200, answer.text
        url = answer.headers["X-Export-Object"]
        body = b"".join(answer.iter_content(256 * 1024))
    assert len(body) > 2 * 1024 * 1024 + 1, f"only {len(body)} bytes: not several upload chunks"
    assert object_pattern(org).match(url), url
    blob = blob_at(url)
    assert blob is not None, f"{url} was not written"
    assert blob.size == len(body)
    assert blob.download_as_bytes() == body
    assert blob.content_type.startswith("text/csv")
    rows = rows_of(body)
    assert [row[0] for row in rows] == [line["id"] for line in lines]
    assert rows[-1] == expected_row(lines[-1]) and rows[1234] == expected_row(lines[1234])


# -- 7. a storage failure midway -------------------------------------------------------------------------


def test_storage_failure_midway_breaks_the_transfer_and_leaves_no_object(
    org: str, token: Token, tmp_path: Path
) -> None:
    lines = store_lines(org, long_lines(LARGE_ROWS, LARGE_SUMMARY))
    proxy = FailingStorageProxy(os.environ["STORAGE_EMULATOR_HOST"])
    env = {**os.environ, "STORAGE_EMULATOR_HOST": proxy.url, "PYTHONUNBUFFERED": "1"}
    received = bytearray()
    broken: Exception | None = None
    try:
        with function_process("export_events", env, tmp_path / "export.log") as base:
            answer = requests.get(
                base + EXPORT,
                headers={"Authorization": f"Bearer {token('operator')}"},
                stream=True,
                timeout=60,
            )
            with answer:
                assert answer.status_code == 200, answer.text
                assert answer.headers.get("Content-Length") is None, "a stream has no length"
                assert answer.headers.get("Transfer-Encoding") == "chunked"
                url = answer.headers["X-Export-Object"]
                try:
                    for piece in answer.iter_content(64 * 1024):
                        received += piece
                except (requests.exceptions.ChunkedEncodingError, requests.ConnectionError) as exc:
                    broken = exc
    finally:
        proxy.close()

    failed_puts = [entry for entry in proxy.seen if entry[0] == "PUT" and entry[2] == 403]
    assert len(failed_puts) == 1, proxy.seen
    assert any(method == "POST" and "uploadType=resumable" in path for method, path, _ in proxy.seen)
    # The client sees a broken transfer (no terminating chunk), not a short file that looks whole.
    assert isinstance(broken, requests.exceptions.ChunkedEncodingError), (
        f"the stream ended with {broken!r} after {len(received)} bytes"
    )
    assert 1024 * 1024 <= len(received) < 3 * 1024 * 1024
    partial = received.decode("utf-8", errors="replace")
    assert partial.startswith(",".join(HEADER) + "\r\n")
    assert partial.count(lines[0]["id"]) == 1 and lines[-1]["id"] not in partial
    # The object the header named is absent: no finished object, nothing else under the org either.
    assert object_pattern(org).match(url), url
    assert blob_at(url) is None
    assert objects_under(f"exports/{org}/") == []


# -- 8. scheduled export ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class OidcKeys:
    good: SigningKey
    impostor: SigningKey  # same kid as ``good``, another key: its signatures must not verify
    stranger: SigningKey  # a kid the certs endpoint does not serve
    certs_url: str


@pytest.fixture(scope="module")
def oidc_keys() -> Iterator[OidcKeys]:
    """A Google-style certs endpoint ({kid: PEM certificate}) on a local port, and its key."""
    good = make_key(f"kid-{uuid.uuid4().hex[:8]}")
    with certs_endpoint(good) as url:
        yield OidcKeys(good, make_key(good.kid), make_key("kid-unknown"), url)


def oidc_token(key: SigningKey, **claims: Any) -> str:
    """A Google-style OIDC token of the scheduler's account signed by ``key``; ``claims`` override."""
    return scheduler_token(key, audience=SCHEDULER_AUDIENCE, account=SCHEDULER_ACCOUNT, **claims)


DEFAULT = "default"


class Scheduler:
    """The scheduled export function in-process (functions-framework's own app) and its tokens."""

    def __init__(self, keys: OidcKeys) -> None:
        self.keys = keys
        self.client = scheduled_export_client()

    def token(self, **claims: Any) -> str:
        return oidc_token(self.keys.good, **claims)

    def run(self, body: Any, bearer: str | None = DEFAULT, method: str = "POST") -> Any:
        """Call the function with ``body`` (JSON unless bytes) and ``bearer`` (default: a valid token)."""
        headers = {}
        if bearer == DEFAULT:
            bearer = self.token()
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        data = body if isinstance(body, bytes) else json.dumps(body)
        return self.client.open(
            "/", method=method, data=data, headers=headers, content_type="application/json"
        )


@pytest.fixture
def scheduler(oidc_keys: OidcKeys) -> Scheduler:
    os.environ.update(
        EVENTS_SCHEDULER_SERVICE_ACCOUNT=SCHEDULER_ACCOUNT,
        EVENTS_SCHEDULER_AUDIENCE=SCHEDULER_AUDIENCE,
        EVENTS_SCHEDULER_CERTS_URL=oidc_keys.certs_url,
    )
    reset_caches()
    return Scheduler(oidc_keys)


def scheduled_object(org: str) -> re.Pattern[str]:
    return re.compile(rf"^gs://{BUCKET}/exports/{re.escape(org)}/scheduled/[^/]+\.csv$")


def test_scheduled_export_of_a_period(scheduler: Scheduler, org: str, add_events: Any) -> None:
    day = datetime(2026, 4, 21, tzinfo=UTC)
    inside = [
        event_line(at=day + timedelta(days=1, seconds=-1)),
        event_line(at=BASE_TIME, summary="=cmd", tags=["vehicle"]),
        event_line(at=day, trigger_type="motion"),
    ]
    outside = [event_line(at=day - timedelta(seconds=1)), event_line(at=day + timedelta(days=1))]
    add_events(outside + inside)
    answer = scheduler.run({"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert scheduled_object(org).match(body["object"]), body
    assert body["rows"] == 3 and body["org_id"] == org
    assert body["date_from"] == "2026-04-21T00:00:00Z"
    assert body["date_to"].startswith("2026-04-21T23:59:59")
    data = download(body["object"])
    rows = rows_of(data)
    assert [row[0] for row in rows] == [line["id"] for line in inside]
    assert rows[1][6] == "'=cmd", "formula cells are neutralised in scheduled exports too"
    assert rows[0] == expected_row(inside[0]) and rows[2] == expected_row(inside[2])
    assert record_terminators(data) == [b"\r\n"] * 4
    assert objects_under(f"exports/{org}/") == [body["object"].removeprefix(f"gs://{BUCKET}/")]


def test_scheduled_export_defaults_to_the_previous_utc_day(
    scheduler: Scheduler, org: str, add_events: Any
) -> None:
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    yesterday = today - timedelta(days=1)
    previous = [
        event_line(at=today - timedelta(seconds=1)),
        event_line(at=yesterday + timedelta(hours=9)),
        event_line(at=yesterday),
    ]
    add_events([event_line(at=today), event_line(at=yesterday - timedelta(seconds=1)), *previous])
    answer = scheduler.run({"org_id": org})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    body = answer.get_json()
    assert body["rows"] == 3
    assert body["date_from"] == yesterday.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert body["date_to"].startswith((today - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S"))
    assert f"{yesterday:%Y%m%d}" in body["object"].rsplit("/", 1)[-1]
    assert ids_of(download(body["object"])) == [line["id"] for line in previous]
    # An empty body names no org, which only a pinned deployment may leave out.
    empty = scheduler.run(b"")
    assert empty.status_code == 400 and empty.get_json()["error"] == "validation_error"


def test_scheduled_export_filters_narrow_it_and_name_the_object(
    scheduler: Scheduler, org: str, add_events: Any
) -> None:
    lines = add_events(
        [
            event_line(0, trigger_type="motion", starred=True),
            event_line(1, trigger_type="motion"),
            event_line(2, starred=True),
            event_line(3, trigger_type="motion", starred=True, camera_id=CAMERA_B, site_id=SITE_B),
        ]
    )
    period = {"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"}
    narrowed = scheduler.run({**period, "trigger_type": "motion", "starred": True})
    assert narrowed.status_code == 200, narrowed.get_data(as_text=True)
    body = narrowed.get_json()
    assert body["rows"] == 2
    name = body["object"].rsplit("/", 1)[-1]
    assert "trigger_type=motion" in name and "starred=true" in name, name
    assert ids_of(download(body["object"])) == [lines[0]["id"], lines[3]["id"]]

    by_site = scheduler.run({**period, "site_id": SITE_B})
    assert by_site.status_code == 200 and by_site.get_json()["rows"] == 1
    assert SITE_B in by_site.get_json()["object"]
    assert ids_of(download(by_site.get_json()["object"])) == [lines[3]["id"]]
    everything = scheduler.run(period)
    assert everything.status_code == 200 and everything.get_json()["rows"] == 4
    objects = {body["object"], by_site.get_json()["object"], everything.get_json()["object"]}
    assert len(objects) == 3, "different filters, different objects"
    assert len(objects_under(f"exports/{org}/scheduled/")) == 3


def test_scheduled_export_rerun_replaces_the_one_object(
    scheduler: Scheduler, org: str, add_events: Any
) -> None:
    first_lines = add_events([event_line(n) for n in range(2)])
    job = {"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"}
    first = scheduler.run(job)
    assert first.status_code == 200 and first.get_json()["rows"] == 2, first.get_data(as_text=True)
    late = add_events([event_line(at=BASE_TIME + timedelta(minutes=5), summary="arrived late")])
    second = scheduler.run(job)
    assert second.status_code == 200 and second.get_json()["rows"] == 3, second.get_data(as_text=True)
    assert second.get_json()["object"] == first.get_json()["object"]
    assert objects_under(f"exports/{org}/") == [first.get_json()["object"].removeprefix(f"gs://{BUCKET}/")]
    rows = rows_of(download(second.get_json()["object"]))
    assert [row[0] for row in rows] == [late[0]["id"]] + [line["id"] for line in first_lines]
    assert rows[0][6] == "arrived late"


def test_scheduled_export_has_its_own_ceiling(scheduler: Scheduler, org: str, add_events: Any) -> None:
    add_events([event_line(n) for n in range(3)])
    job = {"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"}
    os.environ["EVENT_EXPORT_MAX_ROWS"] = "1"
    reset_caches()
    uncapped = scheduler.run(job)
    assert uncapped.status_code == 200, uncapped.get_data(as_text=True)
    assert uncapped.get_json()["rows"] == 3
    assert len(rows_of(download(uncapped.get_json()["object"]))) == 3

    other = f"org-{uuid.uuid4().hex[:12]}"
    add_events([event_line(n) for n in range(3)], org_id=other)
    os.environ["EVENTS_SCHEDULED_EXPORT_MAX_ROWS"] = "2"
    reset_caches()
    capped = scheduler.run({**job, "org_id": other})
    assert capped.status_code == 413, capped.get_data(as_text=True)
    assert capped.get_json()["error"] == "payload_too_large"
    assert objects_under(f"exports/{other}/") == []
    fits = scheduler.run({**job, "org_id": other, "date_to": "2026-04-21T13:44:22Z"})
    assert fits.status_code == 200 and fits.get_json()["rows"] == 2, fits.get_data(as_text=True)


def test_scheduled_export_only_the_scheduler_account(
    scheduler: Scheduler, oidc_keys: OidcKeys, org: str, token: Token, add_events: Any
) -> None:
    add_events([event_line(0)])
    job = {"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"}
    now = int(time.time())
    for forbidden in (
        scheduler.token(email="someone@proj.iam.gserviceaccount.com"),
        scheduler.token(email_verified=False),
        scheduler.token(email=None),
    ):
        answer = scheduler.run(job, forbidden)
        assert answer.status_code == 403, answer.get_data(as_text=True)
        assert answer.get_json()["error"] == "forbidden"
    refused = {
        "wrong audience": scheduler.token(aud="https://elsewhere.example/run"),
        "expired": scheduler.token(iat=now - 1200, exp=now - 600),
        "signed by another key": oidc_token(oidc_keys.impostor),
        "unknown kid": oidc_token(oidc_keys.stranger),
        "not Google's issuer": scheduler.token(iss="https://evil.example"),
        "end-user token": token("admin"),
        "garbage": "not.a.token",
        "no token": None,
    }
    for case, bearer in refused.items():
        answer = scheduler.run(job, bearer)
        assert answer.status_code == 401, (case, answer.get_data(as_text=True))
        assert answer.get_json()["error"] == "auth_required", case
    assert objects_under(f"exports/{org}/") == [], "no refused call wrote anything"
    assert scheduler.run(job).status_code == 200


def test_scheduled_export_method_and_body(scheduler: Scheduler, org: str, add_events: Any) -> None:
    add_events([event_line(0)])
    got = scheduler.run(b"", method="GET")
    assert got.status_code == 405, got.get_data(as_text=True)
    assert got.get_json()["error"] == "method_not_allowed"
    bad_bodies: list[Any] = [
        b"{not json",
        b"[1, 2]",
        {"org_id": org, "bogus": 1},
        {"org_id": org, "date_from": "2026-04-21"},
        {"org_id": org, "date_to": "2026-04-21"},
        {"org_id": org, "trigger_type": "smoke"},
        {"org_id": org, "date_from": "2026-04-22", "date_to": "2026-04-21"},
        {"date_from": "2026-04-21", "date_to": "2026-04-21"},
        {"org_id": "no/slashes", "date_from": "2026-04-21", "date_to": "2026-04-21"},
        {},
    ]
    for body in bad_bodies:
        answer = scheduler.run(body)
        assert answer.status_code == 400, (body, answer.get_data(as_text=True))
        assert answer.get_json()["error"] == "validation_error", body
    assert objects_under(f"exports/{org}/") == []


def test_scheduled_export_pinned_org(scheduler: Scheduler, org: str, add_events: Any) -> None:
    add_events([event_line(0)])
    os.environ["EVENTS_PINNED_ORG"] = org
    reset_caches()
    period = {"date_from": "2026-04-21", "date_to": "2026-04-21"}
    other = scheduler.run({"org_id": f"org-{uuid.uuid4().hex[:12]}", **period})
    assert other.status_code == 400, other.get_data(as_text=True)
    assert other.get_json()["error"] == "validation_error"
    implied = scheduler.run(period)
    assert implied.status_code == 200, implied.get_data(as_text=True)
    assert implied.get_json()["org_id"] == org and implied.get_json()["rows"] == 1
    named = scheduler.run({"org_id": org, **period})
    assert named.status_code == 200 and named.get_json()["object"] == implied.get_json()["object"]


def test_scheduled_export_without_signature_verification(
    scheduler: Scheduler, org: str, add_events: Any
) -> None:
    (line,) = add_events([event_line(0)])
    os.environ["EVENTS_SCHEDULER_VERIFY_SIGNATURE"] = "false"
    reset_caches()
    job = {"org_id": org, "date_from": "2026-04-21", "date_to": "2026-04-21"}

    def stripped(**claims: Any) -> str:
        header, payload, _ = scheduler.token(**claims).split(".")
        return f"{header}.{payload}."

    accepted = scheduler.run(job, stripped())
    assert accepted.status_code == 200, accepted.get_data(as_text=True)
    assert ids_of(download(accepted.get_json()["object"])) == [line["id"]]
    other = scheduler.run(job, stripped(email="someone@proj.iam.gserviceaccount.com"))
    assert other.status_code == 403, other.get_data(as_text=True)
    # The claims are still checked without the signature.
    now = int(time.time())
    assert scheduler.run(job, stripped(aud="https://elsewhere.example/run")).status_code == 401
    assert scheduler.run(job, stripped(iat=now - 1200, exp=now - 600)).status_code == 401
    assert scheduler.run(job, stripped(iss="https://evil.example")).status_code == 401
    assert scheduler.run(job, None).status_code == 401


# -- 9. CLI ----------------------------------------------------------------------------------------------


def test_cli_export_writes_the_file_and_the_object(org: str, add_events: Any, tmp_path: Path) -> None:
    lines = add_events(
        [event_line(n, trigger_type="motion" if n in (1, 2, 4) else "ai_tag") for n in range(6)]
    )
    output = tmp_path / "motion.csv"
    env = {**os.environ, "NOVAVMS_DEVSTACK_DIR": str(tmp_path / "devstack"), "EVENT_EXPORT_MAX_ROWS": "10000"}
    command = [
        str(VENV_BIN / "novavms-events"), "export", "--org", org, "--filter", "trigger_type=motion",
        "--output", str(output),
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    data = output.read_bytes()
    assert ids_of(data) == [lines[n]["id"] for n in (1, 2, 4)]
    assert rows_of(data)[0] == expected_row(lines[1])
    found = re.search(r"gs://\S+", done.stdout)
    assert found, done.stdout
    assert object_pattern(org).match(found.group()), found.group()
    assert download(found.group()) == data


def test_cli_scheduled_export_runs_the_job_through_the_functions_oidc_check(
    org: str, add_events: Any, tmp_path: Path
) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    env = {**os.environ, "NOVAVMS_DEVSTACK_DIR": str(tmp_path / "devstack")}
    command = [
        str(VENV_BIN / "novavms-events"), "scheduled-export", "--org", org,
        "--filter", "date_from=2026-04-21", "--filter", "date_to=2026-04-21",
    ]  # fmt: skip
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=60, stdin=subprocess.DEVNULL
    )
    assert done.returncode == 0, done.stderr
    printed = re.fullmatch(rf"exported 3 rows of org {org} \(\S+ to \S+\) to (gs://\S+)\n", done.stdout)
    assert printed, done.stdout
    assert scheduled_object(org).match(printed.group(1)), done.stdout
    assert ids_of(download(printed.group(1))) == [line["id"] for line in lines]
    refused = subprocess.run(
        [*command[:3], "no/such org"], capture_output=True, text=True, env=env, cwd=ROOT, timeout=60
    )
    assert refused.returncode == 2 and "Traceback" not in refused.stderr

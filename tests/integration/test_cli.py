"""The ``novavms-events`` console script, run as a subprocess against the real emulators: ``token``,
``load`` (file and stdin, bad lines, idempotency, 10,000 lines), ``seed`` and the ``dev`` stack.

Every command gets its environment explicitly (the test process's, which names the session emulators
and the test settings), so nothing here depends on ``.devstack/state.json`` of a stack a developer may
be running at the same time.
"""

from __future__ import annotations

import json
import os
import pty
import re
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
import requests

from devstack.emulators import Emulators, free_port
from devstack.seed import APRIL_EVENTS, SITES
from tests.integration.conftest import (
    CAMERA_A,
    CAMERA_B,
    PROJECTS_USED,
    ROOT,
    SITE_A,
    SITE_B,
    TEST_ENV,
    Api,
    Token,
    event_line,
)
from tests.integration.dev_process import alive, command_of, dev_stack, port_open

CLI = str(ROOT / ".venv" / "bin" / "novavms-events")
DEMO_TOTAL = 200 + APRIL_EVENTS + 1  # make dev's seed: a week of recent events, April's, the example
EVENTS = "/api/v1/events"
SUMMARY = re.compile(
    r"^created (\d+), updated (\d+), unchanged (\d+), rejected (\d+)(?:, superseded \d+ .*?)?(?:; .*)?$",
    re.MULTILINE,
)


def cli(
    *args: str, stdin: str | None = None, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``novavms-events ARGS`` with the test environment (or ``env``)."""
    return subprocess.run(
        [CLI, *args],
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        env=dict(os.environ) if env is None else env,
        cwd=ROOT,
        timeout=timeout,
    )


def cli_token(*args: str, env: dict[str, str] | None = None) -> str:
    done = cli("token", *args, env=env)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip()
    assert printed.count(".") == 2 and "\n" not in printed, printed
    return printed


def load_counts(done: subprocess.CompletedProcess[str]) -> tuple[int, int, int, int]:
    """(created, updated, unchanged, rejected) from a load's summary line, into the store or through
    the API alike."""
    found = SUMMARY.search(done.stdout)
    assert found, f"no summary in stdout {done.stdout!r} (stderr {done.stderr!r})"
    created, updated, unchanged, rejected = (int(group) for group in found.groups())
    return created, updated, unchanged, rejected


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def listed(api: Api, bearer: str, **params: Any) -> dict[str, Any]:
    answer = api.get(EVENTS, bearer, params={"limit": 100, **params})
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def listed_ids(api: Api, bearer: str, **params: Any) -> list[str]:
    return [item["id"] for item in listed(api, bearer, **params)["data"]]


def total(api: Api, bearer: str) -> int:
    count: int = listed(api, bearer, limit=1)["total"]
    return count


# -- token -------------------------------------------------------------------------------------------


def test_token_operator_is_accepted_for_its_org_and_role(api: Api, org: str, add_events: Any) -> None:
    lines = add_events([event_line(n) for n in range(2)])
    operator = cli_token("--org", org, "--role", "operator")
    body = listed(api, operator)
    assert [item["id"] for item in body["data"]] == [line["id"] for line in lines]
    assert body["total"] == 2
    # The role claim is the one asked for: an operator may PATCH but not DELETE.
    assert api.patch(f"{EVENTS}/{lines[0]['id']}", operator, json={"starred": True}).status_code == 200
    refused = api.delete(f"{EVENTS}/{lines[0]['id']}", operator)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    # The org claim is the one asked for: another org's token sees none of this org's events.
    stranger = cli_token("--org", f"other-{uuid.uuid4().hex[:8]}", "--role", "admin")
    assert total(api, stranger) == 0
    assert api.get(f"{EVENTS}/{lines[0]['id']}", stranger).status_code == 404


def test_token_viewer_sites_scope_the_list(api: Api, org: str, add_events: Any) -> None:
    at_a = add_events([event_line(n, site_id=SITE_A) for n in range(3)])
    at_b = add_events([event_line(n + 3, site_id=SITE_B, camera_id=CAMERA_B) for n in range(2)])
    only_a = cli_token("--org", org, "--role", "viewer", "--sites", SITE_A)
    assert listed_ids(api, only_a) == [line["id"] for line in at_a]
    assert total(api, only_a) == 3
    forbidden = api.get(f"{EVENTS}/{at_b[0]['id']}", only_a)
    assert forbidden.status_code == 403, forbidden.text
    both = cli_token("--org", org, "--role", "viewer", "--sites", f"{SITE_A},{SITE_B}")
    assert listed_ids(api, both) == [line["id"] for line in at_a + at_b]
    assert api.patch(f"{EVENTS}/{at_a[0]['id']}", only_a, json={"starred": True}).status_code == 403


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "viewer"), "a viewer token needs --sites"),
        (("--role", "viewer", "--sites", ""), "a viewer token needs --sites"),
        (("--role", "viewer", "--sites", "not-a-uuid"), "--sites takes site uuids"),
        (("--role", "operator", "--sites", SITE_A), "only viewers are site-scoped"),
        (("--role", "admin", "--sites", SITE_A), "only viewers are site-scoped"),
    ],
)
def test_token_refuses_site_scopes_that_cannot_work(org: str, args: tuple[str, ...], message: str) -> None:
    done = cli("token", "--org", org, *args)
    assert done.returncode == 2, done.stdout
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_token_negative_ttl_is_expired(api: Api, org: str, add_events: Any) -> None:
    add_events([event_line()])
    expired = cli_token("--org", org, "--role", "admin", "--ttl", "-60")
    answer = api.get(EVENTS, expired)
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "auth_required"
    short = cli_token("--org", org, "--role", "admin", "--ttl", "120")
    assert total(api, short) == 1


def test_token_sub_is_the_acknowledging_user(api: Api, org: str, add_events: Any) -> None:
    (line,) = add_events([event_line()])
    user = f"alice-{uuid.uuid4().hex[:6]}"
    operator = cli_token("--org", org, "--role", "operator", "--sub", user)
    answer = api.patch(f"{EVENTS}/{line['id']}", operator, json={"acknowledged": True})
    assert answer.status_code == 200, answer.text
    assert answer.json()["acknowledged"] is True
    assert answer.json()["acknowledged_by"] == user
    assert api.get(f"{EVENTS}/{line['id']}", operator).json()["acknowledged_by"] == user


# -- load --------------------------------------------------------------------------------------------


def test_load_file_creates_events_with_their_fields(api: Api, org: str, token: Token, tmp_path: Path) -> None:
    lines = [event_line(n) for n in range(3)]
    lines[1].update(
        camera_id=CAMERA_B,
        camera_name="Main Entrance",
        site_id=SITE_B,
        trigger_type="motion",
        triggered_at="2026-04-21T15:44:22+02:00",  # an offset, stored as UTC
        summary="Motion near the door",
        tags=[],
        ai_status="pending",
        duration_sec=12,
        snapshot_object=f"{org}/snap.jpg",
    )
    done = cli("load", "--org", org, str(write_lines(tmp_path / "events.jsonl", lines)))
    assert done.returncode == 0, done.stderr
    assert load_counts(done) == (3, 0, 0, 0)
    assert done.stdout.strip() == "created 3, updated 0, unchanged 0, rejected 0"
    viewer = token("viewer", sites=[SITE_A, SITE_B])
    assert listed_ids(api, viewer) == [line["id"] for line in lines]
    got = api.get(f"{EVENTS}/{lines[1]['id']}", viewer)
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["camera_id"] == CAMERA_B and body["camera_name"] == "Main Entrance"
    assert body["trigger_type"] == "motion" and body["ai_status"] == "pending"
    assert body["triggered_at"] == "2026-04-21T13:44:22Z"
    assert body["summary"] == "Motion near the door" and body["tags"] == []
    assert body["duration_sec"] == 12 and body["clip_codec"] == "h264"
    assert body["clip_start_at"] == "2026-04-21T13:45:12Z" and body["clip_end_at"] == "2026-04-21T13:45:42Z"
    assert body["recording_source"] == "gateway_ring_buffer"
    assert body["acknowledged"] is False and body["starred"] is False and body["notes"] is None
    assert isinstance(body["snapshot_url"], str) and "snap.jpg" in body["snapshot_url"]
    assert body["clip_url"] is None
    first = api.get(f"{EVENTS}/{lines[0]['id']}", viewer).json()
    assert first["narrative"] == lines[0]["narrative"] and first["tags"] == ["person", "package"]
    assert first["snapshot_url"] is None
    # Only viewers of the event's site see it: the site_id of the line was stored.
    assert listed_ids(api, token("viewer", sites=[SITE_B])) == [lines[1]["id"]]


def test_load_from_stdin(api: Api, org: str, token: Token) -> None:
    lines = [event_line(n, summary=f"from stdin {n}") for n in range(4)]
    text = "".join(json.dumps(line) + "\n" for line in lines)
    done = cli("load", "--org", org, "-", stdin=text)
    assert done.returncode == 0, done.stderr
    assert load_counts(done) == (4, 0, 0, 0)
    admin = token("admin")
    body = listed(api, admin)
    assert body["total"] == 4
    assert [item["summary"] for item in body["data"]] == [f"from stdin {n}" for n in range(4)]


def test_load_reports_bad_lines_and_writes_only_good_ones(
    api: Api, org: str, token: Token, tmp_path: Path
) -> None:
    good_first, good_last = event_line(0), event_line(7)
    missing_site = event_line(2)
    del missing_site["site_id"]
    bad_enum = event_line(3, trigger_type="explosion")
    computed = event_line(4, snapshot_url="https://example.com/x.jpg")
    unknown = event_line(5, colour="red")
    bad_ai_status = event_line(6, ai_status="done")
    rows = [
        json.dumps(good_first),  # line 1
        '{"id": "not json',  # line 2
        json.dumps(missing_site),  # line 3
        json.dumps(bad_enum),  # line 4
        "",  # line 5: blank, skipped but counted
        json.dumps(computed),  # line 6
        json.dumps(unknown),  # line 7
        json.dumps(bad_ai_status),  # line 8
        json.dumps(good_last),  # line 9
    ]
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    done = cli("load", "--org", org, str(path))
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert load_counts(done) == (2, 0, 0, 6)
    reported = dict(re.findall(r"^line (\d+): (.*)$", done.stderr, re.MULTILINE))
    assert sorted(reported, key=int) == ["2", "3", "4", "6", "7", "8"], done.stderr
    assert "site_id" in reported["3"]
    assert "trigger_type" in reported["4"]
    assert "snapshot_url" in reported["6"]
    assert "colour" in reported["7"]
    assert "ai_status" in reported["8"]
    admin = token("admin")
    assert listed_ids(api, admin) == [good_first["id"], good_last["id"]]
    assert total(api, admin) == 2
    for rejected in (missing_site, bad_enum, computed, unknown, bad_ai_status):
        answer = api.get(f"{EVENTS}/{rejected['id']}", admin)
        assert answer.status_code == 404, (rejected, answer.text)


@pytest.mark.parametrize(
    "bad_line",
    [
        pytest.param(json.dumps(event_line(1, duration_sec=2**63)).encode(), id="integer-beyond-int64"),
        pytest.param(
            json.dumps(event_line(1, summary="lone \ud800 surrogate")).encode(), id="lone-surrogate"
        ),
        pytest.param(json.dumps(event_line(1)).encode().replace(b"Person", b"P\xffrson"), id="not-utf8"),
    ],
)
def test_load_rejects_a_line_the_store_cannot_hold_without_losing_the_others(
    api: Api, org: str, token: Token, tmp_path: Path, bad_line: bytes
) -> None:
    """A line that parses but cannot be stored (or is not UTF-8) is a bad line like any other: reported
    with its number while the good lines around it are written."""
    first, last = event_line(0), event_line(2)
    bad_id = json.loads(bad_line.decode(errors="replace"))["id"]
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(
        json.dumps(first).encode() + b"\n" + bad_line + b"\n" + json.dumps(last).encode() + b"\n"
    )
    done = cli("load", "--org", org, str(path))
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert load_counts(done) == (2, 0, 0, 1)
    assert re.search(r"^line 2: ", done.stderr, re.MULTILINE), done.stderr
    admin = token("admin")
    assert listed_ids(api, admin) == [first["id"], last["id"]]
    assert api.get(f"{EVENTS}/{bad_id}", admin).status_code == 404


def test_load_on_a_terminal_shows_progress_and_loads(api: Api, org: str, token: Token) -> None:
    lines = [event_line(n) for n in range(3)]
    leader, follower = pty.openpty()
    shown: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                return
            if not chunk:
                return
            shown.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        done = subprocess.run(
            [CLI, "load", "--org", org, "-"],
            input="".join(json.dumps(line) + "\n" for line in lines),
            stdout=subprocess.PIPE,
            stderr=follower,
            text=True,
            env=dict(os.environ),
            cwd=ROOT,
            timeout=60,
        )
    finally:
        os.close(follower)
        reader.join(timeout=5)
        os.close(leader)
    terminal = b"".join(shown).decode(errors="replace")
    assert "Traceback" not in terminal, terminal[-1500:]
    assert done.returncode == 0, terminal[-1500:]
    assert done.stdout.strip() == "created 3, updated 0, unchanged 0, rejected 0"
    assert "3 lines" in terminal, terminal  # the progress bar counted the lines
    assert total(api, token("admin")) == 3


def test_load_is_idempotent_and_keeps_what_operators_did(
    api: Api, org: str, token: Token, tmp_path: Path
) -> None:
    lines = [event_line(n) for n in range(3)]
    path = write_lines(tmp_path / "events.jsonl", lines)
    first = cli("load", "--org", org, str(path))
    assert first.returncode == 0 and load_counts(first) == (3, 0, 0, 0), first.stderr
    again = cli("load", "--org", org, str(path))
    assert again.returncode == 0, again.stderr
    assert load_counts(again) == (0, 0, 3, 0)  # re-sent as they were
    admin = token("admin", sub="admin-1")
    assert total(api, admin) == 3

    kept, deleted, plain = (line["id"] for line in lines)
    operator = token("operator", sub="op-7")
    patched = api.patch(
        f"{EVENTS}/{kept}", operator, json={"acknowledged": True, "starred": True, "notes": "called courier"}
    )
    assert patched.status_code == 200, patched.text
    acknowledged_at = patched.json()["acknowledged_at"]
    assert api.delete(f"{EVENTS}/{deleted}", admin).status_code == 204

    # The pipeline re-sends its events with a new summary, in the full detail shape (operator fields
    # at their defaults): that must not undo the acknowledgement, star, notes or deletion.
    changed = [
        {**line, "summary": f"revised {n}", "acknowledged": False, "starred": False, "notes": None}
        for n, line in enumerate(lines)
    ]
    reload = cli("load", "--org", org, str(write_lines(tmp_path / "changed.jsonl", changed)))
    assert reload.returncode == 0, reload.stderr
    assert load_counts(reload) == (0, 3, 0, 0)  # every summary differs: the dismissed one's too

    body = api.get(f"{EVENTS}/{kept}", admin).json()
    assert body["summary"] == "revised 0"
    assert body["acknowledged"] is True and body["acknowledged_by"] == "op-7"
    assert body["acknowledged_at"] == acknowledged_at
    assert body["starred"] is True and body["notes"] == "called courier"
    assert api.get(f"{EVENTS}/{plain}", admin).json()["summary"] == "revised 2"
    gone = api.get(f"{EVENTS}/{deleted}", admin)
    assert gone.status_code == 404 and gone.json()["error"] == "not_found"
    assert listed_ids(api, admin) == [kept, plain]
    assert total(api, admin) == 2


def test_load_ten_thousand_lines(api: Api, org: str, token: Token, tmp_path: Path) -> None:
    count = 10_000
    path = tmp_path / "bulk.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for n in range(count):
            site, camera = (SITE_A, CAMERA_A) if n % 2 else (SITE_B, CAMERA_B)
            out.write(json.dumps(event_line(n % 500, site_id=site, camera_id=camera)) + "\n")
    started = time.monotonic()
    done = cli("load", "--org", org, str(path), timeout=600)
    elapsed = time.monotonic() - started
    print(f"\nloaded {count} events in {elapsed:.1f}s")
    assert done.returncode == 0, done.stderr[-2000:]
    assert load_counts(done) == (count, 0, 0, 0)
    assert total(api, token("admin")) == count
    assert total(api, token("viewer", sites=[SITE_A])) == count // 2


def test_load_of_a_file_that_is_not_json_lines_stops_after_ten_error_lines(
    api: Api, org: str, token: Token, tmp_path: Path
) -> None:
    path = tmp_path / "events.csv"
    path.write_text("id,summary\n" + "".join(f"{n},row {n}\n" for n in range(500)), encoding="utf-8")
    done = cli("load", "--org", org, str(path))
    assert "Traceback" not in done.stderr, done.stderr[-1500:]
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = done.stderr.splitlines()
    assert len(errors) == 10 and all(re.match(r"line \d+: not JSON: ", line) for line in errors), errors
    assert done.stdout.count("\n") == 1, done.stdout
    assert load_counts(done) == (0, 0, 0, 10)
    assert f"stopped: {path} is not JSON Lines" in done.stdout
    assert total(api, token("admin")) == 0


def test_load_of_many_bad_events_shows_ten_and_loads_the_good_ones(
    api: Api, org: str, token: Token, tmp_path: Path
) -> None:
    bad = [event_line(n, trigger_type="explosion") for n in range(25)]
    good = event_line(30)
    path = write_lines(tmp_path / "mostly-bad.jsonl", [*bad, good])
    done = cli("load", "--org", org, str(path))
    assert done.returncode == 1, (done.stdout, done.stderr)
    errors = done.stderr.splitlines()
    assert [line.split(":")[0] for line in errors] == [f"line {n}" for n in range(1, 11)], errors
    assert load_counts(done) == (1, 0, 0, 25)
    assert done.stdout.strip().endswith("; the first 10 are shown"), done.stdout
    assert listed_ids(api, token("admin")) == [good["id"]]


# -- export and scheduled-export ---------------------------------------------------------------------


def test_export_into_a_missing_folder_is_one_line(org: str, add_events: Any, tmp_path: Path) -> None:
    add_events([event_line(0)])
    target = tmp_path / "no" / "such" / "folder" / "events.csv"
    done = cli("export", "--org", org, "--output", str(target))
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr == f"cannot write {target}: the folder {target.parent} does not exist\n", done.stderr
    assert done.stdout == "" and not target.parent.exists()


def test_export_max_rows_is_a_cap_that_refuses_and_says_so(org: str, add_events: Any, tmp_path: Path) -> None:
    add_events([event_line(n) for n in range(3)])
    helped = cli("export", "--help")
    assert helped.returncode == 0
    assert "a cap, not a limit" in " ".join(helped.stdout.split()), helped.stdout
    output = tmp_path / "capped.csv"
    capped = cli("export", "--org", org, "--output", str(output), "--max-rows", "2")
    assert capped.returncode == 2, (capped.stdout, capped.stderr)
    assert capped.stderr.startswith("payload_too_large: ") and capped.stderr.count("\n") == 1, capped.stderr
    assert not output.exists(), "a refused export writes no file"
    first_two = cli("export", "--org", org, "--output", str(output), "--max-rows", "2", "--filter", "limit=2")
    assert first_two.returncode == 0, first_two.stderr
    assert first_two.stdout.startswith(f"wrote 2 rows to {output} and gs://"), first_two.stdout
    for bad in ("0", "-1", "many"):
        refused = cli("export", "--org", org, "--max-rows", bad)
        assert refused.returncode == 2 and "Traceback" not in refused.stderr, refused.stderr


def test_reindex_writes_the_search_terms_of_events_stored_before_them(
    api: Api, org: str, token: Token, add_events: Any
) -> None:
    from google.cloud import firestore

    from shared.store.client import firestore_client

    lines = add_events([event_line(n, summary=f"Forklift number {n}") for n in range(3)])
    events = firestore_client().collection("orgs").document(org).collection("events")
    for line in lines[:2]:  # as stored before search existed
        events.document(line["id"]).update({"search_words": firestore.DELETE_FIELD})
    admin = token("admin")
    assert listed_ids(api, admin, q="forklift") == [lines[2]["id"]]
    done = cli("reindex", "--org", org)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"read 3 events of org {org}; wrote the search terms of 2\n"
    assert listed_ids(api, admin, q="forklift number") == [line["id"] for line in lines]
    assert listed_ids(api, admin, q="fork") == [line["id"] for line in lines]
    again = cli("reindex", "--org", org)
    assert again.stdout == f"read 3 events of org {org}; wrote the search terms of 0\n", again.stderr
    history = api.get(f"{EVENTS}/{lines[0]['id']}/history", admin).json()
    assert history["data"] == [], "terms are no change of the event"


def test_scheduled_export_prints_one_line_per_outcome(org: str, add_events: Any) -> None:
    add_events([event_line(n) for n in range(2)])
    done = cli(
        "scheduled-export", "--org", org, "--filter", "date_from=2026-04-21", "--filter", "date_to=2026-04-21"
    )
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(
        rf"exported 2 rows of org {org} \(2026-04-21T00:00:00Z to 2026-04-21T23:59:59(\.\d+)?Z\) to gs://\S+\n",
        done.stdout,
    ), done.stdout
    assert done.stderr == "", done.stderr
    refused = cli("scheduled-export", "--org", org, "--filter", "date_from=2026-04-21")
    assert refused.returncode == 1 and refused.stdout == "", refused.stdout
    assert refused.stderr.startswith("scheduled export failed: 400 validation_error: "), refused.stderr
    assert refused.stderr.count("\n") == 1 and "date_to" in refused.stderr, refused.stderr


# -- load --api: through the ingest API with a key -------------------------------------------------------


def new_key(org: str, role: str, *sites: str) -> str:
    created = cli(
        "keys", "create", "--org", org, "--role", role, *(("--sites", ",".join(sites)) if sites else ())
    )
    assert created.returncode == 0, created.stderr
    return created.stdout.strip()


def test_load_through_the_api_reports_each_line_and_never_prints_the_key(
    api: Api, org: str, token: Token, tmp_path: Path, gateway_url: str
) -> None:
    key = new_key(org, "ingest")
    good = [event_line(n % 700) for n in range(1100)]  # three requests: 500, 500 and 100
    invalid = event_line(3, trigger_type="explosion", snapshot_url="https://example.com/x.jpg")
    rows = [json.dumps(line) for line in good[:2]] + ['{"id": "not json', json.dumps(invalid), ""]
    rows += [json.dumps(line) for line in good[2:]]
    path = tmp_path / "gateway.jsonl"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    env = {**os.environ, "NOVAVMS_API_KEY": key}

    done = cli("load", "--api", gateway_url, str(path), env=env, timeout=300)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert load_counts(done) == (1100, 0, 0, 2)
    reported = dict(re.findall(r"^line (\d+): (.*)$", done.stderr, re.MULTILINE))
    assert sorted(reported, key=int) == ["3", "4"], done.stderr
    assert reported["3"].startswith("not JSON")
    assert "trigger_type" in reported["4"] and "snapshot_url" in reported["4"]
    assert key not in done.stdout + done.stderr
    admin = token("admin")
    assert total(api, admin) == 1100
    assert api.get(f"{EVENTS}/{invalid['id']}", admin).status_code == 404

    again = cli("load", "--api", gateway_url, "--key", key, str(path), env=dict(os.environ), timeout=300)
    assert load_counts(again) == (0, 0, 1100, 2), again.stderr
    assert key not in again.stdout + again.stderr

    revised = write_lines(tmp_path / "revised.jsonl", [{**good[0], "summary": "revised"}, good[1]])
    assert load_counts(cli("load", "--api", gateway_url, str(revised), env=env)) == (0, 1, 1, 0)
    assert api.get(f"{EVENTS}/{good[0]['id']}", admin).json()["summary"] == "revised"


def test_a_load_into_the_store_and_through_the_api_print_the_same_summary(
    api: Api, org: str, tmp_path: Path, gateway_url: str
) -> None:
    """The same files, loaded into one org's store and through another org's ingest API: each load's
    summary line is the same (created, updated, unchanged, rejected, superseded)."""
    lines = [event_line(n) for n in range(3)]
    repeated = {**lines[0], "summary": "a later line of the same id"}
    invalid = event_line(4, trigger_type="explosion")
    first = write_lines(tmp_path / "first.jsonl", [*lines, repeated, invalid])
    changed = {**lines[1], "summary": "revised"}
    revised = write_lines(tmp_path / "revised.jsonl", [changed, repeated, lines[2]])
    env = {**os.environ, "NOVAVMS_API_KEY": new_key(f"org-{uuid.uuid4().hex[:12]}", "ingest")}
    summaries = []
    for path in (first, first, revised):
        into_store = cli("load", "--org", org, str(path))
        through_api = cli("load", "--api", gateway_url, str(path), env=env)
        summaries.append(into_store.stdout.strip())
        assert summaries[-1] == through_api.stdout.strip(), (into_store.stderr, through_api.stderr)
    assert summaries == [
        "created 3, updated 0, unchanged 0, rejected 1, superseded 1 (a later line of the same id won)",
        "created 0, updated 0, unchanged 3, rejected 1, superseded 1 (a later line of the same id won)",
        "created 0, updated 1, unchanged 2, rejected 0",
    ]


def test_load_through_the_api_with_a_key_that_may_not_ingest_stops_in_one_line(
    org: str, tmp_path: Path, gateway_url: str
) -> None:
    path = write_lines(tmp_path / "events.jsonl", [event_line(0)])
    viewer = new_key(org, "viewer", SITE_A)
    done = cli("load", "--api", gateway_url, "--key", viewer, str(path))
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr.startswith("the API stopped the load: 403 forbidden: "), done.stderr
    assert load_counts(done) == (0, 0, 0, 0) and viewer not in done.stdout + done.stderr
    site_key = new_key(org, "ingest", SITE_B)  # an event of SITE_A is outside its sites
    assert cli("load", "--api", gateway_url, "--key", site_key, str(path)).stderr.startswith(
        "the API stopped the load: 403 forbidden: "
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("load", "-"), "load needs --org ORG"),
        (("load", "--org", "demo", "--api", "http://127.0.0.1:9", "-"), "drop --org"),
        (("load", "--api", "http://127.0.0.1:9", "-"), "load --api needs an API key"),
        (("load", "--api", "not a url", "-"), "the gateway's URL"),
        (
            ("keys", "create", "--org", "demo", "--role", "operator", "--sites", SITE_A),
            "viewers and ingest keys",
        ),
    ],
)
def test_load_and_keys_refuse_what_cannot_work(args: tuple[str, ...], message: str) -> None:
    env = {name: value for name, value in os.environ.items() if name != "NOVAVMS_API_KEY"}
    done = cli(*args, stdin="", env=env)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr, done.stderr


# -- keys --------------------------------------------------------------------------------------------


def test_keys_list_has_a_header_row_over_aligned_columns(org: str) -> None:
    empty = cli("keys", "list", "--org", org)
    assert empty.returncode == 0 and empty.stdout.split() == ["ID", "ROLE", "KEY", "STATE", "SITES", "NAME"]
    created = cli("keys", "create", "--org", org, "--role", "operator", "--name", "nightly sync")
    assert created.returncode == 0, created.stderr
    header, row, *more = cli("keys", "list", "--org", org).stdout.splitlines()
    assert more == []
    for column in ("ROLE", "KEY", "STATE", "SITES", "NAME"):
        start = header.index(column)
        assert row[start - 2 : start] == "  " and row[start] != " ", (column, header, row)
    assert row.split()[1:3] == ["operator", "..." + created.stdout.strip()[-4:]]
    assert row.endswith("every site  nightly sync"), row


def test_keys_create_makes_ingest_keys_with_or_without_sites(api: Api, org: str) -> None:
    site = event_line()["site_id"]
    scoped = cli("keys", "create", "--org", org, "--role", "ingest", "--sites", site)
    assert scoped.returncode == 0, scoped.stderr
    line = event_line(0)
    answer = api.call("PUT", f"/api/v1/events/{line['id']}", scoped.stdout.strip(), json=line)
    assert answer.status_code == 201, answer.text
    elsewhere = event_line(1, site_id=str(uuid.uuid4()))
    outside = api.call("PUT", f"/api/v1/events/{elsewhere['id']}", scoped.stdout.strip(), json=elsewhere)
    assert outside.status_code == 403
    anywhere = cli("keys", "create", "--org", org, "--role", "ingest")
    assert anywhere.returncode == 0, anywhere.stderr
    assert api.call("PUT", f"/api/v1/events/{elsewhere['id']}", anywhere.stdout.strip(), json=elsewhere).ok
    listed_keys = cli("keys", "list", "--org", org).stdout
    assert listed_keys.count("  ingest  ") == 2 and site in listed_keys and "every site" in listed_keys
    bad = cli("keys", "create", "--org", org, "--role", "ingest", "--sites", "nope")
    assert bad.returncode != 0 and "site uuids" in bad.stderr


# -- seed --------------------------------------------------------------------------------------------


def test_seed_is_visible_and_idempotent(api: Api, org: str, token: Token) -> None:

    seeded = 30 + APRIL_EVENTS + 1  # recent ones, April's and the contract's example
    done = cli("seed", "--org", org, "--count", "30")
    assert done.returncode == 0, done.stderr
    assert f"seeded {seeded} events" in done.stdout
    admin = token("admin")
    body = listed(api, admin)
    assert body["total"] == seeded and len(body["data"]) == seeded
    assert all(isinstance(item["snapshot_url"], str) for item in body["data"])
    first_ids = [item["id"] for item in body["data"]]
    again = cli("seed", "--org", org, "--count", "30")
    assert again.returncode == 0, again.stderr
    assert total(api, admin) == seeded
    assert listed_ids(api, admin) == first_ids


def test_seed_holds_the_contract_example_and_resets_it(api: Api, org: str, token: Token) -> None:
    from devstack.seed import EXAMPLE_EVENT_ID

    assert cli("seed", "--org", org, "--count", "0").returncode == 0
    admin = token("admin")
    example = api.get(f"{EVENTS}/{EXAMPLE_EVENT_ID}", admin).json()
    assert (example["camera_name"], example["triggered_at"]) == ("Loading Dock East", "2026-04-21T13:45:22Z")
    assert example["camera_id"] == "550e8400-e29b-41d4-a716-446655440000"
    april = listed(api, admin, date_from="2026-04-01", date_to="2026-04-21")
    assert 1 < april["total"] <= 50
    assert api.patch(f"{EVENTS}/{EXAMPLE_EVENT_ID}", admin, json={"acknowledged": True}).status_code == 200
    assert api.delete(f"{EVENTS}/{EXAMPLE_EVENT_ID}", admin).status_code == 204
    assert cli("seed", "--org", org, "--count", "0").returncode == 0
    again = api.get(f"{EVENTS}/{EXAMPLE_EVENT_ID}", admin)
    assert again.status_code == 200 and again.json()["acknowledged"] is False
    assert {k: v for k, v in again.json().items() if not k.endswith("_url")} == {
        k: v for k, v in example.items() if not k.endswith("_url")
    }


# -- without a stack ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [("load", "--org", "demo", "-"), ("seed",), ("export", "--org", "demo", "--output", "x.csv")]
)
def test_commands_without_a_stack_say_so_in_one_line(command: tuple[str, ...], tmp_path: Path) -> None:
    bare = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("EVENTS_", "EVENT_", "GOOGLE_", "FIRESTORE_", "STORAGE_", "CLOUDSDK_"))
    }
    bare["NOVAVMS_DEVSTACK_DIR"] = str(tmp_path / "no-stack-here")
    done = cli(*command, stdin="", env=bare, timeout=30)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stderr.count("\n") == 1 and "no running local stack found" in done.stderr, done.stderr
    assert "make dev" in done.stderr and done.stdout == ""
    gone = cli(
        *command, stdin="", env={**bare, "FIRESTORE_EMULATOR_HOST": f"127.0.0.1:{free_port()}"}, timeout=30
    )
    assert gone.returncode == 2 and "does not answer" in gone.stderr and gone.stderr.count("\n") == 1


# -- dev ---------------------------------------------------------------------------------------------


def test_dev_reuses_emulators_serves_and_stops_on_ctrl_c(emulators: Emulators, tmp_path: Path) -> None:
    project = f"test-dev-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        **TEST_ENV,
        **emulators.environment(),
        "GOOGLE_CLOUD_PROJECT": project,
        "NOVAVMS_DEVSTACK_DIR": str(tmp_path / "devstack"),
    }
    PROJECTS_USED.add((project, "(default)"))
    with dev_stack(env, tmp_path / "dev.log") as dev:
        printed = dev.wait_ready()
        base = f"http://127.0.0.1:{dev.port}"
        assert printed.get("url") == base, dev.output
        assert printed.get("firestore") == emulators.firestore_host, "dev must reuse FIRESTORE_EMULATOR_HOST"
        assert printed.get("storage", "").removeprefix("http://") == emulators.storage_host
        children = [command_of(pid) for pid in dev.children]
        assert not any("cloud-firestore-emulator" in command for command in children), "its own Firestore"
        assert printed.get("pubsub"), "dev starts the Pub/Sub emulator the environment does not name"
        demo = Api(base)

        operator = printed.get("operator")
        assert operator and printed.get("viewer") and printed.get("admin"), dev.output
        assert any(line.strip().startswith("curl ") and operator in line for line in dev.output), dev.output
        answer = demo.get(EVENTS, operator, params={"limit": 5})
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == DEMO_TOTAL and len(answer.json()["data"]) == 5
        viewer = printed.get("viewer")
        assert viewer and demo.get(EVENTS, viewer).json()["total"] < DEMO_TOTAL
        text = "\n".join(dev.output)
        assert all(site in text for site in SITES), "dev prints the demo site ids"
        assert re.search(r"valid for 12 hours \(until \d{4}-\d\d-\d\d \d\d:\d\d UTC\)", text), text

        # A second dev beside it refuses and leaves its state, logs and emulators alone.
        state = Path(env["NOVAVMS_DEVSTACK_DIR"]) / "state.json"
        before = state.read_text()
        second = cli("dev", "--port", str(free_port()), env=env, timeout=30)
        assert second.returncode == 2 and "already running" in second.stderr, second.stderr
        assert "Traceback" not in second.stderr and state.read_text() == before
        assert demo.get(EVENTS, operator, params={"limit": 1}).status_code == 200

        if (ROOT / "shared" / "openapi.json").exists():
            document = demo.get("/openapi.json")
            assert document.status_code == 200
            assert str(document.json().get("openapi", "")).startswith("3.")

        # The stack passes the service's environment through: a token minted by the CLI with the
        # same settings is accepted, one signed with another secret is not.
        minted = cli_token("--org", "demo", "--role", "admin", env=env)
        assert demo.get(EVENTS, minted, params={"limit": 1}).json()["total"] == DEMO_TOTAL
        forged = cli_token("--org", "demo", "--role", "admin", env={**env, "EVENTS_JWT_DEV_SECRET": "x" * 40})
        assert demo.get(EVENTS, forged).status_code == 401

        # load beside the stack, into the same emulator and project, shows through its gateway.
        line = event_line(summary="loaded beside dev")
        done = cli("load", "--org", "demo", "-", stdin=json.dumps(line) + "\n", env=env)
        assert done.returncode == 0 and load_counts(done) == (1, 0, 0, 0), done.stderr
        got = demo.get(f"{EVENTS}/{line['id']}", minted)
        assert got.status_code == 200 and got.json()["summary"] == "loaded beside dev"
        # Without the stack's directory or any of its settings, --stack-port finds it by its port.
        bare = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("EVENTS_", "EVENT_", "GOOGLE_", "FIRESTORE_", "STORAGE_", "NOVAVMS_"))
        }
        found = cli("--stack-port", str(dev.port), "token", "--org", "demo", "--role", "admin", env=bare)
        assert found.returncode == 0, found.stderr
        assert demo.get(f"{EVENTS}/{line['id']}", found.stdout.strip()).status_code == 200
        by_port = event_line(1, summary="loaded by port")
        loaded = cli(
            "--stack-port",
            str(dev.port),
            "load",
            "--org",
            "demo",
            "-",
            stdin=json.dumps(by_port) + "\n",
            env=bare,
        )
        assert loaded.returncode == 0 and load_counts(loaded) == (1, 0, 0, 0), loaded.stderr
        assert demo.get(f"{EVENTS}/{by_port['id']}", minted).json()["summary"] == "loaded by port"
        unknown = cli("--stack-port", str(free_port()), "load", "--org", "demo", "-", stdin="", env=bare)
        assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1, unknown.stderr
        assert "no running local stack serves port" in unknown.stderr and str(dev.port) in unknown.stderr

        # Another process wrote it: the stack's first-page count shows it once the count cache's 5 s
        # pass (waited for with a bound that only ends a hang; how long it took is printed).
        started = time.monotonic()
        while demo.get(EVENTS, minted, params={"limit": 1}).json()["total"] != DEMO_TOTAL + 2:
            assert time.monotonic() - started < 120, "the load never showed in the total"
            time.sleep(0.5)
        print(f"\nthe load showed in the total after {time.monotonic() - started:.1f}s")

        assert dev.stop_with(signal.SIGINT) == 0, dev.errors()
        assert not port_open("127.0.0.1", dev.port)
        assert not state.exists(), "dev removes its own state when it stops"
    # It must not stop emulators it did not start.
    still = requests.get(f"http://{emulators.firestore_host}/", timeout=5)
    assert still.ok and still.text.strip() == "Ok"


def test_dev_starts_and_stops_its_own_emulators(tmp_path: Path) -> None:
    env = {
        **os.environ,
        **TEST_ENV,
        "GOOGLE_CLOUD_PROJECT": f"test-own-{uuid.uuid4().hex[:8]}",
        "NOVAVMS_DEVSTACK_DIR": str(tmp_path / "devstack"),
    }
    env.pop("FIRESTORE_EMULATOR_HOST", None)
    env.pop("STORAGE_EMULATOR_HOST", None)
    with dev_stack(env, tmp_path / "dev.log") as dev:
        printed = dev.wait_ready()
        assert "firestore" in printed, dev.output
        firestore_host, firestore_port = printed["firestore"].rsplit(":", 1)
        assert printed["firestore"] != os.environ.get("FIRESTORE_EMULATOR_HOST")
        assert port_open(firestore_host, int(firestore_port))
        storage_host, storage_port = printed["storage"].removeprefix("http://").rsplit(":", 1)
        java = {pid for pid in dev.children if "java" in command_of(pid)}
        assert java, f"no java child of dev: {[command_of(pid) for pid in dev.children]}"

        operator = printed.get("operator")
        assert operator, dev.output
        answer = Api(f"http://127.0.0.1:{dev.port}").get(EVENTS, operator, params={"limit": 1})
        assert answer.status_code == 200 and answer.json()["total"] == DEMO_TOTAL, answer.text

        # SIGTERM stops it as cleanly as Ctrl-C
        assert dev.stop_with(signal.SIGTERM) == 0, dev.errors()
        assert not port_open("127.0.0.1", dev.port)
        assert not port_open(firestore_host, int(firestore_port)), "its Firestore emulator still listens"
        assert not port_open(storage_host, int(storage_port)), "its storage emulator still listens"
        pubsub_host, pubsub_port = printed["pubsub"].rsplit(":", 1)
        assert not port_open(pubsub_host, int(pubsub_port)), "its Pub/Sub emulator still listens"
        left = [f"{pid}: {command_of(pid)}" for pid in dev.children if alive(pid)]
        assert not left, f"processes dev started survive it: {left}"

"""GET /api/v1/events/{id}, PATCH, soft DELETE, the change history and re-loads, on the real emulators.

Covers the detail shape and signed media URLs, prev/next navigation, every PATCH rule (including
validation that writes nothing and concurrent PATCHes that all persist), the history entries PATCH and
DELETE append, soft delete, pipeline re-loads that never erase operator work, and each function served
alone by functions-framework (without the gateway).
"""

from __future__ import annotations

import json
import os
import re
import threading
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import functions_framework
import pytest
import requests

from devstack.harness import whole_history
from shared.model.actor import Actor
from shared.model.scope import Scope
from shared.store.events import EventStore
from tests.contract import document
from tests.integration.conftest import BASE_TIME, SITE_A, SITE_B, Api, Token, event_line

ROOT = Path(__file__).resolve().parents[2]
EVENTS = "/api/v1/events"
AddEvents = Callable[..., list[dict[str, Any]]]

DETAIL_KEYS = set(document()["components"]["schemas"]["EventDetail"]["required"])
RFC3339_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,6})?Z$")
CLOCK_SLACK = timedelta(seconds=5)


# -- helpers -------------------------------------------------------------------------------------------


def at(event_id: str) -> str:
    return f"{EVENTS}/{event_id}"


def parse_time(text: str) -> datetime:
    assert RFC3339_Z.match(text), text
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ok_json(response: requests.Response, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    return body


def assert_error(response: requests.Response, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def neighbours(api: Api, bearer: str, event_id: str) -> tuple[str | None, str | None]:
    body = ok_json(api.get(at(event_id), bearer))
    return body["prev_event_id"], body["next_event_id"]


def assert_chain(api: Api, bearer: str, order: list[str]) -> None:
    """Every event of ``order`` (list order, newest first) links to its neighbours in that order."""
    for index, event_id in enumerate(order):
        expected_prev = order[index - 1] if index > 0 else None
        expected_next = order[index + 1] if index + 1 < len(order) else None
        assert neighbours(api, bearer, event_id) == (expected_prev, expected_next), (index, event_id)


def list_ids(api: Api, bearer: str) -> tuple[list[str], int]:
    body = ok_json(api.get(EVENTS, bearer, params={"limit": 100}))
    return [item["id"] for item in body["data"]], body["total"]


def patch_json(api: Api, bearer: str, event_id: str, body: object) -> requests.Response:
    return api.patch(at(event_id), bearer, json=body)


def media_bucket() -> Any:
    from google.cloud import storage

    client = storage.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
    return client.bucket(os.environ["EVENTS_MEDIA_BUCKET"])


def assert_signed(url: str, object_name: str) -> None:
    parsed = urlparse(url)
    query = parse_qs(parsed.query)
    assert parsed.path.endswith("/" + object_name), url
    for name in ("X-Goog-Signature", "X-Goog-Expires", "X-Goog-Algorithm", "X-Goog-Credential"):
        assert query.get(name) and query[name][0], f"{name} missing in {url}"
    assert query["X-Goog-Algorithm"] == ["GOOG4-HMAC-SHA256"]
    assert 0 < int(query["X-Goog-Expires"][0]) <= 7 * 24 * 3600


def without_signatures(body: dict[str, Any]) -> dict[str, Any]:
    """The body with signed URLs cut to their path (signatures carry the signing second)."""
    return {
        name: urlparse(value).path if name.endswith("_url") and value else value
        for name, value in body.items()
    }


def function_client(function: str) -> Any:
    """The functions-framework app of one function alone, as Cloud Functions builds it."""
    app = functions_framework.create_app(function, str(ROOT / "functions" / f"{function}.py"), "http")
    return app.test_client()


# -- GET /{id} -----------------------------------------------------------------------------------------


def test_get_answers_exactly_the_contract_detail_shape(api: Api, token: Token, add_events: AddEvents) -> None:
    plain, micro = add_events(
        [
            event_line(
                0,
                clip_start_at="2026-04-21T15:45:12+02:00",  # any offset in, UTC with Z out
                clip_end_at="2026-04-21T13:45:42.500Z",
                tags=["person", "package", "vest"],
            ),
            event_line(at=BASE_TIME + timedelta(microseconds=123456), trigger_type="motion"),
        ]
    )
    viewer = token("viewer", sites=[SITE_A])
    answer = api.get(at(plain["id"]), viewer)
    body = ok_json(answer)
    assert answer.headers.get("X-Request-Id")
    assert set(body) == DETAIL_KEYS
    for name in (
        "id", "camera_id", "camera_name", "camera_deleted", "trigger_type", "duration_sec", "summary",
        "narrative", "tags", "ai_status", "clip_codec", "recording_source",
    ):  # fmt: skip
        assert body[name] == plain[name], name
    assert body["triggered_at"] == "2026-04-21T13:45:22Z"
    assert body["clip_start_at"] == "2026-04-21T13:45:12Z"
    assert body["clip_end_at"] == "2026-04-21T13:45:42.5Z"
    for name in ("triggered_at", "clip_start_at", "clip_end_at"):
        assert RFC3339_Z.match(body[name]), body[name]
    assert body["acknowledged"] is False and body["acknowledged_by"] is None
    assert body["acknowledged_at"] is None
    assert body["starred"] is False and body["notes"] is None
    assert body["snapshot_url"] is None and body["clip_url"] is None
    # the microsecond event is newer by 0.123456 s: it is the newer neighbour
    assert body["prev_event_id"] == micro["id"] and body["next_event_id"] is None
    newer = ok_json(api.get(at(micro["id"]), viewer))
    assert newer["triggered_at"] == "2026-04-21T13:45:22.123456Z"
    assert newer["trigger_type"] == "motion"
    assert (newer["prev_event_id"], newer["next_event_id"]) == (None, plain["id"])


def test_get_signs_media_urls_that_fetch_the_objects(api: Api, token: Token, add_events: AddEvents) -> None:
    tag = uuid.uuid4().hex
    snapshot_name, clip_name = f"snapshots/{tag}.jpg", f"clips/{tag}/clip.mp4"
    snapshot_bytes, clip_bytes = b"\xff\xd8\xff\xe0snapshot-" + tag.encode(), b"\x00\x00\x00\x18ftypclip" * 64
    bucket = media_bucket()
    bucket.blob(snapshot_name).upload_from_string(snapshot_bytes, content_type="image/jpeg")
    bucket.blob(clip_name).upload_from_string(clip_bytes, content_type="video/mp4")
    with_media, bare = add_events(
        [event_line(0, snapshot_object=snapshot_name, clip_object=clip_name), event_line(1)]
    )
    viewer = token("viewer", sites=[SITE_A])

    body = ok_json(api.get(at(with_media["id"]), viewer))
    assert_signed(body["snapshot_url"], snapshot_name)
    assert_signed(body["clip_url"], clip_name)
    snapshot = requests.get(body["snapshot_url"], timeout=30)
    assert snapshot.status_code == 200 and snapshot.content == snapshot_bytes
    clip = requests.get(body["clip_url"], timeout=30)
    assert clip.status_code == 200 and clip.content == clip_bytes

    no_media = ok_json(api.get(at(bare["id"]), viewer))
    assert no_media["snapshot_url"] is None and no_media["clip_url"] is None

    items = {item["id"]: item for item in ok_json(api.get(EVENTS, viewer))["data"]}
    assert items[bare["id"]]["snapshot_url"] is None
    listed_url = items[with_media["id"]]["snapshot_url"]
    assert_signed(listed_url, snapshot_name)
    listed = requests.get(listed_url, timeout=30)
    assert listed.status_code == 200 and listed.content == snapshot_bytes

    patched = ok_json(patch_json(api, token("operator"), with_media["id"], {"starred": True}))
    assert_signed(patched["snapshot_url"], snapshot_name)
    assert_signed(patched["clip_url"], clip_name)
    assert requests.get(patched["clip_url"], timeout=30).content == clip_bytes


# -- prev / next ---------------------------------------------------------------------------------------


def test_prev_next_follow_list_order_with_null_ends(api: Api, token: Token, add_events: AddEvents) -> None:
    lines = add_events([event_line(n) for n in (3, 0, 4, 1, 2)])  # stored out of order
    e = {n: line["id"] for n, line in zip((3, 0, 4, 1, 2), lines, strict=True)}
    viewer = token("viewer", sites=[SITE_A])
    assert neighbours(api, viewer, e[2]) == (e[1], e[3])
    assert neighbours(api, viewer, e[0]) == (None, e[1])
    assert neighbours(api, viewer, e[4]) == (e[3], None)
    order = [e[n] for n in range(5)]
    assert list_ids(api, viewer)[0] == order
    assert_chain(api, viewer, order)


def test_prev_next_skip_deleted_neighbours(api: Api, token: Token, add_events: AddEvents) -> None:
    e = [line["id"] for line in add_events([event_line(n) for n in range(5)])]
    admin = token("admin")
    for gone in (e[1], e[3]):
        assert api.delete(at(gone), admin).status_code == 204
    assert neighbours(api, admin, e[2]) == (e[0], e[4])
    assert_chain(api, admin, [e[0], e[2], e[4]])


def test_prev_next_order_equal_timestamps_by_id_descending(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    same = BASE_TIME - timedelta(minutes=10)
    newest = add_events([event_line(5)])[0]["id"]
    tied = [line["id"] for line in add_events([event_line(at=same) for _ in range(5)])]
    oldest = add_events([event_line(20)])[0]["id"]
    order = [newest, *sorted(tied, reverse=True), oldest]
    operator = token("operator")
    assert list_ids(api, operator)[0] == order
    assert_chain(api, operator, order)


def test_viewer_prev_next_skip_events_outside_their_sites(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n, site_id=SITE_A if n % 2 == 0 else SITE_B) for n in range(7)])
    everything = [line["id"] for line in lines]
    site_a = [line["id"] for line in lines if line["site_id"] == SITE_A]
    viewer_a = token("viewer", sites=[SITE_A])
    assert_chain(api, viewer_a, site_a)
    assert neighbours(api, viewer_a, everything[2]) == (everything[0], everything[4])
    assert_chain(api, token("admin"), everything)
    # a viewer of both sites sees every event as a neighbour
    assert neighbours(api, token("viewer", sites=[SITE_A, SITE_B]), everything[2]) == (
        everything[1],
        everything[3],
    )
    assert_error(api.get(at(everything[1]), viewer_a), 403, "forbidden")


# -- PATCH ---------------------------------------------------------------------------------------------


def test_patch_each_field_alone_answers_the_get_shape(api: Api, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator", sub="op-alice")
    before = ok_json(api.get(at(event_id), operator))

    starred = ok_json(patch_json(api, operator, event_id, {"starred": True}))
    assert set(starred) == DETAIL_KEYS
    assert starred == {**before, "starred": True}
    assert ok_json(api.get(at(event_id), operator)) == starred

    noted = ok_json(patch_json(api, operator, event_id, {"notes": "Courier, expected delivery"}))
    assert noted == {**starred, "notes": "Courier, expected delivery"}
    assert ok_json(api.get(at(event_id), operator)) == noted

    acked = ok_json(patch_json(api, operator, event_id, {"acknowledged": True}))
    assert acked["acknowledged"] is True and acked["acknowledged_by"] == "op-alice"
    assert {k: v for k, v in acked.items() if not k.startswith("acknowledged")} == {
        k: v for k, v in noted.items() if not k.startswith("acknowledged")
    }
    assert ok_json(api.get(at(event_id), operator)) == acked

    unstarred = ok_json(patch_json(api, operator, event_id, {"starred": False}))
    assert unstarred == {**acked, "starred": False}
    assert ok_json(api.get(at(event_id), operator)) == unstarred


def test_patch_all_fields_together(api: Api, token: Token, add_events: AddEvents, org: str) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    admin = token("admin", sub="admin-carol")
    before_call = datetime.now(UTC)
    body = ok_json(
        patch_json(api, admin, event_id, {"acknowledged": True, "starred": True, "notes": "all at once"})
    )
    after_call = datetime.now(UTC)
    assert set(body) == DETAIL_KEYS
    assert body["acknowledged"] is True and body["acknowledged_by"] == "admin-carol"
    assert before_call - CLOCK_SLACK <= parse_time(body["acknowledged_at"]) <= after_call + CLOCK_SLACK
    assert body["starred"] is True and body["notes"] == "all at once"
    assert ok_json(api.get(at(event_id), admin)) == body
    history = whole_history(EventStore(Scope(org)), event_id)
    assert len(history) == 1
    assert set(history[0]["changes"]) >= {"acknowledged", "acknowledged_by", "starred", "notes"}
    assert history[0]["changes"]["notes"] == {"old": None, "new": "all at once"}


def test_acknowledge_records_caller_and_server_time_and_keeps_the_first(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    alice, bob = token("operator", sub="user-alice"), token("operator", sub="user-bob")
    before_call = datetime.now(UTC)
    first = ok_json(patch_json(api, alice, event_id, {"acknowledged": True}))
    after_call = datetime.now(UTC)
    assert first["acknowledged_by"] == "user-alice"
    acked_at = parse_time(first["acknowledged_at"])
    assert before_call - CLOCK_SLACK <= acked_at <= after_call + CLOCK_SLACK

    again = ok_json(patch_json(api, bob, event_id, {"acknowledged": True}))
    assert again["acknowledged"] is True
    assert again["acknowledged_by"] == "user-alice"
    assert again["acknowledged_at"] == first["acknowledged_at"]
    stored = ok_json(api.get(at(event_id), bob))
    assert (stored["acknowledged_by"], stored["acknowledged_at"]) == ("user-alice", first["acknowledged_at"])

    cleared = ok_json(patch_json(api, bob, event_id, {"acknowledged": False}))
    assert cleared["acknowledged"] is False
    assert cleared["acknowledged_by"] is None and cleared["acknowledged_at"] is None
    assert ok_json(api.get(at(event_id), alice)) == cleared

    history = whole_history(EventStore(Scope(org)), event_id)
    assert [entry["by"] for entry in history] == [Actor.user("user-alice"), Actor.user("user-bob")]
    acknowledged, unacknowledged = history
    assert acknowledged["changes"]["acknowledged"] == {"old": False, "new": True}
    assert acknowledged["changes"]["acknowledged_by"] == {"old": None, "new": "user-alice"}
    assert acknowledged["changes"]["acknowledged_at"]["new"] == acked_at
    assert unacknowledged["changes"]["acknowledged_by"] == {"old": "user-alice", "new": None}
    assert unacknowledged["changes"]["acknowledged_at"] == {"old": acked_at, "new": None}

    reacked = ok_json(patch_json(api, bob, event_id, {"acknowledged": True}))
    assert reacked["acknowledged_by"] == "user-bob"
    assert parse_time(reacked["acknowledged_at"]) >= acked_at


def test_notes_limit_and_null_clears(api: Api, token: Token, add_events: AddEvents) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator")
    longest = "n" * 2000
    assert ok_json(patch_json(api, operator, event_id, {"notes": longest}))["notes"] == longest
    accented = "é" * 2000  # characters, not bytes
    assert ok_json(patch_json(api, operator, event_id, {"notes": accented}))["notes"] == accented

    too_long = assert_error(
        patch_json(api, operator, event_id, {"notes": "n" * 2001}), 400, "validation_error"
    )
    assert "notes" in too_long["fields"]
    assert ok_json(api.get(at(event_id), operator))["notes"] == accented

    cleared = ok_json(patch_json(api, operator, event_id, {"notes": None}))
    assert cleared["notes"] is None
    assert ok_json(api.get(at(event_id), operator))["notes"] is None


INVALID_BODIES: list[tuple[str, bytes, set[str], set[str]]] = [
    # (case, raw body, fields the error must name, fields it must not name)
    ("empty body", b"", {"body"}, set()),
    ("whitespace body", b"  \n", {"body"}, set()),
    ("empty object", b"{}", {"body"}, set()),
    ("not json", b"starred=true", {"body"}, set()),
    ("truncated json", b'{"starred": tru', {"body"}, set()),
    ("json array", b'[{"starred": true}]', {"body"}, set()),
    ("json null", b"null", {"body"}, set()),
    ("json string", b'"starred"', {"body"}, set()),
    ("unknown field", b'{"colour": "red"}', {"colour"}, set()),
    ("deleted field", b'{"deleted": true}', {"deleted"}, set()),
    ("acknowledged_by", b'{"acknowledged_by": "mallory"}', {"acknowledged_by"}, set()),
    ("acknowledged_at", b'{"acknowledged_at": "2026-01-01T00:00:00Z"}', {"acknowledged_at"}, set()),
    ("id", b'{"id": "c1d2e3f4-5a6b-4c7d-8e9f-0a1b2c3d4e5f"}', {"id"}, set()),
    ("acknowledged string", b'{"acknowledged": "yes"}', {"acknowledged"}, set()),
    ("acknowledged null", b'{"acknowledged": null}', {"acknowledged"}, set()),
    ("starred int", b'{"starred": 1}', {"starred"}, set()),
    ("starred null", b'{"starred": null}', {"starred"}, set()),
    ("notes int", b'{"notes": 5}', {"notes"}, set()),
    ("notes list", b'{"notes": ["a"]}', {"notes"}, set()),
    ("notes too long", json.dumps({"notes": "x" * 2001}).encode(), {"notes"}, set()),
    (
        "valid and unknown",
        b'{"acknowledged": true, "starred": true, "notes": "x", "colour": "red"}',
        {"colour"},
        {"acknowledged", "starred", "notes"},
    ),
    ("valid and wrong type", b'{"starred": true, "notes": 5}', {"notes"}, {"starred"}),
    (
        "valid and server-managed",
        b'{"acknowledged": true, "acknowledged_by": "mallory"}',
        {"acknowledged_by"},
        {"acknowledged"},
    ),
]


@pytest.mark.parametrize(
    ("body", "named", "not_named"),
    [pytest.param(raw, named, not_named, id=case) for case, raw, named, not_named in INVALID_BODIES],
)
def test_invalid_patch_is_400_naming_the_field_and_writes_nothing(
    api: Api, token: Token, add_events: AddEvents, org: str, body: bytes, named: set[str], not_named: set[str]
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    operator = token("operator", sub="op-mallory")
    before = ok_json(api.get(at(event_id), operator))
    answer = api.patch(at(event_id), operator, data=body, headers={"Content-Type": "application/json"})
    error = assert_error(answer, 400, "validation_error")
    assert isinstance(error.get("fields"), dict)
    assert named <= set(error["fields"]), error
    assert not (not_named & set(error["fields"])), error
    assert ok_json(api.get(at(event_id), operator)) == before
    assert whole_history(EventStore(Scope(org)), event_id) == []


# -- concurrency ---------------------------------------------------------------------------------------


def patch_concurrently(api: Api, event_id: str, calls: list[tuple[str, dict[str, Any]]]) -> list[Any]:
    """Send every (token, body) PATCH at once, each from its own thread and session. Returns, in call
    order, each 200 answer's body, or the status of any other answer, or the exception a call raised."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def send(index: int) -> None:
        bearer, body = calls[index]
        try:
            with requests.Session() as session:
                barrier.wait(timeout=30)
                answer = session.patch(
                    api.base + at(event_id),
                    json=body,
                    headers={"Authorization": f"Bearer {bearer}"},
                    timeout=90,
                )
                results[index] = answer.status_code if answer.status_code != 200 else answer.json()
        except BaseException as exc:  # reported by the main thread
            results[index] = repr(exc)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_two_concurrent_patches_of_different_fields_both_persist(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    results = patch_concurrently(
        api,
        event_id,
        [(token("operator", sub="op-a"), {"starred": True}), (token("operator", sub="op-b"), {"notes": "b"})],
    )
    statuses = [200 if isinstance(result, dict) else result for result in results]
    assert statuses == [200, 200], results
    final = ok_json(api.get(at(event_id), token("admin")))
    assert (final["starred"], final["notes"]) == (True, "b")
    changes = sorted(
        json.dumps(entry["changes"], sort_keys=True)
        for entry in whole_history(EventStore(Scope(org)), event_id)
    )
    assert changes == sorted(
        json.dumps(change, sort_keys=True)
        for change in ({"starred": {"old": False, "new": True}}, {"notes": {"old": None, "new": "b"}})
    )


def test_ten_concurrent_patches_all_answer_200_and_persist(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    notes = [f"note {n} {uuid.uuid4().hex[:6]}" for n in range(6)]
    bodies: list[tuple[str, dict[str, Any]]] = [
        ("op-star-1", {"starred": True}),
        ("op-star-2", {"starred": True}),
        ("op-ack-1", {"acknowledged": True}),
        ("op-ack-2", {"acknowledged": True}),
        *((f"op-notes-{n}", {"notes": note}) for n, note in enumerate(notes)),
    ]
    calls = [(token("operator", sub=sub), body) for sub, body in bodies]
    results = patch_concurrently(api, event_id, calls)
    statuses = [200 if isinstance(result, dict) else result for result in results]
    assert statuses == [200] * len(calls), statuses
    assert all(set(result) == DETAIL_KEYS for result in results)

    final = ok_json(api.get(at(event_id), token("viewer", sites=[SITE_A])))
    assert final["starred"] is True
    assert final["acknowledged"] is True
    assert final["acknowledged_by"] in {"op-ack-1", "op-ack-2"}
    assert final["notes"] in notes

    history = whole_history(EventStore(Scope(org)), event_id)
    by_field: dict[str, list[dict[str, Any]]] = {}
    for entry in history:
        for field in entry["changes"]:
            by_field.setdefault(field, []).append(entry)
    assert len(history) == 1 + 1 + len(notes), history  # one star, one acknowledgement, every note
    assert len(by_field["starred"]) == 1
    assert len(by_field["acknowledged"]) == 1
    assert by_field["acknowledged"][0]["by"] == Actor.user(final["acknowledged_by"])
    assert by_field["acknowledged"][0]["changes"]["acknowledged_by"]["new"] == final["acknowledged_by"]
    # the note changes form one serial chain: None -> ... -> the final note, each note exactly once
    steps = {
        entry["changes"]["notes"]["old"]: entry["changes"]["notes"]["new"] for entry in by_field["notes"]
    }
    assert len(steps) == len(notes)
    chain, current = [], None
    while current in steps:
        current = steps[current]
        chain.append(current)
    assert sorted(chain) == sorted(notes) and chain[-1] == final["notes"]


# -- history -------------------------------------------------------------------------------------------


def test_history_records_every_change_and_noops_append_nothing(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    store = EventStore(Scope(org))
    alice, admin = token("operator", sub="user-alice"), token("admin", sub="admin-root")
    started = datetime.now(UTC)

    ok_json(patch_json(api, alice, event_id, {"starred": True}))
    history = whole_history(store, event_id)
    assert len(history) == 1
    entry = history[0]
    assert set(entry) >= {"by", "at", "action", "changes"}
    assert entry["by"] == Actor.user("user-alice")
    assert isinstance(entry["action"], str) and entry["action"]
    assert started - CLOCK_SLACK <= entry["at"] <= datetime.now(UTC) + CLOCK_SLACK
    assert entry["changes"] == {"starred": {"old": False, "new": True}}

    for noop in ({"starred": True}, {"acknowledged": False}, {"notes": None}):
        assert ok_json(patch_json(api, alice, event_id, noop))["starred"] is True
    assert len(whole_history(store, event_id)) == 1

    ok_json(patch_json(api, alice, event_id, {"notes": "first"}))
    ok_json(patch_json(api, alice, event_id, {"notes": "first", "starred": True}))  # no-op
    ok_json(patch_json(api, alice, event_id, {"notes": "second", "starred": True}))  # notes only
    ok_json(patch_json(api, alice, event_id, {"notes": None}))
    history = whole_history(store, event_id)
    assert [entry["changes"] for entry in history[1:]] == [
        {"notes": {"old": None, "new": "first"}},
        {"notes": {"old": "first", "new": "second"}},
        {"notes": {"old": "second", "new": None}},
    ]

    assert api.delete(at(event_id), admin).status_code == 204
    history = whole_history(store, event_id)
    assert len(history) == 5
    deletion = history[-1]
    assert deletion["by"] == Actor.user("admin-root")
    assert "delete" in deletion["action"] and deletion["action"] != history[0]["action"]
    assert deletion["changes"]["deleted"] == {"old": False, "new": True}
    assert deletion["changes"]["deleted_by"]["new"] == "admin-root"
    times = [entry["at"] for entry in history]
    assert times == sorted(times)


# -- DELETE --------------------------------------------------------------------------------------------


def test_delete_is_soft_and_hides_the_event_everywhere(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    e = [line["id"] for line in lines]
    admin, operator = token("admin", sub="admin-dora"), token("operator", sub="op-eve")
    ok_json(patch_json(api, operator, e[1], {"acknowledged": True, "notes": "checked"}))
    assert list_ids(api, operator) == (e, 3)

    started = datetime.now(UTC)
    answer = api.delete(at(e[1]), admin)
    assert answer.status_code == 204
    assert answer.content == b""

    assert list_ids(api, operator) == ([e[0], e[2]], 2)
    assert_error(api.get(at(e[1]), admin), 404, "not_found")
    assert_error(patch_json(api, admin, e[1], {"starred": True}), 404, "not_found")
    assert_error(api.delete(at(e[1]), admin), 404, "not_found")
    assert neighbours(api, operator, e[0]) == (None, e[2])
    assert neighbours(api, operator, e[2]) == (e[0], None)

    document = EventStore(Scope(org)).events.document(e[1]).get().to_dict()
    assert document is not None
    assert document["deleted"] is True
    assert document["deleted_by"] == "admin-dora"
    assert started - CLOCK_SLACK <= document["deleted_at"] <= datetime.now(UTC) + CLOCK_SLACK
    original = lines[1]
    for name in ("camera_id", "camera_name", "site_id", "trigger_type", "summary", "narrative", "tags"):
        assert document[name] == original[name], name
    assert document["triggered_at"] == parse_time(original["triggered_at"].replace(".000000Z", "Z"))
    assert document["acknowledged"] is True and document["acknowledged_by"] == "op-eve"
    assert document["notes"] == "checked"
    assert document["starred"] is False


# -- pipeline re-load ----------------------------------------------------------------------------------


def test_reload_updates_pipeline_fields_and_keeps_operator_work(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    worked, removed, untouched = add_events([event_line(n) for n in range(3)])
    store = EventStore(Scope(org))
    operator, admin = token("operator", sub="op-frank"), token("admin", sub="admin-gina")
    patched = ok_json(
        patch_json(api, operator, worked["id"], {"acknowledged": True, "starred": True, "notes": "seen"})
    )
    assert api.delete(at(removed["id"]), admin).status_code == 204
    history_before = {event["id"]: whole_history(store, event["id"]) for event in (worked, removed)}
    removed_before = store.events.document(removed["id"]).get().to_dict()
    assert removed_before is not None

    reloaded = [
        {
            **worked,
            "summary": "Courier leaves the dock",
            "tags": ["person", "courier"],
            "ai_status": "completed",
            # operator fields in a pipeline line only seed new events; they never overwrite
            "acknowledged": False,
            "starred": False,
            "notes": None,
        },
        {**removed, "summary": "Re-analysed", "tags": ["vehicle"]},
        {**untouched, "narrative": "A longer narrative from the second AI pass."},
    ]
    add_events(reloaded)

    after = ok_json(api.get(at(worked["id"]), operator))
    assert after["summary"] == "Courier leaves the dock" and after["tags"] == ["person", "courier"]
    for name in ("acknowledged", "acknowledged_by", "acknowledged_at", "starred", "notes"):
        assert after[name] == patched[name], name
    assert (after["acknowledged_by"], after["notes"]) == ("op-frank", "seen")

    assert_error(api.get(at(removed["id"]), operator), 404, "not_found")
    assert list_ids(api, operator) == ([worked["id"], untouched["id"]], 2)
    removed_after = store.events.document(removed["id"]).get().to_dict()
    assert removed_after is not None
    assert removed_after["summary"] == "Re-analysed" and removed_after["tags"] == ["vehicle"]
    for name in ("deleted", "deleted_by", "deleted_at"):
        assert removed_after[name] == removed_before[name], name
    assert removed_after["deleted"] is True

    other = ok_json(api.get(at(untouched["id"]), operator))
    assert other["narrative"] == "A longer narrative from the second AI pass."
    assert other["acknowledged"] is False and other["starred"] is False

    for event_id, history in history_before.items():
        assert history and whole_history(store, event_id) == history


# -- each function alone (no gateway) ------------------------------------------------------------------


def test_get_event_function_alone_answers_like_the_gateway(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    tag = uuid.uuid4().hex
    media_bucket().blob(f"snap/{tag}.jpg").upload_from_string(b"jpeg-" + tag.encode())
    e = [line["id"] for line in add_events([event_line(0), event_line(1, snapshot_object=f"snap/{tag}.jpg")])]
    viewer = token("viewer", sites=[SITE_A])
    client = function_client("get_event")
    alone = client.get(at(e[1]), headers={"Authorization": f"Bearer {viewer}"})
    assert alone.status_code == 200, alone.get_data(as_text=True)
    assert alone.headers.get("X-Request-Id")
    body = alone.get_json()
    via_gateway = ok_json(api.get(at(e[1]), viewer))
    assert without_signatures(body) == without_signatures(via_gateway)
    assert body["prev_event_id"] == e[0] and body["clip_url"] is None
    assert requests.get(body["snapshot_url"], timeout=30).content == b"jpeg-" + tag.encode()
    missing = client.get(at(str(uuid.uuid4())), headers={"Authorization": f"Bearer {viewer}"})
    assert missing.status_code == 404 and missing.get_json()["error"] == "not_found"
    unauthenticated = client.get(at(e[1]))
    assert unauthenticated.status_code == 401 and unauthenticated.get_json()["error"] == "auth_required"


def test_update_event_function_alone_answers_like_the_gateway(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    e = [line["id"] for line in add_events([event_line(n) for n in range(3)])]
    operator = token("operator", sub="op-alone")
    client = function_client("update_event")
    alone = client.patch(
        at(e[1]),
        json={"acknowledged": True, "notes": "alone"},
        headers={"Authorization": f"Bearer {operator}"},
    )
    assert alone.status_code == 200, alone.get_data(as_text=True)
    body = alone.get_json()
    assert set(body) == DETAIL_KEYS
    assert body["acknowledged_by"] == "op-alone" and body["notes"] == "alone"
    assert (body["prev_event_id"], body["next_event_id"]) == (e[0], e[2])
    assert ok_json(api.get(at(e[1]), operator)) == body
    assert [entry["by"] for entry in whole_history(EventStore(Scope(org)), e[1])] == [Actor.user("op-alone")]
    invalid = client.patch(at(e[1]), data=b"{}", headers={"Authorization": f"Bearer {operator}"})
    assert invalid.status_code == 400 and invalid.get_json()["error"] == "validation_error"


def test_delete_event_function_alone(api: Api, token: Token, add_events: AddEvents, org: str) -> None:
    e = [line["id"] for line in add_events([event_line(n) for n in range(2)])]
    client = function_client("delete_event")
    operator = client.delete(at(e[0]), headers={"Authorization": f"Bearer {token('operator')}"})
    assert operator.status_code == 403 and operator.get_json()["error"] == "forbidden"
    admin = token("admin", sub="admin-alone")
    alone = client.delete(at(e[0]), headers={"Authorization": f"Bearer {admin}"})
    assert alone.status_code == 204 and alone.get_data() == b""
    assert_error(api.get(at(e[0]), admin), 404, "not_found")
    assert list_ids(api, admin) == ([e[1]], 1)
    document = EventStore(Scope(org)).events.document(e[0]).get().to_dict()
    assert document is not None and document["deleted_by"] == "admin-alone"
    again = client.delete(at(e[0]), headers={"Authorization": f"Bearer {admin}"})
    assert again.status_code == 404 and again.get_json()["error"] == "not_found"


def test_get_event_function_alone_refuses_other_methods_and_paths(
    token: Token, add_events: AddEvents
) -> None:
    event_id = add_events([event_line(0)])[0]["id"]
    admin = {"Authorization": f"Bearer {token('admin')}"}
    client = function_client("get_event")
    wrong_method = client.delete(at(event_id), headers=admin)
    assert wrong_method.status_code == 405, wrong_method.get_data(as_text=True)
    assert wrong_method.get_json()["error"] == "method_not_allowed"
    assert "GET" in wrong_method.headers.get("Allow", "")
    for path in ("/api/v1/nothing", f"{EVENTS}/{event_id}/history", "/"):
        unknown = client.get(path, headers=admin)
        assert unknown.status_code == 404, path
        assert unknown.get_json()["error"] == "not_found"
    # the refused DELETE wrote nothing
    assert client.get(at(event_id), headers=admin).status_code == 200

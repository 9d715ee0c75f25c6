"""The ingest API on the real emulators: ``PUT /api/v1/events/{id}`` and ``POST /api/v1/events/ingest``
as each role and as ingest keys with and without sites; re-loads after operators acknowledged (their
work kept) and after a dismissal (it stays dismissed); validation; mixed batches and duplicates; the
caps; the ingest budget's 429 with nothing written, apart from the API's budget; idempotency; and the
change records each write produced."""

from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
import requests

from shared.edge.routes import API_ROUTES, Route
from shared.media import upload_prefix
from shared.model.scope import Scope
from shared.store.events import EventStore
from shared.store.meter import STORE_COST_HEADER, parse_header
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
INGEST = f"{EVENTS}/ingest"
AddEvents = Callable[..., list[dict[str, Any]]]


def make_key(api: Api, admin: str, role: str, sites: list[str] | None = None) -> str:
    body: dict[str, Any] = {"name": f"{role} key", "role": role}
    if sites is not None:
        body["site_ids"] = sites
    created = api.post("/api/v1/keys", admin, json=body)
    assert created.status_code == 201, created.text
    assert created.json()["role"] == role and created.json()["site_ids"] == (sorted(sites) if sites else None)
    secret: str = created.json()["secret"]
    return secret


def put(api: Api, credential: str, line: dict[str, Any], **kwargs: Any) -> requests.Response:
    return api.call("PUT", f"{EVENTS}/{line['id']}", credential, json=line, **kwargs)


def stored(org: str, event_id: str) -> dict[str, Any] | None:
    """The event's document as stored (dismissed or not), None when absent."""
    snap = EventStore(Scope(org)).events.document(event_id).get()
    return snap.to_dict() if snap.exists else None


def changes(api: Api, admin: str) -> list[dict[str, Any]]:
    """Every change of the org, oldest first, as the feed shows an admin."""
    os.environ["EVENTS_CHANGES_SETTLE_SECONDS"] = "0"
    reset_caches()
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = api.get(f"{EVENTS}/changes", admin, params=params)
        assert page.status_code == 200, page.text
        found += page.json()["data"]
        cursor = page.json()["next_cursor"]
        if not page.json()["data"]:
            return found


# -- roles and keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "as_key", "allowed"),
    [
        ("viewer", False, False),
        ("operator", False, False),
        ("admin", False, True),
        ("viewer", True, False),
        ("operator", True, False),
        ("admin", True, True),
        ("ingest", True, True),
    ],
)
def test_put_and_batch_by_role(
    api: Api, token: Token, org: str, role: str, as_key: bool, allowed: bool
) -> None:
    admin = token("admin")
    sites = [SITE_A] if role == "viewer" else None
    credential = make_key(api, admin, role, sites) if as_key else token(role, sites=sites)
    one, many = event_line(0), [event_line(1), event_line(2)]
    answer = put(api, credential, one)
    batch = api.post(INGEST, credential, json={"events": many})
    if not allowed:
        assert (answer.status_code, batch.status_code) == (403, 403)
        assert answer.json()["error"] == batch.json()["error"] == "forbidden"
        assert all(stored(org, line["id"]) is None for line in [one, *many])
        return
    assert answer.status_code == 201 and answer.json() == {"id": one["id"], "status": "created"}
    assert batch.status_code == 200 and batch.json()["created"] == 2
    assert all(stored(org, line["id"]) is not None for line in [one, *many])
    assert answer.headers["RateLimit-Policy"] == '"ingest";q=6000;w=60'


def test_ingest_keys_are_created_listed_and_scoped(api: Api, token: Token) -> None:
    admin = token("admin")
    make_key(api, admin, "ingest")
    make_key(api, admin, "ingest", [SITE_B, SITE_A])
    listed = api.get("/api/v1/keys", admin).json()["data"]
    assert sorted((key["role"], tuple(key["site_ids"] or ())) for key in listed) == [
        ("ingest", ()),
        ("ingest", (SITE_A, SITE_B)),
    ]
    for bad in ([], ["not-a-uuid"], [str(uuid.uuid4()) for _ in range(101)]):
        refused = api.post("/api/v1/keys", admin, json={"name": "gw", "role": "ingest", "site_ids": bad})
        assert refused.status_code == 400 and "site_ids" in refused.json()["fields"]
    operator_sites = api.post(
        "/api/v1/keys", admin, json={"name": "op", "role": "operator", "site_ids": [SITE_A]}
    )
    assert operator_sites.status_code == 400 and "site_ids" in operator_sites.json()["fields"]


def _other_routes() -> list[Route]:
    return [route for route in API_ROUTES if route.min_role != "ingest"]


@pytest.mark.parametrize("route", _other_routes(), ids=lambda route: f"{route.method} {route.path}")
def test_an_ingest_key_is_refused_by_every_other_route(
    api: Api, token: Token, org: str, add_events: AddEvents, route: Route
) -> None:
    (line,) = add_events([event_line(0)])
    key = make_key(api, token("admin"), "ingest")
    path = route.path.replace("{id}", "3f2b8c1e9a7d4b6c" if route.id_kind == "key" else line["id"])
    body: dict[str, Any] | None = None
    if route.method in {"POST", "PATCH"}:
        body = {"starred": True} if route.method == "PATCH" else {"ids": [line["id"]]}
        if route.function == "create_key":
            body = {"name": "escalate", "role": "admin"}
        if route.function == "batch_update_events":
            body = {"ids": [line["id"]], "changes": {"starred": True}}
    answer = api.call(route.method, path, key, json=body)
    assert answer.status_code == 403, (route, answer.status_code, answer.text)
    assert answer.json()["error"] == "forbidden"
    after = stored(org, line["id"]) or {}
    assert (after["starred"], after["deleted"]) == (False, False)  # nothing changed


# -- site-scoped ingest keys -----------------------------------------------------------------------------


def test_a_site_scoped_key_writes_only_its_sites_and_never_moves_an_event_away(
    api: Api, token: Token, org: str, add_events: AddEvents
) -> None:
    key = make_key(api, token("admin"), "ingest", [SITE_A])
    inside = event_line(0, site_id=SITE_A)
    assert put(api, key, inside).status_code == 201
    outside = event_line(1, site_id=SITE_B)
    refused = put(api, key, outside)
    assert refused.status_code == 403 and stored(org, outside["id"]) is None

    (elsewhere,) = add_events([event_line(2, site_id=SITE_B)])
    moved = put(api, key, {**elsewhere, "site_id": SITE_A, "summary": "moved"})
    assert moved.status_code == 403
    assert stored(org, elsewhere["id"]) == {**(stored(org, elsewhere["id"]) or {}), "site_id": SITE_B}
    assert (stored(org, elsewhere["id"]) or {})["summary"] == elsewhere["summary"]
    away = put(api, key, {**inside, "site_id": SITE_B})  # a re-load may not move it out either
    assert away.status_code == 403 and (stored(org, inside["id"]) or {})["site_id"] == SITE_A

    fresh = event_line(3, site_id=SITE_A)
    batch = api.post(INGEST, key, json={"events": [fresh, event_line(4, site_id=SITE_B)]})
    assert batch.status_code == 403 and stored(org, fresh["id"]) is None  # nothing written
    batch = api.post(INGEST, key, json={"events": [fresh, {**elsewhere, "site_id": SITE_A}]})
    assert batch.status_code == 403 and "outside" in batch.json()["message"]
    assert stored(org, fresh["id"]) is None and (stored(org, elsewhere["id"]) or {})["site_id"] == SITE_B
    batch = api.post(INGEST, key, json={"events": [fresh, {**inside, "summary": "re-loaded"}]})
    assert batch.status_code == 200 and [r["status"] for r in batch.json()["results"]] == [
        "created",
        "updated",
    ]


# -- re-loads --------------------------------------------------------------------------------------------


def test_a_reload_keeps_what_operators_did(api: Api, token: Token, org: str) -> None:
    key = make_key(api, token("admin"), "ingest")
    pending = event_line(0, ai_status="pending", narrative=None, tags=[], starred=True)
    assert put(api, key, pending).json()["status"] == "created"
    operator = token("operator", sub="op-7")
    patched = api.patch(f"{EVENTS}/{pending['id']}", operator, json={"acknowledged": True, "notes": "seen"})
    assert patched.status_code == 200
    completed = {
        **pending,
        "ai_status": "completed",
        "narrative": "A courier left a parcel.",
        "tags": ["person"],
        "acknowledged": False,  # operator fields in a re-load never overwrite what operators did
        "starred": False,
        "notes": None,
    }
    answer = put(api, key, completed)
    assert answer.status_code == 200 and answer.json() == {"id": pending["id"], "status": "updated"}
    detail = api.get(f"{EVENTS}/{pending['id']}", operator).json()
    assert (detail["ai_status"], detail["narrative"], detail["tags"]) == (
        "completed",
        completed["narrative"],
        ["person"],
    )
    assert (detail["acknowledged"], detail["acknowledged_by"], detail["notes"]) == (True, "op-7", "seen")
    assert detail["starred"] is True
    history = api.get(f"{EVENTS}/{pending['id']}/history", operator).json()["data"]
    assert [entry["action"] for entry in history] == ["update"]  # loads write no history entries
    again = put(api, key, completed)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"


def test_a_dismissed_event_stays_dismissed(api: Api, token: Token, org: str) -> None:
    admin = token("admin")
    key = make_key(api, admin, "ingest")
    line = event_line(0, ai_status="pending")
    assert put(api, key, line).status_code == 201
    assert api.delete(f"{EVENTS}/{line['id']}", admin).status_code == 204
    reloaded = put(api, key, {**line, "ai_status": "completed"})
    assert reloaded.status_code == 200 and reloaded.json()["status"] == "updated"
    assert api.get(f"{EVENTS}/{line['id']}", admin).status_code == 404
    document = stored(org, line["id"]) or {}
    assert document["deleted"] is True and document["ai_status"] == "completed"
    trash = api.get(f"{EVENTS}/deleted", admin).json()["data"]
    assert [item["id"] for item in trash] == [line["id"]]
    batch = api.post(INGEST, key, json={"events": [{**line, "ai_status": "completed"}]})
    assert batch.json()["results"] == [{"id": line["id"], "status": "unchanged"}]
    assert (stored(org, line["id"]) or {})["deleted"] is True


# -- validation ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"camera_id": "not-a-uuid"}, "camera_id"),
        ({"site_id": "11111111-1111-4111-8111"}, "site_id"),
        ({"colour": "red"}, "colour"),
        ({"snapshot_url": "https://example.com/x.jpg"}, "snapshot_url"),
        ({"clip_url": "https://example.com/x.mp4"}, "clip_url"),
        ({"snapshot_object": "media/elsewhere.jpg"}, "snapshot_object"),
        ({"clip_object": "uploads/{other}/clip.mp4"}, "clip_object"),
        ({"snapshot_object": "uploads/{id}/../../x.jpg"}, "snapshot_object"),
        ({"snapshot_object": "uploads/{id}/"}, "snapshot_object"),
        ({"id": "{other}"}, "id"),
        ({"triggered_at": "yesterday"}, "triggered_at"),
        ({"deleted": True}, "deleted"),
        ({"ai_status": "done"}, "ai_status"),
    ],
)
def test_a_bad_event_is_400_naming_the_field_and_writes_nothing(
    api: Api, token: Token, org: str, change: dict[str, Any], field: str
) -> None:
    line = event_line(0)
    filled = {
        name: value.replace("{id}", line["id"]).replace("{other}", str(uuid.uuid4()))
        if isinstance(value, str)
        else value
        for name, value in change.items()
    }
    answer = api.call("PUT", f"{EVENTS}/{line['id']}", token("admin"), json={**line, **filled})
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"] == "validation_error" and field in answer.json()["fields"]
    assert stored(org, line["id"]) is None
    if field == "id":  # in a batch, another id is just another event
        return
    batch = api.post(INGEST, token("admin"), json={"events": [{**line, **filled}]})
    assert batch.status_code == 200 and batch.json()["invalid"] == 1
    (result,) = batch.json()["results"]
    assert result["status"] == "invalid" and field in result["errors"]
    assert stored(org, line["id"]) is None


def test_a_put_may_leave_out_the_id_and_name_its_own_uploads(api: Api, token: Token, org: str) -> None:
    line = event_line(0)
    event_id = line.pop("id")
    media = {
        "snapshot_object": f"{upload_prefix(event_id)}snap.jpg",
        "clip_object": f"{upload_prefix(event_id)}a/clip.mp4",
    }
    answer = api.call("PUT", f"{EVENTS}/{event_id.upper()}", token("admin"), json={**line, **media})
    assert answer.status_code == 201 and answer.json() == {"id": event_id, "status": "created"}
    assert (stored(org, event_id) or {})["snapshot_object"] == media["snapshot_object"]
    assert api.call("PUT", f"{EVENTS}/not-a-uuid", token("admin"), json=line).status_code == 404
    for body in (b"", b"[]", b"{"):
        refused = api.call(
            "PUT",
            f"{EVENTS}/{event_id}",
            token("admin"),
            data=body,
            headers={"Content-Type": "application/json"},
        )
        assert refused.status_code == 400 and "body" in refused.json()["fields"]


# -- batches ---------------------------------------------------------------------------------------------


def test_a_mixed_batch_reports_each_event_in_input_order(
    api: Api, token: Token, org: str, add_events: AddEvents
) -> None:
    existing, same = add_events([event_line(0), event_line(1)])
    new, twice = event_line(2), event_line(3)
    events: list[Any] = [
        new,
        {**existing, "summary": "re-analysed"},
        same,
        {**twice, "summary": "first"},
        {**event_line(4), "camera_id": "bad"},
        "not an object",
        {**event_line(5), "id": None},
        {**twice, "summary": "last"},
        {**twice, "summary": "invalid last", "tags": "x"},
    ]
    answer = api.post(INGEST, make_key(api, token("admin"), "ingest"), json={"events": events})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["results"] == [
        {"id": new["id"], "status": "created"},
        {"id": existing["id"], "status": "updated"},
        {"id": same["id"], "status": "unchanged"},
        {"id": twice["id"], "status": "superseded", "superseded_by": 7},
        {"id": events[4]["id"], "status": "invalid", "errors": {"camera_id": "required, a uuid"}},
        {"id": None, "status": "invalid", "errors": {"event": "an event must be a JSON object"}, "index": 5},
        {"id": None, "status": "invalid", "errors": {"id": "required, a uuid"}, "index": 6},
        {"id": twice["id"], "status": "created"},
        {"id": twice["id"], "status": "invalid", "errors": {"tags": "must be a list of non-empty strings"}},
    ]
    counts = {name: body[name] for name in ("created", "updated", "unchanged", "invalid", "superseded")}
    assert counts == {"created": 2, "updated": 1, "unchanged": 1, "invalid": 4, "superseded": 1}
    assert sum(counts.values()) == len(events)
    assert (stored(org, twice["id"]) or {})["summary"] == "last"  # the last valid occurrence won
    assert (stored(org, existing["id"]) or {})["summary"] == "re-analysed"
    assert stored(org, events[4]["id"]) is None


def test_a_batch_of_more_than_one_chunk_writes_every_event(api: Api, token: Token, org: str) -> None:
    lines = [event_line(n) for n in range(500)]
    answer = api.post(INGEST, token("admin"), json={"events": lines})
    assert answer.status_code == 200 and answer.json()["created"] == 500
    store = EventStore(Scope(org))
    assert store.count(store_filter()).total == 500
    again = api.post(INGEST, token("admin"), json={"events": lines})
    assert again.json()["unchanged"] == 500
    assert parse_header(again.headers[STORE_COST_HEADER])["events"]["writes"] == 0


def store_filter() -> Any:
    from shared.model.filter import EventFilter

    return EventFilter()


def test_the_caps(api: Api, token: Token, org: str) -> None:
    admin = token("admin")
    empty = api.post(INGEST, admin, json={"events": []})
    assert empty.status_code == 400 and "events" in empty.json()["fields"]
    missing = api.post(INGEST, admin, json={"event": []})
    assert missing.status_code == 400 and "event" in missing.json()["fields"]
    too_many = api.post(INGEST, admin, json={"events": [event_line(n) for n in range(501)]})
    assert too_many.status_code == 413 and too_many.json()["error"] == "payload_too_large"
    # Over 64 KiB: taken by the ingest routes, refused by every other route.
    big = [event_line(n, narrative="x" * 9_000) for n in range(20)]
    assert len(str(big)) > 128 * 1024
    assert api.post(INGEST, admin, json={"events": big}).json()["created"] == 20
    large_tags = event_line(30, tags=[f"tag-{n:06d}" for n in range(8_000)])
    assert put(api, admin, large_tags).status_code == 201
    refused = api.patch(f"{EVENTS}/{big[0]['id']}", admin, json={"notes": "n", "pad": "x" * 70_000})
    assert refused.status_code == 413 and refused.json()["error"] == "payload_too_large"
    os.environ["EVENTS_INGEST_MAX_BODY_BYTES"] = str(100 * 1024)  # the ingest routes' own limit
    reset_caches()
    over = api.post(INGEST, admin, json={"events": big})
    assert over.status_code == 413 and "102400" in over.json()["message"]


# -- budgets ---------------------------------------------------------------------------------------------


def fresh_window(margin: float = 20) -> None:
    """Wait for a new one-minute window when the current one ends within ``margin`` seconds."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.2)


def remaining(answer: requests.Response) -> int:
    found = re.fullmatch(r'"ingest";r=(\d+);t=\d+', answer.headers["RateLimit"])
    assert found, answer.headers.get("RateLimit")
    return int(found[1])


def test_the_ingest_budget_counts_events_and_refuses_a_request_whole(
    api: Api, token: Token, org: str
) -> None:
    os.environ["EVENTS_INGEST_RATE_LIMIT_PER_MINUTE"] = "10"
    os.environ["EVENTS_RATE_LIMIT_PER_MINUTE"] = "3"
    reset_caches()
    fresh_window()
    key = make_key(api, token("admin"), "ingest")  # a user's request: spends the API's budget
    first = api.post(INGEST, key, json={"events": [event_line(n) for n in range(6)]})
    assert first.status_code == 200 and first.headers["RateLimit-Policy"] == '"ingest";q=10;w=60'
    assert remaining(first) == 4
    refused_lines = [event_line(10 + n) for n in range(5)]
    refused = api.post(INGEST, key, json={"events": refused_lines})
    assert refused.status_code == 429 and refused.json()["error"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Policy"] == '"ingest";q=10;w=60' and remaining(refused) == 4
    assert all(stored(org, line["id"]) is None for line in refused_lines)  # nothing written
    single = put(api, key, event_line(20))
    assert single.status_code == 201 and remaining(single) == 3
    for _ in range(3):  # the ingest routes never spent the API's budget of 3 (one went on the key)
        assert api.get(EVENTS, token("operator")).status_code in (200, 429)
    api_refused = api.get(EVENTS, token("operator"))
    assert api_refused.status_code == 429 and api_refused.headers["RateLimit-Policy"] == '"org";q=3;w=60'
    after = api.post(INGEST, key, json={"events": [event_line(30 + n) for n in range(3)]})
    assert after.status_code == 200 and remaining(after) == 0  # nor the API's the ingest budget
    last = put(api, key, event_line(40))
    assert last.status_code == 429


def test_the_ingest_budget_is_shared_across_instances(api: Api, token: Token, org: str) -> None:
    """What one instance leased is spent for every instance: a fresh instance (its leases forgotten)
    finds only what no instance has leased."""
    from shared.edge import rate_limit

    os.environ["EVENTS_INGEST_RATE_LIMIT_PER_MINUTE"] = "8"
    reset_caches()
    fresh_window()
    admin = token("admin")
    first = api.post(INGEST, admin, json={"events": [event_line(n) for n in range(5)]})
    assert first.status_code == 200 and remaining(first) == 3
    rate_limit._leases.clear()  # another instance: it knows nothing this one leased
    lines = [event_line(10 + n) for n in range(4)]
    refused = api.post(INGEST, admin, json={"events": lines})
    assert refused.status_code == 429 and all(stored(org, line["id"]) is None for line in lines)
    assert api.post(INGEST, admin, json={"events": lines[:3]}).status_code == 200


def test_the_api_budget_is_not_spent_by_ingest(api: Api, token: Token) -> None:
    os.environ["EVENTS_RATE_LIMIT_PER_MINUTE"] = "4"
    reset_caches()
    fresh_window()
    admin = token("admin")
    for n in range(6):
        assert put(api, admin, event_line(n)).status_code == 201
    answers = [api.get(EVENTS, admin) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200] * 4
    assert answers[-1].headers["RateLimit"].startswith('"org";r=0;')


# -- idempotency and the change log ----------------------------------------------------------------------


def test_idempotency_keys_replay_the_first_answer(api: Api, token: Token, org: str) -> None:
    key = make_key(api, token("admin"), "ingest")
    line = event_line(0)
    headers = {"Idempotency-Key": uuid.uuid4().hex}
    first = put(api, key, line, headers=headers)
    replay = put(api, key, line, headers=headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay.json() == first.json() and replay.headers["Idempotent-Replayed"] == "true"
    other = put(api, key, {**line, "summary": "other"}, headers=headers)
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["fields"]
    batch_headers = {"Idempotency-Key": uuid.uuid4().hex}
    # an invalid event's errors are keyed by the names the caller sent, "" included: kept all the same
    body = {"events": [event_line(1), {**line, "summary": "changed"}, {**event_line(2), "": "?"}]}
    done = api.post(INGEST, key, json=body, headers=batch_headers)
    again = api.post(INGEST, key, json=body, headers=batch_headers)
    assert done.json()["created"] == 1 and done.json()["updated"] == 1
    assert done.json()["results"][2]["errors"] == {"": "unknown field"}
    assert again.json() == done.json() and again.headers["Idempotent-Replayed"] == "true"


def test_each_write_records_its_change_with_the_callers_actor(api: Api, token: Token, org: str) -> None:
    admin = token("admin", sub="admin-1")
    key = make_key(api, admin, "ingest")
    key_id = next(k["id"] for k in api.get("/api/v1/keys", admin).json()["data"] if k["role"] == "ingest")
    one, two = event_line(0, ai_status="pending"), event_line(1)
    assert put(api, key, one).status_code == 201
    assert api.post(INGEST, key, json={"events": [two, one]}).json()["unchanged"] == 1  # one: unchanged
    assert put(api, admin, {**one, "ai_status": "completed"}).json()["status"] == "updated"
    records = changes(api, admin)
    assert [(r["type"], r["event_id"], r["actor"]) for r in records] == [
        ("event.created", one["id"], {"kind": "api_key", "id": key_id}),
        ("event.created", two["id"], {"kind": "api_key", "id": key_id}),
        ("event.updated", one["id"], {"kind": "user", "id": "admin-1"}),
    ]
    assert records[2]["changed"] == ["ai_status"] and records[2]["previous"] == {"ai_status": "pending"}

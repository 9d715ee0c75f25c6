"""The operator workflow on the real emulators: the unacknowledged queue, bulk acknowledge/star/dismiss
(by ids and by filter, capped, idempotent, per-event transactional), the trash and restore, and each
event's history (the audit trail)."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable
from typing import Any

import requests

from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
BATCH_UPDATE = f"{EVENTS}/batch-update"
BATCH_DELETE = f"{EVENTS}/batch-delete"
TRASH = f"{EVENTS}/deleted"
AddEvents = Callable[..., list[dict[str, Any]]]


def ok(answer: requests.Response, status: int = 200) -> Any:
    assert answer.status_code == status, answer.text
    return answer.json() if answer.content else None


def ids_of(body: dict[str, Any]) -> list[str]:
    return [item["id"] for item in body["data"]]


def history(api: Api, bearer: str, event_id: str, **params: Any) -> list[dict[str, Any]]:
    return list(ok(api.get(f"{EVENTS}/{event_id}/history", bearer, params=params))["data"])


# -- the unacknowledged queue ---------------------------------------------------------------------------


def test_the_acknowledged_filter_is_the_queue_both_ways(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(6)])
    operator = token("operator")
    for line in lines[:2]:
        ok(api.patch(f"{EVENTS}/{line['id']}", operator, json={"acknowledged": True}))
    queue = ok(api.get(EVENTS, operator, params={"acknowledged": "false"}))
    assert ids_of(queue) == [line["id"] for line in lines[2:]] and queue["total"] == 4
    done = ok(api.get(EVENTS, operator, params={"acknowledged": "true", "limit": 1}))
    assert ids_of(done) == [lines[0]["id"]] and done["total"] == 2
    page2 = ok(
        api.get(EVENTS, operator, params={"acknowledged": "true", "limit": 1, "cursor": done["next_cursor"]})
    )
    assert ids_of(page2) == [lines[1]["id"]]
    exported = api.get(f"{EVENTS}/export", operator, params={"acknowledged": "false"})
    assert exported.status_code == 200 and exported.text.count("\r\n") == 1 + 4
    bad = api.get(EVENTS, operator, params={"acknowledged": "no"})
    assert bad.status_code == 400 and bad.json()["fields"] == {"acknowledged": "must be true or false"}
    other = api.get(EVENTS, operator, params={"acknowledged": "true", "cursor": queue["next_cursor"] or "x"})
    assert other.status_code == 400


# -- batches --------------------------------------------------------------------------------------------


def test_batch_update_by_ids_reports_each_id(api: Api, token: Token, add_events: AddEvents, org: str) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    strangers = add_events([event_line(9)], org_id=f"{org}-other")
    operator = token("operator", sub="op-1")
    ok(api.patch(f"{EVENTS}/{lines[1]['id']}", operator, json={"starred": True}))
    ids = [
        lines[0]["id"],
        lines[1]["id"],
        lines[0]["id"],
        strangers[0]["id"],
        str(uuid.uuid4()),
        "not-a-uuid",
    ]
    result = ok(api.post(BATCH_UPDATE, operator, json={"ids": ids, "changes": {"starred": True}}))
    assert result["matched"] == 2 and result["changed"] == 1
    assert [(r["id"], r["status"]) for r in result["results"]] == [
        (lines[0]["id"], "changed"),
        (lines[1]["id"], "unchanged"),
        (strangers[0]["id"], "not_found"),
        (ids[4], "not_found"),
        ("not-a-uuid", "not_found"),
    ]
    entries = history(api, operator, lines[0]["id"])
    assert [(e["action"], e["by"], e["changes"]) for e in entries] == [
        ("update", {"kind": "user", "id": "op-1"}, {"starred": {"old": False, "new": True}})
    ]
    other_org = token("operator", org_id=f"{org}-other")
    assert ok(api.get(f"{EVENTS}/{strangers[0]['id']}", other_org))["starred"] is False


def test_batch_update_by_filter_over_a_thousand_events_with_the_cap(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    storm = add_events(
        [event_line(n, trigger_type="motion", camera_id=str(uuid.UUID(int=7))) for n in range(1001)]
    )
    add_events([event_line(2000 + n, trigger_type="motion") for n in range(3)])  # another camera
    operator = token("operator")
    selection = {
        "filter": {"camera_id": str(uuid.UUID(int=7)), "trigger_type": "motion", "acknowledged": False}
    }
    os.environ["EVENTS_BATCH_MAX_EVENTS"] = "1000"
    reset_caches()
    refused = api.post(BATCH_UPDATE, operator, json={**selection, "changes": {"acknowledged": True}})
    assert refused.status_code == 413 and refused.json()["error"] == "payload_too_large"
    assert ok(api.get(EVENTS, operator, params={"acknowledged": "true"}))["total"] == 0, "nothing written"
    os.environ["EVENTS_BATCH_MAX_EVENTS"] = "1001"
    reset_caches()
    result = ok(api.post(BATCH_UPDATE, operator, json={**selection, "changes": {"acknowledged": True}}))
    assert result["matched"] == result["changed"] == 1001 and len(result["results"]) == 1001
    assert {r["id"] for r in result["results"]} == {line["id"] for line in storm}
    queue = ok(api.get(EVENTS, operator, params={"acknowledged": "false"}))
    assert queue["total"] == 3, "only the other camera's events wait"


def test_batch_bodies_are_validated(api: Api, token: Token) -> None:
    operator = token("operator")
    cases: list[tuple[object, str]] = [
        ({"changes": {"starred": True}}, "ids"),
        ({"ids": ["a"], "filter": {"starred": True}, "changes": {"starred": True}}, "ids"),
        ({"ids": [], "changes": {"starred": True}}, "ids"),
        ({"ids": ["a"] * 101, "changes": {"starred": True}}, "ids"),
        ({"filter": {}, "changes": {"starred": True}}, "filter"),
        ({"filter": {"limit": "5"}, "changes": {"starred": True}}, "filter.limit"),
        ({"filter": {"starred": "true"}, "changes": {"starred": True}}, "filter.starred"),
        ({"filter": {"trigger_type": "smoke"}, "changes": {"starred": True}}, "filter.trigger_type"),
        ({"ids": ["a"]}, "changes"),
        ({"ids": ["a"], "changes": {}}, "changes.body"),
        ({"ids": ["a"], "changes": {"colour": "red"}}, "changes.colour"),
        ({"ids": ["a"], "changes": {"starred": True}, "extra": 1}, "extra"),
    ]
    for body, field in cases:
        answer = api.post(BATCH_UPDATE, operator, json=body)
        assert answer.status_code == 400, (body, answer.text)
        assert field in answer.json()["fields"], (body, answer.json())
    assert (
        api.post(BATCH_DELETE, token("admin"), json={"ids": ["a"], "changes": {"starred": True}}).status_code
        == 400
    )
    assert api.post(BATCH_DELETE, operator, json={"ids": ["a"]}).status_code == 403
    assert api.get(BATCH_UPDATE, operator).status_code == 405


def test_a_retried_batch_answers_the_first_result_and_writes_nothing(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(3)])
    admin = token("admin")
    key = {"Idempotency-Key": f"dismiss-{uuid.uuid4()}"}
    body = {"ids": [line["id"] for line in lines]}
    first = api.post(BATCH_DELETE, admin, json=body, headers=key)
    again = api.post(BATCH_DELETE, admin, json=body, headers=key)
    assert ok(first)["changed"] == 3 and ok(again) == ok(first)
    assert again.headers.get("Idempotent-Replayed") == "true"
    for line in lines:
        assert [e["action"] for e in history(api, admin, line["id"])] == ["delete"], "dismissed once"
    other = api.post(BATCH_DELETE, admin, json={"ids": [lines[0]["id"]]}, headers=key)
    assert other.status_code == 400 and "Idempotency-Key" in other.json()["fields"]


def test_concurrent_patches_during_a_batch_lose_no_update(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n) for n in range(60)])
    operator = token("operator")
    patched: list[int] = []

    def annotate() -> None:
        for line in lines[::3]:
            patched.append(
                api.patch(f"{EVENTS}/{line['id']}", operator, json={"notes": "checked"}).status_code
            )

    worker = threading.Thread(target=annotate)
    worker.start()
    result = ok(
        api.post(BATCH_UPDATE, operator, json={"filter": {"site_id": SITE_A}, "changes": {"starred": True}})
    )
    worker.join()
    assert result["changed"] == 60 and patched == [200] * 20
    for line in lines:
        event = ok(api.get(f"{EVENTS}/{line['id']}", operator))
        assert event["starred"] is True
        assert event["notes"] == ("checked" if lines.index(line) % 3 == 0 else None)


# -- the trash and restore -------------------------------------------------------------------------------


def test_the_trash_lists_dismissals_newest_first_and_restore_undoes_them(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    lines = add_events([event_line(n, site_id=SITE_A if n % 2 else SITE_B) for n in range(5)])
    admin = token("admin", sub="admin-1")
    for line in (lines[3], lines[0], lines[4]):  # dismissal order, not list order
        ok(api.delete(f"{EVENTS}/{line['id']}", admin), 204)
    trash = ok(api.get(TRASH, admin, params={"limit": 2}))
    assert ids_of(trash) == [lines[4]["id"], lines[0]["id"]] and trash["total"] == 3
    item = trash["data"][0]
    assert item["deleted_by"] == "admin-1" and item["deleted_at"].endswith("Z") and "snapshot_url" in item
    rest = ok(api.get(TRASH, admin, params={"limit": 2, "cursor": trash["next_cursor"]}))
    assert ids_of(rest) == [lines[3]["id"]] and rest["next_cursor"] is None
    filtered = ok(api.get(TRASH, admin, params={"site_id": SITE_B}))
    assert ids_of(filtered) == [lines[4]["id"], lines[0]["id"]]
    wrong = api.get(EVENTS, admin, params={"limit": 2, "cursor": trash["next_cursor"]})
    assert wrong.status_code == 400, "a trash cursor does not page the list"
    assert api.get(TRASH, token("operator")).status_code == 403

    restored = ok(api.post(f"{EVENTS}/{lines[0]['id']}/restore", admin))
    assert restored["id"] == lines[0]["id"] and restored["prev_event_id"] is None
    assert restored["next_event_id"] == lines[1]["id"]
    listed = ok(api.get(EVENTS, admin))
    assert ids_of(listed) == [lines[0]["id"], lines[1]["id"], lines[2]["id"]] and listed["total"] == 3
    exported = api.get(f"{EVENTS}/export", admin).text
    assert lines[0]["id"] in exported and lines[4]["id"] not in exported
    assert ok(api.get(TRASH, admin))["total"] == 2
    again = ok(api.post(f"{EVENTS}/{lines[0]['id']}/restore", admin))  # live: a no-op
    assert again["id"] == lines[0]["id"]
    assert [e["action"] for e in history(api, admin, lines[0]["id"])] == ["delete", "restore"]
    restore_entry = history(api, admin, lines[0]["id"])[1]
    assert restore_entry["changes"]["deleted"] == {"old": True, "new": False}
    assert restore_entry["by"] == {"kind": "user", "id": "admin-1"}
    assert api.post(f"{EVENTS}/{uuid.uuid4()}/restore", admin).status_code == 404
    assert api.post(f"{EVENTS}/{lines[3]['id']}/restore", token("operator")).status_code == 403


# -- history --------------------------------------------------------------------------------------------


def test_history_is_paged_oldest_first_scoped_and_admin_only_once_dismissed(
    api: Api, token: Token, add_events: AddEvents
) -> None:
    (line,) = add_events([event_line(0, site_id=SITE_A)])
    operator = token("operator", sub="op-7")
    at = f"{EVENTS}/{line['id']}"
    ok(api.patch(at, operator, json={"acknowledged": True}))
    ok(api.patch(at, operator, json={"notes": "first"}))
    ok(api.patch(at, operator, json={"notes": None}))
    viewer = token("viewer", sites=[SITE_A])
    first = ok(api.get(f"{at}/history", viewer, params={"limit": 2}))
    assert [e["action"] for e in first["data"]] == ["update", "update"]
    acknowledged = first["data"][0]["changes"]
    assert acknowledged["acknowledged"] == {"old": False, "new": True}
    assert acknowledged["acknowledged_by"] == {"old": None, "new": "op-7"}
    assert acknowledged["acknowledged_at"]["new"].endswith("Z")
    last = ok(api.get(f"{at}/history", viewer, params={"limit": 2, "cursor": first["next_cursor"]}))
    assert (
        last["data"][0]["changes"] == {"notes": {"old": "first", "new": None}} and last["next_cursor"] is None
    )
    assert api.get(f"{at}/history", token("viewer", sites=[SITE_B])).status_code == 403
    assert api.get(f"{at}/history", viewer, params={"limit": 0}).status_code == 400
    assert api.get(f"{at}/history", viewer, params={"cursor": "bogus"}).status_code == 400
    assert api.get(f"{at}/history", viewer, params={"page": "2"}).status_code == 400

    ok(api.delete(at, token("admin")), 204)
    assert api.get(f"{at}/history", operator).status_code == 404
    assert len(history(api, token("admin"), line["id"])) == 4
    assert api.get(f"{EVENTS}/{uuid.uuid4()}/history", token("admin")).status_code == 404

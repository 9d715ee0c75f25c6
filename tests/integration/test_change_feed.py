"""GET /api/v1/events/changes on the real emulators: the feed paged while writers change events gives
every committed change exactly once; viewer scope and redaction; other orgs; ``types``; 410 past the
retention; 400 on a bad cursor."""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

from shared.store.client import firestore_client
from tests.integration.conftest import SITE_A, SITE_B, Api, Token, event_line, reset_caches

EVENTS = "/api/v1/events"
FEED = f"{EVENTS}/changes"
AddEvents = Callable[..., list[dict[str, Any]]]
WRITERS, EVENT_COUNT, WRITES_EACH = 8, 40, 6


def settle(seconds: int) -> None:
    """Run the service with this settle delay (the gateway runs in this process)."""
    os.environ["EVENTS_CHANGES_SETTLE_SECONDS"] = str(seconds)
    reset_caches()


def page(api: Api, bearer: str, **params: Any) -> dict[str, Any]:
    answer = api.get(FEED, bearer, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert isinstance(body["next_cursor"], str) and body["next_cursor"]
    return body


def drain(
    api: Api, bearer: str, cursor: str | None = None, **params: Any
) -> tuple[list[dict[str, Any]], str]:
    """Every change from ``cursor`` until a page comes back empty, and the cursor to poll with."""
    changes: list[dict[str, Any]] = []
    while True:
        body = page(api, bearer, **({"cursor": cursor} if cursor else {}), **params)
        cursor = body["next_cursor"]
        if not body["data"]:
            return changes, cursor
        changes += body["data"]


def stored_ids(org: str) -> set[str]:
    return {
        snap.id for snap in firestore_client().collection("orgs").document(org).collection("changes").stream()
    }


def test_the_feed_paged_during_concurrent_writes_gives_every_change_exactly_once(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    settle(2)
    ids = [line["id"] for line in add_events([event_line(n) for n in range(EVENT_COUNT)])]
    operator, viewer = token("operator"), token("viewer", sites=[SITE_A, SITE_B])
    failures: list[str] = []

    def writer(number: int) -> None:
        session, chooser = requests.Session(), random.Random(number)
        for write in range(WRITES_EACH):
            body = {"notes": f"writer {number} write {write}", "starred": chooser.random() < 0.5}
            answer = session.patch(
                f"{api.base}{EVENTS}/{chooser.choice(ids)}",
                json=body,
                headers={"Authorization": f"Bearer {operator}"},
                timeout=60,
            )
            if answer.status_code != 200:
                failures.append(answer.text)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    seen: list[dict[str, Any]] = []
    cursor: str | None = None
    while any(thread.is_alive() for thread in threads):  # read while the writers write
        body = page(api, viewer, limit=7, **({"cursor": cursor} if cursor else {}))
        seen += body["data"]
        cursor = body["next_cursor"]
    for thread in threads:
        thread.join()
    assert failures == []
    time.sleep(2.5)  # past the settle delay: every commit is old enough to be read
    rest, _ = drain(api, viewer, cursor, limit=7)
    seen += rest

    change_ids = [change["id"] for change in seen]
    assert len(change_ids) == len(set(change_ids)), "a change came twice"
    assert set(change_ids) == stored_ids(org), "a committed change was missed"
    assert sum(change["type"] == "event.created" for change in seen) == EVENT_COUNT
    moments = [(datetime.fromisoformat(change["at"].replace("Z", "+00:00")), change["id"]) for change in seen]
    assert moments == sorted(moments), "oldest first"


def test_a_viewer_sees_its_sites_and_a_dismissed_events_changes_redacted(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    settle(0)
    at_a, at_b = add_events([event_line(0, site_id=SITE_A), event_line(1, site_id=SITE_B)])
    admin = token("admin")
    assert api.delete(f"{EVENTS}/{at_a['id']}", admin).status_code == 204
    add_events([{**at_a, "summary": "re-loaded while dismissed"}])
    assert api.post(f"{EVENTS}/{at_a['id']}/restore", admin).status_code == 200

    viewer_changes, _ = drain(api, token("viewer", sites=[SITE_A]))
    assert {change["event_id"] for change in viewer_changes} == {at_a["id"]}
    created, deleted, reloaded, restored = viewer_changes
    assert created["type"] == "event.created" and created["event"]["id"] == at_a["id"]
    assert created["event"]["snapshot_url"] is None and created["actor"]["kind"] == "pipeline"
    assert [deleted["type"], reloaded["type"], restored["type"]] == [
        "event.deleted",
        "event.updated",
        "event.restored",
    ]
    assert set(deleted) == set(reloaded) == set(restored) == {"id", "type", "event_id", "at"}

    admin_changes, _ = drain(api, admin)
    assert {change["event_id"] for change in admin_changes} == {at_a["id"], at_b["id"]}
    full_deletion = next(change for change in admin_changes if change["type"] == "event.deleted")
    assert (
        full_deletion["changed"] == ["deleted_at", "deleted_by"] and full_deletion["actor"]["kind"] == "user"
    )

    forbidden = api.get(FEED, token("viewer", sites=[SITE_A]), params={"site_id": SITE_B})
    assert forbidden.status_code == 403, forbidden.text


def test_another_orgs_changes_never_appear(api: Api, token: Token, add_events: AddEvents, org: str) -> None:
    settle(0)
    (mine,) = add_events([event_line(0)])
    add_events([event_line(1)], org_id=f"{org}-other")
    changes, _ = drain(api, token("admin"))
    assert [change["event_id"] for change in changes] == [mine["id"]]


def test_types_and_filters_select_changes_and_an_idle_feed_answers_a_cursor(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    settle(0)
    operator = token("operator")
    empty = page(api, operator)
    assert empty["data"] == []
    first, second = add_events([event_line(0, trigger_type="motion"), event_line(1)])
    assert api.patch(f"{EVENTS}/{first['id']}", operator, json={"starred": True}).ok
    updates, _ = drain(api, operator, types="event.updated")
    assert [(c["type"], c["event_id"], c["previous"]) for c in updates] == [
        ("event.updated", first["id"], {"starred": False})
    ]
    created, _ = drain(api, operator, types="event.created,event.deleted", trigger_type="motion")
    assert [c["event_id"] for c in created] == [first["id"]]
    assert drain(api, operator, site_id=SITE_B)[0] == []
    viewer_types, _ = drain(api, token("viewer", sites=[SITE_A]), types="event.created,event.updated")
    assert len(viewer_types) == 3
    since_empty, _ = drain(api, operator, empty["next_cursor"])  # the idle feed's cursor resumes
    assert len(since_empty) == 3
    _, polled = drain(api, operator)
    assert page(api, operator, cursor=polled)["data"] == []
    assert second["id"] in {c["event_id"] for c in since_empty}


def test_a_change_younger_than_the_settle_delay_waits(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    settle(60)
    add_events([event_line(0)])
    assert page(api, token("admin"))["data"] == []


def test_a_cursor_past_the_retention_is_gone_and_a_bad_one_is_400(
    api: Api, token: Token, add_events: AddEvents, org: str
) -> None:
    settle(0)
    admin = token("admin")
    add_events([event_line(0)])
    _, cursor = drain(api, admin)

    tampered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    for params in (
        {"cursor": tampered},
        {"cursor": "not-a-cursor"},
        {"cursor": cursor, "types": "event.created"},  # issued for other filters
        {"cursor": cursor, "since": "2026-04-21T00:00:00Z"},
        {"types": "event.moved"},
        {"since": "yesterday"},
    ):
        answer = api.get(FEED, admin, params=params)
        assert answer.status_code == 400 and answer.json()["error"] == "validation_error", (
            params,
            answer.text,
        )
    other_role = api.get(FEED, token("operator"), params={"cursor": cursor})
    assert other_role.status_code == 400

    os.environ["EVENTS_CHANGES_RETENTION_SECONDS"] = "1"
    reset_caches()
    time.sleep(1.5)
    gone = api.get(FEED, admin, params={"cursor": cursor})
    assert gone.status_code == 410 and gone.json()["error"] == "gone", gone.text
    assert page(api, admin, since="2026-01-01T00:00:00Z")["data"] == []  # starts at the oldest kept
    assert page(api, admin)["data"] == []  # the expired record counts as absent
